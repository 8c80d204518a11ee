"""Geodesic areas and metric buffers/distances for lon/lat geometries.

Areas are computed on the CGCS2000 ellipsoid, taken from
``pyproj.CRS.from_epsg(4490).ellipsoid`` (a = 6 378 137 m,
1/f = 298.257222101 — i.e. GRS80; CGCS2000 differs from GRS80 only in
negligible gravity constants).  Buffers and distances are computed in the
feature's local unprefixed 3-degree Gauss–Krüger zone (EPSG:4542–4545 in
Sichuan): project, operate, project back.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.crs import EPSG_CGCS2000, local_gk_crs, project_geometry, to_cgcs2000
from geo.errors import ParkmapError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

#: Square metres in one mu (亩): 1 mu = 10000/15 m² ≈ 666.67 m².
M2_PER_MU = 10000.0 / 15.0
#: Square metres in one hectare (公顷).
M2_PER_HECTARE = 10000.0


@lru_cache(maxsize=1)
def cgcs2000_geod() -> pyproj.Geod:
    """Return the :class:`pyproj.Geod` of the CGCS2000 ellipsoid."""
    geod = pyproj.CRS.from_epsg(EPSG_CGCS2000).get_geod()
    if geod is None:  # pragma: no cover - EPSG:4490 is geographic and always has an ellipsoid
        raise ParkmapError("CGCS2000 没有椭球参数", "CGCS2000 has no ellipsoid in this PROJ database", code="crs")
    return geod


def ring_area_m2(coords: ArrayLike) -> float:
    """Unsigned geodesic area (m²) enclosed by one lon/lat ring."""
    arr = np.asarray(coords, dtype=float)
    if arr.shape[0] < 3:
        return 0.0
    area, _ = cgcs2000_geod().polygon_area_perimeter(arr[:, 0], arr[:, 1])
    return abs(float(area))


def polygon_parts(geom: BaseGeometry | None) -> list[Polygon]:
    """Return the non-empty polygons of a (Multi)Polygon / GeometryCollection."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, (MultiPolygon, GeometryCollection)):
        out: list[Polygon] = []
        for g in geom.geoms:
            out.extend(polygon_parts(g))
        return out
    return []


def polygon_area_m2(poly: Polygon) -> float:
    """Geodesic area of one polygon: ``|shell| − Σ|holes|``.

    Each ring is measured unsigned, so holes are subtracted whatever their
    winding (a hole wound like its shell would otherwise be *added* by the
    signed ``Geod.geometry_area_perimeter``).
    """
    shell = ring_area_m2(poly.exterior.coords)
    holes = sum(ring_area_m2(r.coords) for r in poly.interiors)
    return shell - holes


def geodesic_area_m2(geom: BaseGeometry | None) -> float:
    """Geodesic area (m²) of a lon/lat geometry on the CGCS2000 ellipsoid.

    Sums :func:`polygon_area_m2` over the polygonal parts; non-polygonal
    geometries have zero area.
    """
    return float(sum(polygon_area_m2(p) for p in polygon_parts(geom)))


def geodesic_perimeter_m(geom: BaseGeometry | None) -> float:
    """Geodesic length (m) of all rings of the polygonal parts."""
    geod = cgcs2000_geod()
    total = 0.0
    for p in polygon_parts(geom):
        for ring in [p.exterior, *p.interiors]:
            total += float(geod.line_length(*np.asarray(ring.coords)[:, :2].T))
    return total


def area_m2_series(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Geodesic area (m²) of every feature of ``gdf`` (any CRS).

    The frame is reprojected to EPSG:4490 first.
    """
    lonlat = to_cgcs2000(gdf)
    return pd.Series([geodesic_area_m2(g) for g in lonlat.geometry], index=gdf.index, name="area_m2", dtype=float)


@overload
def to_mu(m2: float) -> float: ...
@overload
def to_mu(m2: NDArray[np.float64]) -> NDArray[np.float64]: ...
def to_mu(m2: float | NDArray[np.float64]) -> float | NDArray[np.float64]:
    """Convert square metres to mu (亩); 1 mu = 10000/15 m² (scalars or arrays)."""
    return m2 / M2_PER_MU


@overload
def to_hectares(m2: float) -> float: ...
@overload
def to_hectares(m2: NDArray[np.float64]) -> NDArray[np.float64]: ...
def to_hectares(m2: float | NDArray[np.float64]) -> float | NDArray[np.float64]:
    """Convert square metres to hectares (公顷) (scalars or arrays)."""
    return m2 / M2_PER_HECTARE


def count_parts_holes(geom: BaseGeometry | None) -> tuple[int, int]:
    """Return (number of polygon parts, number of holes)."""
    parts = polygon_parts(geom)
    return len(parts), sum(len(p.interiors) for p in parts)


def centroid_lonlat(geom: BaseGeometry) -> tuple[float, float]:
    """Area centroid computed in the local GK zone, returned as (lon, lat)."""
    if geom is None or geom.is_empty:
        raise ParkmapError("空几何没有中心点", "An empty geometry has no centroid", code="empty")
    crs = local_gk_crs(geom)
    c = project_geometry(project_geometry(geom, EPSG_CGCS2000, crs).centroid, crs, EPSG_CGCS2000)
    return float(c.x), float(c.y)


def buffer_m(geom_lonlat: BaseGeometry, meters: float, **kwargs: Any) -> BaseGeometry:
    """Buffer a lon/lat geometry by ``meters`` in its local GK zone.

    Extra keyword arguments go to :func:`shapely.buffer`
    (``quad_segs``, ``join_style``...).  Returns lon/lat.
    """
    crs = local_gk_crs(geom_lonlat)
    projected = project_geometry(geom_lonlat, EPSG_CGCS2000, crs)
    return project_geometry(shapely.buffer(projected, float(meters), **kwargs), crs, EPSG_CGCS2000)


def distance_m(a: BaseGeometry, b: BaseGeometry) -> float:
    """Shortest distance (m) between two lon/lat geometries.

    Computed in the GK zone of the pair's combined centroid.
    """
    crs = local_gk_crs(shapely.GeometryCollection([a, b]))
    return float(project_geometry(a, EPSG_CGCS2000, crs).distance(project_geometry(b, EPSG_CGCS2000, crs)))
