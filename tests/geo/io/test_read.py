from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from shapely.geometry import LineString, Polygon, box

from tests.geo import geo_builders as gb
from geo.area import area_m2_series, geodesic_area_m2
from geo.errors import ParkmapError
from geo.io.archive import ReadLimits
from geo.io.read import (
    _read_kml_gdal,
    codec_name,
    dbf_text_samples,
    detect_bytes_encoding,
    kml_gdal_driver,
    parse_kml,
    read_vector,
)


def _assert_parcels(res, epsg=None):
    gdf = res.gdf
    assert gdf.crs.to_epsg() == 4490
    assert list(gdf["地块名称"]) == ["高新示范地块", "天府二号"]
    assert list(gdf["地块用途"]) == ["工业用地", "商业用地"]
    np.testing.assert_allclose(area_m2_series(gdf), gb.EXPECTED_AREAS, rtol=1e-3)
    if epsg is not None:
        assert res.source_crs.epsg == epsg


# --- shapefiles ----------------------------------------------------------------------
def test_gbk_shapefile_without_cpg_in_zip_subfolder(tmp_path, parcel_gdf):
    src = tmp_path / "src"
    src.mkdir()
    shp = gb.write_shapefile(parcel_gdf.to_crs(4523), src / "开发区范围.shp", encoding="GBK", cpg=False, prj=False)
    assert not shp.with_suffix(".cpg").exists()
    # the DBF really holds GBK bytes
    assert "高新示范地块".encode("gbk") in shp.with_suffix(".dbf").read_bytes()
    z = gb.zip_files(tmp_path / "upload.zip", gb.shapefile_parts(shp), arc_prefix="数据/规划/")
    res = read_vector(z)
    _assert_parcels(res, epsg=4523)
    assert res.encoding == "gbk"
    assert res.source_crs.method == "zone-prefix-in-easting"
    assert res.driver == "ESRI Shapefile"
    assert res.layers == ["数据/规划/开发区范围.shp"]
    assert any(".prj" in w for w in res.warnings)


def test_gbk_shapefile_with_cpg_and_prj(tmp_path, parcel_gdf):
    shp = gb.write_shapefile(parcel_gdf.to_crs(4544), tmp_path / "a.shp", encoding="GBK", cpg=True)
    assert shp.with_suffix(".cpg").read_text().strip().upper() == "GBK"
    res = read_vector(shp)
    _assert_parcels(res, epsg=4544)
    assert res.encoding == "gbk" and res.source_crs.method == "declared"
    assert res.warnings == []


def _short_names(gdf):
    # UTF-8 Chinese needs 3 bytes a character: DBF's 10-byte names fit 3 characters
    return gdf.rename(columns={"地块名称": "名称", "地块用途": "用途"})


def _assert_short(res):
    assert list(res.gdf["名称"]) == ["高新示范地块", "天府二号"]
    assert list(res.gdf["用途"]) == ["工业用地", "商业用地"]
    np.testing.assert_allclose(area_m2_series(res.gdf), gb.EXPECTED_AREAS, rtol=1e-3)


def test_utf8_shapefile_with_cpg(tmp_path, parcel_gdf):
    shp = gb.write_shapefile(_short_names(parcel_gdf), tmp_path / "u.shp", encoding="UTF-8", cpg=True)
    res = read_vector(shp)
    _assert_short(res)
    assert res.encoding == "utf-8" and res.source_crs.epsg == 4490


def test_utf8_shapefile_without_cpg_detected(tmp_path, parcel_gdf):
    shp = gb.write_shapefile(_short_names(parcel_gdf), tmp_path / "u.shp", encoding="UTF-8", cpg=False)
    res = read_vector(shp)
    _assert_short(res)
    assert res.encoding == "utf-8"


def test_lying_cpg_is_overridden(tmp_path, parcel_gdf):
    shp = gb.write_shapefile(parcel_gdf, tmp_path / "a.shp", encoding="GBK", cpg=False)
    shp.with_suffix(".cpg").write_text("UTF-8")
    res = read_vector(shp)
    _assert_parcels(res)
    assert res.encoding == "gbk"
    assert any(".cpg" in w for w in res.warnings)


def test_user_encoding_wins(tmp_path, parcel_gdf):
    shp = gb.write_shapefile(parcel_gdf, tmp_path / "a.shp", encoding="GBK", cpg=False)
    res = read_vector(shp, encoding="GB18030")
    _assert_parcels(res)
    assert res.encoding == "gb18030"
    with pytest.raises(ParkmapError) as ei:
        read_vector(shp, encoding="no-such-codec")
    assert ei.value.code == "encoding"


def test_undecodable_dbf(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["ÿÿ\x80ÿ"]}, geometry=[box(104, 30, 104.01, 30.01)], crs=4490)
    shp = gb.write_shapefile(gdf, tmp_path / "bad.shp", encoding="latin1", cpg=False)
    assert b"\xff\xff\x80\xff" in shp.with_suffix(".dbf").read_bytes()  # invalid in utf-8, gbk and gb18030
    with pytest.raises(ParkmapError) as ei:
        read_vector(shp)
    assert ei.value.code == "encoding" and "--encoding" in str(ei.value)
    assert read_vector(shp, encoding="latin1").gdf["name"].iloc[0] == "ÿÿ\x80ÿ"


def test_dbf_sampling_and_detection(tmp_path, parcel_gdf):
    shp = gb.write_shapefile(parcel_gdf, tmp_path / "a.shp", encoding="GBK")
    names, values = dbf_text_samples(shp.with_suffix(".dbf").read_bytes())
    assert "地块名称".encode("gbk") in names and "高新示范地块".encode("gbk") in values
    assert detect_bytes_encoding(values, names) == "gbk"
    assert detect_bytes_encoding([], names) == "gbk"  # names alone, judged leniently
    # a UTF-8 name cut in the middle of a character by GDAL's 10-byte limit
    assert detect_bytes_encoding([], ["地块名称".encode()[:10], "地块名称二".encode()[:8] + b"_1"]) == "utf-8"
    assert detect_bytes_encoding([b"abc"]) == "utf-8"
    assert detect_bytes_encoding(["成都".encode()]) == "utf-8"
    # short CJK strings: strict utf-8 fails on GBK bytes, gbk succeeds
    assert detect_bytes_encoding(["示例".encode("gbk")]) == "gbk"
    # a trailing multibyte char cut by the field width is tolerated
    assert detect_bytes_encoding(["成都市".encode("gbk")[:-1]]) == "gbk"
    assert detect_bytes_encoding([b"\xff\xfe\x80"]) is None
    assert dbf_text_samples(b"") == ([], [])


def test_codec_names():
    assert codec_name("GBK") == "gbk"
    assert codec_name("936") == "gbk"
    assert codec_name("ANSI 936") == "gbk"
    assert codec_name("65001") == "utf-8"
    assert codec_name("UTF-8") == "utf-8"
    assert codec_name("nonsense") is None


def test_zip_with_several_shapefiles(tmp_path, parcel_gdf):
    src = tmp_path / "src"
    src.mkdir()
    a = gb.write_shapefile(parcel_gdf.iloc[[0]], src / "a.shp", encoding="GBK")
    b = gb.write_shapefile(parcel_gdf.iloc[[1]].to_crs(4523), src / "b.shp", encoding="GB18030", cpg=True)
    roads = gpd.GeoDataFrame({"名称": ["路"]}, geometry=[LineString([(104.0, 30.5), (104.1, 30.6)])], crs=4490)
    c = gb.write_shapefile(roads, src / "c_roads.shp", encoding="UTF-8", cpg=True)
    z = gb.zip_files(tmp_path / "multi.zip", gb.shapefile_parts(a) + gb.shapefile_parts(b) + gb.shapefile_parts(c), "x/")
    res = read_vector(z)
    assert len(res.gdf) == 2
    assert list(res.gdf["_source"]) == ["x/a.shp", "x/b.shp"]
    assert list(res.gdf["地块名称"]) == ["高新示范地块", "天府二号"]
    np.testing.assert_allclose(area_m2_series(res.gdf), gb.EXPECTED_AREAS, rtol=1e-3)
    assert res.encoding == "gb18030,gbk"
    assert any("c_roads.shp" in w for w in res.warnings)
    assert any("Merged 2" in w for w in res.warnings)


def test_zip_with_only_line_shapefile_is_rejected(tmp_path):
    roads = gpd.GeoDataFrame({"名称": ["路"]}, geometry=[LineString([(104.0, 30.5), (104.1, 30.6)])], crs=4490)
    c = gb.write_shapefile(roads, tmp_path / "roads.shp", encoding="UTF-8", cpg=True)
    z = gb.zip_files(tmp_path / "roads.zip", gb.shapefile_parts(c))
    with pytest.raises(ParkmapError) as ei:
        read_vector(z)
    assert ei.value.code == "not-polygon"


def test_zip_with_geojson_inside(tmp_path, parcel_gdf):
    gj = tmp_path / "p.geojson"
    parcel_gdf.to_file(gj, driver="GeoJSON", engine="pyogrio")
    z = gb.zip_files(tmp_path / "g.zip", [gj], "dir/")
    res = read_vector(z)
    _assert_parcels(res)
    assert res.driver == "GeoJSON" and res.layers == ["dir/p.geojson"]


def test_empty_zip_and_macosx_junk(tmp_path):
    import zipfile

    z = tmp_path / "junk.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("__MACOSX/._a.shp", b"junk")
        zf.writestr("readme.md", b"hi")
    with pytest.raises(ParkmapError) as ei:
        read_vector(z)
    assert ei.value.code == "empty"


def test_shapefile_missing_shx(tmp_path, parcel_gdf):
    shp = gb.write_shapefile(parcel_gdf, tmp_path / "a.shp")
    shp.with_suffix(".shx").unlink()
    with pytest.raises(ParkmapError) as ei:
        read_vector(shp)
    assert ei.value.code == "shapefile-incomplete" and ".shx" in ei.value.en


def test_gk_shapefile_without_prj_or_zone_is_ambiguous(tmp_path, parcel_gdf):
    shp = gb.write_shapefile(parcel_gdf.to_crs(4544), tmp_path / "a.shp", prj=False)
    with pytest.raises(ParkmapError) as ei:
        read_vector(shp)
    assert ei.value.code == "crs-ambiguous"
    res = read_vector(shp, crs="4544")
    _assert_parcels(res, epsg=4544)
    assert res.source_crs.method == "user"


# --- GeoPackage / GeoJSON -----------------------------------------------------------------
def test_gpkg_picks_first_polygon_layer(tmp_path, parcel_gdf):
    path = tmp_path / "m.gpkg"
    roads = gpd.GeoDataFrame({"名称": ["路"]}, geometry=[LineString([(104.0, 30.5), (104.1, 30.6)])], crs=4490)
    roads.to_file(path, layer="roads", engine="pyogrio")
    parcel_gdf.to_crs(4523).to_file(path, layer="地块", engine="pyogrio")
    parcel_gdf.iloc[[0]].to_file(path, layer="其他", engine="pyogrio")
    res = read_vector(path)
    _assert_parcels(res, epsg=4523)
    assert res.layers == ["地块"] and res.driver == "GPKG" and res.encoding is None
    assert any("其他" in w for w in res.warnings)
    assert len(read_vector(path, layer="其他").gdf) == 1
    with pytest.raises(ParkmapError) as ei:
        read_vector(path, layer="nope")
    assert ei.value.code == "layer" and "roads" in ei.value.en


def test_geojson_utf8_and_gbk(tmp_path, parcel_gdf):
    text = parcel_gdf.to_json(ensure_ascii=False)
    u = gb.write_text(tmp_path / "u.geojson", text)
    res = read_vector(u)
    _assert_parcels(res, epsg=4490)  # geopandas writes a legacy "crs" member for 4490
    assert res.encoding == "utf-8" and res.source_crs.method == "declared"
    g = gb.write_text(tmp_path / "g.json", text, encoding="gbk")
    res = read_vector(g)
    _assert_parcels(res)
    assert res.encoding == "gbk"
    assert any("UTF-8" in w for w in res.warnings)


def test_geojson_with_gk_coordinates_and_no_crs(tmp_path, parcel_gdf):
    gk = parcel_gdf.to_crs(4523)
    data = json.loads(gk.to_json(ensure_ascii=False))
    data.pop("crs", None)
    f = gb.write_text(tmp_path / "gk.geojson", json.dumps(data, ensure_ascii=False))
    res = read_vector(f)
    _assert_parcels(res, epsg=4523)
    assert res.source_crs.method == "zone-prefix-in-easting"
    assert res.source_crs.warning and res.source_crs.warning in res.warnings


def test_geojson_with_legacy_crs_member(tmp_path, parcel_gdf):
    gk = parcel_gdf.to_crs(4544)
    data = json.loads(gk.to_json(ensure_ascii=False))
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4544"}}
    res = read_vector(gb.write_text(tmp_path / "gk.geojson", json.dumps(data, ensure_ascii=False)))
    _assert_parcels(res, epsg=4544)
    assert res.source_crs.method == "declared"


def test_empty_geojson(tmp_path):
    f = gb.write_text(tmp_path / "e.geojson", gb.feature_collection([]))
    with pytest.raises(ParkmapError) as ei:
        read_vector(f)
    assert ei.value.code == "empty"


def test_3d_geometries_are_flattened(tmp_path):
    poly = Polygon([(104, 30, 500), (104.01, 30, 500), (104.01, 30.01, 500), (104, 30, 500)])
    path = tmp_path / "z.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[poly], crs=4490).to_file(path, engine="pyogrio")
    assert not read_vector(path).gdf.geometry.iloc[0].has_z


# --- KML ----------------------------------------------------------------------------------
def test_kml_with_hole_and_multigeometry(tmp_path):
    f = gb.write_text(tmp_path / "p.kml", gb.kml_text())
    res = read_vector(f)
    gdf = res.gdf
    assert (res.source_crs.epsg, res.source_crs.method) == (4326, "kml-spec")
    assert list(gdf["name"]) == ["示例地块", "两块"]
    assert gdf["用途"].iloc[0] == "工业用地"  # Chinese ExtendedData names survive
    assert gdf["folder"].iloc[0] == "规划范围"
    first, second = gdf.geometry
    assert first.geom_type == "Polygon" and len(first.interiors) == 1
    assert second.geom_type == "MultiPolygon" and len(second.geoms) == 2
    expected = geodesic_area_m2(box(104.0, 30.0, 104.01, 30.01)) - geodesic_area_m2(box(104.002, 30.002, 104.004, 30.004))
    assert geodesic_area_m2(first) == pytest.approx(expected, rel=1e-9)


def test_kml_gdal_driver_agrees_with_parser(tmp_path):
    assert kml_gdal_driver() in ("LIBKML", "KML")
    f = gb.write_text(tmp_path / "p.kml", gb.kml_text())
    ours = parse_kml(f.read_bytes())
    gdal = _read_kml_gdal(f)
    assert sorted(gdal["name"]) == sorted(ours["name"])
    a = sum(geodesic_area_m2(g) for g in ours.geometry)
    b = sum(geodesic_area_m2(g) for g in gdal.geometry)
    assert a == pytest.approx(b, rel=1e-9)


def test_kmz(tmp_path):
    k = gb.write_text(tmp_path / "doc.kml", gb.kml_text())
    z = gb.zip_files(tmp_path / "p.kmz", [k])
    res = read_vector(z)
    assert len(res.gdf) == 2 and res.layers == ["doc.kml"]


def test_kml_line_only_and_bad_xml(tmp_path):
    line = """<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>路</name>
<LineString><coordinates>104,30 104.1,30.1</coordinates></LineString></Placemark></kml>"""
    with pytest.raises(ParkmapError) as ei:
        read_vector(gb.write_text(tmp_path / "l.kml", line))
    assert ei.value.code == "not-polygon"
    with pytest.raises(ParkmapError) as ei:
        read_vector(gb.write_text(tmp_path / "b.kml", "<kml><Placemark>"))
    assert ei.value.code == "malformed"
    with pytest.raises(ParkmapError):
        parse_kml(b'<?xml version="1.0"?><!DOCTYPE k [<!ENTITY a "aaaa">]><kml>&a;</kml>')


# --- generic bad input ----------------------------------------------------------------------
def test_oversized_file_rejected(tmp_path, parcel_gdf):
    path = tmp_path / "p.gpkg"
    parcel_gdf.to_file(path, engine="pyogrio")
    with pytest.raises(ParkmapError) as ei:
        read_vector(path, limits=ReadLimits(max_file_bytes=1000))
    assert ei.value.code == "too-large"


def test_oversized_member_inside_zip_rejected(tmp_path, parcel_gdf):
    shp = gb.write_shapefile(parcel_gdf, tmp_path / "a.shp")
    z = gb.zip_files(tmp_path / "a.zip", gb.shapefile_parts(shp))
    with pytest.raises(ParkmapError) as ei:
        read_vector(z, limits=ReadLimits(max_uncompressed_bytes=200))
    assert ei.value.code == "zip-bomb"


def test_unsupported_missing_and_corrupt(tmp_path):
    with pytest.raises(ParkmapError) as ei:
        read_vector(tmp_path / "nope.gpkg")
    assert ei.value.code == "not-found"
    csv = tmp_path / "a.csv"
    csv.write_text("a,b")
    with pytest.raises(ParkmapError) as ei:
        read_vector(csv)
    assert ei.value.code == "unsupported"
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"garbage" * 100)
    with pytest.raises(ParkmapError) as ei:
        read_vector(bad)
    assert ei.value.code == "unreadable" and "bad.gpkg" in ei.value.en
    with pytest.raises(ParkmapError):
        read_vector(tmp_path)


def test_bowtie_is_repaired(tmp_path):
    path = tmp_path / "bow.gpkg"
    gb.bowtie_gdf().to_file(path, engine="pyogrio")
    res = read_vector(path)
    assert res.gdf.geometry.iloc[0].is_valid
    assert any("make_valid" in w for w in res.warnings)


def test_outside_sichuan_mentions_crs(tmp_path, parcel_gdf):
    # Data in GK zone 39 (CM 117°E, around Beijing): prefix detection works, validation refuses it
    beijing = parcel_gdf.translate(xoff=12.3, yoff=9.35).set_crs(4490, allow_override=True)
    path = gb.write_shapefile(beijing.to_crs(4527), tmp_path / "w.shp", prj=False)
    with pytest.raises(ParkmapError) as ei:
        read_vector(path)
    err = ei.value
    assert err.code == "outside-area"
    assert "EPSG:4527" in err.zh and "zone-prefix-in-easting" in err.en
    # validation can be switched off by callers that handle other provinces
    assert read_vector(path, bbox=None).source_crs.epsg == 4527


def test_utf8_shapefile_long_chinese_field_names_truncated_by_gdal(tmp_path):
    gdf = gpd.GeoDataFrame({"地块名称": ["示例地块"], "地块名称二": ["x"]}, geometry=[box(104, 30, 104.01, 30.01)], crs=4490)
    shp = gb.write_shapefile(gdf, tmp_path / "u.shp", encoding="UTF-8", cpg=True)
    with pytest.raises(UnicodeDecodeError):  # what pyogrio alone does with such a file
        pyogrio.read_dataframe(shp)
    res = read_vector(shp)
    # 10-byte DBF names: "地块名" + a cut character → the broken bytes are dropped
    assert res.encoding == "utf-8"
    assert res.gdf.columns[0] == "地块名" and res.gdf.columns[1].startswith("地块")
    assert res.gdf.iloc[0, 0] == "示例地块"
