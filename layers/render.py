"""Turn layer specs and frames into folium objects.

Pure helpers prepare GeoJSON (simplified per view, rounded to 6 decimals,
shifted to GCJ-02 for Gaode tiles, HTML-escaped); the ``add_*`` functions
attach folium objects to a map.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any, Iterable

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template

from geo.crs import transform_geometry_gcj02
from layers.i18n import t
from layers.specs import (
    CLASS_COLORS,
    CLASS_EN,
    HIGHLIGHT,
    LEVEL_COLORS,
    LEVEL_EN,
    MUTED,
    REGION_COLORS,
    ROLE_COLORS,
    LayerSpec,
)

#: Decimal places kept in GeoJSON coordinates (~0.1 m).
COORD_DECIMALS = 6

BASEMAPS: dict[str, dict[str, Any]] = {
    "none": {"tiles": None},
    "osm": {
        "tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attr": "© OpenStreetMap contributors",
    },
    "tianditu_vec": {
        "tiles": "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
        "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}",
        "labels": "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cva"
        "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}",
        "attr": "© 天地图 Tianditu",
        "subdomains": "01234567",
        "needs_key": True,
    },
    "tianditu_img": {
        "tiles": "https://t{s}.tianditu.gov.cn/img_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=img"
        "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}",
        "labels": "https://t{s}.tianditu.gov.cn/cia_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cia"
        "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}",
        "attr": "© 天地图 Tianditu",
        "subdomains": "01234567",
        "needs_key": True,
    },
    "gaode": {
        "tiles": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "attr": "© 高德地图 AutoNavi (GCJ-02)",
        "subdomains": "1234",
        "gcj02": True,
    },
}


def is_gcj02(basemap: str) -> bool:
    """True when the basemap's tiles are in GCJ-02, so data must be shifted to line up."""
    return bool(BASEMAPS.get(basemap, {}).get("gcj02"))


# --------------------------------------------------------------------------- geometry → GeoJSON


def simplify_frame(gdf: gpd.GeoDataFrame, tolerance: float, coverage: bool = False) -> gpd.GeoDataFrame:
    """Simplify for display; ``coverage=True`` keeps shared borders gap-free (``shapely.coverage_simplify``)."""
    if tolerance <= 0:
        return gdf
    out = gdf.copy()
    geoms = out.geometry.values
    if coverage:
        out["geometry"] = shapely.coverage_simplify(geoms, tolerance)
    else:
        out["geometry"] = shapely.simplify(geoms, tolerance, preserve_topology=True)
    return out


def round_coords(geoms: Any, decimals: int = COORD_DECIMALS) -> Any:
    """Round every coordinate to ``decimals`` places."""
    return shapely.transform(geoms, lambda xy: np.round(xy, decimals))


def display_geometries(gdf: gpd.GeoDataFrame, gcj02: bool = False) -> np.ndarray:
    """Geometries as drawn: optionally shifted WGS84/CGCS2000 → GCJ-02, then rounded."""
    geoms = gdf.geometry.values
    if gcj02:
        geoms = np.array([transform_geometry_gcj02(g, to_gcj=True) for g in geoms], dtype=object)
    return round_coords(geoms)


def _clean(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, str):
        return html.escape(v)  # tooltips insert values as HTML: show them as text
    return v


def to_geojson(gdf: gpd.GeoDataFrame, columns: Iterable[str], gcj02: bool = False) -> dict:
    """A GeoJSON FeatureCollection of ``columns`` with HTML-escaped strings and rounded coordinates."""
    cols = [c for c in dict.fromkeys(columns) if c in gdf.columns]
    geoms = display_geometries(gdf, gcj02)
    feats = []
    for geom, (_, row) in zip(geoms, gdf[cols].iterrows()):
        if geom is None or geom.is_empty:
            continue
        feats.append(
            {
                "type": "Feature",
                "properties": {c: _clean(row[c]) for c in cols},
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def geojson_size(data: dict) -> int:
    """Bytes of ``data`` serialised compactly, as folium embeds it."""
    return len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


# --------------------------------------------------------------------------- styles


def zone_color(row: dict, color_by: str) -> str:
    """Fill colour of a zone or park by class or level."""
    if color_by == "level":
        return LEVEL_COLORS.get(row.get("level", ""), MUTED)
    return CLASS_COLORS.get(row.get("zone_class", ""), MUTED)


def region_color(index: int) -> str:
    return REGION_COLORS[index % len(REGION_COLORS)]


# --------------------------------------------------------------------------- folium objects


def new_map(basemap: str = "none", bounds: tuple[float, float, float, float] | None = None,
            tianditu_key: str | None = None, lang: str = "zh") -> folium.Map:
    """A folium map with the chosen basemap; ``none`` draws a plain background that works offline."""
    info = BASEMAPS.get(basemap, BASEMAPS["none"])
    m = folium.Map(location=[30.6, 103.0], zoom_start=6, tiles=None, control_scale=False, prefer_canvas=False,
                   zoomSnap=0.25, zoomDelta=0.5)
    _MetricScale().add_to(m)  # 米/公里 only: planners do not read miles
    # Only Leaflet itself: the map uses no Bootstrap, jQuery, Font Awesome or
    # awesome-markers, and every extra file delays the first drawn map.
    m.default_js = [(k, v) for k, v in m.default_js if k == "leaflet"]
    m.default_css = [(k, v) for k, v in m.default_css if k == "leaflet_css"]
    if info.get("tiles"):
        if info.get("needs_key") and not tianditu_key:
            pass  # the app shows a warning; keep the plain background
        else:
            kw = {"subdomains": info["subdomains"]} if "subdomains" in info else {}
            url = info["tiles"].replace("{tk}", tianditu_key or "")
            folium.TileLayer(url, attr=info["attr"], name=t(f"basemap_{basemap.replace('tianditu', 'tdt')}", lang),
                             overlay=False, control=False, max_zoom=18, **kw).add_to(m)
            if info.get("labels"):
                folium.TileLayer(info["labels"].replace("{tk}", tianditu_key or ""), attr=info["attr"],
                                 overlay=True, control=False, max_zoom=18, **kw).add_to(m)
    if bounds is not None:
        w, s, e, n = bounds
        m.fit_bounds([[s, w], [n, e]])
    _Background().add_to(m)
    _NoScrollFocus().add_to(m)
    return m


class _NoScrollFocus(MacroElement):
    """Focus the map on mouse-down without scrolling the page.

    Leaflet's keyboard handler focuses the map container on the first
    mouse-down; inside the Streamlit iframe that scrolls the parent page, the
    feature moves away from under the pointer and the first click is lost.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
(function (m) {
  var k = m.keyboard;
  if (!k || !k.enabled()) { return; }
  k.removeHooks();
  k._onMouseDown = function () {
    if (this._focused) { return; }
    this._map._container.focus({preventScroll: true});
  };
  k.addHooks();
})({{ this._parent.get_name() }});
{% endmacro %}"""
    )


class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only."""

    _template = Template(
        """{% macro script(this, kwargs) %}
L.control.scale({imperial: false, metric: true, maxWidth: 140}).addTo({{ this._parent.get_name() }});
{% endmacro %}"""
    )


class _Background(MacroElement):
    """Plain light background behind the layers (for the no-tiles basemap)."""

    _template = Template(
        """{% macro header(this, kwargs) %}<style>.leaflet-container{background:#f3f1ec;}</style>{% endmacro %}"""
    )


def _tooltip(spec: LayerSpec, lang: str) -> folium.GeoJsonTooltip | None:
    if not spec.popup:
        return None
    return folium.GeoJsonTooltip(
        fields=[p.column for p in spec.popup],
        aliases=[html.escape(p.en if lang == "en" else p.zh) for p in spec.popup],
        sticky=True,
    )


def add_geojson_layer(m: folium.Map, spec: LayerSpec, data: dict, lang: str,
                      style_fn: Any = None, name: str | None = None, show: bool = True) -> folium.FeatureGroup:
    """Add one spec'd GeoJSON layer in its own FeatureGroup (so LayerControl can toggle it)."""
    fg = folium.FeatureGroup(name=html.escape(name or spec.title(lang)), show=show)
    base = dict(spec.style)
    radius = base.pop("radius", None)
    fn = style_fn or (lambda _f, _b=base: _b)
    kwargs: dict[str, Any] = {}
    if spec.kind == "point":
        kwargs["marker"] = folium.CircleMarker(radius=radius or 5)
    folium.GeoJson(
        data,
        name=spec.id,
        style_function=fn,
        highlight_function=(lambda _f: {"weight": 3, "color": HIGHLIGHT}) if spec.kind != "line" else None,
        tooltip=_tooltip(spec, lang),
        smooth_factor=1.0,
        **kwargs,
    ).add_to(fg)
    fg.add_to(m)
    return fg


def add_labels(m: folium.Map, points: list[tuple[float, float, str]], css_class: str, size_px: int = 12) -> None:
    """Static text labels (HTML-escaped) at (lat, lon)."""
    fg = folium.FeatureGroup(name=css_class, control=False)
    for lat, lon, text in points:
        folium.Marker(
            [lat, lon],
            icon=folium.DivIcon(
                html=(f'<div class="{css_class}" style="font-size:{size_px}px;white-space:nowrap;'
                      'transform:translate(-50%,-50%);display:inline-block;color:#333;font-weight:600;pointer-events:none;'
                      f'text-shadow:0 0 3px #fff,0 0 3px #fff">{html.escape(text)}</div>'),
                icon_size=(0, 0),
            ),
            interactive=False,  # labels never take clicks meant for the features below
        ).add_to(fg)
    fg.add_to(m)


def add_enclave_links(m: folium.Map, links: list[tuple[tuple[float, float], tuple[float, float], str]], lang: str) -> None:
    """Dashed arrows from an enclave's owner prefecture seat to its host site ((lat, lon) pairs)."""
    fg = folium.FeatureGroup(name=html.escape(t("enclave_link", lang)))
    for owner, host, label in links:
        folium.PolyLine([owner, host], color="#6a3d9a", weight=2.5, dash_array="8 6", opacity=0.9,
                        tooltip=html.escape(label)).add_to(fg)
        folium.CircleMarker(owner, radius=4, color="#6a3d9a", fill=True, fill_opacity=1.0,
                            tooltip=html.escape(label)).add_to(fg)
    fg.add_to(m)


class HtmlOverlay(MacroElement):
    """A fixed HTML box over the map (legend, notice)."""

    _template = Template(
        """{% macro html(this, kwargs) %}
<div class="{{ this.css_class }}" style="position:absolute;z-index:9999;{{ this.position }};background:rgba(255,255,255,0.92);
padding:6px 9px;border:1px solid #999;border-radius:4px;font:12px/1.35 'Noto Sans CJK SC','Microsoft YaHei',sans-serif;
max-width:{{ this.max_width }}px;">{{ this.body }}</div>
{% endmacro %}"""
    )

    def __init__(self, body: str, position: str, css_class: str, max_width: int = 260):
        super().__init__()
        self._name = "HtmlOverlay"
        self.body = body
        self.position = position
        self.css_class = css_class
        self.max_width = max_width


def legend_items(active: Iterable[str], color_by: str, lang: str, industry_active: bool = False,
                 regions: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str, str]]:
    """(kind, colour, label) rows for the legend of the active layers; kind is fill, line, dot or dash.

    ``regions`` lists (colour, name) of the regions drawn, each shown with its own swatch.
    """
    from layers.specs import SPEC_BY_ID

    rows: list[tuple[str, str, str]] = []
    active = list(active)
    if "zones" in active or "parks" in active:
        if industry_active:
            rows += [("dot", ROLE_COLORS["重点依托"], t("role_key", lang)),
                     ("dot", ROLE_COLORS["发展方向"], t("role_dir", lang)),
                     ("dot", MUTED, "其他开发区" if lang == "zh" else "Other zones")]
        elif color_by == "level":
            rows += [("dot", c, LEVEL_EN[k] if lang == "en" else k) for k, c in LEVEL_COLORS.items()]
        else:
            rows += [("dot", c, CLASS_EN[k] if lang == "en" else k) for k, c in CLASS_COLORS.items()]
    if "zones" in active:
        rows.append(("dash", "#6a3d9a", t("enclave_link", lang)))
    for lid in active:
        s = SPEC_BY_ID.get(lid)
        if s is None or lid in ("zones", "parks"):
            continue
        if lid == "regions":
            rows += [("fill", c, name) for c, name in regions]
            continue
        kind = "line" if s.kind == "line" or s.style.get("fillOpacity", 0) == 0 else "fill"
        if s.style.get("dashArray"):
            kind = "dash" if s.style.get("fillOpacity", 0) < 0.1 else kind
        color = s.style.get("fillColor") or s.style.get("color") or MUTED
        rows.append((kind, color, s.title(lang)))
    return rows


#: Legend swatches by kind (HTML; ``{c}`` is the colour).
SWATCHES: dict[str, str] = {
    "dot": '<span style="display:inline-block;width:11px;height:11px;border-radius:50%;background:{c};margin-right:6px"></span>',
    "fill": '<span style="display:inline-block;width:14px;height:10px;background:{c};opacity:.75;border:1px solid #555;margin-right:6px"></span>',
    "line": '<span style="display:inline-block;width:16px;height:0;border-top:3px solid {c};margin:0 6px 3px 0"></span>',
    "dash": '<span style="display:inline-block;width:16px;height:0;border-top:2px dashed {c};margin:0 6px 3px 0"></span>',
}


def swatch(kind: str, color: str) -> str:
    """One legend swatch (colour escaped)."""
    return SWATCHES[kind].format(c=html.escape(color))


def legend_html(rows: list[tuple[str, str, str]], lang: str) -> str:
    """HTML of the legend box."""
    items = "".join(
        f'<div class="legend-row" data-color="{c}">{swatch(k, c)}{html.escape(label)}</div>' for k, c, label in rows
    )
    return f'<div style="font-weight:600;margin-bottom:3px">{html.escape(t("legend", lang))}</div>{items}'


def add_legend(m: folium.Map, rows: list[tuple[str, str, str]], lang: str) -> None:
    HtmlOverlay(legend_html(rows, lang), "bottom:28px;right:10px", "parkmap-legend").add_to(m)


def add_notice(m: folium.Map, lang: str) -> None:
    """The illustrative-data notice, always visible on the map while illustrative layers are on."""
    HtmlOverlay(html.escape(t("illustrative_notice", lang)), "top:10px;left:54px", "parkmap-notice", 520).add_to(m)


def parks_display(parks: gpd.GeoDataFrame, zones: pd.DataFrame) -> gpd.GeoDataFrame:
    """Parks with their zone's short name, class and level, and area in ha (for styling and tooltips)."""
    z = zones[["zone_id", "short_name", "zone_class", "level"]].rename(columns={"short_name": "zone_short_name"})
    out = parks.merge(z, on="zone_id", how="left")
    out["area_ha"] = (out["area_m2"] / 1e4).round(2)
    return out


def zones_points(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Zone markers: one point per zone on its largest park (representative point)."""
    pts = zones.copy()
    pts["geometry"] = shapely.point_on_surface(zones.geometry.values)
    return pts


def prefecture_counts_style(counts: pd.Series, adcode: str) -> dict:
    """Choropleth fill for a prefecture given zone counts per adcode (sequential reds)."""
    n = int(counts.get(adcode, 0))
    top = max(int(counts.max()) if len(counts) else 1, 1)
    ramp = ["#fff5f0", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15"]
    idx = 0 if n == 0 else 1 + min(len(ramp) - 2, int((n / top) * (len(ramp) - 2) + 0.5))
    return {"color": "#4d4d4d", "weight": 1.4, "fillColor": ramp[idx], "fillOpacity": 0.55 if n else 0.15}
