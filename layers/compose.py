"""Compose the map the planner sees from a *view state*, without Streamlit.

:class:`MapView` holds everything that decides what is drawn (extent, basemap,
visible layers, regions, colouring, highlighted zone, industry hosts, a
proposal and its overlap pieces, language). :func:`plan_layers`,
:func:`plan_labels`, :func:`plan_links` and :func:`plan_legend` resolve a view
into plain data (frames, style functions, legend rows); two renderers consume
that plan, so they draw the same layers in the same colours:

* :func:`compose_map` → an interactive :class:`folium.Map` (the app, the HTML
  export, the browser snapshot);
* :mod:`layers.export`'s static renderer (matplotlib) for snapshots and reports.

``frames`` is a dict of the embedded layers as the app keeps them
(:func:`load_frames`): ``prefectures``, ``counties``, ``regions``,
``eco_redline``, ``farmland``, ``urban_boundary``, ``rivers``, ``parks``
(through :func:`layers.render.parks_display`), ``zones``, ``province``;
optionally ``layer_sources``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.controls import OVERLAP_STYLES, PROPOSAL_STYLE, overlap_styles
from geo.crs import EPSG_CGCS2000, wgs84_to_gcj02
from layers import render
from layers.i18n import t
from layers.specs import HIGHLIGHT, MUTED, ROLE_COLORS, SPEC_BY_ID, LayerSpec

#: Spec layers in drawing order (bottom first), as in the app.
MAP_LAYERS: tuple[str, ...] = tuple(SPEC_BY_ID)  # the specs' order (layers.specs.SPECS)
#: Layers the app shows at start.
DEFAULT_ACTIVE: tuple[str, ...] = tuple(s for s in MAP_LAYERS if SPEC_BY_ID[s].default_on)
#: Frames :func:`load_frames` reads from the embedded GeoPackage.
FRAME_LAYERS: tuple[str, ...] = MAP_LAYERS + ("province", "layer_sources")

#: Span (degrees) above which a view counts as province / prefecture level (simplification, labels).
LEVEL_SPANS: tuple[tuple[float, str], ...] = ((3.0, "province"), (0.5, "prefecture"), (0.0, "zone"))

Bounds = tuple[float, float, float, float]


@dataclass
class MapView:
    """What the planner sees: everything :func:`compose_map` needs besides the data.

    Attributes
    ----------
    bounds : tuple of float, optional
        ``(west, south, east, north)`` in lon/lat; default: the highlighted
        zone's parks (padded), else the province.
    basemap : str
        Key of :data:`layers.render.BASEMAPS` (``none``, ``osm``,
        ``tianditu_vec``, ``tianditu_img``, ``gaode``).
    active : tuple of str
        Visible spec layers (ids of :data:`layers.specs.SPECS`).
    regions : tuple of str
        Region ids drawn when ``regions`` is active.
    color_by : {"class", "level"}
        Zone and park colouring.
    highlighted : str
        Zone id outlined in :data:`layers.specs.HIGHLIGHT` (``""`` for none).
    industry : str
        Active industry filter id (``""`` for none): zones coloured by role,
        prefectures by host count.
    hosts : dict
        zone id → role (``重点依托`` / ``发展方向``) for ``industry``.
    proposal : shapely geometry, optional
        Proposal polygon (lon/lat EPSG:4490).
    overlaps : dict
        Key of :data:`OVERLAP_STYLES` → lon/lat geometry (e.g.
        ``CheckResult.geometries``); unknown keys are ignored.
    lang : {"zh", "en"}
    level : str, optional
        ``province`` / ``prefecture`` / ``zone``: simplification and labels;
        default from the bounds' span.
    prefecture : str
        Prefecture adcode whose county names are labelled (default: the
        highlighted zone's host prefecture, else the counties in view).
    tianditu_key : str, optional
        Key for the Tianditu basemaps.
    title : str
        Title of exported pages (default built from the view).
    """

    bounds: Bounds | None = None
    basemap: str = "none"
    active: tuple[str, ...] = DEFAULT_ACTIVE
    regions: tuple[str, ...] = ()
    color_by: str = "class"
    highlighted: str = ""
    industry: str = ""
    hosts: dict[str, str] = field(default_factory=dict)
    proposal: BaseGeometry | None = None
    overlaps: dict[str, BaseGeometry] = field(default_factory=dict)
    sites: tuple[tuple[int, BaseGeometry], ...] = ()  # (rank, geometry) of 可扩区 candidates (layers.sites_panel)
    lang: str = "zh"
    level: str | None = None
    prefecture: str = ""
    tianditu_key: str | None = None
    title: str = ""

    @property
    def gcj02(self) -> bool:
        """True when the basemap is GCJ-02 and every layer is shifted to line up."""
        return render.is_gcj02(self.basemap)

    @property
    def industry_on(self) -> bool:
        return bool(self.industry)


@dataclass
class DrawLayer:
    """One resolved layer: lon/lat features plus how to style them.

    Attributes
    ----------
    key : str
        Spec id, ``highlight``, ``proposal`` or ``overlap:<key>``.
    title : str
        Layer name in the language of the view.
    kind : {"polygon", "line", "point"}
    frame : GeoDataFrame
        Display geometry (simplified for the level), lon/lat EPSG:4490, not
        shifted to GCJ-02 (renderers shift as needed).
    style : callable
        ``style(properties) -> dict`` of Leaflet path options.
    columns : tuple of str
        Properties kept (tooltip fields and the ids the style reads).
    spec : LayerSpec, optional
        The spec (tooltips) for spec layers.
    radius : float
        Point marker radius in CSS px (``point`` layers).
    """

    key: str
    title: str
    kind: str
    frame: gpd.GeoDataFrame
    style: Callable[[Mapping[str, Any]], dict[str, Any]]
    columns: tuple[str, ...] = ()
    spec: LayerSpec | None = None
    radius: float = 5.0


@dataclass(frozen=True)
class Label:
    """A static text label at (lat, lon)."""

    lat: float
    lon: float
    text: str
    css_class: str
    size_px: int


@dataclass(frozen=True)
class Link:
    """An enclave link: dashed line from the owner prefecture seat to the host site ((lat, lon) pairs)."""

    owner: tuple[float, float]
    host: tuple[float, float]
    label: str


# --------------------------------------------------------------------------- data


def load_frames(path: Any = None) -> dict[str, pd.DataFrame]:
    """The layers :func:`compose_map` draws, read from the embedded GeoPackage.

    Parameters
    ----------
    path : path-like, optional
        GeoPackage (default :func:`geo.dataset.gpkg_path`).

    Returns
    -------
    dict
        Layer name → frame; ``parks`` carries the zone attributes
        (:func:`layers.render.parks_display`).
    """
    from geo.dataset import list_layers, load_layer

    names = set(list_layers(path))
    data = {n: load_layer(n, path) for n in FRAME_LAYERS if n in names}
    data["parks"] = render.parks_display(data["parks"], data["zones"])
    return data


# --------------------------------------------------------------------------- extent


def zone_bounds(frames: Mapping[str, pd.DataFrame], zone_id: str, pad: float = 0.6) -> Bounds:
    """Bounds of a zone's parks padded by ``pad`` × their larger span (as the app zooms to a zone)."""
    parks = frames["parks"]
    sel = parks[parks["zone_id"] == zone_id]
    if sel.empty:
        raise KeyError(zone_id)
    w, s, e, n = (float(v) for v in sel.total_bounds)
    d = max(e - w, n - s, 0.02) * pad
    return (w - d, s - d, e + d, n + d)


def geometry_bounds(geom: BaseGeometry, pad: float = 0.35, min_span: float = 0.01) -> Bounds:
    """Bounds of ``geom`` padded by ``pad`` × its larger span (at least ``min_span`` degrees)."""
    w, s, e, n = geom.bounds
    d = max(e - w, n - s, min_span) * pad
    return (w - d, s - d, e + d, n + d)


def view_bounds(view: MapView, frames: Mapping[str, pd.DataFrame]) -> Bounds:
    """The extent of ``view``: its bounds, else the proposal, the highlighted zone, the province."""
    if view.bounds is not None:
        return tuple(float(v) for v in view.bounds)  # type: ignore[return-value]
    if view.proposal is not None and not view.proposal.is_empty:
        return geometry_bounds(view.proposal)
    if view.highlighted:
        try:
            return zone_bounds(frames, view.highlighted)
        except KeyError:
            pass
    return tuple(float(v) for v in frames["province"].total_bounds)  # type: ignore[return-value]


def view_level(view: MapView, bounds: Bounds) -> str:
    """``province``, ``prefecture`` or ``zone``: ``view.level`` or from the span of ``bounds``."""
    if view.level:
        return view.level
    span = max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    return next(level for limit, level in LEVEL_SPANS if span > limit)


def _in_bounds(gdf: gpd.GeoDataFrame, bounds: Bounds | None, margin: float = 0.25) -> gpd.GeoDataFrame:
    """Features whose bounding box meets ``bounds`` grown by ``margin`` × span (all when ``bounds`` is None)."""
    if bounds is None or gdf.empty:
        return gdf
    w, s, e, n = bounds
    dx, dy = (e - w) * margin, (n - s) * margin
    return gdf.cx[w - dx:e + dx, s - dy:n + dy]


# --------------------------------------------------------------------------- styles


def _zone_style(view: MapView, layer_id: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """Style of zone markers and parks: by role (industry), class or level; highlight the selected zone."""
    roles = dict(view.hosts)
    zone_layer = layer_id == "zones"

    def style(p: Mapping[str, Any]) -> dict[str, Any]:
        if view.industry_on:
            c = ROLE_COLORS.get(roles.get(p.get("zone_id")), MUTED)
        else:
            c = render.zone_color(dict(p), view.color_by)
        base = {"color": "#222" if zone_layer else c, "weight": 0.8 if zone_layer else 1.2,
                "fill": True, "fillColor": c, "fillOpacity": 0.9 if zone_layer else 0.55}
        if view.highlighted and p.get("zone_id") == view.highlighted:
            base.update({"color": HIGHLIGHT, "weight": 4})
        return base

    return style


def _region_order(frames: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    return {r: i for i, r in enumerate(frames["regions"]["region_id"])}


def _region_style(frames: Mapping[str, pd.DataFrame], spec: LayerSpec) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    order = _region_order(frames)

    def style(p: Mapping[str, Any]) -> dict[str, Any]:
        c = render.region_color(order.get(p.get("region_id"), 0))
        return {**spec.style, "color": c, "fillColor": c}

    return style


def _prefecture_counts(view: MapView, frames: Mapping[str, pd.DataFrame]) -> pd.Series | None:
    if not view.industry_on:
        return None
    from geo.zones import count_by_prefecture

    return count_by_prefecture(frames["zones"], view.hosts.keys())


def _fixed(style: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    frozen = dict(style)
    return lambda _p: dict(frozen)


# --------------------------------------------------------------------------- plan


def _spec_frame(frames: Mapping[str, pd.DataFrame], spec: LayerSpec, view: MapView, level: str,
                bounds: Bounds | None, margin: float = 0.25) -> gpd.GeoDataFrame:
    gdf = frames[spec.layer]
    if spec.id == "zones":
        gdf = render.zones_points(gdf)
    if spec.id == "regions":
        gdf = gdf[gdf["region_id"].isin(set(view.regions))]
    gdf = _in_bounds(gdf, bounds, margin)
    tol = spec.simplify.get(level, 0.0)
    return render.simplify_frame(gdf, tol, coverage=spec.id in ("counties", "prefectures"))


def _spec_columns(spec: LayerSpec, gdf: pd.DataFrame) -> tuple[str, ...]:
    cols = [p.column for p in spec.popup] + ["zone_id", "zone_class", "level", "region_id", "adcode"]
    return tuple(c for c in dict.fromkeys(cols) if c in gdf.columns)


def spec_frame(frames: Mapping[str, pd.DataFrame], view: MapView, layer_id: str, level: str,
               bounds: Bounds | None = None, margin: float = 0.25) -> gpd.GeoDataFrame:
    """The display features of one spec layer (picked regions, in bounds, simplified for ``level``)."""
    return _spec_frame(frames, SPEC_BY_ID[layer_id], view, level, bounds, margin)


def plan_spec_layer(view: MapView, frames: Mapping[str, pd.DataFrame], layer_id: str, level: str,
                    bounds: Bounds | None = None, margin: float = 0.25,
                    gdf: gpd.GeoDataFrame | None = None) -> DrawLayer | None:
    """Resolve one spec layer of ``view`` (None when it draws nothing, e.g. regions with none picked).

    ``gdf``: its display features when already resolved by :func:`spec_frame`
    (the app caches them per detail level).
    """
    spec = SPEC_BY_ID[layer_id]
    if layer_id == "regions" and not view.regions:
        return None
    if gdf is None:
        gdf = _spec_frame(frames, spec, view, level, bounds, margin)
    title = spec.title(view.lang)
    if layer_id == "regions":
        style = _region_style(frames, spec)
    elif layer_id in ("zones", "parks"):
        style = _zone_style(view, layer_id)
    elif layer_id == "prefectures" and (counts := _prefecture_counts(view, frames)) is not None:
        style = lambda p, _c=counts: render.prefecture_counts_style(_c, p.get("adcode"))  # noqa: E731
        title = f"{title} · {t('count_by_pref', view.lang)}"
    else:
        style = _fixed({k: v for k, v in spec.style.items() if k != "radius"})
    kind = {"point": "point", "line": "line"}.get(spec.kind, "polygon")
    return DrawLayer(layer_id, title, kind, gdf, style, _spec_columns(spec, gdf), spec,
                     float(spec.style.get("radius", 5)))


def _geom_frame(geom: BaseGeometry, **attrs: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({k: [v] for k, v in attrs.items()}, geometry=[geom], crs=EPSG_CGCS2000)


def plan_proposal_layers(view: MapView) -> list[DrawLayer]:
    """The proposal and its overlap pieces (bottom first: removed, proposal, overlaps, links)."""
    out: list[DrawLayer] = []
    styles = overlap_styles()  # registered layers' overlap pieces too
    ov = {k: g for k, g in (view.overlaps or {}).items() if k in styles and g is not None and not g.is_empty}
    if "removed" in ov:
        out.append(_overlap_layer(view, "removed", ov["removed"]))
    if view.proposal is not None and not view.proposal.is_empty:
        name = "方案范围" if view.lang == "zh" else "Proposal"
        out.append(DrawLayer("proposal", name, "polygon", _geom_frame(view.proposal, name=name),
                             _fixed(PROPOSAL_STYLE), ("name",)))
    for key in styles:
        if key in ov and key != "removed":
            out.append(_overlap_layer(view, key, ov[key]))
    for rank, geom in view.sites:
        name = f"可扩区候选 {rank}" if view.lang == "zh" else f"Candidate site {rank}"
        out.append(DrawLayer(f"site:{rank}", name, "polygon", _geom_frame(geom, name=name), _fixed(SITE_STYLE), ("name",)))
    return out


#: 可扩区 candidates on the map (dashed purple, numbered by rank).
SITE_STYLE = {"color": "#6a1b9a", "weight": 3, "dashArray": "6 4", "fillColor": "#ba68c8", "fillOpacity": 0.35}


def site_labels(view: MapView) -> list[Label]:
    """The rank of every 可扩区 candidate, at a point inside it."""
    pts = [(rank, geom.representative_point()) for rank, geom in view.sites if not geom.is_empty]
    return [Label(float(p.y), float(p.x), f"候选{rank}" if view.lang == "zh" else f"#{rank}", "pm-site-label", 14)
            for rank, p in pts]


def _overlap_layer(view: MapView, key: str, geom: BaseGeometry) -> DrawLayer:
    info = overlap_styles()[key]
    title = info["en"] if view.lang == "en" else info["zh"]
    kind = "line" if geom.geom_type.endswith("LineString") else "polygon"
    return DrawLayer(f"overlap:{key}", title, kind, _geom_frame(geom, name=title), _fixed(info["style"]), ("name",))


def plan_layers(view: MapView, frames: Mapping[str, pd.DataFrame], *, clip: bool | float = False) -> list[DrawLayer]:
    """Every layer of ``view`` in drawing order (bottom first).

    Parameters
    ----------
    view : MapView
    frames : dict
        See :func:`load_frames`.
    clip : bool or float
        Keep only features whose bounding box meets the view's bounds grown by
        ``clip`` × their span on each side (``True`` = 0.25; fixed-extent
        exports).  ``False``: everything (the app, so the planner can pan).

    Returns
    -------
    list of DrawLayer
    """
    bounds = view_bounds(view, frames)
    level = view_level(view, bounds)
    margin = 0.25 if clip is True else float(clip)
    layers = [plan_spec_layer(view, frames, lid, level, bounds if clip is not False else None, margin)
              for lid in MAP_LAYERS if lid in view.active]
    out = [layer for layer in layers if layer is not None]
    if view.highlighted:
        parks = frames["parks"]
        sel = parks[parks["zone_id"] == view.highlighted]
        if not sel.empty:
            out.append(DrawLayer("highlight", t("parks", view.lang), "polygon", sel,
                                 _fixed({"color": HIGHLIGHT, "weight": 5, "fillOpacity": 0.0, "fill": False}),
                                 tuple(c for c in ("park_id", "name", "zone_id") if c in sel.columns)))
    return out + plan_proposal_layers(view)


def plan_labels(view: MapView, frames: Mapping[str, pd.DataFrame]) -> list[Label]:
    """Prefecture names (province level) or county names (prefecture and zone levels)."""
    bounds = view_bounds(view, frames)
    level = view_level(view, bounds)
    if level == "province" and "prefectures" in view.active:
        pref = frames["prefectures"]
        return [Label(float(a), float(o), str(n), "pm-pref-label", 13)
                for a, o, n in zip(pref["seat_lat"], pref["seat_lon"], pref["short_name"])]
    if level != "province" and "counties" in view.active:
        c = frames["counties"]
        pref_code = view.prefecture or _host_prefecture(frames, view.highlighted)
        if pref_code:
            c = c[c["prefecture_adcode"] == pref_code]
        else:
            w, s, e, n = bounds
            c = c[c["seat_lon"].between(w, e) & c["seat_lat"].between(s, n)]
        return [Label(float(a), float(o), str(n), "pm-county-label", 11)
                for a, o, n in zip(c["seat_lat"], c["seat_lon"], c["name"])]
    return []


def _host_prefecture(frames: Mapping[str, pd.DataFrame], zone_id: str) -> str:
    if not zone_id:
        return ""
    z = frames["zones"]
    hit = z.loc[z["zone_id"] == zone_id, "host_prefecture_adcode"]
    return str(hit.iloc[0]) if len(hit) else ""


def plan_links(view: MapView, frames: Mapping[str, pd.DataFrame]) -> list[Link]:
    """Enclave links (owner prefecture seat → host site) when zones are shown."""
    if "zones" not in view.active:
        return []
    z = frames["zones"]
    enc = z[pd.to_numeric(z["is_enclave"], errors="coerce").fillna(0).astype(int) == 1]
    pref = frames["prefectures"].set_index("adcode")
    pts = render.zones_points(enc)
    links = []
    for (_, row), pt in zip(enc.iterrows(), pts.geometry):
        o = pref.loc[row["owner_prefecture_adcode"]]
        label = f"{row['short_name']}：{o['short_name']} → {pref.loc[row['host_prefecture_adcode'], 'short_name']}"
        links.append(Link((float(o["seat_lat"]), float(o["seat_lon"])), (float(pt.y), float(pt.x)), label))
    return links


def region_rows(view: MapView, frames: Mapping[str, pd.DataFrame]) -> list[tuple[str, str]]:
    """(colour, name) of each picked region, for the legend."""
    if "regions" not in view.active:
        return []
    reg = frames["regions"].set_index("region_id")
    order = _region_order(frames)
    col = "name_en" if view.lang == "en" else "name_zh"
    return [(render.region_color(order[r]), str(reg.loc[r, col])) for r in view.regions if r in order]


def plan_legend(view: MapView, frames: Mapping[str, pd.DataFrame]) -> list[tuple[str, str, str]]:
    """Legend rows (kind, colour, label): the app's rows plus the proposal and its overlap pieces."""
    rows = render.legend_items(view.active, view.color_by, view.lang, view.industry_on, region_rows(view, frames))
    for layer in plan_proposal_layers(view):
        if layer.key == "proposal":
            rows.append(("line", PROPOSAL_STYLE["color"], layer.title))
        elif layer.key.startswith("site:"):
            rows.append(("fill", SITE_STYLE["fillColor"], layer.title))
        else:
            info = overlap_styles()[layer.key.split(":", 1)[1]]
            colour = info["style"].get("fillColor") or info["style"]["color"]
            rows.append((info["legend"], colour if info["legend"] == "fill" else info["style"]["color"], layer.title))
    return rows


def shows_illustrative(view: MapView) -> bool:
    """True when an illustrative layer is visible or a proposal was checked (on illustrative layers)."""
    return any(SPEC_BY_ID[a].illustrative for a in view.active if a in SPEC_BY_ID) or bool(view.overlaps)


# --------------------------------------------------------------------------- folium


def _shift(lat: float, lon: float, gcj: bool) -> tuple[float, float]:
    if not gcj:
        return lat, lon
    glon, glat = wgs84_to_gcj02(lon, lat)
    return float(glat), float(glon)


def add_layer(m: folium.Map, layer: DrawLayer, lang: str, gcj: bool) -> None:
    """Add one planned layer to ``m`` (spec layers with their tooltips, others plain); empty layers are skipped."""
    data = render.to_geojson(layer.frame, layer.columns, gcj02=gcj)
    if not data["features"]:
        return
    style = lambda f, _s=layer.style: _s(f.get("properties") or {})  # noqa: E731  (folium passes the feature)
    if layer.spec is not None:
        render.add_geojson_layer(m, layer.spec, data, lang, style, name=layer.title)
        return
    tooltip = folium.GeoJsonTooltip(fields=["name"], aliases=[html.escape(t("name", lang))]) if "name" in layer.columns else None
    fg = folium.FeatureGroup(name=html.escape(layer.title))
    folium.GeoJson(data, name=layer.key, style_function=style, tooltip=tooltip).add_to(fg)
    fg.add_to(m)


def compose_map(view: MapView, frames: Mapping[str, pd.DataFrame], *, clip: bool | float = False,
                layer_control: bool = True, overlays: bool = True) -> folium.Map:
    """Build the folium map for ``view``.

    Parameters
    ----------
    view : MapView
    frames : dict
        See :func:`load_frames`.
    clip : bool or float
        Drop features far outside the view (see :func:`plan_layers`).
    layer_control : bool
        Add folium's LayerControl (off for printed pages).
    overlays : bool
        Draw the legend and the illustrative-data notice over the map (printed
        pages put them beside it instead).

    Returns
    -------
    folium.Map
        Assets still point at the CDN; call :func:`layers.assets.use_local_assets`
        (app) or :func:`layers.assets.inline_assets` on the rendered HTML (exports).
    """
    bounds = view_bounds(view, frames)
    gcj = view.gcj02
    m = render.new_map(view.basemap, bounds, view.tianditu_key, view.lang)
    for layer in plan_layers(view, frames, clip=clip):
        add_layer(m, layer, view.lang, gcj)
    labels = plan_labels(view, frames) + site_labels(view)
    for css, size in {(lb.css_class, lb.size_px) for lb in labels}:
        pts = [(*_shift(lb.lat, lb.lon, gcj), lb.text) for lb in labels if lb.css_class == css]
        render.add_labels(m, pts, css, size)
    links = plan_links(view, frames)
    if links:
        render.add_enclave_links(m, [(_shift(*k.owner, gcj), _shift(*k.host, gcj), k.label) for k in links], view.lang)
    if overlays and shows_illustrative(view):
        render.add_notice(m, view.lang)
    if overlays:
        render.add_legend(m, plan_legend(view, frames), view.lang)
    if layer_control:
        folium.LayerControl(collapsed=True).add_to(m)
    return m


__all__ = [
    "DEFAULT_ACTIVE", "MAP_LAYERS", "OVERLAP_STYLES", "PROPOSAL_STYLE", "DrawLayer", "Label", "Link", "MapView",
    "add_layer", "compose_map", "geometry_bounds", "load_frames", "plan_labels",
    "plan_layers", "plan_legend", "plan_links", "plan_proposal_layers", "plan_spec_layer", "region_rows", "site_labels", "SITE_STYLE",
    "shows_illustrative", "view_bounds", "view_level", "zone_bounds",
]
