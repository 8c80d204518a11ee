"""Read any supported vector file into lon/lat CGCS2000 (EPSG:4490).

Supported inputs
----------------
* GeoPackage ``.gpkg`` — the ``layer`` argument, else the first polygon
  layer (a warning names the other polygon layers).
* GeoJSON ``.geojson`` / ``.json`` — UTF-8, or GBK/GB18030 (detected).
  RFC 7946 says WGS84, but GDAL's implied WGS84 is ignored (with a warning)
  when the numbers are clearly projected metres.
* KML ``.kml`` / KMZ ``.kmz`` — always WGS84 lon/lat.  Parsed with a small
  ``xml.etree`` reader (Placemark / Polygon / outer- and innerBoundaryIs /
  MultiGeometry, ExtendedData) because GDAL's LIBKML driver mangles Chinese
  ExtendedData field names; GDAL's KML/LIBKML driver is only a fallback.
* Shapefile ``.shp`` (with sidecars) or zipped ``.zip`` (also in sub-folders).
  A zip with several shapefiles: all *polygon* shapefiles are read and
  concatenated (column ``_source`` = path inside the zip); non-polygon ones
  are skipped with a warning; if none is polygonal the first is read (and
  validation reports it).  A zip without shapefiles: the first other
  supported file inside is read.
* 界址点 TXT ``.txt`` (see :mod:`geo.io.jzd_txt`).

Shapefile attribute encoding: ``encoding`` argument, else the ``.cpg`` (if
the DBF bytes really decode with it), else detected from the raw DBF string
bytes (field names and character fields): strict UTF-8, else GBK, else
GB18030.  CRS: argument ``crs`` (trusted), else the file's own (.prj,
GeoPackage, GeoJSON), else :func:`geo.crs.detect_crs` on the coordinates.

EPSG:4490 and EPSG:4326 are treated as equivalent (< 1 m in Sichuan).
"""

from __future__ import annotations

import codecs
import io
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.crs import EPSG_WGS84, DetectedCRS, detect_crs, to_cgcs2000
from geo.errors import ParkmapError, bilingual
from geo.io.archive import DEFAULT_LIMITS, ReadLimits, check_file_size, safe_extract_zip
from geo.io.jzd_txt import decode_text, read_jzd_txt
from geo.validate import SICHUAN_BBOX, require_features, validate_polygons

#: File suffix → reader kind.
SUPPORTED_SUFFIXES: dict[str, str] = {
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".kml": "kml",
    ".kmz": "kmz",
    ".shp": "shp",
    ".zip": "zip",
    ".txt": "txt",
}

# Columns GDAL's LIBKML driver adds that carry no planning information.
_KML_NOISE = ("id", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude",
              "visibility", "drawOrder", "icon", "snippet")


@dataclass
class ReadResult:
    """Outcome of :func:`read_vector`.

    Attributes
    ----------
    gdf : GeoDataFrame
        Features in EPSG:4490 (lon/lat), 2-D, validated unless disabled.
    source_crs : DetectedCRS
        CRS of the file and how it was determined.
    encoding : str or None
        Text encoding of attributes (Python codec name), None if not
        applicable (GeoPackage, KML).
    warnings : list of str
        Bilingual warnings ("中文 / English").
    driver : str
        Reader used (``"GPKG"``, ``"GeoJSON"``, ``"KML"``, ``"ESRI Shapefile"``,
        ``"JZD-TXT"``).
    layers : list of str
        Layers / archive members read.
    """

    gdf: gpd.GeoDataFrame
    source_crs: DetectedCRS
    encoding: str | None
    warnings: list[str] = field(default_factory=list)
    driver: str = ""
    layers: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------
def _finish_crs(gdf: gpd.GeoDataFrame, crs: str | int | None, warnings: list[str]) -> tuple[gpd.GeoDataFrame, DetectedCRS]:
    """Determine the CRS of a freshly read frame and reproject to EPSG:4490."""
    require_features(gdf)
    coords = shapely.get_coordinates(gdf.geometry.values)
    if crs is not None:
        detected = detect_crs(coords[:, 0], coords[:, 1], declared=crs, source="user")
    elif gdf.crs is not None:
        detected = detect_crs(coords[:, 0], coords[:, 1], declared=gdf.crs, source="declared")
    else:
        detected = detect_crs(coords[:, 0], coords[:, 1])
    if detected.warning:
        warnings.append(detected.warning)
    out = gdf.set_crs(detected.to_crs(), allow_override=True)
    out = to_cgcs2000(out)
    out = out.set_geometry(shapely.force_2d(out.geometry.values))
    return out, detected


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


def _find_sidecar(shp: Path, ext: str) -> Path | None:
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
    dbf = _find_sidecar(shp, ".dbf")
    names: list[bytes] = []
    values: list[bytes] = []
    if dbf is not None:
        with open(dbf, "rb") as fh:
            names, values = dbf_text_samples(fh.read(max_bytes))
    cpg = _find_sidecar(shp, ".cpg")
    if cpg is not None:
        label = cpg.read_bytes()[:64].decode("ascii", errors="ignore").strip()
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


def _is_polygon_type(geometry_type: str | None) -> bool:
    return bool(geometry_type) and "polygon" in str(geometry_type).lower()


# --------------------------------------------------------------------------
# Per-format readers: each returns an unvalidated ReadResult in EPSG:4490
# --------------------------------------------------------------------------


def _read_shapefile(shp: Path, crs: str | int | None, encoding: str | None) -> ReadResult:
    for ext in (".shx", ".dbf"):
        if _find_sidecar(shp, ext) is None:
            raise ParkmapError(
                f"shapefile “{shp.name}” 缺少 {ext} 文件",
                f"Shapefile '{shp.name}' is missing its {ext} file",
                "请把 .shp .shx .dbf .prj（.cpg）一起打包上传 / upload .shp, .shx, .dbf, .prj (.cpg) together, e.g. as a zip",
                code="shapefile-incomplete",
            )
    enc, warnings = shapefile_encoding(shp, encoding)
    # Read bytes 1:1 as Latin-1, then decode ourselves: GDAL truncates long
    # field names at 10 *bytes*, which can split a UTF-8/GBK character and
    # makes a strict decode (pyogrio's own) fail.
    gdf = recode_latin1_frame(pyogrio.read_dataframe(shp, encoding="latin1"), enc)
    if _find_sidecar(shp, ".prj") is None and crs is None:
        warnings.append(bilingual(f"{shp.name} 没有 .prj 文件，坐标系根据坐标数值判断",
                                  f"{shp.name} has no .prj file; the CRS was inferred from the coordinates"))
    gdf, detected = _finish_crs(gdf, crs, warnings)
    return ReadResult(gdf, detected, enc, warnings, "ESRI Shapefile", [shp.name])


def _pick_gpkg_layer(path: Path, layer: str | None, warnings: list[str]) -> str:
    layers = [(str(n), None if t is None else str(t)) for n, t in pyogrio.list_layers(path)]
    names = [n for n, _ in layers]
    if not layers:
        raise ParkmapError("GeoPackage 中没有图层", "The GeoPackage contains no layers", code="empty")
    if layer is not None:
        if layer not in names:
            raise ParkmapError(f"GeoPackage 中没有图层 “{layer}”（现有：{', '.join(names)}）",
                               f"The GeoPackage has no layer '{layer}' (available: {', '.join(names)})", code="layer")
        return layer
    polys = [n for n, t in layers if _is_polygon_type(t)]
    if len(polys) > 1:
        warnings.append(bilingual(f"GeoPackage 有多个面图层（{', '.join(polys)}），只读取了 “{polys[0]}”",
                                  f"The GeoPackage has several polygon layers ({', '.join(polys)}); only '{polys[0]}' was read"))
    spatial = [n for n, t in layers if t is not None]
    return polys[0] if polys else (spatial or names)[0]


def _read_gpkg(path: Path, crs: str | int | None, layer: str | None) -> ReadResult:
    warnings: list[str] = []
    name = _pick_gpkg_layer(path, layer, warnings)
    gdf = pyogrio.read_dataframe(path, layer=name)
    gdf, detected = _finish_crs(gdf, crs, warnings)
    return ReadResult(gdf, detected, None, warnings, "GPKG", [name])


def _read_geojson(path: Path, crs: str | int | None, encoding: str | None) -> ReadResult:
    warnings: list[str] = []
    text, enc = decode_text(path.read_bytes(), encoding)
    gdf = pyogrio.read_dataframe(io.BytesIO(text.encode("utf-8")))
    if enc not in ("utf-8", "utf-8-sig", "ascii"):
        warnings.append(bilingual(f"GeoJSON 不是 UTF-8 编码，按 {enc} 读取", f"The GeoJSON is not UTF-8; read as {enc}"))
    gdf, detected = _finish_crs(gdf, crs, warnings)
    return ReadResult(gdf, detected, enc, warnings, "GeoJSON", [path.name])


# -- KML ---------------------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(elem: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in elem if _local(c.tag) == name), None)


def _descendants(elem: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in elem.iter() if _local(e.tag) == name]


def parse_kml_coordinates(text: str | None) -> list[tuple[float, float]]:
    """Parse a KML ``<coordinates>`` text (``lon,lat[,alt] …``)."""
    out: list[tuple[float, float]] = []
    for token in (text or "").split():
        parts = token.split(",")
        if len(parts) < 2:
            raise ParkmapError(f"KML 坐标 “{token}” 格式错误", f"Malformed KML coordinate '{token}'", code="malformed")
        try:
            out.append((float(parts[0]), float(parts[1])))
        except ValueError:
            raise ParkmapError(f"KML 坐标 “{token}” 不是数字", f"KML coordinate '{token}' is not numeric",
                               code="malformed") from None
    return out


def _kml_ring(boundary: ET.Element | None) -> list[tuple[float, float]] | None:
    if boundary is None:
        return None
    coords = _descendants(boundary, "coordinates")
    return parse_kml_coordinates(coords[0].text) if coords else None


def _kml_polygon(elem: ET.Element) -> Polygon | None:
    shell = _kml_ring(_child(elem, "outerBoundaryIs"))
    if not shell or len(shell) < 3:
        return None
    holes = [h for h in (_kml_ring(b) for b in elem if _local(b.tag) == "innerBoundaryIs") if h and len(h) >= 3]
    return Polygon(shell, holes)


def kml_placemark_geometry(pm: ET.Element) -> BaseGeometry | None:
    """Geometry of a Placemark: its polygons, else its lines/points."""
    polys = [p for p in (_kml_polygon(e) for e in _descendants(pm, "Polygon")) if p is not None]
    if polys:
        return polys[0] if len(polys) == 1 else MultiPolygon(polys)
    others: list[BaseGeometry] = []
    for e in _descendants(pm, "LineString") + _descendants(pm, "LinearRing"):
        coords = parse_kml_coordinates(_child(e, "coordinates").text if _child(e, "coordinates") is not None else "")
        if len(coords) >= 2:
            others.append(LineString(coords))
    for e in _descendants(pm, "Point"):
        coords = parse_kml_coordinates(_child(e, "coordinates").text if _child(e, "coordinates") is not None else "")
        if coords:
            others.append(Point(coords[0]))
    if not others:
        return None
    return others[0] if len(others) == 1 else shapely.GeometryCollection(others)


def _kml_attrs(pm: ET.Element, folder: str | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for key in ("name", "description"):
        node = _child(pm, key)
        attrs[key] = node.text.strip() if node is not None and node.text else None
    if folder is not None:
        attrs["folder"] = folder
    for data in _descendants(pm, "Data"):
        value = _child(data, "value")
        attrs[data.get("name", "")] = value.text if value is not None else None
    for data in _descendants(pm, "SimpleData"):
        attrs[data.get("name", "")] = data.text
    return attrs


def parse_kml(data: bytes) -> gpd.GeoDataFrame:
    """Parse KML bytes into a WGS84 GeoDataFrame (one row per Placemark).

    Columns: ``name``, ``description``, ``folder`` (when in a Folder) and
    ExtendedData fields.  DTD/entity declarations are refused.
    """
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        raise ParkmapError("KML 文件包含 DTD/实体声明，已拒绝", "The KML contains DTD/entity declarations; refused",
                           code="malformed")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ParkmapError(f"KML 不是有效的 XML（{exc}）", f"The KML is not valid XML ({exc})", code="malformed") from exc
    rows: list[dict[str, Any]] = []
    geoms: list[BaseGeometry | None] = []

    def walk(elem: ET.Element, folder: str | None) -> None:
        for child in elem:
            tag = _local(child.tag)
            if tag == "Placemark":
                rows.append(_kml_attrs(child, folder))
                geoms.append(kml_placemark_geometry(child))
            elif tag in ("Folder", "Document"):
                name = _child(child, "name")
                sub = name.text.strip() if tag == "Folder" and name is not None and name.text else folder
                walk(child, sub)

    walk(root, None)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=EPSG_WGS84)


def _read_kml_gdal(path: Path) -> gpd.GeoDataFrame:
    frames = [pyogrio.read_dataframe(path, layer=str(name)) for name, _ in pyogrio.list_layers(path)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return gpd.GeoDataFrame(geometry=[], crs=EPSG_WGS84)
    gdf = pd.concat(frames, ignore_index=True)
    gdf = gdf.drop(columns=[c for c in _KML_NOISE if c in gdf.columns])
    return gdf.rename(columns={"Name": "name", "Description": "description"})


def kml_gdal_driver() -> str | None:
    """Name of the GDAL KML driver available to pyogrio (LIBKML preferred)."""
    drivers = pyogrio.list_drivers()
    return next((d for d in ("LIBKML", "KML") if d in drivers), None)


def _read_kml(path: Path, crs: str | int | None) -> ReadResult:
    warnings: list[str] = []
    gdf = parse_kml(path.read_bytes())
    driver = "KML"
    if (len(gdf) == 0 or gdf.geometry.isna().all()) and kml_gdal_driver():
        gdf = _read_kml_gdal(path)
        driver = kml_gdal_driver() or "KML"
    gdf = gdf[gdf.geometry.notna()] if len(gdf) else gdf
    if crs is None:
        crs_used: str | int = EPSG_WGS84
        gdf, detected = _finish_crs(gdf, crs_used, warnings)
        detected = DetectedCRS(EPSG_WGS84, "kml-spec", "KML 规定为 WGS84 经纬度 / KML is always WGS84 lon/lat")
    else:
        gdf, detected = _finish_crs(gdf, crs, warnings)
    return ReadResult(gdf, detected, None, warnings, driver, [path.name])


def _read_kmz(path: Path, crs: str | int | None, limits: ReadLimits) -> ReadResult:
    with tempfile.TemporaryDirectory(prefix="parkmap-kmz-") as tmp:
        root = Path(tmp).resolve()
        files = safe_extract_zip(path, root, limits)
        kmls = sorted((f for f in files if f.suffix.lower() == ".kml"), key=lambda f: (f.name.lower() != "doc.kml", str(f)))
        if not kmls:
            raise ParkmapError("KMZ 中没有 .kml 文件", "The KMZ contains no .kml file", code="empty")
        res = _read_kml(kmls[0], crs)
        res.layers = [kmls[0].relative_to(root).as_posix()]
        return res


# -- zip -----------------------------------------------------------------------
def _visible(p: Path, root: Path) -> bool:
    rel = p.relative_to(root).parts
    return not any(part.startswith(("__MACOSX", "._")) for part in rel)


def _read_zip(path: Path, crs: str | int | None, encoding: str | None, layer: str | None, limits: ReadLimits) -> ReadResult:
    with tempfile.TemporaryDirectory(prefix="parkmap-zip-") as tmp:
        root = Path(tmp).resolve()
        files = [f for f in safe_extract_zip(path, root, limits) if _visible(f, root)]
        shps = sorted(f for f in files if f.suffix.lower() == ".shp")
        if shps:
            return _read_zipped_shapefiles(shps, root, crs, encoding)
        others = sorted(f for f in files if SUPPORTED_SUFFIXES.get(f.suffix.lower()) not in (None, "zip", "shp"))
        if not others:
            raise ParkmapError(
                "压缩包中没有可读取的矢量文件（.shp / .gpkg / .geojson / .kml / .txt）",
                "The zip contains no supported vector file (.shp / .gpkg / .geojson / .kml / .txt)",
                code="empty",
            )
        res = _dispatch(others[0], crs, encoding, layer, limits)
        res.layers = [others[0].relative_to(root).as_posix()]
        return res


def _read_zipped_shapefiles(shps: list[Path], root: Path, crs: str | int | None, encoding: str | None) -> ReadResult:
    rels = {s: s.relative_to(root).as_posix() for s in shps}
    polys = [s for s in shps if _is_polygon_type(pyogrio.read_info(s, encoding="latin1").get("geometry_type"))]
    warnings: list[str] = []
    skipped = [rels[s] for s in shps if s not in polys]
    if skipped and polys:
        warnings.append(bilingual(f"跳过非面 shapefile：{', '.join(skipped)}", f"Skipped non-polygon shapefiles: {', '.join(skipped)}"))
    chosen = polys or shps[:1]
    results = [_read_shapefile(s, crs, encoding) for s in chosen]
    if len(results) == 1:
        res = results[0]
        res.warnings = warnings + res.warnings
        res.layers = [rels[chosen[0]]]
        return res
    frames = []
    for s, res in zip(chosen, results):
        frames.append(res.gdf.assign(_source=rels[s]))
        warnings.extend(res.warnings)
    warnings.append(bilingual(f"合并了 {len(chosen)} 个面 shapefile", f"Merged {len(chosen)} polygon shapefiles"))
    encs = sorted({r.encoding for r in results if r.encoding})
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry=frames[0].geometry.name, crs=frames[0].crs)
    return ReadResult(merged, results[0].source_crs, ",".join(encs) or None, warnings, "ESRI Shapefile",
                      [rels[s] for s in chosen])


def _read_txt(path: Path, crs: str | int | None, encoding: str | None, limits: ReadLimits) -> ReadResult:
    gdf, detected, enc, warnings = read_jzd_txt(path, encoding=encoding, crs=crs, limits=limits)
    return ReadResult(gdf, detected, enc, warnings, "JZD-TXT", [path.name])


def _dispatch(path: Path, crs: str | int | None, encoding: str | None, layer: str | None, limits: ReadLimits) -> ReadResult:
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ParkmapError(
            f"不支持的文件类型 “{path.suffix or path.name}”",
            f"Unsupported file type '{path.suffix or path.name}'",
            "支持 .gpkg .geojson .json .kml .kmz .shp .zip .txt / supported: .gpkg .geojson .json .kml .kmz .shp .zip .txt",
            code="unsupported",
        )
    check_file_size(path, limits)
    if kind == "gpkg":
        return _read_gpkg(path, crs, layer)
    if kind == "geojson":
        return _read_geojson(path, crs, encoding)
    if kind == "kml":
        return _read_kml(path, crs)
    if kind == "kmz":
        return _read_kmz(path, crs, limits)
    if kind == "shp":
        return _read_shapefile(path, crs, encoding)
    if kind == "zip":
        return _read_zip(path, crs, encoding, layer, limits)
    return _read_txt(path, crs, encoding, limits)


def read_vector(
    path: str | Path,
    *,
    crs: str | int | None = None,
    encoding: str | None = None,
    layer: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    validate: bool = True,
    bbox: tuple[float, float, float, float] | None = SICHUAN_BBOX,
) -> ReadResult:
    """Read a vector file into EPSG:4490 and validate it.

    Parameters
    ----------
    path : str or Path
        Input file (see module docstring for formats).
    crs : str or int, optional
        CRS of the coordinates (``4523``, ``"EPSG:4544"``...), overriding
        the file's declaration and detection.
    encoding : str, optional
        Attribute/text encoding, overriding detection.
    layer : str, optional
        GeoPackage layer.
    limits : ReadLimits
        File size and archive limits.
    validate : bool
        Run :func:`geo.validate.validate_polygons` (default True).
    bbox : tuple or None
        Extent for validation (Sichuan by default; None disables).

    Returns
    -------
    ReadResult

    Raises
    ------
    ParkmapError
        For every problem with the input (GDAL errors are wrapped too).
    """
    path = Path(path)
    if not path.exists():
        raise ParkmapError(f"文件不存在：{path}", f"File not found: {path}", code="not-found")
    if path.is_dir():
        raise ParkmapError(f"{path} 是文件夹，不是文件", f"{path} is a folder, not a file",
                           "请把文件夹打包成 zip / zip the folder", code="not-found")
    try:
        res = _dispatch(path, crs, encoding, layer, limits)
    except ParkmapError:
        raise
    except Exception as exc:  # GDAL, OS, parsing errors → bilingual message
        raise unreadable(path, exc) from exc
    if validate:
        res.gdf, more = validate_polygons(res.gdf, source_crs=res.source_crs, bbox=bbox)
        res.warnings = res.warnings + more
    return res


def unreadable(path: Path, exc: BaseException) -> ParkmapError:
    """Wrap an unexpected library error in a bilingual "cannot read" error."""
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    return ParkmapError(
        f"无法读取文件 {path.name}：{detail}",
        f"Cannot read file {path.name}: {type(exc).__name__}: {detail}",
        "请确认文件完整且格式正确，可在 GIS 软件中另存为 GeoPackage 再试 / "
        "check the file is complete and valid; re-save it as GeoPackage in a GIS and retry",
        code="unreadable",
    )
