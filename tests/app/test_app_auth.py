"""Login, roles and the protected audit in the app (AppTest; issue #9).

The browser test (tests/app/test_app_auth_browser.py) walks the same ground
in a real Chromium; these cover the branches faster.
"""

from __future__ import annotations

import ast
import json
import re
import sqlite3
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from geo import accounts
from geo.auth import Actor
from geo.workspace import Workspace
from tests.app.test_app_check import ZONE, _proposal_txt, _upload

APP = str(Path(__file__).resolve().parents[2] / "app.py")
#: The page's tabs (app.py's TABS): each issue may add one (issue #13 added 可扩区用地 and 存量体检).
N_TABS = len(ast.literal_eval(re.search(r"^TABS = (\(.*?\))$", Path(APP).read_text(), re.M).group(1)))

PASSWORDS = {"admin": "admin-pass-1", "li": "planner-pass-1", "wang": "viewer-pass-1", "zhao": "review-pass-1",
             "chen": "planner-pass-2"}
ROLES = {"admin": "admin", "li": "planner", "wang": "viewer", "zhao": "reviewer", "chen": "planner"}


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A workspace with one account per role, the app pointed at it."""
    h = tmp_path / "home"
    monkeypatch.delenv("PARKMAP_DATA", raising=False)
    monkeypatch.setenv("PARKMAP_HOME", str(h))
    ws = Workspace(h)
    accounts.add_user(ws, "admin", "admin", PASSWORDS["admin"])
    admin = Actor("admin", "admin")
    for name, role in ROLES.items():
        if name != "admin":
            accounts.add_user(ws, name, role, PASSWORDS[name], actor=admin)
    st.cache_data.clear()
    st.cache_resource.clear()
    return h


def _app() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=240)
    app.run()
    return app


def _login(app: AppTest, name: str, password: str | None = None) -> AppTest:
    app.text_input(key="login_name").input(name)
    app.text_input(key="login_password").input(password if password is not None else PASSWORDS[name])
    app.button[0].click().run()  # the form's submit button
    return app


def _checked(app: AppTest) -> AppTest:
    _upload(app, "shehong.txt", _proposal_txt(400))
    app.selectbox(key="check_zone").set_value(ZONE).run()
    app.button(key="run_check").click().run()
    return app


def test_login_form_first_and_nothing_else(home):
    app = _app()
    assert [ti.key for ti in app.text_input] == ["login_name", "login_password"]
    assert len(app.tabs) == 0 and len(app.sidebar.children) == 0  # no map, no panels, no sidebar
    assert not [c for c in app.get("iframe")]  # the map component is not mounted
    assert any("登录" in tl.value for tl in app.title)


def test_wrong_password_is_refused_and_logged_then_locked(home, monkeypatch):
    monkeypatch.setenv("PARKMAP_LOGIN_MAX_FAILURES", "2")
    app = _app()
    _login(app, "li", "wrong-pass-9")
    assert any("账号或密码错误" in e.value for e in app.error)
    _login(app, "nobody", "wrong-pass-9")  # an unknown name gets the same words
    assert any("账号或密码错误" in e.value for e in app.error)
    _login(app, "li", "wrong-pass-9")
    _login(app, "li")  # the right password, but locked now
    assert any("锁定" in e.value for e in app.error), [e.value for e in app.error]
    assert "actor" not in app.session_state
    ev = Workspace(home).events()
    mine = ev[ev["user"] == "li"]
    assert list(mine["action"]) == ["login_failed"] * 3  # two wrong passwords, then the refused (locked) attempt
    assert [json.loads(d)["reason"] for d in mine["detail_json"]] == ["wrong-password", "wrong-password", "locked"]


def test_viewer_sees_the_map_but_cannot_check_or_save(home):
    app = _login(_app(), "wang")
    assert len(app.tabs) == N_TABS
    assert any("查看" in c.value for c in app.sidebar.caption)  # 当前用户：wang（查看）
    _upload(app, "shehong.txt", _proposal_txt(400))
    app.selectbox(key="check_zone").set_value(ZONE).run()
    assert app.button(key="run_check").disabled
    assert sum("只能查看和导出" in i.value for i in app.info) == 2  # the check tab and the 可扩区用地 tab
    assert not [b for b in app.button if b.key == "sites_find"] or app.button(key="sites_find").disabled
    assert not [b for b in app.button if b.key == "save_check"]
    # 存量体检: a scan is recorded like a check, so a viewer gets the notice instead of the button
    from layers.i18n import t

    assert not [b for b in app.button if b.key == "scan_run"]
    assert any(t("scan_needs_planner", "zh") in i.value for i in app.info)


def test_planner_saves_with_their_name_and_cannot_override(home):
    app = _checked(_login(_app(), "li"))
    assert app.session_state["wf"].result is not None
    assert not [e for e in app.expander if "改判" in e.label]
    assert any("审核" in c.value for c in app.caption)  # why there is no override box
    app.button(key="save_check").click().run()
    ws = Workspace(home)
    saved = ws.list_proposals()
    assert list(saved["created_by"]) == ["li"] and list(saved["created_role"]) == ["planner"]
    assert list(saved["last_checked_by"]) == ["li"]
    ev = ws.events()
    saves = ev[ev["action"].isin(["save_proposal", "check"])]
    assert set(saves["user"]) == {"li"} and set(saves["role"]) == {"planner"}
    assert any("li" in s.value for s in app.success)  # 记录人: li（编制）


def test_reviewer_overrides_before_save_recorded_as_event(home):
    app = _checked(_login(_app(), "zhao"))
    result = app.session_state["wf"].result
    rid = next(r.id for r in result.rules if r.status == "fail")
    app.selectbox(key="ovr_rule").set_value(rid).run()
    app.selectbox(key="ovr_status").set_value("pass").run()
    app.text_area(key="ovr_reason").input("红线已按批复调整").run()
    app.button(key="ovr_apply").click().run()
    app.button(key="save_check").click().run()
    ev = Workspace(home).events()
    ov = ev[ev["action"] == "override"]
    assert len(ov) == 1 and ov["user"].iloc[0] == "zhao" and ov["role"].iloc[0] == "reviewer"
    detail = json.loads(ov["detail_json"].iloc[0])
    assert detail["rule"] == rid and detail["status"] == "pass" and detail["before_save"] is True
    assert detail["reason"] == "红线已按批复调整" and detail["original_status"] == "fail"


def test_planner_cannot_delete_someone_elses_proposal(home):
    ws = Workspace(home)
    app = _checked(_login(_app(), "chen"))
    app.button(key="save_check").click().run()
    pid = int(ws.list_proposals()["id"].iloc[0])
    app2 = _login(_app(), "li")
    app2.multiselect(key="saved_multi").set_value([pid]).run()
    app2.button(key="saved_delete").click().run()
    assert any("无权删除他人的方案" in e.value for e in app2.error), [e.value for e in app2.error]
    assert not ws.get_proposal(pid).deleted
    app.multiselect(key="saved_multi").set_value([pid]).run()
    app.button(key="saved_delete").click().run()  # the author may
    assert ws.get_proposal(pid).deleted
    ev = ws.events()
    assert ev[ev["action"] == "delete"]["user"].tolist() == ["chen"]


def test_idle_session_times_out(home, monkeypatch):
    monkeypatch.setenv("PARKMAP_SESSION_IDLE_MINUTES", "1")
    app = _login(_app(), "li")
    assert len(app.tabs) == N_TABS
    app.session_state["last_seen"] = time.time() - 120
    app.run()
    assert "actor" not in app.session_state and len(app.tabs) == 0
    assert any("已自动退出" in i.value for i in app.info)
    ev = Workspace(home).events()
    last = ev[ev["action"] == "logout"].iloc[-1]
    assert last["user"] == "li" and json.loads(last["detail_json"]) == {"reason": "timeout", "via": "account"}


def test_logout_returns_to_the_form_and_forgets_the_work(home):
    app = _checked(_login(_app(), "li"))
    assert app.session_state["wf"].result is not None
    app.sidebar.button(key="logout").click().run()
    assert len(app.tabs) == 0 and [ti.key for ti in app.text_input] == ["login_name", "login_password"]
    _login(app, "zhao")  # the next person at the same browser starts clean
    assert app.session_state["wf"].geometry is None and app.session_state["wf"].result is None
    ev = Workspace(home).events()
    assert ev[ev["action"] == "logout"]["user"].tolist() == ["li"]


def test_tampered_workspace_is_shown_and_refuses_to_save(tmp_path, monkeypatch):
    h = tmp_path / "home"
    monkeypatch.delenv("PARKMAP_DATA", raising=False)
    monkeypatch.setenv("PARKMAP_HOME", str(h))
    st.cache_data.clear()
    st.cache_resource.clear()
    app = _checked(_app())  # single-user mode: no accounts
    app.button(key="save_check").click().run()
    ws = Workspace(h)
    cid = int(ws.list_proposals()["last_check_id"].iloc[0])
    con = sqlite3.connect(ws.path)
    con.execute("DROP TRIGGER checks_no_update")
    con.execute("UPDATE checks SET verdict = 'pass' WHERE id = ?", (cid,))
    con.commit()
    con.close()
    # the running app (its workspace opened before the edit) refuses the next write
    app.text_input(key="check_name").input("另一个名字").run()
    app.button(key="save_check").click().run()
    assert any("拒绝写入" in e.value for e in app.error), [e.value for e in app.error]
    assert len(Workspace(h).list_proposals()) == 1
    # a fresh start says so at the top of the page
    st.cache_resource.clear()
    fresh = _app()
    assert any("审计记录校验失败" in e.value for e in fresh.error)


def test_old_row_edit_is_found_at_start_and_people_can_still_log_in_to_look(home):
    from shapely.geometry import box

    from geo import audit
    from geo.dataset import load_layer

    x, y = load_layer("parks").query("zone_id == @ZONE").geometry.iloc[0].centroid.coords[0]
    ws = Workspace(home)
    li = Actor("li", "planner")
    for i in range(30):  # more rows than the quick verify re-hashes
        ws.save_proposal(f"方案{i}", box(x, y, x + 0.005 + i * 1e-4, y + 0.005), ZONE, actor=li)
    con = sqlite3.connect(ws.path)
    con.execute("DROP TRIGGER proposals_no_update")
    con.execute("UPDATE proposals SET name = '改过的名字' WHERE id = 1")
    con.execute(audit.TRIGGERS["proposals_no_update"])  # the trigger put back: only the hash tells
    con.commit()
    con.close()
    assert Workspace(home).tamper is None  # the quick check on open looks at the newest rows only
    n_events = len(ws.events())
    app = _login(_app(), "li")
    assert len(app.tabs) == N_TABS  # logged in, read-only
    assert any("审计记录校验失败" in e.value and "proposals" in e.value for e in app.error)
    app.sidebar.button(key="logout").click().run()
    assert len(Workspace(home).events()) == n_events  # nothing written to a frozen workspace


def test_using_the_zone_list_after_the_idle_time_shows_the_login_form(home, monkeypatch):
    """The 开发区一览 filters live in a fragment; after the idle time, using them must not go on showing data.

    (AppTest may rerun the whole script here; in a browser only the fragment reruns and its
    require_session() forces the full rerun.  Either way the planner must see the login form.)
    """
    monkeypatch.setenv("PARKMAP_SESSION_IDLE_MINUTES", "1")
    app = _login(_app(), "li")
    app.session_state["last_seen"] = time.time() - 120
    app.selectbox(key="list_level").set_value("国家级").run()
    assert len(app.tabs) == 0 and [ti.key for ti in app.text_input] == ["login_name", "login_password"]


def _fresh(monkeypatch, h):
    monkeypatch.delenv("PARKMAP_DATA", raising=False)
    monkeypatch.setenv("PARKMAP_HOME", str(h))
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("damage", ["bytes", "newer"])
def test_a_damaged_or_newer_workspace_is_named_in_the_app(tmp_path, monkeypatch, damage):
    h = tmp_path / "home"
    ws = Workspace(h)
    accounts.add_user(ws, "admin", "admin", PASSWORDS["admin"])
    if damage == "bytes":
        data = bytearray(ws.path.read_bytes())
        data[100:4000] = b"\xff" * 3900
        ws.path.write_bytes(bytes(data))
        words = ("工作区文件已损坏", "备份")
    else:
        con = sqlite3.connect(ws.path)
        con.execute("DROP TRIGGER meta_no_update")
        con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        con.commit()
        con.close()
        words = ("版本", "未作任何改动")
    before = ws.path.read_bytes()
    _fresh(monkeypatch, h)
    app = _app()
    errors = [e.value for e in app.error]
    from layers.present import md_escape

    assert any(all(w in e for w in words) and md_escape(str(ws.path)) in e for e in errors), errors
    assert not any("程序内部错误" in e for e in errors)  # the real reason, not the generic one
    assert len(app.tabs) == 0 and ws.path.read_bytes() == before


def test_a_password_reset_by_the_admin_ends_the_open_session(home):
    app = _login(_app(), "li")
    assert len(app.tabs) == N_TABS
    accounts.set_password(Workspace(home), "li", "new-pass-77", actor=Actor("admin", "admin"))
    app.run()
    assert len(app.tabs) == 0 and "actor" not in app.session_state
    ev = Workspace(home).events()
    last = ev[ev["action"] == "logout"].iloc[-1]
    assert last["user"] == "li" and json.loads(last["detail_json"])["reason"] == "account-changed"


def test_changing_ones_own_password(home):
    app = _login(_app(), "li")
    app.sidebar.text_input(key="pw_old").input("wrong-pass-1")
    app.sidebar.text_input(key="pw_new").input("planner-pass-9")
    app.sidebar.button[1].click().run()  # the form's submit (after 退出登录)
    assert any("账号或密码错误" in e.value for e in app.sidebar.error) or any("账号或密码错误" in e.value for e in app.error)
    app.sidebar.text_input(key="pw_old").input(PASSWORDS["li"])
    app.sidebar.text_input(key="pw_new").input("planner-pass-9")
    app.sidebar.button[1].click().run()
    assert len(app.tabs) == 0 and any("密码已修改" in s.value for s in app.success)
    _login(app, "li", "planner-pass-9")
    assert len(app.tabs) == N_TABS
    ev = Workspace(home).events()
    assert ev[ev["action"] == "user_passwd"]["user"].tolist() == ["li"]


def test_layers_an_admin_imported_are_offered_to_planners(home):
    import geopandas as gpd

    from geo.area import buffer_m
    from geo.dataset import load_layer

    admin = _login(_app(), "admin")
    park = load_layer("parks").query("zone_id == @ZONE").geometry.iloc[0]
    red = gpd.GeoDataFrame({"名称": ["官方红线（测试）"]}, geometry=[buffer_m(park, 2000)], crs="EPSG:4490")
    admin.file_uploader(key="official_upload0").set_value(
        ("生态保护红线.geojson", red.to_json().encode("utf-8"), "application/geo+json")).run()
    planner = _login(_app(), "li")
    assert not [u for u in planner.get("file_uploader") if "official" in (u.proto.id or "")]  # no import for planners
    _upload(planner, "shehong.txt", _proposal_txt(400))
    box = planner.selectbox(key="official_pick")
    assert len(box.options) == 2 and "生态保护红线.geojson" in box.options[1] and "admin" in box.options[1]
    [folder] = [str(p) for p in (home / "layers").iterdir()]
    box.set_value(folder).run()
    planner.selectbox(key="check_zone").set_value(ZONE).run()
    planner.button(key="run_check").click().run()
    w = planner.session_state["wf"]
    assert w.official_dir and "layers" in w.official_dir, (w.official_dir, [e.value for e in planner.error])
    row = next(r for r in w.result.rules if r.id == "eco_redline")
    assert row.status == "fail"  # the official red line (2 km around the park) covers the ring
