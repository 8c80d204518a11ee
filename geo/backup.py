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
from typing import TYPE_CHECKING

from geo import audit
from geo.clock import now_iso
from geo.errors import ParkmapError

if TYPE_CHECKING:
    from geo.workspace import Workspace


def backup_to(ws: Workspace, dest: Path) -> Path:
    """Copy ``ws`` to ``dest`` (a folder or a new file) and verify the copy; returns its path."""
    dest = Path(dest).expanduser()
    if dest.is_dir():
        stamp = now_iso("seconds").replace(":", "").replace("-", "")[:15]
        dest = dest / f"workspace-{stamp}.sqlite"
    if dest.exists() or dest.is_symlink():
        raise ParkmapError(f"备份文件已存在，不会覆盖：{dest}", f"The backup file already exists; not overwriting: {dest}",
                           "换一个文件名或文件夹 / choose another name or folder", code="usage")
    if not dest.parent.is_dir():
        raise ParkmapError(f"备份文件夹不存在：{dest.parent}", f"The backup folder does not exist: {dest.parent}",
                           code="usage")
    old = os.umask(0o077)
    try:
        src = sqlite3.connect(f"file:{ws.path}?mode=ro", uri=True, timeout=30)
        out = sqlite3.connect(dest)
        try:
            src.backup(out)
            head = audit.chain_head(src)
        finally:
            out.close()
            src.close()
    except sqlite3.Error as exc:
        dest.unlink(missing_ok=True)
        raise ParkmapError(f"备份失败：{dest}（{exc}）", f"Backup failed: {dest} ({exc})", code="workspace") from exc
    finally:
        os.umask(old)
    os.chmod(dest, 0o600)
    problem = verify_file(dest)
    if problem is None:
        con = sqlite3.connect(f"file:{dest}?mode=ro", uri=True)
        try:
            if audit.chain_head(con) != head:
                problem = "链头不一致 / chain head differs"
        finally:
            con.close()
    if problem is not None:
        dest.unlink(missing_ok=True)
        raise ParkmapError(f"备份校验失败，已删除：{problem}", f"The backup failed verification and was removed: {problem}",
                           code="workspace")
    return dest


def verify_file(path: Path) -> str | None:
    """None when ``path`` is a sound, chain-intact workspace; else what is wrong (bilingual)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
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
