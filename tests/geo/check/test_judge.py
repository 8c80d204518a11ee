"""The judges of geo.check.spatial and geo.check.economic: verdict and wording from a measurement.

No geometry here: each judge gets a hand-made measurement, so the threshold
logic (boundaries included) is tested on its own.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from geo.check import measure
from geo.check.economic import judge_bottom_third, judge_land_dev_rate, judge_top10
from geo.check.indicators import PerMu
from geo.check.economic import judge_per_mu
from geo.check.spatial import (
    judge_balance,
    judge_contiguity,
    judge_other_parks,
    judge_outside,
    judge_overlap,
    judge_river,
)
from geo.errors import ParkmapError
from geo.rules import load_rules, rules_from_dict


@pytest.fixture(scope="module")
def rules():
    return load_rules().rules


def _ov(m2, share=0.1, n=1):
    return measure.Overlap(m2=m2, share=share, hits=[], hits_total=n, parcels=[], source="test")


def test_overlap_passes_at_the_threshold_and_fails_above(rules):
    rule = rules["eco_redline"]
    thr = rule.threshold_value
    assert judge_overlap(rule, _ov(thr), ("红线", "red line")).status == "pass"
    above = judge_overlap(rule, _ov(thr + 1.0, 0.25, 3), ("红线", "red line"))
    assert above.status == rule.severity
    assert "占方案面积 25" in above.message_zh and "3 个图斑" in above.message_zh
    assert above.value == thr + 1.0 and above.threshold == thr and above.value_source == "test"


def test_overlap_status_and_note_for_a_major_project(rules):
    rule = rules["farmland"]
    r = judge_overlap(rule, _ov(5000.0), ("永久基本农田", "farmland"), "warn", note=("；注", "; note"),
                      overlap_details={"exempt_major_project": True})
    assert r.status == "warn" and r.message_zh.endswith("；注") and r.details["exempt_major_project"] is True


def test_outside(rules):
    rule = rules["urban_boundary"]
    m = measure.Outside(m2=2000.0, share=0.2, inside_m2=8000.0, parcels=[], source="test")
    r = judge_outside(rule, m, "城镇开发边界", "the boundary")
    assert r.status == rule.severity and r.message_zh.startswith("有 2,000") and "20" in r.message_zh


def test_river_chemical_and_not(rules):
    rule = rules["river_1km"]
    thr = rule.threshold_value
    at = measure.RiverDistance(distance_m=thr, river={"name": "岷江"}, source="test")
    beyond = measure.RiverDistance(distance_m=thr + 1.0, river={"id": "r1"}, source="test")
    assert judge_river(rule, at, True).status == rule.severity  # within includes the threshold
    assert judge_river(rule, at, False).status == "warn"
    r = judge_river(rule, beyond, True)
    assert r.status == "pass" and "r1" in r.message_zh  # named by id when it has no name


def test_other_parks_names_the_zones(rules):
    rule = rules["other_parks"]
    m = measure.Overlap(m2=9000.0, share=0.3, hits=[{"attributes": {"zone_id": "N02"}}, {"attributes": {"zone_id": "N01"}}],
                        hits_total=2, parcels=[], source="test")
    r = judge_other_parks(rule, m)
    assert r.status == rule.severity and "N01、N02" in r.message_zh


def test_contiguity(rules):
    rule = rules["contiguity"]
    ok = measure.Contiguity(0.0, np.array([0.0, 200.0]), np.array([True, True]), {"name": "甲园"})
    assert judge_contiguity(rule, ok).status == "pass" and "相接" in judge_contiguity(rule, ok).message_zh
    sep = measure.Contiguity(0.0, np.array([0.0, 5000.0]), np.array([True, False]), {"name": "甲园"})
    r = judge_contiguity(rule, sep)
    assert r.status == rule.severity and r.message_zh.startswith("1 个地块") and r.details["separate_parts"] == 1


def test_balance(rules):
    rule = rules["adjust_balance"]
    even = measure.Balance(added_m2=1000.0, removed_m2=1000.0, removed_outside_m2=0.0, removed_given=True, source="t")
    assert judge_balance(rule, even).status == "pass"
    grows = measure.Balance(added_m2=1000.0, removed_m2=0.0, removed_outside_m2=0.0, removed_given=False, source="t")
    r = judge_balance(rule, grows)
    assert r.status == rule.severity and "未给出调出范围" in r.message_zh
    assert judge_balance(rule, grows, tol_m2=1000.0).status == "pass"


def test_economic_judges(rules):
    rule = rules["land_dev_rate"]
    thr = rule.threshold_value
    assert judge_land_dev_rate(rule, thr, "t").status == "pass"
    assert judge_land_dev_rate(rule, thr - 0.01, "t").status == rule.severity
    pm = PerMu(value=200.0, reference=200.0, source="t", zone_class="经开区", details={}, group_zh="平均", group_en="average")
    assert judge_per_mu(rules["revenue_per_mu"], pm, "亩均营业收入", "Revenue per mu").status != "pass"  # equal is not above
    pm.value = 200.5
    assert judge_per_mu(rules["revenue_per_mu"], pm, "亩均营业收入", "Revenue per mu").status == "pass"
    bt = rules["bottom_third"]
    assert [judge_bottom_third(bt, r, 10, "经开区", "t").status == "pass" for r in (7, 8)] == [True, False]  # floor(10/3)=3
    top = rules["top10_priority"]
    need = int(top.threshold_value)
    assert judge_top10(top, need, (1, 10), "t").details["met"] is True
    assert judge_top10(top, need - 1, (1, 10), "t").details["met"] is False


def test_the_rules_file_refuses_a_non_numeric_threshold_and_the_judge_would_too(rules):
    doc = {"version": 1, "rules": [r.to_dict() for r in load_rules().rules.values()]}
    for r in doc["rules"]:
        if r["id"] == "eco_redline":
            r["threshold"] = "average"
    with pytest.raises(ParkmapError):
        rules_from_dict(doc)
    # A Rule built around the validation (a programming error) gets the bilingual error, not a TypeError.
    bad = dataclasses.replace(rules["eco_redline"], threshold="average")
    with pytest.raises(ParkmapError) as e:
        judge_overlap(bad, _ov(1.0), ("红线", "red line"))
    assert e.value.code == "rules-threshold" and "eco_redline" in str(e.value)
