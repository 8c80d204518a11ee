"""The workspace in PostgreSQL/PostGIS: the same records and hash chains as the embedded file, shared by many.

:class:`PgStore` is the PostgreSQL counterpart of
:class:`geo.workspace_file.WorkspaceFile`: the storage layer under the
workspace's records (:class:`geo.workspace.WorkspaceRecords`).  It offers
the same four things: connections, write transactions, verification and the
chain head, so every record method, the audit walk (:mod:`geo.audit`) and
the accounts run unchanged on either backend.  :func:`geo.workspace.open_workspace`
picks it when ``PARKMAP_DATABASE_URL`` is set.

The schema is created by ``parkmap db init`` (:mod:`geo.db.schema`); a
database without it, with an older or newer one, or without PostGIS is a
bilingual ``db-*`` error (:mod:`geo.db.connect`), as is a server that
cannot be reached ("数据库不可用 / database unavailable").

Connections
    One :class:`psycopg_pool.ConnectionPool` per URL and process, shared by
    every store object (an app serves many sessions).  Connections run in
    autocommit mode; :class:`PgCon` gives them the ``execute`` of
    :mod:`sqlite3` (``?`` placeholders), so the SQL of the records is
    written once for both backends.
Writes
    Each write is one transaction that first takes a transaction-level
    advisory lock (:data:`WRITE_LOCK`): writers across every app instance and
    CLI job queue one at a time, as SQLite's single writer does.  That keeps
    the hash chains linear (``UNIQUE (prev_hash)`` also refuses a fork) and
    serialises overrides of one check: the second sees the first's row and
    gets "already changed".  Inside the lock it verifies the newest rows (or
    every row when another writer committed since this object last walked
    them), as the embedded store does.
Tamper evidence
    The triggers of :mod:`geo.db.migrations` refuse ``UPDATE``, ``DELETE``
    and ``TRUNCATE`` for everyone but a superuser bypassing them; the app's
    role has only ``SELECT``/``INSERT`` on these tables.  The walk checks the
    triggers are present, enabled and unchanged, and that no other trigger
    sits on the tables.  A superuser who deletes the newest rows with the
    triggers bypassed is not seen by the walk (PostgreSQL keeps no counter
    like SQLite's ``sqlite_sequence`` here); compare the chain head with a
    printed report (``parkmap audit verify --head``), as for the embedded store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool, PoolTimeout

from geo import audit, settings
from geo.db.connect import APPLICATION_NAME, CONNECT_TIMEOUT, POOL_TIMEOUT, check_url, connect, db_error, redact, \
    schema_version
from geo.db.migrations import GUARD_BODY, PROTECTED_TABLES
from geo.db.migrations import SCHEMA_VERSION as PG_SCHEMA_VERSION
from geo.db.migrations import TRIGGERS as PG_TRIGGERS
from geo.errors import ParkmapError

#: Key of the transaction-level advisory lock every workspace write takes ("pkws").
WRITE_LOCK = 0x70_6B_77_73
#: Rows per table re-hashed inside a write when nobody wrote since this object's last full walk.
WRITE_ROWS = 3
#: Rows per table re-hashed by the quick verify on open.
QUICK_ROWS = 20


def qmark_to_pyformat(sql: str, with_params: bool) -> str:
    """``?`` placeholders (sqlite3) as ``%s`` (psycopg), outside quoted text; ``%`` doubled when there are params.

    Examples
    --------
    >>> qmark_to_pyformat("SELECT a FROM t WHERE b = ? AND c = '?'", True)
    "SELECT a FROM t WHERE b = %s AND c = '?'"
    >>> qmark_to_pyformat("SELECT 'x%' LIKE ?", True)
    "SELECT 'x%%' LIKE %s"
    """
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote is not None:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append("%%" if ch == "%" and with_params else ch)
    return "".join(out)


class PgCon:
    """A psycopg connection with the :mod:`sqlite3` calls the workspace uses (``execute``, ``in_transaction``).

    ``dialect`` tells :mod:`geo.audit` which catalogue to read (triggers, counters).
    """

    dialect = "postgresql"

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> psycopg.Cursor[Any]:
        """Run ``sql`` (``?`` placeholders) and return the cursor (iterable, ``fetchone``, ``fetchall``)."""
        cur = self.raw.cursor()
        args = tuple(params) if params else None
        cur.execute(qmark_to_pyformat(sql, args is not None), args)
        return cur

    def check_triggers(self) -> audit.Finding | None:
        """The append-only triggers of :mod:`geo.db.migrations` present, enabled and calling the unchanged guard
        function, and no other trigger on the workspace tables (:func:`geo.audit.verify` asks)."""
        marks = ", ".join("?" * len(PROTECTED_TABLES))
        found = {str(n): (str(t), str(e), str(d)) for n, t, e, d in self.execute(
            "SELECT t.tgname, c.relname, t.tgenabled, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            f"JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND c.relname IN ({marks})",
            PROTECTED_TABLES).fetchall()}
        for name, (table, op) in PG_TRIGGERS.items():
            got = found.get(name)
            if got is None or got[0] != table or got[1] == "D" or f"BEFORE {op}" not in got[2] \
                    or "parkmap_append_only()" not in got[2]:
                return audit.Finding(table, None, "trigger", f"保护触发器 {name} 缺失、被停用或被改动",
                                     f"the protecting trigger {name} is missing, disabled or altered")
        for name, (table, _e, _d) in sorted(found.items()):
            if name not in PG_TRIGGERS:
                return audit.Finding(table, None, "trigger", f"发现多余的触发器 {name}（可能拦截或改写记录）",
                                     f"an unexpected trigger {name} exists (it could suppress or rewrite records)")
        body = self.execute("SELECT prosrc FROM pg_proc WHERE proname = 'parkmap_append_only'").fetchall()
        if len(body) != 1 or " ".join(str(body[0][0]).split()) != " ".join(GUARD_BODY.split()):
            return audit.Finding("events", None, "trigger", "保护函数 parkmap_append_only 缺失或被改动",
                                 "the guard function parkmap_append_only is missing or altered")
        return None

    @property
    def in_transaction(self) -> bool:
        """Is a transaction open (or failed) on the connection?"""
        return self.raw.info.transaction_status != TransactionStatus.IDLE


_POOLS: dict[str, ConnectionPool[Any]] = {}
_POOLS_LOCK = threading.Lock()


def _pool(url: str) -> ConnectionPool[Any]:
    """The process's pool for ``url`` (opened once, after :func:`geo.db.connect.connect` found the database ready)."""
    with _POOLS_LOCK:
        pool = _POOLS.get(url)
        if pool is None or pool.closed:
            connect(url).close()  # the precise message (refused, no schema, no PostGIS…) instead of a pool timeout
            pool = ConnectionPool(url, min_size=1, max_size=8, timeout=POOL_TIMEOUT, name="parkmap-workspace",
                                  kwargs={"autocommit": True, "application_name": APPLICATION_NAME,
                                          "connect_timeout": CONNECT_TIMEOUT},
                                  check=ConnectionPool.check_connection, open=False)
            try:
                pool.open(wait=True, timeout=POOL_TIMEOUT)
            except (PoolTimeout, psycopg.Error) as exc:
                pool.close()
                raise db_error(exc, url) from exc
            _POOLS[url] = pool
        return pool


def close_pools(url: str | None = None) -> None:
    """Close the pool of ``url``, or every pool of this process (tests; a server shutting down)."""
    with _POOLS_LOCK:
        for key in [k for k in _POOLS if url is None or k == url]:
            _POOLS.pop(key).close()


class PgStore:
    """The PostgreSQL store under a workspace (see the module notes).

    Parameters
    ----------
    url : str
        ``postgresql://…`` of a database prepared by ``parkmap db init``; the
        login user needs the role ``parkmap_app``.
    home : str or Path, optional
        This instance's local folder (``PARKMAP_HOME``: the map cache, layer
        folders imported in the app); nothing of the workspace is kept there.
    create : bool
        Accepted for the embedded store's signature; the schema is never
        created here (``parkmap db init`` does).
    full_on_open : bool
        Walk every row on open instead of the newest.

    Attributes
    ----------
    path : str
        The URL with the password redacted (named in messages).
    tamper : geo.audit.Finding or None
        What a verify found; while set, every write is refused.
    """

    backend = "postgresql"

    def __init__(self, url: str, *, home: str | Path | None = None, create: bool = True,
                 full_on_open: bool = False) -> None:
        self.home = Path(home).expanduser() if home is not None else settings.home()
        self.url = check_url(url)
        self.path = redact(self.url)
        self.tamper: audit.Finding | None = None
        self._verified_state: tuple[Any, ...] | None = None  # audit.state after the last clean walk
        self._marks: dict[str, tuple[int, str]] | None = None  # audit.marks then: where an incremental walk starts
        self._below: tuple[Any, ...] | None = None  # the rows up to the marks then: count and newest version
        _pool(self.url)
        self.verify(full=full_on_open)

    # -- plumbing -------------------------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[PgCon]:
        try:
            with _pool(self.url).connection(timeout=settings.db_wait_seconds()) as raw:
                yield PgCon(raw)
        except (PoolTimeout, psycopg.Error) as exc:
            raise db_error(exc, self.url) from exc

    @staticmethod
    @contextmanager
    def _tx(con: PgCon) -> Iterator[None]:
        """One write transaction under :data:`WRITE_LOCK`: COMMIT at the end, ROLLBACK on any exception."""
        con.execute("BEGIN")
        try:
            con.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))
            yield
        except BaseException:
            if con.in_transaction and not con.raw.closed:
                con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def _check_version(self, con: PgCon) -> None:
        found = schema_version(con.raw)
        if found != PG_SCHEMA_VERSION:
            raise ParkmapError(f"数据库 {self.path} 的结构版本已变为 {found}（本程序写第 {PG_SCHEMA_VERSION} 版），拒绝写入，未作任何改动",
                               f"The database {self.path} is now schema version {found} (this program writes version "
                               f"{PG_SCHEMA_VERSION}); refusing to write, nothing was changed",
                               "升级 parkmap 后重试 / upgrade parkmap and retry", code="db-version")

    @staticmethod
    def _rows_below(con: PgCon, marks: dict[str, tuple[int, str]]) -> tuple[Any, ...]:
        """Per table, the rows up to its mark: how many, and the newest row version (``xmin``).

        An UPDATE or DELETE of any of them (possible only for a superuser bypassing the triggers) changes it:
        an updated row gets the updating transaction's id, newer than every row written before.
        """
        return tuple(tuple(con.execute(f"SELECT COUNT(*), MAX(xmin::text::bigint) FROM {t} WHERE id <= ?",
                                       (marks[t][0],)).fetchone() or ()) for t in audit.TABLES)

    def _remember(self, con: PgCon) -> None:
        """After a clean walk or this object's own write (inside its snapshot): the state to compare with later."""
        self._verified_state = audit.state(con)
        self._marks = audit.marks(con)
        self._below = self._rows_below(con, self._marks)

    def _walk_changes(self, con: PgCon, quick_rows: int) -> audit.Finding | None:
        """What changed since the last clean walk: nothing → the newest ``quick_rows`` rows; only appends (the
        rows up to the marks unchanged) → the appended rows; anything else → every row."""
        if self._verified_state is not None and audit.state(con) == self._verified_state:
            return audit.verify(con, last_n=quick_rows)
        if self._marks is not None and self._rows_below(con, self._marks) == self._below:
            return audit.verify_since(con, self._marks)
        return audit.verify(con, last_n=None)

    @contextmanager
    def _write(self) -> Iterator[PgCon]:
        """A write transaction; refuses when tampered; verifies inside the lock before yielding.

        Other instances' writes since this object's last look are walked
        incrementally (their rows only) when nothing older changed, so a
        busy bureau does not re-walk the whole history on every save.
        """
        self._refuse_if_tampered()
        with self._connect() as con, self._tx(con):
            self._check_version(con)
            found = self._walk_changes(con, WRITE_ROWS)
            if found is not None:
                self.tamper = found
                self._refuse_if_tampered()
            yield con
            self._remember(con)  # held the lock from the walk to the commit: nobody else wrote in between

    def _refuse_if_tampered(self) -> None:
        if self.tamper is not None:
            raise ParkmapError(f"审计记录校验失败，工作区拒绝写入：{self.tamper.zh}（{self.path}）",
                               f"The audit trail failed verification; the workspace refuses to write: "
                               f"{self.tamper.en} ({self.path})",
                               "运行 parkmap audit verify 查看详情，并从数据库备份恢复 / run parkmap audit verify, "
                               "then restore from a database backup", code="workspace-tampered")

    # -- verification ---------------------------------------------------------------------------
    def verify(self, *, full: bool = True) -> audit.Finding | None:
        """Walk the hash chains (all rows, or the newest); None when intact.  A finding refuses writes from then on."""
        with self._connect() as con:
            con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                found = audit.verify(con, last_n=None if full else QUICK_ROWS)
                if found is None and full:
                    self._remember(con)
            finally:
                con.execute("ROLLBACK")
        if found is not None:
            self.tamper = found
        return found

    def verify_if_changed(self) -> audit.Finding | None:
        """:attr:`tamper`, after walking what changed since this object's last clean look (every app rerun).

        Nothing written: one cheap state query.  Only appends by others:
        their rows.  Anything else (an older row edited or deleted): every row.
        """
        if self.tamper is None:
            with self._connect() as con:
                con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                try:
                    if self._verified_state is None or audit.state(con) != self._verified_state:
                        found = self._walk_changes(con, QUICK_ROWS)
                        if found is None:
                            self._remember(con)
                        else:
                            self.tamper = found
                finally:
                    con.execute("ROLLBACK")
        return self.tamper

    def integrity_check(self) -> str:
        """``"ok"`` when the server answers; page-level checks are the server's (``amcheck``, ``pg_checksums``)."""
        with self._connect() as con:
            con.execute("SELECT 1").fetchone()
        return "ok"

    def backup(self, dest: Any) -> Any:
        """Not here: a PostgreSQL workspace is backed up with ``pg_dump`` and PITR (``docs/deploy.md``)."""
        raise ParkmapError("数据库工作区请用 pg_dump（及 WAL 归档）备份，见 docs/deploy.md",
                           "back up a database workspace with pg_dump (and WAL archiving); see docs/deploy.md",
                           code="usage")


__all__ = ["PgCon", "PgStore", "QUICK_ROWS", "WRITE_LOCK", "WRITE_ROWS", "close_pools", "qmark_to_pyformat"]
