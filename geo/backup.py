"""``parkmap backup``: an online, verified copy of the workspace.

Uses SQLite's backup API (:meth:`sqlite3.Connection.backup`), which copies a
consistent snapshot while other sessions keep reading and writing.  The copy
is then opened read-only and verified: ``integrity_check``, the schema
version and a full audit-chain walk (:func:`geo.audit.verify`).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Protocol

from geo import audit
from geo.clock import now_iso
from geo.errors import ParkmapError

class WorkspaceFile(Protocol):
    """What a backup needs of a workspace (its file); no import of the workspace module, so no cycle."""

    path: Path


def _create_new(dest: Path) -> Path:
    """Create ``dest`` empty, owner-only, failing if anything (a file, a symlink) is already there.

    ``O_EXCL`` closes the window between "does it exist?" and SQLite opening
    it, in which a planted symlink would have the copy written over its target.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        os.close(os.open(dest, flags, 0o600))
    except FileExistsError as exc:
        raise ParkmapError(f"备份文件已存在，不会覆盖：{dest}", f"The backup file already exists; not overwriting: {dest}",
                           "换一个文件名或文件夹 / choose another name or folder", code="usage") from exc
    except OSError as exc:
        raise ParkmapError(f"无法创建备份文件 {dest}：{exc.strerror}", f"Cannot create the backup file {dest}: {exc.strerror}",
                           code="workspace") from exc
    return dest


def backup_to(ws: WorkspaceFile, dest: Path) -> Path:
    """Copy ``ws`` to ``dest`` (a folder or a new file) and verify the copy; returns its path.

    The copy must be sound, chain-intact, and its chain head must still be
    an event of the source with the same hash (writes made by others after
    the copy only extend the source).
    """
    dest = Path(dest).expanduser()
    if dest.is_dir():
        stamp = now_iso("seconds").replace(":", "").replace("-", "")[:15]
        folder, n = dest, 1
        dest = folder / f"workspace-{stamp}.sqlite"
        while dest.exists() or dest.is_symlink():  # two backups within one second
            n += 1
            dest = folder / f"workspace-{stamp}-{n}.sqlite"
    if dest.exists() or dest.is_symlink():
        raise ParkmapError(f"备份文件已存在，不会覆盖：{dest}", f"The backup file already exists; not overwriting: {dest}",
                           "换一个文件名或文件夹 / choose another name or folder", code="usage")
    if not dest.parent.is_dir():
        raise ParkmapError(f"备份文件夹不存在：{dest.parent}", f"The backup folder does not exist: {dest.parent}",
                           code="usage")
    _create_new(dest)  # owner-only; SQLite gives its journal the same mode (no process-wide os.umask)
    try:
        src = sqlite3.connect(audit.ro_uri(ws.path), uri=True, timeout=30)
        out = sqlite3.connect(dest)
        try:
            src.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal/-shm beside it
        finally:
            out.close()
            src.close()
    except sqlite3.Error as exc:
        dest.unlink(missing_ok=True)
        raise ParkmapError(f"备份失败：{dest}（{exc}）", f"Backup failed: {dest} ({exc})", code="workspace") from exc
    os.chmod(dest, 0o600)
    problem = verify_file(dest)
    if problem is None:
        con = sqlite3.connect(audit.ro_uri(dest), uri=True)
        try:
            head = audit.chain_head(con)
        finally:
            con.close()
        src = sqlite3.connect(audit.ro_uri(ws.path), uri=True, timeout=30)
        try:
            if head[0] and audit.check_head(src, *head) is not None:
                problem = "链头与工作区不一致 / the chain head differs from the workspace's"
        finally:
            src.close()
    if problem is not None:
        dest.unlink(missing_ok=True)
        raise ParkmapError(f"备份校验失败，已删除：{problem}", f"The backup failed verification and was removed: {problem}",
                           code="workspace")
    return dest


def verify_file(path: Path) -> str | None:
    """None when ``path`` is a sound, chain-intact workspace; else what is wrong (bilingual)."""
    try:
        con = sqlite3.connect(audit.ro_uri(path), uri=True)
    except sqlite3.Error as exc:
        return f"无法打开 / cannot open: {exc}"
    try:
        ok = str(con.execute("PRAGMA integrity_check").fetchone()[0])
        if ok != "ok":
            return f"文件损坏 / damaged: {ok[:200]}"
        row = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None or str(row[0]) != str(audit.SCHEMA_VERSION):
            return "版本不符 / wrong schema version"
        found = audit.verify(con)
        return None if found is None else found.message()
    except sqlite3.Error as exc:
        return f"无法读取 / cannot read: {exc}"
    finally:
        con.close()


__all__ = ["backup_to", "verify_file"]
