"""The expansion-check flow in the app with AppTest: upload, check, override, save, reopen (issue #4)."""

from __future__ import annotations


import geopandas as gpd

from geo.area import buffer_m
from geo.dataset import load_layer
from geo.io.jzd_txt import format_jzd_text
from geo.workspace import Workspace

ZONE = "S517077"  # 射洪经开区




def _proposal_txt(meters: float) -> bytes:
    """A 界址点 TXT (GBK) of the zone's park grown by ``meters``: an expansion around the park."""
    park = load_layer("parks").query("zone_id == @ZONE").geometry.iloc[0]
    ring = buffer_m(park, meters).difference(park)
    gdf = gpd.GeoDataFrame({"地块名称": ["射洪扩区"]}, geometry=[ring], crs="EPSG:4490")
    return format_jzd_text(gdf).encode("gbk")


def _rule_rows(app) -> dict[str, dict]:
    """Rule rows by rule id (the table shows Chinese names; the id comes from the check result)."""
    table = next(df.value for df in app.dataframe if "规则" in df.value.columns and "状态" in df.value.columns)
    result = app.session_state["wf"].result
    names = {(r.name_zh or r.id): r.id for r in result.rules}
    return {names[r["规则"]]: r for r in table.to_dict("records")}


def _upload(app, name, data, mime="text/plain"):
    app.file_uploader(key=f"upload{app.session_state['upload_epoch']}").set_value((name, data, mime)).run()
    return app


def test_upload_check_override_save_reopen(at, tmp_path):
    _upload(at, "shehong.txt", _proposal_txt(400))
    assert not at.exception, at.exception
    assert any("EPSG" in c.value and "4523" in c.value for c in at.caption)  # the file was read and its CRS reported
    at.selectbox(key="check_zone").set_value(ZONE).run()
    at.button(key="run_check").click().run()
    assert not at.exception, at.exception
    verdict = [m.value for m in at.markdown if m.value.startswith("结论：")]
    assert verdict and "pm-badge" in verdict[0], verdict  # a coloured text badge, no emoji
    rows = _rule_rows(at)
    for rid in ("eco_redline", "farmland", "urban_boundary", "river_1km", "other_parks", "in_sichuan", "contiguity",
                "land_dev_rate", "revenue_per_mu", "tax_per_mu", "bottom_third", "top10_priority"):
        assert rid in rows, rid
        assert rows[rid]["出处"], rid  # every row cites its source
    # the expansion ring touches the park: 集中连片 passes with distance 0
    assert rows["contiguity"]["测量值"] == "0 米"

    # save: one proposal and one check record in the workspace
    at.button(key="save_check").click().run()
    assert any("已保存" in s.value for s in at.success)
    ws = Workspace(tmp_path / "home")
    saved = ws.list_proposals()
    assert len(saved) == 1 and saved["zone_id"].iloc[0] == ZONE
    pid = int(saved["id"].iloc[0])

    # exports of what is on screen: the map page (static renderer), the report, the data
    at.selectbox(key="exp_renderer").set_value("static").run()
    at.button(key="make_png").click().run()
    png, fname, _ = at.session_state["export_png"]
    assert fname.startswith("射洪经开区_射洪扩区_") and fname.endswith(".png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image
    import io
    assert Image.open(io.BytesIO(png)).size == (1754, 1240)  # A4 landscape at 150 dpi
    at.button(key="make_report").click().run()
    assert not at.exception, at.exception
    assert at.session_state["export_report"][0][:5] == b"%PDF-"
    at.selectbox(key="exp_fmt").set_value("geojson").run()
    at.button(key="make_data_geojson").click().run()
    import json
    doc = json.loads(at.session_state["export_data_geojson"][0])
    assert doc["features"] and any(f["properties"].get("part") for f in doc["features"])

    # override a rule with a reason: a new audit record, the original kept
    target = next(rid for rid, r in rows.items() if "不适用" not in r["状态"])
    at.selectbox(key="ovr_rule").set_value(target).run()
    at.selectbox(key="ovr_status").set_value("fail").run()
    at.text_area(key="ovr_reason").input("现场核实：示例改判理由").run()
    at.button(key="ovr_apply").click().run()
    assert not at.exception, at.exception
    rows2 = _rule_rows(at)
    assert "已改判" in rows2[target]["状态"] and "原结果" in rows2[target]["状态"] and "现场核实" in rows2[target]["状态"]
    checks = ws.checks_for(pid)
    assert [c.kind for c in checks] == ["check", "override"]
    assert checks[1].parent_check_id == checks[0].id
    assert checks[0].result["rules"] != checks[1].result["rules"]  # the original stays as it was

    # reopen from the saved list: the latest (overridden) check comes back
    at.button(key="clear_proposal").click().run()
    at.multiselect(key="saved_multi").set_value([pid]).run()
    at.button(key="saved_reopen").click().run()
    assert not at.exception, at.exception
    rows3 = _rule_rows(at)
    assert "现场核实" in rows3[target]["状态"]

    # soft delete hides it from the list, restore brings it back
    at.multiselect(key="saved_multi").set_value([pid]).run()
    at.button(key="saved_delete").click().run()
    assert ws.list_proposals().empty and len(ws.list_proposals(include_deleted=True)) == 1
    at.checkbox(key="show_deleted").check().run()
    at.multiselect(key="saved_multi").set_value([pid]).run()
    at.button(key="saved_restore").click().run()
    assert len(ws.list_proposals()) == 1


def test_bad_upload_shows_bilingual_error(at):
    _upload(at, "bad.geojson", b'{"type":"LineString","coordinates":[[104,30],[104.1,30.1]]}', "application/geo+json")
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors and " / " in errors[0] and "LineString" in errors[0]


def test_official_layer_import_replaces_illustrative(at):
    """An uploaded official 生态保护红线 file replaces the illustrative layer for the check."""
    park = load_layer("parks").query("zone_id == @ZONE").geometry.iloc[0]
    red = gpd.GeoDataFrame({"名称": ["官方红线（测试）"]}, geometry=[buffer_m(park, 2000)], crs="EPSG:4490")
    _upload(at, "shehong.txt", _proposal_txt(400))
    at.file_uploader(key="official_upload0").set_value(
        ("生态保护红线.geojson", red.to_json().encode("utf-8"), "application/geo+json")).run()
    assert not at.exception, at.exception
    assert any("eco_redline" in c.value for c in at.caption)
    at.selectbox(key="check_zone").set_value(ZONE).run()
    at.button(key="run_check").click().run()
    assert not at.exception, at.exception
    row = _rule_rows(at)["eco_redline"]
    assert "不符合" in row["状态"]
    assert "生态保护红线.geojson" in row["数值来源"] or "官方" in row["数值来源"]
