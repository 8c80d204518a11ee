"""geo.check.measure and geo.check.indicators: the numbers a rule judges, measured apart from the verdict.

Each measurement is checked against figures known by construction (GK squares
of known size around Chengdu), with no threshold or status involved.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.area import geodesic_area_m2
from geo.check import ControlIndex, Proposal
from geo.check import indicators, measure
from geo.check.context import CheckContext
from geo.rules import load_rules
from tests.geo.check.test_engine import INDICATORS, ZONES, gk, line, sq


@pytest.fixture(scope="module")
def index():
    eco = gpd.GeoDataFrame({"eco_id": ["E1"]}, geometry=[sq(0, 0, 1000, 1000)], crs=4490)
    ub = gpd.GeoDataFrame({"ub_id": ["UB1"]}, geometry=[sq(-5000, -5000, 500, 5000)], crs=4490)
    rivers = gpd.GeoDataFrame({"river_id": ["cj"], "name_zh": ["长江"], "river_class": ["长江干流"]},
                              geometry=[line((-60000, -3000), (60000, -3000))], crs=4490)
    parks = gpd.GeoDataFrame({"park_id": ["Z1-P1", "Z2-P1"], "zone_id": ["Z1", "Z2"], "name": ["甲园", "乙园"]},
                             geometry=[sq(-2000, 0, -1000, 1000), sq(1000, 0, 2000, 1000)], crs=4490)
    return ControlIndex.from_frames(zones=ZONES, indicators=INDICATORS, eco_redline=eco, urban_boundary=ub,
                                    rivers=rivers, parks=parks)


def _ctx(index, geom, zone="Z1", removed=None):
    rules = load_rules()
    return CheckContext(index, rules, Proposal(geometry=geom, zone_id=zone), geom, removed, index.resolve_zone(zone))


def test_overlap_measures_area_share_and_hits(index):
    geom = sq(500, 0, 1500, 1000)  # half on E1 (500 × 1000 m), half on Z2's park
    ctx = _ctx(index, geom)
    m = measure.overlap(ctx, "eco_redline")
    assert m.m2 == pytest.approx(500_000, rel=2e-3)
    assert m.share == pytest.approx(0.5, rel=2e-3)
    assert m.hits_total == 1 and m.hits[0]["overlap_m2"] == pytest.approx(m.m2, rel=1e-6)
    assert ctx.overlaps["eco_redline"] == pytest.approx(m.m2)  # recorded for the report
    assert "eco_redline" in ctx.geoms
    far = measure.overlap(_ctx(index, sq(20000, 20000, 21000, 21000)), "eco_redline")
    assert (far.m2, far.share, far.hits_total, far.hits) == (0.0, 0.0, 0, [])


def test_outside_measures_the_part_beyond_the_boundary(index):
    geom = sq(0, 0, 1000, 1000)  # the boundary ends at x = 500
    ctx = _ctx(index, geom)
    m = measure.outside(ctx, "urban_boundary", "urban_boundary_outside", with_hits=True)
    assert m.m2 == pytest.approx(500_000, rel=2e-3)
    assert m.inside_m2 == pytest.approx(geodesic_area_m2(geom) - m.m2)
    assert m.hits_total == 1
    assert "urban_boundary_outside" in ctx.geoms
    inside = measure.outside(_ctx(index, sq(-1000, 0, 0, 1000)), "urban_boundary", "x")
    assert inside.m2 == 0.0 and inside.hits is None


def test_river_distance_in_metres(index):
    m = measure.river_distance(_ctx(index, sq(-100, -2000, 100, -1000)), ("长江干流",))
    assert m is not None and m.distance_m == pytest.approx(1000, abs=5)
    assert m.river_name == "长江"
    assert measure.river_distance(_ctx(index, sq(-100, -2000, 100, -1000)), ("no such class",)) is None


def test_other_parks_counts_only_other_zones(index):
    geom = sq(-1500, 0, 1500, 1000)  # 500 m into Z1's own park, 500 m into Z2's
    m = measure.other_parks(_ctx(index, geom, "Z1"))
    assert m.m2 == pytest.approx(500_000, rel=2e-3)
    assert [h["attributes"]["zone_id"] for h in m.hits] == ["Z2"]
    m2 = measure.other_parks(_ctx(index, geom, "Z2"))  # seen from Z2, Z1's park is the other one
    assert [h["attributes"]["zone_id"] for h in m2.hits] == ["Z1"]


def test_contiguity_chains_parts_within_the_gap(index):
    # Z1's park is x ∈ [-2000, -1000]; parts at 300 m, then 300 m beyond that one, then 2 km away.
    parts = [sq(-700, 0, -500, 200), sq(-200, 0, 0, 200), sq(2000, 5000, 2200, 5200)]
    from shapely.geometry import MultiPolygon
    m = measure.contiguity(_ctx(index, MultiPolygon(parts)), 500.0)
    assert m is not None
    assert m.distance_m == pytest.approx(300, abs=2)
    assert list(m.connected) == [True, True, False]  # the second part connects through the first
    assert m.separate_parts == 1 and m.nearest_separate_m > 2000
    assert measure.contiguity(_ctx(index, MultiPolygon(parts)), 100.0).separate_parts == 3
    assert measure.contiguity(_ctx(index, sq(0, 0, 10, 10), "Z3"), 500.0) is None  # Z3 has no park here


def test_balance_of_an_adjustment(index):
    park = sq(-2000, 0, -1000, 1000)
    removed = sq(-2000, 0, -1500, 1000).union(sq(-3000, 0, -2500, 1000))  # half inside the park, half outside
    ctx = _ctx(index, sq(-500, 0, 0, 1000), removed=removed)
    ctx.overlaps["own_parks"] = 0.0
    m = measure.balance(ctx)
    assert m.removed_m2 == pytest.approx(geodesic_area_m2(park) / 2, rel=2e-3)
    assert m.removed_outside_m2 == pytest.approx(m.removed_m2, rel=5e-3)
    assert m.net_m2 == pytest.approx(m.added_m2 - m.removed_m2)
    assert m.details()["removed_given"] is True


def test_indicators_measure_values_ranks_and_averages(index):
    rec = indicators.record(_ctx(index, sq(0, 0, 10, 10), "Z1"))
    assert indicators.value(rec, "land_dev_rate") == 0.80
    assert indicators.rank(rec) == (3, 3)
    pm = indicators.per_mu(_ctx(index, sq(0, 0, 10, 10), "Z1"), "revenue_per_mu", "average", "zone_class")
    assert (pm.value, pm.reference, pm.details["n_zones"]) == (100.0, 200.0, 3)  # 经开区: 100/200/300
    fixed = indicators.per_mu(_ctx(index, sq(0, 0, 10, 10), "Z1"), "revenue_per_mu", 150, "zone_class")
    assert fixed.reference == 150.0 and fixed.details["compare_within"] == "fixed"
    assert indicators.record(_ctx(index, sq(0, 0, 10, 10), "Z5")) is None  # no indicator row
    bad = pd.Series({"land_dev_rate": "n/a", "x": np.inf, "rank_in_class": 4, "n_in_class": 3})
    assert indicators.value(bad, "land_dev_rate") is None and indicators.value(bad, "x") is None
    assert indicators.rank(bad) is None  # rank outside 1…n


def test_measurements_do_not_depend_on_the_threshold(index):
    """Same proposal, rules with different thresholds: the measured numbers are identical."""
    geom = gk(Point(500, 500).buffer(300))
    a = measure.overlap(_ctx(index, geom), "eco_redline")
    b = measure.overlap(_ctx(index, geom), "eco_redline")
    assert a == b and a.m2 > 0
