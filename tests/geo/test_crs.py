from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Point, box

from geo.crs import (
    DetectedCRS,
    detect_crs,
    epsg_for_gk_zone,
    gcj02_to_wgs84,
    gk_central_meridian,
    gk_zone_for_lon,
    gk_zone_info,
    local_gk_crs,
    out_of_china,
    parse_crs,
    project_geometry,
    to_cgcs2000,
    transform_geometry_gcj02,
    wgs84_to_gcj02,
)
from geo.errors import ParkmapError


@pytest.mark.parametrize(
    ("lon", "zone"),
    [(99.0, 33), (100.49, 33), (100.51, 34), (102.0, 34), (104.06, 35), (105.0, 35), (108.0, 36), (109.4, 36)],
)
def test_gk_zone_for_lon_3deg(lon, zone):
    assert gk_zone_for_lon(lon) == zone
    assert abs(gk_central_meridian(zone) - lon) <= 1.5


def test_gk_zone_for_lon_6deg():
    assert gk_zone_for_lon(104.0, width=6) == 18
    assert gk_zone_for_lon(101.9, width=6) == 17
    assert gk_central_meridian(18, width=6) == 105.0


@pytest.mark.parametrize(("zone", "pre", "plain"), [(33, 4521, 4542), (34, 4522, 4543), (35, 4523, 4544), (36, 4524, 4545)])
def test_epsg_for_sichuan_zones(zone, pre, plain):
    assert epsg_for_gk_zone(zone, prefixed=True) == pre
    assert epsg_for_gk_zone(zone, prefixed=False) == plain
    # the codes we hand out name the projection of that zone (central meridian 3 × zone, with or without the zone prefix)
    for prefixed, fe in ((True, zone * 1e6 + 500000), (False, 500000)):
        code = epsg_for_gk_zone(zone, prefixed=prefixed)
        params = {p.name: p.value for p in pyproj.CRS.from_epsg(code).coordinate_operation.params}
        assert params["Longitude of natural origin"] == 3 * zone
        assert params["False easting"] == fe
        assert gk_zone_info(code) == (zone, 3, code == pre)


def test_epsg_for_6deg_zone_and_invalid_zone():
    assert epsg_for_gk_zone(18, True, width=6) == 4496
    assert epsg_for_gk_zone(18, False, width=6) == 4507
    with pytest.raises(ParkmapError) as ei:
        epsg_for_gk_zone(50, True)
    assert ei.value.zh and ei.value.en
    assert gk_zone_info(4490) is None


def test_project_geometry_round_trip_and_prefixed_vs_plain():
    tianfu = Point(104.0657, 30.6574)
    pre = project_geometry(tianfu, 4490, 4523)
    plain = project_geometry(tianfu, 4490, pyproj.CRS.from_epsg(4544))  # a pyproj.CRS works as well as a code
    assert 35_000_000 < pre.x < 36_000_000 and 3_000_000 < pre.y < 4_000_000
    assert pre.x - plain.x == pytest.approx(35e6, abs=1e-6) and pre.y == pytest.approx(plain.y, abs=1e-6)
    back = project_geometry(pre, "EPSG:4523", 4490)
    assert back.x == pytest.approx(tianfu.x, abs=1e-7) and back.y == pytest.approx(tianfu.y, abs=1e-7)


def test_to_cgcs2000_reprojects_relabels_and_refuses():
    import geopandas as gpd

    pt = Point(104.0657, 30.6574)
    gk = gpd.GeoDataFrame({"n": [1]}, geometry=[project_geometry(pt, 4490, 4544)], crs=4544)
    out = to_cgcs2000(gk)
    assert out.crs.to_epsg() == 4490
    assert out.geometry.iloc[0].x == pytest.approx(pt.x, abs=1e-7)
    wgs = gpd.GeoDataFrame({"n": [1]}, geometry=[pt], crs=4326)
    relabelled = to_cgcs2000(wgs)
    assert relabelled.crs.to_epsg() == 4490 and relabelled.geometry.iloc[0].equals(pt)  # < 1 m apart: relabelled, not moved
    with pytest.raises(ParkmapError) as ei:
        to_cgcs2000(gpd.GeoDataFrame({"n": [1]}, geometry=[pt]))
    assert ei.value.code == "crs"


def test_detect_lonlat():
    d = detect_crs([104.0, 104.1], [30.0, 30.1])
    assert (d.epsg, d.method) == (4490, "lonlat-range")
    assert d.warning == ""


def test_detect_prefixed_easting():
    d = detect_crs([35512345.678, 35513345.678], [3378123.456, 3377123.456])
    assert (d.epsg, d.method) == (4523, "zone-prefix-in-easting")
    assert detect_crs([33_450_000.0], [3_300_000.0]).epsg == 4521
    assert detect_crs([36_450_000.0], [3_300_000.0]).epsg == 4524


def test_detect_prefixed_with_conflicting_header_zone_warns():
    d = detect_crs([35512345.678], [3378123.456], header_zone=34)
    assert d.epsg == 4523
    assert "34" in d.warning and "35" in d.warning


def test_detect_plain_easting_with_header_zone():
    d = detect_crs([512345.678, 513345.678], [3378123.456, 3377123.456], header_zone=35)
    assert (d.epsg, d.method) == (4544, "txt-header-zone")
    assert detect_crs([512345.0], [3378123.0], header_zone=33).epsg == 4542


def test_detect_plain_easting_without_zone_is_ambiguous():
    with pytest.raises(ParkmapError) as ei:
        detect_crs([512345.678, 513345.678], [3378123.456, 3377123.456])
    err = ei.value
    assert err.code == "crs-ambiguous"
    assert "带号" in err.zh and "zone" in err.en
    assert "--crs" in str(err) and "4544" in str(err)
    assert "\n" not in str(err) and " / " in str(err)


def test_detect_mixed_prefixes_rejected():
    with pytest.raises(ParkmapError):
        detect_crs([35512345.0, 36512345.0], [3378123.0, 3378123.0])


def test_detect_declared_and_user():
    d = detect_crs([35512345.0], [3378123.0], declared="EPSG:4523")
    assert (d.epsg, d.method) == (4523, "declared")
    u = detect_crs([512345.0], [3378123.0], declared=4544, source="user")
    assert (u.epsg, u.method) == (4544, "user")


def test_detect_ignores_contradicting_geographic_declaration():
    # e.g. GeoJSON (implicitly WGS84) holding prefixed GK metres
    d = detect_crs([35512345.0], [3378123.0], declared=4326)
    assert (d.epsg, d.method) == (4523, "zone-prefix-in-easting")
    assert "WGS 84" in d.warning


def test_detect_ignores_declared_plain_gk_for_prefixed_values():
    d = detect_crs([35512345.0], [3378123.0], declared=4544)
    assert d.epsg == 4523
    assert d.warning


def test_detect_web_mercator_guess():
    x, y = pyproj.Transformer.from_crs(4326, 3857, always_xy=True).transform(104.06, 30.55)
    d = detect_crs([x], [y])
    assert (d.epsg, d.method) == (3857, "magnitude")
    assert d.warning


def test_detect_unknown_and_empty():
    with pytest.raises(ParkmapError) as ei:
        detect_crs([5e9], [5e9])
    assert ei.value.code == "crs-unknown"
    with pytest.raises(ParkmapError) as ei:
        detect_crs([], [])
    assert ei.value.code == "empty"


def test_parse_crs_inputs():
    assert parse_crs(4523).to_epsg() == 4523
    assert parse_crs("4523").to_epsg() == 4523
    assert parse_crs("epsg:4544").to_epsg() == 4544
    with pytest.raises(ParkmapError) as ei:
        parse_crs("not a crs")
    assert ei.value.code == "crs"


def test_detected_crs_to_dict():
    d = DetectedCRS(4523, "zone-prefix-in-easting", "n")
    assert d.to_dict()["name"].startswith("CGCS2000 / 3-degree Gauss-Kruger zone 35")
    assert d.label == "EPSG:4523"


def test_local_gk_crs():
    assert local_gk_crs((104.06, 30.67)).to_epsg() == 4544
    assert local_gk_crs(box(99.1, 30.0, 99.3, 30.2)).to_epsg() == 4542
    assert local_gk_crs(Point(102.5, 28.0)).to_epsg() == 4543
    assert local_gk_crs(Point(107.9, 31.0)).to_epsg() == 4545
    # outside the CGCS2000 zone range a GRS80 transverse Mercator is built
    crs = local_gk_crs((9.0, 45.0))
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    assert crs.is_projected and params["Longitude of natural origin"] == 9


# --- GCJ-02 -----------------------------------------------------------------------
def test_gcj02_round_trip_below_1e6_degrees():
    rng = np.random.default_rng(42)
    lon = rng.uniform(97.5, 108.5, 500)
    lat = rng.uniform(26.0, 34.3, 500)
    glon, glat = wgs84_to_gcj02(lon, lat)
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert np.max(np.abs(wlon - lon)) < 1e-6
    assert np.max(np.abs(wlat - lat)) < 1e-6
    assert np.max(np.abs(glon - lon)) > 1e-4  # really shifted


def test_gcj02_offset_magnitude_in_chengdu():
    lon, lat = 104.0657, 30.6574  # Tianfu Square
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert isinstance(glon, float)
    geod = pyproj.Geod(ellps="GRS80")
    _, _, dist = geod.inv(lon, lat, glon, glat)
    assert 100.0 < dist < 1000.0  # a few hundred metres
    # known direction in Chengdu: GCJ-02 lies east and south of WGS84
    assert glon > lon and glat < lat


def test_gcj02_outside_china_unchanged():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)
    assert out_of_china(np.array([2.35, 104.0]), np.array([48.85, 30.0])).tolist() == [True, False]


def test_transform_geometry_gcj02_round_trip():
    poly = box(104.0, 30.0, 104.01, 30.01)
    g = transform_geometry_gcj02(poly, to_gcj=True)
    assert not g.equals_exact(poly, 1e-6)
    back = transform_geometry_gcj02(g, to_gcj=False)
    np.testing.assert_allclose(shapely.get_coordinates(back), shapely.get_coordinates(poly), atol=1e-6)
