"""The workspace's record layout and row hashing: what :mod:`geo.audit` chains and verifies.

The tables and their content columns (:data:`COLUMNS`, in hash order), the
SQLite schema (:data:`TABLES_SQL`) and its protecting triggers
(:data:`TRIGGERS`), :func:`row_hash`, and the few SQL helpers that let the
same statements run on both workspace backends (:func:`column_list` quotes
``user``, a reserved word in PostgreSQL; :func:`query_frame` builds a
DataFrame from either connection).  Imports nothing from :mod:`geo`.

Examples
--------
>>> row_hash("events", {"id": 1, "action": "save"}, GENESIS)[:12]
'5cc973cb4bdb'
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

#: A workspace connection: :class:`sqlite3.Connection` (embedded) or :class:`geo.workspace_pg.PgCon` (PostgreSQL);
#: both take ``execute(sql, params)`` with ``?`` placeholders and tell ``in_transaction``.
Con = Any

#: The workspace layout this module writes and verifies.
SCHEMA_VERSION = 2
#: ``prev_hash`` of a table's first row.
GENESIS = "0" * 64
#: The chained tables, in the order they are verified.
TABLES: tuple[str, ...] = ("users", "proposals", "checks", "events")

#: Content columns per table (besides ``id``, ``prev_hash``, ``row_hash``), in hash order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("at", "name", "role", "pw_hash", "disabled", "by_user", "by_role"),
    "proposals": ("name", "zone_id", "options_json", "source", "geom_wkb", "geom_geojson", "area_m2",
                  "created_at", "created_by", "created_role"),
    "checks": ("proposal_id", "parent_check_id", "kind", "created_at", "created_by", "created_role", "verdict",
               "inputs_json", "geom_wkb", "geom_geojson", "layer_hashes_json", "rules_hash", "result_json"),
    "events": ("at", "user", "role", "action", "proposal_id", "check_id", "detail_json"),
}

TABLES_SQL = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    pw_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    by_user TEXT NOT NULL,
    by_role TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE INDEX users_by_name ON users(name, id);
CREATE TABLE proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    options_json TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    geom_wkb BLOB NOT NULL,
    geom_geojson TEXT NOT NULL,
    area_m2 REAL NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_role TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE TABLE checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    parent_check_id INTEGER REFERENCES checks(id),
    kind TEXT NOT NULL DEFAULT 'check',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_role TEXT NOT NULL,
    verdict TEXT NOT NULL,
    inputs_json TEXT NOT NULL,
    geom_wkb BLOB,
    geom_geojson TEXT,
    layer_hashes_json TEXT NOT NULL,
    rules_hash TEXT NOT NULL,
    result_json TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE INDEX checks_by_proposal ON checks(proposal_id, id);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    proposal_id INTEGER,
    check_id INTEGER,
    detail_json TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE INDEX events_by_proposal ON events(proposal_id, id);
CREATE INDEX events_by_action ON events(action, id);
CREATE INDEX events_by_user ON events(user, id);
"""

#: Indexes added to the version-2 layout after files of it existed: created (``IF NOT EXISTS``) when an
#: existing file lacks them.  Only indexes: no table is altered.
ADDED_INDEXES: dict[str, str] = {
    "events_by_user": "CREATE INDEX IF NOT EXISTS events_by_user ON events(user, id)",  # login lockout look-ups
}

#: Events that change an account; their detail records ``user_id`` and ``user_hash``.
ACCOUNT_ACTIONS: tuple[str, ...] = ("user_add", "user_passwd", "user_disable", "user_enable")
#: Which detail key of an event records the hash of a row of each table.
LINK_KEYS: dict[str, str] = {"proposals": "proposal_hash", "checks": "check_hash", "users": "user_hash"}


def _trigger_sql(table: str, op: str) -> str:
    return (f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table}\n"
            f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END")


#: name → exact SQL of every protecting trigger (``meta`` included: the version is written once).
TRIGGERS: dict[str, str] = {f"{t}_no_{op.lower()}": _trigger_sql(t, op)
                            for t in (*TABLES, "meta") for op in ("UPDATE", "DELETE")}


def ro_uri(path: str | Path) -> str:
    """A read-only SQLite URI for ``path``, safe for any file name (``#``, ``?``, ``%``, spaces).

    A plain ``f"file:{path}?mode=ro"`` cuts the name at ``#`` or ``?``: SQLite
    then opens (and may create) another file, read-write.

    Examples
    --------
    >>> ro_uri("/tmp/a#b/workspace.sqlite")
    'file:///tmp/a%23b/workspace.sqlite?mode=ro'
    """
    return Path(os.path.abspath(path)).as_uri() + "?mode=ro"


def _plain(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"hex": bytes(value).hex()}
    return value


def row_hash(table: str, values: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of one row: table, id, content columns and the previous hash.

    Parameters
    ----------
    table : str
    values : dict
        ``id`` and the table's :data:`COLUMNS` (missing ones count as null).
    prev_hash : str

    Examples
    --------
    >>> a = row_hash("events", {"id": 1, "action": "save"}, GENESIS)
    >>> a == row_hash("events", {"id": 1, "action": "delete"}, GENESIS)
    False
    """
    cols = ("id", *COLUMNS.get(table, tuple(sorted(k for k in values if k != "id"))))
    doc = {"table": table, "prev": prev_hash, "row": [[c, _plain(values.get(c))] for c in cols]}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def query_frame(con: Con, sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
    """The rows of ``sql`` as a DataFrame, on either backend (``pandas.read_sql_query`` takes SQLite only)."""
    cur = con.execute(sql, tuple(params))
    cols = [d[0] for d in cur.description]
    return pd.DataFrame.from_records(cur.fetchall(), columns=cols)


def is_postgres(con: Any) -> bool:
    """Is ``con`` a PostgreSQL workspace connection (:class:`geo.workspace_pg.PgCon`) rather than SQLite?"""
    return getattr(con, "dialect", "sqlite") == "postgresql"


def column_list(cols: tuple[str, ...] | list[str]) -> str:
    """Quoted, comma-separated column names (``user`` is a reserved word in PostgreSQL).

    >>> column_list(("id", "user"))
    '"id", "user"'
    """
    return ", ".join(f'"{c}"' for c in cols)


def lenient_text(data: bytes) -> str:
    """Text as read while verifying: invalid UTF-8 becomes U+FFFD, so the row's hash no longer matches."""
    return data.decode("utf-8", "replace")


def split_sql(script: str) -> list[str]:
    """Split a script into statements (triggers contain ';' inside BEGIN … END)."""
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        text = "\n".join(buf).strip()
        if text.endswith(";") and sqlite3.complete_statement(text):
            out.append(text)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out


__all__ = ["ACCOUNT_ACTIONS", "ADDED_INDEXES", "COLUMNS", "GENESIS", "LINK_KEYS", "SCHEMA_VERSION", "TABLES", "TABLES_SQL",
           "TRIGGERS", "Con", "column_list", "is_postgres", "lenient_text", "query_frame", "ro_uri", "row_hash",
           "split_sql"]
