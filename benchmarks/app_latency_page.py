"""The browser side of :mod:`benchmarks.app_latency`: the JavaScript probes and the page driver.

:class:`Page` finds the sidebar's widgets by their visible label, reads the
live Leaflet map's state in the ``streamlit_folium`` iframe and waits until
an interaction has redrawn it (see the notes of :mod:`benchmarks.app_latency`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from benchmarks.app_latency import App

POLL_S = 0.02
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'

class BenchError(RuntimeError):
    """A step did not happen in time or an element was not found; the message says which."""


class AppCrash(BenchError):
    """The app showed an exception (``stException``) instead of the expected map."""


# --------------------------------------------------------------------------- browser-side probes

APP_JS = """
const app = document.querySelector('[data-testid="stApp"]');
return {state: app ? app.getAttribute('data-test-script-state') : null,
        conn: app ? app.getAttribute('data-test-connection-state') : null,
        status: !!document.querySelector('[data-testid="stStatusWidget"]'),
        frames: document.querySelectorAll('%s').length,
        exception: [...document.querySelectorAll('[data-testid="stException"]')].map(e => e.innerText).join(' | ')};
""" % MAP_IFRAME

MAP_JS = """
const [hl, roles, legendSel] = arguments;
const isLayer = (p) => { try { return !!(%s); } catch (e) { return false; } };
const m = window.map || (window.L && Object.values(window).find(v => v instanceof window.L.Map));
if (!m || !m._loaded) return null;
const out = {mark: window.__bench_mark || null, zones: 0, layer: 0, highlighted: [], roles: [], tip: '', paths: 0};
const isZone = (l) => l.feature && l.feature.properties && l.feature.properties.zone_id
                      && l.feature.geometry && l.feature.geometry.type === 'Point';
const tipText = (owner, l) => {  // tooltip bound to the marker or to its GeoJSON group (folium GeoJsonTooltip)
  const tt = owner.getTooltip && owner.getTooltip();
  if (!tt) return '';
  let c = tt._content;
  try { if (typeof c === 'function') c = c(l); } catch (e) { return ''; }
  const d = document.createElement('div');
  if (c instanceof Node) d.appendChild(c.cloneNode(true)); else d.innerHTML = String(c || '');
  return d.textContent.replace(/\s+/g, ' ').trim();
};
m.eachLayer(l => {
  if (!out.tip && l.getLayers) {
    const kid = l.getLayers().find(isZone);
    if (kid) out.tip = tipText(kid, kid) || tipText(l, kid);
  }
  const f = l.feature;
  if (!f || !f.properties || !f.geometry) return;
  if (l._path && !l._path.isConnected) return;
  const p = f.properties, o = l.options || {};
  out.paths++;
  if (p.zone_id && f.geometry.type === 'Point') {
    out.zones++;
    if (roles.includes(String(o.fillColor || '').toLowerCase())) out.roles.push(p.zone_id);
  }
  if (p.zone_id && String(o.color || '').toLowerCase() === hl) out.highlighted.push(p.zone_id);
  if (isLayer(p)) out.layer++;
});
out.highlighted = [...new Set(out.highlighted)].sort();
out.roles = [...new Set(out.roles)].sort();
const lg = document.querySelector(legendSel);
out.lang_text = out.tip + ' ' + (lg ? lg.innerText.replace(/\s+/g, ' ').trim() : '');
delete out.tip;
return out;
"""

FIND_JS = """
const [kind, label, option] = arguments;
const sel = {checkbox: '[data-testid="stCheckbox"]', radio: '[data-testid="stRadio"]',
             selectbox: '[data-testid="stSelectbox"]'}[kind];
const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim();
for (const w of document.querySelectorAll(sel)) {
  if (kind === 'checkbox') {
    if (norm(w.innerText) === label) return w.querySelector('label') || w;
    continue;
  }
  const lab = w.querySelector('[data-testid="stWidgetLabel"]');
  if (!lab || norm(lab.innerText) !== label) continue;
  if (kind === 'selectbox') return w.querySelector('input') || w.querySelector('[data-baseweb="select"]');
  for (const o of w.querySelectorAll('label')) if (norm(o.innerText) === option) return o;
}
return null;
"""

OPTION_JS = """
const want = arguments[0];
const opts = [...document.querySelectorAll('[role="option"]')].map(o => [o, (o.innerText || '').trim()]);
const hit = opts.find(([o, t]) => t === want) || opts.find(([o, t]) => t.startsWith(want))
            || opts.find(([o, t]) => t.includes(want));
return hit ? hit[0] : null;
"""


class Page:
    """A Chromium page on one app: finds widgets by label, reads the map state, waits for redraws."""

    def __init__(self, drv, app: App, timeout: float):
        self.drv, self.app, self.timeout = drv, app, timeout
        self.lb = app.v.labels
        self._mark = 0

    # map state ---------------------------------------------------------------

    def app_state(self) -> dict:
        self.drv.switch_to.default_content()
        return self.drv.execute_script(APP_JS)

    def map_state(self) -> dict | None:
        """State of the map in the (last) map iframe, or None while there is no finished Leaflet map."""
        from selenium.common.exceptions import WebDriverException

        drv = self.drv
        try:
            drv.switch_to.default_content()
            frames = drv.find_elements("css selector", MAP_IFRAME)
            if not frames:
                return None
            drv.switch_to.frame(frames[-1])
            st = drv.execute_script(MAP_JS % self.lb["layer_feature_js"], self.lb["highlight"].lower(),
                                    [c.lower() for c in self.lb["role_colors"]], self.lb["legend_selector"])
            if st is not None:
                st["frames"] = len(frames)
            return st
        except WebDriverException:  # frame replaced or still loading
            return None
        finally:
            try:
                drv.switch_to.default_content()
            except WebDriverException:
                pass

    def set_mark(self) -> str:
        """Tag the current map window; after the action, a missing tag means the iframe was rebuilt."""
        from selenium.common.exceptions import WebDriverException

        self._mark += 1
        mark = f"m{self._mark}"
        drv = self.drv
        try:
            drv.switch_to.default_content()
            drv.switch_to.frame(drv.find_elements("css selector", MAP_IFRAME)[-1])
            drv.execute_script("window.__bench_mark = arguments[0];", mark)
        except (WebDriverException, IndexError) as e:
            raise BenchError(f"cannot reach the map iframe: {e}") from e
        finally:
            drv.switch_to.default_content()
        return mark

    def wait(self, pred, what: str, *, idle: bool = True) -> tuple[float, dict]:
        """Poll until ``pred(map_state)`` holds and, read after it, the Streamlit run is over; (time, state)."""
        deadline = time.monotonic() + self.timeout
        st: dict | None = None
        app: dict | None = None
        while True:
            st = self.map_state()
            t_map = time.perf_counter()
            ok = st is not None and pred(st)
            if ok and not idle:
                return t_map, st
            app = self.app_state()  # read *after* the map: the rerun that drew it had started
            if app["exception"] and app["state"] == "notRunning":
                raise AppCrash(f"{self.app.v.name}: the app raised an exception while waiting for {what}: "
                               + app["exception"].strip().splitlines()[0][:160])
            if ok and app["state"] == "notRunning" and not app["status"] and app["frames"] == 1:
                return time.perf_counter(), st
            if time.monotonic() > deadline:
                short = None if st is None else {k: (v if not isinstance(v, list) or len(v) < 6 else f"{len(v)} items")
                                                 for k, v in st.items()}
                tail = f"\n{self.app.log_tail()}" if self.app.tracebacks() else ""
                raise BenchError(f"{self.app.v.name}: {what} not seen within {self.timeout:.0f} s; "
                                 f"page {app}, map {short}{tail}")
            time.sleep(POLL_S)

    # widgets ---------------------------------------------------------------

    def find(self, kind: str, label: str, option: str = ""):
        self.drv.switch_to.default_content()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            el = self.drv.execute_script(FIND_JS, kind, label, option)
            if el is not None:
                return el
            time.sleep(0.1)
        raise BenchError(f"{self.app.v.name}: no {kind} labelled {label!r}{' with option ' + repr(option) if option else ''}"
                         " in the page (adapt LABELS)")

    def act(self, kind: str, label: str, option: str = "") -> float:
        """Perform the user action; returns the perf_counter time of the final click (t0)."""
        from selenium.webdriver.common.keys import Keys

        el = self.find(kind, label, option)
        self.drv.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
        if kind in ("checkbox", "radio"):
            t0 = time.perf_counter()
            el.click()
            return t0
        # selectbox: open, type to filter, click the option containing the text
        el.click()
        try:
            el.send_keys(option)
        except Exception:  # not a text input: the list is open, pick from it
            pass
        deadline = time.monotonic() + 10
        while True:
            opt = self.drv.execute_script(OPTION_JS, option)
            if opt is not None:
                break
            if time.monotonic() > deadline:
                el.send_keys(Keys.ESCAPE)
                raise BenchError(f"{self.app.v.name}: option containing {option!r} not offered by {label!r}")
            time.sleep(0.05)
        t0 = time.perf_counter()
        opt.click()
        return t0
