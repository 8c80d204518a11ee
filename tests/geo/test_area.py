from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon

from tests.geo import geo_builders as gb
from geo.area import (
    M2_PER_MU,
    area_m2_series,
    buffer_m,
    centroid_lonlat,
    cgcs2000_geod,
    count_parts_holes,
    distance_m,
    geodesic_area_m2,
    geodesic_perimeter_m,
    polygon_area_m2,
    to_hectares,
    to_mu,
)


def test_geod_is_cgcs2000_ellipsoid():
    geod = cgcs2000_geod()
    assert geod.a == pytest.approx(6378137.0)
    assert 1 / geod.f == pytest.approx(298.257222101, rel=1e-12)


@pytest.mark.parametrize("epsg", [4544, 4523])
def test_1km_square_from_gk_is_1e6_m2(epsg):
    cx, cy = gb.chengdu_gk_center(epsg)
    square = gb.gk_to_lonlat(Polygon(gb.gk_square(cx, cy, 1000.0)), epsg)
    assert geodesic_area_m2(square) == pytest.approx(1e6, rel=1e-3)


def test_hole_wound_like_shell_is_subtracted():
    shell = [(104.0, 30.0), (104.01, 30.0), (104.01, 30.01), (104.0, 30.01)]  # CCW
    hole = [(104.002, 30.002), (104.004, 30.002), (104.004, 30.004), (104.002, 30.004)]  # also CCW
    poly = Polygon(shell, [hole])
    assert poly.interiors[0].is_ccw == poly.exterior.is_ccw
    full = geodesic_area_m2(Polygon(shell))
    hole_area = geodesic_area_m2(Polygon(hole))
    assert geodesic_area_m2(poly) == pytest.approx(full - hole_area, rel=1e-12)
    # the naive signed pyproj call would have added the hole
    naive, _ = cgcs2000_geod().geometry_area_perimeter(poly)
    assert abs(naive) == pytest.approx(full + hole_area, rel=1e-9)
    # opposite winding gives the same result
    poly_cw_hole = Polygon(shell, [hole[::-1]])
    assert geodesic_area_m2(poly_cw_hole) == pytest.approx(geodesic_area_m2(poly), rel=1e-12)
    # clockwise shell too
    assert polygon_area_m2(Polygon(shell[::-1], [hole])) == pytest.approx(full - hole_area, rel=1e-12)


def test_multipolygon_and_collection_areas():
    a = Polygon([(104.0, 30.0), (104.01, 30.0), (104.01, 30.01), (104.0, 30.01)])
    b = Polygon([(104.1, 30.0), (104.11, 30.0), (104.11, 30.01), (104.1, 30.01)])
    mp = MultiPolygon([a, b])
    assert geodesic_area_m2(mp) == pytest.approx(geodesic_area_m2(a) + geodesic_area_m2(b))
    gc = GeometryCollection([a, LineString([(104, 30), (105, 31)])])
    assert geodesic_area_m2(gc) == pytest.approx(geodesic_area_m2(a))
    assert geodesic_area_m2(LineString([(104, 30), (105, 31)])) == 0.0
    assert geodesic_area_m2(Polygon()) == 0.0
    assert geodesic_area_m2(None) == 0.0
    assert count_parts_holes(mp) == (2, 0)


def test_perimeter_of_1km_square():
    cx, cy = gb.chengdu_gk_center()
    sq = gb.gk_to_lonlat(Polygon(gb.gk_square(cx, cy, 1000.0)))
    assert geodesic_perimeter_m(sq) == pytest.approx(4000.0, rel=1e-3)


def test_area_series_any_crs(parcel_gdf):
    s4490 = area_m2_series(parcel_gdf)
    s4523 = area_m2_series(parcel_gdf.to_crs(4523))
    np.testing.assert_allclose(s4490.to_numpy(), s4523.to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(s4490.to_numpy(), gb.EXPECTED_AREAS, rtol=1e-3)
    assert list(s4490.index) == list(parcel_gdf.index)


def test_unit_conversions():
    assert to_mu(10000.0) == pytest.approx(15.0)
    assert to_mu(M2_PER_MU) == pytest.approx(1.0)
    assert to_hectares(25_000.0) == pytest.approx(2.5)
    np.testing.assert_allclose(to_mu(np.array([0.0, 2000.0])), [0.0, 3.0])


def test_buffer_m_area_and_distance():
    p = Point(104.06, 30.55)
    circle = buffer_m(p, 100.0, quad_segs=64)
    assert geodesic_area_m2(circle) == pytest.approx(math.pi * 100**2, rel=2e-3)
    geod = pyproj.Geod(ellps="GRS80")
    lon2, lat2, _ = geod.fwd(104.06, 30.55, 90.0, 1000.0)
    assert distance_m(p, Point(lon2, lat2)) == pytest.approx(1000.0, abs=0.5)
    assert distance_m(circle, Point(lon2, lat2)) == pytest.approx(900.0, abs=1.0)
    assert distance_m(circle, p) == 0.0


def test_centroid_lonlat():
    sq = Polygon([(104.0, 30.0), (104.02, 30.0), (104.02, 30.02), (104.0, 30.02)])
    lon, lat = centroid_lonlat(sq)
    assert lon == pytest.approx(104.01, abs=1e-5)
    assert lat == pytest.approx(30.01, abs=1e-4)


def test_area_series_requires_crs():
    from geo.errors import ParkmapError

    with pytest.raises(ParkmapError):
        area_m2_series(gpd.GeoDataFrame(geometry=[Point(0, 0)]))
