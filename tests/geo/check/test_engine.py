"""Every rule of geo.check with passing, failing and borderline cases.

The control layers are built here: squares and lines laid out in Gauss–Krüger
metres (CGCS2000 zone 35, EPSG:4544, around Chengdu) and projected to lon/lat,
so every overlap area and distance is known in advance.  Areas must match to
0.5 %.  No wall-clock assertions.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, box

from tests.geo import geo_builders as gb
from geo.area import geodesic_area_m2
from geo.check import (
    CHECK_SCHEMA,
    ControlIndex,
    Proposal,
    apply_override,
    check_proposal,
    prepare_proposal_geometry,
    subdivide,
    verdict_of,
)
from geo.errors import ParkmapError
from geo.rules import RULE_IDS, load_rules, rules_from_dict

REL = 0.005  # areas exact to 0.5 %
OX, OY = gb.chengdu_gk_center()


def gk(geom):
    """A GK-metre geometry (relative to the origin), densified and projected to lon/lat."""
    g = shapely.affinity.translate(geom, OX, OY)
    return gb.gk_to_lonlat(shapely.segmentize(g, 100.0))


def sq(x0, y0, x1, y1):
    return gk(box(x0, y0, x1, y1))


def line(*pts):
    return gk(LineString(pts))


# --------------------------------------------------------------------------
# The synthetic world
# --------------------------------------------------------------------------
ZONES = pd.DataFrame([
    {"zone_id": "Z1", "catalogue_code": "S999001", "name": "甲经济开发区", "short_name": "甲经开区", "zone_class": "经开区", "level": "省级"},
    {"zone_id": "Z2", "catalogue_code": "G999002", "name": "乙高新区", "short_name": "乙高新区", "zone_class": "高新区", "level": "国家级"},
    {"zone_id": "Z3", "catalogue_code": "S999003", "name": "丙经济开发区", "short_name": "丙经开区", "zone_class": "经开区", "level": "省级"},
    {"zone_id": "Z4", "catalogue_code": "S999004", "name": "丁经济开发区", "short_name": "丁经开区", "zone_class": "经开区", "level": "省级"},
    {"zone_id": "Z5", "catalogue_code": "S999005", "name": "戊工业园区", "short_name": "戊园区", "zone_class": "其他产业园区", "level": "省级"},
])


def _ind(zone_id, zone_class, rate, rev, tax, rank, n, top):
    return {"zone_id": zone_id, "year": 2022, "land_dev_rate": rate, "land_dev_rate_source": "illustrative",
            "revenue_per_mu": rev, "revenue_per_mu_unit": "万元/亩", "revenue_per_mu_source": "derived",
            "tax_per_mu": tax, "tax_per_mu_unit": "万元/亩", "tax_per_mu_source": "illustrative",
            "zone_class": zone_class, "rank_in_class": rank, "n_in_class": n, "rank_pct": rank / n,
            "top10_consecutive_years": top, "rank_source": "illustrative"}


# 经开区 class: revenue 100/200/300 → average 200 (Z3 equals it); tax 10/20/30 → 20.
INDICATORS = pd.DataFrame([
    _ind("Z1", "经开区", 0.80, 100.0, 10.0, 3, 3, 0),
    _ind("Z2", "高新区", 0.95, 500.0, 50.0, 1, 1, 3),
    _ind("Z3", "经开区", 0.85, 200.0, 20.0, 2, 3, 2),
    _ind("Z4", "经开区", 0.90, 300.0, 30.0, 1, 3, 3),
])

PARK_BOXES = {  # park_id: (zone, GK box)
    "Z1-P1": ("Z1", (-1000, -500, 0, 500)),
    "Z2-P1": ("Z2", (5000, -500, 6000, 500)),
    "Z3-P1": ("Z3", (-8000, 7000, -7000, 8000)),
    "Z4-P1": ("Z4", (7000, 7000, 8000, 8000)),
}


@pytest.fixture(scope="module")
def world():
    parks = gpd.GeoDataFrame(
        {"park_id": list(PARK_BOXES), "zone_id": [z for z, _ in PARK_BOXES.values()],
         "name": [f"{p}园" for p in PARK_BOXES]},
        geometry=[sq(*b) for _, b in PARK_BOXES.values()], crs=4490)
    circle = gk(Point(30000, 0).buffer(3000, quad_segs=512))  # > 256 vertices: subdivided
    eco = gpd.GeoDataFrame({"eco_id": ["E1", "E2"], "function_class": ["水源涵养", "水土保持"], "illustrative": [0, 0]},
                           geometry=[sq(20000, 0, 21000, 1000), circle], crs=4490)
    farm = gpd.GeoDataFrame({"farm_id": ["F1", "F2", "F3"], "county_name": ["甲县", "甲县", "甲县"]},
                            geometry=[sq(2000, 2000, 3000, 3000),
                                      sq(2000, 5000, 3000, 6000), sq(2500, 5000, 3500, 6000)],  # F2/F3 overlap
                            crs=4490)
    ub = gpd.GeoDataFrame({"ub_id": ["UB1"], "name": ["城镇开发边界"]}, geometry=[sq(-10000, -10000, 10000, 10000)], crs=4490)
    rivers = gpd.GeoDataFrame(
        {"river_id": ["cj", "mj", "xh"], "name_zh": ["长江", "岷江", "小河"], "river_class": ["长江干流", "主要支流", "其他"]},
        geometry=[line((-60000, -5000), (60000, -5000)), line((-20000, -60000), (-20000, 60000)),
                  line((-60000, -4500), (60000, -4500))], crs=4490)
    province = gpd.GeoDataFrame({"name": ["四川省"]}, geometry=[sq(-50000, -50000, 50000, 50000)], crs=4490)
    index = ControlIndex.from_frames(zones=ZONES, indicators=INDICATORS, eco_redline=eco, farmland=farm,
                                     urban_boundary=ub, rivers=rivers, parks=parks, province=province)
    return index


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def run(world, rules, geom, zone="Z1", **kw):
    return check_proposal(Proposal(geometry=geom, zone_id=zone, **kw), world, rules)


# --------------------------------------------------------------------------
# Spatial rules
# --------------------------------------------------------------------------
def test_eco_redline_pass_fail_and_touching(world, rules):
    r = run(world, rules, sq(0, 2000, 1000, 3000))
    assert r.rule("eco_redline").status == "pass" and r.rule("eco_redline").value == 0
    # Half of a 1 km² proposal on the red line.
    r = run(world, rules, sq(20500, 0, 21500, 1000))
    row = r.rule("eco_redline")
    assert row.status == "fail"
    assert row.value == pytest.approx(500_000, rel=REL)
    assert row.details["overlap_mu"] == pytest.approx(750, rel=REL)
    assert row.details["share"] == pytest.approx(0.5, rel=REL)
    assert row.details["hits_total"] == 1
    hit = row.details["hits"][0]
    assert hit["id"] == "E1" and hit["attributes"]["function_class"] == "水源涵养"
    assert hit["overlap_m2"] == pytest.approx(500_000, rel=REL)
    assert r.overlaps["eco_redline"] == pytest.approx(500_000, rel=REL)
    assert geodesic_area_m2(r.geometries["eco_redline"]) == pytest.approx(500_000, rel=REL)
    assert row.unit == "m2" and row.threshold == 0 and "L1676" in row.citation_ref
    assert row.citation.startswith("《四川省开发区发展规划（2023—2027年）》第八章第一节")
    assert "seeds/" not in row.citation and ".txt" not in row.citation
    assert row.name_zh == "生态保护红线" and row.name("en") == "Ecological protection red line"
    assert "生态保护红线" in row.message_zh and "red line" in row.message_en
    assert r.verdict == "fail"
    # Borderline: sharing an edge is no overlap; a 1 m strip is.
    assert run(world, rules, sq(21000, 0, 22000, 1000)).rule("eco_redline").status == "pass"
    strip = run(world, rules, sq(20999, 0, 22000, 1000)).rule("eco_redline")
    assert strip.status == "fail" and strip.value == pytest.approx(1000, rel=REL)


def test_subdivided_polygon_gives_the_exact_overlap(world, rules):
    eco_circle = world.layers["eco_redline"].frame.geometry.iloc[1]
    assert shapely.get_num_coordinates(eco_circle) > 256
    assert (world.layers["eco_redline"].owner == 1).sum() > 1  # cut into tiles
    prop = sq(28000, -1000, 31000, 1000)
    expected = geodesic_area_m2(prop.intersection(eco_circle))
    row = run(world, rules, prop).rule("eco_redline")
    assert row.value == pytest.approx(expected, rel=1e-6)
    assert row.details["hits_total"] == 1 and row.details["hits"][0]["id"] == "E2"


def test_subdivide_keeps_area():
    g = gk(Point(0, 0).buffer(5000, quad_segs=400))
    tiles = subdivide(g, 64)
    assert len(tiles) > 4 and all(shapely.get_num_coordinates(t) <= 64 for t in tiles)
    assert sum(geodesic_area_m2(t) for t in tiles) == pytest.approx(geodesic_area_m2(g), rel=1e-7)


def test_farmland_fail_major_project_warning_and_touching(world, rules):
    prop = sq(2500, 2000, 3500, 3000)  # half of F1
    row = run(world, rules, prop).rule("farmland")
    assert row.status == "fail" and row.value == pytest.approx(500_000, rel=REL)
    assert row.details["share"] == pytest.approx(0.5, rel=REL)
    assert row.details["hits"][0]["id"] == "F1" and row.details["hits"][0]["attributes"]["county_name"] == "甲县"
    major = run(world, rules, prop, major_project=True)
    mrow = major.rule("farmland")
    assert mrow.status == "warn" and mrow.value == row.value and mrow.details["exempt_major_project"]
    assert "第三十五条" in mrow.message_zh and "须经国务院批准" in mrow.message_zh  # the law's words, not "may occupy"
    assert "State Council approval" in mrow.message_en
    assert run(world, rules, sq(3000, 2000, 4000, 3000)).rule("farmland").status == "pass"  # touching
    assert run(world, rules, sq(0, 2000, 1000, 3000)).rule("farmland").value == 0


def test_overlapping_control_polygons_are_not_double_counted(world, rules):
    # F2 [2000,3000] and F3 [2500,3500] overlap; the proposal covers both: union = 1.5 km².
    row = run(world, rules, sq(1500, 5000, 4000, 6000)).rule("farmland")
    assert row.value == pytest.approx(1_500_000, rel=REL)
    assert row.details["hits_total"] == 2
    assert sum(h["overlap_m2"] for h in row.details["hits"]) == pytest.approx(2_000_000, rel=REL)


def test_urban_boundary_inside_outside_and_on_the_edge(world, rules):
    r = run(world, rules, sq(1000, -1000, 2000, 0))
    assert r.rule("urban_boundary").status == "pass" and r.rule("urban_boundary").value == 0
    assert r.overlaps["urban_boundary"] == pytest.approx(1_000_000, rel=REL)
    r = run(world, rules, sq(9000, -1000, 10000, 0))  # east edge on the boundary: inside
    assert r.rule("urban_boundary").status == "pass" and r.rule("urban_boundary").value == 0
    r = run(world, rules, sq(9600, -1000, 10600, 0))  # 600 m × 1 km outside
    row = r.rule("urban_boundary")
    assert row.status == "fail" and row.value == pytest.approx(600_000, rel=REL)
    assert row.details["share_outside"] == pytest.approx(0.6, rel=REL)
    assert geodesic_area_m2(r.geometries["urban_boundary_outside"]) == pytest.approx(600_000, rel=REL)


def test_river_rule_chemical_fails_within_1km_others_warn(world, rules):
    # 长江 runs along y = -5000; 小河 (class 其他) at y = -4500 crosses the square and is ignored.
    near = sq(-500, -5000 + 999, 500, -5000 + 1999)
    far = sq(-500, -5000 + 1001, 500, -5000 + 2001)
    chem_near = run(world, rules, near, chemical=True).rule("river_1km")
    assert chem_near.status == "fail"
    assert chem_near.value == pytest.approx(999, abs=0.5)
    assert chem_near.details["nearest_river"]["name"] == "长江" and chem_near.details["within"]
    assert "长江" in chem_near.message_zh and chem_near.unit == "m" and chem_near.threshold == 1000
    chem_far = run(world, rules, far, chemical=True).rule("river_1km")
    assert chem_far.status == "pass" and chem_far.value == pytest.approx(1001, abs=0.5)
    plain_near = run(world, rules, near).rule("river_1km")
    assert plain_near.status == "warn" and "需关注" in plain_near.message_zh
    crossing = run(world, rules, sq(-500, -5500, 500, -4800), chemical=True).rule("river_1km")
    assert crossing.status == "fail" and crossing.value == 0
    # Nearest regulated river may be a tributary.
    trib = run(world, rules, sq(-19000 + 300, 0, -18000, 1000)).rule("river_1km")
    assert trib.details["nearest_river"]["name"] == "岷江" and trib.value == pytest.approx(1300, abs=0.5)
    assert "river_link" in run(world, rules, near).geometries


def test_river_classes_are_configurable(world, rules):
    raw = rules.to_dict()
    next(r for r in raw["rules"] if r["id"] == "river_1km")["river_classes"] = ["其他"]
    rs = rules_from_dict(raw)
    row = check_proposal(Proposal(sq(-500, -4000, 500, -3000), "Z1", chemical=True), world, rs).rule("river_1km")
    assert row.details["nearest_river"]["name"] == "小河" and row.value == pytest.approx(500, abs=0.5)
    next(r for r in raw["rules"] if r["id"] == "river_1km")["river_classes"] = ["湖泊"]
    row = check_proposal(Proposal(sq(0, 0, 100, 100), "Z1"), world, rules_from_dict(raw)).rule("river_1km")
    assert row.status == "not_applicable" and "river_class" in row.message_en


def test_other_parks_fail_own_parks_fine(world, rules):
    r = run(world, rules, sq(5500, -500, 6500, 500))  # half on Z2's park
    row = r.rule("other_parks")
    assert row.status == "fail" and row.value == pytest.approx(500_000, rel=REL)
    assert row.details["hits"][0]["id"] == "Z2-P1" and "Z2" in row.message_zh
    assert r.overlaps["other_parks"] == pytest.approx(500_000, rel=REL)
    # The same square for Z2 itself overlaps its own park: fine, and it is not new area.
    own = run(world, rules, sq(5500, -500, 6500, 500), zone="Z2")
    assert own.rule("other_parks").status == "pass"
    assert own.overlaps["own_parks"] == pytest.approx(500_000, rel=REL)
    assert own.new_area_m2 == pytest.approx(500_000, rel=REL)


def test_in_sichuan(world, rules):
    assert run(world, rules, sq(0, 0, 1000, 1000)).rule("in_sichuan").status == "pass"
    r = run(world, rules, sq(49500, 0, 50500, 1000))
    row = r.rule("in_sichuan")
    assert row.status == "fail" and row.value == pytest.approx(500_000, rel=REL)
    assert geodesic_area_m2(r.geometries["outside_province"]) == pytest.approx(500_000, rel=REL)
    assert run(world, rules, sq(48500, 0, 50000, 1000)).rule("in_sichuan").value == 0  # on the border


@pytest.mark.parametrize("gap, status", [(0, "pass"), (499, "pass"), (501, "warn"), (3000, "warn")])
def test_contiguity_distance(world, rules, gap, status):
    row = run(world, rules, sq(gap, -500, gap + 1000, 500)).rule("contiguity")
    assert row.status == status
    assert row.value == pytest.approx(gap, abs=0.5)
    assert row.details["nearest_park"]["id"] == "Z1-P1"
    if gap == 0:
        assert row.details["touching"]


def test_contiguity_multipart_new_park_and_chains(world, rules):
    touching = box(0, -500, 1000, 500)
    separate = run(world, rules, gk(MultiPolygon([touching, box(3000, -500, 3500, 500)]))).rule("contiguity")
    assert separate.status == "warn" and separate.details["separate_parts"] == 1 and separate.details["parts"] == 2
    assert "另一个园" in separate.message_zh and separate.value == 0
    chained = run(world, rules, gk(MultiPolygon([touching, box(1300, -500, 1800, 500)]))).rule("contiguity")
    assert chained.status == "pass" and chained.details["separate_parts"] == 0


def test_adjust_balance_and_contiguity_after_removal(world, rules):
    removed = sq(-1000, -500, -500, 500)  # west half of Z1's park, 0.5 km²
    ok = run(world, rules, sq(0, -500, 400, 500), type="adjust", removed=removed)
    row = ok.rule("adjust_balance")
    assert row.status == "pass" and row.value == pytest.approx(-100_000, rel=0.02)
    assert row.details["removed_m2"] == pytest.approx(500_000, rel=REL)
    more = run(world, rules, sq(0, -500, 600, 500), type="adjust", removed=removed).rule("adjust_balance")
    assert more.status == "warn" and more.value == pytest.approx(100_000, rel=0.02)
    none = run(world, rules, sq(0, -500, 400, 500), type="adjust").rule("adjust_balance")
    assert none.status == "warn" and not none.details["removed_given"] and "removed" in none.message_en
    # Removed land outside the zone's parks does not count.
    half_out = run(world, rules, sq(0, -500, 400, 500), type="adjust", removed=sq(-500, -500, 500, 500))
    assert half_out.rule("adjust_balance").details["removed_outside_parks_m2"] == pytest.approx(500_000, rel=REL)
    # Contiguity is measured to what is left of the parks.
    east_gone = run(world, rules, sq(0, -500, 400, 500), type="adjust", removed=sq(-600, -500, 0, 500))
    assert east_gone.rule("contiguity").value == pytest.approx(600, abs=0.5)
    assert east_gone.rule("contiguity").status == "warn"
    assert "removed" in east_gone.geometries
    assert run(world, rules, sq(0, -500, 400, 500)).rule("adjust_balance").status == "not_applicable"


# --------------------------------------------------------------------------
# Economic rules
# --------------------------------------------------------------------------
GOOD = sq(8000, 7000, 8500, 8000)  # touches Z4's park, clear of every control line


def test_land_dev_rate(world, rules):
    assert run(world, rules, GOOD, zone="Z4").rule("land_dev_rate").status == "pass"      # 0.90
    z3 = run(world, rules, GOOD, zone="Z3").rule("land_dev_rate")                         # 0.85 = threshold
    assert z3.status == "pass" and z3.value == 0.85 and z3.threshold == 0.85
    z1 = run(world, rules, GOOD, zone="Z1").rule("land_dev_rate")                         # 0.80
    assert z1.status == "warn" and z1.value_source == "illustrative"
    assert z1.threshold_source == "configurable default — not in sources"
    assert "可配置" in z1.message_zh


def test_revenue_and_tax_against_class_average(world, rules):
    # The default is the seed's 全省平均水平 (compare_within: all); within the class is a configurable option.
    raw = rules.to_dict()
    for r in raw["rules"]:
        if r["id"] in ("revenue_per_mu", "tax_per_mu"):
            r["compare_within"] = "zone_class"
    by_class = rules_from_dict(raw)
    for rid in ("revenue_per_mu", "tax_per_mu"):
        z4 = run(world, by_class, GOOD, zone="Z4").rule(rid)
        assert z4.status == "pass" and z4.threshold == pytest.approx(200 if rid == "revenue_per_mu" else 20)
        assert z4.details["n_zones"] == 3 and z4.details["zone_class"] == "经开区"
        assert run(world, by_class, GOOD, zone="Z3").rule(rid).status == "warn"   # equal is not above
        assert run(world, by_class, GOOD, zone="Z1").rule(rid).status == "warn"
    assert run(world, by_class, GOOD, zone="Z4").rule("revenue_per_mu").value_source == "derived"
    assert rules["revenue_per_mu"].params["compare_within"] == "all"
    row = check_proposal(Proposal(GOOD, "Z4"), world, rules).rule("revenue_per_mu")
    assert row.threshold == pytest.approx((100 + 500 + 200 + 300) / 4) and row.status == "pass"  # 300 > 275
    assert row.details["compare_within"] == "all" and row.details["n_zones"] == 4
    row = check_proposal(Proposal(GOOD, "Z3"), world, rules).rule("revenue_per_mu")
    assert row.status == "warn"  # 200 < 275


@pytest.mark.parametrize("rank, n, status", [(1, 3, "pass"), (2, 3, "pass"), (3, 3, "fail"), (1, 1, "pass"),
                                              (2, 2, "pass"), (6, 9, "pass"), (7, 9, "fail"), (59, 88, "pass"),
                                              (60, 88, "fail"), (88, 88, "fail")])
def test_bottom_third_borderlines(rank, n, status, rules):
    ind = INDICATORS.copy()
    ind.loc[ind.zone_id == "Z4", ["rank_in_class", "n_in_class"]] = [rank, n]
    parks = gpd.GeoDataFrame({"park_id": ["Z4-P1"], "zone_id": ["Z4"]}, geometry=[sq(*PARK_BOXES["Z4-P1"][1])], crs=4490)
    index = ControlIndex.from_frames(zones=ZONES, indicators=ind, parks=parks)
    row = check_proposal(Proposal(GOOD, "Z4"), index, rules).rule("bottom_third")
    assert row.status == status
    k = n // 3
    assert row.value == pytest.approx(rank / n, abs=1e-4) and row.threshold == pytest.approx((n - k) / n, abs=1e-4)
    assert row.details["bottom_count"] == k


def test_top10_is_information_only(world, rules):
    z4 = run(world, rules, GOOD, zone="Z4")
    row = z4.rule("top10_priority")
    assert row.status == "info" and row.details["met"] and row.value == 3
    assert z4.verdict == "pass"
    z3 = run(world, rules, GOOD, zone="Z3").rule("top10_priority")
    assert z3.status == "info" and not z3.details["met"]


def test_applicability_by_type_and_level(world, rules):
    adj = run(world, rules, GOOD, zone="Z4", type="adjust", removed=sq(7000, 7000, 7600, 8000))
    for rid in ("land_dev_rate", "revenue_per_mu", "tax_per_mu"):
        row = adj.rule(rid)
        assert row.status == "not_applicable" and "扩区" in row.message_zh and "expansion" in row.message_en
    assert adj.rule("bottom_third").status == "pass" and adj.rule("adjust_balance").status == "pass"
    national = run(world, rules, sq(6000, -500, 6500, 500), zone="Z2")
    for rid in ("land_dev_rate", "revenue_per_mu", "tax_per_mu"):
        row = national.rule(rid)
        assert row.status == "not_applicable" and "省级" in row.message_zh and "provincial" in row.message_en
    assert national.rule("bottom_third").status == "pass"


def test_missing_indicators_need_attention(world, rules):
    r = run(world, rules, sq(-8000, 8000, -7000, 8500), zone="Z5")
    assert r.rule("land_dev_rate").status == "warn" and r.rule("land_dev_rate").value is None
    assert r.rule("land_dev_rate").value_source == "missing"
    assert r.rule("bottom_third").status == "warn"
    assert r.rule("top10_priority").status == "info"


def test_disabled_rule_is_listed_as_not_applicable(world, rules):
    raw = rules.to_dict()
    next(r for r in raw["rules"] if r["id"] == "eco_redline")["enabled"] = False
    row = check_proposal(Proposal(sq(20500, 0, 21500, 1000), "Z1"), world, rules_from_dict(raw)).rule("eco_redline")
    assert row.status == "not_applicable" and "enabled: false" in row.message_en


# --------------------------------------------------------------------------
# Verdict, result document, overrides
# --------------------------------------------------------------------------
def test_verdicts(world, rules):
    good = run(world, rules, GOOD, zone="Z4")
    assert good.verdict == "pass" and good.verdict_zh == "符合"
    assert all(r.status in ("pass", "info", "not_applicable") for r in good.rules)
    attention = run(world, rules, GOOD, zone="Z3")  # revenue/tax equal the average → warn
    assert attention.verdict == "attention" and attention.verdict_zh == "需关注"
    bad = run(world, rules, sq(20500, 0, 21500, 1000), zone="Z4")
    assert bad.verdict == "fail" and bad.verdict_zh == "不符合"


def test_verdict_of():
    from geo.check import RuleResult

    def rr(s):
        return RuleResult(id="x", kind="spatial", severity="fail", status=s, value=None, threshold=None, unit="",
                          citation="", message_zh="", message_en="")

    assert verdict_of([rr("pass"), rr("info"), rr("not_applicable")]) == "pass"
    assert verdict_of([rr("pass"), rr("warn")]) == "attention"
    assert verdict_of([rr("warn"), rr("fail")]) == "fail"


def test_result_document_is_stable_json(world, rules):
    r = run(world, rules, sq(20500, 0, 21500, 1000), name="东扩一期")
    d = r.to_dict()
    text = json.dumps(d, ensure_ascii=False, allow_nan=False)
    assert d["schema"] == CHECK_SCHEMA == "parkmap.check/1"
    assert d["name"] == "东扩一期" and d["zone"]["zone_id"] == "Z1" and d["zone"]["catalogue_code"] == "S999001"
    assert [x["id"] for x in d["rules"]] == list(RULE_IDS)
    for x in d["rules"]:
        for k in ("id", "name_zh", "name_en", "status", "value", "threshold", "unit", "citation", "citation_ref",
                  "message_zh", "message_en",
                  "value_source", "threshold_source", "severity", "original_status", "override_reason", "overridden_at"):
            assert k in x
    assert set(d["overlaps"]) >= {"eco_redline", "farmland", "urban_boundary", "other_parks", "province"}
    assert d["area_m2"] == pytest.approx(1_000_000, rel=REL) and d["area_mu"] == pytest.approx(1500, rel=REL)
    assert d["rules_hash"] == rules.hash and set(d["layers"]) >= {"eco_redline", "farmland", "rivers"}
    assert all(len(v["hash"]) == 64 for v in d["layers"].values())
    assert "checked_at" in d and "checked_at" not in r.to_dict(include_timestamp=False)
    g = r.to_dict(include_geometries=True)
    assert g["geometry"]["type"] == "Polygon" and "eco_redline" in g["geometries"]
    # Round trip.
    back = type(r).from_dict(json.loads(json.dumps(g)))
    assert back.verdict == r.verdict and back.rule("eco_redline").value == r.rule("eco_redline").value
    assert geodesic_area_m2(back.geometries["eco_redline"]) == pytest.approx(500_000, rel=REL)
    assert text == json.dumps(r.to_dict(), ensure_ascii=False, allow_nan=False)
    frame = r.overlap_frame()
    assert frame.crs.to_epsg() == 4490 and "eco_redline" in set(frame["layer"])


def test_override_keeps_the_original(world, rules):
    r = run(world, rules, sq(20500, 0, 21500, 1000), zone="Z4")
    assert r.verdict == "fail"
    o = apply_override(r, "eco_redline", "pass", "  红线已依法调整（川府函〔2024〕1号） ")
    row = o.rule("eco_redline")
    assert row.status == "pass" and row.original_status == "fail"
    assert row.override_reason == "红线已依法调整（川府函〔2024〕1号）" and row.overridden_at
    assert row.value == r.rule("eco_redline").value  # measured value unchanged
    assert o.verdict == "fail" and o.original_verdict == "fail"  # urban_boundary still fails
    o = apply_override(o, "urban_boundary", "pass", "城镇开发边界已修编")
    assert o.verdict == "attention" and o.original_verdict == "fail"  # contiguity warns
    assert r.rule("eco_redline").status == "fail" and r.verdict == "fail"  # input untouched
    o2 = apply_override(o, "eco_redline", "warn", "复核")
    assert o2.rule("eco_redline").original_status == "fail" and o2.original_verdict == "fail"
    good = run(world, rules, GOOD, zone="Z4")
    worse = apply_override(good, "contiguity", "fail", "规划不同意")
    assert good.verdict == "pass" and worse.verdict == "fail" and worse.original_verdict == "pass"
    assert "eco_redline" in o.geometries
    for bad in ("", "   ", None):
        with pytest.raises(ParkmapError, match="reason"):
            apply_override(r, "eco_redline", "pass", bad)
    with pytest.raises(ParkmapError):
        apply_override(r, "no_such_rule", "pass", "x")
    with pytest.raises(ParkmapError):
        apply_override(r, "eco_redline", "approved", "x")


# --------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------
def test_bad_inputs(world, rules):
    with pytest.raises(ParkmapError) as exc:
        run(world, rules, sq(0, 0, 10, 10), zone="NOPE")
    assert exc.value.code == "unknown-zone"
    assert run(world, rules, sq(0, 0, 10, 10), zone="s999001").zone["zone_id"] == "Z1"  # catalogue code, any case
    with pytest.raises(ParkmapError, match="expand"):
        run(world, rules, sq(0, 0, 10, 10), type="merge")
    with pytest.raises(ParkmapError, match="not a polygon"):
        run(world, rules, line((0, 0), (10, 10)))
    with pytest.raises(ParkmapError, match="empty"):
        run(world, rules, shapely.Polygon())
    with pytest.raises(ParkmapError, match="lon/lat"):
        run(world, rules, box(OX, OY, OX + 100, OY + 100))  # GK metres passed as lon/lat
    with pytest.raises(ParkmapError):
        check_proposal(Proposal(sq(0, 0, 10, 10), "Z1"), world, rules, only=["nonsense"])


def test_invalid_geometry_is_refused_unless_repair_is_asked(world, rules):
    # Issue 9: a bow-tie used to be repaired silently to half its area; now it is an error naming the
    # crossing, and repair=True repairs it and records the area before and after.
    bow = gb.gk_to_lonlat(shapely.affinity.translate(shapely.Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000)]), OX, OY))
    assert not bow.is_valid
    with pytest.raises(ParkmapError) as exc:
        prepare_proposal_geometry(bow)
    assert exc.value.code == "invalid-geometry" and "--repair" in exc.value.hint and "相交" in exc.value.zh
    with pytest.raises(ParkmapError, match="crosses itself"):
        run(world, rules, bow)
    repairs: list = []
    geom, _ = prepare_proposal_geometry(bow, repair=True, repairs=repairs)
    assert geom.is_valid and len(repairs) == 1
    r = run(world, rules, bow, repair=True)
    assert r.area_m2 == pytest.approx(500_000, rel=REL)
    assert r.repair["area_after_m2"] == pytest.approx(500_000, rel=REL)
    assert r.repair["area_before_m2"] == pytest.approx(0.0, abs=10.0)  # the two lobes cancel
    assert r.to_dict()["repair"] == r.repair and any("修复前面积" in w for w in r.warnings)


def test_geojson_and_wkt_inputs(world, rules):
    g = sq(1000, -1000, 2000, 0)
    a = run(world, rules, shapely.geometry.mapping(g))
    b = run(world, rules, g.wkt)
    assert a.area_m2 == pytest.approx(b.area_m2, rel=1e-9) == pytest.approx(1_000_000, rel=REL)


def test_only_selected_rules(world, rules):
    r = check_proposal(Proposal(sq(2500, 2000, 3500, 3000), "Z1"), world, rules, only=["farmland"])
    assert [x.id for x in r.rules] == ["farmland"] and r.verdict == "fail"


def test_missing_layers_are_not_applicable(rules):
    index = ControlIndex.from_frames(zones=ZONES, indicators=INDICATORS)
    r = check_proposal(Proposal(sq(0, 0, 1000, 1000), "Z4"), index, rules)
    for rid in ("eco_redline", "farmland", "urban_boundary", "river_1km", "other_parks", "in_sichuan", "contiguity"):
        assert r.rule(rid).status == "not_applicable" and "not loaded" in r.rule(rid).message_en


def test_index_is_reused_without_rebuilding(world, rules):
    tree = world.layers["farmland"].tree
    for _ in range(3):
        run(world, rules, sq(2500, 2000, 3500, 3000))
    assert world.layers["farmland"].tree is tree
    assert np.all(shapely.is_valid(world.layers["eco_redline"].tiles))
