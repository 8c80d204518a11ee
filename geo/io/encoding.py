"""Text encodings of shapefile attributes (.dbf / .cpg) and other short byte strings.

Order of trust: the caller's ``encoding``, else the ``.cpg`` (if the DBF
bytes really decode with it), else detection from the raw DBF string bytes
(field names and character fields): strict UTF-8, else GBK, else GB18030.
Files are read through :mod:`geo.io.guard` (regular files, bounded reads).
"""

from __future__ import annotations

import codecs
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import ParkmapError, bilingual
from geo.io.guard import read_head


def codec_name(label: str) -> str | None:
    """Normalise an encoding label (``"GBK"``, ``"936"``, ``"ANSI 936"``, ``"65001"``) to a codec name."""
    text = label.strip().upper().replace("ANSI", "").replace("CP", "").strip()
    if text.isdigit():
        text = "utf-8" if text == "65001" else f"cp{text}"
    else:
        text = label.strip()
    try:
        return codecs.lookup(text).name
    except LookupError:
        return None


def _decodes(samples: list[bytes], enc: str) -> bool:
    """True if every sample decodes strictly (a truncated trailing char is tolerated)."""
    for s in samples:
        dec = codecs.getincrementaldecoder(enc)(errors="strict")
        try:
            dec.decode(s, final=False)
        except UnicodeDecodeError:
            return False
    return True


def _decode_counts(samples: list[bytes], enc: str) -> tuple[int, int]:
    """(decoded non-ASCII characters, undecodable bytes) over ``samples``.

    A character cut at the end of a sample is not counted as an error.
    """
    ok = bad = 0
    for s in samples:
        text = codecs.getincrementaldecoder(enc)(errors="replace").decode(s, final=False)
        bad += text.count("\ufffd")
        ok += sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    return ok, bad


_CANDIDATES = ("utf-8", "gbk", "gb18030")


def detect_bytes_encoding(samples: list[bytes], names: list[bytes] | None = None) -> str | None:
    """Guess the encoding of short text byte strings.

    Parameters
    ----------
    samples : list of bytes
        Text values; the first of UTF-8, GBK, GB18030 that decodes *all*
        of them strictly wins.  For short CJK strings this strict cascade
        is more reliable than statistical detectors.
    names : list of bytes, optional
        Field names, used only when no value has non-ASCII bytes.  They are
        judged leniently (fewest undecodable bytes) because GDAL truncates
        and launders DBF names at 10 bytes, which can cut a character.

    Returns
    -------
    str or None
        Codec name; ``"utf-8"`` for pure ASCII; None if nothing decodes.
    """
    values = [s for s in samples if not s.isascii()]
    if values:
        return next((enc for enc in _CANDIDATES if _decodes(values, enc)), None)
    heads = [s for s in names or [] if not s.isascii()]
    if not heads:
        return "utf-8"
    # UTF-8 is self-synchronising: GBK bytes almost never yield valid UTF-8
    # characters, so "mostly valid UTF-8" is a strong signal.
    ok, bad = _decode_counts(heads, "utf-8")
    if ok > 0 and ok >= 2 * bad:
        return "utf-8"
    scores = [(_decode_counts(heads, enc)[1], i, enc) for i, enc in enumerate(_CANDIDATES[1:])]
    return min(scores)[2]


def dbf_text_samples(data: bytes, max_records: int = 20000) -> tuple[list[bytes], list[bytes]]:
    """Return the raw bytes of (field names, character values) of a DBF.

    Parameters
    ----------
    data : bytes
        The DBF file (or its first part; incomplete records are ignored).
    max_records : int
        Number of records to sample.
    """
    names: list[bytes] = []
    values: list[bytes] = []
    if len(data) < 32:
        return names, values
    n_records = int.from_bytes(data[4:8], "little")
    header_len = int.from_bytes(data[8:10], "little")
    record_len = int.from_bytes(data[10:12], "little")
    char_fields: list[tuple[int, int]] = []
    offset, pos = 32, 1  # byte 0 of a record is the deletion flag
    while offset + 32 <= min(header_len, len(data)) and data[offset] != 0x0D:
        desc = data[offset : offset + 32]
        name = desc[:11].split(b"\x00", 1)[0].strip()
        ftype = chr(desc[11])
        length = desc[16] + (desc[17] << 8 if ftype == "C" else 0)
        if name:
            names.append(name)
        if ftype == "C":
            char_fields.append((pos, length))
        pos += length
        offset += 32
    for i in range(min(n_records, max_records)):
        start = header_len + i * record_len
        if start + record_len > len(data) or record_len <= 0:
            break
        for fpos, flen in char_fields:
            value = data[start + fpos : start + fpos + flen].rstrip(b" \x00")
            if value:
                values.append(value)
    return names, values


def find_sidecar(shp: Path, ext: str) -> Path | None:
    """The companion file ``<stem><ext>`` of a shapefile (any case), or None."""
    for cand in (shp.with_suffix(ext), shp.with_suffix(ext.upper())):
        if cand.exists():
            return cand
    want = (shp.stem + ext).lower()
    for cand in shp.parent.iterdir():
        if cand.name.lower() == want:
            return cand
    return None


def shapefile_encoding(shp: Path, user_encoding: str | None = None, max_bytes: int = 8 * 1024 * 1024) -> tuple[str, list[str]]:
    """Choose the attribute encoding of a shapefile.

    Returns
    -------
    (codec name, warnings)
    """
    warnings: list[str] = []
    if user_encoding:
        enc = codec_name(user_encoding)
        if enc is None:
            raise ParkmapError(f"未知编码 {user_encoding}", f"Unknown encoding {user_encoding}",
                               "例如 --encoding gbk / e.g. --encoding gbk", code="encoding")
        return enc, warnings
    dbf = find_sidecar(shp, ".dbf")
    names: list[bytes] = []
    values: list[bytes] = []
    if dbf is not None:
        names, values = dbf_text_samples(read_head(dbf, max_bytes))
    cpg = find_sidecar(shp, ".cpg")
    if cpg is not None:
        label = read_head(cpg, 64).decode("ascii", errors="ignore").strip()
        enc = codec_name(label) if label else None
        if enc and _decodes([s for s in values if not s.isascii()], enc):
            return enc, warnings
        warnings.append(bilingual(f".cpg 声明编码 “{label}” 与属性内容不符，改为自动识别",
                                  f"The .cpg declares '{label}' but the attributes do not decode with it; detecting instead"))
    enc = detect_bytes_encoding(values, names)
    if enc is None:
        raise ParkmapError(
            "无法识别 shapefile 属性表（.dbf）的文字编码（不是 UTF-8 / GBK / GB18030）",
            "Cannot determine the text encoding of the shapefile attributes (.dbf): not UTF-8, GBK or GB18030",
            "请用 --encoding 指定，或附上 .cpg 文件 / pass --encoding or add a .cpg file",
            code="encoding",
        )
    return enc, warnings


def recode_text(value: str, encoding: str, errors: str = "replace") -> str:
    """Re-decode a Latin-1-decoded string with ``encoding``.

    A multibyte character cut at the end (DBF field width) is dropped;
    other invalid bytes are handled per ``errors``.
    """
    dec = codecs.getincrementaldecoder(encoding)(errors=errors)
    return dec.decode(value.encode("latin-1"), final=False)


def recode_latin1_frame(gdf: gpd.GeoDataFrame, encoding: str) -> gpd.GeoDataFrame:
    """Re-decode column names and text values of a frame read as Latin-1."""
    if codecs.lookup(encoding).name in ("latin-1", "iso8859-1"):
        return gdf
    geom = gdf.geometry.name
    names: list[str] = []
    for col in gdf.columns:
        name = col if col == geom else recode_text(str(col), encoding, "ignore").strip() or str(col)
        base, k = name, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    out = gdf.copy()
    for col in gdf.columns:
        if col != geom and (out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype)):
            out[col] = out[col].map(lambda v: recode_text(v, encoding) if isinstance(v, str) else v)
    out.columns = names
    return out.set_geometry(geom)


__all__ = ["codec_name", "dbf_text_samples", "detect_bytes_encoding", "find_sidecar", "recode_latin1_frame",
           "recode_text", "shapefile_encoding"]
