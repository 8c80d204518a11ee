"""The Streamlit page, driven as a user would with AppTest (issue #3)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")




def _texts(app) -> str:
    parts = [e.value for e in app.markdown] + [e.value for e in app.caption] + [e.value for e in app.subheader]
    parts += [str(e.value) for e in app.metric] + [m.label for m in app.metric]
    return "\n".join(map(str, parts))


def test_sidebar_widgets_and_defaults(at):
    assert at.title[0].value == "四川开发区规划地图"
    keys = {w.key for w in at.sidebar.selectbox}
    assert {"basemap", "view", "industry", "zone_pick"} <= keys
    assert at.selectbox(key="basemap").options == ["无底图（离线）", "OpenStreetMap", "天地图 矢量", "天地图 影像", "高德（GCJ-02）"]
    # layer toggles exist for every spec, defaults as declared
    assert at.checkbox(key="layer_zones").value is True
    assert at.checkbox(key="layer_farmland").value is False
    # the illustrative notice is on screen (parks and rivers are illustrative and on by default)
    assert any("示意数据" in w.value for w in at.warning)
    # prefecture list in the view picker is sorted by pinyin: 阿坝 (a) first, 自贡/资阳 (z) last
    opts = at.selectbox(key="view").options
    assert opts[0] == "全省" and opts[1] == "阿坝藏族羌族自治州"
    assert opts[-1] in {"自贡市", "资阳市"}


def test_language_toggle(at):
    at.radio(key="lang").set_value("en").run()
    assert at.title[0].value == "Sichuan development zones planning map"
    assert at.selectbox(key="basemap").label == "Basemap"
    assert at.selectbox(key="basemap").options[0] == "None (offline)"
    assert any("Illustrative data" in w.value for w in at.warning)
    at.radio(key="lang").set_value("zh").run()
    assert at.title[0].value == "四川开发区规划地图"


def test_zone_search_pinyin_and_chinese(at):
    at.text_input(key="zone_q").input("cdgx").run()
    opts = at.selectbox(key="zone_pick").options
    assert any("成都高新区（成都）" == o for o in opts)
    at.text_input(key="zone_q").input("射洪").run()
    assert "射洪经开区（遂宁）" in at.selectbox(key="zone_pick").options
    at.text_input(key="zone_q").input("shehong").run()
    assert "射洪经开区（遂宁）" in at.selectbox(key="zone_pick").options


def test_zone_panel_multi_park_zone(at):
    at.selectbox(key="zone_pick").set_value("S518109").run()  # 广安高新区 + 高滩园区
    text = _texts(at)
    assert "广安高新区" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["园区数"] == "2"
    parks_table = [df for df in (e.value for e in at.dataframe) if "名称" in df.columns]
    assert any("广安川渝合作高滩园区" in set(df["名称"]) for df in parks_table)
    # attributes carry sources
    attrs = at.dataframe[0].value
    assert {"字段", "值", "来源"} <= set(attrs.columns)
    sources = " ".join(attrs["来源"].astype(str))
    assert "《中国开发区审核公告目录》（2018年版）" in sources  # named by title, not by a data key
    assert "catalogue_2018" not in sources and ".txt" not in sources


def test_zone_panel_industries_and_indicators(at):
    at.selectbox(key="zone_pick").set_value("G512144").run()  # 乐山高新区
    frames = [e.value for e in at.dataframe]
    ind = next(df for df in frames if "角色" in df.columns)
    assert {"智能终端", "晶硅光伏材料"} <= set(ind["产业"])
    assert ind["出处"].str.contains("《四川省开发区发展规划（2023—2027年）》第四章").all()
    assert not ind["出处"].str.contains(".txt", regex=False).any()
    assert set(ind["角色"]) <= {"重点依托", "发展方向"}
    indic = next(df for df in frames if "数据来源标记" in df.columns)
    assert set(indic["数据来源标记"]) <= {"示意", "推算"}
    # seed 000 gives 乐山高新区 2019 营业收入, so revenue per mu is derived, not illustrative
    assert "推算" in set(indic["数据来源标记"])


def test_industry_filter(at):
    at.selectbox(key="industry").set_value("adv-electronic-info").run()
    md = " ".join(e.value for e in at.markdown)
    assert "电子信息产业" in md and "重点依托" in md
    chains = at.selectbox(key="chain").options
    assert len(chains) > 2
    n_all = int(md.split("高亮开发区: ")[1].split("（")[0])
    at.selectbox(key="chain").set_value(at.selectbox(key="chain").options[1]).run()
    md2 = " ".join(e.value for e in at.markdown)
    n_chain = int(md2.split("高亮开发区: ")[1].split("（")[0])
    assert 0 < n_chain <= n_all
    # strategic emerging clusters and the 5+1 view are selectable too
    at.radio(key="industry_mode").set_value("cluster").run()
    assert len(at.selectbox(key="industry").options) == 1 + 3 + 16
    at.radio(key="industry_mode").set_value("fp1").run()
    assert len(at.selectbox(key="industry").options) == 1 + 6


def test_hostile_names_are_text(monkeypatch, hostile_data_dir):
    from tests.conftest import HOSTILE

    monkeypatch.setenv("PARKMAP_DATA", str(hostile_data_dir))
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.selectbox(key="zone_pick").set_value("S517077").run()
    assert not app.exception
    # the name is shown as text: every Markdown/HTML character escaped, so it renders verbatim
    heads = [s.value for s in app.subheader]
    assert any(h.replace("\\", "") == "射洪" + HOSTILE and "\\<img" in h for h in heads), heads
    st.cache_data.clear()
    st.cache_resource.clear()
