"""The app's live map: a fixed base map plus layer groups swapped in place.

The exported pages use :func:`layers.compose.compose_map` (one static map).
On screen that would rebuild and re-send the whole Leaflet page at every
click and reset the planner's pan and zoom.  Here instead:

* :func:`base_map` holds only what never changes between reruns for one
  basemap: tiles, the drawing tools, the coordinate readout (经纬度 and the 3°
  Gauss–Krüger zone) and the measure tool (米 / 亩).  Their language is set by
  a small script that travels with the layer groups (:func:`ui_group`), so a
  language switch does not rebuild the map either.  Its script is the same at every rerun, so streamlit-folium
  keeps the map mounted and the planner's view stays where they left it.
* :func:`layer_groups` resolves the view into one ``FeatureGroup`` per layer
  (via :func:`layers.compose.plan_layers`, the same plan the exports use) and
  hands them to ``st_folium(feature_group_to_add=...)``, which replaces them
  in the mounted map.  Each layer's Leaflet script is rendered once per
  (layer, style inputs, detail level, language, GCJ-02) and cached, so a
  rerun that changes one layer does not re-simplify or re-serialise the rest.
* :func:`view_for_bounds` turns an extent into the ``center``/``zoom`` that
  st_folium applies only when they change: the app sets them when a zone or a
  proposal is newly chosen and otherwise passes the planner's own view back.
"""

from __future__ import annotations

import hashlib
import html
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import folium
import pandas as pd
from branca.element import Template
from folium.plugins import Draw, MeasureControl, MousePosition

from layers import render
from layers.compose import (
    MAP_LAYERS,
    DrawLayer,
    MapView,
    add_layer,
    plan_labels,
    site_labels,
    plan_links,
    plan_proposal_layers,
    plan_spec_layer,
    spec_frame,
)
from layers.i18n import t
from layers.specs import HIGHLIGHT, SPEC_BY_ID

#: Map height on screen (px) and the width assumed when fitting an extent.
MAP_HEIGHT = 660
MAP_WIDTH = 900
#: Province view: centre (lat, lon) and zoom.
PROVINCE_CENTER = (30.35, 102.7)
PROVINCE_ZOOM = 6.5
#: Zoom at or above which the detail level switches (see layers.compose.LEVEL_SPANS: 3° and 0.5° spans).
LEVEL_ZOOMS: tuple[tuple[float, str], ...] = ((11.25, "zone"), (8.75, "prefecture"), (0.0, "province"))

_CACHE_SIZE = 96
_cache: OrderedDict[tuple, str] = OrderedDict()
_lock = threading.Lock()
#: Where rendered layer scripts are also kept across restarts (set by the app: $PARKMAP_HOME/cache/map).
_disk: dict[str, Path | None] = {"dir": None}


def _code_version() -> str:
    """What a cached layer script depends on besides its key: this code, folium and streamlit-folium."""
    import importlib.metadata as md

    h = hashlib.sha1()
    here = Path(__file__).parent
    for path in [here / n for n in ("live.py", "compose.py", "render.py", "specs.py", "i18n.py")] + \
            [here.parent / "geo" / n for n in ("crs.py", "catalog.py", "zones.py")]:
        h.update(path.read_bytes())
    for dist in ("folium", "streamlit-folium", "branca", "shapely", "geopandas", "pyproj"):
        try:
            h.update(md.version(dist).encode())
        except md.PackageNotFoundError:
            h.update(dist.encode())
    return h.hexdigest()[:16]


_VERSION = _code_version()


def use_disk_cache(folder: str | Path | None) -> None:
    """Also keep rendered layer scripts in ``folder`` (created 0700), so a restarted app draws its first map
    without re-rendering; ``None`` turns it off.  Files are written atomically, one per layer state."""
    if folder is None:
        _disk["dir"] = None
        return
    path = Path(folder) / _VERSION
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    _disk["dir"] = path


# --------------------------------------------------------------------------- view


def level_for_zoom(zoom: float | None) -> str:
    """Detail level (``province`` / ``prefecture`` / ``zone``) of a Leaflet zoom.

    >>> level_for_zoom(6.5), level_for_zoom(10), level_for_zoom(13)
    ('province', 'prefecture', 'zone')
    """
    z = PROVINCE_ZOOM if zoom is None else float(zoom)
    return next(level for limit, level in LEVEL_ZOOMS if z >= limit)


def view_for_bounds(bounds: tuple[float, float, float, float], width: int = MAP_WIDTH,
                    height: int = MAP_HEIGHT) -> tuple[tuple[float, float], float]:
    """``((lat, lon), zoom)`` that shows ``(west, south, east, north)`` in a ``width`` × ``height`` px map.

    Zoom is snapped down to 0.25 (the map's zoom snap) and kept within 5–17.

    >>> view_for_bounds((103.9, 30.5, 104.2, 30.8))[1]
    11.25
    """
    w, s, e, n = (float(v) for v in bounds)
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        return PROVINCE_CENTER, PROVINCE_ZOOM

    def merc(lat: float) -> float:
        r = math.radians(max(min(lat, 85.0), -85.0))
        return math.log(math.tan(math.pi / 4 + r / 2))

    dx = max(e - w, 1e-6) / 360.0
    dy = max(merc(n) - merc(s), 1e-9) / (2 * math.pi)
    zoom = math.log2(min(width / (256 * dx), height / (256 * dy)))
    zoom = max(5.0, min(17.0, math.floor(zoom * 4) / 4))
    return ((s + n) / 2, (w + e) / 2), zoom


def bounds_for_view(center: tuple[float, float], zoom: float, width: int = MAP_WIDTH,
                    height: int = MAP_HEIGHT) -> tuple[float, float, float, float]:
    """Approximate ``(west, south, east, north)`` on screen at ``center``/``zoom`` (for labels)."""
    lat, lon = center
    dlon = width * 360.0 / (256 * 2 ** zoom)
    dlat = dlon * height / width * math.cos(math.radians(lat))
    return lon - dlon / 2, lat - dlat / 2, lon + dlon / 2, lat + dlat / 2


# --------------------------------------------------------------------------- base map


#: Texts of the drawing toolbar and the coordinate readout, per language.
UI_TEXTS: dict[str, dict[str, str]] = {
    "zh": {"polygon": "绘制多边形方案范围", "rectangle": "绘制矩形方案范围", "cancel_title": "取消绘制",
           "cancel": "取消", "finish_title": "完成绘制", "finish": "完成", "undo_title": "删除最后一个点",
           "undo": "撤销上一点", "poly_start": "单击开始绘制", "poly_cont": "单击继续绘制",
           "poly_end": "单击第一个点闭合", "rect_start": "按住并拖动绘制矩形", "rect_end": "松开鼠标完成",
           "remove": "删除图形", "remove_disabled": "没有可删除的图形", "save_title": "保存修改",
           "save": "保存", "clear_title": "清除全部图形", "clear": "全部清除", "remove_hint": "单击要删除的图形",
           "zone": "3°带", "gcj": " · 高德坐标(GCJ-02)", "measure": "测量距离和面积"},
    "en": {"polygon": "Draw the proposal as a polygon", "rectangle": "Draw the proposal as a rectangle",
           "cancel_title": "Cancel drawing", "cancel": "Cancel", "finish_title": "Finish drawing",
           "finish": "Finish", "undo_title": "Delete last point", "undo": "Delete last point",
           "poly_start": "Click to start drawing", "poly_cont": "Click to continue",
           "poly_end": "Click the first point to close", "rect_start": "Click and drag to draw",
           "rect_end": "Release the mouse to finish", "remove": "Delete shapes",
           "remove_disabled": "No shapes to delete", "save_title": "Save changes", "save": "Save",
           "clear_title": "Clear all shapes", "clear": "Clear all", "remove_hint": "Click a shape to delete it",
           "zone": "3° zone", "gcj": " · Gaode (GCJ-02)", "measure": "Measure distances and areas"},
}

#: Runs with the layer groups (so at every language switch, without rebuilding the map): sets the
#: language the coordinate readout uses and translates the drawing toolbar in place.
_UI_SCRIPT = """
(function (t) {
  window.pmText = t;
  if (!window.L || !L.drawLocal) { return; }
  var d = L.drawLocal;
  d.draw.toolbar.buttons.polygon = t.polygon; d.draw.toolbar.buttons.rectangle = t.rectangle;
  d.draw.toolbar.actions.title = t.cancel_title; d.draw.toolbar.actions.text = t.cancel;
  d.draw.toolbar.finish.title = t.finish_title; d.draw.toolbar.finish.text = t.finish;
  d.draw.toolbar.undo.title = t.undo_title; d.draw.toolbar.undo.text = t.undo;
  d.draw.handlers.polygon.tooltip.start = t.poly_start; d.draw.handlers.polygon.tooltip.cont = t.poly_cont;
  d.draw.handlers.polygon.tooltip.end = t.poly_end;
  d.draw.handlers.rectangle.tooltip.start = t.rect_start; d.draw.handlers.simpleshape.tooltip.end = t.rect_end;
  d.edit.toolbar.buttons.remove = t.remove; d.edit.toolbar.buttons.removeDisabled = t.remove_disabled;
  d.edit.toolbar.actions.save.title = t.save_title; d.edit.toolbar.actions.save.text = t.save;
  d.edit.toolbar.actions.cancel.title = t.cancel_title; d.edit.toolbar.actions.cancel.text = t.cancel;
  d.edit.toolbar.actions.clearAll.title = t.clear_title; d.edit.toolbar.actions.clearAll.text = t.clear;
  d.edit.handlers.remove.tooltip.text = t.remove_hint;
  var set = function (sel, title) { document.querySelectorAll(sel).forEach(function (a) { a.title = title; }); };
  set('.leaflet-draw-draw-polygon', t.polygon); set('.leaflet-draw-draw-rectangle', t.rectangle);
  set('.leaflet-draw-edit-remove', t.remove); set('.leaflet-control-measure-toggle', t.measure);
  // the action buttons (完成/撤销/取消 …) are rebuilt from L.drawLocal whenever a tool is switched on
})(%s);
"""


def ui_group(lang: str) -> folium.FeatureGroup:
    """An empty group whose script puts the toolbar and readout in ``lang`` (see :data:`_UI_SCRIPT`)."""
    import json

    js = _UI_SCRIPT % json.dumps(UI_TEXTS["en" if lang == "en" else "zh"], ensure_ascii=False)
    return _Prerendered(js + "\nvar pmui_group = L.featureGroup();", "pmui_group", "ui")


def _lng_formatter(gcj: bool) -> str:
    """JS: longitude with its 3° Gauss–Krüger zone and EPSG code (CGCS2000, zone number in the easting).

    Over Gaode tiles the pointer's coordinates are GCJ-02: they are labelled so, without a CGCS2000 code.
    """
    if gcj:
        return "function(lng){var t=window.pmText||{};return lng.toFixed(5)+'°E'+(t.gcj||' (GCJ-02)');}"
    return ("function(lng){var t=window.pmText||{},z=Math.round(lng/3);"
            "return lng.toFixed(5)+'°E · '+(t.zone||'3°')+' '+z+' (EPSG:'+(4488+z)+')';}")


def _lat_formatter() -> str:
    return "function(lat){return lat.toFixed(5)+'°N';}"


def base_map(basemap: str, tianditu_key: str | None = None) -> folium.Map:
    """The mounted map: basemap tiles, drawing, coordinate readout and measure tool; no data layers.

    Its Leaflet script depends only on ``basemap`` and the key (not on the
    language: :func:`ui_group` translates the tools in place), so
    streamlit-folium keeps the same map, and the planner's view, across
    reruns and language switches.
    """
    m = render.new_map(basemap, None, tianditu_key, "zh")
    m.location = list(PROVINCE_CENTER)
    m.options["zoom"] = PROVINCE_ZOOM
    Draw(export=False, position="topleft",
         draw_options={"polyline": False, "circle": False, "marker": False, "circlemarker": False,
                       "polygon": {"allowIntersection": False, "showArea": True, "metric": True},
                       "rectangle": {"showArea": True, "metric": True}},
         edit_options={"edit": False, "remove": True}).add_to(m)
    # 亩 = 10000/15 m²; leaflet-measure takes custom units as factor per m² (unit names in both languages).
    MeasureControl(position="topleft", primary_length_unit="meters", secondary_length_unit="kilometers",
                   primary_area_unit="sqmeters", secondary_area_unit="mu",
                   units={"mu": {"factor": 0.0015, "display": "亩 mu", "decimals": 2},
                          "meters": {"factor": 1, "display": "米 m", "decimals": 0},
                          "kilometers": {"factor": 0.001, "display": "公里 km", "decimals": 2},
                          "sqmeters": {"factor": 1, "display": "平方米 m²", "decimals": 0}},
                   ).add_to(m)
    MousePosition(position="topright", separator=" · ", empty_string="", lng_first=False, num_digits=5,
                  prefix="CGCS2000" if not render.is_gcj02(basemap) else "",
                  lat_formatter=_lat_formatter(), lng_formatter=_lng_formatter(render.is_gcj02(basemap)),
                  ).add_to(m)
    return m


# --------------------------------------------------------------------------- layer groups


class _Prerendered(folium.FeatureGroup):
    """A feature group whose Leaflet script was rendered once; it only aliases it to its own name."""

    _template = Template("""{% macro script(this, kwargs) %}
{{ this.js }}
var {{ this.get_name() }} = {{ this.inner }};
{% endmacro %}""")

    def __init__(self, js: str, inner: str, name: str) -> None:
        super().__init__(name=name, control=False)
        self._name = "FeatureGroup"
        self.js = js
        self.inner = inner


def _render_group(layer_key: str, build: Any) -> tuple[str, str]:
    """Leaflet script of one layer group (``build(map)`` adds it) with stable variable names."""
    from streamlit_folium import generate_leaflet_string

    host = folium.Map(tiles=None)
    before = set(host._children)
    build(host)
    added = [host._children[k] for k in host._children if k not in before]
    digest = hashlib.sha1(layer_key.encode()).hexdigest()[:12]
    scripts = []
    names = []
    for i, child in enumerate(added):
        child._id = f"pm{digest}{i}"
        child.render()
        js = generate_leaflet_string(child, base_id=f"pm{digest}{i}")
        scripts.append(js.replace(host.get_name(), "map_div"))
        names.append(child.get_name())
    # one group: wrap several children (labels + links) in a plain featureGroup
    outer = f"pmgroup_{digest}"
    js = "\n".join(scripts) + f"\nvar {outer} = L.featureGroup([{', '.join(names)}]);"
    js += "".join(f"\nmap_div.removeLayer({n});" for n in names)
    return js, outer


def _cached_group(key: tuple, title: str, build: Any) -> folium.FeatureGroup:
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
    if hit is None:
        folder = _disk["dir"] if len(key) > 1 and key[1] == "spec" else None  # proposals stay in memory only
        path = folder / f"{hashlib.sha1(repr(key).encode()).hexdigest()}.js" if folder is not None else None
        if path is not None and path.is_file():
            try:
                hit = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                hit = None
            if hit is not None and hit.count("\x00") != 1:  # damaged: render again
                hit = None
        if hit is None:
            js, outer = _render_group(repr(key), build)
            hit = js + "\x00" + outer
            if path is not None:
                _write_atomic(path, hit)
        with _lock:
            _cache[key] = hit
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    js, outer = hit.split("\x00")
    return _Prerendered(js, outer, title)


def _write_atomic(path: Path, text: str) -> None:
    import os
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".js")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)  # readers see the whole file or none
    except OSError:  # a read-only or full disk only costs speed
        pass


def cache_info() -> dict[str, int]:
    """Entries in the rendered-layer cache (tests, benchmarks)."""
    with _lock:
        return {"entries": len(_cache)}


_frames: OrderedDict[tuple, Any] = OrderedDict()


#: Grid (degrees) the data window snaps to below the province level: small pans reuse the same window.
CLIP_GRID: dict[str, float] = {"prefecture": 1.0, "zone": 0.25}


def clip_window(bounds: tuple[float, float, float, float] | None, level: str) -> tuple[float, ...] | None:
    """The area whose features are sent at ``level``: the view grown by one view on each side, snapped
    outward to :data:`CLIP_GRID` (``None`` at province level: everything, simplified).

    Zoomed in, the layers are drawn in full detail; sending the whole province at that detail would be
    several MB, so only the surroundings of the view go, and a pan beyond them fetches the next window.

    >>> clip_window((104.0, 30.6, 104.1, 30.7), "zone")
    (103.75, 30.5, 104.25, 31.0)
    """
    if bounds is None or level not in CLIP_GRID:
        return None
    w, s, e, n = bounds
    g = CLIP_GRID[level]
    dx, dy = e - w, n - s
    return (math.floor((w - dx) / g) * g, math.floor((s - dy) / g) * g,
            math.ceil((e + dx) / g) * g, math.ceil((n + dy) / g) * g)


def _display_frame(frames: Mapping[str, pd.DataFrame], view: MapView, layer_id: str, level: str,
                   window: tuple[float, ...] | None = None) -> Any:
    """A layer's simplified display features, kept per detail level and data window: restyling (industry,
    colours, language) does not simplify again."""
    key = (_data_token(frames), layer_id, level, window, view.regions if layer_id == "regions" else ())
    with _lock:
        hit = _frames.get(key)
    if hit is None:
        hit = spec_frame(frames, view, layer_id, level, bounds=window, margin=0.0)
        with _lock:
            _frames[key] = hit
            while len(_frames) > 48:
                _frames.popitem(last=False)
    return hit


def _data_token(frames: Mapping[str, pd.DataFrame]) -> str:
    """Identity of the data drawn: ``frames["_token"]`` when the loader set one (stable across restarts,
    e.g. the GeoPackage's size and mtime), else the object's id (this process only)."""
    token = frames.get("_token")
    return str(token) if token is not None else f"id{id(frames.get('zones'))}"


def _spec_key(view: MapView, layer_id: str, level: str, window: tuple[float, ...] | None = None) -> tuple:
    """What a spec layer's drawing depends on (nothing else goes into its cache key)."""
    key: tuple = (layer_id, level, window, view.lang, view.gcj02)
    if layer_id in ("zones", "parks"):
        key += (view.color_by, view.industry, tuple(sorted(view.hosts.items())))
    if layer_id == "zones":
        key += (view.highlighted,)
    if layer_id == "prefectures":
        key += (view.industry, tuple(sorted(view.hosts)))
    if layer_id == "regions":
        key += (view.regions,)
    return key


def layer_groups(view: MapView, frames: Mapping[str, pd.DataFrame], level: str,
                 bounds: tuple[float, float, float, float] | None = None) -> list[folium.FeatureGroup]:
    """One feature group per visible layer of ``view`` at detail ``level``, bottom first.

    ``bounds`` is the area on screen: below the province level only the
    features of its :func:`clip_window` are sent (and the labels in view).

    Spec layers are planned with :func:`layers.compose.plan_spec_layer` (the
    exports' plan) and cached by :func:`_spec_key`, so only a layer whose
    inputs changed is simplified and serialised again; the highlight outline,
    the proposal and its overlap pieces are cached by their geometry, labels
    by their text.
    """
    token = _data_token(frames)
    lang, gcj = view.lang, view.gcj02
    window = clip_window(bounds, level)
    groups: list[folium.FeatureGroup] = [ui_group(lang)]
    for lid in MAP_LAYERS:
        if lid not in view.active or (lid == "regions" and not view.regions):
            continue
        # parks never restyle for the selection: the highlight layer outlines it
        lview = replace(view, highlighted="") if lid == "parks" else view

        def build(m: folium.Map, _lid: str = lid, _v: MapView = lview) -> None:
            lay = plan_spec_layer(_v, frames, _lid, level, gdf=_display_frame(frames, _v, _lid, level, window))
            if lay is not None:
                add_layer(m, lay, lang, gcj)

        groups.append(_cached_group((token, "spec") + _spec_key(view, lid, level, window), SPEC_BY_ID[lid].title(lang),
                                    build))
    if view.highlighted:
        parks = frames["parks"]
        sel = parks[parks["zone_id"] == view.highlighted]
        if not sel.empty:
            hl = DrawLayer("highlight", t("parks", lang), "polygon", sel,
                           lambda _p: {"color": HIGHLIGHT, "weight": 5, "fillOpacity": 0.0, "fill": False},
                           tuple(c for c in ("park_id", "name", "zone_id") if c in sel.columns))
            groups.append(_cached_group((token, "highlight", view.highlighted, lang, gcj), hl.title,
                                        lambda m: add_layer(m, hl, lang, gcj)))
    labels = plan_labels(replace(view, level=level, bounds=bounds), frames) + site_labels(view)
    links = plan_links(view, frames)
    if labels or links:
        lkey = (token, "labels", gcj, lang, tuple((lb.text, lb.css_class) for lb in labels),
                tuple(k.label for k in links))
        groups.append(_cached_group(lkey, "labels", lambda m: _add_labels_links(m, view, labels, links)))
    for lay in plan_proposal_layers(view):
        geom = lay.frame.geometry.iloc[0]
        gkey = (token, lay.key, lang, gcj, hashlib.sha1(geom.wkb).hexdigest())
        groups.append(_cached_group(gkey, lay.title, lambda m, _l=lay: add_layer(m, _l, lang, gcj)))
    return groups


def _add_labels_links(m: folium.Map, view: MapView, labels: list, links: list) -> None:
    from layers.compose import _shift

    gcj = view.gcj02
    for css, size in sorted({(lb.css_class, lb.size_px) for lb in labels}):
        pts = [(*_shift(lb.lat, lb.lon, gcj), lb.text) for lb in labels if lb.css_class == css]
        render.add_labels(m, pts, css, size)
    if links:
        render.add_enclave_links(m, [(_shift(*k.owner, gcj), _shift(*k.host, gcj), k.label) for k in links], view.lang)


def drawn_geometry(drawings: list[dict[str, Any]] | None, gcj02: bool) -> tuple[Any, list[Any]]:
    """The proposal drawn on the map: ``(geometry in CGCS2000, the polygons drawn)`` or ``(None, [])``.

    Every polygon or rectangle drawn counts (several make one multi-parcel
    proposal).  Drawn over Gaode tiles the coordinates are GCJ-02; they are
    shifted back here, before anything measures or saves them.
    """
    from shapely.geometry import shape
    from shapely.ops import unary_union

    from geo.crs import transform_geometry_gcj02

    polys = [shape(d["geometry"]) for d in drawings or []
             if (d.get("geometry") or {}).get("type") in ("Polygon", "MultiPolygon")]
    if not polys:
        return None, []
    if gcj02:
        polys = [transform_geometry_gcj02(p, to_gcj=False) for p in polys]
    return (polys[0] if len(polys) == 1 else unary_union(polys)), polys


def legend_markdown_html(rows: list[tuple[str, str, str]]) -> str:
    """The legend as an HTML block for the page under the map (never over it); labels escaped."""
    items = "".join(
        f'<span class="pm-legend-row" data-color="{html.escape(c)}" style="display:inline-block;margin:0 14px 4px 0">'
        f'{render.swatch(k, c)}{html.escape(label)}</span>' for k, c, label in rows)
    return f'<div class="parkmap-legend" style="font-size:13px;line-height:1.5">{items}</div>'


__all__ = ["LEVEL_ZOOMS", "MAP_HEIGHT", "PROVINCE_CENTER", "PROVINCE_ZOOM", "base_map", "bounds_for_view",
           "cache_info", "drawn_geometry", "ui_group", "layer_groups", "legend_markdown_html", "level_for_zoom", "view_for_bounds"]
