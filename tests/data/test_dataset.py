"""Invariants of the embedded dataset ``data/sichuan.gpkg`` (issue #2, §3–4)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.area import geodesic_area_m2
from geo.dataset import DATA_DIR, ILLUSTRATIVE_LAYERS, gpkg_path, list_layers, load_layer

SEED_CITATION = re.compile(r"seeds/00[0-4]_[0-9a-f]{16}\.txt\s+\S+")


@pytest.fixture(scope="module")
def counties():
    return load_layer("counties")


@pytest.fixture(scope="module")
def zones():
    return load_layer("zones")


@pytest.fixture(scope="module")
def parks():
    return load_layer("parks")


def test_all_layers_present():
    names = set(list_layers())
    for layer in ("province", "prefectures", "counties", "regions", "zones", "parks", "industries",
                  "zone_industries", "indicators", "eco_redline", "farmland", "urban_boundary", "rivers"):
        assert layer in names


def test_admin_counts_and_keys(counties):
    prefs = load_layer("prefectures")
    assert len(prefs) == 21 and prefs["adcode"].is_unique
    assert len(counties) == 183 and counties["adcode"].is_unique
    # two counties share the name 市中区: they must stay distinct by adcode
    shizhong = counties.loc[counties["name"] == "市中区", "adcode"].tolist()
    assert sorted(shizhong) == ["511002", "511102"]
    assert set(counties["prefecture_adcode"]) == set(prefs["adcode"])
    assert str(counties.crs.to_epsg()) == "4490"


def test_counties_tile_the_province(counties):
    province = load_layer("province")
    prov_area = geodesic_area_m2(province.geometry.iloc[0])
    county_sum = sum(geodesic_area_m2(g) for g in counties.geometry)
    assert abs(county_sum - prov_area) / prov_area < 1e-4
    # and the simplified province keeps the unsimplified cnmaps area
    raw = province["raw_area_km2"].iloc[0] * 1e6
    assert abs(prov_area - raw) / raw < 1e-4
    # no overlaps between counties
    assert shapely.coverage_is_valid(counties.geometry.values)


def test_all_catalogue_codes_present(zones):
    cat = pd.read_csv(DATA_DIR / "catalogue_2018_sichuan.csv", dtype=str)
    assert len(cat) == 134
    codes = set(zones["catalogue_code"].replace("", np.nan).dropna())
    assert set(cat["code"]) <= codes
    assert zones["zone_id"].is_unique and zones["short_name"].is_unique


#: SHA-256 of ``data/catalogue_2018_sichuan.csv`` as copied unchanged from ``shared/data/`` (data/SOURCES.md).
CATALOGUE_SHA256 = "3be0db0ec417fa8cad85310d269be343135ebcf28812c2dd75d679e17c9ff940"
SHARED_CATALOGUE = Path(__file__).resolve().parents[3] / "shared" / "data" / "catalogue_2018_sichuan.csv"


def test_catalogue_copy_is_the_file_received():
    """The repository's copy is byte-for-byte the catalogue received (runs on every checkout)."""
    data = (DATA_DIR / "catalogue_2018_sichuan.csv").read_bytes()
    assert hashlib.sha256(data).hexdigest() == CATALOGUE_SHA256
    cat = pd.read_csv(DATA_DIR / "catalogue_2018_sichuan.csv", dtype=str, keep_default_na=False)
    assert list(cat.columns) == ["catalogue_seq", "code", "name", "approval_level", "zone_type",
                                 "approved_date", "approved_area_ha", "main_industries"]
    assert cat["code"].is_unique and cat["code"].str.fullmatch(r"[GS]51\d{4}").all()
    assert (cat["name"] != "").all() and cat["approved_area_ha"].astype(float).gt(0).all()


@pytest.mark.skipif(not SHARED_CATALOGUE.exists(), reason=f"needs ../shared/data/catalogue_2018_sichuan.csv (the project's shared catalogue, "
                    f"absent in this checkout: {SHARED_CATALOGUE}); the embedded copy is checked by the other tests here")
def test_catalogue_copy_matches_shared_when_shared_is_beside_the_checkout():
    assert SHARED_CATALOGUE.read_bytes() == (DATA_DIR / "catalogue_2018_sichuan.csv").read_bytes()


def test_zone_attributes(zones, counties):
    cty = counties.set_index("adcode")
    assert set(zones["zone_class"]) <= {"经开区", "高新区", "综保区", "其他产业园区"}
    assert set(zones["level"]) <= {"国家级", "省级"}
    assert set(zones["location_confidence"]) <= {"county", "prefecture"}
    for z in zones.itertuples():
        assert z.host_county_adcode in cty.index, z.zone_id
        assert cty.loc[z.host_county_adcode, "prefecture_adcode"] == z.host_prefecture_adcode, z.zone_id
        assert z.sources, z.zone_id
        if z.location_confidence == "prefecture":
            assert z.location_note, z.zone_id
    enclaves = zones[zones["is_enclave"].astype(int) == 1]
    assert (enclaves["host_prefecture_adcode"] != enclaves["owner_prefecture_adcode"]).all()
    assert {"成都—阿坝工业园区", "甘孜—眉山工业园区"} <= set(enclaves["name"])
    # zones the catalogue lacks are added with a seed citation
    added = zones[zones["catalogue_code"] == ""]
    assert len(added) >= 5
    assert all(SEED_CITATION.search(s) for s in added["sources"])
    assert len(zones) >= 140


def test_parks_constraints(zones, parks, counties):
    cty = counties.set_index("adcode")
    area = zones.set_index("zone_id")["approved_area_ha"].astype(float) * 1e4
    sums = parks.groupby("zone_id").geometry.apply(lambda s: sum(geodesic_area_m2(g) for g in s))
    assert set(sums.index) == set(area.index)
    rel = (sums / area.loc[sums.index] - 1).abs()
    assert rel.max() < 0.01
    for p in parks.itertuples():
        assert cty.loc[p.host_county_adcode, "geometry"].contains(p.geometry), p.park_id
    tree = shapely.STRtree(parks.geometry.values)
    a, b = tree.query(parks.geometry.values, predicate="intersects")
    assert not np.any(a != b), "parks overlap"
    assert (parks["geometry_source"] == "illustrative").all()


def test_multi_park_zones(parks):
    counts = parks.groupby("zone_id").size()
    assert (counts > 1).sum() >= 3
    names = set(parks["name"])
    assert "广安川渝合作高滩园区" in names


def test_parks_respect_control_lines(parks):
    p = shapely.union_all(parks.geometry.values)
    for layer in ("eco_redline", "farmland"):
        g = load_layer(layer)
        tree = shapely.STRtree(g.geometry.values)
        hits = tree.query(p, predicate="intersects")
        overlap = sum(shapely.intersection(g.geometry.values[i], p).area for i in hits)
        assert overlap < 1e-9, layer
    urban = shapely.union_all(load_layer("urban_boundary").geometry.values)
    outside = shapely.difference(p, urban)
    assert outside.area < 1e-9


def test_control_line_plausibility():
    province = load_layer("province")
    prov_area = geodesic_area_m2(province.geometry.iloc[0])
    eco = load_layer("eco_redline")
    share = eco["area_m2"].sum() / prov_area
    assert 0.25 < share < 0.35
    # mostly the western plateau: the area-weighted mean longitude lies west of the basin
    cx = np.average(shapely.get_x(shapely.centroid(eco.geometry.values)), weights=eco["area_m2"])
    assert cx < 103.0
    farm = load_layer("farmland")
    assert len(farm) >= 1000
    # farmland sits in the basin (east of the Longmen Shan)
    assert np.median(shapely.get_x(shapely.centroid(farm.geometry.values))) > 103.5
    rivers = load_layer("rivers")
    assert {"长江", "岷江", "嘉陵江", "沱江", "金沙江"} <= set(rivers["name_zh"])


def test_illustrative_layers_flagged():
    for layer in ILLUSTRATIVE_LAYERS:
        frame = load_layer(layer)
        assert "illustrative" in frame.columns, layer
        assert (frame["illustrative"].astype(int) == 1).all(), layer
    sources = load_layer("layer_sources").set_index("layer")
    for layer in ILLUSTRATIVE_LAYERS:
        assert int(sources.loc[layer, "illustrative"]) == 1
    text = (DATA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for layer in ILLUSTRATIVE_LAYERS:
        assert f"`{layer}`" in text, layer


def test_industry_links_cite_seeds(zones):
    links = load_layer("zone_industries")
    industries = load_layer("industries")
    assert len(links) > 50
    assert set(links["industry_id"]) <= set(industries["id"])
    assert set(links["zone_id"]) <= set(zones["zone_id"])
    assert set(links["role"]) <= {"重点依托", "发展方向"}
    bad = [c for c in links["citation"] if not SEED_CITATION.search(c)]
    assert not bad
    kinds = industries["kind"].value_counts()
    assert kinds["advantage_industry"] == 6
    assert kinds["emerging_cluster_national"] == 3
    # 专栏8's 备注 says 23 provincial clusters but the text lists 16; we carry what is listed
    assert kinds["emerging_cluster_provincial"] == 16
    assert kinds["five_plus_one"] == 7  # the system + its 5+1 members
    assert all(SEED_CITATION.search(c) for c in industries["citation"])


def test_regions():
    regions = load_layer("regions").set_index("region_id")
    kinds = regions["kind"].value_counts()
    assert kinds["economic_region"] == 5
    assert kinds["economic_belt"] == 3
    assert kinds["metropolitan_area"] == 1
    assert kinds["twin_city_circle"] == 1
    assert kinds["cooperation_platform"] >= 4
    belts = regions[regions["kind"] == "economic_belt"]
    assert all(len(c.split(",")) >= 4 for c in belts["corridor_cities"])
    assert all(regions["citation"].str.len() > 0)


def test_indicators(zones):
    ind = load_layer("indicators")
    assert set(ind["zone_id"]) == set(zones["zone_id"])
    assert set(ind["land_dev_rate_source"]) <= {"illustrative"}
    assert set(ind["revenue_per_mu_source"]) <= {"illustrative", "derived"}
    assert (ind["revenue_per_mu_source"] == "derived").sum() >= 5
    assert ind["rank_in_class"].astype(int).min() == 1


def test_data_folder_size():
    total = sum(p.stat().st_size for p in DATA_DIR.rglob("*") if p.is_file())
    assert total < 30e6
    assert gpkg_path().stat().st_size < 25e6
