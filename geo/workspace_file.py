"""The workspace file: opening it safely, connections, transactions, verification.

The storage layer under :class:`geo.workspace.Workspace` (which adds the
records: proposals, checks, events).  One SQLite file,
``$PARKMAP_HOME/workspace.sqlite`` (``PARKMAP_HOME`` defaults to
``~/.parkmap``), in WAL mode; the folder is ``0700`` and the file ``0600``.

Opening
    Before anything is created or altered the file is inspected read-only:
    ``PRAGMA quick_check`` (a damaged file is refused, naming the path and how
    to restore from a backup) and ``schema_version`` (a newer or unknown
    version is refused and the file left byte-identical).  A version-1 file is
    migrated in one transaction.  Then a quick audit verify
    (:func:`geo.audit.verify` on the triggers, counters and newest rows), or
    a full one with ``full_on_open=True``; on a mismatch the workspace stays
    readable but refuses every write (:attr:`WorkspaceFile.tamper`).
    ``create=False`` opens an existing workspace only (read-only commands):
    without one it creates nothing and says so.

Verifying while in use
    A full walk reads every row (about 1 s for 2,000 checks, 220 MB), so it is
    not repeated on every write.  Each object remembers the file's state
    (size, times and inode of the file and its WAL) after its last clean full
    walk.  :meth:`WorkspaceFile.verify_if_changed` walks again only when that
    state changed; each write re-checks the schema version, then inside its
    transaction walks everything when the file changed since (another
    process wrote, or someone edited it), else the newest rows.  After its
    own commit, an object counts the file as still verified when nobody else
    wrote meanwhile (:func:`geo.audit.state` unchanged).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from geo import audit, settings
from geo.auth import local_actor
from geo.clock import now_iso
from geo.errors import ParkmapError

#: Environment variable naming the workspace folder.
HOME_ENV = settings.HOME_ENV
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


def _now() -> str:
    return now_iso("microseconds")


def default_home() -> Path:
    """``$PARKMAP_HOME`` or ``~/.parkmap`` (:func:`geo.settings.home`)."""
    return settings.home()


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


class WorkspaceFile:
    """The file under a :class:`geo.workspace.Workspace`: safe opening, connections, transactions, verification.

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
                    for stmt in audit.split_sql(audit.TABLES_SQL):
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


__all__ = ["BUSY_TIMEOUT_MS", "DB_NAME", "HOME_ENV", "QUICK_ROWS", "SCHEMA_VERSION", "WRITE_ROWS", "WorkspaceFile", "default_home"]
