"""Exports in headless Chromium: the browser-rendered PNG page and the offline HTML map.

Skipped when chromium, chromedriver or selenium is missing (scripts/install-system.sh).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.browser_support import ARTIFACTS, make_driver, network, require_browser

require_browser()

from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from tests.layers.export.test_static import assert_page_content, crop, image  # noqa: E402

from layers.export import (  # noqa: E402
    layout_for,
    page_text,
    parse_page_size,
    print_page_html,
    render_browser,
    render_static,
    snapshot_html,
)
from layers.assets import external_urls  # noqa: E402
from layers.compose import DEFAULT_ACTIVE, MapView, load_frames  # noqa: E402

pytestmark = pytest.mark.timeout(300)
REGIONS = ("chengdu_plain_economic_region", "southern_sichuan_economic_region")


@pytest.fixture(scope="module")
def frames():
    return load_frames()


@pytest.fixture(scope="module")
def view():
    return MapView(active=DEFAULT_ACTIVE, regions=REGIONS)


@pytest.fixture(scope="module")
def browser_a4l(frames, view):
    snap = render_browser(view, frames, "A4L", 150, date="2026-11-23")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "export_browser_A4L.png").write_bytes(snap.png)
    return snap


@pytest.fixture(scope="module")
def driver():
    drv = make_driver()
    yield drv
    drv.quit()


def test_browser_png_size_and_content(browser_a4l, frames, view):
    assert browser_a4l.renderer == "browser" and browser_a4l.size == (1754, 1240)
    assert browser_a4l.tiles.get("layers") == 0  # basemap none: nothing to wait for
    assert_page_content(browser_a4l.png, view, frames)


def test_browser_300dpi_portrait_size(frames):
    snap = render_browser(MapView(highlighted="S519119"), frames, "A4P", 300)
    assert snap.size == (2480, 3508)
    assert image(snap.png).std() > 20


def test_legend_matches_the_static_reference(browser_a4l, frames, view):
    """Same legend in the same place: the ink of the browser's legend panel overlaps the static one's."""
    static = render_static(view, frames, "A4L", 150, date="2026-11-23")
    lay = layout_for(parse_page_size("A4L"), page_text(view, frames))
    a = crop(image(browser_a4l.png), lay.panel, 1754 / 297)
    b = crop(image(static.png), lay.panel, 1754 / 297)
    ink_a, ink_b = a.min(axis=2) < 200, b.min(axis=2) < 200
    rows_a, rows_b = ink_a.any(axis=1), ink_b.any(axis=1)
    # same rows carry ink (legend lines at the same heights) ...
    assert (rows_a & rows_b).sum() / max((rows_a | rows_b).sum(), 1) > 0.7
    # ... and the swatch column (first 7 mm) has the same colours
    sw = int(7 * 1754 / 297)
    for img in (a, b):
        assert (np.abs(img[:, :sw] - np.array([31, 95, 191])).max(axis=2) < 12).sum() > 40


def test_unreachable_tiles_do_not_block_the_picture(frames):
    snap = render_browser(MapView(basemap="osm", highlighted="S519119"), frames, "A4L", 96, tile_timeout=3,
                          offline=True)
    assert snap.size == parse_page_size("A4L").pixels(96)
    assert snap.tiles["layers"] == 1 and snap.tiles["loaded"] == 0 and snap.tiles["errors"] > 0


def test_print_page_fonts_and_no_remote_assets(tmp_path, driver, frames, view):
    html = print_page_html(view, frames, "A4L")
    assert external_urls(html) == []
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    network(driver)
    driver.get(path.as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return window.__pmReady === true"))
    assert driver.execute_script("return document.fonts.check(\"16px 'Noto Sans CJK SC'\", '开发区规划地图')")
    _, failed = network(driver)
    assert [f for f in failed if "favicon" not in f] == []


def test_html_export_opens_offline_and_draws_zone_paths(tmp_path, driver, frames):
    view = MapView(active=DEFAULT_ACTIVE, regions=REGIONS, highlighted="S519119")
    html = snapshot_html(view, frames, date="2026-11-23").decode("utf-8")
    assert external_urls(html) == [] and "<title>" in html
    path = tmp_path / "map.html"
    path.write_text(html, encoding="utf-8")
    network(driver)
    driver.get(path.as_uri())
    WebDriverWait(driver, 45).until(lambda d: d.execute_script(
        "return !!window.L && document.querySelectorAll('.leaflet-container path.leaflet-interactive').length > 5"))
    state = driver.execute_script("""
        const paths = [...document.querySelectorAll('.leaflet-container path.leaflet-interactive')];
        return {paths: paths.length,
                circles: paths.filter(p => (p.getAttribute('d') || '').includes('a5,5')).length,
                legend: !!document.querySelector('.parkmap-legend'),
                notice: !!document.querySelector('.parkmap-notice'),
                info: (document.querySelector('.pm-html-info') || {}).textContent || ''};
    """)
    assert state["circles"] >= 1 and state["paths"] > 5, state  # zone markers, parks, counties
    assert state["legend"] and state["notice"] and "石棉工业园" in state["info"]
    requested, failed = network(driver)
    assert [u for u in requested if u.startswith("http")] == []
    assert [f for f in failed if "favicon" not in f] == []
