"""parkmap — 四川开发区规划地图 (Streamlit front).

A thin page.  Data come from ``geo.dataset``; the proposal being worked on
lives in one :class:`geo.workflow.Workflow` (``st.session_state["wf"]``) that
every panel reads and changes through its methods; the map is
:mod:`layers.live` (a mounted base map whose layers are swapped in place, so
the planner's pan and zoom survive reruns); tables and texts come from
:mod:`layers.present` and :mod:`geo.catalog`.  Run: ``streamlit run app.py``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import catalog, settings
from geo import zones as zq
from geo.check import ControlIndex, apply_override
from geo.checkflow import CheckOptions, run_checks
from geo.dataset import gpkg_path, list_layers, load_layer
from geo.errors import ParkmapError
from geo.io.archive import EXTRACT_PREFIX, extraction_dir, sweep_stale_extractions
from geo.io.guard import safe_upload_name
from geo.proposal import ProposalParcels, parcel_label, proposal_from_frame, read_proposal_file
from geo.units import fmt_area, fmt_length
from geo.validate import repair_lines, repair_summary
from geo.workflow import Workflow
from geo.auth import role_label
from geo.workspace import SaveItem
from layers import live, render
from layers.assets import use_local_assets
from layers.compose import MapView, geometry_bounds, load_frames, plan_legend, zone_bounds
from layers.i18n import t
from layers.present import (compare_table, md_escape, overlap_table, rule_table, saved_table, style_rule_table,
                            verdict_html)
from layers.export_panel import export_panel
from layers.session import actor, identity, logout, password_form, require_session, workspace
from layers.specs import CLASS_EN, GROUPS, LEVEL_EN, SPEC_BY_ID, SPECS

st.set_page_config(page_title="parkmap · 四川开发区", page_icon="🗺", layout="wide")
log = logging.getLogger("parkmap.app")
ss = st.session_state

# --------------------------------------------------------------------------- cached data


@st.cache_resource(show_spinner=False)
def frames() -> dict[str, pd.DataFrame]:
    """Every map layer and table of the embedded GeoPackage, loaded once per process."""
    data = load_frames()
    for n in ("industries", "zone_industries", "indicators"):
        data[n] = load_layer(n)
    if "pinyin" in list_layers():
        zq.use_pinyin_table(load_layer("pinyin"))
    stat = gpkg_path().stat()
    data["_token"] = f"{gpkg_path()}:{stat.st_size}:{stat.st_mtime_ns}"  # type: ignore[assignment]  # identity of the data drawn
    try:
        live.use_disk_cache(workspace().home / "cache" / "map")  # rendered layers survive a restart
    except (OSError, ParkmapError):  # a read-only home only costs speed
        live.use_disk_cache(None)
    return data


@st.cache_resource(show_spinner=False)
def control_index(path: str) -> ControlIndex:
    """STRtree indexes of the control lines, built once per data file, only when a check first needs them."""
    return ControlIndex.from_dataset(path)


@st.cache_resource(show_spinner=False)
def official_index(path: str, layers_dir: str) -> ControlIndex:
    return control_index(path).with_layers(layers_dir)


@st.cache_resource(show_spinner=False)
def zone_lookup() -> tuple[dict[str, str], list[str], dict[str, str]]:
    """zone id → short name, zone ids sorted by pinyin, zone id → host prefecture name."""
    data = frames()
    z = data["zones"]
    short = dict(zip(z["zone_id"], z["short_name"]))
    order = zq.sort_by_pinyin(z["short_name"])
    pos = {n: i for i, n in enumerate(order)}
    ids = sorted(short, key=lambda k: (pos[short[k]], k))
    pref = data["prefectures"].set_index("adcode")["short_name"]
    return short, ids, {k: str(pref.get(a, "")) for k, a in zip(z["zone_id"], z["host_prefecture_adcode"])}


@st.cache_resource(show_spinner=False)
def upload_cache() -> dict:
    """Parsed uploads by content hash (bounded): a file is read once, not at every click."""
    return {}


def tianditu_key() -> str | None:
    key = settings.tianditu_token()
    if key:
        return key
    try:
        return st.secrets.get("tianditu_token")  # type: ignore[no-any-return]
    except Exception:  # no secrets file
        return None


def workflow() -> Workflow:
    """The one workflow state of this session."""
    if "wf" not in ss:
        ss["wf"] = Workflow()
    return ss["wf"]


def zone_label(zone_id: str, lang: str) -> str:
    short, _, pref = zone_lookup()
    if not zone_id:
        return t("no_zone", lang)
    return t("zone_label", lang).format(short=short.get(zone_id, zone_id), pref=pref.get(zone_id, ""))


# --------------------------------------------------------------------------- state


def init_state() -> None:
    ss.setdefault("selected_zone", "")
    ss.setdefault("map_epoch", 0)
    ss.setdefault("upload_epoch", 0)
    if ss.get("pending_zone") is not None:
        zid = ss.pop("pending_zone")
        ss["zone_pick"] = zid
        select_zone(zid)
    ss.pop("pending_zone", None)


def select_zone(zone_id: str) -> None:
    ss["selected_zone"] = zone_id or ""
    if zone_id and workflow().geometry is None:
        workflow().suggest_zone(zone_id)


def on_zone_pick() -> None:
    select_zone(ss.get("zone_pick") or "")


# --------------------------------------------------------------------------- sidebar


#: Widgets whose option labels change with the language (their values never do).
RELABELLED = ("basemap", "view", "regions_pick", "color_by", "industry_mode", "industry", "chain", "zone_pick",
              "check_zone", "check_type", "ovr_rule", "ovr_status", "list_pref", "list_level", "list_class",
              "exp_renderer", "panel_tab")


def relabel_on_language_switch(lang: str) -> None:
    """After a language switch, hand every choice widget its own value again.

    The browser keeps a select box's choice as its label text; once the
    labels are translated that text matches no option, and the choice would be
    lost (the region list emptied) or go stale (“全省” left in English).
    Setting the value from session state makes Streamlit send it with the
    new label.
    """
    if ss.get("_lang_seen", lang) != lang:
        for key in list(ss.keys()):
            if isinstance(key, str) and (key in RELABELLED or key.startswith("parcel")) and key != "panel_tab":
                ss[key] = ss[key]
    ss["_lang_seen"] = lang


def sidebar(data: dict) -> dict:
    sb = st.sidebar
    lang = sb.radio(t("language"), ["zh", "en"], horizontal=True, key="lang", format_func=lambda k: t(f"lang_{k}"))
    relabel_on_language_switch(lang)
    sb.title(t("app_title", lang))
    who = actor()
    if who.via == "os":
        sb.caption(md_escape(t("single_user", lang).format(name=who.name)))
    else:
        sb.caption(md_escape(t("signed_in", lang).format(name=who.name, role=role_label(who.role, lang))))
        sb.button(t("logout", lang), key="logout", on_click=logout)
        if who.via == "account":
            password_form(sb, lang)
    basemap = sb.selectbox(t("basemap", lang), list(render.BASEMAPS), key="basemap",
                           format_func=lambda b: t(f"basemap_{b.replace('tianditu', 'tdt')}", lang))
    pref = data["prefectures"]
    names = dict(zip(pref["adcode"], pref["name"]))
    order = zq.sort_by_pinyin(pref["name"])
    by_name = dict(zip(pref["name"], pref["adcode"]))
    view = sb.selectbox(t("view", lang), [""] + [by_name[n] for n in order], key="view",
                        format_func=lambda a: names.get(a, t("view_province", lang)))

    sb.subheader(t("layers", lang))
    active: list[str] = []
    for group, (gzh, gen) in GROUPS.items():
        sb.caption(gen if lang == "en" else gzh)
        for s in SPECS:
            if s.group == group and sb.checkbox(s.title(lang), value=s.default_on, key=f"layer_{s.id}"):
                active.append(s.id)

    regions = data["regions"]
    kind_order = {"economic_region": 0, "metropolitan_area": 1, "twin_city_circle": 2, "economic_belt": 3,
                  "cooperation_platform": 4}
    reg_sorted = regions.assign(_k=regions["kind"].map(kind_order)).sort_values(["_k", "region_id"])
    reg_label = dict(zip(regions["region_id"], regions["name_en" if lang == "en" else "name_zh"]))
    # the five economic regions and all three economic belts are shown at start
    ss.setdefault("regions_pick", list(regions.loc[regions["kind"].isin(["economic_region", "economic_belt"]),
                                                   "region_id"]))
    picked = sb.multiselect(t("regions_pick", lang), list(reg_sorted["region_id"]), key="regions_pick",
                            format_func=lambda r: reg_label.get(r, r), placeholder=t("choose", lang))
    color_by = sb.radio(t("zone_color", lang), ["class", "level"], horizontal=True, key="color_by",
                        format_func=lambda c: t(f"by_{c}", lang))

    ind = data["industries"]
    mode = sb.radio(t("industry_mode", lang), ["advantage", "cluster", "fp1"], key="industry_mode",
                    format_func=lambda m: t(f"mode_{m}", lang))
    kinds = {"advantage": ["advantage_industry"], "cluster": ["emerging_cluster_national", "emerging_cluster_provincial"],
             "fp1": ["five_plus_one"]}[mode]
    pool = ind[ind["kind"].isin(kinds) & (ind["id"] != "fp1-system")]
    name_col = "name_en" if lang == "en" else "name_zh"
    inames = dict(zip(ind["id"], ind[name_col]))
    if ss.get("industry") not in [""] + list(pool["id"]):
        ss["industry"] = ""
    industry = sb.selectbox(t("industry", lang), [""] + list(pool["id"]), key="industry",
                            format_func=lambda i: inames.get(i, t("industry_none", lang)))
    chain = ""
    if industry and mode == "advantage":
        chains = ind[ind["parent"] == industry]
        if ss.get("chain") not in [""] + list(chains["id"]):
            ss["chain"] = ""
        chain = sb.selectbox(t("industry_detail", lang), [""] + list(chains["id"]), key="chain",
                             format_func=lambda i: inames.get(i, t("industry_all", lang)))

    sb.subheader(t("zone_search", lang))
    q = sb.text_input(t("zone_search", lang), key="zone_q", label_visibility="collapsed",
                      placeholder="成都高新 / cdgx / chengdu")
    matches = zq.search_zones(data["zones"], q)
    opts = [""] + list(matches["zone_id"])
    sel = ss.get("selected_zone", "")
    if sel and sel not in opts:
        opts.insert(1, sel)
    if ss.get("zone_pick") not in opts:
        ss["zone_pick"] = sel if sel in opts else ""
    sb.selectbox(t("zone_pick", lang), opts, key="zone_pick", on_change=on_zone_pick,
                 format_func=lambda z: zone_label(z, lang))
    ind_id = chain or industry
    hosts = zq.zones_for_industry(data["zone_industries"], data["industries"], ind_id) if ind_id \
        else pd.DataFrame(columns=["zone_id", "role", "citations"])
    return {"lang": lang, "basemap": basemap, "view": view, "active": active, "regions": picked,
            "color_by": color_by, "industry": ind_id, "industry_mode": mode, "hosts": hosts}


# --------------------------------------------------------------------------- map


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
        tianditu_key=tianditu_key(),
    )


def guarded(fn):
    """Run a page part; an unexpected error becomes one bilingual message (the traceback goes to the log)."""
    import functools

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ParkmapError as exc:  # a known condition (damaged or newer workspace, refused write…): say it
            log.warning("parkmap: %s in %s", exc.code, fn.__name__)
            st.error(md_escape(str(exc)))
        except Exception:  # st.rerun / st.stop are not Exceptions and pass through
            log.exception("parkmap: unexpected error in %s", fn.__name__)
            st.error(f"{t('error_unexpected', 'zh')} / {t('error_unexpected', 'en')}")
    return run


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
    _suggest_nearest(data, geom)
    return True


def _suggest_nearest(data: dict, geom) -> None:
    w = workflow()
    if w.zone_by_planner:
        return
    zid, dist = zq.nearest_zone(data["parks"], geom)
    w.suggest_zone(zid, dist)


# --------------------------------------------------------------------------- panels


def source_text(ref: str, lang: str) -> str:
    """A data source as a planner reads it: document title and section, never a file name."""
    from geo.sources import humanize

    ref = str(ref or "")
    if ref.startswith("illustrative"):
        return t("illustrative", lang)
    return humanize(ref.split(":")[0] if ref.startswith("catalogue_2018:") else ref)


def zone_panel(data: dict, zone_id: str, lang: str) -> None:
    zones = data["zones"].set_index("zone_id")
    if zone_id not in zones.index:
        st.info(t("click_hint", lang))
        return
    z = zones.loc[zone_id]
    pref = data["prefectures"].set_index("adcode")["name"]
    cty = data["counties"].set_index("adcode")["name"]
    st.subheader(md_escape(z["short_name"]))
    st.caption(md_escape(z["name"]))
    parks = data["parks"][data["parks"]["zone_id"] == zone_id]
    c1, c2, c3 = st.columns(3)
    c1.metric(t("n_parks", lang), int(len(parks)))
    c2.metric(t("park_area", lang), f"{parks['area_m2'].sum() / 1e4:,.1f}")
    c3.metric(t("approved_area", lang), f"{float(z['approved_area_ha']):,.2f}")
    cls = CLASS_EN.get(z["zone_class"], z["zone_class"]) if lang == "en" else z["zone_class"]
    lvl = LEVEL_EN.get(z["level"], z["level"]) if lang == "en" else z["level"]
    cat = source_text("catalogue_2018", lang)
    first = source_text(z["sources"].split("|")[0], lang)
    rows = [
        (t("code", lang), z["catalogue_code"] or "—", cat if z["catalogue_code"] else first),
        (t("class", lang), cls, first), (t("level", lang), lvl, first),
        (t("approved_date", lang), z["approved_date"] or "—", cat if z["catalogue_code"] else "—"),
        (t("approved_area", lang), f"{float(z['approved_area_ha']):,.2f}", source_text(z["area_source"], lang)),
        (t("main_industries", lang), z["main_industries"].replace("|", "、") or "—", cat if z["catalogue_code"] else "—"),
        (t("prefecture", lang), pref.get(z["host_prefecture_adcode"], ""), ""),
        (t("county", lang), cty.get(z["host_county_adcode"], ""), z["location_note"] or ""),
        (t("owner", lang), pref.get(z["owner_prefecture_adcode"], ""), ""),
        (t("regions", lang), _region_names(data, z["regions"], lang), ""),
        (t("geometry_source", lang), t("illustrative", lang), "data/SOURCES.md"),
        (t("sources", lang), source_text(z["sources"], lang), ""),
    ]
    st.markdown(f"**{t('attributes', lang)}**")
    st.dataframe(pd.DataFrame(rows, columns=[t("field", lang), t("value", lang), t("source", lang)]),
                 hide_index=True, width="stretch")
    st.markdown(f"**{t('parks', lang)}**")
    st.dataframe(pd.DataFrame({t("name", lang): parks["name"], t("area_ha", lang): parks["area_ha"],
                               t("county", lang): parks["host_county_adcode"].map(cty),
                               t("geometry_source", lang): t("illustrative", lang)}), hide_index=True, width="stretch")
    links = data["zone_industries"]
    ind = data["industries"].set_index("id")
    zl = links[links["zone_id"] == zone_id]
    st.markdown(f"**{t('industries', lang)}**")
    if zl.empty:
        st.caption("—")
    else:
        st.dataframe(pd.DataFrame({t("industry", lang): zl["industry_id"].map(ind["name_en" if lang == "en" else "name_zh"]),
                                   t("role", lang): zl["role"].map({"重点依托": t("role_key", lang),
                                                                    "发展方向": t("role_dir", lang)}).fillna(zl["role"]),
                                   t("citation", lang): [source_text(c, lang) for c in zl["citation"]]}),
                     hide_index=True, width="stretch")
    st.markdown(f"**{t('indicators', lang)}**")
    ir = data["indicators"].set_index("zone_id").loc[zone_id]
    flag = lambda s: t(s, lang) if s in ("illustrative", "derived") else source_text(s, lang)  # noqa: E731
    st.dataframe(pd.DataFrame([
        (t("land_dev_rate", lang), f"{float(ir['land_dev_rate']):.1%}", flag(ir["land_dev_rate_source"])),
        (t("revenue_per_mu", lang), f"{float(ir['revenue_per_mu']):,.1f}", flag(ir["revenue_per_mu_source"])),
        (t("tax_per_mu", lang), f"{float(ir['tax_per_mu']):,.1f}", flag(ir["tax_per_mu_source"])),
        (t("rank_in_class", lang), f"{int(ir['rank_in_class'])} / {int(ir['n_in_class'])}", flag("illustrative")),
    ], columns=[t("field", lang), t("value", lang), t("provenance", lang)]), hide_index=True, width="stretch")


def _region_names(data: dict, ids: str, lang: str) -> str:
    reg = data["regions"].set_index("region_id")["name_en" if lang == "en" else "name_zh"]
    return "、".join(reg.get(r, r) for r in str(ids).split(",") if r) or "—"


@st.fragment
@guarded
def list_panel(data: dict, ui: dict) -> None:
    """开发区一览: the zone table (the industry filter's hit list), the 亩均 comparison, CSV and Excel."""
    require_session()
    lang = ui["lang"]
    pref = data["prefectures"]
    names = dict(zip(pref["adcode"], pref["name"]))
    c1, c2, c3 = st.columns(3)
    p = c1.selectbox(t("filter_prefecture", lang), [""] + [dict(zip(pref["name"], pref["adcode"]))[n]
                     for n in zq.sort_by_pinyin(pref["name"])], key="list_pref",
                     format_func=lambda a: names.get(a, t("filter_all", lang)))
    lvl = c2.selectbox(t("filter_level", lang), ["", "国家级", "省级"], key="list_level",
                       format_func=lambda v: (LEVEL_EN.get(v, v) if lang == "en" else v) or t("filter_all", lang))
    cls = c3.selectbox(t("filter_class", lang), ["", "经开区", "高新区", "综保区", "其他产业园区"], key="list_class",
                       format_func=lambda v: (CLASS_EN.get(v, v) if lang == "en" else v) or t("filter_all", lang))
    hits = list(ui["hosts"]["zone_id"]) if ui["industry"] else None
    if ui["industry"]:
        industry_summary(data, ui)
        st.caption(md_escape(t("industry_hits", lang)))
    table = catalog.zone_table(data["zones"], pref, data["indicators"], prefecture=p, level=lvl, zone_class=cls,
                               zone_ids=hits, lang=lang)
    shown = catalog.labelled(table, lang)
    st.caption(t("list_count", lang).format(n=len(table)))
    st.dataframe(shown, hide_index=True, width="stretch", height=320)
    d1, d2 = st.columns(2)
    d1.download_button(t("download_csv", lang), lambda: catalog.to_csv_bytes(shown), file_name="开发区一览.csv",
                       mime="text/csv", key="list_csv", on_click="ignore")
    d2.download_button(t("download_xlsx", lang), lambda: catalog.to_xlsx_bytes(shown), file_name="开发区一览.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="list_xlsx",
                       on_click="ignore")
    short = zone_lookup()[0]
    picked = st.multiselect(t("compare_zones", lang), list(table.index), key="list_compare",
                            format_func=lambda z: short.get(z, z), max_selections=8, placeholder=t("choose", lang))
    if picked:
        st.dataframe(catalog.compare_indicators(table, picked, lang), width="stretch")
        st.caption(t("illustrative_values", lang))


def industry_summary(data: dict, ui: dict) -> None:
    """The industry filter: how many zones host it, by role and by prefecture, and the industry mix."""
    lang, hosts = ui["lang"], ui["hosts"]
    ind = data["industries"].set_index("id")
    name = ind.loc[ui["industry"], "name_en" if lang == "en" else "name_zh"]
    st.markdown(f"**{md_escape(name)}** · {t('zones_highlighted', lang)}: {len(hosts)}"
                f"（{t('role_key', lang)} {int((hosts['role'] == '重点依托').sum())}，"
                f"{t('role_dir', lang)} {int((hosts['role'] == '发展方向').sum())}）")
    counts = zq.count_by_prefecture(data["zones"], hosts["zone_id"])
    pref = data["prefectures"].set_index("adcode")["short_name"]
    by_pref = pd.DataFrame({t("count_by_pref", lang): counts.rename(index=pref)})
    st.bar_chart(by_pref.loc[zq.sort_by_pinyin(by_pref.index)], height=180)
    mix = zq.industry_mix(data["zone_industries"], data["industries"], hosts["zone_id"])
    if lang == "en":
        en = dict(zip(data["industries"]["name_zh"], data["industries"]["name_en"]))
        mix.index = [en.get(i, i) for i in mix.index]
    st.caption(t("industry_mix", lang))
    st.bar_chart(mix, height=200)


# --------------------------------------------------------------------------- proposal input and check


def _files_digest(files: list) -> str:
    """SHA-256 of the uploaded files (names and bytes), computed once per upload, not at every rerun."""
    ids = tuple(getattr(f, "file_id", "") or id(f) for f in files)
    known = ss.setdefault("upload_digests", {})
    if ids not in known:  # a 190 MB file takes ~0.3 s to hash
        h = hashlib.sha256()
        for f in files:
            h.update(f.name.encode() + b"\0")
            h.update(f.getbuffer())
        known[ids] = h.hexdigest()
    return known[ids]


def _fresh_map() -> None:
    """A new proposal from a file or the records: the shapes drawn before leave the map."""
    ss["map_epoch"] += 1
    ss.pop("drawn_raw", None)


def _read_upload(files: list, lang: str):
    """((ReadResult, parcel summary) or an error message, digest) of the uploaded file(s), read once per content."""
    digest = _files_digest(files)
    cache = upload_cache()
    if digest in cache:
        return cache[digest], digest
    try:
        names = [safe_upload_name(f.name) for f in files]  # never trust a client path (".", "..", "a/b")
    except ParkmapError as exc:
        return str(exc), digest
    with extraction_dir("upload") as tmp:  # removed afterwards; a crashed process's folder is swept later
        paths = []
        for f, name in zip(files, names):
            target = Path(tmp) / name
            target.write_bytes(f.getvalue())
            paths.append(target)
        main_file = next((p for p in paths if p.suffix.lower() == ".shp"), paths[0])
        try:
            read = read_proposal_file(main_file)  # invalid parcels kept as read: refused or repaired when applied
            res = (read, _parcel_summary(read.gdf))  # the parcel picker's labels, once per file
        except ParkmapError as exc:
            res = str(exc)
    while len(cache) >= 8:
        cache.pop(next(iter(cache)))
    cache[digest] = res
    return res, digest


#: Above this many parcels the parcel picker is a number field instead of a list.
PICKER_MAX = 200
UPLOAD_TYPES = ["zip", "gpkg", "geojson", "json", "kml", "kmz", "txt", "shp", "dbf", "shx", "prj", "cpg"]


def proposal_input(data: dict, lang: str) -> None:
    """The current proposal: summary, 清除方案, draw hint, upload (several parcels are one proposal)."""
    w = workflow()
    short = zone_lookup()[0]
    if w.geometry is None:
        st.info(t("no_proposal", lang))
    else:
        kind, _, detail = w.source.partition(":")
        src = t(f"src_label_{kind}", lang) + (f" {detail}" if detail else "")
        colon = ": " if lang == "en" else "："
        text = f"**{t('proposal_now', lang)}**{colon}{md_escape(w.display_name(short))} · {md_escape(src)} · " \
               f"{md_escape(fmt_area(w.area_m2 or 0.0, lang))}"
        if len(w.parcels) > 1:
            text += f" · {len(w.parcels)} {t('parcels', lang)}"
        st.markdown(text)
        if st.button(t("clear_proposal", lang), key="clear_proposal"):
            w.clear()
            ss["map_epoch"] += 1  # a fresh map drops the drawn shapes
            ss["upload_epoch"] += 1
            ss.pop("drawn_raw", None)
            st.rerun()
    st.caption(t("draw_hint", lang))
    files = st.file_uploader(t("upload_label", lang), type=UPLOAD_TYPES, accept_multiple_files=True,
                             key=f"upload{ss['upload_epoch']}")
    if not files:
        return
    res, digest = _read_upload(list(files), lang)
    if isinstance(res, str):
        st.error(md_escape(res))
        return
    res, summary = res
    gdf = res.gdf
    pick: object = "all"
    if 1 < len(gdf) <= PICKER_MAX:
        labels = [f"{lab} · {fmt_area(a, lang)}" if a is not None else lab for lab, a in summary]
        pick = st.selectbox(t("parcels", lang), ["all"] + list(range(len(gdf))), key=f"parcel{ss['upload_epoch']}",
                            format_func=lambda k: t("parcel_all", lang).format(n=len(gdf)) if k == "all" else labels[k])
    elif len(gdf) > PICKER_MAX:  # a list of thousands of parcels is no picker: a number is
        n = st.number_input(t("parcel_number", lang).format(n=len(gdf)), min_value=0, max_value=len(gdf), value=0,
                            key=f"parcel_no{ss['upload_epoch']}")
        pick = "all" if not n else int(n) - 1
    st.caption(md_escape(f"{t('read_ok', lang)}: {files[0].name} · EPSG:{res.source_crs.epsg}"
                         + (f" · {res.encoding}" if res.encoding else "")))
    for msg in res.warnings:
        st.warning(md_escape(msg))
    source = f"upload:{Path(files[0].name).name}"
    if ss.get("applied_upload") != (digest, pick, ss["upload_epoch"], w.repair):  # the repair box re-applies it
        ss["applied_upload"] = (digest, pick, ss["upload_epoch"], w.repair)
        ss.pop("upload_error", None)
        try:
            pp = proposal_from_frame(gdf, feature=None if pick == "all" else int(pick) + 1, repair=w.repair)
        except ParkmapError as exc:
            ss["upload_error"] = str(exc)  # shown until the file, the parcel or the repair box changes
            if w.source == source:  # e.g. the repair box was unticked: the repaired parcels leave
                w.set_geometry(None, source="")
                _fresh_map()
                st.rerun()
        else:
            w.set_geometry(pp.geometry, source=source, parcels=pp.parcels if len(pp.parcels) > 1 else [],
                           repairs=pp.repairs)
            w.name_from_file(pp.name)  # the scheme's own name from the file (方案名称) until the planner types one
            _fresh_map()
            _suggest_nearest(data, pp.geometry)
            st.rerun()
    if ss.get("upload_error"):
        st.error(md_escape(ss["upload_error"]))
    elif w.source == source:
        for msg in repair_lines(repair_summary(w.repairs)):
            st.warning(md_escape(msg))


def _parcel_summary(gdf) -> list[tuple[str, float | None]]:
    """(label, area m²) of each feature: 地块名称 (or 地块N) and its area (none for an invalid parcel)."""
    try:
        return [(p["label"], p["area_m2"]) for p in proposal_from_frame(gdf).parcels]
    except ParkmapError:
        try:  # labels only: an invalid parcel is refused (or repaired) when it is applied
            pp = proposal_from_frame(gdf, repair=True)
            bad = {r["label"] for r in pp.repairs}
            return [(p["label"], None if p["label"] in bad else p["area_m2"]) for p in pp.parcels]
        except ParkmapError:
            return [(parcel_label(i), None) for i in range(len(gdf))]


def _bind(key: str, value) -> None:
    """Show the workflow's value in a widget (set before the widget is created)."""
    ss[key] = value


def check_panel(data: dict, ui: dict, below) -> None:
    lang = ui["lang"]
    w = workflow()
    short, ids, _ = zone_lookup()
    proposal_input(data, lang)
    _bind("check_zone", w.zone_id if w.zone_id in ids else "")
    st.selectbox(t("check_zone", lang), [""] + ids, key="check_zone", format_func=lambda z: zone_label(z, lang),
                 on_change=lambda: w.set_zone(ss["check_zone"]))
    if w.zone_distance_m is not None and w.zone_id and not w.zone_by_planner:
        st.caption(md_escape(t("nearest_zone", lang).format(zone=short.get(w.zone_id, ""),
                                                            dist=fmt_length(w.zone_distance_m, lang))))
    _bind("check_type", w.type)
    st.radio(t("check_type", lang), ["expand", "adjust"], key="check_type", horizontal=True,
             format_func=lambda k: t(f"type_{k}", lang), on_change=lambda: w.set_options(type=ss["check_type"]))
    c2, c3 = st.columns(2)
    _bind("check_chemical", w.chemical)
    c2.checkbox(t("chemical", lang), key="check_chemical", on_change=lambda: w.set_options(chemical=ss["check_chemical"]))
    _bind("check_major", w.major_project)
    c3.checkbox(t("major_project", lang), key="check_major", on_change=lambda: w.set_options(major_project=ss["check_major"]))
    _bind("check_repair", w.repair)
    st.checkbox(t("repair_parcels", lang), key="check_repair", help=t("repair_parcels_help", lang),
                on_change=lambda: w.set_options(repair=ss["check_repair"]))
    _bind("check_name", w.display_name(short))
    st.text_input(t("prop_name", lang), key="check_name", on_change=lambda: w.rename(ss["check_name"], short))
    official_layers_input(lang)
    if not actor().may("check"):
        st.info(t("need_check_role", lang).format(role=role_label(actor().role, lang)))
    if st.button(t("run_check", lang), type="primary", key="run_check", disabled=not actor().may("check")):
        if w.geometry is None or not w.zone_id:
            st.warning(t("need_geom", lang))
        else:
            index = official_index(str(gpkg_path()), w.official_dir) if w.official_dir else control_index(str(gpkg_path()))
            try:  # the one check sequence (geo.checkflow), as the CLI runs it
                item = ProposalParcels(geometry=w.geometry, parcels=w.parcels or [], name=w.display_name(short),
                                       repairs=list(w.repairs or []))
                removed = ProposalParcels(geometry=w.removed) if w.removed is not None else None
                result = run_checks([item], w.zone_id, CheckOptions(w.type, w.chemical, w.major_project, w.repair),
                                    removed=removed, index=index).results[0]
            except ParkmapError as exc:
                st.error(md_escape(str(exc)))
            else:
                w.checked(result)
                st.rerun()  # redraw the map with the overlaps
    result = w.current_result(short)
    if result is None:
        if w.result is not None:
            st.info(t("stale_result", lang))
        return
    st.markdown(verdict_html(result, lang), unsafe_allow_html=True)
    with below:  # the rule table needs the page's full width
        result_view(result, lang)


def _override_box(result, lang: str) -> None:
    """Override one rule with a written reason (reviewer/admin): a new audit record, or an event at the first save."""
    w = workflow()
    rules = {r.id: (r.name_en if lang == "en" else r.name_zh) or r.id for r in result.rules if r.status != "not_applicable"}
    rid = st.selectbox(t("override_rule", lang), list(rules), key="ovr_rule", format_func=lambda k: rules[k])
    new_status = st.selectbox(t("override_status", lang), ["pass", "warn", "fail", "info"], key="ovr_status",
                              format_func=lambda k: t(f"st_{k}", lang))
    reason = st.text_area(t("override_reason", lang), key="ovr_reason")
    if st.button(t("apply_override", lang), key="ovr_apply"):
        try:
            if w.check_id is not None:  # saved: the override is a new audit record beside the original
                ws = workspace()
                cid = ws.save_override(w.check_id, rid, new_status, reason, actor=actor())
                w.saved(w.proposal_id, cid, ws.get_check(cid).to_result())
            else:  # not saved yet: recorded as an override event when the proposal is saved
                actor().require("override")
                w.checked(apply_override(result, rid, new_status, reason))
            st.rerun()
        except ParkmapError as exc:
            st.error(md_escape(str(exc)))


def result_view(result, lang: str) -> None:
    w = workflow()
    short = zone_lookup()[0]
    st.subheader(f"{t('check_result', lang)} · {md_escape(w.display_name(short))}")
    st.markdown(verdict_html(result, lang), unsafe_allow_html=True)
    table = rule_table(result, lang)
    st.dataframe(style_rule_table(table, lang), hide_index=True, width="stretch",
                 height=36 * (len(table) + 1) + 4)  # every rule visible without scrolling
    st.caption(t("illustrative_values", lang))
    for msg in repair_lines(result.repair):  # what was repaired, area before and after (also in the record)
        st.warning(md_escape(msg))
    st.dataframe(overlap_table(result, lang), hide_index=True, width="stretch")
    if actor().may("override"):
        with st.expander(t("override", lang)):
            _override_box(result, lang)
    else:
        st.caption(t("need_review_role", lang))
    if w.check_id is None:
        if st.button(t("save", lang), key="save_check", disabled=not actor().may("save")):
            try:
                ws = workspace()
                pid = w.proposal_id
                if pid is not None and not w.saved_matches(ws.get_proposal(pid), short):
                    pid = None
                if pid is None:  # proposal and check in one transaction
                    geom = result.geometry if result.repair and result.geometry is not None else w.geometry  # repaired
                    [(pid, cid)] = ws.save_checked([SaveItem(w.display_name(short), geom, w.zone_id, result,
                                                             w.options(), w.source)], actor=actor())
                else:
                    cid = ws.save_check(pid, result, actor=actor())
                w.saved(pid, cid)
                st.rerun()
            except ParkmapError as exc:
                st.error(md_escape(str(exc)))
    else:
        saved = workspace().get_check(w.check_id)
        from layers.present import format_time

        st.success(t("saved_ok", lang).format(pid=w.proposal_id, cid=w.check_id)
                   + f" · {format_time(saved.created_at)}（{'北京时间' if lang == 'zh' else 'Beijing time'}）"
                   + f" · {t('recorded_by', lang)}: {md_escape(saved.created_by)}（{role_label(saved.created_role, lang)}）")
        with st.expander(t("audit_details", lang)):
            st.caption(md_escape(f"{t('rules_version', lang)}: {result.rules_version} · {result.rules_hash[:12]}"))
            st.caption(md_escape(f"{t('layer_versions', lang)}: "
                                 + "，".join(f"{k} {v[:8]}" for k, v in result.layer_hashes.items())))


def official_layers_input(lang: str) -> None:
    """Upload official control-line files; kept under $PARKMAP_HOME/layers/<content hash>/ and bound to the proposal."""
    w = workflow()
    with st.expander(t("official_layers", lang)):
        st.caption(t("official_hint", lang))
        if not actor().may("import_layers"):
            st.caption(t("need_admin_role", lang))
        files = None if not actor().may("import_layers") else st.file_uploader(t("official_layers", lang), accept_multiple_files=True,
                                 key=f"official_upload{ss['upload_epoch']}", label_visibility="collapsed")
        if files:
            try:
                names = [safe_upload_name(f.name) for f in files]  # before any folder is made
            except ParkmapError as exc:
                st.error(md_escape(str(exc)))
                return
            target = workspace().home / "layers" / _files_digest(list(files))[:16]
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                sweep_stale_extractions(tmpdir=target.parent)  # half-written folders of a crashed process
                tmp = Path(tempfile.mkdtemp(prefix=f"{EXTRACT_PREFIX}{os.getpid()}-layers-", dir=target.parent))
                for f, name in zip(files, names):
                    (tmp / name).write_bytes(f.getbuffer())
                try:
                    tmp.rename(target)  # complete folders only
                except OSError:  # another session stored the same files first
                    import shutil

                    shutil.rmtree(tmp, ignore_errors=True)
            try:
                official_index(str(gpkg_path()), str(target))
            except ParkmapError as exc:
                st.error(md_escape(str(exc)))
                return
            if w.official_dir != str(target):
                workspace().record("layer_import", actor=actor(), permission="import_layers",
                                   detail={"folder": target.name, "files": sorted(Path(f.name).name for f in files)})
                w.set_official_dir(str(target))
                st.rerun()  # the map and the result follow the new layer set
        layer_set_picker(lang)
        if w.official_dir:
            if not Path(w.official_dir).is_dir():
                w.set_official_dir(None)
                return
            idx = official_index(str(gpkg_path()), w.official_dir)
            used = {k for k, v in idx.layer_sources().items() if not v.get("illustrative", True)}
            st.caption(md_escape(f"{t('official_in_use', lang)}: " + ", ".join(sorted(used))))


def imported_layer_sets() -> dict[str, str]:
    """Official layer sets an admin imported (newest first): folder path → "files · time · who"."""
    from layers.present import format_time

    ev = workspace().events()
    out: dict[str, str] = {}
    for r in ev[ev["action"] == "layer_import"].iloc[::-1].itertuples():
        detail = json.loads(r.detail_json)
        folder = workspace().home / "layers" / str(detail.get("folder", ""))
        if detail.get("folder") and folder.is_dir() and str(folder) not in out:
            files = detail.get("files") or []
            out[str(folder)] = f"{'、'.join(files[:3])}{'…' if len(files) > 3 else ''} · {format_time(r.at)} · {r.user}"
    return out


def layer_set_picker(lang: str) -> None:
    """Everyone checks against the official layers an admin imported (shared through the workspace)."""
    w = workflow()
    sets = imported_layer_sets()
    if not sets:
        return
    options = [""] + list(sets)
    _bind("official_pick", w.official_dir if w.official_dir in sets else "")
    st.selectbox(t("official_pick", lang), options, key="official_pick",
                 format_func=lambda k: sets.get(k, t("official_none", lang)),
                 on_change=lambda: w.set_official_dir(ss["official_pick"] or None))


def saved_panel(data: dict, lang: str) -> None:
    ws = workspace()
    short = zone_lookup()[0]
    show_deleted = st.checkbox(t("show_deleted", lang), key="show_deleted")
    table = ws.list_proposals(include_deleted=show_deleted)
    if table.empty:
        st.info(t("no_saved", lang))
        return
    st.dataframe(saved_table(table, short, lang), hide_index=True, width="stretch")
    names = dict(zip(table["id"], table["name"]))
    picked = st.multiselect(t("pick_saved", lang), list(table["id"]), key="saved_multi",
                            format_func=lambda k: f"#{k} · {names.get(k, '')}", placeholder=t("choose", lang))
    c1, c2 = st.columns(2)
    c3, c4 = st.columns(2)
    if c1.button(t("reopen", lang), key="saved_reopen", disabled=len(picked) != 1):
        pid = int(picked[0])
        checks = ws.checks_for(pid)
        prop = ws.get_proposal(pid)
        workflow().reopen(prop, checks[-1] if checks else None, short)
        ss["upload_epoch"] += 1
        _fresh_map()
        ss["pending_zone"] = prop.zone_id
        ss["pending_tab"] = "check"
        st.rerun()
    if c2.button(t("compare", lang), key="saved_compare", disabled=len(picked) < 2):
        rows = table.set_index("id").loc[picked]
        results = [(int(pid), str(r["name"]), ws.get_check(int(r["last_check_id"])).to_result())
                   for pid, r in rows.iterrows() if pd.notna(r["last_check_id"])]
        if len(results) < 2:
            st.info(t("compare_need", lang))
        else:
            st.dataframe(compare_table(results, short, lang), width="stretch")
    can_delete = actor().may("delete_own") or actor().may("delete_any")
    for verb, col, method in (("delete", c3, ws.soft_delete), ("restore", c4, ws.restore)):
        if col.button(t(verb, lang), key=f"saved_{verb}", disabled=not picked or not can_delete):
            try:
                for pid in picked:
                    method(int(pid), actor=actor())
            except ParkmapError as exc:  # e.g. a planner deleting someone else's proposal
                st.error(md_escape(str(exc)))
            else:
                st.rerun()


# --------------------------------------------------------------------------- page

TABS = ("zone", "check", "saved", "list")


@st.cache_resource(show_spinner=False)
def _startup_sweep() -> int:
    """Once per process: remove extraction folders a crashed parkmap left in the temp folder."""
    return len(sweep_stale_extractions())


def main() -> None:
    _startup_sweep()
    if identity() is None:
        return  # the login form (or the loopback notice) and nothing else
    init_state()
    data = frames()
    ui = sidebar(data)
    lang = ui["lang"]
    st.title(t("app_title", lang))
    if workspace().tamper is not None:
        what = workspace().tamper.zh if lang == "zh" else workspace().tamper.en
        st.error(md_escape(t("tampered", lang).format(what=what)))
    if any(SPEC_BY_ID[a].illustrative for a in ui["active"]):
        st.warning(t("illustrative_notice", lang))
    if ui["basemap"].startswith("tianditu") and not tianditu_key():
        st.info(t("tdt_no_key", lang))
    if render.is_gcj02(ui["basemap"]):
        st.caption(t("gcj_note", lang))
    col_map, col_panel = st.columns([3, 2], gap="medium")
    below = st.container()  # full width, under the map and the panels: the check result
    with col_map:
        map_area(data, ui)
        if ui["industry"]:
            hosts = ui["hosts"]
            st.caption(f"{t('zones_highlighted', lang)}: {len(hosts)} · {t('tab_list', lang)}")
        export_panel(data, lang, workflow(), zone_lookup()[0], lambda: current_view(data, ui, for_export=True))
    with col_panel:
        labels = {k: t(f"tab_{k}", lang) for k in TABS}
        back = {t(f"tab_{k}", x): k for k in TABS for x in ("zh", "en")}
        wanted = ss.pop("pending_tab", None) or back.get(ss.get("panel_tab", ""), "zone")
        ss["panel_tab"] = labels[wanted]  # the open tab survives a language switch
        tabs = dict(zip(TABS, st.tabs([labels[k] for k in TABS], key="panel_tab", on_change="rerun")))
        with tabs["zone"]:
            zone_panel(data, ss.get("selected_zone", ""), lang)
        with tabs["check"]:
            check_panel(data, ui, below)
        with tabs["saved"]:
            saved_panel(data, lang)
        with tabs["list"]:
            list_panel(data, ui)


guarded(main)()  # never a traceback on the page
