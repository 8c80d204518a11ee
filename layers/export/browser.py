"""The browser renderer: the folium map in a print-layout page, photographed by headless Chromium.

The map of :func:`layers.compose.compose_map` sits inside a print-layout page
(the layout boxes of :mod:`layers.export.page` in CSS mm), all assets inlined (no
CDN), opened from ``file://`` in headless Chromium (Debian ``chromium`` +
``chromium-driver``, driven by selenium) with a device scale factor of
dpi/96; the screenshot is the exact page.  With a basemap, tiles are waited
for (``load`` events, ``tile_timeout`` seconds) and the page says so when
they were unreachable.  With ``basemap="none"`` every host is blocked:
nothing leaves the machine.
"""

from __future__ import annotations

import functools
import html
import json
import math
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo import settings
from geo.errors import ParkmapError
from layers.export.page import (
    PageLayout,
    PageSize,
    PageText,
    Snapshot,
    _exact_size,
    _l,
    check_dpi,
    layout_for,
    legend_columns,
    page_text,
    parse_page_size,
)

if TYPE_CHECKING:  # pragma: no cover
    from layers.compose import MapView

CHROMIUM = settings.chromium()  # PARKMAP_CHROMIUM, read once at import
CHROMEDRIVER = settings.chromedriver()  # PARKMAP_CHROMEDRIVER


def browser_available() -> bool:
    """True when chromium, chromedriver and selenium are all present."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        return False
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return True


_NORTH_SVG = """<svg viewBox="0 0 40 60" xmlns="http://www.w3.org/2000/svg" width="100%" height="100%">
<polygon points="20,4 33,46 20,38" fill="#222"/><polygon points="20,4 7,46 20,38" fill="#fff" stroke="#222" stroke-width="1.6"/>
<polygon points="20,4 33,46 20,38" fill="none" stroke="#222" stroke-width="1.6"/>
<text x="20" y="58.5" text-anchor="middle" font-size="14" font-weight="700" fill="#222"
 font-family="'Noto Sans CJK SC',sans-serif">{label}</text></svg>"""


def _swatch_html(kind: str, color: str) -> str:
    c = html.escape(color)
    if kind == "dot":
        return f'<span class="sw sw-dot" style="background:{c}"></span>'
    if kind == "fill":
        return f'<span class="sw sw-fill" style="background:{c}"></span>'
    style = "dashed" if kind == "dash" else "solid"
    return f'<span class="sw sw-line" style="border-top:0.8mm {style} {c}"></span>'


_PRINT_CSS = """
html,body{margin:0;padding:0;background:#fff;}
body{width:{W}mm;height:{H}mm;position:relative;overflow:hidden;
 font-family:'Noto Sans CJK SC','Noto Sans CJK','Microsoft YaHei',sans-serif;color:#222;}
.pm-box{position:absolute;box-sizing:border-box;}
#{MAP}{position:absolute !important;{MAPBOX} !important;border:0.3mm solid #333;box-sizing:border-box;}
.pm-title{display:flex;align-items:flex-end;justify-content:space-between;border-bottom:0.5mm solid #333;padding-bottom:1.2mm;}
.pm-title h1{font-size:15pt;font-weight:700;margin:0;line-height:1.15;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;}
.pm-title .pm-date{font-size:9pt;white-space:nowrap;margin-left:4mm;}
.pm-panel{font-size:8.5pt;line-height:1.3;overflow:hidden;}
.pm-panel h2{font-size:10pt;margin:0 0 1.5mm 0;}
.pm-legend{columns:{COLS};column-gap:4mm;}
.pm-legend .row{display:flex;align-items:center;break-inside:avoid;min-height:4.6mm;}
.pm-legend .sw{flex:none;display:inline-block;margin-right:2mm;}
.sw-dot{width:3mm;height:3mm;border-radius:50%;}
.sw-fill{width:4.5mm;height:3.2mm;border:0.25mm solid #555;opacity:.8;}
.sw-line{width:5mm;height:0;}
.pm-info{margin-top:2.5mm;border-top:0.25mm solid #999;padding-top:1.5mm;color:#333;}
.pm-info div{margin-bottom:0.4mm;}
.pm-footer{font-size:7pt;line-height:1.3;border-top:0.25mm solid #999;padding-top:1mm;overflow:hidden;}
.pm-footer .pm-notice{color:#a50f15;font-weight:700;font-size:7.5pt;margin-top:0.6mm;}
.pm-north{position:absolute;z-index:1000;right:4mm;top:4mm;width:9mm;height:13.5mm;pointer-events:none;}
.leaflet-control-scale-line{font-size:8pt;border-width:0.5mm;border-color:#222;background:rgba(255,255,255,.8);
 color:#222;padding:0 1.2mm;}
.leaflet-control-attribution{font-size:6.5pt;}
.leaflet-bottom.leaflet-left .leaflet-control-scale{margin-left:4mm;margin-bottom:4mm;}
"""

_READY_JS = """
(function (map) {
  window.__pmReady = false;
  window.__pmTiles = {loaded: 0, errors: 0, layers: 0};
  var tiles = [];
  map.eachLayer(function (l) { if (l instanceof L.TileLayer) { tiles.push(l); } });
  window.__pmTiles.layers = tiles.length;
  L.control.scale({metric: true, imperial: false, maxWidth: {SCALE_PX}, position: 'bottomleft'}).addTo(map);
  function finish() {
    if (window.__pmReady) { return; }
    var t = window.__pmTiles;
    if (t.layers && !t.loaded) {
      var el = document.getElementById('pm-tiles-note');
      if (el) { el.textContent = {TILES_OFF}; }
    }
    var go = function () { requestAnimationFrame(function () { requestAnimationFrame(function () { window.__pmReady = true; }); }); };
    if (document.fonts && document.fonts.ready) { document.fonts.ready.then(go); } else { go(); }
  }
  if (!tiles.length) { finish(); return; }
  var left = tiles.length;
  tiles.forEach(function (l) {
    l.on('tileload', function () { window.__pmTiles.loaded++; });
    l.on('tileerror', function () { window.__pmTiles.errors++; });
    l.once('load', function () { left--; if (left <= 0) { finish(); } });
  });
  setTimeout(finish, {TIMEOUT_MS});
})({MAP});
"""


def print_page_html(view: MapView, frames: Mapping[str, Any], page: PageSize | str = "A4L", *,
                    date: str | None = None, tile_timeout: float = 8.0, proposal_name: str = "") -> str:
    """The print-layout page of ``view`` as one HTML document (assets inlined).

    The map is :func:`layers.compose.compose_map` (clipped to the view, no
    layer control, fractional zoom so the bounds fit exactly) placed in the
    map box of :func:`page_layout`; legend, texts, north arrow and scale bar
    around it.  ``window.__pmReady`` turns true once paths, fonts and
    (reachable) tiles are drawn.
    """
    from branca.element import Element

    from layers.assets import inline_assets
    from layers.compose import compose_map

    page = parse_page_size(page)
    text = page_text(view, frames, date, proposal_name)
    lay = layout_for(page, text)
    m = compose_map(view, frames, clip=True, layer_control=False, overlays=False)
    m.options["zoomSnap"] = 0
    m.options["zoomDelta"] = 0.25
    m.options["zoom_control"] = False
    for opt in ("zoomAnimation", "fadeAnimation", "markerZoomAnimation"):
        m.options[opt] = False  # the picture must not catch a zoom animation half-way
    m.control_scale = False
    name = m.get_name()
    cols = legend_columns(page)
    css = (_PRINT_CSS.replace("{W}", f"{page.width_mm:g}").replace("{H}", f"{page.height_mm:g}")
           .replace("{MAP}", name).replace("{MAPBOX}", lay.map.css().replace(";", " !important;"))
           .replace("{COLS}", str(cols)))
    fig = m.get_root()
    fig.header.add_child(Element(f"<style>{css}</style>"), name="pm_print_css")
    fig.html.add_child(Element(_page_body_html(lay, text, view)), name="pm_print_body")
    scale_px = int(min(lay.map.w * 0.3, 45) / 25.4 * 96)
    tiles_note = json.dumps(f"{_l('basemap', view.lang)}: {_l('tiles_off', view.lang)}", ensure_ascii=False)
    js = (_READY_JS.replace("{MAP}", name).replace("{SCALE_PX}", str(scale_px))
          .replace("{TIMEOUT_MS}", str(int(tile_timeout * 1000))).replace("{TILES_OFF}", tiles_note))
    script_after(js).add_to(m)  # rendered after every layer of the map
    return inline_assets(fig.render())


def _page_body_html(lay: PageLayout, text: PageText, view: MapView) -> str:
    e = html.escape
    legend = "".join(f'<div class="row">{_swatch_html(k, c)}<span>{e(label)}</span></div>' for k, c, label in text.legend)
    info = "".join(f"<div>{e(line)}</div>" for line in text.info)
    tiles = ""
    if view.basemap != "none":
        from layers.render import BASEMAPS

        if BASEMAPS.get(view.basemap, {}).get("needs_key") and not view.tianditu_key:
            tiles = e(f"{_l('basemap', view.lang)}: {_l('no_key', view.lang)}")
    notice = f'<div class="pm-notice">{e(text.notice)}</div>' if text.notice else ""
    north = _NORTH_SVG.format(label="北" if view.lang == "zh" else "N")
    mb = lay.map
    return (
        f'<div class="pm-box pm-title" style="{lay.title.css()}"><h1>{e(text.title)}</h1>'
        f'<span class="pm-date">{e(text.date)}</span></div>'
        f'<div class="pm-box" style="{mb.css()};pointer-events:none;z-index:1000">'
        f'<div class="pm-north">{north}</div></div>'
        f'<div class="pm-box pm-panel" style="{lay.panel.css()}"><h2>{e(text.legend_title)}</h2>'
        f'<div class="pm-legend">{legend}</div><div class="pm-info">{info}'
        f'<div id="pm-tiles-note">{tiles}</div></div></div>'
        f'<div class="pm-box pm-footer" style="{lay.footer.css()}"><div>{e(text.sources)}</div>{notice}</div>'
    )


@functools.lru_cache(maxsize=1)
def _script_after_class() -> type:
    from branca.element import MacroElement, Template

    class ScriptAfter(MacroElement):
        """Raw JavaScript rendered after the map's other children."""

        _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

        def __init__(self, code: str) -> None:
            super().__init__()
            self._name = "ScriptAfter"
            self.code = code

    return ScriptAfter


def script_after(code: str) -> Any:
    """A map child holding raw JavaScript, rendered after the layers added before it."""
    return _script_after_class()(code)


_DRIVER_LOCK = threading.Lock()


def _chrome_options(width_css: int, height_css: int, scale: float, offline: bool):
    from selenium import webdriver

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-extensions", "--mute-audio", "--force-color-profile=srgb", "--lang=zh-CN",
            f"--force-device-scale-factor={scale:g}", f"--window-size={width_css},{height_css}",
            "--allow-file-access-from-files"]
    if offline:
        args.append("--host-resolver-rules=MAP * ~NOTFOUND")
    for a in args:
        opts.add_argument(a)
    return opts


def _new_driver(width_css: int, height_css: int, scale: float, offline: bool):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium-manager download a driver
    try:
        drv = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                               options=_chrome_options(width_css, height_css, scale, offline))
    except Exception as exc:  # chromium missing/broken
        raise ParkmapError("无法启动无头 Chromium 生成地图图片", f"Cannot start headless Chromium: {exc}".splitlines()[0],
                           "安装 chromium 与 chromium-driver（scripts/install-system.sh），或用 --renderer static / "
                           "install chromium and chromium-driver, or use the static renderer", code="browser") from exc
    drv.set_page_load_timeout(60)
    return drv


def render_browser(view: MapView, frames: Mapping[str, Any], page: PageSize | str = "A4L", dpi: int = 150, *,
                   date: str | None = None, tile_timeout: float = 8.0, offline: bool | None = None,
                   proposal_name: str = "") -> Snapshot:
    """Render the map page of ``view`` in headless Chromium.

    Parameters
    ----------
    view, frames :
        See :func:`layers.compose.compose_map`.
    page : PageSize or str
    dpi : int
    date : str, optional
        Date printed on the page (default today).
    tile_timeout : float
        Seconds to wait for basemap tiles before taking the picture without them.
    offline : bool, optional
        Block every host (default: when the basemap is ``none``).

    Returns
    -------
    Snapshot
    """
    page = parse_page_size(page)
    dpi = check_dpi(dpi)
    size = page.pixels(dpi)
    scale = dpi / 96.0
    css_w, css_h = math.ceil(size[0] / scale) + 1, math.ceil(size[1] / scale) + 1
    offline = view.basemap == "none" if offline is None else offline
    doc = print_page_html(view, frames, page, date=date, tile_timeout=tile_timeout, proposal_name=proposal_name)
    tmp = Path(tempfile.mkdtemp(prefix="parkmap-snap-"))
    try:
        path = tmp / "page.html"
        path.write_text(doc, encoding="utf-8")
        with _DRIVER_LOCK:
            drv = _new_driver(css_w, css_h, scale, offline)
            try:
                drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": css_w, "height": css_h, "deviceScaleFactor": scale, "mobile": False})
                drv.get(path.as_uri())
                _wait_ready(drv, tile_timeout + 20)
                tiles = drv.execute_script("return window.__pmTiles") or {}
                shot = drv.execute_cdp_cmd("Page.captureScreenshot", {
                    "format": "png", "fromSurface": True, "captureBeyondViewport": False,
                    "clip": {"x": 0, "y": 0, "width": size[0] / scale, "height": size[1] / scale, "scale": 1},
                })
            finally:
                drv.quit()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    import base64

    png = _exact_size(base64.b64decode(shot["data"]), size)
    return Snapshot(png, "browser", size, {k: int(v) for k, v in tiles.items()})


def _wait_ready(drv: Any, timeout: float) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if drv.execute_script("return window.__pmReady === true"):
            return
        time.sleep(0.05)
    raise ParkmapError("地图页面在限定时间内未绘制完成", "The map page did not finish drawing in time",
                       "可改用静态渲染 / try the static renderer", code="browser")


__all__ = ["CHROMEDRIVER", "CHROMIUM", "browser_available", "print_page_html", "render_browser", "script_after"]
