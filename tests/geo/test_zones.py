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
