"""The 可扩区用地 tab in AppTest: find candidates → compare → 用作方案 → the check tab has it → check."""

from __future__ import annotations


ZONE = "S517077"  # 射洪经开区 (遂宁)


def test_find_compare_use_and_check(at):
    at.selectbox(key="sites_zone").set_value(ZONE)
    at.number_input(key="sites_area").set_value(40.0)
    at.checkbox(key="sites_chemical").set_value(True)
    at.button(key="sites_find").click().run()
    search = at.session_state["sites_search"]
    assert search.zone["zone_id"] == ZONE and search.candidates
    assert at.session_state["selected_zone"] == ZONE  # the map zooms to the zone
    shapes = at.session_state["site_shapes"]
    assert [r for r, _ in shapes] == [c.rank for c in search.candidates]  # what the map draws, with the rank
    compare = next(df.value for df in at.dataframe if "候选 1" in df.value.columns)
    assert list(compare.index[:2]) == ["面积（公顷）", "面积（亩）"] and "评分" in compare.index
    assert compare.loc["结论", "候选 1"] in ("符合", "不符合", "需关注")
    for c in search.candidates:  # every candidate passes the hard rules (the chemical river band too)
        hard = c.hard_rules(True)
        assert hard and all(s == "pass" for s in hard.values()), hard
    first = search.candidates[0]
    at.button(key="sites_use_1").click().run()
    wf = at.session_state["wf"]
    assert wf.geometry.equals(first.proposal) and wf.zone_id == ZONE and wf.chemical and wf.type == "expand"
    assert wf.source == f"sites:{ZONE}#1" and "可扩区候选1" in wf.display_name({ZONE: "射洪经开区"})
    assert at.session_state["panel_tab"] == "扩区核查"  # the check tab is open
    assert any(f"可扩区用地候选 {ZONE}\\#1" in m.value for m in at.markdown)  # where it came from (# escaped)
    at.button(key="run_check").click().run()
    result = at.session_state["wf"].result
    assert result is not None and result.zone["zone_id"] == ZONE
    assert result.rule("eco_redline").status == "pass" and result.rule("river_1km").status == "pass"
    assert result.verdict == first.verdict
    assert abs(result.area_m2 - first.proposal_m2) < 1.0


def test_bad_input_is_one_bilingual_message(at):
    at.selectbox(key="sites_zone").set_value(ZONE)
    at.number_input(key="sites_area").set_value(9000.0)
    at.button(key="sites_find").click().run()
    msgs = [e.value for e in at.error]
    assert any("仅找到" in m and "only" in m for m in msgs), msgs
    assert "sites_search" not in at.session_state


def test_the_tab_follows_the_current_zone(at):
    at.selectbox(key="zone_pick").set_value("G512045").run()  # 成都高新区, picked in the sidebar
    assert at.selectbox(key="sites_zone").value == "G512045"
    at.selectbox(key="sites_zone").set_value(ZONE).run()  # the planner's own pick stays
    at.run()
    assert at.selectbox(key="sites_zone").value == ZONE
