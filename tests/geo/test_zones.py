"""geo/zones.py on the embedded data: lookup by id / catalogue code / name, pinyin search and sort, nearest zone."""

from __future__ import annotations

import pandas as pd
import pytest
from shapely.affinity import translate
from shapely.geometry import Point

from geo.dataset import load_layer
from geo.errors import ParkmapError
from geo.zones import ZoneLookup, nearest_zone, pinyin_key, resolve_zone, search_zones, sort_by_pinyin


@pytest.fixture(scope="module")
def zones() -> pd.DataFrame:
    return pd.DataFrame(load_layer("zones").drop(columns="geometry"))


@pytest.fixture(scope="module")
def parks():
    return load_layer("parks")


@pytest.mark.parametrize("ref", ["S517077", "s517077", "  S517077 ", "四川射洪经济开发区", "射洪经开区"])
def test_resolve_by_id_name_or_short_name(ref):
    rec = resolve_zone(ref)
    assert rec["zone_id"] == "S517077" and rec["short_name"] == "射洪经开区"


def test_resolve_by_catalogue_code(zones):
    rec = ZoneLookup(zones).resolve("g511040")
    assert rec["zone_id"] == "G511040" and rec["name"] == "成都经济技术开发区"
    # every zone resolves by its own id, and the record is a copy
    lookup = ZoneLookup(zones)
    assert all(lookup.resolve(z)["zone_id"] == z for z in zones["zone_id"])
    lookup.resolve("S517077")["name"] = "x"
    assert lookup.resolve("S517077")["name"] == "四川射洪经济开发区"


def test_unknown_zone_raises_with_close_matches():
    with pytest.raises(ParkmapError) as e:
        resolve_zone("S51707")
    assert e.value.code == "unknown-zone" and "close matches: S517" in str(e.value.hint)  # real ids, as a hint
    with pytest.raises(ParkmapError) as e:
        resolve_zone("  ")
    assert e.value.code == "unknown-zone"


def test_ambiguous_names_do_not_match():
    z = pd.DataFrame({"zone_id": ["A1", "A2"], "catalogue_code": ["", ""], "name": ["同名园区", "同名园区"],
                      "short_name": ["甲", "乙"]})
    lookup = ZoneLookup(z)
    assert lookup.resolve("甲")["zone_id"] == "A1"
    with pytest.raises(ParkmapError):
        lookup.resolve("同名园区")


def test_search_by_pinyin_initials_chinese_and_code(zones):
    full = search_zones(zones, "chengdugaoxin", 5)["zone_id"].tolist()
    assert full[0] == "G512045"
    assert search_zones(zones, "CD GX", 5)["zone_id"].tolist() == full  # initials, spaces and case ignored
    assert search_zones(zones, "射洪")["zone_id"].iloc[0] == "S517077"
    assert search_zones(zones, "s517077")["zone_id"].tolist()[0] == "S517077"  # an exact code ranks first
    assert search_zones(zones, "qqqqqqq").empty


def test_empty_query_lists_every_zone_in_pinyin_order(zones):
    out = search_zones(zones, "")
    assert len(out) == len(zones)
    assert out["short_name"].tolist() == sort_by_pinyin(zones["short_name"])
    assert len(search_zones(zones, "", limit=3)) == 3


def test_sort_by_pinyin_not_code_point():
    assert sort_by_pinyin(["成都", "阿坝", "巴中"]) == ["阿坝", "巴中", "成都"]
    assert sorted(["成都", "阿坝", "巴中"]) != ["阿坝", "巴中", "成都"]  # code-point order differs
    assert pinyin_key("成都")[:2] == ("cheng", "du")


def test_nearest_zone_inside_and_beside_a_park(parks):
    park = parks[parks["zone_id"] == "S517077"].iloc[0].geometry
    assert nearest_zone(parks, park.centroid.buffer(0.001)) == ("S517077", 0.0)
    zone, dist = nearest_zone(parks, translate(park, 0.05, 0))  # ~5 km east: it no longer touches
    assert zone == "S517077" and 0 < dist < 5000
    zone, dist = nearest_zone(parks, park.centroid.__geo_interface__)  # GeoJSON mapping accepted
    assert zone == "S517077" and dist == 0.0


def test_nearest_zone_rejects_empty_inputs(parks):
    with pytest.raises(ParkmapError):
        nearest_zone(parks, Point())
    with pytest.raises(ParkmapError):
        nearest_zone(parks.iloc[0:0], Point(104.06, 30.55))


def test_unknown_zone_error_is_bilingual_and_names_the_reference(zones):
    with pytest.raises(ParkmapError) as e:
        ZoneLookup(zones).resolve("不存在的园区")
    err = e.value
    assert "不存在的园区" in err.zh and "未知" in err.zh  # Chinese first, naming what was asked for
    assert err.en == "Unknown zone id: 不存在的园区"
    assert str(err).startswith(f"{err.zh} / {err.en}")  # one line: 中文 / English [hint]
    assert "S517077" in err.hint and "/" in err.hint  # no close match: the hint shows what an id looks like, in both


def test_search_finds_a_zone_by_its_alias(zones):
    # S519040 龙潭工业集中发展区 was 四川成都成华经济开发区 / 四川成华经济开发区 (aliases, "|"-joined)
    assert search_zones(zones, "成华经济开发区")["zone_id"].tolist() == ["S519040"]
    assert search_zones(zones, "chenghuajingji")["zone_id"].tolist() == ["S519040"]  # the alias's pinyin too
    z = pd.DataFrame({"zone_id": ["A1", "A2"], "catalogue_code": ["", ""], "name": ["甲开发区", "乙开发区"],
                      "short_name": ["甲", "乙"], "aliases": ["旧名一|旧名二", ""]})
    assert search_zones(z, "旧名二")["zone_id"].tolist() == ["A1"]
    assert search_zones(z, "旧名三").empty


def test_pinyin_table_round_trip():
    from geo.zones import pinyin_of, pinyin_table, use_pinyin_table

    table = pinyin_table(["成都", "成都", "", "巴中"])
    assert table.to_dict("records") == [{"name": "巴中", "pinyin": "ba zhong", "initials": "bz"},
                                        {"name": "成都", "pinyin": "cheng du", "initials": "cd"}]
    # a primed table is what pinyin_of answers (the app primes it from the dataset, without importing pypinyin)
    use_pinyin_table(pd.DataFrame({"name": ["测试园区甲乙"], "pinyin": ["ce shi yuan qu jia yi"], "initials": ["csyqjy"]}))
    assert pinyin_of("测试园区甲乙") == (("ce", "shi", "yuan", "qu", "jia", "yi"), "csyqjy")


# --------------------------------------------------------------------------- industries and aggregates (own tables)
def _industries() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["adv-a", "chain-a1", "chain-a2", "fp1-a", "adv-b", "chain-b1", "cluster-x"],
        "name_zh": ["甲产业", "甲链一", "甲链二", "五加一甲", "乙产业", "乙链一", "集群"],
        "kind": ["advantage_industry", "chain", "chain", "five_plus_one", "advantage_industry", "chain",
                 "emerging_cluster_provincial"],
        "parent": ["", "adv-a", "adv-a", "", "", "adv-b", ""],
        "related": ["", "", "", "adv-a", "", "", ""],
    })


def _links() -> pd.DataFrame:
    return pd.DataFrame({
        "zone_id": ["Z1", "Z1", "Z2", "Z2", "Z3", "Z3"],
        "industry_id": ["chain-a1", "chain-a2", "chain-a1", "chain-b1", "cluster-x", "chain-a2"],
        "role": ["发展方向", "重点依托", "发展方向", "重点依托", "重点依托", "发展方向"],
        "citation": ["c2", "c1", "c3", "c4", "c5", "c2"],
    })


def test_industry_members_are_the_selection_its_chains_and_a_5plus1_members_related_industry():
    from geo.zones import industry_members

    ind = _industries()
    assert industry_members(ind, "adv-a") == ["adv-a", "chain-a1", "chain-a2"]
    assert industry_members(ind, "fp1-a") == ["adv-a", "chain-a1", "chain-a2", "fp1-a"]
    assert industry_members(ind, "chain-b1") == ["chain-b1"]
    assert industry_members(ind, "no-such") == ["no-such"]


def test_industry_members_of_the_embedded_table_are_real_ids():
    from geo.zones import industry_members

    ind = load_layer("industries")
    ids = set(ind["id"])
    for industry_id in ("adv-electronic-info", "fp1-electronic-info", "cluster-nat-1"):
        assert set(industry_members(ind, industry_id)) <= ids, industry_id


def test_zones_for_industry_strongest_role_and_all_citations():
    from geo.zones import zones_for_industry

    out = zones_for_industry(_links(), _industries(), "adv-a").set_index("zone_id")
    assert sorted(out.index) == ["Z1", "Z2", "Z3"]  # through either chain
    assert out.loc["Z1", "role"] == "重点依托" and out.loc["Z1", "citations"] == "c1；c2"  # 重点依托 beats 发展方向
    assert out.loc["Z2", "role"] == "发展方向" and out.loc["Z2", "citations"] == "c3"
    assert out.loc["Z3", "role"] == "发展方向"  # its 重点依托 link is to another industry
    via_5plus1 = zones_for_industry(_links(), _industries(), "fp1-a")
    assert sorted(via_5plus1["zone_id"]) == ["Z1", "Z2", "Z3"]
    none = zones_for_industry(_links(), _industries(), "adv-nothing")
    assert none.empty and list(none.columns) == ["zone_id", "role", "citations"]


def test_industry_mix_counts_a_zone_once_per_advantage_industry_by_its_best_role():
    from geo.zones import industry_mix

    mix = industry_mix(_links(), _industries())
    # Z1: 甲 via two chains (best 重点依托), Z2: 甲 (发展方向) and 乙 (重点依托), Z3: 甲 (发展方向); the cluster is no advantage
    assert mix.loc["甲产业"].to_dict() == {"发展方向": 2, "重点依托": 1}
    assert mix.loc["乙产业"].to_dict() == {"发展方向": 0, "重点依托": 1}
    assert sorted(mix.index) == ["乙产业", "甲产业"]
    only_z2 = industry_mix(_links(), _industries(), ["Z2"])
    assert only_z2.loc["甲产业"].sum() == 1 and only_z2.loc["乙产业"].sum() == 1


def test_count_by_prefecture_all_or_some_zones():
    from geo.zones import count_by_prefecture

    z = pd.DataFrame({"zone_id": ["Z1", "Z2", "Z3"], "host_prefecture_adcode": ["510100", "510100", "510700"]})
    assert count_by_prefecture(z).to_dict() == {"510100": 2, "510700": 1}
    assert count_by_prefecture(z, ["Z3", "Z9"]).to_dict() == {"510700": 1}
    assert count_by_prefecture(z, []).empty
