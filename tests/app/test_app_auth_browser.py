"""Login and roles in the real app, in headless Chromium (issue #9, "Done means").

One ``streamlit run app.py`` on a temporary ``PARKMAP_HOME`` whose workspace
holds an admin, a viewer (wang), a reviewer (zhao) and a planner (li),
created with the engine before the app starts. Each test is a fresh page load (a new session):

1. The page is a login form and nothing else: no sidebar, no tabs, no map
   iframe. A wrong password gets the bilingual refusal and still no map.
2. The viewer logs in: the map is drawn, the sidebar names wang（查看）; an
   uploaded 界址点 TXT is shown, but the 核查 button is disabled, clicking it
   does nothing and there is no save button. Logging out shows the form again.
3. The reviewer logs in, uploads, checks, overrides the failing rule with a
   reason (the verdict line says 已改判) and saves; the workspace records the
   override, the proposal and the check under zhao（reviewer）.
4. The planner opens 开发区一览; an admin disables the account through the
   engine while the page stays open; picking 国家级 in the list's 级别 filter
   reruns only that fragment (``identity()`` does not run), and its
   ``require_session()`` still brings back the login form and records
   ``logout`` with reason ``account-changed``.

The AppTest version (tests/app/test_app_auth.py) covers the branches faster.
Screenshots go to ``test-artifacts/auth_*.png``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser_support import ARTIFACTS, make_driver, require_browser, streamlit_app

require_browser()

from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from tests.app.test_app_check import ZONE, _proposal_txt
from tests.app.test_app_journey_browser import MAP_IFRAME, ZONE_NAME, App

from geo import accounts
from geo.auth import Actor
from geo.workspace import Workspace

pytestmark = pytest.mark.timeout(900)

PASSWORDS = {"admin": "admin-pass-1", "wang": "viewer-pass-1", "zhao": "review-pass-1", "li": "planner-pass-1"}
ROLES = {"wang": "viewer", "zhao": "reviewer", "li": "planner"}
LOGIN_BUTTON = "登录 / Log in"
WRONG = "账号或密码错误 / Wrong account name or password"
CHECK_TAB = "扩区核查"
LIST_TAB = "开发区一览"
SIDEBAR = '[data-testid="stSidebar"]'
FAILING_RULE = "评价排名后1/3"  # bottom_third: the only rule the 400 m ring around 射洪's park fails


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``(url, PARKMAP_HOME, log path)``: one app process on a workspace with accounts; its log stays traceback-free."""
    home = tmp_path_factory.mktemp("home")
    ws = Workspace(home)
    accounts.add_user(ws, "admin", "admin", PASSWORDS["admin"])
    admin = Actor("admin", "admin")
    for name, role in ROLES.items():
        accounts.add_user(ws, name, role, PASSWORDS[name], actor=admin)
    with streamlit_app(tmp_path_factory.mktemp("log"), {"PARKMAP_HOME": str(home)}, drop=("PARKMAP_DATA",),
                       ports=(8800, 8900)) as (url, log_path):
        yield url, home, log_path
    text = log_path.read_text()
    assert "Traceback" not in text, text


@pytest.fixture(scope="module")
def driver():
    drv = make_driver(1600, 2000)
    yield drv
    drv.quit()


class AuthApp(App):
    """The journey page driver, plus the login form; screenshots named ``auth_*.png``."""

    def shot(self, name: str, top: bool = True) -> Path:
        path = super().shot(name, top)
        target = ARTIFACTS / f"auth_{name}.png"
        path.replace(target)
        return target

    def open_login(self) -> None:
        """A fresh session: the page as it first loads (the login form)."""
        self.d.switch_to.default_content()
        self.d.get(self.url + "/")
        self.settle()
        self.el("login_name")

    def login_form_only(self) -> None:
        """The login form is there and nothing else: no sidebar, no tabs, no map component."""
        self.d.switch_to.default_content()
        d = self.d
        assert d.find_elements(By.CSS_SELECTOR, ".st-key-login_name input")
        assert d.find_elements(By.CSS_SELECTOR, ".st-key-login_password input[type=password]")
        assert [b for b in d.find_elements(By.CSS_SELECTOR, '[data-testid="stForm"] button') if b.text.strip() == LOGIN_BUTTON]
        assert not d.find_elements(By.CSS_SELECTOR, MAP_IFRAME)
        assert not d.find_elements(By.TAG_NAME, "iframe")
        assert not d.find_elements(By.CSS_SELECTOR, ".leaflet-container")
        assert not d.find_elements(By.CSS_SELECTOR, '[role="tab"]')
        assert not [s for s in d.find_elements(By.CSS_SELECTOR, SIDEBAR) if s.text.strip()]
        assert not d.find_elements(By.CSS_SELECTOR, '[data-testid="stFileUploader"]')
        assert "登录" in self.main_text()

    def login(self, name: str, password: str) -> None:
        for key, value in (("login_name", name), ("login_password", password)):
            inp = self.el(key).find_element(By.CSS_SELECTOR, "input")
            self._click(inp)
            inp.send_keys(Keys.CONTROL, "a")
            inp.send_keys(Keys.DELETE)
            inp.send_keys(value)
        submit = next(b for b in self.d.find_elements(By.CSS_SELECTOR, '[data-testid="stForm"] button')
                      if b.text.strip() == LOGIN_BUTTON)
        self._click(submit)
        self.settle()

    def login_as(self, name: str) -> None:
        """Log in and wait for the map (Leaflet inside the streamlit-folium iframe, with its layers drawn)."""
        self.login(name, PASSWORDS[name])
        self.map_view()
        self.settle()

    def sidebar_text(self) -> str:
        self.d.switch_to.default_content()
        return self.d.find_element(By.CSS_SELECTOR, SIDEBAR).text

    def leaflet_in_map(self) -> bool:
        return bool(self.map_js("return !!document.querySelector('.leaflet-container');"))

    def upload_and_pick_zone(self, path: Path) -> None:
        self.tab(CHECK_TAB)
        self.upload(path)
        self.select(self.el("check_zone"), ZONE_NAME)
        assert self.selected(self.el("check_zone")).startswith(ZONE_NAME)


@pytest.fixture()
def app(driver, server, request):
    url, home, log_path = server
    a = AuthApp(driver, url, home, log_path)
    failed = request.session.testsfailed
    a.open_login()
    yield a
    if request.session.testsfailed > failed:
        try:
            a.shot("FAILED_" + request.node.name)
        except WebDriverException:
            pass


@pytest.fixture()
def txt(tmp_path) -> Path:
    path = tmp_path / "shehong.txt"
    path.write_bytes(_proposal_txt(400))
    return path


def _events(home: Path):
    return Workspace(home).events()


# --------------------------------------------------------------------------- 1. the login form before the map


def test_login_form_first_and_wrong_password_refused(app):
    app.login_form_only()
    app.assert_no_error()
    app.shot("login_form")

    app.login("wang", "not-the-password-1")
    app.wait(lambda d: any(WRONG in e.text for e in d.find_elements(By.CSS_SELECTOR, '[data-testid="stAlert"]')),
             60, "wrong password refused")
    app.login_form_only()  # still no map, no sidebar
    assert not app.d.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    app.shot("login_wrong_password")
    ev = _events(app.home)
    assert list(ev.loc[ev["user"] == "wang", "action"]) == ["login_failed"]


# --------------------------------------------------------------------------- 2. a viewer cannot check or save


def test_viewer_sees_the_map_but_cannot_check_or_save_then_logs_out(app, txt):
    app.login_as("wang")
    assert app.leaflet_in_map()
    assert "当前用户：wang（查看）" in app.sidebar_text()
    assert app.d.find_elements(By.CSS_SELECTOR, '[role="tab"]')
    app.upload_and_pick_zone(txt)
    assert "只能查看和导出" in app.panel()

    button = app.el("run_check").find_element(By.CSS_SELECTOR, "button")
    assert button.get_attribute("disabled") is not None and not button.is_enabled()
    app.button("run_check")  # a click on the disabled button does nothing
    assert "结论：" not in app.main_text()
    assert not app.d.find_elements(By.CSS_SELECTOR, ".st-key-save_check")
    app.assert_no_error()
    app.shot("viewer")
    ev = _events(app.home)
    assert not ev[ev["action"].isin(["check", "save_proposal", "override"])].shape[0]

    app.button("logout")
    app.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".st-key-login_name input"), 60, "login form again")
    app.settle()
    app.login_form_only()
    app.shot("after_logout")
    ev = _events(app.home)
    assert list(ev.loc[ev["user"] == "wang", "action"])[-2:] == ["login", "logout"]


# --------------------------------------------------------------------------- 3. a reviewer overrides, then saves


def test_reviewer_checks_overrides_and_saves(app, txt):
    app.login_as("zhao")
    assert "当前用户：zhao（审核）" in app.sidebar_text()
    app.upload_and_pick_zone(txt)
    assert "只能查看和导出" not in app.panel()
    app.button("run_check")
    app.wait(lambda d: "结论：" in app.panel(), 180, "verdict")
    assert "结论：不符合" in app.panel().replace("\n", "").replace(" ", ""), app.panel()

    exp = app.wait(lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, '[data-testid="stExpander"]')
                                   if "人工改判" in e.find_element(By.TAG_NAME, "summary").text), False),
                   60, "override expander")
    app._click(exp.find_element(By.TAG_NAME, "summary"))
    app.settle()
    app.select(app.el("ovr_rule"), FAILING_RULE)
    app.select(app.el("ovr_status"), "符合")
    assert app.selected(app.el("ovr_status")) == "符合"
    area = app.el("ovr_reason").find_element(By.TAG_NAME, "textarea")
    app._click(area)
    area.send_keys("红线已按批复调整")
    area.send_keys(Keys.TAB)  # a text area hands its value over on blur
    app.settle()
    app.button("ovr_apply")
    app.wait(lambda d: "已改判" in app.panel(), 120, "verdict overridden")
    line = app.panel().replace("\n", "").replace(" ", "")
    assert "结论：需关注" in line and "原结果：不符合" in line, line  # the two warnings stay: 需关注, not 符合
    assert not Workspace(app.home).list_proposals().shape[0]  # not saved yet

    app.button("save_check")
    app.wait(lambda d: "已保存" in app.main_text(), 120, "saved")
    assert "记录人: zhao（审核）" in app.main_text()
    assert "已改判" in app.panel()  # the saved verdict still reads as overridden
    app.assert_no_error()
    head = app.wait(lambda d: next((h for h in d.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"] h3')
                                    if "核查结果" in h.text), False), 60, "result heading")
    app.shot("reviewer_overridden")
    app.d.execute_script("arguments[0].scrollIntoView({block: 'start'});", head)
    app.shot("reviewer_result", top=False)

    ws = Workspace(app.home)
    ev = ws.events()
    ov = ev[ev["action"] == "override"]
    assert len(ov) == 1 and ov["user"].iloc[0] == "zhao" and ov["role"].iloc[0] == "reviewer"
    detail = json.loads(ov["detail_json"].iloc[0])
    assert detail["rule"] == "bottom_third" and detail["status"] == "pass" and detail["original_status"] == "fail"
    assert detail["reason"] == "红线已按批复调整" and detail["before_save"] is True
    saves = ev[ev["action"].isin(["save_proposal", "check"])]
    assert set(saves["action"]) == {"save_proposal", "check"}
    assert set(saves["user"]) == {"zhao"} and set(saves["role"]) == {"reviewer"}
    saved = ws.list_proposals()
    assert list(saved["created_by"]) == ["zhao"] and list(saved["zone_id"]) == [ZONE]
    check = ws.checks_for(int(saved["id"].iloc[0]))[-1]
    assert check.verdict == "attention" and check.created_by == "zhao"


# --------------------------------------------------------------------------- 4. a fragment rerun after the account is disabled


def test_list_fragment_rerun_logs_out_an_account_disabled_meanwhile(app):
    app.login_as("li")
    assert "当前用户：li（编制）" in app.sidebar_text()
    app.tab(LIST_TAB)
    box = app.el("list_level")
    assert "共 " in app.panel() and app.selected(box) != "国家级"
    app.assert_no_error()

    # the page stays open; an admin disables the account meanwhile (the engine, as `parkmap users disable li`)
    accounts.set_disabled(Workspace(app.home), "li", True, actor=Actor("admin", "admin"))

    # 级别 → 国家级: a widget inside the list_panel fragment, so only that fragment reruns (identity() does not)
    inp = box.find_element(By.CSS_SELECTOR, "input[role=combobox]")
    app._click(inp)
    inp.send_keys("国家级")
    option = app.wait(lambda d: next((o for o in d.find_elements(By.CSS_SELECTOR, '[role="option"]')
                                      if o.text.strip() == "国家级" and o.is_displayed()), False), 30, "option 国家级")
    app._click(option)
    try:
        app.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".st-key-login_name input"), 60)
    except TimeoutException:
        pytest.fail(f"no login form after the fragment rerun; the page shows: {app.main_text()[:400]!r}")
    app.settle()
    app.login_form_only()  # no tabs, no sidebar, no map
    app.shot("fragment_account_disabled")

    ev = _events(app.home)
    mine = ev[ev["user"] == "li"]
    assert list(mine["action"]) == ["login", "logout"], mine
    assert json.loads(mine["detail_json"].iloc[-1])["reason"] == "account-changed"
    assert mine["role"].iloc[-1] == "planner"
