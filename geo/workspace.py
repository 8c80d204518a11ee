"""Saved proposals, checks, accounts and the audit trail.

One SQLite file, ``$PARKMAP_HOME/workspace.sqlite`` (``PARKMAP_HOME`` defaults
to ``~/.parkmap``), in WAL mode; the folder is ``0700`` and the file ``0600``
(readable by its owner only).

Opening
    Before anything is created or altered the file is inspected read-only:
    ``PRAGMA quick_check`` (a damaged file is refused, naming the path and how
    to restore from a backup) and ``schema_version`` (a newer or unknown
    version is refused and the file left byte-identical).  A version-1 file is
    migrated in one transaction.  Then a quick audit verify
    (:func:`geo.audit.verify` on the triggers, counters and newest rows), or
    a full one with ``full_on_open=True``; on a mismatch the workspace stays
    readable but refuses every write (:attr:`Workspace.tamper`).
    ``create=False`` opens an existing workspace only (read-only commands):
    without one it creates nothing and says so.

Verifying while in use
    A full walk reads every row (about 1 s for 2,000 checks, 220 MB), so it is
    not repeated on every write.  Each object remembers the file's state
    (size, times and inode of the file and its WAL) after its last clean full
    walk.  :meth:`Workspace.verify_if_changed` walks again only when that
    state changed; each write re-checks the schema version, then inside its
    transaction walks everything when the file changed since (another
    process wrote, or someone edited it), else the newest rows.  After its
    own commit, an object counts the file as still verified when nobody else
    wrote meanwhile (:func:`geo.audit.state` unchanged).

Records (all append-only, hash-chained: :mod:`geo.audit`)
    * ``proposals``: name, zone, options, source, geometry (WKB + GeoJSON,
      lon/lat EPSG:4490), geodesic area, who and when;
    * ``checks``: inputs, geometry, layer and rule hashes, the whole result
      document; an override is a new row pointing at the check it amends;
    * ``events``: every save, check, override, deletion, restore, report, layer
      import, login and account change, with the user and role;
    * ``users``: accounts; a password change or disabling is a new row.

Durability
    Every write is one ``BEGIN IMMEDIATE`` transaction with
    ``synchronous=FULL``: a crash or error leaves nothing half-written.
    A proposal and its check are saved together (:meth:`Workspace.save_checked`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from geo import audit
from geo.area import geodesic_area_m2
from geo.auth import Actor, local_actor
from geo.clock import now_iso
from geo.errors import ParkmapError

#: Environment variable naming the workspace folder.
HOME_ENV = "PARKMAP_HOME"
DB_NAME = "workspace.sqlite"
SCHEMA_VERSION = audit.SCHEMA_VERSION
BUSY_TIMEOUT_MS = 30_000
#: Rows per table re-hashed by the quick verify on open.
QUICK_ROWS = 20
#: Rows per table re-hashed inside a write when the file is unchanged since this object's last full walk.
WRITE_ROWS = 3

_RESTORE_HINT = ("从备份恢复：停止程序，把最近的备份（parkmap backup 生成）复制为该文件 / restore from a backup: stop "
                 "parkmap and copy your latest backup (made with parkmap backup) over this file")


#: Events that only their own (permission-checked) operation may write, never :meth:`Workspace.record`.
_OWN_METHOD = frozenset({"save_proposal", "check", "override", "delete", "restore", "migrate", "migrate_link",
                         "login_failed", "user_add", "user_passwd", "user_disable", "user_enable"})
#: What :meth:`Workspace.save_check` may record.
CHECK_KINDS = ("check", "override")


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
    created_by: str = ""
    created_role: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "zone_id": self.zone_id, "options": self.options,
                "source": self.source, "geometry": mapping(self.geometry), "area_m2": self.area_m2,
                "created_at": self.created_at, "created_by": self.created_by, "created_role": self.created_role,
                "deleted": self.deleted, "deleted_at": self.deleted_at}


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
    created_by: str = ""
    created_role: str = ""

    def to_result(self):
        """The stored document as a :class:`geo.check.CheckResult`."""
        from geo.check import CheckResult

        try:
            return CheckResult.from_dict(self.result)
        except (KeyError, TypeError, ValueError) as exc:
            raise ParkmapError(f"核查记录 #{self.id} 的内容无法读取（{type(exc).__name__}）",
                               f"Check record #{self.id} cannot be read ({type(exc).__name__})",
                               _RESTORE_HINT, code="workspace-damaged") from exc


@dataclass(frozen=True)
class SaveItem:
    """One proposal and its check, for :meth:`Workspace.save_checked`."""

    name: str
    geometry: BaseGeometry
    zone_id: str
    result: Any
    options: dict[str, Any] | None = None
    source: str = ""


def _db_error(path: Path, exc: BaseException) -> ParkmapError:
    """A workspace error naming the file and the cause (read-only, full disk, locked, damaged)."""
    text = str(exc)
    low = text.lower()
    if "readonly" in low or "read-only" in low or isinstance(exc, PermissionError):
        zh, en = "工作区文件只读，无法写入", "the workspace is read-only"
        hint = f"检查 {path} 及其文件夹的写权限 / check write permission on {path} and its folder"
    elif "disk is full" in low or "no space" in low:
        zh, en = "磁盘已满，无法写入工作区", "the disk is full"
        hint = "清理磁盘空间后重试 / free disk space and retry"
    elif "locked" in low or "busy" in low:
        zh, en = "工作区被其他程序长时间占用", "the workspace is locked by another program"
        hint = "稍后重试 / retry in a moment"
    elif "not a database" in low or "malformed" in low or "corrupt" in low:
        return ParkmapError(f"工作区文件已损坏：{path}", f"workspace damaged: {path}", _RESTORE_HINT,
                            code="workspace-damaged")
    else:
        zh, en, hint = "工作区读写失败", "the workspace could not be read or written", None
    return ParkmapError(f"{zh}：{path}（{text}）", f"{en}: {path} ({text})", hint, code="workspace")


class Workspace:
    """Saved proposals, checks, accounts and events in ``<home>/workspace.sqlite``.

    Parameters
    ----------
    home : str or Path, optional
        Folder of the workspace; default :func:`default_home`.  Created
        (mode 0700) if needed.
    create : bool
        False: open an existing workspace only.  Without one (no file, or an
        empty one), raise ``not-found`` naming the path, and create nothing
        (no folder, no file, no mode change).  For read-only commands.  A
        version-1 file is still migrated, as by any open.
    full_on_open : bool
        Walk every row on open instead of the newest (commands that write).

    Attributes
    ----------
    tamper : geo.audit.Finding or None
        What a verify found (on open, before a write, or reading a record
        whose hash is wrong); while set, every write is refused.

    Notes
    -----
    Writes take ``actor`` (:class:`geo.auth.Actor`).  Without one, the OS user
    acts with every permission, which is allowed only while no account exists
    (the single-user default); once accounts exist, a write without an actor
    is refused.
    """

    def __init__(self, home: str | Path | None = None, *, create: bool = True, full_on_open: bool = False) -> None:
        self.home = Path(home).expanduser() if home is not None else default_home()
        self.path = self.home / DB_NAME
        self._create = bool(create)
        self.tamper: audit.Finding | None = None
        self._verified_stamp: tuple[Any, ...] | None = None  # file state after the last clean full walk
        if not self._create and not self._file_exists():
            raise self._not_found()
        try:
            self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
            if self.home.stat().st_uid == os.getuid() and stat.S_IMODE(self.home.stat().st_mode) & 0o077:
                os.chmod(self.home, 0o700)
        except OSError as exc:
            raise ParkmapError(f"无法创建工作区文件夹 {self.home}：{exc.strerror}",
                               f"Cannot create the workspace folder {self.home}: {exc.strerror}",
                               f"设置环境变量 {HOME_ENV} / set {HOME_ENV}", code="workspace") from exc
        version = self._inspect()
        if version is None and not self._create:  # an empty file: no workspace yet either
            raise self._not_found()
        if version != SCHEMA_VERSION:
            self._create_or_migrate()
        self._private()
        if self._create:
            self._add_indexes()
        try:
            self.verify(full=full_on_open)
        except sqlite3.Error as exc:
            raise _db_error(self.path, exc) from exc

    def _file_exists(self) -> bool:
        try:
            self.path.lstat()
        except (FileNotFoundError, NotADirectoryError):
            return False
        return True

    def _not_found(self) -> ParkmapError:
        return ParkmapError(f"还没有工作区：{self.path}", f"no workspace yet at {self.path}",
                            f"先保存一个方案，或设置 {HOME_ENV} 指向已有的工作区文件夹 / save a proposal first, or set "
                            f"{HOME_ENV} to the folder of an existing workspace", code="not-found")

    def _add_indexes(self) -> None:
        """Indexes added to the layout since files of it existed (:data:`geo.audit.ADDED_INDEXES`), if missing.

        Not a change to any table; a file that cannot be written (read-only) goes without them.
        """
        with self._connect() as con:
            have = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
            missing = [sql for name, sql in audit.ADDED_INDEXES.items() if name not in have]
            if missing:
                try:
                    with self._tx(con):
                        for sql in missing:
                            con.execute(sql)
                except sqlite3.OperationalError:
                    pass  # read-only file or folder: only look-ups are slower

    # -- opening --------------------------------------------------------------------------------
    def _inspect(self) -> int | None:
        """Read-only look before writing: damaged → refuse; newer/unknown → refuse; else the version."""
        try:
            st = self.path.lstat()
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(st.st_mode):
            raise ParkmapError(f"工作区不是普通文件：{self.path}", f"The workspace is not a regular file: {self.path}",
                               "移走它后重试 / move it away and retry", code="workspace")
        if st.st_size == 0:
            return None
        try:
            con = sqlite3.connect(audit.ro_uri(self.path), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.Error as exc:
            raise _db_error(self.path, exc) from exc
        try:
            ok = str(con.execute("PRAGMA quick_check").fetchone()[0])
            if ok != "ok":
                raise ParkmapError(f"工作区文件已损坏：{self.path}（{ok[:200]}）", f"workspace damaged: {self.path} ({ok[:200]})",
                                   _RESTORE_HINT, code="workspace-damaged")
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables:
                return None
            row = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() if "meta" in tables else None
        except sqlite3.DatabaseError as exc:
            raise _db_error(self.path, exc) from exc
        finally:
            con.close()
        version = int(row[0]) if row is not None and str(row[0]).isdigit() else None
        if version not in (1, SCHEMA_VERSION):
            newer = version is not None and version > SCHEMA_VERSION
            raise ParkmapError(
                f"工作区 {self.path} 的版本（{row[0] if row else '未知'}）" + ("比本程序新" if newer else "无法识别") + "，未作任何改动",
                f"The workspace {self.path} has " + ("a newer" if newer else "an unknown")
                + f" version ({row[0] if row else 'none'}); it was left untouched",
                "升级 parkmap，或设置 PARKMAP_HOME 使用另一个文件夹 / upgrade parkmap, or set PARKMAP_HOME to another folder",
                code="workspace-version")
        return version

    def _create_or_migrate(self) -> None:
        with self._connect() as con:
            self._wal(con)
            with self._tx(con):
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                row = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() \
                    if "meta" in tables else None
                if row is not None and int(row[0]) == SCHEMA_VERSION:
                    return  # another process created it meanwhile
                if row is not None and int(row[0]) == 1:
                    from geo.migrate import migrate_v1

                    migrate_v1(con, local_actor(), _now())
                else:
                    for stmt in _split_sql(audit.TABLES_SQL):
                        con.execute(stmt)
                    con.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                for sql in audit.TRIGGERS.values():
                    con.execute(sql)

    def _private(self) -> None:
        """Owner-only file modes on the workspace and its WAL files."""
        for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            try:
                if p.exists() and p.stat().st_uid == os.getuid() and stat.S_IMODE(p.stat().st_mode) & 0o077:
                    os.chmod(p, 0o600)
            except OSError:
                pass

    # -- plumbing -------------------------------------------------------------------------------
    @staticmethod
    def _wal(con: sqlite3.Connection, attempts: int = 60) -> None:
        """Switch to WAL, retrying while another process holds the lock (its busy handler does not wait)."""
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
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A new file is created owner-only here; SQLite gives its -wal, -shm and -journal files the database
        # file's mode.  (Not os.umask: it is process-wide, and two threads switching it can leave it changed.)
        if not self._create and not self._file_exists():  # removed since opening: do not make an empty one
            raise self._not_found()
        try:
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600))
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except OSError as exc:
            raise _db_error(self.path, exc) from exc
        except sqlite3.Error as exc:
            raise _db_error(self.path, exc) from exc
        con.text_factory = audit.lenient_text  # a row holding bytes that are not UTF-8 reads (and verifies as edited)
        try:
            con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA synchronous=FULL")
            con.execute("PRAGMA foreign_keys=ON")
            yield con
        except sqlite3.Error as exc:
            raise _db_error(self.path, exc) from exc
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
            if con.in_transaction:  # SQLite has already rolled back after e.g. a full disk; keep that error
                con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def _stamp(self) -> tuple[Any, ...]:
        """The file's state as the file system tells it: inode, size, modification and change times of the
        workspace file and of its WAL (an empty or absent WAL counts as none).  Two ``stat`` calls.

        The change time cannot be set back by a user (``touch`` can only set the modification time).
        """
        out: list[Any] = []
        for p in (self.path, Path(f"{self.path}-wal")):
            try:
                st = os.stat(p)
            except FileNotFoundError:
                out.append(None)
                continue
            out.append(None if p != self.path and st.st_size == 0 else
                       (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
        return tuple(out)

    def _unchanged_since_full_walk(self) -> bool:
        stamp = self._verified_stamp
        return stamp is not None and self._stamp() == stamp

    def _check_version(self, con: sqlite3.Connection) -> None:
        """Inside a write: the file must still be the layout this program writes (a newer parkmap may have
        upgraded it since this object opened it)."""
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None or str(row[0]) != str(SCHEMA_VERSION):
            found = row[0] if row else "none"
            raise ParkmapError(f"工作区 {self.path} 的版本已变为 {found}（本程序写第 {SCHEMA_VERSION} 版），拒绝写入，未作任何改动",
                               f"The workspace {self.path} is now version {found} (this program writes version "
                               f"{SCHEMA_VERSION}); refusing to write, nothing was changed",
                               "升级 parkmap 后重试 / upgrade parkmap and retry", code="workspace-version")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; refuses when tampered or when the file is no longer this program's version.

        Inside the transaction (the write lock held) it verifies first: every row when the file changed since
        this object's last clean full walk (another process wrote, or someone edited it), else the newest
        :data:`WRITE_ROWS` rows of each table plus the triggers, counters and links.  After the commit the
        file counts as still verified when nobody else wrote in between.
        """
        self._refuse_if_tampered()
        with self._connect() as con, self._tx(con):
            self._check_version(con)
            known = self._unchanged_since_full_walk()
            found = audit.verify(con, last_n=WRITE_ROWS if known else None)
            if found is not None:
                self.tamper = found
                self._refuse_if_tampered()
            yield con  # the file before this write is as verified by a full walk (now or earlier)
            mine = audit.state(con)
        self._verified_stamp = None
        stamp = self._stamp()
        try:
            with self._connect() as con:
                if audit.state(con) == mine:  # nobody else wrote since the commit: still the file we know
                    self._verified_stamp = stamp
        except (ParkmapError, sqlite3.Error):
            pass  # the write is committed; the next write or verify_if_changed walks everything

    def _refuse_if_tampered(self) -> None:
        if self.tamper is not None:
            raise ParkmapError(f"审计记录校验失败，工作区拒绝写入：{self.tamper.zh}（{self.path}）",
                               f"The audit trail failed verification; the workspace refuses to write: "
                               f"{self.tamper.en} ({self.path})",
                               "运行 parkmap audit verify 查看详情，并从备份恢复 / run parkmap audit verify, "
                               "then restore from a backup", code="workspace-tampered")

    def has_accounts(self) -> bool:
        """Does any account exist (then every write needs a logged-in actor)?"""
        with self._connect() as con:
            return con.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def actor_or_default(self, actor: Actor | None) -> Actor:
        """``actor``, or the OS user while no account exists; else a ``login`` error."""
        if actor is not None:
            return actor
        if self.has_accounts():
            raise ParkmapError("需要登录：本工作区已设置账号", "Login required: this workspace has accounts",
                               "在命令行加 --user 账号名 / pass --user NAME", code="login")
        return local_actor()

    def _event(self, con: sqlite3.Connection, actor: Actor, action: str, proposal_id: int | None = None,
               check_id: int | None = None, detail: dict[str, Any] | None = None) -> int:
        """Append one event; its detail also records how the actor was identified (``via``)."""
        detail = dict(detail or {}) | {"via": actor.via}
        values = {"at": _now(), "user": actor.name, "role": actor.role, "action": action,
                  "proposal_id": proposal_id, "check_id": check_id, "detail_json": _dumps(detail)}
        return audit.append(con, "events", values)[0]

    def record(self, action: str, *, actor: Actor | None = None, proposal_id: int | None = None,
               check_id: int | None = None, detail: dict[str, Any] | None = None,
               permission: str | None = None) -> int:
        """Append one audit event (a report written, layers imported…); returns its id.

        ``permission`` (an action of :data:`geo.auth.ROLES`) is checked first when given.
        """
        if action in _OWN_METHOD:  # a "delete" written here would hide anyone's proposal, unchecked
            raise ParkmapError(f"审计事件 {action} 只能由对应的操作写入", f"The audit event {action} is written by its own "
                               "operation only", code="usage")
        who = self.actor_or_default(actor)
        if permission:
            who.require(permission)
        with self._write() as con:
            return self._event(con, who, action, proposal_id, check_id, detail)

    # -- proposals ------------------------------------------------------------------------------
    def _insert_proposal(self, con: sqlite3.Connection, who: Actor, name: str, geom: BaseGeometry, zone_id: str,
                         options: dict[str, Any] | None, source: str) -> int:
        from geo.check import prepare_proposal_geometry

        geom, _ = prepare_proposal_geometry(geom)
        if not str(name or "").strip():
            raise ParkmapError("方案名称不能为空", "The proposal needs a name", code="workspace")
        values = {"name": str(name).strip(), "zone_id": str(zone_id), "options_json": _dumps(options or {}),
                  "source": str(source or ""), "geom_wkb": shapely.to_wkb(geom), "geom_geojson": _dumps(mapping(geom)),
                  "area_m2": float(geodesic_area_m2(geom)), "created_at": _now(), "created_by": who.name,
                  "created_role": who.role}
        pid, digest = audit.append(con, "proposals", values)
        self._event(con, who, "save_proposal", pid, None, {"name": values["name"], "zone_id": values["zone_id"],
                                                           "source": values["source"], "proposal_hash": digest})
        return pid

    def save_proposal(self, name: str, geom: BaseGeometry, zone_id: str, options: dict[str, Any] | None = None,
                      source: str = "", *, actor: Actor | None = None) -> int:
        """Store a proposal (without a check); returns its id.

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
        actor : geo.auth.Actor, optional
            Needs the ``save`` permission.
        """
        who = self.actor_or_default(actor)
        who.require("save")
        with self._write() as con:
            return self._insert_proposal(con, who, name, geom, zone_id, options, source)

    def save_checked(self, items: Sequence[SaveItem], *, actor: Actor | None = None) -> list[tuple[int, int]]:
        """Save proposals with their checks in ONE transaction: all or nothing.

        Rules a reviewer overrode before the first save are recorded as
        ``override`` events (rule, original and new status, reason).

        Returns
        -------
        list of (proposal_id, check_id)
        """
        who = self.actor_or_default(actor)
        who.require("save")
        out = []
        with self._write() as con:
            for item in items:
                pid = self._insert_proposal(con, who, item.name, item.geometry, item.zone_id, item.options, item.source)
                cid = self._insert_check(con, who, pid, item.result, None, None, None, "check")
                out.append((pid, cid))
        return out

    def list_proposals(self, include_deleted: bool = False) -> pd.DataFrame:
        """One row per proposal with its latest check and state.

        Columns: id, name, zone_id, source, area_m2, created_at, created_by,
        created_role, deleted, deleted_at, deleted_by, n_checks, last_check_id,
        last_verdict, last_checked_at, last_checked_by.
        """
        sql = """
            SELECT p.id, p.name, p.zone_id, p.source, p.area_m2, p.created_at, p.created_by, p.created_role,
                   COALESCE(d.action = 'delete', 0) AS deleted,
                   CASE WHEN d.action = 'delete' THEN d.at END AS deleted_at,
                   CASE WHEN d.action = 'delete' THEN d.user END AS deleted_by,
                   (SELECT COUNT(*) FROM checks c WHERE c.proposal_id = p.id) AS n_checks,
                   c.id AS last_check_id, c.verdict AS last_verdict, c.created_at AS last_checked_at,
                   c.created_by AS last_checked_by
            FROM proposals p
            LEFT JOIN checks c ON c.id = (SELECT MAX(id) FROM checks WHERE proposal_id = p.id)
            LEFT JOIN events d ON d.id = (SELECT MAX(id) FROM events WHERE proposal_id = p.id
                                          AND action IN ('delete', 'restore'))
        """
        sql = f"SELECT * FROM ({sql})" + ("" if include_deleted else " WHERE deleted = 0") + " ORDER BY id"
        with self._connect() as con:
            df = pd.read_sql_query(sql, con)
        df["deleted"] = df["deleted"].astype(bool)
        return df

    def _verified_row(self, con: sqlite3.Connection, table: str, row_id: int) -> dict[str, Any] | None:
        values, found = audit.verify_row(con, table, row_id)  # own hash, next row's link, the events' record
        if found is not None:
            self.tamper = found  # and from now on this object refuses to write
            raise ParkmapError(f"{table} 表第 {row_id} 条记录与其校验值不符（被改动），拒绝读取：{found.zh}（{self.path}）",
                               f"{table} row #{row_id} does not match its hash (edited); refusing to read it: "
                               f"{found.en} ({self.path})", _RESTORE_HINT, code="workspace-tampered")
        return values

    def get_proposal(self, proposal_id: int) -> SavedProposal:
        """The stored proposal (also when soft-deleted); its row hash is verified first.

        Raises
        ------
        ParkmapError
            ``code="not-found"`` for an unknown id, ``workspace-tampered`` for
            an edited row, ``workspace-damaged`` for unreadable content.
        """
        with self._connect() as con:
            v = self._verified_row(con, "proposals", proposal_id)
            state = con.execute("SELECT action, at FROM events WHERE proposal_id = ? AND action IN ('delete','restore') "
                                "ORDER BY id DESC LIMIT 1", (int(proposal_id),)).fetchone()
        if v is None:
            raise ParkmapError(f"没有编号为 {proposal_id} 的方案", f"No proposal with id {proposal_id}", code="not-found")
        deleted = state is not None and state[0] == "delete"
        return SavedProposal(id=v["id"], name=v["name"], zone_id=v["zone_id"],
                             options=_loads(v["options_json"], "proposals", v["id"]), source=v["source"],
                             geometry=shapely.from_wkb(v["geom_wkb"]), area_m2=v["area_m2"],
                             created_at=v["created_at"], deleted=deleted, deleted_at=state[1] if deleted else None,
                             created_by=v["created_by"], created_role=v["created_role"])

    def _set_deleted(self, proposal_id: int, deleted: bool, actor: Actor | None) -> None:
        who = self.actor_or_default(actor)
        prop = self.get_proposal(proposal_id)
        verb = "delete" if deleted else "restore"
        own = prop.created_by == who.name
        if deleted or not own:
            who.require(f"{verb}_own" if own else f"{verb}_any")
        with self._write() as con:
            if not deleted and own:  # decided inside the transaction: a delete made meanwhile counts
                by = con.execute("SELECT user FROM events WHERE proposal_id = ? AND action = 'delete' "
                                 "ORDER BY id DESC LIMIT 1", (int(proposal_id),)).fetchone()
                # Their own proposal, but hidden by someone else (a reviewer): undoing that needs restore_any.
                who.require("restore_own" if by is None or by[0] == who.name else "restore_any")
            self._event(con, who, verb, int(proposal_id), None, {"name": prop.name})

    def soft_delete(self, proposal_id: int, *, actor: Actor | None = None) -> None:
        """Hide a proposal from :meth:`list_proposals` (a ``delete`` event; nothing is removed)."""
        self._set_deleted(proposal_id, True, actor)

    def restore(self, proposal_id: int, *, actor: Actor | None = None) -> None:
        """Undo :meth:`soft_delete` (a ``restore`` event).

        ``restore_own`` covers a proposal of one's own that one deleted oneself;
        a proposal deleted by someone else (e.g. a reviewer) needs ``restore_any``.
        """
        self._set_deleted(proposal_id, False, actor)

    # -- checks ---------------------------------------------------------------------------------
    def _insert_check(self, con: sqlite3.Connection, who: Actor, proposal_id: int, result: Any,
                      layer_hashes: dict[str, str] | None, rules_hash: str | None, parent_check_id: int | None,
                      kind: str) -> int:
        if kind not in CHECK_KINDS:
            raise ParkmapError(f"核查记录类型无效：{str(kind)[:40]}", f"Invalid check kind: {str(kind)[:40]}",
                               "可选 check、override / use check or override", code="usage")
        doc = result.to_dict(include_geometries=True) if hasattr(result, "to_dict") else dict(result)
        if con.execute("SELECT 1 FROM proposals WHERE id = ?", (int(proposal_id),)).fetchone() is None:
            raise ParkmapError(f"没有编号为 {proposal_id} 的方案", f"No proposal with id {proposal_id}", code="not-found")
        inherited: set[tuple[Any, ...]] = set()
        if parent_check_id is not None:
            parent = self._verified_row(con, "checks", int(parent_check_id))
            if parent is None or int(parent["proposal_id"]) != int(proposal_id):
                raise ParkmapError(f"核查记录 {parent_check_id} 不是方案 {proposal_id} 的",
                                   f"Check {parent_check_id} is not a check of proposal {proposal_id}", code="usage")
            inherited = {_override_key(r) for r in _loads(parent["result_json"], "checks", parent["id"]).get("rules") or []
                         if isinstance(r, dict) and r.get("override_reason")}
        new_overrides = [r for r in doc.get("rules") or [] if r.get("override_reason") and _override_key(r) not in inherited]
        if new_overrides:  # an override not carried over from the parent needs the permission, whatever the kind
            who.require("override")
        if layer_hashes is None:
            layer_hashes = {k: v.get("hash", "") for k, v in (doc.get("layers") or {}).items()}
        if rules_hash is None:
            rules_hash = doc.get("rules_hash", "")
        geom = doc.get("geometry")
        inputs = {"zone_id": (doc.get("zone") or {}).get("zone_id"), "type": doc.get("type"),
                  "chemical": doc.get("chemical"), "major_project": doc.get("major_project"),
                  "name": doc.get("name"), "removed": (doc.get("geometries") or {}).get("removed")}
        values = {"proposal_id": int(proposal_id), "parent_check_id": parent_check_id, "kind": kind,
                  "created_at": _now(), "created_by": who.name, "created_role": who.role, "verdict": doc["verdict"],
                  "inputs_json": _dumps(inputs), "geom_wkb": shapely.to_wkb(shape(geom)) if geom else None,
                  "geom_geojson": _dumps(geom) if geom else None, "layer_hashes_json": _dumps(layer_hashes),
                  "rules_hash": str(rules_hash), "result_json": _dumps(doc)}
        cid, digest = audit.append(con, "checks", values)
        self._event(con, who, kind, int(proposal_id), cid, {"verdict": doc["verdict"], "parent_check_id": parent_check_id,
                                                             "check_hash": digest, "repair": doc.get("repair")})
        if kind == "check":  # overrides made before this save: one event each
            for r in new_overrides:
                self._event(con, who, "override", int(proposal_id), cid,
                            {"rule": r.get("id"), "original_status": r.get("original_status"),
                             "status": r.get("status"), "reason": r.get("override_reason"),
                             "overridden_at": r.get("overridden_at"), "before_save": True})
        return cid

    def save_check(self, proposal_id: int, result: Any, layer_hashes: dict[str, str] | None = None,
                   rules_hash: str | None = None, *, parent_check_id: int | None = None, kind: str = "check",
                   actor: Actor | None = None) -> int:
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
            Anything else is refused (``usage``).
        actor : geo.auth.Actor, optional
            Needs ``check``; ``override`` for an override, and for any result
            carrying an overridden rule that the parent check does not already
            carry, whatever ``kind`` says.
        """
        if kind not in CHECK_KINDS:
            raise ParkmapError(f"核查记录类型无效：{str(kind)[:40]}", f"Invalid check kind: {str(kind)[:40]}",
                               "可选 check、override / use check or override", code="usage")
        who = self.actor_or_default(actor)
        who.require("override" if kind == "override" else "check")
        with self._write() as con:
            return self._insert_check(con, who, proposal_id, result, layer_hashes, rules_hash, parent_check_id, kind)

    def save_override(self, check_id: int, rule_id: str, new_status: str, reason: str, *,
                      actor: Actor | None = None) -> int:
        """Override one rule of a stored check: a new check row (kind ``override``) with the original kept."""
        from geo.check import apply_override

        who = self.actor_or_default(actor)
        who.require("override")
        base = self.get_check(check_id)
        new = apply_override(base.to_result(), rule_id, new_status, reason)
        return self.save_check(base.proposal_id, new, base.layer_hashes, base.rules_hash,
                               parent_check_id=base.id, kind="override", actor=who)

    def _check_from_values(self, v: dict[str, Any]) -> SavedCheck:
        cid = v["id"]
        return SavedCheck(id=cid, proposal_id=v["proposal_id"], parent_check_id=v["parent_check_id"], kind=v["kind"],
                          created_at=v["created_at"], verdict=v["verdict"],
                          inputs=_loads(v["inputs_json"], "checks", cid),
                          geometry=shapely.from_wkb(v["geom_wkb"]) if v["geom_wkb"] is not None else None,
                          layer_hashes=_loads(v["layer_hashes_json"], "checks", cid), rules_hash=v["rules_hash"],
                          result=_loads(v["result_json"], "checks", cid), created_by=v["created_by"],
                          created_role=v["created_role"])

    def checks_for(self, proposal_id: int) -> list[SavedCheck]:
        """All checks of a proposal, oldest first (each row's hash verified)."""
        with self._connect() as con:
            ids = [r[0] for r in con.execute("SELECT id FROM checks WHERE proposal_id = ? ORDER BY id",
                                             (int(proposal_id),))]
            rows = [self._verified_row(con, "checks", i) for i in ids]
        return [self._check_from_values(v) for v in rows if v is not None]

    def get_check(self, check_id: int) -> SavedCheck:
        """One check record (its row hash verified first)."""
        with self._connect() as con:
            v = self._verified_row(con, "checks", check_id)
        if v is None:
            raise ParkmapError(f"没有编号为 {check_id} 的核查记录", f"No check with id {check_id}", code="not-found")
        return self._check_from_values(v)

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

    # -- audit ----------------------------------------------------------------------------------
    def events(self) -> pd.DataFrame:
        """The audit log (append-only): id, at, user, role, action, proposal_id, check_id, detail_json."""
        with self._connect() as con:
            return pd.read_sql_query("SELECT id, at, user, role, action, proposal_id, check_id, detail_json "
                                     "FROM events ORDER BY id", con)

    def verify(self, *, full: bool = True) -> audit.Finding | None:
        """Walk the hash chains (all rows, or the quick check); None when intact.

        A finding also makes this object refuse writes (:attr:`tamper`).  A
        clean full walk during which the file did not change is remembered
        (:meth:`verify_if_changed`).
        """
        before = self._stamp() if full else None
        with self._connect() as con:
            found = audit.verify(con, last_n=None if full else QUICK_ROWS)
        if found is not None:
            self.tamper = found
        elif full:
            self._verified_stamp = before if self._stamp() == before else None
        return found

    def verify_if_changed(self) -> audit.Finding | None:
        """:attr:`tamper`, after a full walk if the file changed since this object's last clean one.

        Cheap when nothing changed (two ``stat`` calls), so it can run on every
        rerun of the app: an edit of an old row is then seen at the next
        rerun, also while this process keeps writing.  Any write by another
        process, or a checkpoint of the WAL, counts as a change.
        """
        if self.tamper is None and not self._unchanged_since_full_walk():
            self.verify(full=True)
        return self.tamper

    def head(self) -> tuple[int, str]:
        """The audit chain head ``(event id, hash)`` (:func:`geo.audit.chain_head`)."""
        with self._connect() as con:
            return audit.chain_head(con)

    def check_head(self, event_id: int, digest: str) -> audit.Finding | None:
        """Does event ``event_id`` still carry ``digest`` (as printed on a report)?"""
        with self._connect() as con:
            return audit.check_head(con, event_id, digest)

    def integrity_check(self) -> str:
        """SQLite ``PRAGMA integrity_check`` (``"ok"`` when healthy)."""
        with self._connect() as con:
            return str(con.execute("PRAGMA integrity_check").fetchone()[0])

    def backup(self, dest: str | Path) -> Path:
        """An online copy (SQLite backup API) at ``dest``, then verified; returns the path.

        ``dest`` may be a folder (the file is named ``workspace-<time>.sqlite``)
        or a new file; an existing file is never overwritten.  The copy is
        ``0600``, passes ``integrity_check`` and a full audit verify, and its
        chain head equals the source's at the time of the copy.
        """
        from geo.backup import backup_to

        return backup_to(self, Path(dest))


def _override_key(rule: dict[str, Any]) -> tuple[Any, ...]:
    """One override as carried by a rule row: the same override when copied from the parent check."""
    return (rule.get("id"), rule.get("status"), rule.get("original_status"), rule.get("override_reason"),
            rule.get("overridden_at"))


def _loads(text: str, table: str, row_id: int) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ParkmapError(f"工作区记录 {table} #{row_id} 的内容无法解析", f"Workspace record {table} #{row_id} cannot be parsed",
                           _RESTORE_HINT, code="workspace-damaged") from exc


def _split_sql(script: str) -> list[str]:
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


__all__ = ["DB_NAME", "HOME_ENV", "SaveItem", "SavedCheck", "SavedProposal", "Workspace", "default_home"]
