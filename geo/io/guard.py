"""Guards on every file the engine opens: regular files only, bounded reads, counts, names.

* :func:`require_regular_file` — ``os.stat`` (following links, never opening)
  and refuse anything but a regular file: a link to ``/dev/zero`` would be
  read forever and opening a FIFO blocks.
* :func:`read_bytes_capped` / :func:`read_head` — read at most a given number
  of bytes, opening with ``O_NONBLOCK`` and re-checking the opened file with
  ``fstat`` (so a file swapped for a FIFO after the check cannot block).
* :func:`require_regular_sidecars` — the same for the files GDAL opens next to
  the one given (shapefile ``.shx``/``.dbf``…, GeoPackage ``-wal``…).
* :func:`check_feature_count`, :func:`check_vertex_count` — the caps of
  :mod:`geo.limits`, with the variable that raises them in the message.
* :func:`check_coordinates` — absurd numbers (``1e308``) are refused before
  any message could print them digit by digit.
* :func:`safe_upload_name` — the file name an upload may be written under.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import shapely

from geo.errors import ParkmapError
from geo.limits import CountCaps
from geo.units import fmt_number

MIB = 1024 * 1024
#: Largest absolute coordinate accepted (projected Gauss-Krüger eastings with a zone prefix are < 5e7).
COORD_MAX = 1e9
#: Sidecar suffixes GDAL may open next to a shapefile.
SHAPEFILE_SIDECARS: tuple[str, ...] = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qpj", ".shp.xml")
#: Suffixes SQLite may open next to a GeoPackage.
GPKG_SIDECARS: tuple[str, ...] = ("-wal", "-shm", "-journal")

_NOT_REGULAR_HINT = ("请指定普通的矢量文件（.gpkg .shp .geojson .kml .zip .txt），不要用设备、管道、套接字或指向它们的链接 / "
                     "give an ordinary vector file (.gpkg .shp .geojson .kml .zip .txt), not a device, pipe, socket "
                     "or a link to one")


def _mb(n: float) -> str:
    return f"{n / MIB:.1f} MB"


def _kind(mode: int) -> tuple[str, str]:
    """(中文, English) name of a non-regular file type."""
    if stat.S_ISCHR(mode):
        return "字符设备", "a character device"
    if stat.S_ISBLK(mode):
        return "块设备", "a block device"
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）", "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "套接字", "a socket"
    if stat.S_ISDIR(mode):
        return "文件夹", "a folder"
    return "特殊文件", "a special file"


def file_too_large(size: int, limit: int, name: str = "") -> ParkmapError:
    """The bilingual "file too large" error (``code="too-large"``).

    Parameters
    ----------
    size : int
        Bytes found (or at least found).
    limit : int
        Largest accepted size in bytes.
    name : str, optional
        File name to show.
    """
    what_zh, what_en = (f"文件 {name} ", f"File {name} ") if name else ("文件", "File ")
    return ParkmapError(
        f"{what_zh}过大（{_mb(size)}，上限 {_mb(limit)}）",
        f"{what_en}too large ({_mb(size)}; limit {_mb(limit)})",
        "请裁剪到开发区范围后再上传 / clip the data to the park area first",
        code="too-large",
    )


def not_regular(path: Path, mode: int) -> ParkmapError:
    """The bilingual "not a regular file" error (``code="not-regular"``) for ``path`` of type ``mode``."""
    zh, en = _kind(mode)
    link_zh = link_en = ""
    if path.is_symlink():
        real = os.path.realpath(path)
        link_zh, link_en = f"（链接到 {real}）", f" (a link to {real})"
    return ParkmapError(f"“{path.name}” 不是普通文件，而是{zh}{link_zh}，已拒绝读取",
                        f"'{path.name}' is not a regular file but {en}{link_en}; refused to read it",
                        _NOT_REGULAR_HINT, code="not-regular")


def require_regular_file(path: str | Path) -> os.stat_result:
    """Check that ``path`` is (or links to) a regular file, without opening it.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    os.stat_result
        Of the file the path resolves to.

    Raises
    ------
    ParkmapError
        ``code="not-found"`` (missing, broken link, or a folder) or
        ``code="not-regular"`` (device, FIFO, socket…).
    """
    p = Path(path)
    try:
        st = os.stat(p)  # follows links; stat never opens, so a FIFO cannot block here
    except (FileNotFoundError, NotADirectoryError):
        raise ParkmapError(f"文件不存在：{p}", f"File not found: {p}",
                           "请检查路径和文件名 / check the path and the file name", code="not-found") from None
    except PermissionError:
        raise ParkmapError(f"没有权限读取文件：{p}", f"No permission to read the file: {p}",
                           "请检查文件权限 / check the file permissions", code="permission") from None
    except OSError as exc:  # e.g. a link loop
        raise ParkmapError(f"无法访问文件 {p}：{exc.strerror or exc}", f"Cannot access file {p}: {exc.strerror or exc}",
                           "请检查路径和链接 / check the path and any links", code="not-found") from None
    if stat.S_ISDIR(st.st_mode):
        raise ParkmapError(f"{p} 是文件夹，不是文件", f"{p} is a folder, not a file",
                           "请把文件夹打包成 zip / zip the folder", code="not-found")
    if not stat.S_ISREG(st.st_mode):
        raise not_regular(p, st.st_mode)
    return st


def require_regular_sidecars(path: str | Path, suffixes: Iterable[str]) -> None:
    """Check that every existing companion file ``<stem><suffix>`` / ``<name><suffix>`` of ``path`` is regular.

    Shapefile suffixes (``.shx``…) replace the suffix of ``path``; GeoPackage
    ones (``-wal``…) are appended to its name.  Names are matched without
    regard to case, as GDAL does.

    Raises
    ------
    ParkmapError
        ``code="not-regular"`` naming the offending companion file.
    """
    p = Path(path)
    wanted = {(p.name + s if s.startswith("-") else p.stem + s).casefold() for s in suffixes}
    try:
        entries = list(os.scandir(p.parent))
    except OSError:
        return
    for entry in entries:
        if entry.name.casefold() not in wanted:
            continue
        try:
            mode = entry.stat().st_mode  # follows links; does not open
        except OSError:
            continue  # broken link: GDAL will not open it either
        if not stat.S_ISREG(mode):
            raise not_regular(p.parent / entry.name, mode)


def _open_regular(path: Path) -> int:
    """Open a checked file read-only without blocking, and re-check what was opened (a file descriptor)."""
    require_regular_file(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):  # swapped between the check and the open
        os.close(fd)
        raise not_regular(path, mode)
    return fd


def open_regular(path: str | Path) -> BinaryIO:
    """Open a regular file for binary reading; never blocks on a FIFO or opens a device.

    Raises
    ------
    ParkmapError
        As :func:`require_regular_file`.
    """
    return os.fdopen(_open_regular(Path(path)), "rb")


def read_head(path: str | Path, max_bytes: int) -> bytes:
    """The first ``max_bytes`` bytes of a regular file (all of it when shorter).

    Raises
    ------
    ParkmapError
        As :func:`require_regular_file`.
    """
    with open_regular(path) as fh:
        return fh.read(max(0, int(max_bytes)))


def read_bytes_capped(path: str | Path, max_bytes: int) -> bytes:
    """The whole content of a regular file of at most ``max_bytes`` bytes.

    The cap holds even when the size reported by ``stat`` is wrong (``/proc``
    files report 0): at most ``max_bytes + 1`` bytes are ever read.

    Raises
    ------
    ParkmapError
        As :func:`require_regular_file`, or ``code="too-large"``.
    """
    p = Path(path)
    size = require_regular_file(p).st_size
    if size > max_bytes:
        raise file_too_large(size, max_bytes, p.name)
    with open_regular(p) as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise file_too_large(len(data), max_bytes, p.name)
    return data


# --------------------------------------------------------------------------
# Counts and values
# --------------------------------------------------------------------------
def check_feature_count(count: int, caps: CountCaps, name: str) -> None:
    """Refuse a file of more than ``caps.max_features`` features (``code="too-many-features"``).

    A negative ``count`` (unknown to the driver) passes.
    """
    if count <= caps.max_features:
        return
    env, want = caps.features_env, max(count, caps.max_features * 2)
    raise ParkmapError(
        f"文件 {name} 有 {count:,} 个要素，超过上限 {caps.max_features:,}",
        f"{name} has {count:,} features, more than the limit of {caps.max_features:,}",
        f"请拆分文件或只保留需要的要素；确需更多时设置环境变量 {env}（如 {env}={want}） / "
        f"split the file or keep only the features you need; to allow more, set {env} (e.g. {env}={want})",
        code="too-many-features",
    )


def count_vertices(geoms: object) -> int:
    """Total number of coordinates of an array/series of geometries (missing ones count 0)."""
    arr = np.asarray(geoms, dtype=object)
    return int(shapely.get_num_coordinates(arr).sum()) if arr.size else 0


def check_vertex_total(count: int, caps: CountCaps, name: str) -> None:
    """Refuse a file of more than ``caps.max_vertices`` vertices (``code="too-many-vertices"``)."""
    if count <= caps.max_vertices:
        return
    env, want = caps.vertices_env, max(count, caps.max_vertices * 2)
    raise ParkmapError(
        f"文件 {name} 有 {count:,} 个顶点，超过上限 {caps.max_vertices:,}",
        f"{name} has {count:,} vertices, more than the limit of {caps.max_vertices:,}",
        f"请在 GIS 软件中简化（抽稀）或裁剪后再试；确需更多时设置环境变量 {env}（如 {env}={want}） / "
        f"simplify or clip it in a GIS first; to allow more, set {env} (e.g. {env}={want})",
        code="too-many-vertices",
    )


def check_vertex_count(geoms: object, caps: CountCaps, name: str) -> int:
    """Refuse geometries holding more than ``caps.max_vertices`` coordinates in all (see :func:`check_vertex_total`).

    Returns
    -------
    int
        The vertex count.
    """
    count = count_vertices(geoms)
    check_vertex_total(count, caps, name)
    return count


def check_coordinates(coords: np.ndarray, name: str) -> None:
    """Refuse infinite coordinates or ones beyond :data:`COORD_MAX` (``code="bad-coordinates"``).

    Such numbers are neither degrees nor metres in any CRS; refusing them here
    keeps later messages (CRS detection, extents) from printing them in full.
    """
    values = np.asarray(coords, dtype=float)
    if values.size == 0:
        return
    finite = values[np.isfinite(values)]
    worst = float(np.abs(finite).max()) if finite.size else 0.0
    if not np.isinf(values).any() and worst <= COORD_MAX:
        return
    shown = "∞" if np.isinf(values).any() else fmt_number(worst)
    raise ParkmapError(
        f"文件 {name} 的坐标数值异常（绝对值达 {shown}），既不是经纬度也不是投影坐标（米）",
        f"{name} has absurd coordinates (magnitude up to {shown}): neither lon/lat degrees nor projected metres",
        "请在 GIS 软件中检查坐标列、单位和坐标系后重新导出 / check the coordinate columns, units and CRS in a GIS "
        "and export again",
        code="bad-coordinates",
    )


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------
_SEPARATORS = re.compile(r"[\\/]")


def safe_upload_name(name: str) -> str:
    """The name an uploaded file may be written under in a private folder.

    Any client path is dropped (``a/b/c.shp`` and ``a\\b\\c.shp`` → ``c.shp``).
    Names that are empty, only dots (``.``, ``..``), end in a slash, contain
    control characters, or are longer than 255 bytes are refused.

    Parameters
    ----------
    name : str
        The name the browser sent.

    Returns
    -------
    str
        A plain file name.

    Raises
    ------
    ParkmapError
        ``code="bad-name"``.
    """
    raw = "" if name is None else str(name)
    base = _SEPARATORS.split(raw)[-1].strip()
    bad = (not base or set(base) <= {"."} or any(ord(ch) < 32 or ord(ch) == 127 for ch in base)
           or len(base.encode("utf-8", errors="surrogatepass")) > 255)
    if bad:
        shown = "".join(ch if ch.isprintable() else "?" for ch in raw)[:60]
        raise ParkmapError(
            f"上传的文件名 “{shown}” 无效（为空、只有点或斜杠、含控制字符或过长），已拒绝",
            f"The uploaded file name '{shown}' is not valid (empty, only dots or slashes, control characters "
            f"or too long); refused",
            "请把文件改成普通的名称（如 方案.geojson）后重新上传 / rename the file to an ordinary name "
            "(e.g. proposal.geojson) and upload it again",
            code="bad-name",
        )
    return base


def naming_file(err: ParkmapError, path: str | Path, zh_what: str, en_what: str) -> ParkmapError:
    """``err`` with the file named in front (unchanged when both texts already name it).

    Parameters
    ----------
    err : ParkmapError
        The error raised while reading the file.
    path : str or Path
        The file; its name is shown.
    zh_what, en_what : str
        What the file is, e.g. ``"管控图层文件"`` / ``"Control layer file"``.
    """
    name = Path(path).name
    if name in err.zh and name in err.en:
        return err
    return ParkmapError(f"{zh_what} {name}：{err.zh}", f"{en_what} {name}: {err.en}", err.hint, code=err.code)


__all__ = [
    "COORD_MAX", "GPKG_SIDECARS", "SHAPEFILE_SIDECARS", "check_coordinates", "check_feature_count",
    "check_vertex_count", "check_vertex_total", "count_vertices", "file_too_large", "naming_file", "not_regular",
    "open_regular", "read_bytes_capped", "read_head", "require_regular_file", "require_regular_sidecars",
    "safe_upload_name",
]
