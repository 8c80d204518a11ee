"""A planner's day in AppTest: regression tests for the workflow bugs of issue #8 (items 1–8).

Each test drives the real app.py as a planner would (widgets, buttons) and
checks what the planner then sees and what is saved.
"""

from __future__ import annotations


import geopandas as gpd
import pytest
from shapely.geometry import box

from geo.area import buffer_m
from geo.dataset import load_layer
from geo.io.jzd_txt import format_jzd_text
from geo.workspace import Workspace

ZONE = "S517077"  # 射洪经开区 (遂宁)
OTHER = "G512045"  # 成都高新区




def _park(zone: str = ZONE):
    return load_layer("parks").query("zone_id == @zone").geometry.iloc[0]


def _txt(geoms: list, names: list[str]) -> bytes:
    gdf = gpd.GeoDataFrame({"地块名称": names}, geometry=geoms, crs="EPSG:4490")
    return format_jzd_text(gdf).encode("gbk")


def _geojson(geoms: list) -> bytes:
    """A GeoJSON with no name attributes (the proposal name then defaults from the zone)."""
    return gpd.GeoDataFrame({"n": list(range(len(geoms)))}, geometry=geoms, crs="EPSG:4490").to_json(drop_id=True).encode()


def _ring(meters: float, zone: str = ZONE):
    park = _park(zone)
    return buffer_m(park, meters).difference(park)


def _upload(app, name: str, data: bytes, mime: str = "text/plain"):
    epoch = app.session_state["upload_epoch"]
    app.file_uploader(key=f"upload{epoch}").set_value((name, data, mime)).run()
    assert not app.exception, app.exception
    return app


def _wf(app):
    return app.session_state["wf"]


def _rule_table(app):
    return next(df.value for df in app.dataframe if "规则" in df.value.columns and "状态" in df.value.columns)


def _texts(app) -> str:
    parts = [e.value for e in app.markdown] + [e.value for e in app.caption] + [e.value for e in app.success]
    parts += [e.value for e in app.info] + [e.value for e in app.warning] + [e.value for e in app.error]
    return "\n".join(map(str, parts))


# ------------------------------------------------------------------ 1. reopen restores the whole proposal


def test_reopen_restores_zone_type_flags_name_and_switches_to_check(at, tmp_path):
    _upload(at, "shehong.txt", _txt([_ring(400)], ["射洪扩区"]))
    at.selectbox(key="check_zone").set_value(ZONE).run()
    at.radio(key="check_type").set_value("adjust").run()
    at.checkbox(key="check_chemical").check().run()
    at.checkbox(key="check_major").check().run()
    at.text_input(key="check_name").input("射洪东片调区").run()
    at.button(key="run_check").click().run()
    at.button(key="save_check").click().run()
    assert not at.exception, at.exception
    ws = Workspace(tmp_path / "home")
    pid = int(ws.list_proposals()["id"].iloc[0])

    # the planner moves on: another zone, other options, another name, another tab
    at.selectbox(key="check_zone").set_value(OTHER).run()
    at.radio(key="check_type").set_value("expand").run()
    at.checkbox(key="check_chemical").uncheck().run()
    at.checkbox(key="check_major").uncheck().run()
    at.text_input(key="check_name").input("别的方案").run()
    assert _wf(at).result is None  # inputs changed: the old verdict is gone, not shown as current

    at.multiselect(key="saved_multi").set_value([pid]).run()
    at.button(key="saved_reopen").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="check_zone").value == ZONE
    assert at.radio(key="check_type").value == "adjust"
    assert at.checkbox(key="check_chemical").value is True and at.checkbox(key="check_major").value is True
    assert at.text_input(key="check_name").value == "射洪东片调区"
    assert at.session_state["panel_tab"] == "扩区核查"  # switched to the check tab
    # re-check: against the same zone, with the same options
    at.button(key="run_check").click().run()
    res = _wf(at).result
    assert res.zone["zone_id"] == ZONE and res.type == "adjust" and res.chemical and res.major_project
    assert res.name == "射洪东片调区"


# ------------------------------------------------------------------ 2. the name belongs to the planner


def test_name_follows_zone_then_stays_and_reaches_record_report_and_gpkg(at, tmp_path):
    _upload(at, "p.geojson", _geojson([_ring(300)]), "application/geo+json")
    at.selectbox(key="check_zone").set_value(OTHER).run()
    assert at.text_input(key="check_name").value == "成都高新区扩区方案"
    at.selectbox(key="check_zone").set_value(ZONE).run()
    assert at.text_input(key="check_name").value == "射洪经开区扩区方案"  # not stale
    at.button(key="run_check").click().run()
    at.text_input(key="check_name").input("射洪北片扩区").run()  # rename after the check
    at.button(key="save_check").click().run()
    assert not at.exception, at.exception
    ws = Workspace(tmp_path / "home")
    assert list(ws.list_proposals()["name"]) == ["射洪北片扩区"]
    at.button(key="make_report").click().run()
    pdf, fname, _ = at.session_state["export_report"]
    assert pdf[:5] == b"%PDF-" and "射洪北片扩区" in fname and fname.startswith("射洪经开区_")
    at.selectbox(key="exp_fmt").set_value("gpkg").run()
    at.button(key="make_data_gpkg").click().run()
    data, fname, _ = at.session_state["export_data_gpkg"]
    path = tmp_path / "out.gpkg"
    path.write_bytes(data)
    import pyogrio

    names = set()
    for layer, _ in pyogrio.list_layers(path):
        frame = pyogrio.read_dataframe(path, layer=layer)
        for col in frame.columns:
            if frame[col].dtype == object or str(frame[col].dtype).startswith("str"):
                names |= set(frame[col].astype(str))
    assert "射洪北片扩区" in names and not any("扩区方案" in n for n in names)
    assert fname.endswith(".gpkg") and "射洪北片扩区" in fname


# ------------------------------------------------------------------ 3. English keeps every selection, no crash


def test_english_keeps_selections_and_search_works(at):
    at.selectbox(key="view").set_value("510100").run()
    at.multiselect(key="regions_pick").set_value(["chengdu_plain_economic_region"]).run()
    at.selectbox(key="industry").set_value("adv-electronic-info").run()
    at.selectbox(key="zone_pick").set_value(OTHER).run()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Sichuan development zones planning map"
    assert at.selectbox(key="view").value == "510100"
    assert at.selectbox(key="view").format_func("") == "Whole province"
    assert at.multiselect(key="regions_pick").value == ["chengdu_plain_economic_region"]
    assert at.selectbox(key="industry").value == "adv-electronic-info"
    assert at.selectbox(key="zone_pick").value == OTHER
    at.text_input(key="zone_q").input("shehong").run()
    assert not at.exception, at.exception
    assert ZONE in at.selectbox(key="zone_pick").options or any("射洪" in o for o in at.selectbox(key="zone_pick").options)
    at.radio(key="lang").set_value("zh").run()
    assert at.selectbox(key="industry").value == "adv-electronic-info" and at.selectbox(key="view").value == "510100"


# ------------------------------------------------------------------ 4. drawn on Gaode = same CGCS2000 geometry and verdict


def test_drawing_on_gaode_is_shifted_back_before_the_check():
    from geo.check import Proposal, check_proposal, default_index
    from geo.crs import transform_geometry_gcj02
    from layers.live import drawn_geometry
    from shapely.geometry import mapping

    true = _ring(500)
    on_gaode = transform_geometry_gcj02(true, to_gcj=True)  # what the planner traces over GCJ-02 tiles
    assert true.centroid.distance(on_gaode.centroid) > 0.002  # a real 300–600 m offset
    g_plain, _ = drawn_geometry([{"geometry": mapping(true)}], gcj02=False)
    g_gaode, _ = drawn_geometry([{"geometry": mapping(on_gaode)}], gcj02=True)
    assert g_plain.centroid.distance(g_gaode.centroid) < 1e-7  # ~1 cm
    idx = default_index()
    a = check_proposal(Proposal(geometry=g_plain, zone_id=ZONE), idx)
    b = check_proposal(Proposal(geometry=g_gaode, zone_id=ZONE), idx)
    assert a.verdict == b.verdict
    assert [r.status for r in a.rules] == [r.status for r in b.rules]
    assert abs(a.area_m2 - b.area_m2) < 1.0


# ------------------------------------------------------------------ 5. several parcels are one proposal


def test_multi_parcel_upload_is_one_proposal_with_breakdown(at):
    a, b = _ring(300), box(*_park().buffer(0.03).bounds).difference(_park().buffer(0.025))
    _upload(at, "two.txt", _txt([a, b], ["北地块", "南地块"]))
    assert at.selectbox(key="parcel0").value == "all"
    assert "全部 2 个地块" in at.selectbox(key="parcel0").format_func("all")
    wf = _wf(at)
    assert wf.geometry.geom_type == "MultiPolygon" and len(wf.parcels) == 2
    at.selectbox(key="check_zone").set_value(ZONE).run()
    at.button(key="run_check").click().run()
    assert not at.exception, at.exception
    res = wf.result
    assert res.verdict in ("pass", "fail", "attention") and len(res.parcels) == 2
    table = _rule_table(at)
    assert "分地块" in table.columns
    assert table["分地块"].str.contains("北地块").any() and table["分地块"].str.contains("南地块").any()
    # picking one parcel checks just that one
    at.selectbox(key="parcel0").set_value(1).run()
    assert _wf(at).geometry.geom_type == "Polygon"


# ------------------------------------------------------------------ 6. the map keeps the planner's view; 清除方案


def test_view_kept_across_reruns_and_clear_proposal(at):
    at.session_state["mapview"]["center"] = [29.5, 104.1]
    at.session_state["mapview"]["zoom"] = 9.0
    at.checkbox(key="layer_counties").uncheck().run()  # a rerun of the whole page
    assert at.session_state["mapview"]["center"] == [29.5, 104.1] and at.session_state["mapview"]["zoom"] == 9.0
    _upload(at, "p.txt", _txt([_ring(300)], ["p"]))  # a new proposal: the map zooms to it once
    mv = at.session_state["mapview"]
    zoomed = (list(mv["center"]), mv["zoom"])
    assert zoomed[1] > 9.0
    at.checkbox(key="layer_counties").check().run()
    assert (list(at.session_state["mapview"]["center"]), at.session_state["mapview"]["zoom"]) == zoomed
    at.button(key="clear_proposal").click().run()
    assert not at.exception, at.exception
    assert _wf(at).geometry is None and _wf(at).result is None
    assert any("尚无方案" in i.value for i in at.info)


# ------------------------------------------------------------------ 7. TXT export zone follows the proposal


def test_txt_export_zone_follows_longitude(at):
    # 成都高新区 lies near 104.04°E: 3° zone 35, not a fixed 34
    ring = _ring(300, OTHER)
    _upload(at, "cd.txt", _txt([ring], ["成都"]))
    at.button(key="run_check").click().run()
    at.selectbox(key="exp_fmt").set_value("txt").run()
    assert at.selectbox(key="exp_zone").value == 35 == round(ring.centroid.x / 3)
    at.button(key="make_data_txt").click().run()
    text, fname, _ = at.session_state["export_data_txt"]
    assert b"35" in text[:400] or "35".encode("gbk") in text and fname.endswith(".txt")


# ------------------------------------------------------------------ 8. an upload's zone is the nearest one, with the distance


def test_upload_default_zone_is_nearest_with_distance(at):
    _upload(at, "shehong.txt", _txt([_ring(700)], ["x"]))
    assert at.selectbox(key="check_zone").value == ZONE
    assert any("最近园区" in c.value and ("米" in c.value or "公里" in c.value) for c in at.caption)
    # an explicit choice wins over the suggestion, and stays
    at.selectbox(key="check_zone").set_value(OTHER).run()
    _upload(at, "shehong2.txt", _txt([_ring(800)], ["y"]))
    assert at.selectbox(key="check_zone").value == OTHER


# ------------------------------------------------------------------ Chinese output


def test_rule_table_reads_in_chinese_with_units_and_document_titles(at):
    _upload(at, "p.txt", _txt([_ring(400)], ["p"]))
    at.button(key="run_check").click().run()
    table = _rule_table(at)
    names = set(table["规则"])
    assert {"生态保护红线", "永久基本农田", "城镇开发边界"} <= names
    assert not any(n.isascii() for n in names)  # no eco_redline-style ids
    text = " ".join(table.astype(str).values.ravel())
    assert "《四川省开发区发展规划（2023—2027年）》" in text and ".txt" not in text
    assert "e+" not in text and "平方米" in text
    assert not any(ch in text for ch in "✅❌⚠ℹ")
    ub = table[table["规则"] == "城镇开发边界"].iloc[0]
    res = _wf(at).result
    outside = res.area_m2 - res.overlaps["urban_boundary"]  # overlaps holds the area inside
    assert res.rule("urban_boundary").value == pytest.approx(outside, abs=1.0)
    from geo.units import fmt_value

    assert ub["测量值"] == fmt_value(res.rule("urban_boundary").value, "m2", "zh")  # the violation is what is shown


def test_hostile_file_name_is_text(at):
    _upload(at, "[x](http://evil) <img src=x onerror=alert(1)>.txt", _txt([_ring(300)], ["p"]))
    caps = [c.value for c in at.caption if "EPSG" in c.value]
    assert caps and "\\[x\\]\\(http" in caps[0] and "\\<img" in caps[0]


def test_zone_list_table_filters_and_downloads(at):
    at.selectbox(key="list_level").set_value("国家级").run()
    tables = [df.value for df in at.dataframe if "开发区" in df.value.columns and "市（州）" in df.value.columns]
    assert tables and set(tables[0]["级别"]) == {"国家级"}
    at.multiselect(key="list_compare").set_value(list(tables and [OTHER, "G511040"])).run()
    cmp = next(df.value for df in at.dataframe if "亩均营业收入（万元/亩）" in list(df.value.index))
    assert cmp.shape[1] == 2 and cmp.astype(str).apply(lambda c: c.str.contains("示意")).any().any()


def test_many_parcels_pick_by_number(at):
    from shapely.geometry import box as _box

    x0, y0 = _park().centroid.x, _park().centroid.y
    cells = [_box(x0 + i * 0.002, y0, x0 + i * 0.002 + 0.001, y0 + 0.001) for i in range(250)]
    _upload(at, "many.geojson", _geojson(cells), "application/geo+json")
    assert not [s for s in at.selectbox if str(s.key).startswith("parcel")]  # no 250-entry list
    wf = _wf(at)
    assert len(wf.parcels) == 250 and wf.geometry.geom_type == "MultiPolygon"
    at.number_input(key="parcel_no0").set_value(3).run()
    assert _wf(at).geometry.equals(cells[2])


def test_stale_exports_are_not_offered(at):
    _upload(at, "p.geojson", _geojson([_ring(300)]), "application/geo+json")
    at.selectbox(key="check_zone").set_value(ZONE).run()
    at.button(key="run_check").click().run()
    at.button(key="make_report").click().run()
    assert any(b.key == "dl_report" for b in at.get("download_button"))
    at.checkbox(key="check_chemical").check().run()  # the inputs change: the old report must go
    assert not any(b.key == "dl_report" for b in at.get("download_button"))
    at.button(key="run_check").click().run()
    assert not any(b.key == "dl_report" for b in at.get("download_button"))  # until made again
    at.text_input(key="check_name").input("改名后").run()
    at.button(key="make_report").click().run()
    labels = [b.proto.label for b in at.get("download_button") if b.key == "dl_report"]
    assert labels and "改名后" in labels[0]
