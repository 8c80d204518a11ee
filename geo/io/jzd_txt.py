"""界址点 TXT: the land-administration (国土) boundary-point exchange format.

Layout (UTF-8 or GBK, optional BOM, CRLF or LF)::

    [属性描述]
    坐标系=2000国家大地坐标系
    几度分带=3
    带号=35
    ...
    [地块坐标]
    5,0.8765,1,示例地块,面,H48G001001,工业用地,,@
    J1,1,3378123.456,35512345.678
    ...

Parcel header: 界址点数,地块面积(公顷),地块号,地块名称,图形属性(面/线/点),
图幅号,地块用途,备注,@.  Point line: 点号,圈号,X,Y where **X is the
northing and Y the easting**.  Ring (圈号) 1 is the outer boundary; a later
ring lying inside an earlier outer ring is a hole of it, otherwise it starts
a new part (multi-part parcels).  Eastings may carry the zone prefix
(35 512 345.678 → EPSG:4523) or not, in which case 带号 (with 几度分带)
gives the zone (→ EPSG:4542–4545 for 3-degree zones).

Parsing (:func:`parse_jzd_text`) is pure; :func:`read_jzd_txt` and
:func:`write_jzd_txt` do the file I/O.
"""

from __future__ import annotations

import codecs
import datetime as _dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPoint, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo import clock
from geo.area import geodesic_area_m2, polygon_parts, to_hectares
from geo.crs import (
    DetectedCRS,
    detect_crs,
    epsg_for_gk_zone,
    gk_zone_for_lon,
    to_cgcs2000,
)
from geo.errors import ParkmapError, bilingual
from geo.io.archive import DEFAULT_LIMITS, ReadLimits, check_file_size
from geo.io.atomic import write_bytes_atomic
from geo.validate import INVALID_PARCELS_ATTR, describe_crossings, invalid_reason_text, ring_crossings

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SECTION_META = "属性描述"
SECTION_COORDS = "地块坐标"

#: Output column names, in order (地块面积 is the declared area in 公顷).
PARCEL_COLUMNS = ("界址点数", "地块面积", "地块号", "地块名称", "图形属性", "图幅号", "地块用途", "备注")

_SPLIT = re.compile(r"[,，]")
_CGCS2000_NAMES = ("2000", "CGCS")


@dataclass
class JzdParcel:
    """One parcel block of a 界址点 TXT file (coordinates as written)."""

    line_no: int
    attrs: dict[str, Any]
    #: ring number → list of (easting, northing, line number, 点号 point name)
    rings: dict[int, list[tuple[float, float, int, str]]] = field(default_factory=dict)

    @property
    def n_points(self) -> int:
        """Number of point lines read for the parcel."""
        return sum(len(r) for r in self.rings.values())


@dataclass
class JzdDocument:
    """Parsed file: header key/values and parcels."""

    meta: dict[str, str]
    parcels: list[JzdParcel]


# --------------------------------------------------------------------------
# Decoding and parsing (pure)
# --------------------------------------------------------------------------
def decode_text(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode file bytes, returning (text, codec name).

    Tries, in order: the given ``encoding``; a BOM (UTF-8 / UTF-16); strict
    UTF-8; GBK; GB18030.
    """
    if encoding:
        try:
            return data.decode(encoding), codecs.lookup(encoding).name
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParkmapError(
                f"无法用编码 {encoding} 解码文本", f"The text cannot be decoded as {encoding}",
                "请换一种编码，如 --encoding gbk / try another encoding, e.g. --encoding gbk",
                code="encoding",
            ) from exc
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    for enc in ("utf-8", "gbk", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise ParkmapError(
        "无法识别文本编码（既不是 UTF-8 也不是 GBK/GB18030）",
        "Cannot determine the text encoding (neither UTF-8 nor GBK/GB18030)",
        "请用 --encoding 指定 / pass --encoding", code="encoding",
    )


def _malformed(line_no: int, line: str, zh: str, en: str) -> ParkmapError:
    snippet = line if len(line) <= 60 else line[:57] + "..."
    return ParkmapError(
        f"界址点文件第 {line_no} 行格式错误：{zh}（“{snippet}”）",
        f"Boundary-point TXT line {line_no} is malformed: {en} ('{snippet}')",
        code="malformed",
    )


def _float(text: str, line_no: int, line: str, what_zh: str, what_en: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise _malformed(line_no, line, f"{what_zh}不是数字", f"{what_en} is not a number") from None
    if not math.isfinite(value):
        raise _malformed(line_no, line, f"{what_zh}不是有限数", f"{what_en} is not finite")
    return value


def _int(text: str, line_no: int, line: str, what_zh: str, what_en: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise _malformed(line_no, line, f"{what_zh}不是整数", f"{what_en} is not an integer") from None


def parse_parcel_header(line: str, line_no: int) -> JzdParcel:
    """Parse ``界址点数,面积,地块号,名称,图形属性,图幅号,用途,备注,@``."""
    fields = [f.strip() for f in _SPLIT.split(line)]
    if fields[-1] != "@":
        raise _malformed(line_no, line, "地块行必须以 @ 结尾", "a parcel line must end with @")
    values = fields[:-1]
    if len(values) < 3:
        raise _malformed(line_no, line, "地块行字段太少", "too few fields in the parcel line")
    values += [""] * (len(PARCEL_COLUMNS) - len(values))
    attrs: dict[str, Any] = dict(zip(PARCEL_COLUMNS, values[: len(PARCEL_COLUMNS)]))
    attrs["界址点数"] = _int(values[0], line_no, line, "界址点数", "point count")
    attrs["地块面积"] = _float(values[1], line_no, line, "地块面积", "area") if values[1] else float("nan")
    return JzdParcel(line_no=line_no, attrs=attrs)


def parse_point_line(line: str, line_no: int) -> tuple[int, float, float, str]:
    """Parse ``点号,圈号,X(northing),Y(easting)`` → (ring, easting, northing, 点号).

    The point name (``J3``) is kept so that a parcel whose boundary crosses
    itself can be refused naming the points (:func:`parcel_problem`); an
    empty name becomes ``第N行`` (the line number).
    """
    fields = [f.strip() for f in _SPLIT.split(line)]
    if len(fields) < 4:
        raise _malformed(line_no, line, "界址点行应为 点号,圈号,X,Y", "a point line must be 'name,ring,X,Y'")
    ring = _int(fields[1], line_no, line, "圈号", "ring number")
    northing = _float(fields[2], line_no, line, "X（北坐标）", "X (northing)")
    easting = _float(fields[3], line_no, line, "Y（东坐标）", "Y (easting)")
    return ring, easting, northing, fields[0] or f"第{line_no}行"


def parse_jzd_text(text: str) -> JzdDocument:
    """Parse the text of a 界址点 TXT file.

    Raises
    ------
    ParkmapError
        For a malformed line (the message names the line number) or a file
        without parcels.
    """
    meta: dict[str, str] = {}
    parcels: list[JzdParcel] = []
    section: str | None = None
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == SECTION_META:
            key, sep, value = line.partition("=")
            if not sep:
                raise _malformed(line_no, line, "属性描述行应为 键=值", "header lines must be 'key=value'")
            meta[key.strip()] = value.strip()
        elif section == SECTION_COORDS or (section is None and line.endswith("@")):
            section = SECTION_COORDS
            if line.endswith("@"):
                parcels.append(parse_parcel_header(line, line_no))
            else:
                if not parcels:
                    raise _malformed(line_no, line, "界址点出现在地块行之前", "a point appears before any parcel line")
                ring, e, n, name = parse_point_line(line, line_no)
                parcels[-1].rings.setdefault(ring, []).append((e, n, line_no, name))
        # lines of unknown sections are ignored
    if not parcels:
        raise ParkmapError(
            "界址点文件中没有地块（缺少 [地块坐标] 或以 @ 结尾的地块行）",
            "The boundary-point file contains no parcels (no [地块坐标] section or parcel lines ending in @)",
            code="empty",
        )
    return JzdDocument(meta=meta, parcels=parcels)


# --------------------------------------------------------------------------
# Geometry building (pure)
# --------------------------------------------------------------------------
def _closed_ring(points: list[tuple[float, float, int, str]], parcel: JzdParcel, ring_no: int) -> list[tuple[float, float]]:
    coords = [(e, n) for e, n, *_ in points]
    if coords[0] != coords[-1]:
        coords.append(coords[0])
    if len(set(coords)) < 3:
        line_no = points[0][2]
        raise ParkmapError(
            f"界址点文件第 {line_no} 行起：地块 {parcel.attrs['地块号']} 的第 {ring_no} 圈少于 3 个不同的点",
            f"Boundary-point TXT from line {line_no}: ring {ring_no} of parcel {parcel.attrs['地块号']} has fewer than 3 distinct points",
            code="malformed",
        )
    return coords


def assemble_rings(rings: list[list[tuple[float, float]]]) -> BaseGeometry:
    """Build a (Multi)Polygon from ordered closed rings.

    The first ring is an outer boundary; each later ring inside an earlier
    outer ring becomes its hole, otherwise it starts a new part.
    """
    shells: list[tuple[Polygon, list[list[tuple[float, float]]]]] = []
    for coords in rings:
        ring_poly = Polygon(coords)
        probe = ring_poly.representative_point() if ring_poly.is_valid else shapely.Point(coords[0])
        host = next((s for s in shells if s[0].covers(probe)), None) if shells else None
        if host is None:
            shells.append((ring_poly, []))
        else:
            host[1].append(coords)
    polys = [Polygon(shell.exterior.coords, holes) for shell, holes in shells]
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def parcel_geometry(parcel: JzdParcel) -> BaseGeometry:
    """Geometry of a parcel in file coordinates (x = easting, y = northing)."""
    shape = str(parcel.attrs.get("图形属性") or "面")
    ordered = [parcel.rings[k] for k in sorted(parcel.rings)]
    if not ordered:
        raise ParkmapError(
            f"界址点文件第 {parcel.line_no} 行：地块 {parcel.attrs['地块号']} 没有界址点",
            f"Boundary-point TXT line {parcel.line_no}: parcel {parcel.attrs['地块号']} has no points",
            code="malformed",
        )
    if shape.startswith("线"):
        lines = [LineString([(e, n) for e, n, *_ in r]) for r in ordered]
        return lines[0] if len(lines) == 1 else MultiLineString(lines)
    if shape.startswith("点"):
        return MultiPoint([(e, n) for r in ordered for e, n, *_ in r])
    return assemble_rings([_closed_ring(pts, parcel, k) for k, pts in zip(sorted(parcel.rings), ordered)])


def _file_xy_text(x: float, y: float) -> tuple[str, str]:
    """A file-coordinate position as the format writes it: X = northing, Y = easting."""
    return f"X={y:.3f}，Y={x:.3f}", f"X={y:.3f}, Y={x:.3f}"


def parcel_problem(parcel: JzdParcel, geom: BaseGeometry) -> tuple[str, str] | None:
    """Why a polygon parcel is invalid, naming its 界址点: ``界址点 J3–J4 与 J7–J8 相交（X=…，Y=…）``.

    Computed in file coordinates (``geom`` from :func:`parcel_geometry`);
    None for a valid parcel or one that is not a polygon.
    """
    if geom.geom_type not in ("Polygon", "MultiPolygon") or shapely.is_valid(geom):
        return None
    ordered = [parcel.rings[k] for k in sorted(parcel.rings)]
    crossings = ring_crossings([[(e, n) for e, n, *_ in r] for r in ordered])
    if not crossings:
        return invalid_reason_text(geom, _file_xy_text)
    kind_zh, kind_en = invalid_reason_text(geom, _file_xy_text, location=False)
    cz, ce = describe_crossings(crossings, [[p[3] for p in r] for r in ordered], _file_xy_text)
    return f"{kind_zh}：界址点 {cz}", f"{kind_en}: boundary points {ce}"


def header_zone(meta: dict[str, str]) -> tuple[int | None, int]:
    """Return (带号 or None, 几度分带) from the header."""
    width_text = meta.get("几度分带", "").strip() or "3"
    zone_text = meta.get("带号", "").strip()
    try:
        width = int(float(width_text))
        zone = int(float(zone_text)) if zone_text else None
    except ValueError:
        raise ParkmapError(
            f"界址点文件头的 带号={zone_text} / 几度分带={width_text} 不是数字",
            f"Header 带号 (zone)={zone_text} / 几度分带 (zone width)={width_text} is not a number",
            code="malformed",
        ) from None
    return zone, width


def _check_datum(meta: dict[str, str], warnings: list[str]) -> None:
    name = meta.get("坐标系", "").strip()
    if not name:
        warnings.append(bilingual("文件头未写坐标系，按 2000国家大地坐标系 处理",
                                  "The header names no datum; assuming CGCS2000"))
        return
    if not any(k in name.upper() for k in _CGCS2000_NAMES):
        raise ParkmapError(
            f"暂不支持坐标系 “{name}”，只支持 2000国家大地坐标系（CGCS2000）",
            f"Datum '{name}' is not supported; only CGCS2000 is",
            "请先转换到 CGCS2000，或用 --crs 指定 EPSG 代码 / convert to CGCS2000 first or pass --crs",
            code="crs-datum",
        )


def jzd_to_gdf(
    doc: JzdDocument, crs: str | int | None = None
) -> tuple[gpd.GeoDataFrame, DetectedCRS, list[str]]:
    """Convert a parsed document to a GeoDataFrame in EPSG:4490.

    Parameters
    ----------
    doc : JzdDocument
        Parsed file.
    crs : str or int, optional
        User CRS overriding the header and coordinate detection.

    Returns
    -------
    (GeoDataFrame, DetectedCRS, warnings)
    """
    warnings: list[str] = []
    if crs is None:
        _check_datum(doc.meta, warnings)
    zone, width = header_zone(doc.meta)
    geoms = [parcel_geometry(p) for p in doc.parcels]
    coords = shapely.get_coordinates(geoms)
    detected = detect_crs(coords[:, 0], coords[:, 1], declared=crs, header_zone=zone, zone_width=width, source="user")
    if detected.warning:
        warnings.append(detected.warning)
    for p in doc.parcels:
        if p.attrs["界址点数"] != p.n_points:
            warnings.append(bilingual(
                f"第 {p.line_no} 行地块 {p.attrs['地块号']} 声明 {p.attrs['界址点数']} 个界址点，实际 {p.n_points} 个",
                f"Parcel {p.attrs['地块号']} (line {p.line_no}) declares {p.attrs['界址点数']} points but has {p.n_points}",
            ))
    data = {col: [p.attrs[col] for p in doc.parcels] for col in PARCEL_COLUMNS}
    gdf = gpd.GeoDataFrame(data, geometry=geoms, crs=detected.to_crs())
    problems = {i: pr for i, (p, g) in enumerate(zip(doc.parcels, geoms)) if (pr := parcel_problem(p, g)) is not None}
    if problems:  # kept with the frame (index → (中文, English)); the proposal reader names them
        gdf.attrs[INVALID_PARCELS_ATTR] = problems
    gdf = to_cgcs2000(gdf)
    warnings.extend(_area_warnings(gdf))
    return gdf, detected, warnings


def _area_warnings(gdf: gpd.GeoDataFrame) -> list[str]:
    out: list[str] = []
    for declared, geom, no in zip(gdf["地块面积"], gdf.geometry, gdf["地块号"]):
        computed = to_hectares(geodesic_area_m2(geom))
        if declared and np.isfinite(declared) and declared > 0 and computed > 0:
            if abs(computed - declared) / declared > 0.01:
                out.append(bilingual(
                    f"地块 {no} 声明面积 {declared:g} 公顷，按坐标计算为 {computed:.4f} 公顷",
                    f"Parcel {no} declares {declared:g} ha but its coordinates give {computed:.4f} ha",
                ))
    return out


def read_jzd_txt(
    path: str | Path,
    *,
    encoding: str | None = None,
    crs: str | int | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> tuple[gpd.GeoDataFrame, DetectedCRS, str, list[str]]:
    """Read a 界址点 TXT file.

    Only a regular file is opened, and at most ``limits.max_file_bytes`` are
    read; parcels and points are counted against the feature/vertex caps
    (:mod:`geo.limits`) and absurd coordinates refused before any geometry
    is built.

    Returns
    -------
    (GeoDataFrame in EPSG:4490, DetectedCRS, encoding, warnings)
    """
    from geo.io.guard import (
        check_coordinates,
        check_feature_count,
        check_vertex_total,
        read_bytes_capped,
    )

    path = Path(path)
    check_file_size(path, limits)
    text, enc = decode_text(read_bytes_capped(path, limits.max_file_bytes), encoding)
    caps = limits.count_caps()
    # Before parsing: every line that is not blank, a [section], a key=value or a parcel line (…,@) is a point.
    lines = [line.strip() for line in text.splitlines()]
    check_feature_count(sum(1 for line in lines if line.endswith("@")), caps, path.name)
    check_vertex_total(sum(1 for line in lines if line and not line.endswith("@") and "=" not in line
                           and not line.startswith("[")), caps, path.name)
    del lines
    doc = parse_jzd_text(text)
    check_feature_count(len(doc.parcels), caps, path.name)
    points = [pt[:2] for parcel in doc.parcels for ring in parcel.rings.values() for pt in ring]
    check_vertex_total(len(points), caps, path.name)
    check_coordinates(np.asarray(points, dtype=float), path.name)
    gdf, detected, warnings = jzd_to_gdf(doc, crs)
    return gdf, detected, enc, warnings


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------
_NAME_COLUMNS = {
    "地块号": ("地块号", "parcel_no", "id", "ID", "编号"),
    "地块名称": ("地块名称", "name", "NAME", "名称"),
    "图幅号": ("图幅号",),
    "地块用途": ("地块用途", "用途", "use"),
    "备注": ("备注", "remark"),
}


def _attr(row: pd.Series, key: str, default: str = "") -> str:
    for col in _NAME_COLUMNS[key]:
        if col in row.index:
            value = row[col]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return default
            text = str(value)
            return " ".join(text.replace(",", "，").replace("@", "＠").split()) or default
    return default


def _fmt(v: float) -> str:
    return f"{v:.3f}"


def format_jzd_text(
    gdf: gpd.GeoDataFrame,
    zone: int | None = None,
    prefixed: bool = True,
    *,
    unit: str = "parkmap",
    date: _dt.date | None = None,
) -> str:
    """Render polygons as 界址点 TXT text (CRLF line endings).

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygon features in any CRS.
    zone : int, optional
        3-degree GK zone; default from the data's centre longitude.
    prefixed : bool
        Write eastings with the zone prefix (EPSG:4513–4533) or without
        (EPSG:4534–4554).
    unit, date :
        Header 数据产生单位 / 数据产生日期.
    """
    lonlat = to_cgcs2000(gdf)
    if len(lonlat) == 0:
        raise ParkmapError("没有要写出的要素", "There are no features to write", code="empty")
    if zone is None:
        x0, _, x1, _ = lonlat.total_bounds
        zone = gk_zone_for_lon((x0 + x1) / 2.0)
    epsg = epsg_for_gk_zone(zone, prefixed)
    projected = lonlat.to_crs(epsg)
    date = date or clock.today()
    lines = [
        f"[{SECTION_META}]", "格式版本号=1.0", f"数据产生单位={unit}", f"数据产生日期={date.isoformat()}",
        "坐标系=2000国家大地坐标系", "几度分带=3", "投影类型=高斯克吕格", "计量单位=米",
        f"带号={zone}", "精度=0.001", "转换参数=,,,,,,", f"[{SECTION_COORDS}]",
    ]
    for pos, ((_, row), geom_ll, geom_xy) in enumerate(zip(lonlat.iterrows(), lonlat.geometry, projected.geometry)):
        lines.extend(_parcel_lines(row, pos, geom_ll, geom_xy))
    return "\r\n".join(lines) + "\r\n"


def _parcel_lines(row: pd.Series, pos: int, geom_ll: BaseGeometry, geom_xy: BaseGeometry) -> list[str]:
    parts = polygon_parts(geom_xy)
    if not parts:
        raise ParkmapError(
            f"第 {pos + 1} 个要素不是面，无法写入界址点文件",
            f"Feature {pos + 1} is not a polygon and cannot be written as boundary points",
            code="not-polygon",
        )
    points: list[str] = []
    n = 0
    ring_no = 0
    for part in parts:
        part = shapely.orient_polygons(part, exterior_cw=True)
        for ring in [part.exterior, *part.interiors]:
            ring_no += 1
            coords = list(ring.coords)[:-1]
            first = n + 1
            for e, north in coords:
                n += 1
                points.append(f"J{n},{ring_no},{_fmt(north)},{_fmt(e)}")
            points.append(f"J{first},{ring_no},{_fmt(coords[0][1])},{_fmt(coords[0][0])}")
    area_ha = to_hectares(geodesic_area_m2(geom_ll))
    header = ",".join([
        str(len(points)), f"{area_ha:.4f}", _attr(row, "地块号", str(pos + 1)), _attr(row, "地块名称"), "面",
        _attr(row, "图幅号"), _attr(row, "地块用途"), _attr(row, "备注"), "@",
    ])
    return [header, *points]


def write_jzd_txt(
    gdf: gpd.GeoDataFrame,
    path: str | Path,
    zone: int | None = None,
    prefixed: bool = True,
    encoding: str = "utf-8",
) -> Path:
    """Write polygons to a 界址点 TXT file atomically.

    Areas (公顷) are geodesic; rings are closed and J-numbered; outer rings
    clockwise.  See :func:`format_jzd_text`.
    """
    text = format_jzd_text(gdf, zone, prefixed)
    try:
        data = text.encode(encoding)
    except (UnicodeEncodeError, LookupError) as exc:
        raise ParkmapError(
            f"属性中有无法用 {encoding} 编码的字符", f"Some attribute text cannot be encoded as {encoding}",
            "请改用 utf-8 / use utf-8", code="encoding",
        ) from exc
    return write_bytes_atomic(Path(path), data)


__all__ = [
    "JzdDocument",
    "JzdParcel",
    "assemble_rings",
    "decode_text",
    "format_jzd_text",
    "jzd_to_gdf",
    "parse_jzd_text",
    "read_jzd_txt",
    "write_jzd_txt",
]
