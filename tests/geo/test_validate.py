from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from tests.geo import geo_builders as gb
from geo.crs import DetectedCRS
from geo.errors import ParkmapError
from geo.validate import SICHUAN_BBOX, validate_polygons


def _gdf(geoms):
    return gpd.GeoDataFrame({"名称": [f"f{i}" for i in range(len(geoms))]}, geometry=geoms, crs=4490)


def test_valid_layer_passes_unchanged(parcel_gdf):
    out, warnings = validate_polygons(parcel_gdf)
    assert warnings == []
    assert out.geometry.geom_equals(parcel_gdf.geometry).all()
    assert list(out.columns) == list(parcel_gdf.columns)


def test_sichuan_bbox_constant_covers_province():
    x0, y0, x1, y1 = SICHUAN_BBOX
    # Chengdu, Ganzi (Shiqu), Panzhihua, Dazhou, Ruoergai all inside
    for lon, lat in [(104.06, 30.67), (98.1, 32.98), (101.72, 26.58), (107.47, 31.21), (102.96, 33.58)]:
        assert x0 < lon < x1 and y0 < lat < y1


def test_empty_layer_rejected():
    with pytest.raises(ParkmapError) as ei:
        validate_polygons(_gdf([]))
    assert ei.value.code == "empty" and ei.value.zh and ei.value.en


def test_all_empty_geometries_rejected():
    with pytest.raises(ParkmapError) as ei:
        validate_polygons(_gdf([None, Polygon()]))
    assert ei.value.code == "empty"


def test_some_empty_geometries_dropped_with_warning():
    out, warnings = validate_polygons(_gdf([box(104, 30, 104.01, 30.01), None]))
    assert len(out) == 1
    assert len(warnings) == 1 and "2" in warnings[0] and " / " in warnings[0]


def test_linestring_rejected():
    with pytest.raises(ParkmapError) as ei:
        validate_polygons(_gdf([box(104, 30, 104.01, 30.01), LineString([(104, 30), (104.1, 30.1)])]))
    err = ei.value
    assert err.code == "not-polygon"
    assert "LineString" in err.en and "第 2 个" in err.zh


def test_point_rejected():
    with pytest.raises(ParkmapError):
        validate_polygons(_gdf([Point(104, 30)]))


def test_geometry_collection_keeps_polygons():
    gc = GeometryCollection([box(104, 30, 104.01, 30.01), LineString([(104, 30), (104.1, 30.1)]), box(104.1, 30, 104.11, 30.01)])
    out, warnings = validate_polygons(_gdf([gc]))
    geom = out.geometry.iloc[0]
    assert isinstance(geom, MultiPolygon) and len(geom.geoms) == 2
    assert warnings and "polygons" in warnings[0]


def test_bowtie_repaired_with_warning():
    out, warnings = validate_polygons(gb.bowtie_gdf())
    geom = out.geometry.iloc[0]
    assert geom.is_valid and geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2
    assert len(warnings) == 1 and "make_valid" in warnings[0] and "Self-intersection" in warnings[0]


def test_outside_sichuan_names_detected_crs():
    src = DetectedCRS(4523, "zone-prefix-in-easting")
    with pytest.raises(ParkmapError) as ei:
        validate_polygons(_gdf([box(116.3, 39.9, 116.4, 40.0)]), source_crs=src)  # Beijing
    err = ei.value
    assert err.code == "outside-area"
    assert "EPSG:4523" in err.zh and "EPSG:4523" in err.en and "四川" in err.zh and "Sichuan" in err.en


def test_swapped_lonlat_rejected():
    with pytest.raises(ParkmapError) as ei:
        validate_polygons(_gdf([box(30.0, 104.0, 30.01, 104.01)]))
    assert ei.value.code == "outside-area"


def test_bbox_check_can_be_disabled():
    out, _ = validate_polygons(_gdf([box(116.3, 39.9, 116.4, 40.0)]), bbox=None)
    assert len(out) == 1


def test_3d_polygons_become_2d():
    poly = Polygon([(104, 30, 500), (104.01, 30, 500), (104.01, 30.01, 500), (104, 30, 500)])
    out, _ = validate_polygons(_gdf([poly]))
    assert not out.geometry.iloc[0].has_z
