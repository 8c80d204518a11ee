"""The real app in headless Chromium with no network beyond 127.0.0.1 (issue #3).

Starts ``streamlit run app.py``, checks the Leaflet map inside the
streamlit-folium iframe draws at least every zone and park in the data, that
the legend (below the map) and the illustrative notice (above it) are on the
page and not over the map, clicks a zone and waits for the zone panel, and
saves screenshots under ``test-artifacts/``.
"""

from __future__ import annotations


import pytest

from tests.browser_support import (
    ARTIFACTS,
    make_driver,
    network,
    require_browser,
    streamlit_app,
)

require_browser()

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo.dataset import load_layer
from tests.conftest import HOSTILE

pytestmark = pytest.mark.timeout(400)

COUNT_JS = """
if (!window.L) return null;
const map = Object.values(window).find(v => v instanceof L.Map);
if (!map) return null;
const out = {zones: 0, parks: 0, drawn: 0, alerts: window.__alerts || 0};
map.eachLayer(l => {
  const p = l.feature && l.feature.properties;
  if (!p || !p.zone_id || !l._path || !document.body.contains(l._path)) return;
  if (l.feature.geometry.type === 'Point') out.zones++; else if (p.park_id || p.name) out.parks++;
});
return out;
"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, hostile_data_dir):
    env = {"PARKMAP_DATA": str(hostile_data_dir),
           "PARKMAP_HOME": str(tmp_path_factory.mktemp("home"))}  # never the planner's own workspace
    with streamlit_app(tmp_path_factory.mktemp("log"), env, ports=(8620, 8700), timeout=90) as (url, log_path):
        yield url
    text = log_path.read_text()
    assert "Traceback" not in text, text


@pytest.fixture(scope="module")
def driver():
    drv = make_driver(1600, 1050)
    yield drv
    drv.quit()


def _enter_map(drv):
    drv.switch_to.default_content()
    frame = WebDriverWait(drv, 90).until(
        lambda d: d.find_element(By.CSS_SELECTOR, 'iframe[title="streamlit_folium.st_folium"]')
    )
    drv.switch_to.frame(frame)
    WebDriverWait(drv, 90).until(lambda d: (d.execute_script(COUNT_JS) or {}).get("zones", 0) > 0)


def test_map_draws_all_zones_and_parks_and_click_fills_panel(driver, app_url):
    zones, parks = load_layer("zones"), load_layer("parks")
    driver.get_log("performance")
    driver.get(app_url + "/")
    _enter_map(driver)
    # hostile names must never execute: count alert() calls
    driver.execute_script("window.__alerts = 0; window.alert = () => { window.__alerts++; };")
    counts = driver.execute_script(COUNT_JS)
    assert counts["zones"] >= len(zones), counts
    assert counts["parks"] >= len(parks), counts
    # nothing is drawn over the map: the legend and the notice live on the page, not in the map
    assert driver.execute_script("return document.querySelectorAll('.parkmap-legend, .parkmap-notice').length") == 0
    driver.switch_to.default_content()
    # the legend is below the map (an expander 图例), the illustrative notice is the warning above it
    rows = WebDriverWait(driver, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".parkmap-legend .pm-legend-row"))
    assert len(rows) >= 6 and all(r.text.strip() for r in rows), [r.text for r in rows]
    frame_box = driver.find_element(By.CSS_SELECTOR, 'iframe[title="streamlit_folium.st_folium"]').rect
    legend_box = driver.find_element(By.CSS_SELECTOR, ".parkmap-legend").rect
    assert legend_box["y"] >= frame_box["y"] + frame_box["height"] - 1, (legend_box, frame_box)
    notices = [a for a in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stAlert"]') if "示意数据" in a.text]
    assert notices and notices[0].rect["y"] + notices[0].rect["height"] <= frame_box["y"] + 1, frame_box
    ARTIFACTS.mkdir(exist_ok=True)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", rows[0])
    driver.save_screenshot(str(ARTIFACTS / "app_legend.png"))
    driver.execute_script("window.scrollTo(0, 0); document.querySelectorAll('[data-testid=stMain]')"
                          ".forEach(e => { e.scrollTop = 0; });")
    driver.save_screenshot(str(ARTIFACTS / "app_province.png"))

    # click the marker of 射洪经开区 (its name carries an HTML-injection string in this data copy)
    _enter_map(driver)
    driver.execute_script(
        """
        const map = Object.values(window).find(v => v instanceof L.Map);
        map.eachLayer(l => { if (l.feature && l.feature.geometry.type === 'Point'
                                && l.feature.properties.zone_id === 'S517077') window.__hit = l; });
        map.setView(window.__hit.getLatLng(), 11, {animate: false});
        """
    )
    # wait until the re-rendered marker is the topmost element at its own centre
    top_js = """const r = window.__hit._path.getBoundingClientRect();
                return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === window.__hit._path;"""
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(top_js))
    el = driver.execute_script("return window.__hit._path")
    driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));", el)
    tooltip = WebDriverWait(driver, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, ".leaflet-tooltip"))
    assert HOSTILE in tooltip.text  # shown as text
    assert not tooltip.find_elements(By.TAG_NAME, "img")
    # a real click at the marker: whichever of the zone's features is on top (marker or park) selects it
    ActionChains(driver).move_to_element(el).click().perform()
    driver.switch_to.default_content()
    try:
        WebDriverWait(driver, 60).until(
            lambda d: any("射洪" in h.text for h in d.find_elements(By.CSS_SELECTOR, "h3, h2"))
        )
    finally:
        driver.save_screenshot(str(ARTIFACTS / "app_after_click.png"))
    heads = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "h3")]
    assert any(HOSTILE in h for h in heads), heads
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "园区数" in body and "核准面积" in body
    _enter_map(driver)
    assert driver.execute_script("return window.__alerts || 0") == 0
    driver.switch_to.default_content()
    driver.save_screenshot(str(ARTIFACTS / "app_zone_clicked.png"))
    _, failed = network(driver)
    assert not [f for f in failed if "favicon" not in f and "tile" not in f], failed
