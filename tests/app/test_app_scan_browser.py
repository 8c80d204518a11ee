"""The 存量体检 tab in headless Chromium: scan a chemical zone, see its conflicting piece on the map, screenshot it.

Saves ``test-artifacts/scan_map.png`` (the tab with the map of the pieces);
``PARKMAP_SCAN_EXAMPLE=1`` also writes it to ``docs/examples/scan_example.png``.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from tests.browser_support import ARTIFACTS, ROOT, make_driver, network, require_browser, streamlit_app

require_browser()

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.timeout(400)

ZONE = "S519056"  # 合江临港工业园: its park lies within 1 km of the Yangtze, and the zone is chemical (专栏5)

#: Paths drawn in the river band's colour (layers.scan_panel.RIVER_STYLE) and all Leaflet paths.
PIECES_JS = """
const pieces = document.querySelectorAll('path[fill="#1e88e5"]').length;
const paths = document.querySelectorAll('path.leaflet-interactive').length;
return {pieces, paths};
"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    env = {"PARKMAP_HOME": str(tmp_path_factory.mktemp("home"))}
    with streamlit_app(tmp_path_factory.mktemp("log"), env, drop=("PARKMAP_DATA", "PARKMAP_DATABASE_URL"),
                       ports=(8900, 8990), timeout=90) as (url, log_path):
        yield url
    text = log_path.read_text()
    assert "Traceback" not in text, text


def _click(drv, element):
    drv.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def test_scan_pieces_on_the_map(app_url):
    drv = make_driver(1600, 1200)
    try:
        drv.get(app_url + "/")
        wait = WebDriverWait(drv, 120)
        tab = wait.until(lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, '[role="tab"]')
                                         if b.text.strip() == "存量体检"), False))
        _click(drv, tab)
        scope = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".st-key-scan_scope"))
        _click(drv, next(lab for lab in scope.find_elements(By.CSS_SELECTOR, "label") if lab.text.strip() == "开发区"))
        box = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".st-key-scan_zone"))
        inp = box.find_element(By.CSS_SELECTOR, "input[role=combobox]")
        _click(drv, inp)
        inp.send_keys(ZONE)
        option = wait.until(lambda d: next((o for o in d.find_elements(By.CSS_SELECTOR, '[role="option"]')
                                            if ZONE in o.text and o.is_displayed()), False))
        _click(drv, option)
        wait.until(lambda d: ZONE in inp.get_attribute("value"))
        time.sleep(1.0)
        _click(drv, wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".st-key-scan_run button")))
        wait.until(lambda d: "按市（州）汇总" in d.find_element(By.TAG_NAME, "body").text)
        frames = "iframe[srcdoc]"  # the scan's map: components.html with the assets inlined

        def scan_frame(d):
            for f in d.find_elements(By.CSS_SELECTOR, frames):
                d.switch_to.frame(f)
                found = d.execute_script(PIECES_JS)
                d.switch_to.default_content()
                if found and found["pieces"] > 0:
                    return f, found
            return False

        frame, found = wait.until(scan_frame)
        drv.execute_script("arguments[0].scrollIntoView({block: 'center'});", frame)
        assert found["pieces"] >= 1 and found["paths"] > found["pieces"]  # the piece and the parks/prefectures
        time.sleep(1.5)  # tiles are off (no basemap); let the vector layers settle
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "scan_map.png"
        panel = frame
        drv.execute_script("arguments[0].scrollIntoView({block: 'center'});", panel)
        heading = next(h for h in drv.find_elements(By.CSS_SELECTOR, "strong") if h.text.strip() == "按市（州）汇总")
        ActionChains(drv).move_to_element(heading).perform()
        drv.switch_to.frame(frame)  # no hover tooltip over the map in the picture
        drv.execute_script("const s = document.createElement('style');"
                           "s.textContent = '.leaflet-tooltip {display: none !important}';"
                           "document.head.appendChild(s);")
        drv.switch_to.default_content()
        time.sleep(0.5)
        panel.screenshot(str(shot))
        assert shot.stat().st_size > 10_000
        if os.environ.get("PARKMAP_SCAN_EXAMPLE"):
            shutil.copy(shot, ROOT / "docs" / "examples" / "scan_example.png")
        page = drv.find_element(By.TAG_NAME, "body").text
        assert "按市（州）汇总" in page and "位于长江干支流1公里内（化工园区）" in page
        _, failed = network(drv)
        assert not [f for f in failed if "favicon" not in f and "tile" not in f], failed
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        drv.switch_to.default_content()
        drv.save_screenshot(str(ARTIFACTS / "scan_failure.png"))
        raise
    finally:
        drv.quit()
