"""The zone list against the plan's count, renames kept as one zone, 蒲江's parks, placements, region flags (issue 12)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from geo import catalog
from geo.area import geodesic_area_m2
from geo.dataset import load_layer
from geo.zones import ZoneLookup

DATA = Path(__file__).resolve().parents[2] / "data"
SEED_002 = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "002_b396a41d8a8b528f.txt"

#: 《四川省开发区发展规划（2023—2027年）》第一章第一节: 145 = 10 + 8 + 6 + 121.
PLAN = {("经开区", "国家级"): 10, ("高新区", "国家级"): 8, ("综保区", "国家级"): 6, ("*", "省级"): 121}


@pytest.fixture(scope="module")
def zones() -> pd.DataFrame:
    return pd.DataFrame(load_layer("zones").drop(columns="geometry"))


@pytest.fixture(scope="module")
def diff() -> pd.DataFrame:
    return catalog.count_differences()


def data_counts(zones: pd.DataFrame) -> dict[tuple[str, str], int]:
    """Zones per plan category: national by class, provincial all classes together."""
    out = {}
    for cls, level in PLAN:
        sel = zones["level"] == level
        if cls != "*":
            sel &= zones["zone_class"] == cls
        out[(cls, level)] = int(sel.sum())
    return out


def check_counts(zones: pd.DataFrame, diff: pd.DataFrame) -> list[str]:
    """Every category: data count == plan count + the known difference; "" list when all agree."""
    known = {(r.zone_class, r.level): (int(r.plan_count), int(r.delta)) for r in diff.itertuples()}
    bad = []
    for key, n in data_counts(zones).items():
        plan, delta = known.get(key, (PLAN[key], 0))
        if plan != PLAN[key] or n != plan + delta:
            bad.append(f"{key}: data {n}, plan {PLAN[key]}, known difference {delta}")
    return bad


def test_plan_counts_are_the_plans_sentence():
    assert sum(PLAN.values()) == 145
    if SEED_002.is_file():
        text = "".join(SEED_002.read_text(encoding="utf-8").split())
        for words in ("省级及以上开发区１４５个", "国家级经济技术开发区１０个", "国家高新技术产业开发区８个",
                      "综合保税区６个", "省级开发区１２１个"):
            assert words in text.replace("ꎬ", "，"), words


def test_counts_by_class_and_level_match_the_plan_with_known_differences(zones, diff):
    assert check_counts(zones, diff) == []
    assert len(zones) == 145 + int(diff["delta"].sum())
    # every difference is explained, with sources
    for r in diff[diff["delta"] != 0].itertuples():
        assert r.reason_zh and r.reason_en and r.sources and r.status == "not_identified", r


def test_the_count_check_can_fail(zones, diff):
    dropped = zones[zones["zone_id"] != "G513120"]  # one 综保区 fewer
    assert check_counts(dropped, diff) == ["('综保区', '国家级'): data 5, plan 6, known difference 0"]
    silent = diff.assign(delta=0)  # a difference left out of the table
    assert check_counts(zones, silent)


def test_known_differences_table_is_well_formed():
    with open(DATA / "zone_count_differences.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["zone_class"], r["level"]) for r in rows} == set(PLAN)
    assert all(int(r["plan_count"]) == PLAN[(r["zone_class"], r["level"])] for r in rows)
    assert all("seeds/002_b396a41d8a8b528f.txt 第一章第一节" in r["sources"] for r in rows)


def test_zone_list_page_says_one_zone_not_identified():
    assert catalog.unidentified_note("zh").startswith("1 个未识别")
    assert catalog.unidentified_note("en").startswith("1 zone not identified")
    src = (Path(__file__).resolve().parents[2] / "layers" / "zone_list.py").read_text(encoding="utf-8")
    assert "catalog.unidentified_note(lang)" in src


def _spellings(zones: pd.DataFrame) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for z in zones.itertuples():
        for n in [z.name, z.short_name, *str(z.aliases).split("|")]:
            if str(n).strip():
                out.setdefault(str(n).strip(), set()).add(z.zone_id)
    return out


def test_no_zone_under_two_ids(zones):
    dup = {n: ids for n, ids in _spellings(zones).items() if len(ids) > 1}
    assert not dup
    assert zones["zone_id"].is_unique
    former = {f for v in zones["former_ids"] for f in str(v).split("|") if f}
    assert former == {"N01", "N07", "N08"} and not former & set(zones["zone_id"])


@pytest.mark.parametrize("old,current,zone_id", [
    ("成都青白江经济开发区", "成都国际铁路港经济技术开发区", "S517041"),
    ("成都台商投资工业园区", "温江高新技术产业园区", "S519003"),
    ("四川西昌钒钛产业园区", "凉山高新区", "S519126"),
    ("四川绵阳出口加工区", "绵阳综合保税区", "G513120"),
])
def test_renamed_zone_is_one_row_with_catalogue_code_current_name_and_old_alias(zones, old, current, zone_id):
    z = zones.set_index("zone_id").loc[zone_id]
    assert z["catalogue_code"] == zone_id and z["name"] == current and old in str(z["aliases"]).split("|")
    assert z["rename_source"], zone_id
    assert _spellings(zones)[old] == {zone_id} and _spellings(zones)[current] == {zone_id}
    assert ZoneLookup(zones).resolve(current)["zone_id"] == zone_id


def test_former_ids_still_resolve(zones):
    lookup = ZoneLookup(zones)
    assert lookup.resolve("N01")["zone_id"] == "S517041"
    assert lookup.resolve("n08")["zone_id"] == "S519003"
    assert lookup.resolve("N07")["zone_id"] == "S519126"
    assert zones.set_index("zone_id").loc["S517041", "level"] == "国家级"


def test_railway_port_zones_national_and_provincial(zones):
    z = zones.set_index("zone_id")
    assert z.loc["S517041", "short_name"] == "成都国际铁路港经开区" and z.loc["S517041", "level"] == "国家级"
    prov = zones[zones["name"] == "成都国际铁路港经济开发区"]
    assert len(prov) == 1 and prov["level"].iloc[0] == "省级"
    assert "第三章第三节" in prov["sources"].iloc[0]


def test_bonded_zones_have_real_names(zones):
    bonded = zones[zones["zone_class"] == "综保区"]
    assert not bonded["name"].str.contains("新获批").any()
    assert {"成都国际铁路港综合保税区", "泸州综合保税区", "宜宾综合保税区", "绵阳综合保税区", "成都高新西园综合保税区",
            "成都高新综合保税区及双流园区"} == set(bonded["name"])


def test_pujiang_is_one_zone_three_parks_with_zhongde_the_core_and_largest():
    """003: 以中德（蒲江）产业新城为核心承载地，联动寿安工业园、成佳郊野总部重点片区（田园科创中心）、大塘酒肆“三园”发展 … “一区三园”."""
    parks = load_layer("parks")
    pj = parks[parks["zone_id"] == "S517045"].copy()
    pj["m2"] = [geodesic_area_m2(g) for g in pj.geometry]
    three = {"寿安工业园", "成佳郊野总部重点片区（田园科创中心）", "大塘酒肆"}
    core = "中德（蒲江）产业新城"
    assert set(pj["name"]) == three | {core}  # the 区's core carrier + the three 园
    largest = pj.sort_values("m2").iloc[-1]
    assert largest["name"] == core and largest["m2"] > 1.5 * pj[pj["name"] != core]["m2"].max()
    assert len(pj[pj["name"].isin(three)]) == 3


@pytest.mark.parametrize("zone_id,county", [
    ("S519048", "510303"),  # 自贡航空产业园: 贡井区 (public pages), not 自流井区 nor 沿滩区
    ("S517086", "511303"),  # 南充航空港经开区: 高坪区, where the airport is
    ("S519038", "513221"),  # 阿坝工业园区: 汶川县 (aluminium; 阿坝铝厂)
    ("S517030", "511803"),  # 雅安经开区: 名山区 (its 飞地 park)
])
def test_placements_follow_their_sources(zones, zone_id, county):
    z = zones.set_index("zone_id").loc[zone_id]
    assert z["host_county_adcode"] == county
    assert "http" in z["sources"] or "封面新闻" in z["sources"]
    parks = load_layer("parks")
    assert set(parks.loc[parks["zone_id"] == zone_id, "host_county_adcode"]) == {county}


def test_zone_is_hosted_where_its_parks_are(zones):
    parks = pd.DataFrame(load_layer("parks").drop(columns="geometry"))
    for zid, grp in parks.groupby("zone_id"):
        host = zones.set_index("zone_id").loc[zid, "host_county_adcode"]
        if grp["is_enclave"].astype(int).eq(0).all():
            assert host in set(grp["host_county_adcode"]), zid
    assert zones.set_index("zone_id").loc["G513119", "host_county_adcode"] == "510117"


def test_every_illustrative_region_is_flagged_with_a_note():
    regions = load_layer("regions").set_index("region_id")
    for rid in ("gaozhu", "lu_nei_rong_yong", "wandakai"):
        assert int(regions.loc[rid, "illustrative"]) == 1, rid
        assert regions.loc[rid, "illustrative_note_zh"] and regions.loc[rid, "illustrative_note_en"], rid
    belts = regions[regions["kind"] == "economic_belt"]
    assert (belts["illustrative"].astype(int) == 1).all() and belts["illustrative_note_zh"].astype(bool).all()
    flagged = regions[regions["illustrative"].astype(int) == 1]
    assert flagged["illustrative_note_zh"].astype(bool).all()
    sources = load_layer("layer_sources").set_index("layer")
    assert "partly illustrative" in sources.loc["regions", "method"] and "部分示意" in sources.loc["regions", "title_zh"]
