"""Expansion checks (扩区 / 调区·调位) against control lines and eligibility rules.

A *proposal* (polygon in lon/lat EPSG:4490, the zone it belongs to, its type
and flags) is tested against the rules of :mod:`geo.rules`; every rule row
says what was measured, the threshold, the unit, where the rule comes from
and where the measured value comes from (``value_source``: illustrative,
derived, or an official file).

Speed
    :class:`ControlIndex` builds one shapely ``STRtree`` per control layer once
    (the app caches it with ``st.cache_resource``).  Multi-part features are
    exploded and features with more than 256 vertices are cut into tiles
    (recursive halving of the bounding box, like PostGIS ``ST_Subdivide``),
    so a query touches a few small polygons.  A check queries each tree with
    the (prepared) proposal, clips only the hits (tiles that lie entirely
    inside the proposal are taken whole) and measures only the pieces; there
    is no ``geopandas.overlay`` or ``clip`` per proposal.

Measures
    Areas are geodesic on the CGCS2000 ellipsoid (:func:`geo.area.geodesic_area_m2`),
    computed on the intersection pieces.  Where pieces of *different*
    features overlap each other (an official layer with duplicates), their
    union is measured instead of the sum.  "Area outside" (城镇开发边界,
    province) is the geodesic area of the proposal minus the hit tiles, so a
    proposal inside gives exactly 0.  Distances (river, contiguity) are
    planar in the proposal's 3-degree Gauss–Krüger zone (EPSG:4542–4545;
    scale error < 0.03 %).

Statuses and verdict
    Each rule row is ``pass``, ``fail``, ``warn``, ``info`` or
    ``not_applicable`` (with the reason in the message).  Verdict: any
    ``fail`` → 不符合 (``fail``); else any ``warn`` → 需关注 (``attention``);
    else 符合 (``pass``).  ``info`` rows never change the verdict.

Official layers (``parkmap check --layers DIR``, :meth:`ControlIndex.from_dataset`)
    Files in DIR replace the illustrative layers for a run, matched by file
    stem (case-insensitive; a suffix after ``_ - .`` or a space is allowed,
    e.g. ``farmland_2024.shp``): ``eco_redline`` / ``生态保护红线`` /
    ``生态红线`` / ``STBHHX``; ``farmland`` / ``永久基本农田`` / ``基本农田`` /
    ``YJJBNT``; ``urban_boundary`` / ``城镇开发边界`` / ``CZKFBJ``; ``rivers`` /
    ``river`` / ``河流`` / ``水系``.  Formats: .gpkg .shp .geojson .json .zip
    .kml .kmz, any CRS :func:`geo.io.read_vector` understands.  Polygon
    layers go through ``read_vector``'s validation; rivers take a
    lines-allowed path (lake polygons allowed).  Rivers are filtered by
    ``river_class``/``class_en`` when the layer has such a column, else every
    line counts.  Each layer's content hash and source is recorded.

Applicability (decided here, configurable in ``data/rules.yaml``)
    * All spatial rules apply to 扩区 and 调区; for 调区 they test the added
      area; ``contiguity`` measures against the parks left after the removed
      parts; ``adjust_balance`` (net area change) applies to 调区 only.
    * ``river_1km``: a chemical proposal within 1 km fails, any other gets a
      warning (the seed bans chemical parks/projects only).
    * ``farmland``: flagged 国家重大建设项目 → warning instead of fail.
    * ``land_dev_rate``, ``revenue_per_mu``, ``tax_per_mu``: 扩区 of 省级
      zones only (the seed's 优先支持扩区 clause is about 省级开发区 and 扩区);
      not applicable to 调区 and to 国家级 zones.
    * ``bottom_third`` applies to both types (seed: 不支持扩区调位);
      ``top10_priority`` is information for both.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from geo.area import M2_PER_MU, geodesic_area_m2, polygon_parts
from geo.crs import (
    EPSG_CGCS2000,
    SICHUAN_GK3_ZONES,
    epsg_for_gk_zone,
    gk_zone_for_lon,
    local_gk_crs,
    project_geometry,
    transformer,
)
from geo.clock import now_iso
from geo.errors import ParkmapError, bilingual
from geo.jsonutil import json_value
from geo.units import fmt_area, fmt_length, fmt_pct, fmt_value
from geo.proposal import check_parcel, normalize_parcels, parcel_breakdown, parcels_to_json, union_parcels
from geo.rules import PROPOSAL_TYPES, RULE_IDS, Rule, RuleSet, load_rules, rule_name
from geo.sources import upgrade_citation
from geo.validate import invalid_parcels_error, repair_lines, repair_summary

#: Version of the check document (``CheckResult.to_dict`` and ``parkmap check --json``).
CHECK_SCHEMA = "parkmap.check/1"

PASS, FAIL, WARN, INFO, NOT_APPLICABLE = "pass", "fail", "warn", "info", "not_applicable"
STATUSES: tuple[str, ...] = (PASS, FAIL, WARN, INFO, NOT_APPLICABLE)
#: Verdict → (中文, English).
VERDICTS: dict[str, tuple[str, str]] = {"pass": ("符合", "pass"), "fail": ("不符合", "fail"),
                                        "attention": ("需关注", "attention")}
TYPE_NAMES: dict[str, tuple[str, str]] = {"expand": ("扩区", "expansion"), "adjust": ("调区（调位）", "adjustment")}

#: Control layers that ``--layers DIR`` may replace, with the accepted file stems
#: (case-insensitive; a stem may carry a suffix after ``_``/``-``/``.``/space,
#: e.g. ``farmland_2023.shp``).  The pinyin initials are the usual 三区三线 names.
LAYER_STEMS: dict[str, tuple[str, ...]] = {
    "eco_redline": ("eco_redline", "生态保护红线", "生态红线", "stbhhx"),
    "farmland": ("farmland", "永久基本农田", "基本农田", "yjjbnt"),
    "urban_boundary": ("urban_boundary", "城镇开发边界", "czkfbj"),
    "rivers": ("rivers", "river", "河流", "水系"),
}
#: File types read from ``--layers DIR``.
LAYER_SUFFIXES: tuple[str, ...] = (".gpkg", ".shp", ".geojson", ".json", ".zip", ".kml", ".kmz")
#: Layers of the index, in reporting order.
INDEX_LAYERS: tuple[str, ...] = ("eco_redline", "farmland", "urban_boundary", "rivers", "parks", "province")

_ID_FIELDS = ("eco_id", "farm_id", "ub_id", "park_id", "river_id", "id", "ID", "Id", "BSM", "bsm", "标识码",
              "编号", "OBJECTID", "objectid", "FID", "fid")
_NAME_FIELDS = ("name_zh", "name", "名称", "NAME", "Name", "MC", "mc", "HLMC", "河流名称", "地块名称", "RVNM")
_MAX_TILE_VERTICES = 256


# ==========================================================================
# small helpers
# ==========================================================================
def _now() -> str:
    return now_iso()


def _r(x: float | None, nd: int = 2) -> float | None:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return float(round(float(x), nd))


def _jsonable(value: Any) -> Any:
    return json_value(value)


def _fmt_m2(m2: float) -> tuple[str, str]:
    """(中文, English) area text: ``396,248.2 平方米（594.37 亩）`` / ``396,248.2 m² (594.37 mu)``.

    Formatted from the value as reported (rounded to 0.01 m²), so the message and the row's value agree.
    """
    m2 = _r(m2)
    return fmt_area(m2, "zh"), fmt_area(m2, "en")


def _fmt_m(m: float, lang: str = "zh") -> str:
    return fmt_length(m, lang)


def _pct(x: float) -> str:
    return fmt_pct(x)


def _first_field(columns: Iterable[str], candidates: Sequence[str]) -> str | None:
    cols = list(columns)
    return next((c for c in candidates if c in cols), None)


def _polygonal(geom: BaseGeometry | None) -> BaseGeometry | None:
    parts = polygon_parts(geom)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def prepare_proposal_geometry(geom: Any, what: str = "方案 / proposal", *, repair: bool = False,
                              repairs: list[dict[str, Any]] | None = None) -> tuple[BaseGeometry, list[str]]:
    """Validate a proposal geometry (lon/lat EPSG:4490) for checking.

    Accepts a shapely geometry, a GeoJSON-like mapping or WKT text.  Keeps
    polygonal parts (of a GeometryCollection) and drops Z.  An invalid
    polygon (a boundary crossing itself…) is refused, naming where it crosses
    itself, because ``make_valid`` would change its area silently; with
    ``repair`` it is repaired and the repair (area before and after) appended
    to ``repairs``.  Valid polygons that merely overlap or touch are dissolved.

    Parameters
    ----------
    geom : geometry, mapping or str
    what : str
        ``"中文 / English"`` name of the geometry in messages.
    repair : bool
        Repair an invalid geometry with ``make_valid`` instead of refusing it.
    repairs : list, optional
        Receives the repair record (:func:`geo.validate.repair_parcel`).

    Returns
    -------
    (geometry, warnings)

    Raises
    ------
    ParkmapError
        Empty, not a polygon, projected coordinates (not lon/lat), zero area,
        or (without ``repair``) invalid: ``code="invalid-geometry"``.
    """
    zh_what, en_what = (what.split(" / ") + [what])[:2]
    warnings: list[str] = []
    if isinstance(geom, dict):
        try:
            geom = shape(geom.get("geometry", geom) if geom.get("type") == "Feature" else geom)
        except Exception as exc:  # noqa: BLE001 - any malformed mapping
            raise ParkmapError(f"{zh_what}不是有效的 GeoJSON 几何", f"The {en_what} is not a valid GeoJSON geometry",
                               code="bad-geometry") from exc
    elif isinstance(geom, str):
        try:
            geom = shapely.from_wkt(geom)
        except Exception as exc:  # noqa: BLE001
            raise ParkmapError(f"{zh_what}不是有效的 WKT", f"The {en_what} is not valid WKT", code="bad-geometry") from exc
    if not isinstance(geom, BaseGeometry) or geom.is_empty:
        raise ParkmapError(f"{zh_what}几何为空", f"The {en_what} geometry is empty", code="empty")
    geom = shapely.force_2d(geom)
    if geom.geom_type == "GeometryCollection":
        poly = _polygonal(geom)
        if poly is None:
            raise ParkmapError(f"{zh_what}不含面", f"The {en_what} contains no polygon", code="not-polygon")
        geom = poly
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ParkmapError(f"{zh_what}是 {geom.geom_type}，不是面（Polygon）",
                           f"The {en_what} is a {geom.geom_type}, not a polygon", code="not-polygon")
    coords = shapely.get_coordinates(geom)
    if not np.all(np.isfinite(coords)) or np.any(np.abs(coords[:, 0]) > 180) or np.any(np.abs(coords[:, 1]) > 90):
        raise ParkmapError(f"{zh_what}坐标不是经纬度（应为 EPSG:4490 / 4326）",
                           f"The {en_what} coordinates are not lon/lat (expected EPSG:4490 / 4326)",
                           "用 geo.io.read_vector 读取文件会自动转换坐标系 / read files with geo.io.read_vector to convert",
                           code="crs")
    if not shapely.is_valid(geom):
        problems: list[tuple[str, str, str, str]] = []
        done: list[dict[str, Any]] = []
        geom = check_parcel(geom, zh_what, repair=repair, repairs=done, problems=problems, warnings=warnings)
        if problems:
            raise invalid_parcels_error([(zh_what, en_what, pz, pe) for _, _, pz, pe in problems])
        if repairs is not None:
            repairs.extend(done)
    if geodesic_area_m2(geom) <= 0:
        raise ParkmapError(f"{zh_what}面积为零", f"The {en_what} has zero area", code="empty")
    return geom, warnings


# ==========================================================================
# Reading official layers (--layers DIR)
# ==========================================================================
def _stem_key(stem: str) -> str | None:
    s = stem.strip().casefold()
    if s.endswith(".shp"):  # farmland.shp.zip
        s = s[:-4]
    for key, names in LAYER_STEMS.items():
        for n in names:
            n = n.casefold()
            if s == n or (s.startswith(n) and s[len(n)] in "_-. "):
                return key
    return None


def find_layer_files(directory: str | Path) -> tuple[dict[str, Path], list[str]]:
    """Match the files of a ``--layers`` folder to control layers by file stem.

    Returns
    -------
    (found, ignored)
        ``found``: layer key → file; ``ignored``: names of supported files
        whose stem matched no layer (shapefile sidecars are skipped silently).

    Raises
    ------
    ParkmapError
        Folder missing, two files for one layer, or no recognised file.
    """
    d = Path(directory)
    if not d.is_dir():
        raise ParkmapError(f"图层文件夹不存在：{d}", f"Layers folder not found: {d}", code="layers")
    found: dict[str, Path] = {}
    ignored: list[str] = []
    for p in sorted(d.iterdir()):
        if p.name.startswith(".") or p.suffix.lower() not in LAYER_SUFFIXES:
            continue
        key = _stem_key(p.stem)
        if key is not None and not p.is_file():  # a device, FIFO or folder named like a layer: refused, not skipped
            from geo.io.guard import naming_file, require_regular_file

            try:
                require_regular_file(p)
            except ParkmapError as err:
                raise naming_file(err, p, "管控图层文件", "Control layer file") from err
        if not p.is_file():
            continue
        if key is None:
            ignored.append(p.name)
            continue
        if key in found:
            raise ParkmapError(f"图层 {key} 对应多个文件：{found[key].name}、{p.name}",
                               f"Several files for layer {key}: {found[key].name}, {p.name}",
                               "每个图层只保留一个文件 / keep one file per layer", code="layers")
        found[key] = p
    if not found:
        names = "; ".join(f"{k}: {'/'.join(v)}" for k, v in LAYER_STEMS.items())
        raise ParkmapError(f"文件夹 {d} 中没有可识别的管控图层文件",
                           f"No control-layer file recognised in {d}",
                           f"文件名（不含扩展名）应为 / file stems must be {names}; 格式 formats {' '.join(LAYER_SUFFIXES)}",
                           code="layers")
    return found, ignored


def validate_lines(gdf: gpd.GeoDataFrame, source_crs: Any = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Check a lon/lat line layer (rivers): lines, and polygons for lakes (重要湖泊).

    Empty features are dropped; polygons are repaired; points are refused.

    Raises
    ------
    ParkmapError
        No features, a point feature, or coordinates outside Sichuan's box.
    """
    from geo.validate import SICHUAN_BBOX, check_extent, require_features

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
                p = _polygonal(shapely.make_valid(p))
            if p is not None and not p.is_empty:
                fixed.append(p)
        geoms.append(fixed[0] if len(fixed) == 1 else GeometryCollection(fixed))
        keep.append(True)
    out = gdf.copy()
    out = out.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs, name=gdf.geometry.name))[keep]
    check_extent(out, source_crs, SICHUAN_BBOX)
    return out, warnings


def read_control_layer(key: str, path: str | Path, **read_kwargs: Any):
    """Read one official control layer with :func:`geo.io.read_vector`.

    Polygon layers are validated as usual; ``rivers`` takes the lines-allowed
    path (:func:`validate_lines`) because ``read_vector`` validates polygons.
    The official-layer caps apply (``PARKMAP_MAX_LAYER_FEATURES`` /
    ``PARKMAP_MAX_LAYER_VERTICES``, :func:`geo.limits.layer_caps`) unless
    ``limits`` is given, and every error names the layer file.

    Returns
    -------
    geo.io.ReadResult
    """
    from geo.io.archive import ReadLimits
    from geo.io.guard import naming_file
    from geo.io.read import read_vector
    from geo.limits import layer_caps

    if key not in LAYER_STEMS:
        raise ParkmapError(f"未知的管控图层 {key}", f"Unknown control layer {key}", code="layers")
    try:
        read_kwargs.setdefault("limits", ReadLimits(caps=layer_caps()))
        if key == "rivers":
            res = read_vector(path, validate=False, **read_kwargs)
            res.gdf, more = validate_lines(res.gdf, res.source_crs)
            res.warnings = res.warnings + more
            return res
        return read_vector(path, **read_kwargs)
    except ParkmapError as err:
        raise naming_file(err, path, "管控图层文件", "Control layer file") from err


def read_official_layer(key: str, path: str | Path) -> Any:
    """Read an official layer (:func:`read_control_layer`) and check that it lies where it says.

    A layer whose features mostly lie outside the county of their 行政区代码
    (XZQDM) / 行政区名称 (XZQMC) is refused; see :mod:`geo.placement`.

    Returns
    -------
    geo.io.ReadResult
        With placement warnings added.
    """
    from geo.placement import check_official_placement

    res = read_control_layer(key, path)
    res.warnings = res.warnings + check_official_placement(res.gdf, path)
    return res


# ==========================================================================
# Indexes
# ==========================================================================
def _explode(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parts of every geometry and the index of the geometry each came from."""
    if np.all(shapely.get_type_id(geoms) == 3):  # all plain Polygons: no copy
        return geoms, np.arange(len(geoms))
    return shapely.get_parts(geoms, return_index=True)


def _halves(g: BaseGeometry) -> list[BaseGeometry]:
    x0, y0, x1, y1 = g.bounds
    if x1 - x0 >= y1 - y0:
        xm = (x0 + x1) / 2
        boxes = [shapely.box(x0, y0, xm, y1), shapely.box(xm, y0, x1, y1)]
    else:
        ym = (y0 + y1) / 2
        boxes = [shapely.box(x0, y0, x1, ym), shapely.box(x0, ym, x1, y1)]
    return [shapely.intersection(g, b) for b in boxes]


def subdivide(geom: BaseGeometry, max_vertices: int = _MAX_TILE_VERTICES) -> list[BaseGeometry]:
    """Cut a polygon into tiles of at most ``max_vertices`` vertices (bbox halving)."""
    out: list[BaseGeometry] = []
    stack = [geom]
    while stack:
        g = stack.pop()
        if g.is_empty:
            continue
        x0, y0, x1, y1 = g.bounds
        if shapely.get_num_coordinates(g) <= max_vertices or max(x1 - x0, y1 - y0) < 1e-6:
            out.extend(p for p in polygon_parts(g) if not p.is_empty)
            continue
        for h in _halves(g):
            stack.extend(polygon_parts(h))
    return out


def _tiles(geoms: np.ndarray, max_vertices: int) -> tuple[np.ndarray, np.ndarray]:
    parts, owner = _explode(geoms)
    counts = shapely.get_num_coordinates(parts)
    big = np.flatnonzero(counts > max_vertices)
    if big.size == 0:
        return parts, owner
    small = np.ones(len(parts), dtype=bool)
    small[big] = False
    tiles = [parts[small]]
    owners = [owner[small]]
    for i in big:
        t = subdivide(parts[i], max_vertices)
        tiles.append(np.array(t, dtype=object))
        owners.append(np.full(len(t), owner[i]))
    return np.concatenate(tiles), np.concatenate(owners)


def _clean_polygons(geoms: np.ndarray) -> np.ndarray:
    geoms = shapely.force_2d(np.asarray(geoms, dtype=object))
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        for i in np.flatnonzero(bad):
            geoms[i] = _polygonal(shapely.make_valid(geoms[i])) or Polygon()
    return geoms


@dataclass
class LayerSource:
    """Where a layer of the index comes from.

    ``source`` is ``"embedded:sichuan.gpkg"``, ``"file:<path>"`` or
    ``"frame"`` (passed in by code); ``illustrative`` is true when the layer
    carries ``illustrative = 1`` rows (the embedded generated layers).
    """

    key: str
    source: str
    illustrative: bool
    n_features: int

    @property
    def value_source(self) -> str:
        """Provenance label for rule rows measured on this layer."""
        where = self.source.split(":", 1)[-1] if ":" in self.source else self.source
        if self.illustrative:
            return f"illustrative ({where})"
        if self.source.startswith("file:"):
            return f"official file ({Path(where).name})"
        return where


@dataclass
class LayerOverlap:
    """Intersection of a proposal with one polygon layer.

    Attributes
    ----------
    layer : str
    total_m2 : float
        Geodesic area of the overlap (union-safe).
    pieces : ndarray of geometries
        Intersection pieces (one per hit tile), lon/lat.
    rows : ndarray of int
        Feature row (in the layer frame) of each piece.
    piece_m2 : ndarray of float
    """

    layer: str
    total_m2: float = 0.0
    pieces: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    piece_m2: np.ndarray = field(default_factory=lambda: np.empty(0))
    _geometry: BaseGeometry | None = None

    def per_feature(self) -> list[tuple[int, float]]:
        """(feature row, overlap m²) sorted by area, largest first."""
        if not len(self.rows):
            return []
        uniq, inv = np.unique(self.rows, return_inverse=True)
        sums = np.bincount(inv, weights=self.piece_m2)
        order = np.argsort(-sums, kind="stable")
        return [(int(uniq[i]), float(sums[i])) for i in order]

    def subset(self, mask: np.ndarray, layer: str) -> LayerOverlap:
        """The pieces selected by ``mask`` as a new overlap (total recomputed)."""
        pieces, rows, m2 = self.pieces[mask], self.rows[mask], self.piece_m2[mask]
        return LayerOverlap(layer, _total_area(pieces, rows, m2), pieces, rows, m2)

    def geometry(self) -> BaseGeometry:
        """The overlap as one (Multi)Polygon, dissolved (computed on first use)."""
        if self._geometry is None:
            self._geometry = shapely.union_all(self.pieces) if len(self.pieces) else Polygon()
            self._geometry = _polygonal(self._geometry) or Polygon()
        return self._geometry


def _interiors_overlap(pieces: np.ndarray, rows: np.ndarray) -> bool:
    """True if pieces of different features overlap (share interior area)."""
    if len(pieces) < 2 or np.all(rows == rows[0]):
        return False
    tree = shapely.STRtree(pieces)
    a, b = tree.query(pieces, predicate="intersects")
    m = (a < b) & (rows[a] != rows[b])
    if not m.any():
        return False
    return bool(np.any(shapely.relate_pattern(pieces[a[m]], pieces[b[m]], "2********")))


def _total_area(pieces: np.ndarray, rows: np.ndarray, m2: np.ndarray) -> float:
    if not len(pieces):
        return 0.0
    if _interiors_overlap(pieces, rows):
        return geodesic_area_m2(shapely.union_all(pieces))
    return float(m2.sum())


class PolygonIndex:
    """STRtree over the tiles of one polygon layer (lon/lat).

    Parameters
    ----------
    key : str
        Layer key (``eco_redline``, ``farmland``...).
    frame : GeoDataFrame
        The layer in EPSG:4490; kept for attributes and the content hash.
    source : LayerSource
    max_vertices : int
        Tile size limit; larger polygons are subdivided.
    prepare : bool
        Prepare every tile (worth it for few, large tiles; off for 10^6 small ones).
    """

    def __init__(self, key: str, frame: gpd.GeoDataFrame, source: LayerSource, *,
                 max_vertices: int = _MAX_TILE_VERTICES, prepare: bool | None = None) -> None:
        self.key = key
        self.frame = frame
        self.source = source
        geoms = _clean_polygons(frame.geometry.values)
        self.tiles, self.owner = _tiles(geoms, max_vertices)
        keep = ~shapely.is_empty(self.tiles)
        if not keep.all():
            self.tiles, self.owner = self.tiles[keep], self.owner[keep]
        self.tree = shapely.STRtree(self.tiles)
        if prepare is None:
            prepare = len(self.tiles) <= 50_000
        if prepare:
            shapely.prepare(self.tiles)
        self.id_field = _first_field(frame.columns, _ID_FIELDS)
        self.name_field = _first_field(frame.columns, _NAME_FIELDS)
        self._hash: str | None = None
        self._info_cache: dict[int, dict[str, Any]] = {}
        self._columns: dict[str, np.ndarray] | pd.DataFrame | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def hash(self) -> str:
        """Content hash of the layer (:func:`geo.dataset.frame_hash`), computed once."""
        if self._hash is None:
            from geo.dataset import frame_hash

            self._hash = frame_hash(self.frame)
        return self._hash

    def candidates(self, geom: BaseGeometry) -> np.ndarray:
        """Indices of the tiles intersecting ``geom``."""
        return self.tree.query(geom, predicate="intersects")

    def overlap(self, geom: BaseGeometry, idx: np.ndarray | None = None) -> LayerOverlap:
        """Intersection of ``geom`` (prepared lon/lat polygon) with the layer."""
        if idx is None:
            idx = self.candidates(geom)
        if idx.size == 0:
            return LayerOverlap(self.key)
        cand = self.tiles[idx]
        inside = shapely.contains_properly(geom, cand)
        pieces = cand.copy()
        rest = ~inside
        if rest.any():
            pieces[rest] = shapely.intersection(geom, cand[rest])
        m2 = np.fromiter((geodesic_area_m2(p) for p in pieces), dtype=float, count=len(pieces))
        keep = m2 > 0.0
        pieces, rows, m2 = pieces[keep], self.owner[idx][keep], m2[keep]
        return LayerOverlap(self.key, _total_area(pieces, rows, m2), pieces, rows, m2)

    def outside(self, geom: BaseGeometry, idx: np.ndarray | None = None) -> BaseGeometry:
        """The part of ``geom`` not covered by the layer (empty when inside)."""
        if idx is None:
            idx = self.candidates(geom)
        if idx.size == 0:
            return geom
        cand = self.tiles[idx]
        if np.any(shapely.covers(cand, geom)):
            return Polygon()
        # Biggest overlaps first so the remainder shrinks quickly.
        order = np.argsort(-shapely.area(shapely.intersection(geom, cand)))
        rest = geom
        for t in cand[order]:
            rest = shapely.difference(rest, t)
            if rest.is_empty:
                return Polygon()
        return _polygonal(rest) or Polygon()

    def feature_info(self, row: int, *, attributes: bool = True) -> dict[str, Any]:
        """id, name and (optionally) all attributes of one feature, JSON-safe."""
        return self.features_info([row], attributes=attributes)[0]

    def _records(self, rows: list[int]) -> list[dict[str, Any]]:
        """Attribute records of ``rows`` (numpy columns for small layers, one ``iloc`` for big ones)."""
        if self._columns is None:
            attrs = pd.DataFrame(self.frame.drop(columns=self.frame.geometry.name))
            if len(attrs) <= 200_000:
                self._columns = {str(c): attrs[c].to_numpy(dtype=object) for c in attrs.columns}
            else:
                self._columns = attrs
        if isinstance(self._columns, dict):
            return [{c: a[r] for c, a in self._columns.items()} for r in rows]
        return self._columns.iloc[rows].to_dict("records")

    def features_info(self, rows: Sequence[int], *, attributes: bool = True) -> list[dict[str, Any]]:
        """:meth:`feature_info` for several rows with one frame lookup (cached per row)."""
        rows = [int(r) for r in rows]
        with self._lock:  # the index is shared by app sessions (threads)
            found = {r: self._info_cache[r] for r in rows if r in self._info_cache}
            missing = [r for r in dict.fromkeys(rows) if r not in found]
            if missing:
                for r, rec in zip(missing, self._records(missing)):
                    attrs = {str(k): _jsonable(v) for k, v in rec.items()}
                    found[r] = {"row": r, "id": attrs.get(self.id_field) if self.id_field else r,
                                "name": attrs.get(self.name_field) if self.name_field else None, "attributes": attrs}
                    if len(self._info_cache) >= 100_000:  # huge layer: do not grow without bound
                        self._info_cache.pop(next(iter(self._info_cache)))
                    self._info_cache[r] = found[r]
        out = []
        for r in rows:
            info = found[r]
            d = {"row": info["row"], "id": info["id"], "name": info["name"]}
            if attributes:
                d["attributes"] = dict(info["attributes"])
            out.append(d)
        return out


class LineIndex:
    """Rivers (lines; lakes as polygons) for nearest-distance queries.

    Lines are cut into chunks of ≤ 64 vertices.  Distances are measured in
    the proposal's GK zone: the layer is projected into a zone on first use
    and cached (one STRtree per zone and river-class selection).
    """

    def __init__(self, frame: gpd.GeoDataFrame, source: LayerSource, chunk: int = 64) -> None:
        self.key = "rivers"
        self.frame = frame
        self.source = source
        parts, owner = shapely.get_parts(shapely.force_2d(frame.geometry.values), return_index=True)
        pieces: list[BaseGeometry] = []
        owners: list[int] = []
        for p, o in zip(parts, owner):
            if p.is_empty:
                continue
            if p.geom_type == "LineString" and len(p.coords) > chunk:
                c = np.asarray(p.coords)
                for s in range(0, len(c) - 1, chunk - 1):
                    seg = c[s: s + chunk]
                    if len(seg) >= 2:
                        pieces.append(LineString(seg))
                        owners.append(int(o))
            else:
                pieces.append(p)
                owners.append(int(o))
        self.parts = np.array(pieces, dtype=object)
        self.owner = np.array(owners, dtype=np.int64)
        self.id_field = _first_field(frame.columns, _ID_FIELDS)
        self.name_field = _first_field(frame.columns, _NAME_FIELDS)
        self.class_fields = [c for c in ("river_class", "class_en") if c in frame.columns]
        self._cache: dict[tuple[Any, tuple[str, ...]], tuple[np.ndarray, np.ndarray, shapely.STRtree] | None] = {}
        self._hash: str | None = None
        self._info_cache: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._proj: dict[Any, np.ndarray] = {}
        for zone in SICHUAN_GK3_ZONES:  # project once into each of Sichuan's GK zones
            self._projected_parts(epsg_for_gk_zone(zone, False))

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def hash(self) -> str:
        if self._hash is None:
            from geo.dataset import frame_hash

            self._hash = frame_hash(self.frame)
        return self._hash

    def regulated_rows(self, classes: Sequence[str]) -> np.ndarray:
        """Feature rows whose class is in ``classes`` (all rows if the layer has no class column)."""
        if not self.class_fields:
            return np.arange(len(self.frame))
        mask = np.zeros(len(self.frame), dtype=bool)
        for c in self.class_fields:
            mask |= self.frame[c].astype(str).isin(list(classes)).to_numpy()
        return np.flatnonzero(mask)

    def _projected_parts(self, epsg: Any) -> np.ndarray:
        """All parts projected into a GK zone (cached; Sichuan's zones are done at build)."""
        proj = self._proj.get(epsg)
        if proj is None:
            t = transformer(EPSG_CGCS2000, epsg)

            def fn(c: np.ndarray) -> np.ndarray:
                return np.column_stack(t.transform(c[:, 0], c[:, 1]))

            proj = shapely.transform(self.parts, fn) if len(self.parts) else self.parts
            self._proj[epsg] = proj
        return proj

    def _projected(self, epsg: Any, classes: tuple[str, ...]):
        key = (epsg, classes)
        with self._lock:
            if key not in self._cache:
                sel = np.isin(self.owner, self.regulated_rows(classes))
                if not sel.any():
                    self._cache[key] = None
                else:
                    proj = self._projected_parts(epsg)[sel]
                    self._cache[key] = (proj, self.owner[sel], shapely.STRtree(proj))
            return self._cache[key]

    def nearest(self, geom_gk: BaseGeometry, epsg: Any, classes: Sequence[str]) -> tuple[float, int, BaseGeometry] | None:
        """(distance m, feature row, projected river part) of the nearest regulated river, or None."""
        entry = self._projected(epsg, tuple(classes))
        if entry is None:
            return None
        proj, owner, tree = entry
        idx, dist = tree.query_nearest(geom_gk, return_distance=True, all_matches=False)
        if not len(idx):
            return None
        return float(dist[0]), int(owner[idx[0]]), proj[idx[0]]

    def feature_info(self, row: int) -> dict[str, Any]:
        if row not in self._info_cache:
            self._info_cache[row] = self._feature_info(row)
        return dict(self._info_cache[row])

    def _feature_info(self, row: int) -> dict[str, Any]:
        rec = self.frame.iloc[row]
        return {
            "row": int(row),
            "id": _jsonable(rec[self.id_field]) if self.id_field else int(row),
            "name": _jsonable(rec[self.name_field]) if self.name_field else None,
            "class": _jsonable(rec[self.class_fields[0]]) if self.class_fields else None,
        }


def _is_illustrative(frame: pd.DataFrame) -> bool:
    return "illustrative" in frame.columns and bool(pd.to_numeric(frame["illustrative"], errors="coerce").fillna(0).astype(bool).any())


class ControlIndex:
    """All control layers and tables a check needs, indexed once.

    Build it with :meth:`from_dataset` (embedded ``data/sichuan.gpkg``,
    optionally with official layers from a folder) or :meth:`from_frames`
    (tests, the benchmark), then pass it to :func:`check_proposal` for as many
    proposals as needed.  The app caches it with ``st.cache_resource``.

    Attributes
    ----------
    layers : dict
        key → :class:`PolygonIndex` / :class:`LineIndex` for the layers present.
    zones : DataFrame
        Zone table (``zone_id``, ``catalogue_code``, ``name``, ``zone_class``, ``level``...).
    indicators : DataFrame or None
        Per-zone indicators for the economic rules.
    warnings : list of str
        Warnings from reading replaced layers.
    """

    def __init__(self, layers: dict[str, PolygonIndex | LineIndex], zones: pd.DataFrame,
                 indicators: pd.DataFrame | None = None, warnings: list[str] | None = None) -> None:
        self.layers = dict(layers)
        self.zones = zones.reset_index(drop=True)
        self.indicators = indicators.reset_index(drop=True) if indicators is not None else None
        self.warnings = list(warnings or [])
        self._ind_hash: str | None = None
        self._zone_hash: str | None = None
        self._park_rows: dict[str, np.ndarray] = {}
        self._avg_cache: dict[tuple[str, str, str], tuple[float, int]] = {}
        # Zone lookup (id, catalogue code, name, short name; case-insensitive) and
        # the latest indicator record per zone, as plain dicts (no pandas per check).
        self._zone_keys: dict[str, dict[str, dict[str, Any]]] = {}
        records = [{k: _jsonable(v) for k, v in rec.items()} for rec in self.zones.to_dict("records")]
        for col in ("zone_id", "catalogue_code", "name", "short_name"):
            if col in self.zones.columns:
                keys: dict[str, list[dict[str, Any]]] = {}
                for rec in records:
                    v = rec.get(col)
                    if v not in (None, ""):
                        keys.setdefault(str(v).strip().casefold(), []).append(rec)
                self._zone_keys[col] = {k: v[0] for k, v in keys.items() if len(v) == 1}
        self._ind_by_zone: dict[str, pd.Series] = {}
        if self.indicators is not None and "zone_id" in self.indicators.columns:
            ind = self.indicators.sort_values("year", kind="stable") if "year" in self.indicators.columns else self.indicators
            for _, rec in ind.iterrows():
                self._ind_by_zone[str(rec["zone_id"])] = rec  # latest year wins
        parks = self.layers.get("parks")
        if parks is not None and "zone_id" in parks.frame.columns:
            zid = parks.frame["zone_id"].astype(str).to_numpy()
            self._park_zone = zid
        else:
            self._park_zone = None

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_frames(cls, *, zones: pd.DataFrame, eco_redline: gpd.GeoDataFrame | None = None,
                    farmland: gpd.GeoDataFrame | None = None, urban_boundary: gpd.GeoDataFrame | None = None,
                    rivers: gpd.GeoDataFrame | None = None, parks: gpd.GeoDataFrame | None = None,
                    province: gpd.GeoDataFrame | None = None, indicators: pd.DataFrame | None = None,
                    sources: dict[str, str] | None = None, warnings: list[str] | None = None) -> ControlIndex:
        """Index frames passed in by code (lon/lat EPSG:4490 or any CRS with one set).

        ``sources`` optionally labels where each layer came from
        (``"embedded:sichuan.gpkg"``, ``"file:/path"``); default ``"frame"``.
        """
        from geo.crs import to_cgcs2000

        frames = {"eco_redline": eco_redline, "farmland": farmland, "urban_boundary": urban_boundary,
                  "rivers": rivers, "parks": parks, "province": province}
        sources = sources or {}
        layers: dict[str, PolygonIndex | LineIndex] = {}
        for key, frame in frames.items():
            if frame is None:
                continue
            if frame.crs is None:
                frame = frame.set_crs(EPSG_CGCS2000)
            frame = to_cgcs2000(frame).reset_index(drop=True)
            src = LayerSource(key, sources.get(key, "frame"), _is_illustrative(frame), len(frame))
            layers[key] = LineIndex(frame, src) if key == "rivers" else PolygonIndex(key, frame, src)
        return cls(layers, zones, indicators, warnings)

    @classmethod
    def from_dataset(cls, gpkg: str | Path | None = None, layers_dir: str | Path | None = None) -> ControlIndex:
        """Index the embedded GeoPackage, with official layers from ``layers_dir`` replacing theirs.

        See :data:`LAYER_STEMS` for the file names recognised in ``layers_dir``.
        """
        from geo.dataset import gpkg_path, load_layer

        path = Path(gpkg) if gpkg else gpkg_path()
        label = f"embedded:{path.name}"
        frames: dict[str, Any] = {}
        sources: dict[str, str] = {}
        warnings: list[str] = []
        replaced: dict[str, Path] = {}
        if layers_dir is not None:
            replaced, ignored = find_layer_files(layers_dir)
            if ignored:
                warnings.append(bilingual(f"图层文件夹中未识别的文件已忽略：{', '.join(ignored)}",
                                          f"Unrecognised files in the layers folder were ignored: {', '.join(ignored)}"))
        for key in INDEX_LAYERS:
            if key in replaced:
                res = read_official_layer(key, replaced[key])
                frames[key] = res.gdf
                sources[key] = f"file:{replaced[key]}"
                warnings.extend(f"{replaced[key].name}: {w}" for w in res.warnings)
            else:
                frames[key] = load_layer(key, path)
                sources[key] = label
        zones = pd.DataFrame(load_layer("zones", path).drop(columns="geometry"))
        indicators = load_layer("indicators", path)
        return cls.from_frames(zones=zones, indicators=indicators, sources=sources, warnings=warnings, **frames)

    def with_layers(self, layers_dir: str | Path) -> ControlIndex:
        """A new index where the layers found in ``layers_dir`` replace these (others are shared)."""
        replaced, ignored = find_layer_files(layers_dir)
        layers = dict(self.layers)
        warnings = list(self.warnings)
        if ignored:
            warnings.append(bilingual(f"图层文件夹中未识别的文件已忽略：{', '.join(ignored)}",
                                      f"Unrecognised files in the layers folder were ignored: {', '.join(ignored)}"))
        for key, p in replaced.items():
            res = read_official_layer(key, p)
            frame = res.gdf.reset_index(drop=True)
            src = LayerSource(key, f"file:{p}", _is_illustrative(frame), len(frame))
            layers[key] = LineIndex(frame, src) if key == "rivers" else PolygonIndex(key, frame, src)
            warnings.extend(f"{p.name}: {w}" for w in res.warnings)
        return ControlIndex(layers, self.zones, self.indicators, warnings)

    # -- provenance -----------------------------------------------------------------------------
    @property
    def layer_hashes(self) -> dict[str, str]:
        """Content hash of every layer and table used (computed once per layer)."""
        from geo.dataset import frame_hash

        out = {k: v.hash for k, v in self.layers.items()}
        if self._zone_hash is None:
            self._zone_hash = frame_hash(self.zones)
        out["zones"] = self._zone_hash
        if self.indicators is not None:
            if self._ind_hash is None:
                self._ind_hash = frame_hash(self.indicators)
            out["indicators"] = self._ind_hash
        return out

    def layer_sources(self) -> dict[str, dict[str, Any]]:
        """key → {source, illustrative, features, hash} for every layer."""
        hashes = self.layer_hashes
        return {k: {"source": v.source.source, "illustrative": v.source.illustrative,
                    "features": v.source.n_features, "hash": hashes[k]} for k, v in self.layers.items()}

    # -- zones ----------------------------------------------------------------------------------
    def resolve_zone(self, ref: str) -> dict[str, Any]:
        """Zone row for a zone id or catalogue code (also exact name/short name), case-insensitive.

        Raises
        ------
        ParkmapError
            ``code="unknown-zone"``, with close matches as a hint.
        """
        text = str(ref or "").strip()
        z = self.zones
        if not text:
            raise ParkmapError("未指定开发区编号", "No zone id given", "例如 --zone S517077 / e.g. --zone S517077",
                               code="unknown-zone")
        key = text.casefold()
        for col in ("zone_id", "catalogue_code", "name", "short_name"):
            rec = self._zone_keys.get(col, {}).get(key)
            if rec is not None:
                return dict(rec)
        pool = [str(v) for v in z["zone_id"].tolist()] + [str(v) for v in z.get("catalogue_code", pd.Series(dtype=str)).tolist() if v]
        pool = sorted(set(pool))
        close = difflib.get_close_matches(text.upper(), pool, n=5, cutoff=0.6)
        hint = f"相近的编号 / close matches: {', '.join(close)}" if close else "用 zone_id 或目录代码（如 S517077） / use the zone id or catalogue code (e.g. S517077)"
        raise ParkmapError(f"未知的开发区编号：{text}", f"Unknown zone id: {text}", hint, code="unknown-zone")

    def group_average(self, col: str, within: str, zone_class: str) -> tuple[float, int]:
        """Mean of indicator ``col`` over the zones of ``zone_class`` (``within="zone_class"``) or all zones."""
        key = (col, within, zone_class if within == "zone_class" else "")
        if key not in self._avg_cache:
            ind = self.indicators
            if ind is None or col not in ind.columns:
                self._avg_cache[key] = (float("nan"), 0)
            else:
                if "year" in ind.columns:  # latest record per zone
                    ind = ind.sort_values("year", kind="stable").drop_duplicates("zone_id", keep="last")
                vals = pd.to_numeric(ind[col], errors="coerce")
                if within == "zone_class" and "zone_class" in ind.columns:
                    vals = vals[ind["zone_class"].astype(str) == zone_class]
                vals = vals.dropna()
                self._avg_cache[key] = (float(vals.mean()) if len(vals) else float("nan"), int(len(vals)))
        return self._avg_cache[key]

    def park_rows(self, zone_id: str) -> np.ndarray:
        """Rows of the parks layer that belong to ``zone_id``."""
        if self._park_zone is None:
            return np.empty(0, dtype=np.int64)
        if zone_id not in self._park_rows:
            self._park_rows[zone_id] = np.flatnonzero(self._park_zone == zone_id)
        return self._park_rows[zone_id]


# ==========================================================================
# Proposals and results
# ==========================================================================
@dataclass
class Proposal:
    """What the planner submits.

    Attributes
    ----------
    geometry : Polygon or MultiPolygon
        Lon/lat EPSG:4490.  For 调区 this is the area added.
    zone_id : str
        The zone it expands (zone id or catalogue code).
    type : {"expand", "adjust"}
        扩区 (add area) or 调区/调位 (swap area).
    chemical : bool
        化工园区 / 化工项目.
    major_project : bool
        国家重大建设项目 (farmland exemption).
    removed : Polygon or MultiPolygon, optional
        调区: the parts taken out of the zone.
    name : str
    parcels : list, optional
        The 地块 of a multi-parcel scheme: ``{"label", "geometry"}`` dicts (or
        ``(label, geometry)`` pairs), e.g. ``proposal_from_frame(gdf).parcels``
        (:mod:`geo.proposal`).  The check gives one verdict for the whole
        proposal and a per-parcel breakdown.  Default: each polygon part of
        ``geometry`` is a parcel (地块1, 地块2 …).  ``geometry`` may be None when
        parcels are given (their union is checked).
    repair : bool
        Repair an invalid geometry or parcel with ``make_valid`` instead of
        refusing it (``parkmap check --repair``, the app's 自动修复无效地块).
    repaired : list of dict
        Repairs already made when the file was read
        (:attr:`geo.proposal.ProposalParcels.repairs`); the check records them
        with its own in ``CheckResult.repair``.
    """

    geometry: Any
    zone_id: str
    type: str = "expand"
    chemical: bool = False
    major_project: bool = False
    removed: Any = None
    name: str = ""
    parcels: Any = None
    repair: bool = False
    repaired: list[dict[str, Any]] = field(default_factory=list)

    def options(self) -> dict[str, Any]:
        """The planner's choices as a JSON-safe dict (for the audit trail; parcels with their geometries)."""
        d = {"zone_id": self.zone_id, "type": self.type, "chemical": bool(self.chemical),
             "major_project": bool(self.major_project),
             "removed": mapping(self.removed) if isinstance(self.removed, BaseGeometry) else self.removed}
        if self.repair:
            d["repair"] = True
        if self.parcels:
            d["parcels"] = parcels_to_json(normalize_parcels(self.parcels, None, repair=self.repair))
        return d


@dataclass(frozen=True)
class RuleResult:
    """One rule row of a check.

    ``value``/``threshold`` are numbers in ``unit`` (None where not
    measured); ``value_source`` says where the measured value comes from
    (``illustrative (...)``, ``derived``, ``official file (...)``);
    ``details`` holds rule-specific figures (hits, shares, distances; for
    area rules of a multi-parcel proposal ``details["parcels"]``: the value
    per 地块, ``[{label, value}]``).
    ``citation`` is planner text naming the documents
    (``《四川省开发区发展规划（2023—2027年）》第八章第一节“强化规划管控”…``,
    ``；``-joined); ``citation_ref`` keeps the file and line of each
    (``seeds/002_….txt L1674``) and ``citation_quote`` the quoted words.
    ``name_zh``/``name_en`` are the rule's short name (:meth:`name`).
    ``original_status``/``override_reason``/``overridden_at`` are set only
    when a planner overrode the row (:func:`apply_override`).
    """

    id: str
    kind: str
    severity: str
    status: str
    value: float | None
    threshold: float | None
    unit: str
    citation: str
    message_zh: str
    message_en: str
    value_source: str = ""
    threshold_source: str = ""
    text_zh: str = ""
    text_en: str = ""
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    original_status: str | None = None
    override_reason: str | None = None
    overridden_at: str | None = None
    name_zh: str = ""
    name_en: str = ""
    citation_ref: str = ""
    citation_quote: str = ""

    @property
    def applicable(self) -> bool:
        return self.status != NOT_APPLICABLE

    def name(self, lang: str = "zh") -> str:
        """Short name of the rule in ``lang`` (``生态保护红线`` / ``Ecological protection red line``)."""
        en = str(lang).lower().startswith("en")
        return (self.name_en if en else self.name_zh) or rule_name(self.id, "en" if en else "zh")

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON form (key order fixed)."""
        return {
            "id": self.id,
            "name_zh": self.name("zh"),
            "name_en": self.name("en"),
            "kind": self.kind,
            "status": self.status,
            "value": self.value,
            "threshold": self.threshold,
            "unit": self.unit,
            "citation": self.citation,
            "citation_ref": self.citation_ref,
            "citation_quote": self.citation_quote,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "severity": self.severity,
            "value_source": self.value_source,
            "threshold_source": self.threshold_source,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "note": self.note,
            "details": self.details,
            "original_status": self.original_status,
            "override_reason": self.override_reason,
            "overridden_at": self.overridden_at,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RuleResult:
        """From :meth:`to_dict` output, also of older documents.

        Documents written before citations named the documents carry the file
        form (``seeds/002_….txt 第八章第一节 … L1674：“…”``) in ``citation``:
        it is turned into planner text, with the file and line moved to
        ``citation_ref``.  Missing names take the built-in defaults.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        if not kw.get("citation_ref") and kw.get("citation"):
            text, ref, quote = upgrade_citation(str(kw["citation"]))
            kw.update(citation=text, citation_ref=ref, citation_quote=kw.get("citation_quote") or quote)
        rid = str(kw.get("id", ""))
        kw["name_zh"] = kw.get("name_zh") or rule_name(rid, "zh")
        kw["name_en"] = kw.get("name_en") or rule_name(rid, "en")
        return cls(**kw)


def verdict_of(rules: Iterable[RuleResult]) -> str:
    """``fail`` if any row fails, else ``attention`` if any warns, else ``pass``."""
    statuses = [r.status for r in rules]
    if FAIL in statuses:
        return "fail"
    if WARN in statuses:
        return "attention"
    return "pass"


#: Keys of ``CheckResult.overlaps`` (m² of the proposal overlapping each layer).
OVERLAP_KEYS: tuple[str, ...] = ("eco_redline", "farmland", "urban_boundary", "other_parks", "own_parks", "province")


@dataclass
class CheckResult:
    """The outcome of checking one proposal.

    ``to_dict()`` gives the stable JSON document (``schema`` =
    :data:`CHECK_SCHEMA`).  ``geometries`` holds, per layer, what the map
    shows: ``eco_redline``, ``farmland``, ``other_parks``, ``own_parks``
    (overlap polygons), ``urban_boundary_outside``, ``outside_province``
    (parts outside), ``removed``, and the lines ``river_link`` / ``park_link``
    (shortest line to the nearest river / own park).  Overlap polygons are
    dissolved on first access.  ``parcels`` lists the 地块 of the proposal
    (``{label, area_m2, area_mu}``); the area rules break their value down by
    parcel in ``details["parcels"]``.  ``repair`` is None, or, when invalid
    parcels were repaired on request (``Proposal.repair``),
    :func:`geo.validate.repair_summary`: ``{method, parcels: [{label, problem_zh,
    problem_en, area_before_m2, area_after_m2…}], area_before_m2,
    area_after_m2, area_before_definition}``.
    """

    name: str
    zone: dict[str, Any]
    type: str
    chemical: bool
    major_project: bool
    verdict: str
    area_m2: float
    rules: tuple[RuleResult, ...]
    overlaps: dict[str, float]
    new_area_m2: float | None = None
    removed_area_m2: float | None = None
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules_version: int | None = None
    rules_hash: str = ""
    checked_at: str = ""
    warnings: list[str] = field(default_factory=list)
    original_verdict: str | None = None
    parcels: list[dict[str, Any]] = field(default_factory=list)
    repair: dict[str, Any] | None = None
    geometry: BaseGeometry | None = field(default=None, repr=False, compare=False)
    _geoms: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    schema = CHECK_SCHEMA

    @property
    def verdict_zh(self) -> str:
        return VERDICTS[self.verdict][0]

    @property
    def area_mu(self) -> float:
        return self.area_m2 / M2_PER_MU

    def rule(self, rule_id: str) -> RuleResult:
        """The row of ``rule_id`` (KeyError if absent)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def layer_hashes(self) -> dict[str, str]:
        return {k: v.get("hash", "") for k, v in self.layers.items()}

    @property
    def geometries(self) -> dict[str, BaseGeometry]:
        """Map layers: key → lon/lat geometry (only non-empty ones)."""
        out: dict[str, BaseGeometry] = {}
        for k, v in self._geoms.items():
            g = v.geometry() if isinstance(v, LayerOverlap) else v
            if g is not None and not g.is_empty:
                out[k] = g
        return out

    def overlap_frame(self) -> gpd.GeoDataFrame:
        """The map geometries as a GeoDataFrame (``layer``, ``area_m2``, geometry; EPSG:4490)."""
        geoms = self.geometries
        rows = [{"layer": k, "area_m2": geodesic_area_m2(g) if g.geom_type.endswith("Polygon") else 0.0} for k, g in geoms.items()]
        return gpd.GeoDataFrame(rows, geometry=list(geoms.values()), crs=EPSG_CGCS2000) if rows else \
            gpd.GeoDataFrame({"layer": [], "area_m2": []}, geometry=[], crs=EPSG_CGCS2000)

    def to_dict(self, *, include_geometries: bool = False, include_timestamp: bool = True) -> dict[str, Any]:
        """Stable JSON document.

        Parameters
        ----------
        include_geometries : bool
            Add ``geometry`` (the proposal) and ``geometries`` (map layers) as GeoJSON.
        include_timestamp : bool
            Include ``checked_at`` (off for byte-stable CLI output).
        """
        vzh, ven = VERDICTS[self.verdict]
        d: dict[str, Any] = {
            "schema": CHECK_SCHEMA,
            "name": self.name,
            "zone": self.zone,
            "type": self.type,
            "chemical": self.chemical,
            "major_project": self.major_project,
            "verdict": self.verdict,
            "verdict_zh": vzh,
            "verdict_en": ven,
            "original_verdict": self.original_verdict,
            "area_m2": _r(self.area_m2),
            "area_mu": _r(self.area_mu, 4),
            "new_area_m2": _r(self.new_area_m2),
            "removed_area_m2": _r(self.removed_area_m2),
            "parcels": [dict(p) for p in self.parcels],
            "repair": dict(self.repair) if self.repair else None,
            "rules": [r.to_dict() for r in self.rules],
            "overlaps": {k: _r(v) for k, v in self.overlaps.items()},
            "layers": self.layers,
            "rules_version": self.rules_version,
            "rules_hash": self.rules_hash,
            "warnings": list(self.warnings),
        }
        if include_timestamp:
            d["checked_at"] = self.checked_at
        if include_geometries:
            d["geometry"] = mapping(self.geometry) if self.geometry is not None else None
            d["geometries"] = {k: mapping(g) for k, g in self.geometries.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CheckResult:
        """Rebuild a result from :meth:`to_dict` output (geometries if they were included)."""
        if d.get("schema") != CHECK_SCHEMA:
            raise ParkmapError(f"不是核查结果文档（schema={d.get('schema')!r}）",
                               f"Not a check document (schema={d.get('schema')!r})", code="schema")
        geoms = {k: shape(g) for k, g in (d.get("geometries") or {}).items()}
        return cls(
            name=d.get("name", ""), zone=d.get("zone") or {}, type=d["type"], chemical=bool(d.get("chemical")),
            major_project=bool(d.get("major_project")), verdict=d["verdict"], area_m2=float(d["area_m2"]),
            rules=tuple(RuleResult.from_dict(r) for r in d["rules"]), overlaps=dict(d.get("overlaps") or {}),
            new_area_m2=d.get("new_area_m2"), removed_area_m2=d.get("removed_area_m2"),
            layers=d.get("layers") or {}, rules_version=d.get("rules_version"), rules_hash=d.get("rules_hash", ""),
            checked_at=d.get("checked_at", ""), warnings=list(d.get("warnings") or []),
            original_verdict=d.get("original_verdict"), parcels=[dict(p) for p in d.get("parcels") or []],
            repair=dict(d["repair"]) if d.get("repair") else None,
            geometry=shape(d["geometry"]) if d.get("geometry") else None, _geoms=geoms,
        )


def apply_override(result: CheckResult, rule_id: str, new_status: str, reason: str) -> CheckResult:
    """Override one rule row with a written reason; returns a new result.

    The row keeps the engine's status in ``original_status`` (the first one,
    if overridden again), with ``override_reason`` and ``overridden_at``;
    the verdict is recomputed and the engine's verdict kept in
    ``original_verdict``.  ``result`` itself is unchanged.

    Raises
    ------
    ParkmapError
        Empty reason, unknown rule id, or an invalid status.
    """
    if not isinstance(reason, str) or not reason.strip():
        raise ParkmapError("人工改判必须写明理由", "An override needs a written reason", code="override")
    if new_status not in (PASS, FAIL, WARN, INFO):
        raise ParkmapError(f"改判状态无效：{new_status}", f"Invalid override status: {new_status}",
                           "可选 pass/fail/warn/info / use pass, fail, warn or info", code="override")
    if rule_id not in [r.id for r in result.rules]:
        raise ParkmapError(f"结果中没有规则 {rule_id}", f"The result has no rule {rule_id}", code="override")
    rows = []
    for r in result.rules:
        if r.id == rule_id:
            r = dataclasses.replace(r, status=new_status,
                                    original_status=r.original_status if r.original_status is not None else r.status,
                                    override_reason=" ".join(reason.split()), overridden_at=_now())
        rows.append(r)
    new = dataclasses.replace(result, rules=tuple(rows), verdict=verdict_of(rows),
                              original_verdict=result.original_verdict or result.verdict)
    new._geoms = result._geoms
    return new


# ==========================================================================
# The checks
# ==========================================================================
class _Ctx:
    """Per-proposal state shared by the rules (computed lazily, once)."""

    def __init__(self, index: ControlIndex, rules: RuleSet, p: Proposal, geom: BaseGeometry,
                 removed: BaseGeometry | None, zone: dict[str, Any]) -> None:
        self.index, self.rules, self.p, self.geom, self.removed, self.zone = index, rules, p, geom, removed, zone
        shapely.prepare(geom)
        self.area_m2 = geodesic_area_m2(geom)
        self.tol = float(rules.settings["area_tolerance_m2"])
        self.max_hits = int(rules.settings["max_hits_listed"])
        self._gk: tuple[Any, BaseGeometry] | None = None
        self._cand: dict[str, np.ndarray] = {}
        self._ov: dict[str, LayerOverlap] = {}
        self.geoms: dict[str, Any] = {}
        self.overlaps: dict[str, float] = {}
        self.parcels: list[dict[str, Any]] = normalize_parcels(p.parcels, geom)

    def by_parcel(self, part: Any, total: float) -> list[dict[str, Any]]:
        """The area value ``total`` (m² of ``part``, a geometry or a LayerOverlap) per parcel."""
        if isinstance(part, LayerOverlap):
            part = part.geometry() if len(self.parcels) > 1 and total > 0 else None
        return parcel_breakdown(self.parcels, part, total)

    @property
    def gk(self) -> tuple[Any, BaseGeometry]:
        if self._gk is None:
            zone = gk_zone_for_lon(self.geom.centroid.x)
            if zone in SICHUAN_GK3_ZONES or 25 <= zone <= 45:
                crs: Any = epsg_for_gk_zone(zone, False)
            else:  # outside China's zones: equivalent transverse Mercator
                crs = local_gk_crs(self.geom).to_wkt()
            self._gk = (crs, project_geometry(self.geom, EPSG_CGCS2000, crs))
        return self._gk

    def cand(self, key: str) -> np.ndarray:
        if key not in self._cand:
            self._cand[key] = self.index.layers[key].candidates(self.geom)
        return self._cand[key]

    def overlap(self, key: str) -> LayerOverlap:
        if key not in self._ov:
            self._ov[key] = self.index.layers[key].overlap(self.geom, self.cand(key))
        return self._ov[key]


def _row(rule: Rule, status: str, value: float | None, zh: str, en: str, *, value_source: str = "",
         threshold: float | None = None, details: dict[str, Any] | None = None) -> RuleResult:
    if threshold is None:
        threshold = rule.threshold_value
    return RuleResult(
        id=rule.id, kind=rule.kind, severity=rule.severity, status=status, value=value, threshold=threshold,
        unit=rule.unit, citation=rule.citation, message_zh=zh, message_en=en, value_source=value_source,
        threshold_source=rule.threshold_source, text_zh=rule.text_zh, text_en=rule.text_en, note=rule.note,
        details=details or {}, name_zh=rule.name_zh, name_en=rule.name_en, citation_ref=rule.citation_ref,
        citation_quote=rule.citation_quote,
    )


def _na(rule: Rule, zh: str, en: str) -> RuleResult:
    return _row(rule, NOT_APPLICABLE, None, f"不适用：{zh}", f"Not applicable: {en}")


def _missing_layer(rule: Rule, key: str) -> RuleResult:
    return _na(rule, f"未加载图层 {key}", f"layer {key} is not loaded")


def _hits(ctx: _Ctx, key: str, ov: LayerOverlap) -> tuple[list[dict[str, Any]], int]:
    layer = ctx.index.layers[key]
    feats = ov.per_feature()
    out = []
    infos = layer.features_info([row for row, _ in feats[: ctx.max_hits]])
    for (row, m2), info in zip(feats[: ctx.max_hits], infos):
        info["overlap_m2"] = _r(m2)
        info["overlap_mu"] = _r(m2 / M2_PER_MU, 4)
        out.append(info)
    return out, len(feats)


_LAYER_NAMES = {
    "eco_redline": ("生态保护红线", "the ecological protection red line"),
    "farmland": ("永久基本农田", "permanent basic farmland"),
}


def _rule_overlap_layer(ctx: _Ctx, rule: Rule, key: str) -> RuleResult:
    if key not in ctx.index.layers:
        return _missing_layer(rule, key)
    ov = ctx.overlap(key)
    ctx.geoms[key] = ov
    ctx.overlaps[key] = ov.total_m2
    m2 = ov.total_m2 if ov.total_m2 > ctx.tol else 0.0
    share = min(m2 / ctx.area_m2, 1.0) if ctx.area_m2 else 0.0
    hits, n_hits = _hits(ctx, key, ov) if m2 else ([], 0)
    nzh, nen = _LAYER_NAMES[key]
    details = {"overlap_m2": _r(m2), "overlap_mu": _r(m2 / M2_PER_MU, 4), "share": _r(share, 6),
               "hits_total": n_hits, "hits": hits, "parcels": ctx.by_parcel(ov, m2)}
    src = ctx.index.layers[key].source.value_source
    if m2 <= rule.threshold_value:
        return _row(rule, PASS, _r(m2), f"不占用{nzh}", f"No overlap with {nen}", value_source=src, details=details)
    azh, aen = _fmt_m2(m2)
    status = rule.severity
    zh = f"与{nzh}重叠 {azh}，占方案面积 {_pct(share)}，涉及 {n_hits} 个图斑"
    en = f"Overlaps {nen} by {aen}, {_pct(share)} of the proposal, {n_hits} polygon(s)"
    if key == "farmland" and ctx.p.major_project:
        status = rule.params.get("major_project_severity", WARN)
        details["exempt_major_project"] = True
        zh += "；已标记为国家重大建设项目（可按程序占用），列为需关注"
        en += "; flagged as a national major project (may occupy by procedure): attention"
    return _row(rule, status, _r(m2), zh, en, value_source=src, details=details)


def rule_eco_redline(ctx: _Ctx, rule: Rule) -> RuleResult:
    return _rule_overlap_layer(ctx, rule, "eco_redline")


def rule_farmland(ctx: _Ctx, rule: Rule) -> RuleResult:
    return _rule_overlap_layer(ctx, rule, "farmland")


def _outside_rule(ctx: _Ctx, rule: Rule, key: str, geom_key: str, zh_name: str, en_name: str) -> RuleResult:
    if key not in ctx.index.layers:
        return _missing_layer(rule, key)
    layer = ctx.index.layers[key]
    ov = ctx.overlap(key)
    ctx.overlaps[key] = ov.total_m2
    out_geom = layer.outside(ctx.geom, ctx.cand(key))
    out_m2 = geodesic_area_m2(out_geom) if not out_geom.is_empty else 0.0
    if out_m2 <= ctx.tol:
        out_m2 = 0.0
    else:
        ctx.geoms[geom_key] = out_geom
    share = min(out_m2 / ctx.area_m2, 1.0) if ctx.area_m2 else 0.0
    details: dict[str, Any] = {"outside_m2": _r(out_m2), "outside_mu": _r(out_m2 / M2_PER_MU, 4),
                               "share_outside": _r(share, 6), "inside_m2": _r(max(ctx.area_m2 - out_m2, 0.0)),
                               "parcels": ctx.by_parcel(out_geom, out_m2)}
    if key == "urban_boundary":
        hits, n = _hits(ctx, key, ov)
        details.update(hits_total=n, hits=hits)
    src = layer.source.value_source
    if out_m2 <= rule.threshold_value:
        return _row(rule, PASS, _r(out_m2), f"全部位于{zh_name}内", f"Entirely inside {en_name}", value_source=src,
                    details=details)
    azh, aen = _fmt_m2(out_m2)
    return _row(rule, rule.severity, _r(out_m2), f"有 {azh} 位于{zh_name}外，占方案面积 {_pct(share)}",
                f"{aen} lies outside {en_name}, {_pct(share)} of the proposal", value_source=src, details=details)


def rule_urban_boundary(ctx: _Ctx, rule: Rule) -> RuleResult:
    return _outside_rule(ctx, rule, "urban_boundary", "urban_boundary_outside", "城镇开发边界", "the urban development boundary")


def rule_in_sichuan(ctx: _Ctx, rule: Rule) -> RuleResult:
    return _outside_rule(ctx, rule, "province", "outside_province", "四川省界", "Sichuan province")


def rule_river_1km(ctx: _Ctx, rule: Rule) -> RuleResult:
    if "rivers" not in ctx.index.layers:
        return _missing_layer(rule, "rivers")
    layer: LineIndex = ctx.index.layers["rivers"]  # type: ignore[assignment]
    classes = tuple(rule.params.get("river_classes", ()))
    epsg, gk = ctx.gk
    hit = layer.nearest(gk, epsg, classes)
    if hit is None:
        return _na(rule, "河流图层中没有受管控的长江干支流（river_class）", "the rivers layer holds no regulated Yangtze river (river_class)")
    dist, row, part = hit
    info = layer.feature_info(row)
    link = shapely.shortest_line(gk, part)
    ctx.geoms["river_link"] = project_geometry(link, epsg, EPSG_CGCS2000)
    thr = rule.threshold_value
    within = dist <= thr + 1e-6
    rname = info.get("name") or info.get("id")
    details = {"distance_m": _r(dist, 1), "nearest_river": info, "within": within, "chemical": bool(ctx.p.chemical),
               "measured_to": "river line of the layer (岸线 approximated by the line)"}
    src = layer.source.value_source
    if not within:
        return _row(rule, PASS, _r(dist, 1), f"距最近的长江干支流（{rname}）{_fmt_m(dist)}，在 {_fmt_m(thr)} 以外",
                    f"{_fmt_m(dist, 'en')} from the nearest Yangtze river ({rname}), beyond {_fmt_m(thr, 'en')}", value_source=src,
                    details=details)
    if ctx.p.chemical:
        return _row(rule, rule.severity, _r(dist, 1),
                    f"化工园区/项目距{rname} {_fmt_m(dist)}，位于岸线 {_fmt_m(thr)} 范围内，严禁新建、扩建",
                    f"Chemical park/project {_fmt_m(dist, 'en')} from the {rname}, within {_fmt_m(thr, 'en')}: new or expanded chemical projects are banned",
                    value_source=src, details=details)
    status = rule.params.get("non_chemical_severity", WARN)
    return _row(rule, status, _r(dist, 1),
                f"距{rname} {_fmt_m(dist)}，位于 {_fmt_m(thr)} 范围内；非化工项目，列为需关注（不得引入化工项目）",
                f"{_fmt_m(dist, 'en')} from the {rname}, within {_fmt_m(thr, 'en')}; not chemical, so attention (no chemical projects may locate here)",
                value_source=src, details=details)


def rule_other_parks(ctx: _Ctx, rule: Rule) -> RuleResult:
    if "parks" not in ctx.index.layers or ctx.index._park_zone is None:
        return _missing_layer(rule, "parks")
    layer: PolygonIndex = ctx.index.layers["parks"]  # type: ignore[assignment]
    ov = ctx.overlap("parks")
    zid = ctx.zone["zone_id"]
    own = ctx.index._park_zone[ov.rows] == zid if len(ov.rows) else np.zeros(0, dtype=bool)
    other = ov.subset(~own, "other_parks")
    ctx.geoms["other_parks"] = other
    ctx.overlaps["other_parks"] = other.total_m2
    m2 = other.total_m2 if other.total_m2 > ctx.tol else 0.0
    hits: list[dict[str, Any]] = []
    if m2:
        feats = other.per_feature()[: ctx.max_hits]
        for (row, a), info in zip(feats, layer.features_info([r for r, _ in feats])):
            info.update(overlap_m2=_r(a), overlap_mu=_r(a / M2_PER_MU, 4))
            hits.append(info)
    share = min(m2 / ctx.area_m2, 1.0) if ctx.area_m2 else 0.0
    details = {"overlap_m2": _r(m2), "overlap_mu": _r(m2 / M2_PER_MU, 4), "share": _r(share, 6),
               "hits_total": len(other.per_feature()), "hits": hits, "parcels": ctx.by_parcel(other, m2)}
    src = layer.source.value_source
    if m2 <= rule.threshold_value:
        return _row(rule, PASS, _r(m2), "不与其他开发区的园区重叠", "No overlap with another zone's parks",
                    value_source=src, details=details)
    zones = sorted({str(h["attributes"].get("zone_id")) for h in hits})
    azh, aen = _fmt_m2(m2)
    return _row(rule, rule.severity, _r(m2), f"与其他开发区（{'、'.join(zones)}）的园区重叠 {azh}",
                f"Overlaps parks of other zones ({', '.join(zones)}) by {aen}", value_source=src, details=details)


def _own_parks_gk(ctx: _Ctx) -> tuple[list[BaseGeometry], list[int]]:
    """The zone's parks in the proposal's GK zone, minus the removed parts (调区)."""
    layer: PolygonIndex = ctx.index.layers["parks"]  # type: ignore[assignment]
    rows = ctx.index.park_rows(ctx.zone["zone_id"])
    epsg, _ = ctx.gk
    out, kept = [], []
    for r in rows:
        g = layer.frame.geometry.iloc[int(r)]
        if ctx.removed is not None:
            g = g.difference(ctx.removed)
        if g is None or g.is_empty:
            continue
        out.append(project_geometry(g, EPSG_CGCS2000, epsg))
        kept.append(int(r))
    return out, kept


def rule_contiguity(ctx: _Ctx, rule: Rule) -> RuleResult:
    if "parks" not in ctx.index.layers or ctx.index._park_zone is None:
        return _missing_layer(rule, "parks")
    parks, rows = _own_parks_gk(ctx)
    if not parks:
        return _na(rule, "本开发区没有（剩余的）现有园区可比较", "the zone has no (remaining) existing park to compare with")
    epsg, gk = ctx.gk
    thr = rule.threshold_value
    existing = shapely.union_all(parks)
    parts = [p for p in polygon_parts(gk)]
    d_park = np.array([p.distance(existing) for p in parts])
    # Parts chain: a part within the distance of a connected part is connected too.
    connected = d_park <= thr + 1e-6
    if len(parts) > 1:
        d_pp = np.array([[a.distance(b) for b in parts] for a in parts])
        changed = True
        while changed:
            changed = False
            for i in np.flatnonzero(~connected):
                if np.any(connected & (d_pp[i] <= thr + 1e-6)):
                    connected[i] = True
                    changed = True
    dist = float(d_park.min())
    nearest = int(np.argmin([gk.distance(p) for p in parks]))
    layer: PolygonIndex = ctx.index.layers["parks"]  # type: ignore[assignment]
    park_info = layer.feature_info(rows[nearest], attributes=False)
    if dist > 0:
        ctx.geoms["park_link"] = project_geometry(shapely.shortest_line(gk, parks[nearest]), epsg, EPSG_CGCS2000)
    n_sep = int((~connected).sum())
    details = {"distance_m": _r(dist, 1), "nearest_park": park_info, "parts": len(parts), "separate_parts": n_sep,
               "part_distances_m": [_r(float(x), 1) for x in d_park], "touching": bool(dist == 0.0)}
    src = layer.source.value_source
    if n_sep == 0:
        how_zh = "与现有园区相接" if dist == 0 else f"距现有园区 {_fmt_m(dist)}（≤ {_fmt_m(thr)}）"
        how_en = "touches an existing park" if dist == 0 else f"{_fmt_m(dist, 'en')} from an existing park (≤ {_fmt_m(thr, 'en')})"
        return _row(rule, PASS, _r(dist, 1), f"集中连片：{how_zh}", f"Contiguous: {how_en}", value_source=src, details=details)
    far = float(d_park[~connected].min())
    return _row(rule, rule.severity, _r(dist, 1),
                f"{n_sep} 个地块与现有园区不连片（最近 {_fmt_m(far)} > {_fmt_m(thr)}），将成为本开发区的另一个园",
                f"{n_sep} part(s) not contiguous with the existing parks (nearest {_fmt_m(far, 'en')} > {_fmt_m(thr, 'en')}); "
                f"they become another park (园) of the zone", value_source=src, details=details)


def rule_adjust_balance(ctx: _Ctx, rule: Rule) -> RuleResult:
    added = ctx.area_m2 - ctx.overlaps.get("own_parks", 0.0)
    removed_eff = 0.0
    removed_out = 0.0
    if ctx.removed is not None and "parks" in ctx.index.layers:
        layer: PolygonIndex = ctx.index.layers["parks"]  # type: ignore[assignment]
        rows = set(ctx.index.park_rows(ctx.zone["zone_id"]).tolist())
        rem = ctx.removed
        ov = layer.overlap(rem)
        mask = np.array([r in rows for r in ov.rows], dtype=bool)
        own = ov.subset(mask, "removed") if len(ov.rows) else ov
        removed_eff = own.total_m2
        removed_out = max(geodesic_area_m2(rem) - removed_eff, 0.0)
    elif ctx.removed is not None:
        removed_eff = geodesic_area_m2(ctx.removed)
    net = added - removed_eff
    details = {"added_m2": _r(added), "removed_m2": _r(removed_eff), "removed_outside_parks_m2": _r(removed_out),
               "net_m2": _r(net), "net_mu": _r(net / M2_PER_MU, 4), "removed_given": ctx.removed is not None}
    src = ctx.index.layers["parks"].source.value_source if "parks" in ctx.index.layers else ""
    if net <= rule.threshold_value + ctx.tol:
        return _row(rule, PASS, _r(net), f"调入 {_fmt_m2(added)[0]}，调出 {_fmt_m2(removed_eff)[0]}，面积不增加",
                    f"Added {_fmt_m2(added)[1]}, removed {_fmt_m2(removed_eff)[1]}: no net increase", value_source=src,
                    details=details)
    nzh, nen = _fmt_m2(net)
    extra_zh = "（未给出调出范围）" if ctx.removed is None else ""
    extra_en = " (no removed parts given)" if ctx.removed is None else ""
    return _row(rule, rule.severity, _r(net), f"净增 {nzh}{extra_zh}，视同扩区", f"Net increase of {nen}{extra_en}: treated like an expansion",
                value_source=src, details=details)


# -- economic ---------------------------------------------------------------------------------
def _indicator(ctx: _Ctx) -> pd.Series | None:
    return ctx.index._ind_by_zone.get(str(ctx.zone["zone_id"]))


def _num(rec: pd.Series | None, col: str) -> float | None:
    if rec is None or col not in rec.index:
        return None
    try:
        v = float(rec[col])
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _src(rec: pd.Series | None, col: str) -> str:
    if rec is None or col not in rec.index or pd.isna(rec[col]):
        return "unknown"
    return str(rec[col])


def _no_data(rule: Rule, what_zh: str, what_en: str) -> RuleResult:
    return _row(rule, WARN, None, f"缺少{what_zh}数据，无法判断", f"No {what_en} data; cannot be assessed", value_source="missing")


def rule_land_dev_rate(ctx: _Ctx, rule: Rule) -> RuleResult:
    rec = _indicator(ctx)
    v = _num(rec, "land_dev_rate")
    if v is None:
        return _no_data(rule, "土地开发率", "land development rate")
    thr = rule.threshold_value
    src = _src(rec, "land_dev_rate_source")
    details = {"year": _jsonable(rec.get("year")), "threshold_note": "configurable default — not in sources"}
    if v >= thr - 1e-12:
        return _row(rule, PASS, _r(v, 4), f"土地开发率 {_pct(v)} ≥ {_pct(thr)}（可配置默认值）",
                    f"Land development rate {_pct(v)} ≥ {_pct(thr)} (configurable default)", value_source=src, details=details)
    return _row(rule, rule.severity, _r(v, 4), f"土地开发率 {_pct(v)} < {_pct(thr)}（可配置默认值），原核准面积尚未基本开发完毕",
                f"Land development rate {_pct(v)} < {_pct(thr)} (configurable default): the approved area is not yet basically developed",
                value_source=src, details=details)


def _per_mu_rule(ctx: _Ctx, rule: Rule, col: str, zh: str, en: str) -> RuleResult:
    rec = _indicator(ctx)
    v = _num(rec, col)
    if v is None:
        return _no_data(rule, zh, en)
    within = rule.params.get("compare_within", "zone_class")
    zclass = str(rec.get("zone_class")) if "zone_class" in rec.index else str(ctx.zone.get("zone_class"))
    if rule.threshold == "average":
        avg, n_avg = ctx.index.group_average(col, within, zclass)
        group_zh = f"全省{zclass}平均" if within == "zone_class" else "全省平均"
        group_en = f"provincial average of {zclass} zones" if within == "zone_class" else "provincial average"
        details = {"average": _r(avg, 2), "compare_within": within, "zone_class": zclass, "n_zones": n_avg,
                   "average_source": "computed from the indicators table (values mostly illustrative)"}
    else:
        avg = float(rule.threshold)
        group_zh, group_en = "设定值", "the set value"
        details = {"compare_within": "fixed", "zone_class": zclass}
    unit = rule.unit
    src = _src(rec, f"{col}_source")
    details["year"] = _jsonable(rec.get("year"))
    if v > avg:
        return _row(rule, PASS, _r(v, 2), f"{zh} {fmt_value(v, unit)} 高于{group_zh} {fmt_value(avg, unit)}",
                    f"{en} {fmt_value(v, unit, 'en')} above the {group_en} {fmt_value(avg, unit, 'en')}",
                    value_source=src, threshold=_r(avg, 2),
                    details=details)
    return _row(rule, rule.severity, _r(v, 2), f"{zh} {fmt_value(v, unit)} 未高于{group_zh} {fmt_value(avg, unit)}",
                f"{en} {fmt_value(v, unit, 'en')} not above the {group_en} {fmt_value(avg, unit, 'en')}",
                value_source=src, threshold=_r(avg, 2),
                details=details)


def rule_revenue_per_mu(ctx: _Ctx, rule: Rule) -> RuleResult:
    return _per_mu_rule(ctx, rule, "revenue_per_mu", "亩均营业收入", "Revenue per mu")


def rule_tax_per_mu(ctx: _Ctx, rule: Rule) -> RuleResult:
    return _per_mu_rule(ctx, rule, "tax_per_mu", "亩均税收", "Tax per mu")


def _rank(rec: pd.Series | None) -> tuple[int, int] | None:
    r, n = _num(rec, "rank_in_class"), _num(rec, "n_in_class")
    if r is None or n is None or n < 1 or not (1 <= r <= n):
        return None
    return int(r), int(n)


def rule_bottom_third(ctx: _Ctx, rule: Rule) -> RuleResult:
    rec = _indicator(ctx)
    rk = _rank(rec)
    if rk is None:
        return _no_data(rule, "评价排名", "ranking")
    r, n = rk
    share: Fraction = rule.threshold
    k = (n * share.numerator) // share.denominator  # zones in the bottom share: floor(n × share)
    cut = Fraction(n - k, n)
    frac = Fraction(r, n)
    zclass = _jsonable(rec.get("zone_class"))
    details = {"rank_in_class": r, "n_in_class": n, "zone_class": zclass, "bottom_share": f"{share.numerator}/{share.denominator}",
               "bottom_count": k, "rule": "bottom if rank_in_class > n_in_class − floor(n_in_class × share)",
               "year": _jsonable(rec.get("year"))}
    src = _src(rec, "rank_source")
    if r > n - k:
        return _row(rule, rule.severity, _r(float(frac), 4),
                    f"评价排名 {zclass} 第 {r}/{n} 名，位于后 {share.numerator}/{share.denominator}，不支持扩区调位",
                    f"Ranked {r} of {n} {zclass} zones: in the bottom {share.numerator}/{share.denominator}, expansion and relocation not supported",
                    value_source=src, threshold=_r(float(cut), 4), details=details)
    return _row(rule, PASS, _r(float(frac), 4), f"评价排名 {zclass} 第 {r}/{n} 名，不在后 {share.numerator}/{share.denominator}",
                f"Ranked {r} of {n} {zclass} zones: not in the bottom {share.numerator}/{share.denominator}",
                value_source=src, threshold=_r(float(cut), 4), details=details)


def rule_top10_priority(ctx: _Ctx, rule: Rule) -> RuleResult:
    rec = _indicator(ctx)
    years = _num(rec, "top10_consecutive_years")
    if years is None:
        return _row(rule, INFO, None, "缺少排名数据", "No ranking data", value_source="missing")
    need = rule.threshold_value
    top = float(rule.params.get("top_share", 0.10))
    rk = _rank(rec)
    met = years >= need
    details = {"met": bool(met), "top_share": top, "years_required": int(need), "year": _jsonable(rec.get("year"))}
    if rk:
        details.update(rank_in_class=rk[0], n_in_class=rk[1], current_in_top=bool(Fraction(rk[0], rk[1]) <= Fraction(str(top))))
    src = _src(rec, "rank_source")
    if met:
        return _row(rule, INFO, years, f"连续 {int(years)} 年位于同类型开发区前 {_pct(top)}，可给予一定奖励",
                    f"In the top {_pct(top)} of its class for {int(years)} consecutive years: eligible for a reward",
                    value_source=src, details=details)
    return _row(rule, INFO, years, f"连续位于同类型前 {_pct(top)} 的年数为 {int(years)}（需 {int(need)} 年），无奖励",
                f"{int(years)} consecutive year(s) in the top {_pct(top)} of its class (needs {int(need)}): no reward",
                value_source=src, details=details)


_RULE_FUNCS = {
    "eco_redline": rule_eco_redline,
    "farmland": rule_farmland,
    "urban_boundary": rule_urban_boundary,
    "river_1km": rule_river_1km,
    "other_parks": rule_other_parks,
    "in_sichuan": rule_in_sichuan,
    "contiguity": rule_contiguity,
    "adjust_balance": rule_adjust_balance,
    "land_dev_rate": rule_land_dev_rate,
    "revenue_per_mu": rule_revenue_per_mu,
    "tax_per_mu": rule_tax_per_mu,
    "bottom_third": rule_bottom_third,
    "top10_priority": rule_top10_priority,
}
assert set(_RULE_FUNCS) == set(RULE_IDS)

_LEVEL_EN = {"国家级": "national", "省级": "provincial"}


def _applicability(rule: Rule, p: Proposal, zone: dict[str, Any]) -> RuleResult | None:
    if not rule.enabled:
        return _na(rule, "规则文件中已停用（enabled: false）", "disabled in the rules file (enabled: false)")
    if p.type not in rule.types:
        tz = "、".join(TYPE_NAMES[t][0] for t in rule.types)
        te = ", ".join(TYPE_NAMES[t][1] for t in rule.types)
        return _na(rule, f"本规则只适用于{tz}，本方案为{TYPE_NAMES[p.type][0]}",
                   f"this rule applies to {te} only; this proposal is an {TYPE_NAMES[p.type][1]}")
    level = zone.get("level")
    if level in ("国家级", "省级") and level not in rule.levels:
        lz = "、".join(rule.levels)
        le = ", ".join(_LEVEL_EN.get(x, x) for x in rule.levels)
        return _na(rule, f"本规则只适用于{lz}开发区，本开发区为{level}", f"this rule applies to {le} zones only; this zone is {_LEVEL_EN[level]}")
    return None


def check_proposal(proposal: Proposal, index: ControlIndex, rules: RuleSet | None = None, *,
                   only: Iterable[str] | None = None) -> CheckResult:
    """Check one proposal against every rule.

    Parameters
    ----------
    proposal : Proposal
    index : ControlIndex
        Build once, reuse for every proposal.
    rules : RuleSet, optional
        Default: :func:`geo.rules.load_rules` (``data/rules.yaml``).
    only : iterable of str, optional
        Evaluate only these rule ids (others are omitted; used by the benchmark).

    Returns
    -------
    CheckResult

    Raises
    ------
    ParkmapError
        Bad geometry, unknown zone, unknown type or rule id.
    """
    rules = rules or default_rules()
    if proposal.type not in PROPOSAL_TYPES:
        raise ParkmapError(f"方案类型应为 expand（扩区）或 adjust（调区），而不是 {proposal.type!r}",
                           f"The proposal type must be expand or adjust, not {proposal.type!r}", code="usage")
    selected = list(RULE_IDS) if only is None else list(only)
    unknown = [r for r in selected if r not in RULE_IDS]
    if unknown:
        raise ParkmapError(f"未知规则 {', '.join(unknown)}", f"Unknown rules {', '.join(unknown)}", code="usage")
    zone = index.resolve_zone(proposal.zone_id)
    repairs = [dict(r) for r in proposal.repaired or []]
    if proposal.parcels:  # each parcel valid (or repaired on request) before anything is measured
        proposal = dataclasses.replace(proposal, parcels=normalize_parcels(
            proposal.parcels, None, repair=proposal.repair, repairs=repairs))
    raw_geom = proposal.geometry
    if raw_geom is None and proposal.parcels:
        raw_geom = union_parcels([p["geometry"] for p in proposal.parcels])
    geom, warnings = prepare_proposal_geometry(raw_geom, repair=proposal.repair, repairs=repairs)
    removed = None
    if proposal.removed is not None:
        removed, w2 = prepare_proposal_geometry(proposal.removed, "调出范围 / removed parts", repair=proposal.repair,
                                                repairs=repairs)
        warnings += w2
    repair = repair_summary(repairs)
    warnings += repair_lines(repair)
    ctx = _Ctx(index, rules, proposal, geom, removed, zone)

    # Own-park overlap first: it feeds new_area and adjust_balance.
    new_area = None
    if "parks" in index.layers and index._park_zone is not None and (
            only is None or {"other_parks", "adjust_balance"} & set(selected)):
        ov = ctx.overlap("parks")
        zid = zone["zone_id"]
        own_mask = index._park_zone[ov.rows] == zid if len(ov.rows) else np.zeros(0, dtype=bool)
        own = ov.subset(own_mask, "own_parks")
        ctx.geoms["own_parks"] = own
        ctx.overlaps["own_parks"] = own.total_m2
        new_area = max(ctx.area_m2 - own.total_m2, 0.0)

    rows: list[RuleResult] = []
    for rid in RULE_IDS:
        if rid not in selected:
            continue
        rule = rules[rid]
        na = _applicability(rule, proposal, zone)
        rows.append(na if na is not None else _RULE_FUNCS[rid](ctx, rule))
    if removed is not None:
        ctx.geoms["removed"] = removed
    overlaps = {k: float(ctx.overlaps[k]) for k in OVERLAP_KEYS if k in ctx.overlaps}
    layers = index.layer_sources()
    zone_out = {k: zone.get(k) for k in ("zone_id", "catalogue_code", "name", "short_name", "zone_class", "level") if k in zone}
    return CheckResult(
        name=proposal.name or "", zone=zone_out, type=proposal.type, chemical=bool(proposal.chemical),
        major_project=bool(proposal.major_project), verdict=verdict_of(rows), area_m2=ctx.area_m2, rules=tuple(rows),
        overlaps=overlaps, new_area_m2=new_area,
        removed_area_m2=geodesic_area_m2(removed) if removed is not None else None,
        layers=layers, rules_version=rules.version, rules_hash=rules.hash, checked_at=_now(),
        warnings=warnings + list(index.warnings), geometry=geom, _geoms=ctx.geoms,
        parcels=_parcel_areas(ctx), repair=repair,
    )


def _parcel_areas(ctx: _Ctx) -> list[dict[str, Any]]:
    """``[{label, area_m2, area_mu}]`` of the proposal's parcels (one parcel: the proposal's area)."""
    out = []
    for p in ctx.parcels:
        a = ctx.area_m2 if len(ctx.parcels) == 1 else geodesic_area_m2(p["geometry"])
        out.append({"label": p["label"], "area_m2": _r(a), "area_mu": _r(a / M2_PER_MU, 4)})
    return out


def check_many(proposals: Iterable[Proposal], index: ControlIndex, rules: RuleSet | None = None) -> list[CheckResult]:
    """Check several proposals with the same index and rules."""
    rules = rules or default_rules()
    return [check_proposal(p, index, rules) for p in proposals]


_DEFAULT_RULES: RuleSet | None = None


def default_rules() -> RuleSet:
    """``data/rules.yaml``, loaded once."""
    global _DEFAULT_RULES
    if _DEFAULT_RULES is None:
        _DEFAULT_RULES = load_rules()
    return _DEFAULT_RULES


_DEFAULT_INDEX: dict[str, ControlIndex] = {}
_DEFAULT_LOCK = threading.Lock()


def default_index() -> ControlIndex:
    """The index of the embedded dataset (``$PARKMAP_DATA`` honoured), built once per process and path.

    The app may instead cache :meth:`ControlIndex.from_dataset` with ``st.cache_resource``.
    """
    from geo.dataset import gpkg_path

    key = str(gpkg_path())
    with _DEFAULT_LOCK:
        if key not in _DEFAULT_INDEX:
            _DEFAULT_INDEX[key] = ControlIndex.from_dataset(key)
        return _DEFAULT_INDEX[key]


__all__ = [
    "CHECK_SCHEMA",
    "INDEX_LAYERS",
    "LAYER_STEMS",
    "OVERLAP_KEYS",
    "STATUSES",
    "VERDICTS",
    "CheckResult",
    "ControlIndex",
    "LayerOverlap",
    "LayerSource",
    "LineIndex",
    "PolygonIndex",
    "Proposal",
    "RuleResult",
    "apply_override",
    "check_many",
    "check_proposal",
    "default_index",
    "default_rules",
    "find_layer_files",
    "prepare_proposal_geometry",
    "read_control_layer",
    "read_official_layer",
    "subdivide",
    "validate_lines",
    "verdict_of",
]
