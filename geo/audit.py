"""The workspace's tamper-evident record: appending to the hash chains and verifying them, on either backend.

The layout and the row hash live in :mod:`geo.audit_schema` (re-exported
here); this module appends (:func:`append`), walks (:func:`verify`,
:func:`verify_row`, :func:`check_head`) and names the chain head.  The same
functions run on the embedded SQLite file and on PostgreSQL
(:class:`geo.workspace_pg.PgCon`), where the triggers and counters are read
from that database's catalogue.

Every table of the workspace (``users``, ``proposals``, ``checks``,
``events``) is append-only.  Triggers refuse ``UPDATE`` and ``DELETE``; a
deletion, restore, override or password change is a new row.  Each row
carries ``prev_hash`` (the previous row's ``row_hash`` in the same table, or
64 zeros for the first) and ``row_hash``, the SHA-256 of the table name, the
row's id and every content column, and ``prev_hash``.

What :func:`verify` detects
    * an edited row (its hash no longer matches its content);
    * a deleted or reordered row in the middle (the next row's ``prev_hash``
      no longer matches);
    * a deleted last row, when ``sqlite_sequence`` (SQLite's AUTOINCREMENT
      counter) still remembers the higher id, or has lost its row;
    * a dropped or altered trigger, or an extra one (a ``BEFORE INSERT …
      RAISE(IGNORE)`` trigger would silently drop events);
    * an event that names a proposal, check or account row whose hash differs
      from the one the event recorded;
    * the reverse: a proposal, check or account row that no event names with
      its hash (every write records the hash of what it wrote in its event's
      ``detail_json``: ``proposal_hash``, ``check_hash``, ``user_id`` and
      ``user_hash``), so wiping or thinning the events table is seen, and an
      empty events table next to stored records;
    * text that is not valid UTF-8 (it is read with replacement characters,
      so the row shows as edited instead of stopping the walk).

What it cannot detect on its own
    The hash is unkeyed and the triggers do not stop ``INSERT``: someone with
    write access to the file can append well-formed rows (a forged event),
    delete the newest events (those that name no stored row, e.g. a delete
    or a report) and set the counter back, or rewrite a table and recompute
    every later hash.  Against that, compare the chain head
    (:func:`chain_head`, printed on every report) with a printed report or a
    backup: ``parkmap audit verify --head N:HASH`` (:func:`check_head`).

Examples
--------
>>> row_hash("events", {"id": 1, "action": "save"}, GENESIS)[:12]
'5cc973cb4bdb'
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from geo.audit_schema import (  # noqa: F401 (the schema and hashing, re-exported: geo.audit is the API)
    ACCOUNT_ACTIONS, ADDED_INDEXES, COLUMNS, GENESIS, LINK_KEYS, SCHEMA_VERSION, TABLES, TABLES_SQL, TRIGGERS, Con,
    column_list, is_postgres, lenient_text, query_frame, ro_uri, row_hash, split_sql,
)


def _stored(con: Con, table: str, row_id: int) -> dict[str, Any]:
    cols = ("id", *COLUMNS[table])
    row = con.execute(f"SELECT {column_list(cols)} FROM {table} WHERE id = ?", (row_id,)).fetchone()
    return dict(zip(cols, row))


def append(con: Con, table: str, values: dict[str, Any]) -> tuple[int, str]:
    """Insert one chained row; returns ``(id, row_hash)``.

    Must run inside the caller's write transaction (``BEGIN IMMEDIATE``), so
    the previous row cannot change between reading its hash and inserting.

    The hash is of the values *as stored*: SQLite's column affinity turns a
    ``3.0`` given for an INTEGER column into ``3`` (pandas hands out such
    floats), and a hash of the given value would then never verify again.  So
    the row is read back and, when SQLite changed a value, inserted again
    with the stored values (inside a savepoint; triggers forbid an UPDATE).
    """
    last = con.execute(f"SELECT id, row_hash FROM {table} ORDER BY id DESC LIMIT 1").fetchone()
    seq = None if is_postgres(con) else con.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
    new_id = max(int(last[0]) if last else 0, int(seq[0]) if seq else 0) + 1
    prev = last[1] if last else GENESIS
    full = {c: values.get(c) for c in COLUMNS[table]} | {"id": new_id}
    cols = ("id", *COLUMNS[table], "prev_hash", "row_hash")
    sql = f"INSERT INTO {table}({column_list(cols)}) VALUES ({', '.join('?' * len(cols))})"
    con.execute("SAVEPOINT audit_append")
    try:
        for _ in range(2):
            digest = row_hash(table, full, prev)
            con.execute(sql, (*(full[c] for c in ("id", *COLUMNS[table])), prev, digest))
            stored = _stored(con, table, new_id)
            if row_hash(table, stored, prev) == digest:
                break
            con.execute("ROLLBACK TO audit_append")
            full = stored
        else:  # pragma: no cover - a value SQLite changes on every round trip
            raise ValueError(f"{table}: a value does not survive storage unchanged")
    except BaseException:
        if con.in_transaction:  # not when SQLite already rolled everything back (a full disk): keep that error
            con.execute("ROLLBACK TO audit_append")
            con.execute("RELEASE audit_append")
        raise
    con.execute("RELEASE audit_append")
    return new_id, digest


@dataclass(frozen=True)
class Finding:
    """The first problem :func:`verify` found.

    Attributes
    ----------
    table : str
    row_id : int or None
        The first bad row (None for a trigger or counter problem).
    problem : str
        Machine-readable kind: ``edited``, ``missing-or-reordered``,
        ``truncated``, ``trigger``, ``cross-link``, ``head``.
    zh, en : str
        What was found, for people.
    """

    table: str
    row_id: int | None
    problem: str
    zh: str
    en: str

    def message(self) -> str:
        return f"{self.zh} / {self.en}"


@contextmanager
def _reading(con: Con) -> Iterator[None]:
    """Read for verification: lenient text, and one read snapshot.

    Without a transaction every SELECT sees the file as it is at that moment:
    a write committed between reading a table's highest id and its counter
    would look like a deleted row.  Inside the caller's transaction (a write)
    the caller's snapshot is used as is.
    """
    pg = is_postgres(con)
    old = None if pg else con.text_factory
    if not pg:
        con.text_factory = lenient_text
    began = not con.in_transaction
    if began:
        con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if pg else "BEGIN")
    try:
        yield
    finally:
        if not pg:
            con.text_factory = old
        if began and con.in_transaction:
            con.execute("ROLLBACK")


def _check_triggers(con: Con) -> Finding | None:
    if is_postgres(con):  # PostgreSQL's catalogue: the connection knows it (geo.workspace_pg.PgCon)
        finding: Finding | None = con.check_triggers()
        return finding
    found = {str(n): (str(t), s) for n, t, s in
             con.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()}
    for name, sql in TRIGGERS.items():
        if " ".join(str((found.get(name) or ("", ""))[1] or "").split()) != " ".join(sql.split()):
            table = name.rsplit("_no_", 1)[0]
            return Finding(table, None, "trigger", f"保护触发器 {name} 缺失或被改动",
                           f"the protecting trigger {name} is missing or altered")
    for name, (table, _sql) in sorted(found.items()):
        if name not in TRIGGERS:  # e.g. BEFORE INSERT … RAISE(IGNORE): audit events silently dropped
            return Finding(table, None, "trigger", f"发现多余的触发器 {name}（可能拦截或改写记录）",
                           f"an unexpected trigger {name} exists (it could suppress or rewrite records)")
    return None


def _check_counter(con: Con, table: str) -> Finding | None:
    if is_postgres(con):  # no counter: ids are assigned by the appender, deletes refused by the triggers
        return None
    top = con.execute(f"SELECT MAX(id) FROM {table}").fetchone()[0]
    seq = con.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
    if seq is None and top is not None:
        return Finding(table, None, "truncated", f"{table} 表的编号计数器被删除（末尾记录可能被删）",
                       f"the id counter of {table} was removed (rows at the end may have been deleted)")
    if seq is not None and int(seq[0]) != int(top or 0):
        return Finding(table, int(top or 0) + 1, "truncated",
                       f"{table} 表末尾的记录被删除（最大编号 {top or 0}，计数器 {seq[0]}）",
                       f"rows were deleted from the end of {table} (highest id {top or 0}, counter {seq[0]})")
    return None


def _walk(con: Con, table: str, last_n: int | None, upto: int | None = None,
          after: tuple[int, str] | None = None) -> Finding | None:
    cols = ("id", *COLUMNS[table], "prev_hash", "row_hash")
    sql = f"SELECT {column_list(cols)} FROM {table}"
    prev: str | None
    expected_id: int | None
    if after is not None:  # the rows after a mark, linked to it
        rows = con.execute(sql + " WHERE id > ? ORDER BY id", (int(after[0]),))
        prev, expected_id = after[1], int(after[0]) + 1
    elif last_n is None:
        rows = con.execute(sql + (" ORDER BY id" if upto is None else f" WHERE id <= {int(upto)} ORDER BY id"))
        prev = GENESIS
        expected_id = 1
    else:
        fetched = con.execute(sql + " ORDER BY id DESC LIMIT ?", (last_n + 1,)).fetchall()
        rows = iter(reversed(fetched))
        whole = len(fetched) <= last_n  # the whole table: its first row must start the chain
        prev, expected_id = (GENESIS, 1) if whole else (None, None)  # else the oldest row fetched has no link to check
    for row in rows:
        values = dict(zip(cols, row))
        rid = int(values["id"])
        if prev is not None and (values["prev_hash"] != prev or (expected_id is not None and rid != expected_id)):
            return Finding(table, rid, "missing-or-reordered", f"{table} 表第 {rid} 条之前的记录被删除、插入或调换了顺序",
                           f"a row before {table} #{rid} was deleted, inserted or reordered")
        if row_hash(table, values, values["prev_hash"]) != values["row_hash"]:
            return Finding(table, rid, "edited", f"{table} 表第 {rid} 条记录的内容被改动",
                           f"{table} row #{rid} was edited")
        prev = values["row_hash"]
        expected_id = rid + 1
    return None


def _check_links(con: Con, last_n: int | None) -> Finding | None:
    """Each event that recorded a proposal's or check's hash still matches that row."""
    sql = "SELECT id, proposal_id, check_id, detail_json FROM events"
    rows = con.execute(sql + (" ORDER BY id DESC LIMIT ?" if last_n else " ORDER BY id"),
                       (last_n,) if last_n else ()).fetchall()
    for eid, pid, cid, detail_json in rows:
        try:
            detail = json.loads(detail_json)
        except ValueError:
            return Finding("events", int(eid), "edited", f"events 表第 {eid} 条记录无法解析",
                           f"events row #{eid} cannot be parsed")
        detail = detail if isinstance(detail, dict) else {}
        links = [("proposals", pid, "proposal_hash"), ("checks", cid, "check_hash"),
                 ("users", detail.get("user_id"), "user_hash")]
        for table, ref, key in links:
            want = detail.get(key)
            if want is None:
                continue
            if ref is None and table == "users":  # an account event written before user_id was recorded
                if con.execute("SELECT 1 FROM users WHERE row_hash = ?", (str(want),)).fetchone() is None:
                    return Finding("users", None, "cross-link",
                                   f"审计事件 #{eid} 记录的账号记录已不存在（被删除或改写）",
                                   f"the account row recorded by audit event #{eid} is gone (deleted or rewritten)")
                continue
            if ref is None:
                continue
            got = con.execute(f"SELECT row_hash FROM {table} WHERE id = ?", (int(ref),)).fetchone()
            if got is None or got[0] != want:
                return Finding(table, int(ref), "cross-link",
                               f"{table} 表第 {ref} 条与审计事件 #{eid} 记录的不一致（被删除或改写）",
                               f"{table} row #{ref} no longer matches audit event #{eid} (deleted or rewritten)")
    return None


def _detail(detail_json: Any) -> dict[str, Any]:
    try:
        detail = json.loads(detail_json)
    except (TypeError, ValueError):
        return {}
    return detail if isinstance(detail, dict) else {}


def _unnamed(table: str, rid: int) -> Finding:
    return Finding(table, rid, "cross-link",
                   f"{table} 表第 {rid} 条没有记录它的审计事件（事件被删除，或该记录是伪造的）",
                   f"no audit event records {table} row #{rid} (events were deleted, or the row was forged)")


def _account_hashes(con: Con) -> set[str]:
    """The users-row hashes recorded by account events (through the ``events_by_action`` index)."""
    marks = ", ".join("?" * len(ACCOUNT_ACTIONS))
    rows = con.execute(f"SELECT detail_json FROM events WHERE action IN ({marks})", ACCOUNT_ACTIONS)
    return {str(h) for (d,) in rows if (h := _detail(d).get("user_hash"))}


def _names(con: Con, table: str, rid: int, digest: str, proposal_id: Any = None) -> bool:
    """Does an event name proposal or check ``rid`` with ``digest``?  (``events_by_proposal``: cheap per row.)"""
    if table == "proposals":
        rows = con.execute("SELECT detail_json FROM events WHERE proposal_id = ?", (rid,))
    else:
        rows = con.execute("SELECT detail_json FROM events WHERE proposal_id = ? AND check_id = ?", (proposal_id, rid))
    return any(_detail(d).get(LINK_KEYS[table]) == digest for (d,) in rows)


def _check_named(con: Con, last_n: int | None) -> Finding | None:
    """The reverse of :func:`_check_links`: every proposal, check and account row is named, with its hash, by
    an event (the event its write appended; ``migrate_link`` for a row moved from version 1 without one).

    Quick mode looks up the newest ``last_n`` rows of each table; the full walk all of them.
    """
    if con.execute("SELECT 1 FROM events LIMIT 1").fetchone() is None:
        for table in ("proposals", "checks", "users"):
            if con.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
                return Finding("events", None, "truncated", f"events 表为空，但 {table} 表有记录（审计事件被清空）",
                               f"the events table is empty but {table} has rows (the audit events were wiped)")
        return None
    if last_n is None:
        named: dict[str, set[str]] = {t: set() for t in LINK_KEYS}
        for (detail_json,) in con.execute("SELECT detail_json FROM events"):
            detail = _detail(detail_json)
            for table, key in LINK_KEYS.items():
                if detail.get(key):
                    named[table].add(str(detail[key]))
        for table in ("users", "proposals", "checks"):
            for rid, digest in con.execute(f"SELECT id, row_hash FROM {table} ORDER BY id"):
                if digest not in named[table]:
                    return _unnamed(table, int(rid))
        return None
    accounts: set[str] | None = None
    for table in ("users", "proposals", "checks"):
        extra = ", proposal_id" if table == "checks" else ""
        rows = con.execute(f"SELECT id, row_hash{extra} FROM {table} ORDER BY id DESC LIMIT ?", (last_n,)).fetchall()
        for row in reversed(rows):
            rid, digest = int(row[0]), str(row[1])
            if table == "users":
                accounts = _account_hashes(con) if accounts is None else accounts
                ok = digest in accounts
            else:
                ok = _names(con, table, rid, digest, row[2] if table == "checks" else None)
            if not ok:
                return _unnamed(table, rid)
    return None


def verify(con: Con, *, last_n: int | None = None) -> Finding | None:
    """Walk the chains; None when everything holds, else the first :class:`Finding`.

    Rows are checked before the triggers, so an edit made after dropping a
    trigger is reported as the edited row (the damage), not as the trigger.

    Parameters
    ----------
    con : sqlite3.Connection
        An open workspace (read access suffices).
    last_n : int, optional
        Quick mode: the triggers, the counters and only the last ``last_n``
        rows of each table (what every open runs), each of those rows also
        looked up in the events that must name it.  ``None`` walks all rows
        (``parkmap audit verify``).
    """
    with _reading(con):
        problem = None
        for table in TABLES:
            problem = problem or _check_counter(con, table) or _walk(con, table, last_n)
        return problem or _check_links(con, last_n) or _check_named(con, last_n) or _check_triggers(con)


def marks(con: Con) -> dict[str, tuple[int, str]]:
    """Per table, the newest row's ``(id, row_hash)`` (``(0, GENESIS)`` when empty): where :func:`verify_since` starts."""
    out: dict[str, tuple[int, str]] = {}
    for table in TABLES:
        row = con.execute(f"SELECT id, row_hash FROM {table} ORDER BY id DESC LIMIT 1").fetchone()
        out[table] = (int(row[0]), str(row[1])) if row else (0, GENESIS)
    return out


def verify_since(con: Con, since: dict[str, tuple[int, str]]) -> Finding | None:
    """Verify only what was appended after ``since`` (:func:`marks` of an earlier clean walk).

    Each mark row must still carry its hash, the rows after it must chain
    from it and hash right, the events and rows written since must name each
    other (:func:`_check_links`, :func:`_check_named` over that many newest
    rows), and the triggers must be whole.  Sound only when the rows up to
    the marks are known unchanged since that walk: :class:`geo.workspace_pg.PgStore`
    establishes it from the rows' versions (``xmin``) before calling this.
    """
    with _reading(con):
        newest = 0
        for table in TABLES:
            mid, mhash = since[table]
            if mid:
                got = con.execute(f"SELECT row_hash FROM {table} WHERE id = ?", (int(mid),)).fetchone()
                if got is None or str(got[0]) != mhash:
                    return Finding(table, int(mid), "edited", f"{table} 表第 {mid} 条记录被删除或改动",
                                   f"{table} row #{mid} was deleted or edited")
            problem = _walk(con, table, None, after=(int(mid), mhash))
            if problem is not None:
                return problem
            newest = max(newest, int(con.execute(f"SELECT COUNT(*) FROM {table} WHERE id > ?", (int(mid),)).fetchone()[0]))
        last_n = max(newest, 3)
        return _check_links(con, last_n) or _check_named(con, last_n) or _check_triggers(con)


def verify_row(con: Con, table: str, row_id: int) -> tuple[dict[str, Any] | None, Finding | None]:
    """One row and what is wrong with it, for reading a single record (a report's check).

    Checks the row's own hash, that the next row of the table still points
    at it, and that the events recording its hash still agree; so re-hashing
    a forged row is not enough to have it read back.

    Returns
    -------
    (values, finding)
        ``values`` is None for an unknown id.
    """
    with _reading(con):
        return _verify_row(con, table, row_id)


def _verify_row(con: Con, table: str, row_id: int) -> tuple[dict[str, Any] | None, Finding | None]:
    cols = ("id", *COLUMNS[table], "prev_hash", "row_hash")
    row = con.execute(f"SELECT {column_list(cols)} FROM {table} WHERE id = ?", (int(row_id),)).fetchone()
    if row is None:
        return None, None
    values = dict(zip(cols, row))
    rid = int(values["id"])
    edited = Finding(table, rid, "edited", f"{table} 表第 {rid} 条记录的内容被改动", f"{table} row #{rid} was edited")
    if row_hash(table, values, values["prev_hash"]) != values["row_hash"]:
        return values, edited
    nxt = con.execute(f"SELECT id, prev_hash FROM {table} WHERE id > ? ORDER BY id LIMIT 1", (rid,)).fetchone()
    if nxt is not None and nxt[1] != values["row_hash"]:
        return values, edited
    if table in ("proposals", "checks"):  # through the events_by_proposal index
        pid = rid if table == "proposals" else values["proposal_id"]
        sql = "SELECT id, detail_json FROM events WHERE proposal_id = ?" + (" AND check_id = ?" if table == "checks" else "")
        key = LINK_KEYS[table]
        named = False
        for eid, detail_json in con.execute(sql, (pid, rid) if table == "checks" else (pid,)):
            try:
                want = json.loads(detail_json).get(key)
            except (ValueError, AttributeError):
                return values, Finding("events", int(eid), "edited", f"events 表第 {eid} 条记录无法解析",
                                       f"events row #{eid} cannot be parsed")
            if want is not None and want != values["row_hash"]:
                return values, Finding(table, rid, "cross-link",
                                       f"{table} 表第 {rid} 条与审计事件 #{eid} 记录的不一致（被删除或改写）",
                                       f"{table} row #{rid} no longer matches audit event #{eid} (deleted or rewritten)")
            named = named or want is not None
        if not named:  # its event is gone (or the row was appended without one)
            return values, _unnamed(table, rid)
    return values, None


def chain_head(con: Con) -> tuple[int, str]:
    """``(id, row_hash)`` of the newest event; ``(0, GENESIS)`` when there is none.

    Every write adds an event whose detail records the hash of what it wrote,
    so this one value commits to the whole workspace up to that moment.
    """
    row = con.execute("SELECT id, row_hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def state(con: Con) -> tuple[Any, ...]:
    """What any write to the file changes: the schema cookie (a dropped or re-created trigger), each table's
    highest id and id counter, and the chain head.  Read in one snapshot.

    :class:`geo.workspace.Workspace` compares it before and after its own commit to tell that nobody else
    wrote in between (and so that the file as it then stands is still one it has verified).
    """
    if is_postgres(con):  # rows, highest id and newest row version (xmin: an UPDATE, even with triggers bypassed)
        with _reading(con):
            return (tuple(tuple(con.execute(f"SELECT COUNT(*), MAX(id), MAX(xmin::text::bigint) FROM {t}").fetchone())
                          for t in TABLES), chain_head(con))
    with _reading(con):
        return (con.execute("PRAGMA schema_version").fetchone()[0],
                tuple(con.execute(f"SELECT MAX(id) FROM {t}").fetchone()[0] for t in TABLES),
                tuple(con.execute("SELECT name, seq FROM sqlite_sequence ORDER BY name").fetchall()),
                chain_head(con))


def check_head(con: Con, event_id: int, digest: str) -> Finding | None:
    """Does event ``event_id`` still carry ``digest`` (a head printed earlier, e.g. on a report)?

    ``digest`` is the full hash or a prefix of at least 12 hex digits.  The
    event must still hash to it, and the events chain from the first row up
    to it must be intact (the head commits to everything before it).
    """
    want = str(digest or "").strip().lower()
    bad = Finding("events", int(event_id), "head", f"审计链头 #{event_id} 与记录的 {want[:64]} 不一致",
                  f"the chain head #{event_id} does not match the recorded {want[:64]}")
    if len(want) < 12 or any(c not in "0123456789abcdef" for c in want):
        return bad
    with _reading(con):
        values, found = _verify_row(con, "events", event_id)
        if values is None or not str(values["row_hash"]).startswith(want):
            return bad
        if found is not None and found.problem != "cross-link":
            return found
        return _walk(con, "events", None, upto=int(event_id))


def format_head(head: tuple[int, str]) -> str:
    """``#17:1a2b3c4d5e6f7a8b`` — what reports print (id and the first 16 hex digits).

    Examples
    --------
    >>> format_head((17, "1a2b3c4d5e6f7a8b9c0d" + "0" * 44))
    '#17:1a2b3c4d5e6f7a8b'
    """
    return f"#{head[0]}:{head[1][:16]}"



@dataclass(frozen=True)
class AuditInfo:
    """Where the check is recorded (the workspace's ``checks`` row).

    Attributes
    ----------
    check_id : int or None
        Audit record id; None when the check was not saved.
    proposal_id : int or None
    recorded_at : str
    kind : str
        ``check`` or ``override``.
    parent_check_id : int or None
        For an override: the check it amends.
    recorded_by, role : str
        Who recorded the check, with their role key (:data:`geo.auth.ROLES`).
    report_by, report_role : str
        Who produced this report.
    chain_head : str
        The audit chain head when the report was recorded (``#N:hash``,
        :func:`geo.audit.format_head`); ``parkmap audit verify --head`` checks it later.
    """

    check_id: int | None = None
    proposal_id: int | None = None
    recorded_at: str = ""
    kind: str = "check"
    parent_check_id: int | None = None
    recorded_by: str = ""
    role: str = ""
    report_by: str = ""
    report_role: str = ""
    chain_head: str = ""

    @classmethod
    def from_saved(cls, saved: Any) -> AuditInfo:
        """From a :class:`geo.workspace.SavedCheck`."""
        return cls(saved.id, saved.proposal_id, saved.created_at, saved.kind, saved.parent_check_id,
                   getattr(saved, "created_by", ""), getattr(saved, "created_role", ""))


__all__ = ["ACCOUNT_ACTIONS", "Con", "ADDED_INDEXES", "COLUMNS", "GENESIS", "LINK_KEYS", "SCHEMA_VERSION", "TABLES",
           "TABLES_SQL", "TRIGGERS", "AuditInfo", "Finding", "append", "chain_head", "check_head", "format_head", "lenient_text", "marks", "verify_since",
           "column_list", "is_postgres", "query_frame", "ro_uri", "row_hash", "split_sql", "state", "verify", "verify_row"]
