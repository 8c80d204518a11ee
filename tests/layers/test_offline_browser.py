"""The map renders in a real browser with every CDN unreachable.

Headless Chromium is started with ``--host-resolver-rules`` that make every
host but 127.0.0.1 unresolvable, so any asset still pointing at a CDN fails.
Three pages are checked:

1. a folium map after ``use_local_assets`` with assets served by
   ``python -m http.server`` from the repository's ``static/`` directory;
2. the same map as one self-contained file (``inline_assets``) over file://;
3. ``streamlit run`` of ``tests/layers/_offline_app.py`` with the repository's
   ``.streamlit/config.toml`` (static serving) and ``st_folium``: the map inside
   the component iframe.

Screenshots go to ``test-artifacts/``. Skipped when chromium, chromedriver or
selenium is missing (``scripts/install-system.sh`` installs the first two).
"""

from __future__ import annotations

import os
import shutil
import time
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.browser_support import (
    ARTIFACTS,
    ROOT,
    free_port,
    make_driver,
    network,
    require_browser,
    stop,
    wait_http,
)

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from tests.layers._offline_app import build_map  # noqa: E402

from layers.assets import external_urls, inline_assets, use_local_assets  # noqa: E402

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def driver():
    drv = make_driver()
    yield drv
    drv.quit()


def _asset_failures(failed: list[str]) -> list[str]:
    return [f for f in failed if "favicon.ico" not in f]


def _remote(urls: list[str]) -> list[str]:
    return [u for u in urls if u.startswith(("http://", "https://")) and not u.startswith("http://127.0.0.1")]


def _wait_map(drv, n_paths: int = 4) -> None:
    WebDriverWait(drv, 45).until(
        lambda d: d.execute_script(
            "return !!window.L && document.querySelectorAll('.leaflet-container').length > 0"
            f" && document.querySelectorAll('.leaflet-container path.leaflet-interactive').length >= {n_paths}"
        )
    )


def _check_map_dom(drv) -> dict:
    state = drv.execute_script(
        """
        const q = s => document.querySelectorAll(s).length;
        return {
          leaflet: window.L && L.version,
          containers: q('.leaflet-container'),
          paths: q('.leaflet-container path.leaflet-interactive'),
          draw: q('.leaflet-draw-toolbar a'),
          fullscreen: q('.leaflet-control-zoom-fullscreen'),
          layers: q('.leaflet-control-layers'),
          marker: q('.awesome-marker'),
          icons: Array.from(document.querySelectorAll('img.leaflet-marker-icon, img.leaflet-marker-shadow'))
                   .map(i => [i.src.slice(0, 120), i.complete && i.naturalWidth > 0]),
          legend: q('.legend svg, svg.legend, #legend'),
          glyph: getComputedStyle(document.querySelector('.awesome-marker i') || document.body).fontFamily,
          drawSprite: getComputedStyle(document.querySelector('.leaflet-draw-toolbar a') || document.body).backgroundImage,
        };
        """
    )
    assert state["leaflet"] == "1.9.3", state
    assert state["containers"] >= 1 and state["paths"] >= 4, state
    assert state["draw"] >= 4, state  # polyline, polygon, rectangle, circle, marker...
    assert state["fullscreen"] == 1 and state["layers"] == 1 and state["marker"] >= 1, state
    assert "Glyphicons Halflings" in state["glyph"], state
    # Leaflet's default marker + shadow images found and decoded
    assert len(state["icons"]) == 2 and all(ok for _, ok in state["icons"]), state["icons"]
    assert "spritesheet" in state["drawSprite"] or 'url("data:image/svg' in state["drawSprite"], state
    return state


def _fonts_loaded(drv) -> list[str]:
    return drv.execute_script(
        """
        return document.fonts.ready.then(() =>
          Array.from(document.fonts).filter(f => f.status === 'loaded').map(f => f.family));
        """
    )


def _screenshot(drv, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    drv.save_screenshot(str(path))
    return path


def test_folium_page_offline(driver, tmp_path):
    port = free_port()
    site = tmp_path / "site"
    site.mkdir()
    (site / "vendor").symlink_to(ROOT / "static" / "vendor", target_is_directory=True)
    m = use_local_assets(build_map(), f"http://127.0.0.1:{port}/vendor", strict=True)
    html = m.get_root().render()
    assert external_urls(html) and not _remote(external_urls(html))  # all on 127.0.0.1
    (site / "map.html").write_text(html, encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/vendor/MANIFEST.json", timeout=30)
        driver.get_log("performance")  # drop anything earlier
        driver.get(f"http://127.0.0.1:{port}/map.html")
        _wait_map(driver)
        _check_map_dom(driver)
        fonts = _fonts_loaded(driver)
        assert "Glyphicons Halflings" in fonts, fonts
        requested, failed = network(driver)
        assert not _asset_failures(failed), failed
        assert not _remote(requested), _remote(requested)
        assert any(u.endswith("/vendor/leaflet@1.9.3/dist/leaflet.js") for u in requested)
        assert any(u.endswith("glyphicons-halflings-regular.woff2") for u in requested)
        assert any(u.endswith("/d3@3.5.5/d3.min.js") for u in requested)
        _screenshot(driver, "offline_folium.png")
    finally:
        stop(server)


def test_inline_export_offline(driver, tmp_path):
    html = inline_assets(use_local_assets(build_map(), strict=True).get_root().render(), strict=True)
    assert external_urls(html) == []
    page = tmp_path / "export.html"
    page.write_text(html, encoding="utf-8")
    driver.get_log("performance")
    driver.get(page.as_uri())
    _wait_map(driver)
    _check_map_dom(driver)
    assert "Glyphicons Halflings" in _fonts_loaded(driver)
    requested, failed = network(driver)
    assert not _asset_failures(failed), failed
    # one file: nothing but the page itself and data: URIs
    assert [u for u in requested if not u.startswith("data:")] == [page.as_uri()], requested
    _screenshot(driver, "offline_inline_export.png")


@pytest.fixture(scope="module")
def streamlit_app(tmp_path_factory):
    """`streamlit run` of _offline_app.py from the repository root (so the
    repository's .streamlit/config.toml applies) with ./static next to it."""
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert "enableStaticServing = true" in config
    app_dir = tmp_path_factory.mktemp("app")
    shutil.copy(ROOT / "tests" / "layers" / "_offline_app.py", app_dir / "offline_app.py")
    (app_dir / "static").symlink_to(ROOT / "static", target_is_directory=True)
    port = free_port(8510)
    env = dict(os.environ)  # layers comes from the install
    env.pop("PARKMAP_TEST_BASE_URL", None)
    log = (tmp_path_factory.mktemp("log") / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(app_dir / "offline_app.py"),
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.headless", "true", "--server.fileWatcherType", "none",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=90)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
        log.close()


def test_static_serving_content_types(streamlit_app):
    for rel, ctype in (
        ("leaflet@1.9.3/dist/leaflet.js", "javascript"),
        ("leaflet@1.9.3/dist/leaflet.css", "text/css"),
        ("leaflet@1.9.3/dist/images/marker-icon.png", "image/png"),
    ):
        with urllib.request.urlopen(f"{streamlit_app}/app/static/vendor/{rel}", timeout=10) as r:
            assert r.status == 200
            assert ctype in r.headers["Content-Type"], (rel, r.headers["Content-Type"])


def test_streamlit_st_folium_offline(driver, streamlit_app):
    driver.get_log("performance")
    driver.get(streamlit_app + "/")
    WebDriverWait(driver, 60).until(
        lambda d: "page-ready" in d.find_element(By.TAG_NAME, "body").text
        and d.find_elements(By.CSS_SELECTOR, "iframe[src*='st_folium']")
    )
    frame = driver.find_element(By.CSS_SELECTOR, "iframe[src*='st_folium']")
    src = frame.get_attribute("src")
    driver.switch_to.frame(frame)
    try:
        _wait_map(driver)
        state = _check_map_dom(driver)
        fonts = _fonts_loaded(driver)
    finally:
        driver.switch_to.default_content()
    assert "Glyphicons Halflings" in fonts, fonts
    requested, failed = network(driver)
    assert not _asset_failures(failed), failed
    assert not _remote(requested), _remote(requested)
    vendor = [u for u in requested if "/app/static/vendor/" in u]
    assert any(u.endswith("leaflet@1.9.3/dist/leaflet.js") for u in vendor), vendor
    assert any(u.endswith("d3@4.13.0/d3.min.js") for u in vendor), vendor  # st_folium's own d3 link
    time.sleep(0.5)
    _screenshot(driver, "offline_streamlit.png")
    assert "/component/" in src and state["paths"] >= 4
