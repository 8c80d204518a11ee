"""The 可扩区用地 tab in headless Chromium: the candidates drawn on the live map with their rank, 用作方案.

Uses the page driver and fixtures of :mod:`tests.app.test_app_journey_browser`
(one app process on the embedded data, loopback only).  The screenshot is
``test-artifacts/journey_sites.png`` (``docs/examples/sites_example.png`` is a
copy of one such run).
"""

from __future__ import annotations

import pytest

from tests.browser_support import require_browser

require_browser()

from tests.app.test_app_journey_browser import App, app, driver, server  # noqa: E402,F401  (fixtures)

pytestmark = pytest.mark.timeout(600)

SITES_JS = """
let n = 0;
map.eachLayer(l => {
  const p = l.feature && l.feature.properties;
  if (p && String(p.name || '').startsWith('可扩区候选') && l._path && document.body.contains(l._path)) n++;
});
return {sites: n, labels: document.querySelectorAll('.pm-site-label').length};
"""


def test_candidates_on_the_map_then_used_as_proposal(app: App):  # noqa: F811  (the imported fixture)
    app.tab("可扩区用地")
    app.select(app.el("sites_zone"), "射洪经开区")
    app.checkbox(app.el("sites_chemical"))
    app.button("sites_find")
    seen = app.wait(lambda d: (lambda r: r if r and r["sites"] > 0 and r["labels"] > 0 else False)(app.map_js(SITES_JS)),
                    120, "candidates on the map")
    assert seen["sites"] == seen["labels"] >= 1
    assert "候选比较" in app.panel() and "用作方案" in app.panel()
    app.assert_no_error()
    app.shot("sites")
    app.button("sites_use_1")
    app.wait(lambda d: app.active_tab() == "扩区核查", 60, "check tab open")
    app.button("run_check")
    app.wait(lambda d: "核查结果" in app.main_text() and "可扩区候选1" in app.main_text(), 120, "checked")
    app.assert_no_error()
    app.shot("sites_checked")
