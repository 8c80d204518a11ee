"""Validation and repair of polygon layers read from user files, and of line layers (rivers).

All functions expect lon/lat in EPSG:4490 (see :func:`geo.crs.to_cgcs2000`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import GeometryCollection, LineString, MultiPolygon
from shapely.geometry.base import BaseGeometry

from geo.area import geodesic_area_m2, polygon_parts
from geo.errors import ParkmapError, bilingual

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from geo.crs import DetectedCRS

#: Sichuan's neighbourhood as (min lon, min lat, max lon, max lat).  The
#: province spans about lon 97.3–108.6 °E, lat 26.0–34.3 °N; the box adds a
#: ~0.5–1° margin so parks on the border and neighbouring-province context
#: layers pass, while swapped lon/lat, wrong zones or unprojected metres fail.
SICHUAN_BBOX: tuple[float, float, float, float] = (96.5, 25.5, 110.5, 34.8)

_POLYGONAL = ("Polygon", "MultiPolygon")


def _feature_label(pos: int) -> str:
    return f"{pos + 1}"


def polygonal_only(geom: BaseGeometry) -> BaseGeometry | None:
    """Keep only the polygonal parts of ``geom`` (None if there are none)."""
    parts = polygon_parts(geom)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def parts_only_overlap(geom: BaseGeometry) -> bool:
    """True for a MultiPolygon whose polygons are each valid but overlap or touch along an edge.

    Such a feature covers exactly the union of its parts; dissolving them
    (:func:`dissolve_parts`) loses no land, unlike ``make_valid``, which
    drops the overlap (even-odd rule).
    """
    if geom.geom_type != "MultiPolygon" or shapely.is_valid(geom):
        return False
    return bool(np.all(shapely.is_valid(np.asarray(list(geom.geoms), dtype=object))))


def dissolve_parts(geom: BaseGeometry) -> BaseGeometry | None:
    """The union of the (valid) polygons of ``geom`` as one valid (Multi)Polygon."""
    return polygonal_only(shapely.union_all(polygon_parts(geom)))


def repair_geometry(geom: BaseGeometry) -> tuple[BaseGeometry | None, str | None]:
    """Repair an invalid polygon with :func:`shapely.make_valid`.

    A MultiPolygon whose parts are each valid and only overlap or touch is
    dissolved instead (:func:`dissolve_parts`), so no overlap is lost.

    Returns
    -------
    (geometry or None, reason or None)
        The polygonal parts of the repaired geometry and the GEOS reason it
        was invalid (None if it was valid).
    """
    if shapely.is_valid(geom):
        return geom, None
    reason = shapely.is_valid_reason(geom)
    if parts_only_overlap(geom):
        return dissolve_parts(geom), reason
    return polygonal_only(shapely.make_valid(geom)), reason


# --------------------------------------------------------------------------
# Invalid parcels: where and why, in words (proposals are refused, not repaired)
# --------------------------------------------------------------------------
#: How a planner fixes an invalid parcel (bilingual hint of the refusal).
REPAIR_HINT = ("检查界址点顺序，或勾选“自动修复无效地块”、使用 --repair 自动修复 / "
               "check the point order, or tick 'Repair invalid parcels' / use --repair")

#: How ``area_before_m2`` of a repair is measured (quoted in the repair record).
AREA_BEFORE_DEFINITION = (
    "修复前面积：按文件给出的点序计算的椭球面积（外环面积减内环面积，每环用带符号的面积公式，"
    "“8”字形的两瓣相互抵消） / area before: geodesic area of the rings as given, in their point order "
    "(|outer ring| minus |holes|, each ring by the signed-area formula, so the two lobes of a figure-eight cancel)"
)

#: ``GeoDataFrame.attrs`` key under which a reader leaves the problems of invalid
#: features it can describe better than GEOS (index → (中文, English); the
#: 界址点 TXT reader names the crossing points, :func:`geo.io.jzd_txt.parcel_problem`).
INVALID_PARCELS_ATTR = "parkmap_invalid_parcels"

#: GEOS validity reasons → (中文, English) in planner words.
_REASONS: dict[str, tuple[str, str]] = {
    "Self-intersection": ("边界自相交", "the boundary crosses itself"),
    "Ring Self-intersection": ("边界在一点上与自身相接", "the boundary touches itself at a point"),
    "Hole lies outside shell": ("内环（洞）在外环之外", "a hole lies outside the outer ring"),
    "Nested holes": ("内环互相嵌套", "holes are nested in each other"),
    "Interior is disconnected": ("内环把地块分成了互不相连的几块", "the holes cut the parcel into disconnected pieces"),
    "Nested shells": ("外环互相嵌套", "outer rings are nested"),
    "Duplicate Rings": ("有重复的环", "a ring is repeated"),
    "Too few points in geometry component": ("环的点数太少", "a ring has too few points"),
    "Invalid Coordinate": ("坐标不是有效数字", "a coordinate is not a valid number"),
    "Ring is not closed": ("环没有闭合", "a ring is not closed"),
}
_REASON_AT = re.compile(r"^(?P<kind>.*?)\s*\[(?P<x>\S+) (?P<y>\S+)\]\s*$")
#: Crossings named in one message at most.
MAX_CROSSINGS_LISTED = 3


@dataclass(frozen=True)
class Crossing:
    """Two boundary segments of one polygon that cross (or touch where they must not).

    ``ring_*`` index the rings as passed to :func:`ring_crossings`; ``*0``/``*1``
    are the indices of the segment's start and end points in that ring (the
    closing segment ends at point 0); ``x``/``y`` is a point they share.
    """

    ring_a: int
    a0: int
    a1: int
    ring_b: int
    b0: int
    b1: int
    x: float
    y: float


def ring_crossings(rings: Sequence[Sequence[Sequence[float]]], limit: int = 50) -> list[Crossing]:
    """Segments of a polygon's rings that cross each other, in ring and point order.

    Parameters
    ----------
    rings : sequence of coordinate sequences
        Outer ring first, then holes (or all rings of a 界址点 parcel), in any
        planar or lon/lat coordinates; a ring need not repeat its first point.
    limit : int
        Stop after this many crossings.

    Returns
    -------
    list of Crossing
        Within one ring: any two non-adjacent segments that meet, and adjacent
        segments that overlap (a spike).  Between two rings: segments whose
        interiors meet (a hole may touch its shell at a single point).
        Repeated points are skipped.
    """
    starts: list[NDArray[np.float64]] = []
    ends: list[NDArray[np.float64]] = []
    meta: list[tuple[int, int, int, int, int]] = []  # ring, segment no, n segments, start point, end point
    for r, coords in enumerate(rings):
        pts = np.asarray([tuple(c[:2]) for c in coords], dtype=float)
        if len(pts) < 2:
            continue
        idx = list(range(len(pts)))
        if tuple(pts[0]) != tuple(pts[-1]):
            pts = np.vstack([pts, pts[:1]])
            idx.append(0)
        else:
            idx[-1] = 0
        kept = [0]
        for i in range(1, len(pts)):
            if tuple(pts[i]) != tuple(pts[kept[-1]]):
                kept.append(i)
        n = len(kept) - 1
        for k in range(n):
            starts.append(pts[kept[k]])
            ends.append(pts[kept[k + 1]])
            meta.append((r, k, n, idx[kept[k]], idx[kept[k + 1]]))
    if len(meta) < 2:
        return []
    lines = shapely.linestrings(np.stack([np.array(starts), np.array(ends)], axis=1))
    a, b = shapely.STRtree(lines).query(lines, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if not len(a):
        return []
    m = np.asarray(meta)
    same = m[a, 0] == m[b, 0]
    gap = np.abs(m[a, 1] - m[b, 1])
    adjacent = same & ((gap == 1) | (gap == m[a, 2] - 1))
    cross = shapely.relate_pattern(lines[a], lines[b], "T********")  # interiors meet
    bad = np.where(same & ~adjacent, True, cross)
    out: list[Crossing] = []
    pairs = sorted(zip(a[bad].tolist(), b[bad].tolist()), key=lambda p: (meta[p[0]][:2], meta[p[1]][:2]))
    for i, j in pairs:
        xy = shapely.get_coordinates(shapely.intersection(lines[i], lines[j]))
        x, y = (float(xy[0, 0]), float(xy[0, 1])) if len(xy) else (float("nan"), float("nan"))
        out.append(Crossing(meta[i][0], meta[i][3], meta[i][4], meta[j][0], meta[j][3], meta[j][4], x, y))
        if len(out) >= limit:
            break
    return out


def _lonlat_text(x: float, y: float) -> tuple[str, str]:
    return f"经度 {x:.6f}°、纬度 {y:.6f}°", f"lon {x:.6f}°, lat {y:.6f}°"


def describe_crossings(crossings: Sequence[Crossing], names: Sequence[Sequence[str]] | None,
                       xy_text: Callable[[float, float], tuple[str, str]] = _lonlat_text,
                       ring_words: Callable[[int], tuple[str, str]] | None = None) -> tuple[str, str]:
    """``J3–J4 与 J7–J8 相交（X=…，Y=…）`` / ``J3–J4 and J7–J8 cross (…)`` for the first crossings.

    Parameters
    ----------
    crossings : sequence of Crossing
    names : list of list of str, optional
        Point names per ring (界址点号 of a TXT file); default: point numbers
        ``第 3 点`` within the ring, the ring named by ``ring_words``.
    xy_text : callable
        (x, y) → (中文, English) position text.
    ring_words : callable, optional
        ring index → (中文, English) ring name (``外环`` / ``outer ring``).
    """
    zh_items, en_items = [], []
    for c in crossings[:MAX_CROSSINGS_LISTED]:
        if names is not None:
            za = f"{names[c.ring_a][c.a0]}–{names[c.ring_a][c.a1]}"
            zb = f"{names[c.ring_b][c.b0]}–{names[c.ring_b][c.b1]}"
            ea, eb = za, zb
        else:
            rw = ring_words or (lambda r: ("外环", "outer ring") if r == 0 else (f"第 {r} 个内环", f"hole {r}"))
            (ra_zh, ra_en), (rb_zh, rb_en) = rw(c.ring_a), rw(c.ring_b)
            za = f"{ra_zh}第 {c.a0 + 1}–{c.a1 + 1} 点的边"
            zb = f"{rb_zh}第 {c.b0 + 1}–{c.b1 + 1} 点的边"
            ea = f"the edge from point {c.a0 + 1} to {c.a1 + 1} of the {ra_en}"
            eb = f"the edge from point {c.b0 + 1} to {c.b1 + 1} of the {rb_en}"
        pz, pe = xy_text(c.x, c.y)
        zh_items.append(f"{za} 与 {zb} 相交（{pz}）")
        en_items.append(f"{ea} and {eb} cross ({pe})")
    more = len(crossings) - MAX_CROSSINGS_LISTED
    if more > 0:
        zh_items.append(f"另有 {more} 处相交")
        en_items.append(f"{more} more crossings")
    return "；".join(zh_items), "; ".join(en_items)


def invalid_reason_text(geom: BaseGeometry, xy_text: Callable[[float, float], tuple[str, str]] = _lonlat_text,
                        *, location: bool = True) -> tuple[str, str]:
    """GEOS's reason why ``geom`` is invalid, in planner words, with its location unless ``location`` is False."""
    reason = shapely.is_valid_reason(geom) or ""
    m = _REASON_AT.match(reason)
    kind = m.group("kind") if m else reason
    zh, en = _REASONS.get(kind, (kind, kind))
    if m and location:
        try:
            pz, pe = xy_text(float(m.group("x")), float(m.group("y")))
        except ValueError:
            pz = pe = f"{m.group('x')} {m.group('y')}"
        return f"{zh}（位置 {pz}）", f"{en} (at {pe})"
    return zh, en


def polygon_problem(geom: BaseGeometry) -> tuple[str, str] | None:
    """What is wrong with a lon/lat (Multi)Polygon, where, in words; None when valid.

    A MultiPolygon whose parts are each valid but overlap or touch gives
    None too: it is dissolved, not refused (:func:`parts_only_overlap`).
    """
    if shapely.is_valid(geom) or parts_only_overlap(geom):
        return None
    for poly in polygon_parts(geom):
        if shapely.is_valid(poly):
            continue
        rings = [list(poly.exterior.coords)] + [list(r.coords) for r in poly.interiors]
        crossings = ring_crossings(rings)
        if crossings:
            zh, en = invalid_reason_text(poly, location=False)
            cz, ce = describe_crossings(crossings, None)
            return f"{zh}：{cz}", f"{en}: {ce}"
        return invalid_reason_text(poly)
    return invalid_reason_text(geom)


def parcel_title(label: str, number: str | None = None) -> tuple[str, str]:
    """How messages name a parcel: ``示例地块（地块号 3）`` / ``示例地块 (no. 3)``, or the label alone."""
    if number and number != label:
        return f"{label}（地块号 {number}）", f"{label} (no. {number})"
    return label, label


def invalid_parcels_error(problems: Sequence[tuple[str, str, str, str]]) -> ParkmapError:
    """The refusal of invalid parcels as one bilingual error.

    Parameters
    ----------
    problems : sequence of (title 中文, title English, 中文问题, English problem)
        One per invalid parcel (:func:`parcel_title`, :func:`polygon_problem`).

    Names the first :data:`MAX_CROSSINGS_LISTED` parcels and says how many
    more there are; the hint says how to fix it (:data:`REPAIR_HINT`).
    """
    shown = list(problems)[:MAX_CROSSINGS_LISTED]
    zh = "；".join(f"地块“{tz}”{pz}" for tz, _, pz, _ in shown)
    en = "; ".join(f"parcel '{te}': {pe}" for _, te, _, pe in shown)
    more = len(problems) - len(shown)
    if more > 0:
        zh += f"；另有 {more} 个地块无效"
        en += f"; {more} more parcels are invalid"
    n = len(problems)
    return ParkmapError(
        f"{'有 ' + str(n) + ' 个' if n > 1 else ''}地块的边界无效，不能直接核查（自动修复会改变地块面积）：{zh}",
        f"{n if n > 1 else 'A'} parcel{'s are' if n > 1 else ' is'} invalid and cannot be checked as given "
        f"(a repair changes the area): {en}",
        REPAIR_HINT, code="invalid-geometry")


def repair_parcel(geom: BaseGeometry, label: str, problem: tuple[str, str] | None = None,
                  declared_m2: float | None = None, number: str | None = None) -> tuple[BaseGeometry, dict[str, Any]]:
    """Repair one invalid parcel with ``make_valid`` and describe the repair.

    Parameters
    ----------
    geom : Polygon or MultiPolygon
        Lon/lat.
    label : str
        The parcel's label (as in the check's parcel list).
    problem : (str, str), optional
        What is wrong (default :func:`polygon_problem`).
    declared_m2 : float, optional
        The area the file declares (界址点 TXT 地块面积), kept in the record.
    number : str, optional
        The parcel's number in the file (地块号), kept in the record.

    Returns
    -------
    (geometry, record)
        The repaired (Multi)Polygon and ``{label[, parcel_no], problem_zh,
        problem_en, area_before_m2, area_after_m2[, declared_area_m2]}``:
        areas are geodesic (m²), ``area_before_m2`` as defined in
        :data:`AREA_BEFORE_DEFINITION`.

    Raises
    ------
    ParkmapError
        ``code="invalid-geometry"`` when nothing polygonal is left.
    """
    problem = problem or polygon_problem(geom) or invalid_reason_text(geom)
    fixed, _ = repair_geometry(geom)
    if fixed is None or fixed.is_empty or geodesic_area_m2(fixed) <= 0:
        tz, te = parcel_title(label, number)
        raise ParkmapError(f"地块“{tz}”几何无效且无法修复：{problem[0]}",
                           f"Parcel '{te}' is invalid and cannot be repaired: {problem[1]}",
                           "请在 GIS 软件中重新绘制该地块 / redraw the parcel in a GIS", code="invalid-geometry")
    rec: dict[str, Any] = {"label": label}
    if number and number != label:
        rec["parcel_no"] = number
    rec |= {"problem_zh": problem[0], "problem_en": problem[1],
                           "area_before_m2": round(geodesic_area_m2(geom), 2),
                           "area_after_m2": round(geodesic_area_m2(fixed), 2)}
    if declared_m2 is not None and np.isfinite(declared_m2) and declared_m2 > 0:
        rec["declared_area_m2"] = round(float(declared_m2), 2)
    return fixed, rec


def repair_summary(records: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The ``repair`` entry of a check document: the repaired parcels and the total areas before and after."""
    if not records:
        return None
    return {"method": "shapely.make_valid", "parcels": [dict(r) for r in records],
            "area_before_m2": round(sum(float(r["area_before_m2"]) for r in records), 2),
            "area_after_m2": round(sum(float(r["area_after_m2"]) for r in records), 2),
            "area_before_definition": AREA_BEFORE_DEFINITION}


def repair_lines(repair: dict[str, Any] | None) -> list[str]:
    """One bilingual line per repaired parcel: problem, area before → after (for text output and warnings)."""
    from geo.units import fmt_area

    out = []
    for r in (repair or {}).get("parcels") or []:
        tz, te = parcel_title(str(r.get("label", "")), r.get("parcel_no"))
        declared = r.get("declared_area_m2")
        dz = f"，文件声明 {fmt_area(declared)}" if declared else ""
        de = f", the file declares {fmt_area(declared, 'en')}" if declared else ""
        out.append(bilingual(
            f"地块“{tz}”已自动修复（{r['problem_zh']}）：修复前面积 {fmt_area(r['area_before_m2'])}，"
            f"修复后 {fmt_area(r['area_after_m2'])}{dz}；请核对修复结果",
            f"Parcel '{te}' was repaired ({r['problem_en']}): area before {fmt_area(r['area_before_m2'], 'en')}, "
            f"after {fmt_area(r['area_after_m2'], 'en')}{de}; check the repaired shape"))
    return out


def _crs_text(source_crs: DetectedCRS | None) -> tuple[str, str]:
    if source_crs is None:
        return "未知", "unknown"
    label = f"{source_crs.label}（{source_crs.method}）"
    return label, f"{source_crs.label} ({source_crs.method})"


def check_extent(
    gdf: gpd.GeoDataFrame,
    source_crs: DetectedCRS | None = None,
    bbox: tuple[float, float, float, float] = SICHUAN_BBOX,
) -> None:
    """Raise if any feature lies (even partly) outside ``bbox``."""
    x0, y0, x1, y1 = bbox
    bounds = gdf.geometry.bounds
    bad = ~((bounds.minx >= x0) & (bounds.miny >= y0) & (bounds.maxx <= x1) & (bounds.maxy <= y1))
    if not bad.any():
        return
    pos = int(bad.to_numpy().nonzero()[0][0])
    b = bounds.iloc[pos]
    crs_zh, crs_en = _crs_text(source_crs)
    raise ParkmapError(
        f"第 {_feature_label(pos)} 个要素的坐标（经度 {b.minx:.4f}–{b.maxx:.4f}，纬度 {b.miny:.4f}–{b.maxy:.4f}）"
        f"不在四川范围内；检测到的坐标系为 {crs_zh}。请检查坐标系/带号是否正确、经纬度是否颠倒",
        f"Feature {_feature_label(pos)} lies outside Sichuan (lon {b.minx:.4f}–{b.maxx:.4f}, "
        f"lat {b.miny:.4f}–{b.maxy:.4f}); detected CRS {crs_en}. Check the CRS / zone and lon-lat order",
        "可用 --crs 指定正确坐标系 / declare the right CRS with --crs",
        code="outside-area",
    )


def require_features(gdf: gpd.GeoDataFrame) -> None:
    """Raise ``code="empty"`` if ``gdf`` has no features or only empty geometries."""
    if len(gdf) == 0:
        raise ParkmapError("文件中没有要素", "The file contains no features",
                           "请检查导出的文件是否包含数据 / check that the export contains data", code="empty")
    if all(g is None or g.is_empty for g in gdf.geometry.values):
        raise ParkmapError("文件中所有要素的几何都是空的", "All features in the file have empty geometries",
                           "请检查导出的文件是否包含图形 / check that the export contains shapes", code="empty")


def validate_polygons(
    gdf: gpd.GeoDataFrame,
    *,
    source_crs: DetectedCRS | None = None,
    bbox: tuple[float, float, float, float] | None = SICHUAN_BBOX,
    repair: bool = True,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Check and repair a lon/lat polygon layer.

    Parameters
    ----------
    gdf : GeoDataFrame
        Features in EPSG:4490.
    source_crs : DetectedCRS, optional
        How the CRS was detected; quoted in the out-of-area error.
    bbox : tuple, optional
        Allowed extent; ``None`` disables the check.
    repair : bool
        Repair invalid polygons (:func:`repair_geometry`, with a warning), as
        for control layers.  ``False`` keeps them exactly as read, for a
        proposal whose reader refuses or repairs them parcel by parcel, naming
        each (:func:`geo.proposal.proposal_from_frame`).

    Returns
    -------
    (GeoDataFrame, list of str)
        The cleaned layer (empty features dropped, GeometryCollections
        reduced to their polygonal parts, invalid polygons repaired with
        ``make_valid`` unless ``repair`` is False; index preserved) and
        bilingual warnings.

    Raises
    ------
    ParkmapError
        Empty layer, only empty geometries, a feature that is not a polygon,
        or coordinates outside ``bbox``.
    """
    warnings: list[str] = []
    require_features(gdf)
    geoms = list(gdf.geometry.values)
    empty = [g is None or g.is_empty for g in geoms]

    keep: list[bool] = []
    fixed: list[BaseGeometry | None] = []
    for pos, (geom, is_empty) in enumerate(zip(geoms, empty)):
        label = _feature_label(pos)
        if is_empty:
            warnings.append(bilingual(f"第 {label} 个要素几何为空，已跳过", f"Feature {label} has an empty geometry; skipped"))
            keep.append(False)
            fixed.append(None)
            continue
        geom = shapely.force_2d(geom)
        gtype = geom.geom_type
        if gtype == "GeometryCollection":
            poly = polygonal_only(geom)
            if poly is None:
                _raise_not_polygon(label, gtype)
            if len(polygon_parts(geom)) != len(geom.geoms):
                warnings.append(bilingual(f"第 {label} 个要素含非面部分，已只保留面",
                                          f"Feature {label} mixed polygons with other geometry; kept the polygons"))
            geom = poly
        elif gtype not in _POLYGONAL:
            _raise_not_polygon(label, gtype)
        geom, reason = repair_geometry(geom) if repair else (geom, None)
        if reason is not None:
            if geom is None or geom.is_empty:
                raise ParkmapError(
                    f"第 {label} 个要素几何无效且无法修复（{reason}）",
                    f"Feature {label} is invalid and could not be repaired ({reason})",
                    code="invalid-geometry",
                )
            warnings.append(bilingual(f"第 {label} 个要素几何无效（{reason}），已自动修复（make_valid）",
                                      f"Feature {label} was invalid ({reason}); repaired with make_valid"))
        keep.append(True)
        fixed.append(geom)

    out = gdf.copy()
    out = out.set_geometry(gpd_series(fixed, out))
    out = out[keep]
    if bbox is not None:
        check_extent(out, source_crs, bbox)
    return out, warnings


def validate_lines(gdf: gpd.GeoDataFrame, source_crs: DetectedCRS | None = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Check a lon/lat line layer (rivers): lines, and polygons for lakes (重要湖泊).

    Empty features are dropped; polygons are repaired; points are refused.

    Raises
    ------
    ParkmapError
        No features, a point feature, or coordinates outside Sichuan's box.
    """
    require_features(gdf)
    warnings: list[str] = []
    keep: list[bool] = []
    geoms: list[BaseGeometry | None] = []
    for pos, g in enumerate(gdf.geometry.values):
        if g is None or g.is_empty:
            warnings.append(bilingual(f"第 {pos + 1} 个要素几何为空，已跳过", f"Feature {pos + 1} has an empty geometry; skipped"))
            keep.append(False)
            geoms.append(None)
            continue
        g = shapely.force_2d(g)
        parts = [p for p in shapely.get_parts(g) if p.geom_type in ("LineString", "LinearRing", "Polygon")]
        if not parts or len(parts) != shapely.get_num_geometries(g) and g.geom_type != "GeometryCollection":
            raise ParkmapError(f"第 {pos + 1} 个要素是 {g.geom_type}，河流图层应为线（湖泊可为面）",
                               f"Feature {pos + 1} is a {g.geom_type}; a river layer must hold lines (lakes may be polygons)",
                               code="not-line")
        fixed = []
        for p in parts:
            if p.geom_type == "LinearRing":
                p = LineString(p.coords)
            if p.geom_type == "Polygon" and not p.is_valid:
                p = polygonal_only(shapely.make_valid(p))
            if p is not None and not p.is_empty:
                fixed.append(p)
        geoms.append(fixed[0] if len(fixed) == 1 else GeometryCollection(fixed))
        keep.append(True)
    out = gdf.copy()
    out = out.set_geometry(gpd_series(geoms, gdf))[keep]
    check_extent(out, source_crs, SICHUAN_BBOX)
    return out, warnings


def gpd_series(geoms: list[BaseGeometry | None], like: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Build a GeoSeries aligned with ``like`` (same index and CRS)."""
    import geopandas as gpd

    return gpd.GeoSeries(geoms, index=like.index, crs=like.crs, name=like.geometry.name)


def _raise_not_polygon(label: str, gtype: str) -> None:
    raise ParkmapError(
        f"第 {label} 个要素是 {gtype}，不是面（Polygon）；范围边界必须是闭合的面",
        f"Feature {label} is a {gtype}, not a polygon; boundaries must be closed polygons",
        "请在 GIS 软件中将线转为面后再导出 / convert lines to polygons in your GIS before exporting",
        code="not-polygon",
    )


__all__ = [
    "AREA_BEFORE_DEFINITION",
    "INVALID_PARCELS_ATTR",
    "REPAIR_HINT",
    "SICHUAN_BBOX",
    "Crossing",
    "check_extent",
    "describe_crossings",
    "dissolve_parts",
    "invalid_parcels_error",
    "invalid_reason_text",
    "parcel_title",
    "parts_only_overlap",
    "polygon_problem",
    "polygonal_only",
    "repair_geometry",
    "repair_lines",
    "repair_parcel",
    "repair_summary",
    "require_features",
    "ring_crossings",
    "validate_lines",
    "validate_polygons",
]
