"""Safe handling of uploaded archives and input size limits.

``safe_extract_zip`` validates the whole archive before writing anything:

* zip-slip: entries with ``..`` components, absolute paths (``/x``, ``C:\\x``,
  ``\\\\server``) or symlinks are refused;
* zip bombs: caps on the number of entries, the total uncompressed size and
  the per-entry compression ratio; the byte count is enforced again while
  streaming, since headers can lie;
* encrypted entries are refused.

:func:`extraction_dir` is the private folder archives are extracted into: it
is removed when the read ends, even on an exception, and folders left by a
process that died (``kill -9``, power cut) are swept at the next extraction.

Entry names without the UTF-8 flag (typical for zips made on Chinese Windows)
are decoded as UTF-8 if valid, else GB18030.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geo.errors import ParkmapError
from geo.io.guard import file_too_large, open_regular, require_regular_file
from geo.limits import CountCaps, proposal_caps

MIB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """Resource limits applied to every read.

    Attributes
    ----------
    max_file_bytes : int
        Largest input file accepted by any reader (default 500 MiB).
    max_uncompressed_bytes : int
        Largest total uncompressed size of an archive (default 200 MiB).
    max_entries : int
        Most entries an archive may hold (default 2000).
    max_compression_ratio : float
        Largest uncompressed/compressed ratio of one entry (default 100).
    ratio_min_bytes : int
        The ratio is only checked for entries at least this large (default
        1 MiB) because tiny, highly repetitive files compress legitimately well.
    caps : CountCaps or None
        Feature and vertex caps per file; None (default) reads the proposal
        caps from the environment at read time (:func:`geo.limits.proposal_caps`).
    """

    max_file_bytes: int = 500 * MIB
    max_uncompressed_bytes: int = 200 * MIB
    max_entries: int = 2000
    max_compression_ratio: float = 100.0
    ratio_min_bytes: int = 1 * MIB
    caps: CountCaps | None = None

    def count_caps(self) -> CountCaps:
        """The feature/vertex caps in force: :attr:`caps`, else those of the environment."""
        return self.caps if self.caps is not None else proposal_caps()


DEFAULT_LIMITS = ReadLimits()

_CHUNK = 1024 * 1024
_WINDOWS_ABS = re.compile(r"^(?:[A-Za-z]:|\\\\|//)")


def _mb(n: float) -> str:
    return f"{n / MIB:.1f} MB"


def check_file_size(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> int:
    """Return the size of ``path`` in bytes, raising if it is not a regular file or exceeds the limit.

    Raises
    ------
    ParkmapError
        ``code="not-found"``, ``"not-regular"`` (device, FIFO, socket, or a
        link to one; checked without opening) or ``"too-large"``.
    """
    size = require_regular_file(path).st_size
    if size > limits.max_file_bytes:
        raise file_too_large(size, limits.max_file_bytes)
    return size


# --------------------------------------------------------------------------
# Extraction folders
# --------------------------------------------------------------------------
#: Name prefix of extraction folders in :func:`tempfile.gettempdir`; followed by the creating process id.
EXTRACT_PREFIX = "parkmap-extract-"
#: Prefixes of folders from older versions (no process id), swept by age alone.
_LEGACY_PREFIXES = ("parkmap-zip-", "parkmap-kmz-")
#: Extraction folders older than this (seconds) whose process is gone are swept.
STALE_AFTER_S = 3600.0


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep
    return True


def _stale_pid(name: str) -> int | None:
    """Process id in an extraction folder name (``parkmap-extract-<pid>-…``); 0 for legacy names; None otherwise."""
    if name.startswith(EXTRACT_PREFIX):
        head = name[len(EXTRACT_PREFIX):].split("-", 1)[0]
        return int(head) if head.isdigit() else None
    return 0 if name.startswith(_LEGACY_PREFIXES) else None


def sweep_stale_extractions(max_age_s: float = STALE_AFTER_S, tmpdir: str | Path | None = None) -> list[Path]:
    """Remove extraction folders left by processes that died.

    A folder is removed when its name has an extraction prefix, it is a real
    folder (not a link) owned by this user, it was last modified more than
    ``max_age_s`` seconds ago, and the process that made it is gone.

    Parameters
    ----------
    max_age_s : float
        Minimum age in seconds (default one hour).
    tmpdir : str or Path, optional
        Folder to sweep (default :func:`tempfile.gettempdir`).

    Returns
    -------
    list of Path
        The folders removed.
    """
    base = Path(tmpdir) if tmpdir is not None else Path(tempfile.gettempdir())
    uid = os.getuid() if hasattr(os, "getuid") else None
    now = time.time()
    removed: list[Path] = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    for entry in entries:
        pid = _stale_pid(entry.name)
        if pid is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or (uid is not None and st.st_uid != uid):
            continue
        if now - st.st_mtime < max_age_s or (pid and _pid_alive(pid)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.lexists(entry.path):
            removed.append(Path(entry.path))
    return removed


@contextmanager
def extraction_dir(kind: str = "zip") -> Iterator[Path]:
    """A private (0700) folder to extract an archive into, removed afterwards even on an exception.

    Stale folders of crashed processes are swept first
    (:func:`sweep_stale_extractions`).  The folder is named
    ``parkmap-extract-<pid>-<kind>-<random>`` in :func:`tempfile.gettempdir`.

    Yields
    ------
    Path
        The resolved folder.
    """
    sweep_stale_extractions()
    path = Path(tempfile.mkdtemp(prefix=f"{EXTRACT_PREFIX}{os.getpid()}-{kind}-")).resolve()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def decode_member_name(info: zipfile.ZipInfo) -> str:
    """Return the entry name, fixing GBK names stored without the UTF-8 flag."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return info.filename


def _slip(name: str, why_zh: str, why_en: str) -> ParkmapError:
    return ParkmapError(
        f"压缩包中的条目 “{name}” {why_zh}，出于安全原因拒绝解压",
        f"Archive entry '{name}' {why_en}; refusing to extract it for safety",
        "请重新打包，只包含普通文件 / re-create the zip with plain files only",
        code="zip-slip",
    )


def safe_member_path(name: str) -> PurePosixPath:
    """Validate an entry name and return it as a relative POSIX path.

    Raises
    ------
    ParkmapError
        ``code="zip-slip"`` for absolute paths or ``..`` components.
    """
    norm = name.replace("\\", "/")
    if norm.startswith("/") or _WINDOWS_ABS.match(name) or _WINDOWS_ABS.match(norm):
        raise _slip(name, "是绝对路径", "is an absolute path")
    parts = [p for p in norm.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise _slip(name, "试图跳出解压目录（..）", "escapes the extraction folder (..)")
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return (info.external_attr >> 16) & 0o170000 == 0o120000


def _check_entry(info: zipfile.ZipInfo, name: str, limits: ReadLimits) -> None:
    if _is_symlink(info):
        raise _slip(name, "是符号链接", "is a symbolic link")
    if info.flag_bits & 0x1:
        raise ParkmapError(
            f"压缩包条目 “{name}” 已加密", f"Archive entry '{name}' is encrypted",
            "请上传未加密的 zip / upload an unencrypted zip", code="zip-encrypted",
        )
    if info.file_size >= limits.ratio_min_bytes:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            raise ParkmapError(
                f"压缩包条目 “{name}” 压缩比异常（{ratio:.0f}:1），疑似压缩炸弹",
                f"Archive entry '{name}' has a suspicious compression ratio ({ratio:.0f}:1); possible zip bomb",
                code="zip-bomb",
            )


def _too_big(total: int, limits: ReadLimits) -> ParkmapError:
    return ParkmapError(
        f"压缩包解压后过大（至少 {_mb(total)}，上限 {_mb(limits.max_uncompressed_bytes)}）",
        f"Archive too large when extracted (at least {_mb(total)}; limit {_mb(limits.max_uncompressed_bytes)})",
        code="zip-bomb",
    )


def plan_extraction(zf: zipfile.ZipFile, dest: Path, limits: ReadLimits = DEFAULT_LIMITS) -> list[tuple[zipfile.ZipInfo, Path]]:
    """Validate every entry of ``zf`` and return (entry, target path) pairs.

    Nothing is written.  Directory entries are omitted.
    """
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise ParkmapError(
            f"压缩包条目过多（{len(infos)}，上限 {limits.max_entries}）",
            f"Archive has too many entries ({len(infos)}; limit {limits.max_entries})",
            code="zip-bomb",
        )
    root = dest.resolve()
    total = 0
    plan: list[tuple[zipfile.ZipInfo, Path]] = []
    for info in infos:
        name = decode_member_name(info)
        rel = safe_member_path(name)
        _check_entry(info, name, limits)
        target = (root / rel).resolve()
        if target != root and root not in target.parents:
            raise _slip(name, "试图跳出解压目录", "escapes the extraction folder")
        total += info.file_size
        if total > limits.max_uncompressed_bytes:
            raise _too_big(total, limits)
        if not info.is_dir() and str(rel) != ".":
            plan.append((info, target))
    return plan


def safe_extract_zip(zip_path: Path, dest: Path, limits: ReadLimits = DEFAULT_LIMITS) -> list[Path]:
    """Safely extract ``zip_path`` into ``dest``.

    Parameters
    ----------
    zip_path : Path
        The archive.
    dest : Path
        Existing, preferably empty, extraction folder.
    limits : ReadLimits
        Size / count / ratio caps.

    Returns
    -------
    list of Path
        Extracted files.

    Raises
    ------
    ParkmapError
        Invalid zip, zip-slip, zip bomb, encrypted entry or too large.
    """
    check_file_size(zip_path, limits)
    with open_regular(zip_path) as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ParkmapError(
                "文件不是有效的 zip 压缩包", "The file is not a valid zip archive",
                "请重新压缩后上传 / re-create the zip", code="bad-zip",
            ) from exc
        with zf:
            return _extract(zf, dest, limits)


def _extract(zf: zipfile.ZipFile, dest: Path, limits: ReadLimits) -> list[Path]:
    """Write the validated entries of ``zf`` under ``dest`` (see :func:`safe_extract_zip`)."""
    written = 0
    out: list[Path] = []
    for info, target in plan_extraction(zf, dest, limits):
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with zf.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    if written > limits.max_uncompressed_bytes:
                        raise _too_big(written, limits)
                    dst.write(chunk)
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise ParkmapError(
                f"压缩包条目 “{info.filename}” 已损坏", f"Archive entry '{info.filename}' is corrupt",
                code="bad-zip",
            ) from exc
        out.append(target)
    return out

