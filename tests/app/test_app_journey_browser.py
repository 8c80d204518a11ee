"""Planner journeys in the real app, in headless Chromium with no network beyond 127.0.0.1.

Each test drives ``streamlit run app.py`` (a temporary ``PARKMAP_HOME``) the
way a planner does — sidebar widgets, tabs, real clicks on the Leaflet map —
and checks what the page then shows and what the workspace holds:

1. English, then a pinyin search: the zone panel fills in English, no error;
   back to 中文 the selection is kept (the old ``KeyError: '（未选择）'``).
2. Zoom in, toggle a layer: the layer change is drawn and the planner's
   view is kept (not reset to the province view).
3. Draw with the polygon tool on the 高德 (GCJ-02) basemap and on 无底图:
   both save the same CGCS2000 square (within ~10 m) and the same verdict.
4. Save a proposal for zone A, switch to zone B, reopen it: zone, type and
   name come back and the re-check is against zone A.
5. The whole journey (upload TXT → check → rename → save → other zone →
   reopen → re-check → report PDF) in 中文 and in English, with a
   screenshot of every tab.

Screenshots go to ``test-artifacts/journey_*.png``.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import pytest

from tests.browser_support import (
    ARTIFACTS,
    make_driver,
    network,
    require_browser,
    streamlit_app,
)

require_browser()

import geopandas as gpd
from selenium.common.exceptions import (
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from shapely.geometry import Polygon

from geo import clock
from geo.area import buffer_m
from geo.crs import wgs84_to_gcj02
from geo.dataset import load_layer
from geo.io.jzd_txt import format_jzd_text
from geo.workspace import Workspace

pytestmark = pytest.mark.timeout(900)

ZONE = "S517077"  # 射洪经开区 (遂宁)
ZONE_NAME = "射洪经开区"
OTHER = "G512045"  # 成都高新区
OTHER_NAME = "成都高新区"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
ERROR_TEXTS = ("程序内部错误", "Internal error", "KeyError", "Traceback")

# --------------------------------------------------------------------------- server and browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``(url, PARKMAP_HOME, log path)`` of one app process for the module; its log must stay traceback-free."""
    home = tmp_path_factory.mktemp("home")
    with streamlit_app(tmp_path_factory.mktemp("log"), {"PARKMAP_HOME": str(home)}, drop=("PARKMAP_DATA",),
                       ports=(8700, 8800)) as (url, log_path):  # the embedded data
        yield url, home, log_path
    text = log_path.read_text()
    assert "Traceback" not in text, text


@pytest.fixture(scope="module")
def driver():
    drv = make_driver(1600, 2000)  # tall enough for the map, its legend and the export panel
    yield drv
    drv.quit()


@pytest.fixture()
def app(driver, server, request):
    """A fresh session of the app (a new page load); a screenshot of the page when the test fails."""
    url, home, log_path = server
    a = App(driver, url, home, log_path)
    failed = request.session.testsfailed
    a.open()
    yield a
    if request.session.testsfailed > failed:
        try:
            a.shot("FAILED_" + request.node.name.replace("[", "_").replace("]", ""))
        except WebDriverException:
            pass


# --------------------------------------------------------------------------- page driver


class App:
    """The Streamlit page as a planner sees it: widgets by key or label, the map in its iframe."""

    def __init__(self, drv, url: str, home: Path, log_path: Path) -> None:
        self.d, self.url, self.home, self.log_path = drv, url, home, log_path

    # ------------------------------------------------------------ page

    def open(self) -> None:
        self.d.switch_to.default_content()
        self.d.get(self.url + "/")
        self.map_view()  # waits for the map and its layers
        self.settle()
        self.d.get_log("performance")  # network log starts here

    def settle(self, quiet: float = 1.5, timeout: float = 240) -> None:
        """Wait until no script run (full or fragment) has been going on for ``quiet`` seconds."""
        self.d.switch_to.default_content()
        deadline = time.monotonic() + timeout
        idle_since = None
        while time.monotonic() < deadline:
            state = self.d.execute_script(
                "const a = document.querySelector('[data-testid=stApp]');"
                "return a ? a.getAttribute('data-test-script-state') + '|' + a.getAttribute('data-test-connection-state') : '';")
            if state.startswith("notRunning|CONNECTED"):
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= quiet:
                    return
            else:
                idle_since = None
            time.sleep(0.2)
        raise TimeoutError(f"the app kept running for {timeout}s ({state})")

    def wait(self, cond, timeout: float = 180, msg: str = ""):
        self.d.switch_to.default_content()
        return WebDriverWait(self.d, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(cond, msg)

    def body(self) -> str:
        self.d.switch_to.default_content()
        return self.d.find_element(By.TAG_NAME, "body").text

    def main_text(self) -> str:
        self.d.switch_to.default_content()
        return self.d.find_element(By.CSS_SELECTOR, '[data-testid="stMain"]').text

    def shot(self, name: str, top: bool = True) -> Path:
        """A screenshot of the window (scrolled to the top: the map, the panels and what is under them)."""
        self.d.switch_to.default_content()
        if top:
            self.d.execute_script("document.querySelectorAll('[data-testid=stMain], [data-testid=stAppViewContainer],"
                                  " section.main').forEach(e => { e.scrollTop = 0; }); window.scrollTo(0, 0);")
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"journey_{name}.png"
        self.d.save_screenshot(str(path))
        return path

    def assert_no_error(self) -> None:
        """No exception box, no bilingual error message on the page, no traceback in the server log."""
        self.d.switch_to.default_content()
        assert not self.d.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]'), self.body()
        errors = [e.text for e in self.d.find_elements(By.CSS_SELECTOR, '[data-testid="stAlert"]')
                  if any(x in e.text for x in ERROR_TEXTS)]
        assert not errors, errors
        log = self.log_path.read_text()
        assert "Traceback" not in log, log[-4000:]

    def assert_loopback_only(self) -> None:
        _, failed = network(self.d)
        assert not [f for f in failed if "favicon" not in f and "tile" not in f and "autonavi" not in f], failed

    # ------------------------------------------------------------ widgets

    def el(self, key: str):
        """The element container of the widget with ``key`` (Streamlit adds the class ``st-key-<key>``)."""
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, f".st-key-{key}"), 60, f"widget {key}")

    def by_label(self, label: str, scope: str = "body"):
        """The widget container whose label reads ``label`` (exactly)."""
        def find(d):
            for lab in d.find_elements(By.CSS_SELECTOR, f'{scope} [data-testid="stWidgetLabel"]'):
                if lab.text.strip() == label and lab.is_displayed():
                    return lab.find_element(By.XPATH, "./ancestor::div[@data-testid='stElementContainer'][1]")
            return False
        return self.wait(find, 60, f"widget labelled {label!r}")

    def _click(self, element) -> None:
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        try:
            element.click()
        except WebDriverException:
            ActionChains(self.d).move_to_element(element).click().perform()

    def select(self, box, option: str) -> None:
        """Open a selectbox (a container element), type to filter, click the option containing ``option``."""
        self.d.switch_to.default_content()
        inp = box.find_element(By.CSS_SELECTOR, "input[role=combobox]")
        self._click(inp)
        inp.send_keys(Keys.CONTROL, "a")
        inp.send_keys(option)

        def pick(d):
            for o in d.find_elements(By.CSS_SELECTOR, '[role="option"]'):
                if option in o.text and o.is_displayed():
                    return o
            return False
        self._click(self.wait(pick, 30, f"option {option!r}"))
        self.settle()
        if inp.get_attribute("aria-expanded") == "true":  # a multiselect stays open
            inp.send_keys(Keys.ESCAPE)
        # a selectbox shows the choice in its input, a multiselect as a tag
        self.wait(lambda d: option in inp.get_attribute("value") or option in box.text, 30, f"{option!r} selected")

    def selected(self, box) -> str:
        return box.find_element(By.CSS_SELECTOR, "input[role=combobox]").get_attribute("value")

    def tags(self, box) -> list[str]:
        """The chosen values of a multiselect, as shown."""
        return [t.get_attribute("aria-label") for t in box.find_elements(By.CSS_SELECTOR, "[data-tag]")]

    def radio(self, box, label: str) -> None:
        opt = next(lab for lab in box.find_elements(By.CSS_SELECTOR, "label") if lab.text.strip() == label)
        self._click(opt)
        self.settle()

    def radio_value(self, box) -> str:
        for lab in box.find_elements(By.CSS_SELECTOR, "label"):
            if lab.find_elements(By.CSS_SELECTOR, "input:checked"):
                return lab.text.strip()
        return ""

    def checkbox(self, box) -> None:
        self._click(box.find_element(By.CSS_SELECTOR, "label"))
        self.settle()

    def button(self, key: str) -> None:
        self._click(self.el(key).find_element(By.CSS_SELECTOR, "button"))
        self.settle()

    def type_text(self, box, text: str, submit=Keys.ENTER) -> None:
        inp = box.find_element(By.CSS_SELECTOR, "input")
        self._click(inp)
        inp.send_keys(Keys.CONTROL, "a")
        inp.send_keys(Keys.DELETE)
        inp.send_keys(text, submit)
        self.settle()

    def tab(self, label: str) -> None:
        self.d.switch_to.default_content()
        tab = self.wait(lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, '[role="tab"]')
                                        if b.text.strip() == label), False), 60, f"tab {label!r}")
        self._click(tab)
        self.settle()
        self.wait(lambda d: self.active_tab() == label, 30, f"tab {label!r} open")

    def active_tab(self) -> str:
        self.d.switch_to.default_content()
        return next((b.text.strip() for b in self.d.find_elements(By.CSS_SELECTOR, '[role="tab"]')
                     if b.get_attribute("aria-selected") == "true"), "")

    def panel(self) -> str:
        """Text of the open tab's panel."""
        self.d.switch_to.default_content()
        return "\n".join(p.text for p in self.d.find_elements(By.CSS_SELECTOR, '[role="tabpanel"]') if p.is_displayed())

    def wait_table(self, timeout: float = 60):
        """The first table (st.dataframe: drawn on a canvas, its cells are not page text) in the open tab."""
        return self.wait(lambda d: next((t for p in d.find_elements(By.CSS_SELECTOR, '[role="tabpanel"]')
                                         if p.is_displayed()
                                         for t in p.find_elements(By.CSS_SELECTOR, '[data-testid="stDataFrame"]')),
                                        False), timeout, "table in the tab")

    def upload(self, path: Path) -> None:
        self.d.switch_to.default_content()
        inp = self.wait(lambda d: d.find_element(By.CSS_SELECTOR, '[class*="st-key-upload"] input[type=file]'), 60)
        inp.send_keys(str(path))
        self.settle()
        self.wait(lambda d: path.name in self.panel(), 120, "upload read")

    # ------------------------------------------------------------ map (inside the streamlit-folium iframe)

    def map_js(self, script: str, *args):
        """Run ``script`` in the map's iframe with ``map`` bound to the Leaflet map."""
        self.d.switch_to.default_content()
        frame = self.wait(lambda d: d.find_element(By.CSS_SELECTOR, MAP_IFRAME), 120, "map iframe")
        self.d.switch_to.frame(frame)
        try:
            return self.d.execute_script(
                "const map = window.map || (window.L && Object.values(window).find(v => v instanceof L.Map));"
                "if (!map) return null;" + script, *args)
        finally:
            self.d.switch_to.default_content()

    def map_view(self, timeout: float = 180) -> tuple[float, float, float]:
        """``(lat, lon, zoom)`` of the map once it is drawn (has vector layers)."""
        js = "if (!document.querySelector('.leaflet-overlay-pane path')) return null;" \
             "const c = map.getCenter(); return [c.lat, c.lng, map.getZoom()];"
        got = WebDriverWait(self.d, timeout).until(lambda d: self.map_js(js), "map drawn")
        return tuple(got)

    def n_paths(self) -> int:
        return self.map_js("return document.querySelectorAll('.leaflet-overlay-pane path').length;") or 0

    def stable_paths(self, quiet: float = 1.5, timeout: float = 120) -> int:
        """The number of vector paths once it has stopped changing (layers are swapped in after a rerun)."""
        deadline = time.monotonic() + timeout
        last, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            n = self.n_paths()
            if n != last:
                last, since = n, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return n
            time.sleep(0.25)
        raise TimeoutError("the map kept redrawing")

    def set_view(self, lat: float, lon: float, zoom: float) -> None:
        """Move the map as a planner would (Leaflet fires moveend; the app gets the view after its debounce)."""
        self.map_js("map.setView([arguments[0], arguments[1]], arguments[2], {animate: false});", lat, lon, zoom)
        time.sleep(1.5)  # > the component's 250 ms debounce
        self.settle()

    def draw_polygon(self, latlngs: list[tuple[float, float]]) -> None:
        """Draw a polygon with the Leaflet.draw tool by real clicks at the vertices' pixels; close on the first."""
        d = self.d
        d.switch_to.default_content()
        frame = d.find_element(By.CSS_SELECTOR, MAP_IFRAME)
        d.switch_to.frame(frame)
        try:
            self._click(d.find_element(By.CSS_SELECTOR, ".leaflet-draw-draw-polygon"))
            box = d.find_element(By.CSS_SELECTOR, ".leaflet-container")
            size = d.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];", box)
            pts = d.execute_script(
                "const map = window.map;"
                "return arguments[0].map(p => { const q = map.latLngToContainerPoint(L.latLng(p[0], p[1]));"
                "return [q.x, q.y]; });", [list(p) for p in latlngs])
            for x, y in pts:
                assert 40 < x < size[0] - 10 and 10 < y < size[1] - 10, (x, y, size)
            for x, y in pts + pts[:1]:
                ActionChains(d).move_to_element_with_offset(box, round(x - size[0] / 2), round(y - size[1] / 2)) \
                    .pause(0.15).click().pause(0.35).perform()
            WebDriverWait(d, 20).until(lambda dd: dd.execute_script(
                "return (window.__GLOBAL_DATA__.all_drawings || []).length;") == 1, "polygon closed")
        finally:
            d.switch_to.default_content()
        time.sleep(1.0)  # the draw event reaches the app after the component's debounce
        self.settle()


# --------------------------------------------------------------------------- data helpers


def _park(zone: str = ZONE):
    return load_layer("parks").query("zone_id == @zone").geometry.iloc[0]


def _txt_file(tmp_path: Path, name: str, meters: float = 400, zone: str = ZONE) -> Path:
    """A 界址点 TXT (GBK) of a ring around the zone's park: an expansion touching it."""
    park = _park(zone)
    ring = buffer_m(park, meters).difference(park)
    gdf = gpd.GeoDataFrame({"地块名称": [name]}, geometry=[ring], crs="EPSG:4490")
    path = tmp_path / f"{name}.txt"
    path.write_bytes(format_jzd_text(gdf).encode("gbk"))
    return path


def _metres(geom, lat0: float):
    """``geom`` in a local equirectangular metre grid around latitude ``lat0`` (good to < 0.1 % over a few km)."""
    from shapely import transform

    kx, ky = 111_320.0 * math.cos(math.radians(lat0)), 110_574.0
    return transform(geom, lambda xy: xy * [kx, ky])


def hausdorff_m(a, b) -> float:
    lat0 = a.centroid.y
    return _metres(a, lat0).hausdorff_distance(_metres(b, lat0))


def _square_near_park(zone: str = ZONE, side_m: float = 400.0, gap_m: float = 150.0) -> Polygon:
    """A CGCS2000 square of ``side_m`` just east of the zone's park (lon/lat corners, closed)."""
    park = _park(zone)
    _, s, e, n = park.bounds
    lat0 = (s + n) / 2
    dlon = side_m / (111_320.0 * math.cos(math.radians(lat0)))
    dlat = side_m / 110_574.0
    x0 = e + gap_m / (111_320.0 * math.cos(math.radians(lat0)))
    y0 = lat0 - dlat / 2
    return Polygon([(x0, y0), (x0 + dlon, y0), (x0 + dlon, y0 + dlat), (x0, y0 + dlat)])


def _saved(app: App):
    ws = Workspace(app.home)
    table = ws.list_proposals()
    return ws, table


# --------------------------------------------------------------------------- 1. English, then a pinyin search


def test_english_search_pick_zone_then_back_to_chinese(app):
    regions_zh = app.tags(app.el("regions_pick"))
    assert len(regions_zh) >= 5 and "成都平原经济区" in regions_zh
    app.radio(app.el("lang"), "English")
    app.wait(lambda d: "Sichuan development zones planning map" in app.main_text(), 60, "English title")
    sb = '[data-testid="stSidebar"]'
    assert "Search zones (Chinese or pinyin)" in app.d.find_element(By.CSS_SELECTOR, sb).text
    app.type_text(app.el("zone_q"), "shehong")
    app.assert_no_error()
    pick = app.by_label("Pick a zone", sb)
    assert app.selected(pick) == "(none)"  # the empty choice reads English, not （未选择）
    # the other choices were kept and read English too (their values travel as the shown labels)
    assert app.selected(app.el("view")) == "Whole province"
    assert app.selected(app.el("basemap")) == "None (offline)"
    regions_en = app.tags(app.el("regions_pick"))
    assert len(regions_en) == len(regions_zh) and "Chengdu Plain Economic Region" in regions_en, regions_en
    assert app.radio_value(app.el("industry_mode")) == "Six advantage industries"
    app.select(pick, ZONE_NAME)
    app.assert_no_error()
    app.wait(lambda d: any(ZONE_NAME in h.text for h in d.find_elements(By.CSS_SELECTOR, "h3")), 120, "zone panel")
    assert app.active_tab() == "Zone"
    panel = app.panel()
    for label in ("Parks", "Approved area (ha)", "Total park area (ha)", "Attributes", "Indicators"):
        assert label in panel, (label, panel)
    assert "园区数" not in panel and "核准面积" not in panel
    assert app.selected(pick).startswith(ZONE_NAME) and "(遂宁)" in app.selected(pick)
    app.shot("en_search_zone")

    app.radio(app.el("lang"), "中文")
    app.wait(lambda d: "四川开发区规划地图" in app.main_text(), 60, "Chinese title")
    pick = app.by_label("选择开发区", sb)
    assert app.selected(pick) == f"{ZONE_NAME}（遂宁）"  # the selection is kept across the switch
    assert app.el("zone_q").find_element(By.TAG_NAME, "input").get_attribute("value") == "shehong"
    assert app.selected(app.el("view")) == "全省" and app.selected(app.el("basemap")) == "无底图（离线）"
    assert app.tags(app.el("regions_pick")) == regions_zh
    assert app.radio_value(app.el("industry_mode")) == "六大优势产业"
    app.wait(lambda d: "园区数" in app.panel() and "核准面积（公顷）" in app.panel(), 60, "Chinese zone panel")
    assert any(ZONE_NAME in h.text for h in app.d.find_elements(By.CSS_SELECTOR, "h3"))
    app.assert_no_error()
    app.assert_loopback_only()
    app.shot("zh_search_zone_kept")


# --------------------------------------------------------------------------- 2. zoom in, toggle a layer: the view stays


def test_zoom_then_layer_toggle_keeps_the_view(app):
    lat, lon, zoom = app.map_view()
    assert zoom == pytest.approx(6.5) and lat == pytest.approx(30.35, abs=0.05)  # the province view
    app.set_view(30.6, 104.05, 10)
    before = app.stable_paths()
    county = app.by_label("县（市、区）界", '[data-testid="stSidebar"]')
    assert county.find_element(By.CSS_SELECTOR, "input").is_selected()
    app.checkbox(county)
    app.wait(lambda d: app.n_paths() != before, 120, "county layer removed")
    time.sleep(2.0)  # a late reset of the view would show up by now
    app.settle()
    lat, lon, zoom = app.map_view()
    assert zoom == pytest.approx(10, abs=0.01), zoom
    assert lat == pytest.approx(30.6, abs=0.01) and lon == pytest.approx(104.05, abs=0.01), (lat, lon)
    assert app.stable_paths() < before
    app.shot("zoom_kept_counties_off")

    # and back on: the counties come back, the view still stays
    app.checkbox(county)
    app.wait(lambda d: app.n_paths() >= before, 120, "county layer back")
    time.sleep(2.0)
    app.settle()
    lat, lon, zoom = app.map_view()
    assert zoom == pytest.approx(10, abs=0.01) and lat == pytest.approx(30.6, abs=0.01), (lat, lon, zoom)
    app.assert_no_error()
    app.assert_loopback_only()


# --------------------------------------------------------------------------- 3. drawing on 高德 = drawing on 无底图


def _draw_check_save(app: App, corners: list[tuple[float, float]], centre: tuple[float, float], name: str) -> int:
    """Zoom to ``centre`` (lat, lon on screen), draw ``corners`` (lat, lon on screen), check against ZONE, save."""
    app.set_view(centre[0], centre[1], 16)
    app.draw_polygon(corners)
    app.tab("扩区核查")
    app.wait(lambda d: "地图绘制" in app.panel(), 120, "drawn proposal shown")
    box = app.el("check_zone")
    if not app.selected(box).startswith(ZONE_NAME):
        app.select(box, ZONE_NAME)
    app.type_text(app.el("check_name"), name)
    app.button("run_check")
    app.wait(lambda d: "结论：" in app.panel(), 180, "verdict")
    app.button("save_check")
    app.wait(lambda d: "已保存" in app.main_text(), 120, "saved")
    app.assert_no_error()
    _, table = _saved(app)
    return int(table.loc[table["name"] == name, "id"].iloc[-1])


def test_drawing_on_gaode_saves_the_cgcs2000_geometry(app):
    square = _square_near_park()
    corners = list(square.exterior.coords)[:-1]  # (lon, lat)
    cx, cy = square.centroid.x, square.centroid.y

    # 高德: the planner traces the square where it shows on GCJ-02 tiles
    app.select(app.el("basemap"), "高德（GCJ-02）")
    app.wait(lambda d: "GCJ-02" in app.main_text() and "偏移显示" in app.main_text(), 60, "GCJ-02 note")
    gx, gy = wgs84_to_gcj02(cx, cy)
    gcj = [wgs84_to_gcj02(x, y)[::-1] for x, y in corners]  # (lat, lon) on screen
    pid_gaode = _draw_check_save(app, gcj, (gy, gx), "高德绘制方案")
    app.shot("draw_gaode_saved")

    # 无底图: the same square drawn at its own coordinates
    app.tab("扩区核查")
    app.button("clear_proposal")
    app.wait(lambda d: "尚无方案" in app.panel(), 60, "proposal cleared")
    app.select(app.el("basemap"), "无底图（离线）")
    pid_plain = _draw_check_save(app, [(y, x) for x, y in corners], (cy, cx), "无底图绘制方案")
    app.shot("draw_plain_saved")

    ws = Workspace(app.home)
    g_gaode, g_plain = ws.get_proposal(pid_gaode).geometry, ws.get_proposal(pid_plain).geometry
    shifted = Polygon([wgs84_to_gcj02(x, y) for x, y in corners])
    assert hausdorff_m(shifted, square) > 250  # what an unshifted GCJ-02 drawing would be off by
    assert hausdorff_m(g_gaode, square) < 10, hausdorff_m(g_gaode, square)
    assert hausdorff_m(g_plain, square) < 10, hausdorff_m(g_plain, square)
    assert hausdorff_m(g_gaode, g_plain) < 10
    v_gaode, v_plain = ws.checks_for(pid_gaode)[-1], ws.checks_for(pid_plain)[-1]
    assert v_gaode.verdict == v_plain.verdict
    assert ws.get_proposal(pid_gaode).zone_id == ws.get_proposal(pid_plain).zone_id == ZONE
    app.assert_loopback_only()


# --------------------------------------------------------------------------- 4. reopen, re-check against the same zone


def test_reopen_restores_zone_type_name_and_rechecks_against_that_zone(app, tmp_path):
    name = "射洪东片调区"
    app.tab("扩区核查")
    app.upload(_txt_file(tmp_path, "shehong_east"))
    app.select(app.el("check_zone"), ZONE_NAME)
    app.radio(app.el("check_type"), "调区/调位（置换面积）")
    app.type_text(app.el("check_name"), name)
    app.button("run_check")
    app.wait(lambda d: "结论：" in app.panel(), 180, "verdict")
    first = app.panel()
    app.button("save_check")
    app.wait(lambda d: "已保存" in app.main_text(), 120, "saved")
    ws, table = _saved(app)
    pid = int(table.loc[table["name"] == name, "id"].iloc[-1])
    saved_verdict = ws.checks_for(pid)[-1].verdict

    # the planner moves on to another zone
    app.select(app.el("check_zone"), OTHER_NAME)
    app.select(app.el("zone_pick"), OTHER_NAME)
    app.wait(lambda d: "结论：" not in app.panel(), 60, "old verdict dropped")

    app.tab("方案记录")
    app.wait_table()
    app.select(app.el("saved_multi"), f"#{pid} · {name}")
    app.button("saved_reopen")
    app.wait(lambda d: app.active_tab() == "扩区核查", 120, "check tab shown")
    assert app.selected(app.el("check_zone")) == f"{ZONE_NAME}（遂宁）"
    assert app.radio_value(app.el("check_type")) == "调区/调位（置换面积）"
    assert app.el("check_name").find_element(By.TAG_NAME, "input").get_attribute("value") == name
    assert app.selected(app.el("zone_pick")).startswith(ZONE_NAME)
    app.shot("reopened")

    app.button("run_check")
    app.wait(lambda d: "结论：" in app.panel(), 180, "verdict")
    again = app.panel()
    word = {"pass": "符合", "fail": "不符合", "attention": "需关注"}[saved_verdict]
    assert f"结论：{word}" in again.replace("\n", ""), again
    assert app.selected(app.el("check_zone")) == f"{ZONE_NAME}（遂宁）"
    # the verdict line (verdict and area) reads as it did before the switch
    assert first.split("结论：")[1].split("\n")[:3] == again.split("结论：")[1].split("\n")[:3]
    app.assert_no_error()
    app.assert_loopback_only()


# --------------------------------------------------------------------------- 5. the whole journey, both languages

T = {
    "zh": {"lang": "中文", "tabs": ("开发区信息", "扩区核查", "方案记录", "开发区一览"), "check": "核查",
           "verdict": "结论：", "saved": "已保存", "name_label": "方案名称", "zone_label": "扩区所属开发区",
           "export": "导出", "report": "生成核查报告 PDF", "report_re": "核查报告", "pref": "（遂宁）",
           "nearest": "按最近园区推荐开发区", "upload": "上传方案文件"},
    "en": {"lang": "English", "tabs": ("Zone", "Expansion check", "Saved proposals", "Zone list"), "check": "Check",
           "verdict": "Verdict: ", "saved": "Saved:", "name_label": "Proposal name", "zone_label": "Zone to expand",
           "export": "Export", "report": "Make check report PDF", "report_re": "check[-_]report", "pref": " (遂宁)",
           "nearest": "Suggested zone by nearest park", "upload": "Upload a proposal"},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_whole_journey(app, tmp_path, lang):
    tt = T[lang]
    name = f"射洪北片{lang}方案"
    if lang == "en":
        app.radio(app.el("lang"), "English")
        app.wait(lambda d: "Sichuan development zones planning map" in app.main_text(), 60, "English")
    app.tab(tt["tabs"][1])
    assert tt["upload"] in app.panel()
    app.upload(_txt_file(tmp_path, f"journey_{lang}", 300))
    # the zone is suggested from the nearest park
    zone_box = app.by_label(tt["zone_label"])
    app.wait(lambda d: app.selected(zone_box).startswith(ZONE_NAME), 60, "nearest zone suggested")
    assert tt["nearest"] in app.panel()
    app.button("run_check")
    app.wait(lambda d: tt["verdict"] in app.panel(), 180, "verdict")
    app.shot(f"{lang}_checked")

    # rename after the check: no re-check needed, the verdict stays
    app.type_text(app.by_label(tt["name_label"]), name, Keys.TAB)
    app.wait(lambda d: name in app.panel(), 60, "renamed")
    assert tt["verdict"] in app.panel()
    app.button("save_check")
    app.wait(lambda d: tt["saved"] in app.main_text(), 120, "saved")
    ws, table = _saved(app)
    assert name in set(table["name"])
    pid = int(table.loc[table["name"] == name, "id"].iloc[-1])
    assert ws.get_proposal(pid).zone_id == ZONE

    # another zone, then reopen
    app.select(zone_box, OTHER_NAME)
    app.wait(lambda d: tt["verdict"] not in app.panel(), 60, "verdict dropped")
    app.tab(tt["tabs"][2])
    app.wait_table()
    app.select(app.el("saved_multi"), f"#{pid} · {name}")
    app.shot(f"{lang}_tab_saved")
    app.button("saved_reopen")
    app.wait(lambda d: app.active_tab() == tt["tabs"][1], 120, "check tab shown")
    zone_box = app.by_label(tt["zone_label"])
    assert app.selected(zone_box) == f"{ZONE_NAME}{tt['pref']}"
    assert app.by_label(tt["name_label"]).find_element(By.TAG_NAME, "input").get_attribute("value") == name
    app.button("run_check")
    app.wait(lambda d: tt["verdict"] in app.panel(), 180, "verdict again")
    app.shot(f"{lang}_tab_check")
    # the result under the map: its heading carries the new name
    head = app.wait(lambda d: next((h for h in d.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"] h3')
                                    if name in h.text), False), 60, "result heading")
    app.d.execute_script("arguments[0].scrollIntoView({block: 'start'});", head)
    app.shot(f"{lang}_result", top=False)

    # export: the report is named 区名_方案名_核查报告_日期.pdf
    exp = app.wait(lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, '[data-testid="stExpander"]')
                                   if e.find_element(By.TAG_NAME, "summary").text.strip().splitlines()[-1:] == [tt["export"]]), False),
                   60, "export expander")
    summary = exp.find_element(By.TAG_NAME, "summary")
    if exp.find_element(By.TAG_NAME, "details").get_attribute("open") is None:
        app._click(summary)
        app.settle()
    app.button("make_report")
    dl = app.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".st-key-dl_report button"), 240, "report download")
    today = clock.today().strftime("%Y%m%d")  # Beijing date
    label = dl.text.strip()
    # 区名_方案名_日期.pdf; the name part is the new name and the report suffix ("_" inside a part reads "-")
    assert re.fullmatch(f"⬇ {ZONE_NAME}_{re.escape(name)}[-_]{tt['report_re']}_{today}\\.pdf", label), label
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    app.d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    app._click(dl)
    pdf = WebDriverWait(app.d, 60).until(
        lambda d: next((p for p in downloads.glob("*.pdf") if p.stat().st_size > 0), False), "report downloaded")
    assert pdf.name == label.removeprefix("⬇ ") and pdf.read_bytes()[:5] == b"%PDF-"
    app.assert_no_error()

    # every tab, looked at in this language
    for i, tab in enumerate(tt["tabs"]):
        app.tab(tab)
        app.wait(lambda d: app.panel().strip(), 60, f"tab {tab} drawn")
        app.shot(f"{lang}_tab{i + 1}")
    app.assert_no_error()
    app.assert_loopback_only()
