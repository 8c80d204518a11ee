"""Export file names a planner recognises: ``区名_方案名_日期.ext``.

>>> export_filename("成都高新区", "扩区方案", "pdf", date="2026-11-29")
'成都高新区_扩区方案_20261129.pdf'

Names keep Chinese; characters illegal in Windows or Linux file names
(``<>:"/\\|?*``, control characters) and path separators are dropped, so a
name can never leave the download folder (``../x`` → ``x``).  Windows device
names (CON, NUL, COM1 …) are prefixed with ``_``; each part is cut to 110
UTF-8 bytes (36 Chinese characters) so the whole name stays under the usual
255-byte limit of file systems.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from typing import Any

from geo import clock
from geo.errors import ParkmapError

_ILLEGAL = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_PART_BYTES = 110


def _cut(s: str, max_bytes: int) -> str:
    while len(s.encode("utf-8")) > max_bytes:
        s = s[:-1]
    return s


def clean_part(text: Any, max_bytes: int = MAX_PART_BYTES) -> str:
    """One part of a file name: illegal characters and separators removed, spaces → ``-``, no leading dots.

    ``_`` (the part separator) inside a part becomes ``-``; the result may be "".
    """
    s = unicodedata.normalize("NFC", str(text or ""))
    s = "".join(ch for ch in s if unicodedata.category(ch)[0] != "C")  # control, format, unassigned
    s = _ILLEGAL.sub("", s)
    s = re.sub(r"[\s_]+", "-", s.strip())
    s = re.sub(r"\.{2,}", ".", s).strip(" .-")
    s = _cut(s, max_bytes).rstrip(" .-")
    if s.split(".")[0].upper() in _RESERVED:
        s = "_" + s
    return s


def _date_text(date: Any) -> str:
    if date is None:
        return clock.today().strftime("%Y%m%d")
    if isinstance(date, _dt.datetime):
        return (clock.to_shanghai(date) if date.tzinfo else date).strftime("%Y%m%d")
    if isinstance(date, _dt.date):
        return date.strftime("%Y%m%d")
    digits = re.sub(r"\D", "", str(date))
    if len(digits) >= 8:
        try:
            return _dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])).strftime("%Y%m%d")
        except ValueError:
            pass
    raise ParkmapError(f"日期无效：{date!r}（应为 2026-11-29 或 20261129）",
                       f"Invalid date: {date!r} (expected 2026-11-29 or 20261129)", code="usage")


def export_filename(zone_name: Any, proposal_name: Any, ext: str, date: Any = None) -> str:
    """``区名_方案名_YYYYMMDD.ext`` for an export.

    Parameters
    ----------
    zone_name, proposal_name : str
        Zone and proposal names (may be empty; empty parts are left out).
    ext : str
        Extension, with or without the dot (``pdf``, ``.GeoJSON``); letters and digits only.
    date : date, datetime, str, optional
        Default: today in Beijing time.

    Raises
    ------
    ParkmapError
        An empty or invalid extension, an invalid date (bilingual).
    """
    e = str(ext or "").strip().lstrip(".").lower()
    if not re.fullmatch(r"[a-z0-9]{1,10}", e):
        raise ParkmapError(f"文件扩展名无效：{ext!r}", f"Invalid file extension: {ext!r}",
                           "例如 pdf、png、geojson / e.g. pdf, png, geojson", code="usage")
    parts = [p for p in (clean_part(zone_name), clean_part(proposal_name)) if p]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    stem = "_".join(parts + [_date_text(date)])
    return f"{stem}.{e}"


__all__ = ["MAX_PART_BYTES", "clean_part", "export_filename"]
