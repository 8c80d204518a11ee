"""Exports of what the planner sees: PNG / PDF map pages, a self-contained HTML map, proposal data.

Every function returns ``bytes`` (the app offers them as downloads; the CLI
writes them atomically).  No Streamlit.

Map pages (:func:`snapshot_png`, :func:`snapshot_pdf`)
    A printed page of the current view (:class:`layers.compose.MapView`):
    title and date, the map, a panel with the legend, a scale bar, a north
    arrow, the data sources and the illustrative-data notice when it applies.
    Page sizes ``A4L``/``A4P``/``A3L``/``A3P`` (mm: A4 210×297, A3 297×420);
    pixel size = mm / 25.4 × dpi (A4L at 150 dpi = 1754 × 1240).

    * ``renderer="browser"``: the folium map of :func:`layers.compose.compose_map`
      inside a print-layout page (the layout boxes are in CSS mm), all assets
      inlined (no CDN), opened from ``file://`` in headless Chromium
      (Debian ``chromium`` + ``chromium-driver``, driven by selenium) with a
      device scale factor of dpi/96; the screenshot is the exact page.  With a
      basemap, tiles are waited for (``load`` events, ``tile_timeout`` seconds)
      and the page says so when they were unreachable.  With ``basemap="none"``
      every host is blocked: nothing leaves the machine.
    * ``renderer="static"``: matplotlib (Agg) with a CJK font (Noto Sans CJK
      SC from fonts-noto-cjk, found through matplotlib's font manager; a clear
      error when none is installed, never tofu).  It draws the same planned
      layers (:func:`layers.compose.plan_layers`) with the same Leaflet styles,
      in Web Mercator like the screen, the same legend rows and page layout;
      the scale bar is measured in the local Gauss–Krüger zone.  Tiles are not
      drawn (the page says so when a basemap was asked for).
    * ``renderer="auto"`` (default): the browser when chromium, chromedriver and
      selenium are present, else static.

HTML (:func:`snapshot_html`)
    The interactive map (layer control, tooltips) as one file with Leaflet and
    every asset inlined, plus a title/date/sources box.

Proposal data (:func:`export_proposal_data`)
    The proposal and its overlap pieces, one row each with a ``part``
    attribute (``proposal``, ``eco_redline overlap``...), as GeoPackage,
    GeoJSON, KML or 界址点 TXT (CGCS2000 3-degree GK zone of the user's choice,
    with or without the zone prefix).
"""

from __future__ import annotations

import functools
import html
import io
import json
import math
import os
import shutil
import tempfile
import threading
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from geo import clock
from geo.area import M2_PER_MU, geodesic_area_m2, polygon_parts
from geo.crs import EPSG_CGCS2000, default_gk_zone, local_gk_crs, transformer
from geo.errors import ParkmapError
from geo.units import fmt_area

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from layers.compose import DrawLayer, MapView

CHROMIUM = Path(os.environ.get("PARKMAP_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("PARKMAP_CHROMEDRIVER", "/usr/bin/chromedriver"))

#: Paper sizes in mm (width, height) in portrait.
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
DPI_CHOICES: tuple[int, ...] = (150, 300)
RENDERERS: tuple[str, ...] = ("auto", "browser", "static")
DATA_FORMATS: tuple[str, ...] = ("gpkg", "geojson", "kml", "txt")
#: Families tried, in order, for Chinese text in static renders.
CJK_FAMILIES: tuple[str, ...] = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei",
                                 "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC")
#: Font files tried when the font manager's cache does not know a CJK family yet.
CJK_FILES: tuple[str, ...] = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                              "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
                              "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
MAP_BACKGROUND = "#f3f1ec"  # layers.render._Background
_PX_PT = 0.75  # one CSS px in points


# ==========================================================================
# pages
# ==========================================================================
@dataclass(frozen=True)
class PageSize:
    """A paper size and orientation.

    Attributes
    ----------
    name : str
        ``A4L``, ``A4P``, ``A3L`` or ``A3P``.
    width_mm, height_mm : float
    """

    name: str
    width_mm: float
    height_mm: float

    @property
    def landscape(self) -> bool:
        return self.width_mm > self.height_mm

    def pixels(self, dpi: int) -> tuple[int, int]:
        """Pixel size at ``dpi``: ``round(mm / 25.4 × dpi)`` per side."""
        return round(self.width_mm / 25.4 * dpi), round(self.height_mm / 25.4 * dpi)


def parse_page_size(value: str | PageSize) -> PageSize:
    """``"A4L"``/``"a4p"``/``"A3-landscape"``/``"A4"`` (portrait) → :class:`PageSize`.

    Raises
    ------
    ParkmapError
        Unknown paper or orientation.
    """
    if isinstance(value, PageSize):
        return value
    text = str(value).strip().upper().replace("-", "").replace("_", "").replace(" ", "")
    text = text.replace("LANDSCAPE", "L").replace("PORTRAIT", "P")
    paper, orient = text[:2], text[2:] or "P"
    if paper not in PAPER_MM or orient not in ("L", "P"):
        raise ParkmapError(f"纸张大小应为 A4L、A4P、A3L 或 A3P，而不是 “{value}”",
                           f"The page size must be A4L, A4P, A3L or A3P, not '{value}'", code="usage")
    w, h = PAPER_MM[paper]
    if orient == "L":
        w, h = h, w
    return PageSize(paper + orient, w, h)


def check_dpi(dpi: Any) -> int:
    """Validate the resolution (72–600 dpi; 150 and 300 are the usual choices)."""
    try:
        value = int(dpi)
    except (TypeError, ValueError):
        value = -1
    if not 72 <= value <= 600:
        raise ParkmapError(f"分辨率应在 72–600 dpi 之间（常用 150 或 300），而不是 “{dpi}”",
                           f"The resolution must be 72–600 dpi (usually 150 or 300), not '{dpi}'", code="usage")
    return value


@dataclass(frozen=True)
class Box:
    """A rectangle on the page in mm from the top-left corner."""

    x: float
    y: float
    w: float
    h: float

    def css(self) -> str:
        return f"left:{self.x:.2f}mm;top:{self.y:.2f}mm;width:{self.w:.2f}mm;height:{self.h:.2f}mm"

    def fig(self, page: PageSize) -> tuple[float, float, float, float]:
        """``[left, bottom, width, height]`` as figure fractions (matplotlib)."""
        return (self.x / page.width_mm, 1 - (self.y + self.h) / page.height_mm,
                self.w / page.width_mm, self.h / page.height_mm)


@dataclass(frozen=True)
class PageLayout:
    """Where title, map, legend panel and footer sit on a page (mm); both renderers use it."""

    page: PageSize
    title: Box
    map: Box
    panel: Box
    footer: Box


MARGIN_MM = 7.0
TITLE_MM = 12.0
FOOTER_MM = 14.0
GAP_MM = 3.0


def legend_columns(page: PageSize) -> int:
    """Legend columns: one in the side panel (landscape), three (A4) or four (A3) below the map (portrait)."""
    return 1 if page.landscape else (3 if page.width_mm < 250 else 4)


LEGEND_ROW_MM = 4.6
INFO_ROW_MM = 4.3


def page_layout(page: PageSize, legend_rows: int = 12, info_rows: int = 4) -> PageLayout:
    """Layout of ``page``: legend panel on the right (landscape) or below the map (portrait).

    In portrait the panel is as tall as ``legend_rows`` (in :func:`legend_columns`
    columns) and ``info_rows`` lines need, within 22–45 % of the page.
    """
    m, w, h = MARGIN_MM, page.width_mm, page.height_mm
    title = Box(m, m, w - 2 * m, TITLE_MM)
    footer = Box(m, h - m - FOOTER_MM, w - 2 * m, FOOTER_MM)
    top = title.y + title.h + GAP_MM
    bottom = footer.y - GAP_MM
    if page.landscape:
        pw = 62.0 if w < 400 else 74.0
        panel = Box(w - m - pw, top, pw, bottom - top)
        mapbox = Box(m, top, w - 2 * m - pw - GAP_MM, bottom - top)
    else:
        rows = math.ceil(legend_rows / legend_columns(page))
        need = 8.0 + rows * LEGEND_ROW_MM + 5.0 + info_rows * INFO_ROW_MM + 2.0
        ph = min(max(need, 0.22 * h), 0.45 * h)
        panel = Box(m, bottom - ph, w - 2 * m, ph)
        mapbox = Box(m, top, w - 2 * m, bottom - ph - GAP_MM - top)
    return PageLayout(page, title, mapbox, panel, footer)


def layout_for(page: PageSize, text: PageText) -> PageLayout:
    """:func:`page_layout` sized for the legend and info lines of ``text``."""
    return page_layout(page, len(text.legend), len(text.info) + 1)


# ==========================================================================
# page texts (shared by both renderers)
# ==========================================================================
@dataclass
class PageText:
    """The words on a map page.

    Attributes
    ----------
    title, date : str
    legend : list of (kind, colour, label)
    info : list of str
        Lines under the legend (zone, proposal, CRS, basemap).
    sources : str
        Data sources line.
    notice : str
        Illustrative-data notice ("" when no illustrative layer is shown).
    """

    title: str
    date: str
    legend: list[tuple[str, str, str]]
    info: list[str]
    sources: str
    notice: str
    legend_title: str = "图例"
    tiles_note: str = ""


_L = {
    "title": ("四川开发区规划地图", "Sichuan development zones"),
    "date": ("制图日期", "Map date"),
    "sources": ("数据来源", "Data sources"),
    "crs": ("坐标系：CGCS2000（EPSG:4490），Web 墨卡托显示", "CRS: CGCS2000 (EPSG:4490), shown in Web Mercator"),
    "basemap": ("底图", "Basemap"),
    "zone": ("开发区", "Zone"),
    "proposal": ("方案", "Proposal"),
    "area": ("面积", "Area"),
    "tiles_off": ("底图服务不可达，未显示底图", "basemap tiles unreachable; drawn without tiles"),
    "tiles_static": ("静态渲染不绘制底图瓦片", "static renderer: basemap tiles not drawn"),
    "no_key": ("未配置天地图密钥，未显示底图", "no Tianditu key; drawn without tiles"),
    "illustrative": ("示意", "illustrative"),
}


def _l(key: str, lang: str) -> str:
    zh, en = _L[key]
    return en if lang == "en" else zh


def today() -> str:
    """Today's date in Beijing time (Asia/Shanghai) as ``YYYY-MM-DD``."""
    return clock.today().isoformat()


def _basemap_label(basemap: str, lang: str) -> str:
    from layers.i18n import t

    return t(f"basemap_{basemap.replace('tianditu', 'tdt')}", lang)


def sources_line(view: MapView, frames: Mapping[str, Any]) -> str:
    """Data sources of the visible layers (from the ``layer_sources`` table) and the basemap."""
    from layers.render import BASEMAPS
    from layers.specs import SPEC_BY_ID

    lang = view.lang
    layers = [a for a in view.active if a in SPEC_BY_ID]
    if view.proposal is not None or view.overlaps:
        layers += ["eco_redline", "farmland", "urban_boundary", "rivers", "parks"]
    if "parks" in layers or "zones" in layers:
        layers += ["zones"]
    table = frames.get("layer_sources")
    src: dict[str, str] = {}
    if table is not None and "layer" in table.columns:
        src = {str(r["layer"]): str(r["source"]) for _, r in table.iterrows()}
    groups: dict[str, list[str]] = {}
    for lid in dict.fromkeys(layers):
        spec = SPEC_BY_ID.get(lid)
        title = spec.title(lang) if spec else lid
        groups.setdefault(src.get(lid, "parkmap"), []).append(title)
    parts = [f"{'、'.join(titles) if lang == 'zh' else ', '.join(titles)}: {s}" for s, titles in groups.items()]
    info = BASEMAPS.get(view.basemap, {})
    if info.get("tiles"):
        parts.append(f"{_l('basemap', lang)}: {info.get('attr', view.basemap)}")
    sep = "；" if lang == "zh" else "; "
    return f"{_l('sources', lang)}{'：' if lang == 'zh' else ': '}" + sep.join(parts)


def default_title(view: MapView, frames: Mapping[str, Any]) -> str:
    """``view.title`` or 四川开发区规划地图 · <zone short name>."""
    if view.title:
        return view.title
    title = _l("title", view.lang)
    if view.highlighted:
        z = frames["zones"]
        hit = z.loc[z["zone_id"] == view.highlighted, "short_name"]
        if len(hit):
            title += f" · {hit.iloc[0]}"
    return title


def page_text(view: MapView, frames: Mapping[str, Any], date: str | None = None,
              proposal_name: str = "") -> PageText:
    """Everything written on a map page for ``view``."""
    from layers.compose import plan_legend, shows_illustrative
    from layers.i18n import t

    lang = view.lang
    info: list[str] = []
    if view.highlighted:
        z = frames["zones"]
        hit = z[z["zone_id"] == view.highlighted]
        if len(hit):
            info.append(f"{_l('zone', lang)}: {hit['name'].iloc[0]} ({view.highlighted})")
    if view.proposal is not None and not view.proposal.is_empty:
        a = geodesic_area_m2(view.proposal)
        label = f"{_l('proposal', lang)}: {proposal_name}" if proposal_name else _l("proposal", lang)
        info.append(f"{label} — {_l('area', lang)} {fmt_area(a, lang)}")
    info.append(f"{_l('basemap', lang)}: {_basemap_label(view.basemap, lang)}")
    info.append(_l("crs", lang))
    return PageText(
        title=default_title(view, frames),
        date=f"{_l('date', lang)}{'：' if lang == 'zh' else ': '}{date or today()}",
        legend=plan_legend(view, frames),
        info=info,
        sources=sources_line(view, frames),
        notice=t("illustrative_notice", lang) if shows_illustrative(view) else "",
        legend_title=t("legend", lang),
    )


# ==========================================================================
# browser renderer
# ==========================================================================
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


@dataclass
class Snapshot:
    """A rendered map page.

    Attributes
    ----------
    png : bytes
    renderer : {"browser", "static"}
    size : (width, height) in pixels
    tiles : dict
        Browser: tile layers / loaded / errors counts; static: ``{}``.
    missing_glyphs : list of str
        Characters the static renderer's fonts lack (should be empty: no tofu).
    """

    png: bytes
    renderer: str
    size: tuple[int, int]
    tiles: dict[str, int] = field(default_factory=dict)
    missing_glyphs: list[str] = field(default_factory=list)


def _exact_size(png: bytes, size: tuple[int, int]) -> bytes:
    """Crop (or pad with white) ``png`` to exactly ``size`` pixels."""
    from PIL import Image

    img = Image.open(io.BytesIO(png))
    if img.size == size and img.mode == "RGB":
        return png
    out = Image.new("RGB", size, "white")
    out.paste(img.convert("RGB").crop((0, 0, min(size[0], img.width), min(size[1], img.height))), (0, 0))
    buf = io.BytesIO()
    out.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


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


# ==========================================================================
# static renderer (matplotlib)
# ==========================================================================
@functools.lru_cache(maxsize=1)
def find_cjk_font() -> str:
    """Family name of an installed CJK font matplotlib can use (Noto Sans CJK SC preferred).

    Raises
    ------
    ParkmapError
        ``code="font"`` when no CJK font is installed (the render would show tofu).
    """
    from matplotlib import font_manager as fm

    def known() -> str | None:
        names = {e.name for e in fm.fontManager.ttflist}
        return next((f for f in CJK_FAMILIES if f in names), None)

    fam = known()
    if fam is None:
        for path in CJK_FILES:
            if Path(path).is_file():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fm.fontManager.addfont(path)
        fam = known()
    if fam is None:
        raise ParkmapError("找不到中文字体，无法生成不缺字的地图图片",
                           "No CJK font found; the static map would show missing glyphs (tofu)",
                           "安装 fonts-noto-cjk（scripts/install-system.sh） / install fonts-noto-cjk", code="font")
    return fam


def font_file(family: str | None = None, bold: bool = False) -> tuple[str, int]:
    """(file, face index) of ``family`` (default :func:`find_cjk_font`) as matplotlib resolves it."""
    from matplotlib import font_manager as fm

    fam = family or find_cjk_font()
    for e in fm.fontManager.ttflist:
        if e.name == fam and (e.weight in ("bold", 700)) == bold:
            return e.fname, int(getattr(e, "index", 0) or 0)
    for e in fm.fontManager.ttflist:
        if e.name == fam:
            return e.fname, int(getattr(e, "index", 0) or 0)
    raise ParkmapError("找不到中文字体文件", "CJK font file not found", code="font")


def _mpl():
    import matplotlib

    if matplotlib.get_backend().lower() != "agg":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _rc(family: str) -> dict[str, Any]:
    return {"font.family": [family, "DejaVu Sans"], "axes.unicode_minus": False, "lines.scale_dashes": False,
            "pdf.fonttype": 42, "svg.fonttype": "none"}


_MERC = "EPSG:3857"


def _to_merc(geoms: Any) -> Any:
    t = transformer(EPSG_CGCS2000, 3857)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = t.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def fit_extent(bounds: Sequence[float], aspect: float) -> tuple[float, float, float, float]:
    """Web-Mercator extent (x0, y0, x1, y1) showing lon/lat ``bounds`` in a box of ``aspect`` = width/height.

    Like Leaflet's ``fitBounds`` with fractional zoom: the bounds' Mercator box,
    grown along one axis to the box's aspect, same centre.
    """
    w, s, e, n = bounds
    t = transformer(EPSG_CGCS2000, 3857)
    x0, y0 = t.transform(w, s)
    x1, y1 = t.transform(e, n)
    cx, cy, dx, dy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0), (y1 - y0)
    if dx / dy > aspect:
        dy = dx / aspect
    else:
        dx = dy * aspect
    return cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2


def _rgba(color: str | None, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    return to_rgba(color or "#3388ff", max(0.0, min(1.0, float(alpha))))


def _dashes(dash: Any) -> Any:
    if not dash:
        return "solid"
    vals = [float(v) * _PX_PT for v in str(dash).replace(",", " ").split() if v]
    if len(vals) % 2:
        vals = vals * 2
    return (0, tuple(vals)) if vals else "solid"


def _polygon_path(geom: BaseGeometry):
    from matplotlib.path import Path as MPath

    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for poly in polygon_parts(geom):
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            c = np.full(len(xy), MPath.LINETO, dtype=np.uint8)
            c[0], c[-1] = MPath.MOVETO, MPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return None
    return MPath(np.concatenate(verts), np.concatenate(codes))


def _line_parts(geom: BaseGeometry) -> list[np.ndarray]:
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "LineString":
        return [np.asarray(geom.coords)[:, :2]]
    if geom.geom_type in ("MultiLineString", "GeometryCollection"):
        return [a for g in geom.geoms for a in _line_parts(g)]
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return [np.asarray(r.coords)[:, :2] for p in polygon_parts(geom) for r in [p.exterior, *p.interiors]]
    return []


def _props(frame: Any, columns: Iterable[str]) -> list[dict[str, Any]]:
    cols = [c for c in columns if c in frame.columns]
    return frame[cols].to_dict("records") if cols else [{} for _ in range(len(frame))]


def draw_layer(ax: Any, layer: DrawLayer, extent: tuple[float, float, float, float]) -> None:
    """Draw one planned layer on a Web-Mercator axes with its Leaflet styles (px → pt)."""
    from matplotlib.collections import LineCollection, PathCollection

    frame = layer.frame
    if frame is None or len(frame) == 0:
        return
    x0, y0, x1, y1 = extent
    geoms = np.asarray(frame.geometry.values, dtype=object)
    merc = _to_merc(geoms)
    box = shapely.box(x0 - (x1 - x0) * 0.05, y0 - (y1 - y0) * 0.05, x1 + (x1 - x0) * 0.05, y1 + (y1 - y0) * 0.05)
    keep = shapely.intersects(merc, box)
    styles = [layer.style(p) for p in _props(frame, layer.columns)]
    if layer.kind == "point":
        pts = [(g.x, g.y, s) for g, s, k in zip(merc, styles, keep) if k and g is not None and not g.is_empty]
        if pts:
            size = (2 * layer.radius * _PX_PT) ** 2
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=size, zorder=3,
                       c=[_rgba(p[2].get("fillColor", p[2].get("color")), p[2].get("fillOpacity", 0.2)) for p in pts],
                       edgecolors=[_rgba(p[2].get("color"), p[2].get("opacity", 1.0)) for p in pts],
                       linewidths=[p[2].get("weight", 3) * _PX_PT for p in pts])
        return
    if layer.kind == "line":
        segs, cols, lws, lss = [], [], [], []
        for g, s, k in zip(merc, styles, keep):
            if not k:
                continue
            for part in _line_parts(g):
                segs.append(part)
                cols.append(_rgba(s.get("color"), s.get("opacity", 1.0)))
                lws.append(s.get("weight", 3) * _PX_PT)
                lss.append(_dashes(s.get("dashArray")))
        if segs:
            ax.add_collection(LineCollection(segs, colors=cols, linewidths=lws, linestyles=lss, capstyle="round",
                                             joinstyle="round", zorder=2))
        return
    paths, faces, edges, lws, lss = [], [], [], [], []
    for g, s, k in zip(merc, styles, keep):
        if not k:
            continue
        if g.geom_type.endswith("LineString"):
            continue
        path = _polygon_path(g)
        if path is None:
            continue
        fill = s.get("fill", True)
        paths.append(path)
        faces.append(_rgba(s.get("fillColor") or s.get("color"), s.get("fillOpacity", 0.2) if fill else 0.0))
        stroke = s.get("stroke", True)
        edges.append(_rgba(s.get("color"), s.get("opacity", 1.0) if stroke else 0.0))
        lws.append(s.get("weight", 3) * _PX_PT)
        lss.append(_dashes(s.get("dashArray")))
    if paths:
        ax.add_collection(PathCollection(paths, facecolors=faces, edgecolors=edges, linewidths=lws,
                                         linestyles=lss, joinstyle="round", capstyle="round", zorder=2))


def nice_length(max_m: float) -> float:
    """Largest 1/2/3/5 × 10^k metres not above ``max_m`` (Leaflet's scale control rounding)."""
    if max_m <= 0:
        return 0.0
    p = 10 ** math.floor(math.log10(max_m))
    return next(f * p for f in (10, 5, 3, 2, 1) if f * p <= max_m * (1 + 1e-9))


def ground_m_per_merc(extent: tuple[float, float, float, float]) -> float:
    """Ground metres per Web-Mercator unit along the map's horizontal centre line (measured in GK)."""
    x0, y0, x1, y1 = extent
    cy = (y0 + y1) / 2
    inv = transformer(3857, EPSG_CGCS2000)
    (la, lb), (pa, pb) = inv.transform([x0, x1], [cy, cy])
    gk = local_gk_crs(((la + lb) / 2, pa))
    fwd = transformer(EPSG_CGCS2000, gk.to_epsg())
    ex, ny = fwd.transform([la, lb], [pa, pb])
    return float(math.hypot(ex[1] - ex[0], ny[1] - ny[0]) / (x1 - x0))


def _fmt_len(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


def draw_scale_bar(ax: Any, extent: tuple[float, float, float, float], width_mm: float, max_mm: float = 45.0) -> float:
    """Scale bar at the lower left of the map (Leaflet-like); returns its length in metres."""
    x0, y0, x1, y1 = extent
    m_per_unit = ground_m_per_merc(extent)
    mm_per_unit = width_mm / (x1 - x0)
    length = nice_length(min(width_mm * 0.3, max_mm) / mm_per_unit * m_per_unit)
    frac = length / m_per_unit / (x1 - x0)
    mm = 1.0 / width_mm
    left, bottom, h = 4 * mm, 4 * mm * ax.bbox.width / ax.bbox.height, 4.2 * mm * ax.bbox.width / ax.bbox.height
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((left, bottom), frac, h, transform=ax.transAxes, facecolor=(1, 1, 1, 0.8),
                           edgecolor="none", zorder=6))
    ax.plot([left, left, left + frac, left + frac], [bottom + h, bottom, bottom, bottom + h], transform=ax.transAxes,
            color="#222", linewidth=1.4, zorder=7, solid_joinstyle="miter")
    ax.text(left + 1.2 * mm, bottom + h / 2, _fmt_len(length), transform=ax.transAxes, fontsize=8, va="center",
            ha="left", color="#222", zorder=7)
    return length


def draw_north_arrow(ax: Any, width_mm: float, height_mm: float, lang: str) -> None:
    """North arrow (half-filled triangle and 北/N) in the top-right corner of the map."""
    from matplotlib.patches import Polygon as MPoly

    sx, sy = 1 / width_mm, 1 / height_mm
    # 9 × 13.5 mm box 4 mm from the corner; SVG viewBox 40 × 60
    ox, oy, w, h = 1 - (4 + 9) * sx, 1 - 4 * sy, 9 * sx, 13.5 * sy

    def pt(x: float, y: float) -> tuple[float, float]:
        return ox + x / 40 * w, oy - y / 60 * h

    ax.add_patch(MPoly([pt(20, 4), pt(33, 46), pt(20, 38)], closed=True, transform=ax.transAxes,
                       facecolor="#222", edgecolor="#222", linewidth=0.9, zorder=8))
    ax.add_patch(MPoly([pt(20, 4), pt(7, 46), pt(20, 38)], closed=True, transform=ax.transAxes,
                       facecolor="#fff", edgecolor="#222", linewidth=0.9, zorder=8))
    x, y = pt(20, 54)
    ax.text(x, y, "北" if lang == "zh" else "N", transform=ax.transAxes, ha="center", va="center", fontsize=10,
            fontweight="bold", color="#222", zorder=8)


def draw_labels_links(ax: Any, view: MapView, frames: Mapping[str, Any]) -> None:
    """County/prefecture labels and enclave links, as on the screen."""
    import matplotlib.patheffects as pe

    from layers.compose import plan_labels, plan_links

    t = transformer(EPSG_CGCS2000, 3857)
    for link in plan_links(view, frames):
        (xa, xb), (ya, yb) = t.transform([link.owner[1], link.host[1]], [link.owner[0], link.host[0]])
        ax.plot([xa, xb], [ya, yb], color="#6a3d9a", linewidth=2.5 * _PX_PT, linestyle=(0, (6, 4.5)), alpha=0.9,
                dash_capstyle="round", solid_capstyle="round", zorder=4)
        ax.scatter([xa], [ya], s=(8 * _PX_PT) ** 2, color="#6a3d9a", zorder=4)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    halo = [pe.withStroke(linewidth=2.5, foreground="white")]
    for lb in plan_labels(view, frames):
        x, y = t.transform(lb.lon, lb.lat)
        if x0 <= x <= x1 and y0 <= y <= y1:
            ax.text(x, y, lb.text, fontsize=lb.size_px * _PX_PT, fontweight="bold", color="#333", ha="center",
                    va="center", path_effects=halo, zorder=5, clip_on=True)


def draw_map(ax: Any, view: MapView, frames: Mapping[str, Any], box_mm: tuple[float, float], *,
             scale_bar: bool = True, north: bool = True) -> tuple[float, float, float, float]:
    """Draw the planned layers of ``view`` on ``ax`` (Web Mercator); returns the extent."""
    from layers.compose import plan_layers, view_bounds

    extent = fit_extent(view_bounds(view, frames), box_mm[0] / box_mm[1])
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("auto")
    ax.set_facecolor(MAP_BACKGROUND)
    ax.set_xticks([])
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_linewidth(0.3 / 25.4 * 72)
        sp.set_edgecolor("#333")
    for layer in plan_layers(view, frames, clip=True):
        draw_layer(ax, layer, extent)
    draw_labels_links(ax, view, frames)
    if scale_bar:
        draw_scale_bar(ax, extent, box_mm[0])
    if north:
        draw_north_arrow(ax, box_mm[0], box_mm[1], view.lang)
    return extent


def text_width_mm(text: str, size_pt: float) -> float:
    """Rough printed width of ``text`` (CJK ≈ 1 em, Latin ≈ 0.55 em)."""
    em = size_pt / 72 * 25.4
    return sum(em if ord(ch) > 0x2E80 else 0.55 * em for ch in text)


_NO_LINE_START = set("，。；：、）》」』】！？,.;:)")


def wrap_text(text: str, width_mm: float, size_pt: float) -> list[str]:
    """Greedy wrap of mixed Chinese/Latin text to ``width_mm`` (breaks between words or CJK characters)."""
    lines: list[str] = []
    cur = ""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch in _NO_LINE_START and (word or tokens):
            if word:
                word += ch
            else:
                tokens[-1] += ch
        elif ord(ch) > 0x2E80 or ch == " ":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    for tok in tokens:
        if cur and text_width_mm(cur + tok, size_pt) > width_mm:
            lines.append(cur.rstrip())
            cur = tok.lstrip()
        else:
            cur += tok
    if cur.strip():
        lines.append(cur.rstrip())
    return lines


def _swatch(fig: Any, kind: str, color: str, x: float, y: float, page: PageSize) -> None:
    """A legend swatch at (x, y) mm (its vertical centre), like the HTML one."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Ellipse, Rectangle

    W, H = page.width_mm, page.height_mm

    def fx(v: float) -> float:
        return v / W

    def fy(v: float) -> float:
        return 1 - v / H

    if kind == "dot":
        fig.add_artist(Ellipse((fx(x + 1.5), fy(y)), 3 / W, 3 / H, transform=fig.transFigure,
                               facecolor=color, edgecolor="none"))
    elif kind == "fill":
        fig.add_artist(Rectangle((fx(x), fy(y + 1.6)), 4.5 / W, 3.2 / H, transform=fig.transFigure,
                                 facecolor=_rgba(color, 0.8), edgecolor=_rgba("#555", 0.8), linewidth=0.7))
    else:
        fig.add_artist(Line2D([fx(x), fx(x + 5)], [fy(y), fy(y)], transform=fig.transFigure, color=color,
                              linewidth=0.8 / 25.4 * 72, linestyle=(0, (4.5, 2.3)) if kind == "dash" else "solid"))


def draw_page_furniture(fig: Any, lay: PageLayout, text: PageText, tiles_note: str = "") -> None:
    """Title, date, legend panel, info lines, sources and notice (figure coordinates from mm)."""
    from matplotlib.lines import Line2D

    page = lay.page
    W, H = page.width_mm, page.height_mm

    def put(x: float, y: float, s: str, size: float, **kw: Any) -> None:
        fig.text(x / W, 1 - y / H, s, fontsize=size, transform=fig.transFigure, **kw)

    tb = lay.title
    put(tb.x, tb.y + tb.h - 1.6, text.title, 15, fontweight="bold", va="baseline", ha="left")
    put(tb.x + tb.w, tb.y + tb.h - 1.6, text.date, 9, va="baseline", ha="right")
    fig.add_artist(Line2D([tb.x / W, (tb.x + tb.w) / W], [1 - (tb.y + tb.h) / H] * 2, transform=fig.transFigure,
                          color="#333", linewidth=0.5 / 25.4 * 72))
    pb = lay.panel
    put(pb.x, pb.y + 4, text.legend_title, 10, fontweight="bold", va="baseline")
    cols = legend_columns(page)
    col_w = (pb.w - 4 * (cols - 1)) / cols
    per_col = math.ceil(len(text.legend) / cols) if text.legend else 0
    row_h = LEGEND_ROW_MM
    y_top = pb.y + 6.0
    for i, (kind, color, label) in enumerate(text.legend):
        c, r = (i // per_col, i % per_col) if per_col else (0, i)
        x, y = pb.x + c * (col_w + 4), y_top + r * row_h + row_h / 2
        _swatch(fig, kind, color, x, y, page)
        put(x + 6.5, y, label, 8.5, va="center_baseline")
    y = y_top + per_col * row_h + 2.5
    fig.add_artist(Line2D([pb.x / W, (pb.x + pb.w) / W], [1 - y / H] * 2, transform=fig.transFigure, color="#999",
                          linewidth=0.25 / 25.4 * 72))
    y += 1.5
    for line in text.info + ([tiles_note] if tiles_note else []):
        for sub in wrap_text(line, pb.w, 8.5):
            y += INFO_ROW_MM - 0.4
            if y > pb.y + pb.h:
                break
            put(pb.x, y, sub, 8.5, va="baseline", color="#333")
        y += 0.4
    fb = lay.footer
    fig.add_artist(Line2D([fb.x / W, (fb.x + fb.w) / W], [1 - fb.y / H] * 2, transform=fig.transFigure, color="#999",
                          linewidth=0.25 / 25.4 * 72))
    y = fb.y + 1.0
    for sub in wrap_text(text.sources, fb.w, 7.0):
        y += 3.1
        put(fb.x, y, sub, 7.0, va="baseline")
    for sub in wrap_text(text.notice, fb.w, 7.5) if text.notice else []:
        y += 3.4
        put(fb.x, y, sub, 7.5, va="baseline", color="#a50f15", fontweight="bold")


class _GlyphWatch(warnings.catch_warnings):
    """Collect matplotlib's "Glyph … missing from font(s)" warnings (tofu)."""

    def __init__(self) -> None:
        super().__init__(record=True)
        self.missing: list[str] = []

    def __enter__(self):  # type: ignore[override]
        self.log = super().__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        for w in self.log:
            msg = str(w.message)
            if "missing from" in msg and "Glyph" in msg:
                self.missing.append(msg)


def _save_png(fig: Any, dpi: int) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def render_static(view: MapView, frames: Mapping[str, Any], page: PageSize | str = "A4L", dpi: int = 150, *,
                  date: str | None = None, proposal_name: str = "") -> Snapshot:
    """Render the map page of ``view`` with matplotlib (no browser).

    Same layers, styles, legend rows and layout as :func:`render_browser`.

    Raises
    ------
    ParkmapError
        ``code="font"`` when no CJK font is installed.
    """
    page = parse_page_size(page)
    dpi = check_dpi(dpi)
    size = page.pixels(dpi)
    fam = find_cjk_font()
    plt = _mpl()
    text = page_text(view, frames, date, proposal_name)
    lay = layout_for(page, text)
    tiles_note = ""
    if view.basemap != "none":
        tiles_note = f"{_l('basemap', view.lang)}: {_l('tiles_static', view.lang)}"
    import matplotlib

    with matplotlib.rc_context(_rc(fam)), _GlyphWatch() as watch:
        fig = plt.figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
        try:
            ax = fig.add_axes(lay.map.fig(page))
            draw_map(ax, view, frames, (lay.map.w, lay.map.h))
            draw_page_furniture(fig, lay, text, tiles_note)
            png = _save_png(fig, dpi)
        finally:
            plt.close(fig)
    return Snapshot(_exact_size(png, size), "static", size, {}, watch.missing)


def render_static_map(view: MapView, frames: Mapping[str, Any], width_mm: float, height_mm: float,
                      dpi: int = 200) -> bytes:
    """Just the map (layers, scale bar, north arrow, frame) as a PNG of ``width_mm`` × ``height_mm``."""
    fam = find_cjk_font()
    plt = _mpl()
    import matplotlib

    size = (round(width_mm / 25.4 * dpi), round(height_mm / 25.4 * dpi))
    with matplotlib.rc_context(_rc(fam)):
        fig = plt.figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
        try:
            ax = fig.add_axes((0, 0, 1, 1))
            draw_map(ax, view, frames, (width_mm, height_mm))
            png = _save_png(fig, dpi)
        finally:
            plt.close(fig)
    return _exact_size(png, size)


# ==========================================================================
# public snapshot API
# ==========================================================================
def render_snapshot(view: MapView, frames: Mapping[str, Any], page: PageSize | str = "A4L", dpi: int = 150, *,
                    renderer: str = "auto", date: str | None = None, tile_timeout: float = 8.0,
                    offline: bool | None = None, proposal_name: str = "") -> Snapshot:
    """Render the map page with the chosen renderer (``auto``: browser if available, else static)."""
    if renderer not in RENDERERS:
        raise ParkmapError(f"渲染方式应为 auto、browser 或 static，而不是 “{renderer}”",
                           f"The renderer must be auto, browser or static, not '{renderer}'", code="usage")
    if renderer == "static" or (renderer == "auto" and not browser_available()):
        return render_static(view, frames, page, dpi, date=date, proposal_name=proposal_name)
    if not browser_available():
        raise ParkmapError("未找到 chromium / chromium-driver / selenium，无法用浏览器渲染",
                           "chromium, chromium-driver or selenium is missing; cannot render with the browser",
                           "运行 scripts/install-system.sh，或用 --renderer static / run scripts/install-system.sh or "
                           "use --renderer static", code="browser")
    return render_browser(view, frames, page, dpi, date=date, tile_timeout=tile_timeout, offline=offline,
                          proposal_name=proposal_name)


def snapshot_png(view: MapView, frames: Mapping[str, Any], page: PageSize | str = "A4L", dpi: int = 150,
                 **kwargs: Any) -> bytes:
    """PNG of the map page (exactly :meth:`PageSize.pixels` ``(dpi)``); see :func:`render_snapshot`."""
    return render_snapshot(view, frames, page, dpi, **kwargs).png


def png_to_pdf(png: bytes, page: PageSize | str, *, title: str = "") -> bytes:
    """One-page PDF of ``page``'s size with ``png`` filling it."""
    from fpdf import FPDF

    page = parse_page_size(page)
    pdf = FPDF(orientation="L" if page.landscape else "P", unit="mm",
               format=(min(page.width_mm, page.height_mm), max(page.width_mm, page.height_mm)))
    pdf.set_creator("parkmap")
    if title:
        pdf.set_title(title)
    pdf.set_creation_date(clock.now())
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.image(io.BytesIO(png), x=0, y=0, w=page.width_mm, h=page.height_mm)
    return bytes(pdf.output())


def snapshot_pdf(view: MapView, frames: Mapping[str, Any], page: PageSize | str = "A4L", dpi: int = 150,
                 **kwargs: Any) -> bytes:
    """The map page as a one-page PDF of the paper size (the PNG at ``dpi`` placed full-page)."""
    snap = render_snapshot(view, frames, page, dpi, **kwargs)
    return png_to_pdf(snap.png, page, title=default_title(view, frames))


_HTML_INFO = """<div class="pm-html-info" style="position:absolute;z-index:9998;left:10px;bottom:10px;max-width:60%;
background:rgba(255,255,255,.92);border:1px solid #999;border-radius:4px;padding:5px 8px;
font:11px/1.35 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;color:#222"><b>{title}</b> · {date}<br>{sources}</div>"""


def snapshot_html(view: MapView, frames: Mapping[str, Any], *, date: str | None = None,
                  clip: bool | float = 1.0) -> bytes:
    """One self-contained interactive HTML map of ``view`` (Leaflet and assets inlined; opens offline).

    Features are kept within the view grown by ``clip`` × its span on each side
    (room to pan; ``False`` keeps the whole province, which at zone level is
    megabytes of full-detail control lines).  Tiles still need their server;
    with ``basemap="none"`` nothing is fetched.
    """
    from branca.element import Element

    from layers.assets import inline_assets
    from layers.compose import compose_map

    m = compose_map(view, frames, clip=clip)
    text = page_text(view, frames, date)
    box = _HTML_INFO.format(title=html.escape(text.title), date=html.escape(text.date),
                            sources=html.escape(text.sources))
    fig = m.get_root()
    fig.html.add_child(Element(box), name="pm_info")
    fig.title = html.escape(text.title)  # branca writes <title>{{ title }}</title> without escaping
    doc = fig.render()
    doc = doc.replace("<head>", f"<head>\n<title>{html.escape(text.title)}</title>", 1) if "<title>" not in doc else doc
    return inline_assets(doc, strict=True).encode("utf-8")


# ==========================================================================
# proposal data
# ==========================================================================
#: Check geometry key → (part, 中文).  Lines (river_link, park_link) are not exported.
PART_NAMES: dict[str, tuple[str, str]] = {
    "proposal": ("proposal", "方案范围"),
    "removed": ("removed", "调出范围"),
    "eco_redline": ("eco_redline overlap", "与生态保护红线重叠"),
    "farmland": ("farmland overlap", "与永久基本农田重叠"),
    "other_parks": ("other_parks overlap", "与其他开发区园区重叠"),
    "own_parks": ("own_parks overlap", "与本开发区园区重叠"),
    "urban_boundary_outside": ("urban_boundary outside", "城镇开发边界外部分"),
    "outside_province": ("outside_province", "省界外部分"),
}


def _polygonal(geom: Any) -> BaseGeometry | None:
    parts = polygon_parts(geom)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def proposal_parts(source: Any, name: str = "") -> gpd.GeoDataFrame:
    """The proposal and its overlap pieces as a frame (EPSG:4490).

    Parameters
    ----------
    source : CheckResult, dict or geometry
        A :class:`geo.check.CheckResult` (its ``geometry`` and polygonal
        ``geometries``), a dict key → geometry (``proposal`` plus keys of
        :data:`PART_NAMES`), or a single proposal geometry.
    name : str
        Proposal name (default: the result's name).

    Returns
    -------
    GeoDataFrame
        Columns ``part``, ``part_zh``, ``name``, ``area_m2``, ``area_mu``, geometry.
    """
    import geopandas as gpd

    if hasattr(source, "geometries") and hasattr(source, "geometry"):
        geoms = {"proposal": source.geometry, **dict(source.geometries)}
        name = name or getattr(source, "name", "") or ""
    elif isinstance(source, Mapping):
        geoms = dict(source)
    elif isinstance(source, BaseGeometry):
        geoms = {"proposal": source}
    else:
        raise ParkmapError("没有可导出的方案几何", "Nothing to export: no proposal geometry", code="empty")
    rows, shapes = [], []
    for key, (part, zh) in PART_NAMES.items():
        g = _polygonal(geoms.get(key))
        if g is None:
            continue
        a = geodesic_area_m2(g)
        rows.append({"part": part, "part_zh": zh, "name": name, "area_m2": round(a, 2), "area_mu": round(a / M2_PER_MU, 4)})
        shapes.append(g)
    if not rows or rows[0]["part"] != "proposal":
        raise ParkmapError("没有可导出的方案几何", "Nothing to export: no proposal polygon", code="empty")
    return gpd.GeoDataFrame(rows, geometry=shapes, crs=EPSG_CGCS2000)


def kml_document(gdf: gpd.GeoDataFrame, name: str = "parkmap") -> bytes:
    """KML 2.2 of polygon features (lon/lat, 9 decimals), attributes in ExtendedData, one style per ``part``."""
    from geo.crs import to_cgcs2000

    ns = "http://www.opengis.net/kml/2.2"
    ET.register_namespace("", ns)
    q = lambda tag: f"{{{ns}}}{tag}"  # noqa: E731
    root = ET.Element(q("kml"))
    doc = ET.SubElement(root, q("Document"))
    ET.SubElement(doc, q("name")).text = name
    from layers.compose import OVERLAP_STYLES, PROPOSAL_STYLE

    data = to_cgcs2000(gdf)
    style_of = {"proposal": PROPOSAL_STYLE}
    for key, (part, _) in PART_NAMES.items():
        if key in OVERLAP_STYLES:
            style_of[part] = OVERLAP_STYLES[key]["style"]
    for part in dict.fromkeys(data.get("part", [])):
        st = style_of.get(part, PROPOSAL_STYLE)
        s = ET.SubElement(doc, q("Style"), id=_kml_id(part))
        ls = ET.SubElement(s, q("LineStyle"))
        ET.SubElement(ls, q("color")).text = _kml_color(st.get("color", "#000000"), st.get("opacity", 1.0))
        ET.SubElement(ls, q("width")).text = f"{st.get('weight', 2):g}"
        ps = ET.SubElement(s, q("PolyStyle"))
        ET.SubElement(ps, q("color")).text = _kml_color(st.get("fillColor", st.get("color", "#000000")),
                                                        st.get("fillOpacity", 0.3))
    cols = [c for c in data.columns if c != data.geometry.name]
    for (_, row), geom in zip(data.iterrows(), data.geometry):
        pm = ET.SubElement(doc, q("Placemark"))
        ET.SubElement(pm, q("name")).text = str(row.get("part_zh") or row.get("part") or "")
        if "part" in row:
            ET.SubElement(pm, q("styleUrl")).text = f"#{_kml_id(row['part'])}"
        ext = ET.SubElement(pm, q("ExtendedData"))
        for c in cols:
            d = ET.SubElement(ext, q("Data"), name=str(c))
            ET.SubElement(d, q("value")).text = "" if row[c] is None else str(row[c])
        _kml_geometry(pm, geom, q)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def _kml_id(part: str) -> str:
    return "s_" + "".join(ch if ch.isalnum() else "_" for ch in str(part))


def _kml_color(hex_color: str, alpha: float) -> str:
    from matplotlib.colors import to_rgba

    r, g, b, _ = to_rgba(hex_color)
    return "".join(f"{int(round(v * 255)):02x}" for v in (max(0.0, min(1.0, alpha)), b, g, r))


def _kml_ring(parent: ET.Element, tag: str, ring: Any, q: Any) -> None:
    lr = ET.SubElement(ET.SubElement(parent, q(tag)), q("LinearRing"))
    ET.SubElement(lr, q("coordinates")).text = " ".join(f"{x:.9f},{y:.9f}" for x, y in np.asarray(ring.coords)[:, :2])


def _kml_geometry(pm: ET.Element, geom: BaseGeometry, q: Any) -> None:
    polys = polygon_parts(geom)
    parent = ET.SubElement(pm, q("MultiGeometry")) if len(polys) > 1 else pm
    for p in polys:
        el = ET.SubElement(parent, q("Polygon"))
        _kml_ring(el, "outerBoundaryIs", p.exterior, q)
        for hole in p.interiors:
            _kml_ring(el, "innerBoundaryIs", hole, q)


def _file_bytes(write: Any, suffix: str) -> bytes:
    tmp = Path(tempfile.mkdtemp(prefix="parkmap-export-"))
    try:
        path = tmp / f"export{suffix}"
        write(path)
        return path.read_bytes()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def export_proposal_data(source: Any, fmt: str, *, zone: int | None = None, prefixed: bool = True,
                         name: str = "") -> bytes:
    """The proposal and its overlap pieces as a file's bytes.

    Parameters
    ----------
    source : CheckResult, dict or geometry
        See :func:`proposal_parts`.
    fmt : {"gpkg", "geojson", "kml", "txt"}
        GeoPackage (layer ``proposal``, EPSG:4490), GeoJSON (RFC 7946),
        KML 2.2, or 界址点 TXT.
    zone : int, optional
        TXT only: CGCS2000 3-degree GK zone (Sichuan 33–36); default
        :func:`default_gk_zone` of the proposal (its centroid longitude:
        104.04 °E → 35).
    prefixed : bool
        TXT only: eastings with the zone prefix (default) or without.
    name : str
        Proposal name written in the ``name`` attribute.

    Returns
    -------
    bytes

    Raises
    ------
    ParkmapError
        Unknown format, no proposal polygon, bad zone.
    """
    from geo.io.jzd_txt import format_jzd_text
    from geo.io.write import write_geojson, write_gpkg

    fmt = str(fmt).lower().lstrip(".")
    fmt = {"json": "geojson"}.get(fmt, fmt)
    if fmt not in DATA_FORMATS:
        raise ParkmapError(f"导出格式应为 {'/'.join(DATA_FORMATS)}，而不是 “{fmt}”",
                           f"The export format must be one of {', '.join(DATA_FORMATS)}, not '{fmt}'", code="usage")
    gdf = proposal_parts(source, name)
    if fmt == "gpkg":
        return _file_bytes(lambda p: write_gpkg(gdf, p, layer="proposal"), ".gpkg")
    if fmt == "geojson":
        return _file_bytes(lambda p: write_geojson(gdf, p), ".geojson")
    if fmt == "kml":
        return kml_document(gdf, name or "parkmap")
    if zone is None:  # the zone of the proposal itself (its centroid), not a fixed one
        zone = default_gk_zone(gdf.geometry.iloc[0])
    _check_gk_zone(gdf, int(zone), prefixed)
    txt = gdf.assign(地块号=[str(i + 1) for i in range(len(gdf))], 地块名称=gdf["part_zh"], 备注=gdf["part"])
    return format_jzd_text(txt, zone, prefixed).encode("utf-8")


def _check_gk_zone(gdf: gpd.GeoDataFrame, zone: int, prefixed: bool) -> None:
    """Refuse a GK zone whose central meridian is more than 3° from the data (beyond the neighbouring zone)."""
    from geo.crs import epsg_for_gk_zone, gk_central_meridian

    epsg_for_gk_zone(zone, prefixed)  # raises for zones outside 25–45
    w, _, e, _ = gdf.total_bounds
    cm = gk_central_meridian(zone)
    far = max(abs(w - cm), abs(e - cm))
    if far > 3.0:
        raise ParkmapError(f"方案距第 {zone} 带中央经线 {cm:g}° 达 {far:.1f}°，请选所在带或相邻带（四川 33–36）",
                           f"The proposal lies {far:.1f}° from the central meridian {cm:g}°E of zone {zone}; choose its "
                           "own or the neighbouring zone (Sichuan: 33–36)", code="usage")


#: File suffix per data format.
DATA_SUFFIX: dict[str, str] = {"gpkg": ".gpkg", "geojson": ".geojson", "kml": ".kml", "txt": ".txt"}


__all__ = [
    "DATA_FORMATS", "DATA_SUFFIX", "default_gk_zone", "PAPER_MM", "PART_NAMES", "RENDERERS", "PageLayout", "PageSize", "PageText",
    "Snapshot", "browser_available", "check_dpi", "draw_map", "export_proposal_data", "find_cjk_font",
    "fit_extent", "kml_document", "page_layout", "page_text", "parse_page_size", "png_to_pdf", "print_page_html",
    "proposal_parts", "render_browser", "render_snapshot", "render_static", "render_static_map", "snapshot_html",
    "snapshot_pdf", "snapshot_png", "sources_line", "wrap_text",
]
