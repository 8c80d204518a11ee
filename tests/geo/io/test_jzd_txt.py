from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import MultiPolygon, Polygon

from tests.geo import geo_builders as gb
from geo.area import area_m2_series, geodesic_area_m2
from geo.errors import ParkmapError
from geo.io.jzd_txt import (
    assemble_rings,
    decode_text,
    format_jzd_text,
    parse_jzd_text,
    read_jzd_txt,
    write_jzd_txt,
)
from geo.io.read import read_vector


def _check_parcels(gdf):
    assert list(gdf["地块号"]) == ["A-1", "A-2"]
    assert list(gdf["地块名称"]) == ["高新示范地块", "天府二号"]
    assert list(gdf["地块用途"]) == ["工业用地", "商业用地"]
    assert list(gdf["备注"]) == ["", "备注文字"]
    np.testing.assert_allclose(gdf["地块面积"], [96.0, 25.0])
    assert gdf.crs.to_epsg() == 4490
    assert len(gdf.geometry.iloc[0].interiors) == 1 and len(gdf.geometry.iloc[1].interiors) == 0
    np.testing.assert_allclose(area_m2_series(gdf), gb.EXPECTED_AREAS, rtol=1e-3)


def test_spec_example_parcel_header_and_x_is_northing():
    text = gb.TXT_HEADER.format(zone_line="带号=35") + "\n".join([
        "5,0.8765,1,示例地块,面,H48G001001,工业用地,,@",
        "J1,1,3378123.456,35512345.678",
        "J2,1,3378123.456,35513345.678",
        "J3,1,3377123.456,35513345.678",
        "J4,1,3377123.456,35512345.678",
        "J1,1,3378123.456,35512345.678",
    ])
    doc = parse_jzd_text(text)
    assert doc.meta["带号"] == "35" and doc.meta["坐标系"] == "2000国家大地坐标系"
    (p,) = doc.parcels
    assert p.attrs["地块号"] == "1" and p.attrs["地块名称"] == "示例地块" and p.attrs["图幅号"] == "H48G001001"
    assert p.attrs["界址点数"] == 5 and p.attrs["地块面积"] == pytest.approx(0.8765)
    # X (3rd field) is the northing, stored as y; Y (4th field) the easting, stored as x
    assert p.rings[1][0][:2] == (35512345.678, 3378123.456)


def test_read_prefixed_utf8_two_parcels_with_hole(tmp_path):
    f = gb.write_text(tmp_path / "jzd.txt", gb.jzd_text(prefixed=True))
    gdf, detected, enc, warnings = read_jzd_txt(f)
    assert (detected.epsg, detected.method) == (4523, "zone-prefix-in-easting")
    assert enc == "utf-8"
    assert warnings == []
    _check_parcels(gdf)


def test_read_plain_gbk_crlf_uses_header_zone(tmp_path):
    f = gb.write_text(tmp_path / "jzd.txt", gb.jzd_text(prefixed=False), encoding="gbk", crlf=True)
    gdf, detected, enc, _ = read_jzd_txt(f)
    assert (detected.epsg, detected.method) == (4544, "txt-header-zone")
    assert enc == "gbk"
    _check_parcels(gdf)


def test_read_utf8_bom(tmp_path):
    f = gb.write_text(tmp_path / "jzd.txt", gb.jzd_text(prefixed=False), bom=True, crlf=True)
    gdf, detected, enc, _ = read_jzd_txt(f)
    assert enc == "utf-8-sig" and detected.epsg == 4544
    _check_parcels(gdf)


def test_same_geometry_from_both_zone_styles(tmp_path):
    a, *_ = read_jzd_txt(gb.write_text(tmp_path / "a.txt", gb.jzd_text(prefixed=True)))
    b, *_ = read_jzd_txt(gb.write_text(tmp_path / "b.txt", gb.jzd_text(prefixed=False)))
    for ga, gb_ in zip(a.geometry, b.geometry):
        assert ga.equals_exact(gb_, 1e-9)


def test_plain_eastings_without_zone_is_ambiguous(tmp_path):
    f = gb.write_text(tmp_path / "jzd.txt", gb.jzd_text(prefixed=False, zone_line="带号="))
    with pytest.raises(ParkmapError) as ei:
        read_jzd_txt(f)
    assert ei.value.code == "crs-ambiguous"
    # but a user CRS resolves it
    gdf, detected, _, _ = read_jzd_txt(f, crs="EPSG:4544")
    assert (detected.epsg, detected.method) == (4544, "user")
    _check_parcels(gdf)


def test_area_mismatch_and_point_count_warnings(tmp_path):
    text = gb.jzd_text(area_ha=("50.0000", "25.0000")).replace("10,50.0000,A-1", "12,50.0000,A-1")
    gdf, _, _, warnings = read_jzd_txt(gb.write_text(tmp_path / "jzd.txt", text))
    assert any("50" in w and "A-1" in w and "ha" in w for w in warnings)
    assert any("12" in w and "10" in w for w in warnings)


def test_unsupported_datum(tmp_path):
    text = gb.jzd_text().replace("坐标系=2000国家大地坐标系", "坐标系=1980西安坐标系")
    with pytest.raises(ParkmapError) as ei:
        read_jzd_txt(gb.write_text(tmp_path / "jzd.txt", text))
    assert ei.value.code == "crs-datum" and "CGCS2000" in ei.value.en


@pytest.mark.parametrize(
    ("bad", "expect"),
    [
        ("J3,1,abc,35512345.678", "X (northing)"),
        ("J3,x,3377123.456,35512345.678", "ring number"),
        ("J3,1,3377123.456", "name,ring,X,Y"),
    ],
)
def test_malformed_point_line_names_line_number(tmp_path, bad, expect):
    lines = gb.jzd_text().splitlines()
    idx = next(i for i, line in enumerate(lines) if line.startswith("J3,1,"))
    lines[idx] = bad
    f = gb.write_text(tmp_path / "jzd.txt", "\n".join(lines))
    with pytest.raises(ParkmapError) as ei:
        read_jzd_txt(f)
    err = ei.value
    assert err.code == "malformed"
    assert f"第 {idx + 1} 行" in err.zh and f"line {idx + 1}" in err.en and expect in err.en


def test_malformed_header_and_structure():
    with pytest.raises(ParkmapError) as ei:
        parse_jzd_text("[属性描述]\n坐标系 2000\n")
    assert "line 2" in ei.value.en
    with pytest.raises(ParkmapError) as ei:
        parse_jzd_text("[地块坐标]\nJ1,1,3378123.456,35512345.678\n")
    assert "line 2" in ei.value.en
    with pytest.raises(ParkmapError) as ei:
        parse_jzd_text("[属性描述]\n带号=35\n")
    assert ei.value.code == "empty"
    with pytest.raises(ParkmapError) as ei:
        parse_jzd_text("[地块坐标]\nfive,1,1,a,面,,,,@\n")
    assert "point count" in ei.value.en


def test_degenerate_ring(tmp_path):
    text = gb.TXT_HEADER.format(zone_line="带号=35") + "3,,1,a,面,,,,@\nJ1,1,3378123.4,35512345.6\nJ2,1,3378124.4,35512345.6\nJ1,1,3378123.4,35512345.6\n"
    with pytest.raises(ParkmapError) as ei:
        read_jzd_txt(gb.write_text(tmp_path / "jzd.txt", text))
    assert "fewer than 3" in ei.value.en and "line 14" in ei.value.en


def test_line_parcel_is_rejected_by_read_vector(tmp_path):
    text = gb.jzd_text().replace(",面,H48G001001", ",线,H48G001001")
    with pytest.raises(ParkmapError) as ei:
        read_vector(gb.write_text(tmp_path / "jzd.txt", text))
    assert ei.value.code == "not-polygon"


def test_assemble_rings_multipart_with_hole():
    outer1 = [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    hole1 = [(2, 2), (4, 2), (4, 4), (2, 4), (2, 2)]
    outer2 = [(20, 0), (30, 0), (30, 10), (20, 10), (20, 0)]
    g = assemble_rings([outer1, outer2, hole1])
    assert isinstance(g, MultiPolygon)
    assert [len(p.interiors) for p in g.geoms] == [1, 0]
    assert isinstance(assemble_rings([outer1, hole1]), Polygon)


def test_decode_text_fallbacks():
    assert decode_text("地块".encode("gbk")) == ("地块", "gbk")
    assert decode_text("地块".encode("utf-8")) == ("地块", "utf-8")
    assert decode_text("地块".encode("utf-16")) == ("地块", "utf-16")
    with pytest.raises(ParkmapError) as ei:
        decode_text(b"\xff\xff\x80\x80")
    assert ei.value.code == "encoding"
    with pytest.raises(ParkmapError):
        decode_text("地块".encode("gbk"), "utf-8")


# --- writing -------------------------------------------------------------------------
@pytest.mark.parametrize(("prefixed", "encoding", "epsg"), [(True, "utf-8", 4523), (False, "gbk", 4544)])
def test_write_read_round_trip(tmp_path, parcel_gdf, prefixed, encoding, epsg):
    out = write_jzd_txt(parcel_gdf, tmp_path / "out.txt", prefixed=prefixed, encoding=encoding)
    raw = out.read_bytes()
    assert b"\r\n" in raw
    text = raw.decode(encoding)
    assert "带号=35" in text and "[地块坐标]" in text
    gdf, detected, enc, warnings = read_jzd_txt(out)
    assert detected.epsg == epsg
    assert enc == encoding
    assert warnings == []
    np.testing.assert_allclose(area_m2_series(gdf), area_m2_series(parcel_gdf), rtol=1e-4)
    assert list(gdf["地块名称"]) == list(parcel_gdf["地块名称"])
    assert list(gdf["地块号"]) == ["A-1", "A-2"]
    # declared 公顷 equals the geodesic area
    np.testing.assert_allclose(gdf["地块面积"], area_m2_series(parcel_gdf) / 1e4, atol=1e-4)
    assert [len(g.interiors) for g in gdf.geometry] == [1, 0]


def test_written_format_details(parcel_gdf):
    text = format_jzd_text(parcel_gdf, zone=35, prefixed=True)
    lines = text.split("\r\n")
    header_idx = [i for i, line in enumerate(lines) if line.endswith(",@")]
    assert len(header_idx) == 2
    first = lines[header_idx[0]].split(",")
    assert first[0] == "10" and first[2] == "A-1" and first[4] == "面" and first[-1] == "@"
    pts = lines[header_idx[0] + 1 : header_idx[1]]
    assert len(pts) == 10
    assert pts[0].startswith("J1,1,") and pts[4].startswith("J1,1,")  # ring 1 closed with J1
    assert pts[5].startswith("J5,2,") and pts[9].startswith("J5,2,")  # hole closed with its first point
    e = float(pts[0].split(",")[3])
    n = float(pts[0].split(",")[2])
    assert 35_000_000 < e < 36_000_000 and 3_000_000 < n < 4_000_000


def test_write_multipolygon_round_trip(tmp_path):
    import geopandas as gpd

    a = Polygon([(104.0, 30.0), (104.01, 30.0), (104.01, 30.01), (104.0, 30.01)], [[(104.002, 30.002), (104.004, 30.002), (104.004, 30.004), (104.002, 30.004)]])
    b = Polygon([(104.02, 30.0), (104.03, 30.0), (104.03, 30.01), (104.02, 30.01)])
    src = gpd.GeoDataFrame({"地块名称": ["两块"]}, geometry=[MultiPolygon([a, b])], crs=4490)
    gdf, _, _, _ = read_jzd_txt(write_jzd_txt(src, tmp_path / "mp.txt"))
    g = gdf.geometry.iloc[0]
    assert g.geom_type == "MultiPolygon" and sorted(len(p.interiors) for p in g.geoms) == [0, 1]
    assert geodesic_area_m2(g) == pytest.approx(geodesic_area_m2(src.geometry.iloc[0]), rel=1e-4)


def test_write_unencodable_keeps_existing_file(tmp_path, parcel_gdf):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    bad = parcel_gdf.assign(地块名称=["😀", "x"])
    with pytest.raises(ParkmapError) as ei:
        write_jzd_txt(bad, target, encoding="gbk")
    assert ei.value.code == "encoding"
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
