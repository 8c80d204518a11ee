"""开发区一览 (issue #8): filters, pinyin order, provenance flags, CSV/Excel."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from geo import catalog
from geo.dataset import load_layer
from geo.zones import sort_by_pinyin


@pytest.fixture(scope="module")
def layers():
    return load_layer("zones"), load_layer("prefectures"), load_layer("indicators")


def test_filters_and_pinyin_order(layers):
    zones, pref, ind = layers
    full = catalog.zone_table(zones, pref, ind)
    assert len(full) == len(zones)
    assert list(full["short_name"]) == sort_by_pinyin(full["short_name"])
    cd = pref.loc[pref["short_name"] == "成都", "adcode"].iloc[0]
    sub = catalog.zone_table(zones, pref, ind, prefecture=cd, level="国家级", zone_class="高新区")
    expect = zones[(zones["host_prefecture_adcode"] == cd) & (zones["level"] == "国家级") & (zones["zone_class"] == "高新区")]
    assert set(sub.index) == set(expect["zone_id"]) and len(sub) >= 1
    hits = catalog.zone_table(zones, pref, ind, zone_ids=list(zones["zone_id"][:5]))
    assert len(hits) == 5


def test_illustrative_values_are_flagged_in_the_cells(layers):
    zones, pref, ind = layers
    table = catalog.zone_table(zones, pref, ind)
    illus = ind.set_index("zone_id")["revenue_per_mu_source"].str.startswith("illustrative")
    assert (table.loc[illus[illus].index, "indicator_source"] == "示意").all()
    picked = list(table.index[:3])
    cmp = catalog.compare_indicators(table, picked)
    assert cmp.shape[1] == 3
    assert "亩均营业收入（万元/亩）" in cmp.index
    flagged = [z for z in picked if illus.get(z)]
    if flagged:
        col = table.loc[flagged[0], "short_name"]
        assert "（示意）" in cmp.loc["亩均营业收入（万元/亩）", col]


def test_labelled_english_and_downloads(layers):
    zones, pref, ind = layers
    table = catalog.zone_table(zones, pref, ind, lang="en")
    shown = catalog.labelled(table, "en")
    assert list(shown.columns)[:2] == ["Zone", "Prefecture"]
    assert set(table["level"]) <= {"National", "Provincial"}
    csv = catalog.to_csv_bytes(catalog.labelled(catalog.zone_table(zones, pref, ind)))
    assert csv.startswith(b"\xef\xbb\xbf") and "开发区".encode() in csv
    hostile = pd.DataFrame({"名称": ["=HYPERLINK(\"http://x\")", "正常"]})
    data = catalog.to_xlsx_bytes(hostile)
    back = pd.read_excel(io.BytesIO(data))
    assert back["名称"][0].startswith("'=") and back["名称"][1] == "正常"
