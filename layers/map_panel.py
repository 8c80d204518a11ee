"""The parkmap page's live map: the mounted base map, the planner's pan and zoom, drawing, clicking a zone.

Streamlit code (above the engine).  :func:`map_area` is a fragment (panning
and zooming rerun only the map); the layers are swapped in place by
:mod:`layers.live`, and the view is zoomed only when a zone, a prefecture or a
new proposal is chosen.  :func:`current_view` is the view on screen, which the
export panel renders too.  Being a fragment, the map reads the session's
workflow through :func:`layers.page_state.workflow` at each of its own reruns
rather than keeping the object it was first given.
"""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from geo.proposal import parcel_label
from layers import live
from layers.assets import use_local_assets
from layers.compose import MapView, geometry_bounds, plan_legend, zone_bounds
from layers.i18n import t
from layers.page_data import tianditu_key, zone_lookup
from layers.page_state import guarded, suggest_nearest, workflow
from layers.session import require_session

ss = st.session_state


def map_state() -> dict:
    return ss.setdefault("mapview", {"center": list(live.PROVINCE_CENTER), "zoom": live.PROVINCE_ZOOM, "seen": None})


def _finite(*values) -> bool:
    import math

    try:
        return all(math.isfinite(float(v)) for v in values)
    except (TypeError, ValueError):
        return False


def _retarget(data: dict, ui: dict) -> None:
    """Zoom to a zone, prefecture or proposal only when one is newly chosen; otherwise keep the planner's view."""
    mv, w = map_state(), workflow()
    selected = ss.get("selected_zone", "")
    seen = (selected, w.focus, ui["view"])
    old = mv["seen"] or ("", 0, "")
    if mv["seen"] == seen:
        return
    bounds = None
    if w.focus != old[1] and w.geometry is not None:
        bounds = geometry_bounds(w.geometry)
    elif selected and selected != old[0]:
        try:
            bounds = zone_bounds(data, selected)
        except KeyError:
            bounds = None
    elif ui["view"] != old[2]:
        pref = data["prefectures"]
        bounds = tuple(pref[pref["adcode"] == ui["view"]].total_bounds) if ui["view"] else \
            tuple(data["province"].total_bounds)
    if bounds is not None:
        center, zoom = live.view_for_bounds(bounds)
        mv.update(center=list(center), zoom=zoom)
    mv["seen"] = seen


def current_view(data: dict, ui: dict, *, for_export: bool = False) -> MapView:
    """The view on screen; exports render the same state over the planner's current extent."""
    w, mv = workflow(), map_state()
    short = zone_lookup()[0]
    result = w.current_result(short)
    return MapView(
        bounds=live.bounds_for_view(mv["center"], mv["zoom"]) if for_export else None,
        basemap=ui["basemap"], active=tuple(ui["active"]), regions=tuple(ui["regions"]), color_by=ui["color_by"],
        highlighted=ss.get("selected_zone", ""), industry=ui["industry"],
        hosts=dict(zip(ui["hosts"]["zone_id"], ui["hosts"]["role"])), proposal=w.geometry,
        overlaps=dict(result.geometries) if result is not None else {}, lang=ui["lang"], prefecture=ui["view"],
        sites=tuple(ss.get("site_shapes", ())),  # 可扩区 candidates (layers.sites_panel)
        tianditu_key=tianditu_key(),
    )


@st.fragment
@guarded
def map_area(data: dict, ui: dict) -> None:
    """The map (a fragment: panning and zooming rerun only this part)."""
    require_session()
    mv = map_state()
    key = f"map{ss['map_epoch']}"
    if mv.get("instance") != (key, ui["basemap"]):  # a new map is mounted (new epoch or basemap) ...
        mv["instance"] = (key, ui["basemap"])
        mv["skip_default"] = True  # ... whose first report is its own start view, not the planner's
    last = ss.get(key) or {}  # the map's last report (st_folium's on_change stores it before this rerun)
    c, z = last.get("center"), last.get("zoom")
    if c and z is not None and mv.get("reported") != (c, z) and _finite(c.get("lat"), c.get("lng"), z):
        mv["reported"] = (c, z)
        start = (abs(float(c["lat"]) - live.PROVINCE_CENTER[0]) < 1e-6
                 and abs(float(c["lng"]) - live.PROVINCE_CENTER[1]) < 1e-6 and float(z) == live.PROVINCE_ZOOM)
        if not (mv.pop("skip_default", False) and start):
            mv.update(center=[float(c["lat"]), float(c["lng"])], zoom=float(z))  # the planner's own pan/zoom
    _retarget(data, ui)
    view = current_view(data, ui)
    level = live.level_for_zoom(mv["zoom"])
    groups = live.layer_groups(view, data, level, live.bounds_for_view(mv["center"], mv["zoom"]))
    m = use_local_assets(live.base_map(ui["basemap"], tianditu_key()))
    out = st_folium(m, key=key, height=live.MAP_HEIGHT, use_container_width=True,
                    center=mv["center"], zoom=mv["zoom"], feature_group_to_add=groups,
                    returned_objects=["last_active_drawing", "all_drawings", "center", "zoom"]) or {}
    with st.expander(t("legend_fold", ui["lang"]), expanded=True):
        st.html(live.legend_markdown_html(plan_legend(view, data)))
    if _take_drawing(out, view.gcj02, data):
        st.rerun()
    props = (out.get("last_active_drawing") or {}).get("properties") or {}
    zid = props.get("zone_id")
    if zid and zid in zone_lookup()[0] and zid != ss.get("selected_zone") and zid != ss.get("last_click"):
        ss["last_click"] = zid
        ss["pending_zone"] = zid
        st.rerun()


def _take_drawing(out: dict, gcj: bool, data: dict) -> bool:
    """Drawn polygons (all of them: one proposal) become the proposal, in CGCS2000 (see live.drawn_geometry)."""
    drawings = out.get("all_drawings") or []
    raw = repr([d.get("geometry") for d in drawings]).encode()
    if not drawings or ss.get("drawn_raw") == raw:
        return False
    ss["drawn_raw"] = raw
    geom, polys = live.drawn_geometry(drawings, gcj)
    if geom is None:
        return False
    parcels = [{"label": parcel_label(i), "geometry": p} for i, p in enumerate(polys)] if len(polys) > 1 else []
    workflow().set_geometry(geom, source="drawn", parcels=parcels)
    suggest_nearest(data, geom)
    return True
