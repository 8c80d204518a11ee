"""A file with several parcels (地块) is one proposal: one verdict, total area, per-parcel breakdown."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, box

from tests.geo import geo_builders as gb
from geo.area import geodesic_area_m2
from geo.check import CheckResult, Proposal, check_proposal
from geo.errors import ParkmapError
from geo.io.read import read_vector
from geo.units import fmt_area
from geo.proposal import normalize_parcels, parcel_breakdown, proposal_from_frame, unique_labels
from tests.geo.check.test_engine import REL, rules, sq, world  # noqa: F401  (module fixtures of the synthetic world)

AREA_RULES = ("eco_redline", "farmland", "urban_boundary", "other_parks", "in_sichuan")


def frame(*geoms, **cols):
    return gpd.GeoDataFrame(cols or None, geometry=list(geoms), crs=4490)


# --------------------------------------------------------------------------- reading
def test_two_parcels_of_a_file_are_one_proposal(parcel_gdf):
    p = proposal_from_frame(parcel_gdf)
    assert [x["label"] for x in p.parcels] == ["高新示范地块", "天府二号"]
    for got, want in zip(p.parcels, gb.EXPECTED_AREAS):
        assert got["area_m2"] == pytest.approx(want, rel=1e-3)
    assert p.area_m2 == pytest.approx(sum(gb.EXPECTED_AREAS), rel=1e-3)
    assert p.geometry.geom_type == "MultiPolygon" and p.geometry.is_valid and p.feature is None
    one = proposal_from_frame(parcel_gdf, feature=2)
    assert [x["label"] for x in one.parcels] == ["天府二号"] and one.feature == 2 and one.name == "天府二号"
    assert one.area_m2 == pytest.approx(gb.EXPECTED_AREAS[1], rel=1e-3)


@pytest.mark.parametrize("bad", [0, 3, -1, "x"])
def test_feature_out_of_range_is_a_bilingual_error(parcel_gdf, bad):
    with pytest.raises(ParkmapError) as err:
        proposal_from_frame(parcel_gdf, feature=bad)
    assert "1–2" in err.value.zh and "1–2" in err.value.en and err.value.code == "usage"


def test_labels_default_and_unique_and_scheme_name():
    a, b = sq(0, 0, 1000, 1000), sq(1000, 0, 2000, 1000)  # adjoining parcels
    p = proposal_from_frame(frame(a, b))
    assert [x["label"] for x in p.parcels] == ["地块1", "地块2"] and p.name == ""
    assert p.geometry.is_valid and p.geometry.geom_type == "Polygon"  # union, not an invalid MultiPolygon
    assert p.area_m2 == pytest.approx(2_000_000, rel=REL)
    q = proposal_from_frame(frame(a, b, name=["东区", "东区"], 方案名称=["东扩一期", "东扩一期"]))
    assert [x["label"] for x in q.parcels] == ["东区", "东区（2）"] and q.name == "东扩一期"
    assert unique_labels(["A", "B", "A", "A"]) == ["A", "B", "A（2）", "A（3）"]
    with pytest.raises(ParkmapError, match="not a polygon"):
        proposal_from_frame(frame(a, LineString([(104, 30), (104.1, 30.1)])))
    with pytest.raises(ParkmapError):
        proposal_from_frame(frame(a).iloc[:0])


def test_jzd_txt_with_two_parcel_blocks(tmp_path):
    path = gb.write_text(tmp_path / "jzd.txt", gb.jzd_text())
    p = proposal_from_frame(read_vector(path).gdf)
    assert [x["label"] for x in p.parcels] == ["高新示范地块", "天府二号"]
    assert p.area_m2 == pytest.approx(sum(gb.EXPECTED_AREAS), rel=1e-3)


def test_parcel_breakdown_helpers():
    a, b = sq(0, 0, 1000, 1000), sq(2000, 0, 3000, 1000)
    parcels = normalize_parcels([("甲", a), {"label": "乙", "geometry": shapely.geometry.mapping(b)}], None)
    assert [p["label"] for p in parcels] == ["甲", "乙"] and parcels[1]["geometry"].geom_type == "Polygon"
    part = sq(500, 0, 2500, 1000)  # half of each
    vals = parcel_breakdown(parcels, part, geodesic_area_m2(part))
    assert [v["label"] for v in vals] == ["甲", "乙"]
    assert all(v["value"] == pytest.approx(500_000, rel=REL) for v in vals)
    assert parcel_breakdown(parcels[:1], part, 123.456) == [{"label": "甲", "value": 123.46}]
    assert [p["label"] for p in normalize_parcels(None, shapely.MultiPolygon([a, b]))] == ["地块1", "地块2"]
    with pytest.raises(ParkmapError, match="not a polygon"):
        normalize_parcels([("线", LineString([(0, 0), (1, 1)]))], None)


# --------------------------------------------------------------------------- checking
def test_multi_parcel_check_gives_one_verdict_and_a_breakdown(world, rules):  # noqa: F811
    clean = sq(1000, 2000, 2000, 3000)         # 1 km², clear of every control line
    on_eco = sq(20500, 0, 21500, 1000)         # 1 km², half on red line E1; 500 m of it is outside the urban boundary
    prop = proposal_from_frame(frame(clean, on_eco, 地块名称=["西块", "东块"]))
    r = check_proposal(Proposal(prop.geometry, "Z1", parcels=prop.parcels, name="东扩方案"), world, rules)
    assert r.verdict == "fail" and r.name == "东扩方案"
    assert r.area_m2 == pytest.approx(2_000_000, rel=REL)
    assert [p["label"] for p in r.parcels] == ["西块", "东块"]
    assert [p["area_m2"] for p in r.parcels] == pytest.approx([1_000_000, 1_000_000], rel=REL)
    eco = r.rule("eco_redline")
    assert eco.value == pytest.approx(500_000, rel=REL)
    by = {p["label"]: p["value"] for p in eco.details["parcels"]}
    assert by["西块"] == 0 and by["东块"] == pytest.approx(500_000, rel=REL)
    ub = r.rule("urban_boundary")  # boundary ends at x = 10000: the whole east parcel is outside
    assert ub.value == pytest.approx(1_000_000, rel=REL)
    assert {p["label"]: p["value"] for p in ub.details["parcels"]} == pytest.approx({"西块": 0, "东块": 1_000_000}, rel=REL)
    for rid in AREA_RULES:
        row = r.rule(rid)
        assert sum(p["value"] for p in row.details["parcels"]) == pytest.approx(row.value, rel=REL, abs=0.05), rid
    # The same geometry without parcel labels: one part per parcel, 地块1/地块2.
    plain = check_proposal(Proposal(prop.geometry, "Z1"), world, rules)
    assert [p["label"] for p in plain.parcels] == ["地块1", "地块2"] and plain.verdict == r.verdict
    # Parcels alone (geometry None): their union is checked.
    alone = check_proposal(Proposal(None, "Z1", parcels=prop.parcels), world, rules)
    assert alone.area_m2 == pytest.approx(r.area_m2, rel=1e-9)


def test_breakdown_survives_the_json_document(world, rules):  # noqa: F811
    prop = proposal_from_frame(frame(sq(1000, 2000, 2000, 3000), sq(20500, 0, 21500, 1000)))
    p = Proposal(prop.geometry, "Z1", parcels=prop.parcels)
    r = check_proposal(p, world, rules)
    d = json.loads(json.dumps(r.to_dict(include_geometries=True)))
    assert [x["label"] for x in d["parcels"]] == ["地块1", "地块2"] and d["parcels"][0]["area_mu"] > 0
    eco = next(x for x in d["rules"] if x["id"] == "eco_redline")
    assert [x["label"] for x in eco["details"]["parcels"]] == ["地块1", "地块2"]
    back = CheckResult.from_dict(d)
    assert back.parcels == r.parcels and back.rule("eco_redline").details["parcels"] == eco["details"]["parcels"]
    opts = p.options()
    assert [x["label"] for x in opts["parcels"]] == ["地块1", "地块2"] and opts["parcels"][0]["geometry"]["type"] == "Polygon"
    json.dumps(opts)
    assert "parcels" not in Proposal(prop.geometry, "Z1").options()


def test_urban_boundary_row_is_the_area_outside(world, rules):  # noqa: F811
    """The 城镇开发边界 row reports the violation (outside), never the part inside."""
    half = check_proposal(Proposal(sq(9500, -1000, 10500, 0), "Z1"), world, rules)  # half inside
    row = half.rule("urban_boundary")
    assert row.status == "fail" and row.value == pytest.approx(500_000, rel=REL)
    outside = half.geometries["urban_boundary_outside"]
    assert geodesic_area_m2(outside) == pytest.approx(row.value, rel=1e-6)
    assert not world.layers["urban_boundary"].frame.geometry.iloc[0].contains(outside.representative_point())
    assert f"有 {fmt_area(row.value)} 位于城镇开发边界外" in row.message_zh
    assert row.details["inside_m2"] == pytest.approx(500_000, rel=REL)
    # Asymmetric: 30 % inside, 70 % outside → the value is the 70 %.
    r = check_proposal(Proposal(sq(9700, -1000, 10700, 0), "Z1"), world, rules).rule("urban_boundary")
    assert r.value == pytest.approx(700_000, rel=REL) and r.details["share_outside"] == pytest.approx(0.7, rel=REL)
    assert r.details["inside_m2"] == pytest.approx(300_000, rel=REL)
    assert fmt_area(r.value) in r.message_zh and fmt_area(r.value, "en") in r.message_en
    assert half.rule("urban_boundary").name_zh == "城镇开发边界"


def test_overlapping_parcels_are_counted_once_in_the_total(world, rules):  # noqa: F811
    a, b = box(0, 2000, 1000, 3000), box(500, 2000, 1500, 3000)
    prop = proposal_from_frame(frame(sq(*a.bounds), sq(*b.bounds)))
    r = check_proposal(Proposal(prop.geometry, "Z1", parcels=prop.parcels), world, rules)
    assert r.area_m2 == pytest.approx(1_500_000, rel=REL)
    assert sum(p["area_m2"] for p in r.parcels) == pytest.approx(2_000_000, rel=REL)
