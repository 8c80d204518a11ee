"""Saved proposals and the audit trail of checks.

One SQLite file, ``$PARKMAP_HOME/workspace.sqlite`` (``PARKMAP_HOME`` defaults
to ``~/.parkmap``), in WAL mode.

Durability and concurrency
    Every save runs in one ``BEGIN IMMEDIATE`` transaction (the write lock is
    taken up front; a second session waits up to ``busy_timeout``), with
    ``synchronous=FULL``.  A crash or an exception mid-save rolls the
    transaction back: earlier records are never touched, and no half record
    is left.  Each call opens its own connection, so the object can be shared
    by threads (Streamlit sessions) and processes.

Records
    * ``proposals``: name, zone, options, source, geometry (WKB + GeoJSON,
      lon/lat EPSG:4490), geodesic area, created_at; a soft-delete flag is the
      only field that ever changes.
    * ``checks``: immutable.  Each check stores its inputs (options, zone),
      the geometry checked, the content hashes of the layers and of the rules
      used, the whole result document (``parkmap.check/1``, with the overlap
      geometries) and a timestamp.  An override is a new check row pointing
      at the check it amends (``parent_check_id``).
    * ``events``: append-only log (save, check, override, delete, restore).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from geo.area import geodesic_area_m2
from geo.clock import now_iso
from geo.errors import ParkmapError

#: Environment variable naming the workspace folder.
HOME_ENV = "PARKMAP_HOME"
DB_NAME = "workspace.sqlite"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    options_json TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    geom_wkb BLOB NOT NULL,
    geom_geojson TEXT NOT NULL,
    area_m2 REAL NOT NULL,
    created_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    deleted_at TEXT
);
CREATE TABLE IF NOT EXISTS checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    parent_check_id INTEGER REFERENCES checks(id),
    kind TEXT NOT NULL DEFAULT 'check',
    created_at TEXT NOT NULL,
    verdict TEXT NOT NULL,
    inputs_json TEXT NOT NULL,
    geom_wkb BLOB,
    geom_geojson TEXT,
    layer_hashes_json TEXT NOT NULL,
    rules_hash TEXT NOT NULL,
    result_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS checks_by_proposal ON checks(proposal_id, id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    proposal_id INTEGER,
    check_id INTEGER,
    detail_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER IF NOT EXISTS checks_immutable BEFORE UPDATE ON checks
BEGIN SELECT RAISE(ABORT, 'checks are immutable'); END;
CREATE TRIGGER IF NOT EXISTS checks_no_delete BEFORE DELETE ON checks
BEGIN SELECT RAISE(ABORT, 'checks are immutable'); END;
"""


def _now() -> str:
    return now_iso("microseconds")


def default_home() -> Path:
    """``$PARKMAP_HOME`` or ``~/.parkmap``."""
    env = os.environ.get(HOME_ENV)
    return Path(env).expanduser() if env else Path.home() / ".parkmap"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, allow_nan=False, default=str)


@dataclass(frozen=True)
class SavedProposal:
    """A proposal as stored (geometry lon/lat EPSG:4490)."""

    id: int
    name: str
    zone_id: str
    options: dict[str, Any]
    source: str
    geometry: BaseGeometry
    area_m2: float
    created_at: str
    deleted: bool
    deleted_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "zone_id": self.zone_id, "options": self.options,
                "source": self.source, "geometry": mapping(self.geometry), "area_m2": self.area_m2,
                "created_at": self.created_at, "deleted": self.deleted, "deleted_at": self.deleted_at}


@dataclass(frozen=True)
class SavedCheck:
    """One immutable check record."""

    id: int
    proposal_id: int
    parent_check_id: int | None
    kind: str
    created_at: str
    verdict: str
    inputs: dict[str, Any]
    geometry: BaseGeometry | None
    layer_hashes: dict[str, str]
    rules_hash: str
    result: dict[str, Any]

    def to_result(self):
        """The stored document as a :class:`geo.check.CheckResult`."""
        from geo.check import CheckResult

        return CheckResult.from_dict(self.result)


class Workspace:
    """Saved proposals and checks in ``<home>/workspace.sqlite``.

    Parameters
    ----------
    home : str or Path, optional
        Folder of the workspace; default :func:`default_home`.  Created if needed.
    """

    def __init__(self, home: str | Path | None = None) -> None:
        self.home = Path(home).expanduser() if home is not None else default_home()
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ParkmapError(f"无法创建工作区文件夹 {self.home}：{exc.strerror}",
                               f"Cannot create the workspace folder {self.home}: {exc.strerror}",
                               f"设置环境变量 {HOME_ENV} / set {HOME_ENV}", code="workspace") from exc
        self.path = self.home / DB_NAME
        with self._connect() as con:
            self._wal(con)
            with self._tx(con):
                for stmt in _split_sql(_SCHEMA):
                    con.execute(stmt)
                con.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            row = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None or int(row[0]) > SCHEMA_VERSION:
                raise ParkmapError(f"工作区 {self.path} 的版本比本程序新", f"The workspace {self.path} was written by a newer version",
                                   code="workspace")

    # -- plumbing -------------------------------------------------------------------------------
    @staticmethod
    def _wal(con: sqlite3.Connection, attempts: int = 60) -> None:
        """Switch to WAL, retrying while another process holds the lock.

        Two processes opening a new workspace at once can get "database is
        locked" from this pragma without SQLite's busy handler waiting (seen
        under load in the concurrency test); a short backoff makes it wait.
        """
        import time

        for attempt in range(attempts):
            try:
                con.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or attempt == attempts - 1:
                    raise
                time.sleep(min(0.02 * (attempt + 1), 0.5))

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise ParkmapError(f"无法打开工作区 {self.path}：{exc}", f"Cannot open the workspace {self.path}: {exc}",
                               code="workspace") from exc
        try:
            con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA synchronous=FULL")
            con.execute("PRAGMA foreign_keys=ON")
            yield con
        finally:
            con.close()

    @staticmethod
    @contextmanager
    def _tx(con: sqlite3.Connection) -> Iterator[None]:
        """One write transaction: BEGIN IMMEDIATE … COMMIT, ROLLBACK on any exception."""
        con.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def _event(self, con: sqlite3.Connection, action: str, proposal_id: int | None = None,
               check_id: int | None = None, detail: dict[str, Any] | None = None) -> None:
        con.execute("INSERT INTO events(at, action, proposal_id, check_id, detail_json) VALUES (?,?,?,?,?)",
                    (_now(), action, proposal_id, check_id, _dumps(detail or {})))

    # -- proposals ------------------------------------------------------------------------------
    def save_proposal(self, name: str, geom: BaseGeometry, zone_id: str, options: dict[str, Any] | None = None,
                      source: str = "") -> int:
        """Store a proposal; returns its id.

        Parameters
        ----------
        name : str
        geom : Polygon or MultiPolygon
            Lon/lat EPSG:4490 (validated like a checked proposal).
        zone_id : str
        options : dict, optional
            The planner's choices (type, chemical, major_project, removed…).
        source : str
            Where it came from: ``"drawn"``, ``"upload:<file>"``, ``"cli:<file>"``…
        """
        from geo.check import prepare_proposal_geometry

        geom, _ = prepare_proposal_geometry(geom)
        if not str(name or "").strip():
            raise ParkmapError("方案名称不能为空", "The proposal needs a name", code="workspace")
        area = geodesic_area_m2(geom)
        row = (str(name).strip(), str(zone_id), _dumps(options or {}), str(source or ""), shapely.to_wkb(geom),
               _dumps(mapping(geom)), area, _now())
        with self._connect() as con, self._tx(con):
            cur = con.execute("INSERT INTO proposals(name, zone_id, options_json, source, geom_wkb, geom_geojson, "
                              "area_m2, created_at) VALUES (?,?,?,?,?,?,?,?)", row)
            pid = int(cur.lastrowid)
            self._event(con, "save_proposal", pid, None, {"name": row[0], "zone_id": row[1], "source": row[3]})
        return pid

    def list_proposals(self, include_deleted: bool = False) -> pd.DataFrame:
        """One row per proposal with its latest check.

        Columns: id, name, zone_id, source, area_m2, created_at, deleted,
        deleted_at, n_checks, last_check_id, last_verdict, last_checked_at.
        """
        sql = """
            SELECT p.id, p.name, p.zone_id, p.source, p.area_m2, p.created_at, p.deleted, p.deleted_at,
                   (SELECT COUNT(*) FROM checks c WHERE c.proposal_id = p.id) AS n_checks,
                   c.id AS last_check_id, c.verdict AS last_verdict, c.created_at AS last_checked_at
            FROM proposals p
            LEFT JOIN checks c ON c.id = (SELECT MAX(id) FROM checks WHERE proposal_id = p.id)
        """
        if not include_deleted:
            sql += " WHERE p.deleted = 0"
        sql += " ORDER BY p.id"
        with self._connect() as con:
            df = pd.read_sql_query(sql, con)
        df["deleted"] = df["deleted"].astype(bool)
        return df

    def get_proposal(self, proposal_id: int) -> SavedProposal:
        """The stored proposal (also when soft-deleted).

        Raises
        ------
        ParkmapError
            ``code="not-found"`` for an unknown id.
        """
        with self._connect() as con:
            row = con.execute("SELECT id, name, zone_id, options_json, source, geom_wkb, area_m2, created_at, deleted, "
                              "deleted_at FROM proposals WHERE id = ?", (int(proposal_id),)).fetchone()
        if row is None:
            raise ParkmapError(f"没有编号为 {proposal_id} 的方案", f"No proposal with id {proposal_id}", code="not-found")
        return SavedProposal(id=row[0], name=row[1], zone_id=row[2], options=json.loads(row[3]), source=row[4],
                             geometry=shapely.from_wkb(row[5]), area_m2=row[6], created_at=row[7],
                             deleted=bool(row[8]), deleted_at=row[9])

    def _set_deleted(self, proposal_id: int, deleted: bool) -> None:
        with self._connect() as con, self._tx(con):
            cur = con.execute("UPDATE proposals SET deleted = ?, deleted_at = ? WHERE id = ?",
                              (int(deleted), _now() if deleted else None, int(proposal_id)))
            if cur.rowcount == 0:
                raise ParkmapError(f"没有编号为 {proposal_id} 的方案", f"No proposal with id {proposal_id}", code="not-found")
            self._event(con, "delete" if deleted else "restore", int(proposal_id))

    def soft_delete(self, proposal_id: int) -> None:
        """Hide a proposal from :meth:`list_proposals` (its records are kept)."""
        self._set_deleted(proposal_id, True)

    def restore(self, proposal_id: int) -> None:
        """Undo :meth:`soft_delete`."""
        self._set_deleted(proposal_id, False)

    # -- checks ---------------------------------------------------------------------------------
    def save_check(self, proposal_id: int, result: Any, layer_hashes: dict[str, str] | None = None,
                   rules_hash: str | None = None, *, parent_check_id: int | None = None, kind: str = "check") -> int:
        """Record a check of a saved proposal; returns the check id.

        Parameters
        ----------
        proposal_id : int
        result : geo.check.CheckResult or its ``to_dict`` document
        layer_hashes, rules_hash : optional
            Content hashes used; default: those carried by the result.
        parent_check_id : int, optional
            For an override: the check it amends.
        kind : {"check", "override"}
        """
        doc = result.to_dict(include_geometries=True) if hasattr(result, "to_dict") else dict(result)
        if layer_hashes is None:
            layer_hashes = {k: v.get("hash", "") for k, v in (doc.get("layers") or {}).items()}
        if rules_hash is None:
            rules_hash = doc.get("rules_hash", "")
        geom = doc.get("geometry")
        wkb = shapely.to_wkb(shape(geom)) if geom else None
        inputs = {"zone_id": (doc.get("zone") or {}).get("zone_id"), "type": doc.get("type"),
                  "chemical": doc.get("chemical"), "major_project": doc.get("major_project"),
                  "name": doc.get("name"), "removed": (doc.get("geometries") or {}).get("removed")}
        row = (int(proposal_id), parent_check_id, kind, _now(), doc["verdict"], _dumps(inputs), wkb,
               _dumps(geom) if geom else None, _dumps(layer_hashes), str(rules_hash), _dumps(doc))
        with self._connect() as con, self._tx(con):
            if con.execute("SELECT 1 FROM proposals WHERE id = ?", (int(proposal_id),)).fetchone() is None:
                raise ParkmapError(f"没有编号为 {proposal_id} 的方案", f"No proposal with id {proposal_id}", code="not-found")
            cur = con.execute("INSERT INTO checks(proposal_id, parent_check_id, kind, created_at, verdict, inputs_json, "
                              "geom_wkb, geom_geojson, layer_hashes_json, rules_hash, result_json) "
                              "VALUES (?,?,?,?,?,?,?,?,?,?,?)", row)
            cid = int(cur.lastrowid)
            self._event(con, kind, int(proposal_id), cid, {"verdict": doc["verdict"], "parent_check_id": parent_check_id})
        return cid

    def save_override(self, check_id: int, rule_id: str, new_status: str, reason: str) -> int:
        """Override one rule of a stored check: a new check row (kind ``override``) with the original kept."""
        from geo.check import apply_override

        base = self.get_check(check_id)
        new = apply_override(base.to_result(), rule_id, new_status, reason)
        return self.save_check(base.proposal_id, new, base.layer_hashes, base.rules_hash,
                               parent_check_id=base.id, kind="override")

    def _check_from_row(self, row: tuple) -> SavedCheck:
        return SavedCheck(id=row[0], proposal_id=row[1], parent_check_id=row[2], kind=row[3], created_at=row[4],
                          verdict=row[5], inputs=json.loads(row[6]),
                          geometry=shapely.from_wkb(row[7]) if row[7] is not None else None,
                          layer_hashes=json.loads(row[8]), rules_hash=row[9], result=json.loads(row[10]))

    _CHECK_COLS = ("id, proposal_id, parent_check_id, kind, created_at, verdict, inputs_json, geom_wkb, "
                   "layer_hashes_json, rules_hash, result_json")

    def checks_for(self, proposal_id: int) -> list[SavedCheck]:
        """All checks of a proposal, oldest first."""
        with self._connect() as con:
            rows = con.execute(f"SELECT {self._CHECK_COLS} FROM checks WHERE proposal_id = ? ORDER BY id",
                               (int(proposal_id),)).fetchall()
        return [self._check_from_row(r) for r in rows]

    def get_check(self, check_id: int) -> SavedCheck:
        with self._connect() as con:
            row = con.execute(f"SELECT {self._CHECK_COLS} FROM checks WHERE id = ?", (int(check_id),)).fetchone()
        if row is None:
            raise ParkmapError(f"没有编号为 {check_id} 的核查记录", f"No check with id {check_id}", code="not-found")
        return self._check_from_row(row)

    def compare(self, check_ids: list[int]) -> pd.DataFrame:
        """Side-by-side table of several checks: one row per rule, ``status``/``value`` columns per check.

        The first rows are ``verdict`` and ``area_m2``.
        """
        checks = [self.get_check(c) for c in check_ids]
        rule_ids: list[str] = []
        for c in checks:
            for r in c.result.get("rules", []):
                if r["id"] not in rule_ids:
                    rule_ids.append(r["id"])
        data: dict[str, list[Any]] = {}
        for c in checks:
            rows = {r["id"]: r for r in c.result.get("rules", [])}
            data[f"{c.id}:status"] = [c.verdict, None] + [rows.get(i, {}).get("status") for i in rule_ids]
            data[f"{c.id}:value"] = [None, c.result.get("area_m2")] + [rows.get(i, {}).get("value") for i in rule_ids]
        return pd.DataFrame(data, index=["verdict", "area_m2"] + rule_ids)

    def events(self) -> pd.DataFrame:
        """The audit log (append-only)."""
        with self._connect() as con:
            return pd.read_sql_query("SELECT id, at, action, proposal_id, check_id, detail_json FROM events ORDER BY id", con)

    def integrity_check(self) -> str:
        """SQLite ``PRAGMA integrity_check`` (``"ok"`` when healthy)."""
        with self._connect() as con:
            return str(con.execute("PRAGMA integrity_check").fetchone()[0])


def _split_sql(script: str) -> list[str]:
    """Split the schema into statements (triggers contain ';' inside BEGIN … END)."""
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


__all__ = ["DB_NAME", "HOME_ENV", "SavedCheck", "SavedProposal", "Workspace", "default_home"]
