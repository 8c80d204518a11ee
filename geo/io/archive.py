"""Safe handling of uploaded archives and input size limits.

``safe_extract_zip`` validates the whole archive before writing anything:

* zip-slip: entries with ``..`` components, absolute paths (``/x``, ``C:\\x``,
  ``\\\\server``) or symlinks are refused;
* zip bombs: caps on the number of entries, the total uncompressed size and
  the per-entry compression ratio; the byte count is enforced again while
  streaming, since headers can lie;
* encrypted entries are refused.

Entry names without the UTF-8 flag (typical for zips made on Chinese Windows)
are decoded as UTF-8 if valid, else GB18030.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geo.errors import ParkmapError

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
    """

    max_file_bytes: int = 500 * MIB
    max_uncompressed_bytes: int = 200 * MIB
    max_entries: int = 2000
    max_compression_ratio: float = 100.0
    ratio_min_bytes: int = 1 * MIB


DEFAULT_LIMITS = ReadLimits()

_CHUNK = 1024 * 1024
_WINDOWS_ABS = re.compile(r"^(?:[A-Za-z]:|\\\\|//)")


def _mb(n: float) -> str:
    return f"{n / MIB:.1f} MB"


def check_file_size(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> int:
    """Return the size of ``path`` in bytes, raising if it exceeds the limit."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise ParkmapError(
            f"文件过大（{_mb(size)}，上限 {_mb(limits.max_file_bytes)}）",
            f"File too large ({_mb(size)}; limit {_mb(limits.max_file_bytes)})",
            "请裁剪到开发区范围后再上传 / clip the data to the park area first",
            code="too-large",
        )
    return size


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
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ParkmapError(
            "文件不是有效的 zip 压缩包", "The file is not a valid zip archive",
            "请重新压缩后上传 / re-create the zip", code="bad-zip",
        ) from exc
    written = 0
    out: list[Path] = []
    with zf:
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

