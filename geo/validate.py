"""Validation and repair of polygon layers read from user files.

All functions expect lon/lat in EPSG:4490 (see :func:`geo.crs.to_cgcs2000`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from geo.area import polygon_parts
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


def repair_geometry(geom: BaseGeometry) -> tuple[BaseGeometry | None, str | None]:
    """Repair an invalid polygon with :func:`shapely.make_valid`.

    Returns
    -------
    (geometry or None, reason or None)
        The polygonal parts of the repaired geometry and the GEOS reason it
        was invalid (None if it was valid).
    """
    if shapely.is_valid(geom):
        return geom, None
    reason = shapely.is_valid_reason(geom)
    return polygonal_only(shapely.make_valid(geom)), reason


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

    Returns
    -------
    (GeoDataFrame, list of str)
        The cleaned layer (empty features dropped, GeometryCollections
        reduced to their polygonal parts, invalid polygons repaired with
        ``make_valid``; index preserved) and bilingual warnings.

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
        geom, reason = repair_geometry(geom)
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
    "SICHUAN_BBOX",
    "check_extent",
    "polygonal_only",
    "repair_geometry",
    "require_features",
    "validate_polygons",
]
