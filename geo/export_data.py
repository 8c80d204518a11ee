"""Proposal data export: the proposal and its overlap pieces as GeoPackage, GeoJSON, KML or 界址点 TXT.

One row per piece with a ``part`` attribute (``proposal``, ``eco_redline
overlap``...): :func:`proposal_parts`.  :func:`export_proposal_data` returns a
file's bytes (the app offers them as downloads; the CLI writes them
atomically): GeoPackage and GeoJSON through :mod:`geo.io.write`, KML through
the writer of :mod:`geo.io.kml` (:func:`kml_document` gives each part the
map's style), 界址点 TXT through :mod:`geo.io.jzd_txt` (CGCS2000 3-degree GK
zone of the user's choice, with or without the zone prefix).  No Streamlit,
no rendering.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from geo.area import M2_PER_MU, geodesic_area_m2, polygon_parts
from geo.controls import PROPOSAL_STYLE, control_layers, overlap_styles
from geo.crs import EPSG_CGCS2000, default_gk_zone
from geo.errors import ParkmapError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

DATA_FORMATS: tuple[str, ...] = ("gpkg", "geojson", "kml", "txt")
_HEAD_PARTS: dict[str, tuple[str, str]] = {
    "proposal": ("proposal", "方案范围"),
    "removed": ("removed", "调出范围"),
}
_TAIL_PARTS: dict[str, tuple[str, str]] = {
    "other_parks": ("other_parks overlap", "与其他开发区园区重叠"),
    "own_parks": ("own_parks overlap", "与本开发区园区重叠"),
    "urban_boundary_outside": ("urban_boundary outside", "城镇开发边界外部分"),
    "outside_province": ("outside_province", "省界外部分"),
}


def part_names() -> dict[str, tuple[str, str]]:
    """Check geometry key → (part, 中文), in export order.  Lines (river_link, park_link) are not exported.

    The proposal and removed parts, the overlap parts of the control layers
    (:func:`geo.controls.control_layers`, ``export_part``), then the others.
    """
    out = dict(_HEAD_PARTS)
    out.update({k: v.export_part for k, v in control_layers().items() if v.export_part is not None})
    out.update(_TAIL_PARTS)
    return out


#: The built-in layers' :func:`part_names`.
PART_NAMES: dict[str, tuple[str, str]] = part_names()


def _polygonal(geom: BaseGeometry | None) -> BaseGeometry | None:
    parts = polygon_parts(geom)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def proposal_parts(source: object, name: str = "") -> gpd.GeoDataFrame:
    """The proposal and its overlap pieces as a frame (EPSG:4490).

    Parameters
    ----------
    source : CheckResult, dict or geometry
        A :class:`geo.check.CheckResult` (its ``geometry`` and polygonal
        ``geometries``), a dict key → geometry (``proposal`` plus keys of
        :data:`PART_NAMES`), or a single proposal geometry.
    name : str
        Proposal name (default: the result's name).

    Returns
    -------
    GeoDataFrame
        Columns ``part``, ``part_zh``, ``name``, ``area_m2``, ``area_mu``, geometry.
    """
    import geopandas as gpd

    if hasattr(source, "geometries") and hasattr(source, "geometry"):
        geoms = {"proposal": source.geometry, **dict(source.geometries)}
        name = name or getattr(source, "name", "") or ""
    elif isinstance(source, Mapping):
        geoms = dict(source)
    elif isinstance(source, BaseGeometry):
        geoms = {"proposal": source}
    else:
        raise ParkmapError("没有可导出的方案几何", "Nothing to export: no proposal geometry", code="empty")
    rows, shapes = [], []
    for key, (part, zh) in part_names().items():
        g = _polygonal(geoms.get(key))
        if g is None:
            continue
        a = geodesic_area_m2(g)
        rows.append({"part": part, "part_zh": zh, "name": name, "area_m2": round(a, 2), "area_mu": round(a / M2_PER_MU, 4)})
        shapes.append(g)
    if not rows or rows[0]["part"] != "proposal":
        raise ParkmapError("没有可导出的方案几何", "Nothing to export: no proposal polygon", code="empty")
    return gpd.GeoDataFrame(rows, geometry=shapes, crs=EPSG_CGCS2000)


def kml_document(gdf: gpd.GeoDataFrame, name: str = "parkmap") -> bytes:
    """KML 2.2 of polygon features (lon/lat, 9 decimals), attributes in ExtendedData, one style per ``part``.

    The styles are the map's: the proposal style for ``proposal``, each
    overlap layer's style for its ``… overlap`` part (written by
    :func:`geo.io.kml.format_kml`).
    """
    from geo.io.kml import format_kml

    style_of = {"proposal": PROPOSAL_STYLE}
    controls = control_layers()
    overlaps = overlap_styles()
    for key, (part, _) in part_names().items():
        if key in overlaps:
            style_of[part] = overlaps[key]["style"]
        elif key in controls and controls[key].style:
            style_of[part] = controls[key].style
    return format_kml(gdf, name, styles=style_of, default_style=PROPOSAL_STYLE)


def _file_bytes(write: Callable[[Path], object], suffix: str) -> bytes:
    tmp = Path(tempfile.mkdtemp(prefix="parkmap-export-"))
    try:
        path = tmp / f"export{suffix}"
        write(path)
        return path.read_bytes()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def export_proposal_data(source: object, fmt: str, *, zone: int | None = None, prefixed: bool = True,
                         name: str = "") -> bytes:
    """The proposal and its overlap pieces as a file's bytes.

    Parameters
    ----------
    source : CheckResult, dict or geometry
        See :func:`proposal_parts`.
    fmt : {"gpkg", "geojson", "kml", "txt"}
        GeoPackage (layer ``proposal``, EPSG:4490), GeoJSON (RFC 7946),
        KML 2.2, or 界址点 TXT.
    zone : int, optional
        TXT only: CGCS2000 3-degree GK zone (Sichuan 33–36); default
        :func:`default_gk_zone` of the proposal (its centroid longitude:
        104.04 °E → 35).
    prefixed : bool
        TXT only: eastings with the zone prefix (default) or without.
    name : str
        Proposal name written in the ``name`` attribute.

    Returns
    -------
    bytes

    Raises
    ------
    ParkmapError
        Unknown format, no proposal polygon, bad zone.
    """
    from geo.io.jzd_txt import format_jzd_text
    from geo.io.write import write_geojson, write_gpkg

    fmt = str(fmt).lower().lstrip(".")
    fmt = {"json": "geojson"}.get(fmt, fmt)
    if fmt not in DATA_FORMATS:
        raise ParkmapError(f"导出格式应为 {'/'.join(DATA_FORMATS)}，而不是 “{fmt}”",
                           f"The export format must be one of {', '.join(DATA_FORMATS)}, not '{fmt}'", code="usage")
    gdf = proposal_parts(source, name)
    if fmt == "gpkg":
        return _file_bytes(lambda p: write_gpkg(gdf, p, layer="proposal"), ".gpkg")
    if fmt == "geojson":
        return _file_bytes(lambda p: write_geojson(gdf, p), ".geojson")
    if fmt == "kml":
        return kml_document(gdf, name or "parkmap")
    if zone is None:  # the zone of the proposal itself (its centroid), not a fixed one
        zone = default_gk_zone(gdf.geometry.iloc[0])
    _check_gk_zone(gdf, int(zone), prefixed)
    txt = gdf.assign(地块号=[str(i + 1) for i in range(len(gdf))], 地块名称=gdf["part_zh"], 备注=gdf["part"])
    return format_jzd_text(txt, zone, prefixed).encode("utf-8")


def _check_gk_zone(gdf: gpd.GeoDataFrame, zone: int, prefixed: bool) -> None:
    """Refuse a GK zone whose central meridian is more than 3° from the data (beyond the neighbouring zone)."""
    from geo.crs import epsg_for_gk_zone, gk_central_meridian

    epsg_for_gk_zone(zone, prefixed)  # raises for zones outside 25–45
    w, _, e, _ = gdf.total_bounds
    cm = gk_central_meridian(zone)
    far = max(abs(w - cm), abs(e - cm))
    if far > 3.0:
        raise ParkmapError(f"方案距第 {zone} 带中央经线 {cm:g}° 达 {far:.1f}°，请选所在带或相邻带（四川 33–36）",
                           f"The proposal lies {far:.1f}° from the central meridian {cm:g}°E of zone {zone}; choose its "
                           "own or the neighbouring zone (Sichuan: 33–36)", code="usage")


#: File suffix per data format.
DATA_SUFFIX: dict[str, str] = {"gpkg": ".gpkg", "geojson": ".geojson", "kml": ".kml", "txt": ".txt"}



__all__ = ["DATA_FORMATS", "DATA_SUFFIX", "PART_NAMES", "default_gk_zone", "export_proposal_data", "kml_document",
           "part_names", "proposal_parts"]
