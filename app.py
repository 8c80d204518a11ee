"""parkmap — 四川开发区规划地图 (Streamlit front).

A thin page: data come from ``geo.dataset``, queries from ``geo.zones``, map
layers from ``layers``. Run: ``streamlit run app.py``.
"""

from __future__ import annotations

import os

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import tempfile
from pathlib import Path

import folium
from folium.plugins import Draw
from shapely.geometry import shape

from geo import zones as zq
from geo.check import ControlIndex, Proposal, apply_override, check_proposal
from geo.dataset import gpkg_path, list_layers, load_layer
from geo.errors import ParkmapError
from geo.io.read import read_vector
from geo.workspace import Workspace
from layers import render
from layers.compose import MapView, compose_map, geometry_bounds, load_frames
from layers.assets import use_local_assets
from layers.i18n import t
from layers.specs import CLASS_EN, GROUPS, LEVEL_EN, SPEC_BY_ID, SPECS

st.set_page_config(page_title="parkmap · 四川开发区", page_icon="🗺", layout="wide")



# --------------------------------------------------------------------------- cached data


@st.cache_resource(show_spinner=False)
def frames() -> dict[str, pd.DataFrame]:
    """Every map layer and table of the embedded GeoPackage, loaded once per process."""
    data = load_frames()
    for n in ("industries", "zone_industries", "indicators"):
        data[n] = load_layer(n)
    if "pinyin" in list_layers():
        zq.use_pinyin_table(load_layer("pinyin"))
    return data


@st.cache_resource(show_spinner=False)
def control_index(path: str) -> ControlIndex:
    """STRtree indexes of the control lines, built once per data file and reused by every check."""
    return ControlIndex.from_dataset(path)


@st.cache_resource(show_spinner=False)
def official_index(path: str, layers_dir: str) -> ControlIndex:
    """The control index with official layers from ``layers_dir`` replacing the illustrative ones."""
    return control_index(path).with_layers(layers_dir)


def active_index(lang: str) -> ControlIndex:
    """The index checks run against: official layers when the planner imported them, else the embedded ones."""
    layers_dir = st.session_state.get("official_dir")
    if layers_dir:
        return official_index(str(gpkg_path()), layers_dir)
    return control_index(str(gpkg_path()))


def official_layers_input(lang: str) -> None:
    """Upload official control-line files; they are kept under $PARKMAP_HOME/layers/<content hash>/."""
    import hashlib

    with st.expander(t("official_layers", lang)):
        st.caption(t("official_hint", lang))
        files = st.file_uploader(t("official_layers", lang), accept_multiple_files=True, key="official_upload",
                                 label_visibility="collapsed")
        if not files:
            st.session_state.pop("official_dir", None)
            return
        digest = hashlib.sha256(b"".join(f.name.encode() + f.getvalue() for f in files)).hexdigest()[:16]
        target = Workspace().home / "layers" / digest
        if not target.exists():
            tmp = target.with_name(target.name + ".tmp")
            tmp.mkdir(parents=True, exist_ok=True)
            for f in files:
                (tmp / Path(f.name).name).write_bytes(f.getvalue())
            tmp.rename(target)  # complete folders only
        try:
            idx = official_index(str(gpkg_path()), str(target))
        except ParkmapError as exc:
            st.error(str(exc))
            st.session_state.pop("official_dir", None)
            return
        st.session_state["official_dir"] = str(target)
        used = {k: v for k, v in idx.layer_sources().items() if not v.get("illustrative", True)}
        st.caption(f"{t('official_in_use', lang)}: " + ", ".join(sorted(used)))


@st.cache_data(show_spinner=False)
def pinyin_sorted_prefectures() -> list[tuple[str, str]]:
    pref = frames()["prefectures"]
    names = dict(zip(pref["name"], pref["adcode"]))
    return [(names[n], n) for n in zq.sort_by_pinyin(names)]


def tianditu_key() -> str | None:
    key = os.environ.get("TIANDITU_TOKEN")
    if key:
        return key
    try:
        return st.secrets.get("tianditu_token")  # type: ignore[no-any-return]
    except Exception:  # no secrets file
        return None


# --------------------------------------------------------------------------- state


def init_state() -> None:
    ss = st.session_state
    ss.setdefault("selected_zone", "")
    for key in ("prop_src", "saved_pick"):
        if ss.get(f"pending_{key}") is not None:
            ss[key] = ss.pop(f"pending_{key}")
    if ss.get("pending_zone") is not None:
        ss["zone_pick"] = ss["pending_zone"]
        ss["selected_zone"] = ss["pending_zone"]
        ss["pending_zone"] = None


def on_zone_pick() -> None:
    st.session_state["selected_zone"] = st.session_state.get("zone_pick") or ""


# --------------------------------------------------------------------------- sidebar


def sidebar(data: dict) -> dict:
    sb = st.sidebar
    lang_label = sb.radio(t("language"), ["中文", "English"], horizontal=True, key="lang")
    lang = "en" if lang_label == "English" else "zh"
    sb.title(t("app_title", lang))

    basemaps = ["none", "osm", "tianditu_vec", "tianditu_img", "gaode"]
    basemap = sb.selectbox(t("basemap", lang), basemaps, key="basemap",
                           format_func=lambda b: t(f"basemap_{b.replace('tianditu', 'tdt')}", lang))

    prefs = pinyin_sorted_prefectures()
    view_opts = [""] + [a for a, _ in prefs]
    pref_names = dict((a, n) for a, n in prefs)
    view = sb.selectbox(t("view", lang), view_opts, key="view",
                        format_func=lambda a: pref_names.get(a, t("view_province", lang)))

    sb.subheader(t("layers", lang))
    active: list[str] = []
    for group, (gzh, gen) in GROUPS.items():
        sb.caption(gen if lang == "en" else gzh)
        for s in SPECS:
            if s.group == group and sb.checkbox(s.title(lang), value=s.default_on, key=f"layer_{s.id}"):
                active.append(s.id)

    regions = data["regions"]
    reg_sorted = regions.sort_values("region_id")
    kind_order = {"economic_region": 0, "metropolitan_area": 1, "twin_city_circle": 2, "economic_belt": 3, "cooperation_platform": 4}
    reg_sorted = regions.assign(_k=regions["kind"].map(kind_order)).sort_values(["_k", "region_id"])
    reg_label = dict(zip(regions["region_id"], regions["name_en" if lang == "en" else "name_zh"]))
    default_regions = list(regions.loc[regions["kind"] == "economic_region", "region_id"])
    picked_regions = sb.multiselect(t("regions_pick", lang), list(reg_sorted["region_id"]), default=default_regions,
                                    key="regions_pick", format_func=lambda r: reg_label.get(r, r))

    color_by = sb.radio(t("zone_color", lang), ["class", "level"], horizontal=True, key="color_by",
                        format_func=lambda c: t(f"by_{c}", lang))

    # industry filter: a system, then an industry, then (for advantage industries) a chain
    ind = data["industries"]
    mode = sb.radio(t("industry_mode", lang), ["advantage", "cluster", "fp1"], key="industry_mode",
                    format_func=lambda m: t(f"mode_{m}", lang))
    kinds = {"advantage": ["advantage_industry"], "cluster": ["emerging_cluster_national", "emerging_cluster_provincial"],
             "fp1": ["five_plus_one"]}[mode]
    pool = ind[ind["kind"].isin(kinds) & (ind["id"] != "fp1-system")]
    name_col = "name_en" if lang == "en" else "name_zh"
    names = dict(zip(pool["id"], pool[name_col]))
    industry = sb.selectbox(t("industry", lang), [""] + list(pool["id"]), key="industry",
                            format_func=lambda i: names.get(i, t("industry_none", lang)))
    chain = ""
    if industry and mode == "advantage":
        chains = ind[ind["parent"] == industry]
        cnames = dict(zip(chains["id"], chains[name_col]))
        chain = sb.selectbox(t("industry_detail", lang), [""] + list(chains["id"]), key="chain",
                             format_func=lambda i: cnames.get(i, t("industry_all", lang)))

    sb.subheader(t("zone_search", lang))
    q = sb.text_input(t("zone_search", lang), key="zone_q", label_visibility="collapsed", placeholder="成都高新 / cdgx / chengdu")
    zones = data["zones"]
    matches = zq.search_zones(zones, q)
    opts = [""] + list(matches["zone_id"])
    sel = st.session_state.get("selected_zone", "")
    if sel and sel not in opts:
        opts.insert(1, sel)
    if st.session_state.get("zone_pick") not in opts:
        st.session_state["zone_pick"] = ""
    short = dict(zip(zones["zone_id"], zones["short_name"]))
    sb.selectbox(t("zone_pick", lang), opts, key="zone_pick", on_change=on_zone_pick,
                 format_func=lambda z: f"{short[z]} · {z}" if z else t("no_zone", lang))
    return {
        "lang": lang, "basemap": basemap, "view": view, "active": active, "regions": picked_regions,
        "color_by": color_by, "industry": chain or industry, "industry_mode": mode,
    }


# --------------------------------------------------------------------------- map


def map_view(data: dict, ui: dict, selected: str, hosts: pd.DataFrame, proposal=None, check_geoms=None) -> MapView:
    """The view state shown on screen; exports render the very same state."""
    bounds = None
    if proposal is not None:
        bounds = geometry_bounds(proposal)
    elif ui["view"] and not selected:
        pref = data["prefectures"]
        bounds = tuple(pref[pref["adcode"] == ui["view"]].total_bounds)
    return MapView(
        bounds=bounds, basemap=ui["basemap"], active=tuple(ui["active"]), regions=tuple(ui["regions"]),
        color_by=ui["color_by"], highlighted=selected, industry=ui["industry"],
        hosts=dict(zip(hosts["zone_id"], hosts["role"])), proposal=proposal, overlaps=dict(check_geoms or {}),
        lang=ui["lang"], prefecture=ui["view"], tianditu_key=tianditu_key(),
    )


def build_map(view: MapView, data: dict) -> folium.Map:
    """The interactive map: the composed view plus the drawing tools."""
    m = compose_map(view, data)
    Draw(export=False, position="topleft",
         draw_options={"polyline": False, "circle": False, "marker": False, "circlemarker": False,
                       "polygon": {"allowIntersection": False, "showArea": True}, "rectangle": True},
         edit_options={"edit": False, "remove": True}).add_to(m)
    return use_local_assets(m)  # Leaflet and plugins from static/vendor, no CDN


# --------------------------------------------------------------------------- panels


def zone_panel(data: dict, zone_id: str, lang: str) -> None:
    zones = data["zones"].set_index("zone_id")
    if zone_id not in zones.index:
        st.info(t("click_hint", lang))
        return
    z = zones.loc[zone_id]
    pref = data["prefectures"].set_index("adcode")["name"]
    cty = data["counties"].set_index("adcode")["name"]
    st.subheader(f"{z['short_name']}")
    st.caption(f"{z['name']} · {zone_id}")
    parks = data["parks"][data["parks"]["zone_id"] == zone_id]
    c1, c2, c3 = st.columns(3)
    c1.metric(t("n_parks", lang), int(len(parks)))
    c2.metric(t("park_area", lang), f"{parks['area_m2'].sum() / 1e4:,.1f}")
    c3.metric(t("approved_area", lang), f"{float(z['approved_area_ha']):,.2f}")

    cls = CLASS_EN.get(z["zone_class"], z["zone_class"]) if lang == "en" else z["zone_class"]
    lvl = LEVEL_EN.get(z["level"], z["level"]) if lang == "en" else z["level"]
    rows = [
        (t("code", lang), z["catalogue_code"] or "—", "catalogue_2018" if z["catalogue_code"] else z["sources"]),
        (t("class", lang), cls, z["sources"].split("|")[0]),
        (t("level", lang), lvl, z["sources"].split("|")[0]),
        (t("approved_date", lang), z["approved_date"] or "—", "catalogue_2018" if z["catalogue_code"] else "—"),
        (t("approved_area", lang), f"{float(z['approved_area_ha']):,.2f}", z["area_source"]),
        (t("main_industries", lang), z["main_industries"].replace("|", "、") or "—", "catalogue_2018" if z["catalogue_code"] else "—"),
        (t("prefecture", lang), pref.get(z["host_prefecture_adcode"], ""), "zones.csv"),
        (t("county", lang), cty.get(z["host_county_adcode"], ""), z["location_note"] or "zones.csv"),
        (t("owner", lang), pref.get(z["owner_prefecture_adcode"], ""), "zones.csv"),
        (t("regions", lang), _region_names(data, z["regions"], lang), "regions.yaml"),
        (t("location_confidence", lang), z["location_confidence"], "zones.csv"),
        (t("geometry_source", lang), t("illustrative", lang), "data/SOURCES.md"),
        (t("sources", lang), z["sources"].replace("|", "；"), ""),
    ]
    st.markdown(f"**{t('attributes', lang)}**")
    st.dataframe(pd.DataFrame(rows, columns=[t("field", lang), t("value", lang), t("source", lang)]),
                 hide_index=True, width="stretch")

    st.markdown(f"**{t('parks', lang)}**")
    st.dataframe(pd.DataFrame({t("name", lang): parks["name"], t("area_ha", lang): parks["area_ha"],
                               t("county", lang): parks["host_county_adcode"].map(cty),
                               t("geometry_source", lang): parks["geometry_source"]}),
                 hide_index=True, width="stretch")

    links = data["zone_industries"]
    ind = data["industries"].set_index("id")
    zl = links[links["zone_id"] == zone_id]
    st.markdown(f"**{t('industries', lang)}**")
    if zl.empty:
        st.caption("—")
    else:
        name_col = "name_en" if lang == "en" else "name_zh"
        st.dataframe(pd.DataFrame({
            t("industry", lang): zl["industry_id"].map(ind[name_col]),
            t("role", lang): zl["role"],
            t("citation", lang): zl["citation"],
        }), hide_index=True, width="stretch")

    st.markdown(f"**{t('indicators', lang)}**")
    ir = data["indicators"].set_index("zone_id").loc[zone_id]
    flag = lambda s: t(s, lang) if s in ("illustrative", "derived") else s  # noqa: E731
    st.dataframe(pd.DataFrame([
        (t("land_dev_rate", lang), f"{float(ir['land_dev_rate']):.1%}", flag(ir["land_dev_rate_source"])),
        (t("revenue_per_mu", lang), f"{float(ir['revenue_per_mu']):,.1f}", flag(ir["revenue_per_mu_source"])),
        (t("tax_per_mu", lang), f"{float(ir['tax_per_mu']):,.1f}", flag(ir["tax_per_mu_source"])),
        (t("rank_in_class", lang), f"{int(ir['rank_in_class'])} / {int(ir['n_in_class'])}", flag("illustrative")),
    ], columns=[t("field", lang), t("value", lang), t("provenance", lang)]), hide_index=True, width="stretch")


def _region_names(data: dict, ids: str, lang: str) -> str:
    reg = data["regions"].set_index("region_id")["name_en" if lang == "en" else "name_zh"]
    return "、".join(reg.get(r, r) for r in str(ids).split(",") if r) or "—"


def industry_panel(data: dict, ui: dict, hosts: pd.DataFrame) -> None:
    lang = ui["lang"]
    ind = data["industries"].set_index("id")
    name_col = "name_en" if lang == "en" else "name_zh"
    if ui["industry"]:
        st.markdown(f"**{ind.loc[ui['industry'], name_col]}** · {t('zones_highlighted', lang)}: {len(hosts)}"
                    f"（{t('role_key', lang)} {int((hosts['role'] == '重点依托').sum())}，"
                    f"{t('role_dir', lang)} {int((hosts['role'] == '发展方向').sum())}）")
        counts = zq.count_by_prefecture(data["zones"], hosts["zone_id"])
        pref = data["prefectures"].set_index("adcode")["short_name"]
        by_pref = pd.DataFrame({t("count_by_pref", lang): counts.rename(index=pref)})
        by_pref = by_pref.loc[zq.sort_by_pinyin(by_pref.index)]
        st.bar_chart(by_pref, height=180)
    mix = zq.industry_mix(data["zone_industries"], data["industries"],
                          hosts["zone_id"] if ui["industry"] else None)
    if lang == "en":
        mix.index = [ind.set_index("name_zh").loc[i, "name_en"] if i in set(ind["name_zh"]) else i for i in mix.index]
    st.caption(t("industry_mix", lang))
    st.bar_chart(mix, height=200)


# --------------------------------------------------------------------------- expansion check


STATUS_ICON = {"pass": "✅", "fail": "❌", "warn": "⚠️", "info": "ℹ️", "not_applicable": "—"}
UPLOAD_TYPES = ["zip", "gpkg", "geojson", "json", "kml", "kmz", "txt", "shp", "dbf", "shx", "prj", "cpg"]


def _read_upload(files, lang: str):
    """Read uploaded file(s) into a ReadResult; a shapefile may come as its loose parts. Errors → None + message."""
    if not files:
        return None
    files = files if isinstance(files, list) else [files]
    with tempfile.TemporaryDirectory(prefix="parkmap-upload-") as tmp:
        paths = []
        for f in files:
            target = Path(tmp) / Path(f.name).name  # never trust a client path
            target.write_bytes(f.getvalue())
            paths.append(target)
        main = next((p for p in paths if p.suffix.lower() == ".shp"), paths[0])
        try:
            return read_vector(main)
        except ParkmapError as exc:
            st.error(str(exc))
            return None


def _proposal_input(data: dict, lang: str):
    """The proposal geometry, its name and its source, from the map, a file or the workspace."""
    src = st.radio(t("prop_source", lang), ["draw", "upload", "saved"], horizontal=True, key="prop_src",
                   format_func=lambda k: t(f"src_{k}", lang))
    if src == "draw":
        geom = st.session_state.get("drawn_geom")
        st.caption(t("draw_hint", lang) if geom is not None else f"{t('draw_hint', lang)} {t('no_drawing', lang)}")
        return geom, "drawn", None
    if src == "upload":
        files = st.file_uploader(t("upload_label", lang), type=UPLOAD_TYPES, accept_multiple_files=True, key="upload")
        res = _read_upload(files, lang)
        if res is None:
            return None, "", None
        gdf = res.gdf
        i = 0
        if len(gdf) > 1:
            i = st.selectbox(t("feature_pick", lang), list(range(len(gdf))), key="upload_feature",
                             format_func=lambda k: f"#{k + 1} · {gdf.iloc[k].drop(labels='geometry').astype(str).head(3).to_dict()}")
        st.caption(f"{t('read_ok', lang)}: {files[0].name} · EPSG:{res.source_crs.epsg} ({res.source_crs.method})"
                   + (f" · {res.encoding}" if res.encoding else ""))
        for w in res.warnings:
            st.warning(w)
        return gdf.geometry.iloc[i], f"upload:{files[0].name}", None
    ws = Workspace()
    saved = ws.list_proposals()
    if saved.empty:
        st.info(t("no_saved", lang))
        return None, "", None
    pid = st.selectbox(t("src_saved", lang), list(saved["id"]), key="saved_pick",
                       format_func=lambda k: f"#{k} · {saved.set_index('id').loc[k, 'name']}")
    prop = ws.get_proposal(int(pid))
    return prop.geometry, f"saved:{pid}", prop


def _verdict_banner(result, lang: str) -> None:
    text = f"{t('verdict', lang)}：{t('verdict_' + result.verdict, lang)}"
    if result.original_verdict and result.original_verdict != result.verdict:
        text += f"（{t('original', lang)}：{t('verdict_' + result.original_verdict, lang)}）"
    {"pass": st.success, "fail": st.error}.get(result.verdict, st.warning)(text)
    st.caption(f"{t('area', lang)}: {result.area_m2:,.0f} m² = {result.area_mu:,.1f} 亩 = {result.area_m2 / 1e4:,.2f} ha")


def _num(v) -> str:
    """A measured value or threshold as text: integers plain, others to 4 significant digits."""
    if v is None or v == "":
        return ""
    if isinstance(v, (int, float)):
        return f"{int(v):,}" if float(v).is_integer() else f"{v:,.4g}"
    return str(v)


def rule_table(result, lang: str) -> pd.DataFrame:
    """One row per rule: status, measured value, threshold, unit, citation, message, value source."""
    rows = []
    for r in result.rules:
        cit = r.citation if isinstance(r.citation, str) else "；".join(map(str, r.citation))
        status = f"{STATUS_ICON.get(r.status, '')} {t('st_' + r.status, lang)}"
        if r.original_status:
            status += f"（{t('original', lang)}：{t('st_' + r.original_status, lang)}；{r.override_reason}）"
        rows.append({
            t("rule", lang): r.id, t("status", lang): status,
            t("measured", lang): _num(r.value),
            t("threshold", lang): _num(r.threshold),
            t("unit", lang): r.unit, t("citation", lang): cit,
            t("message", lang): r.message_en if lang == "en" else r.message_zh,
            t("value_source", lang): r.value_source,
        })
    return pd.DataFrame(rows)


def check_panel(data: dict, ui: dict) -> None:
    lang = ui["lang"]
    geom, source, saved = _proposal_input(data, lang)
    if geom is not None and st.session_state.get("proposal_geom") is not geom:
        changed = st.session_state.get("proposal_wkb") != geom.wkb
        st.session_state["proposal_geom"] = geom
        st.session_state["proposal_wkb"] = geom.wkb
        if changed:
            st.session_state.pop("check_result", None)
            st.session_state.pop("check_ids", None)
            st.rerun()  # redraw the map with the new proposal
    zones = data["zones"]
    ids = [z for z in zq.sort_by_pinyin(zones["short_name"])]
    by_name = dict(zip(zones["short_name"], zones["zone_id"]))
    zone_ids = [by_name[n] for n in ids]
    default_zone = (saved.zone_id if saved else "") or st.session_state.get("selected_zone") or zone_ids[0]
    short = dict(zip(zones["zone_id"], zones["short_name"]))
    zone_id = st.selectbox(t("check_zone", lang), zone_ids, index=zone_ids.index(default_zone) if default_zone in zone_ids else 0,
                           key="check_zone", format_func=lambda z: f"{short[z]} · {z}")
    opts = (saved.options if saved else {}) or {}
    c1, c2, c3 = st.columns([2, 1, 1])
    ptype = c1.radio(t("check_type", lang), ["expand", "adjust"], key="check_type", horizontal=True,
                     index=1 if opts.get("type") == "adjust" else 0, format_func=lambda k: t(f"type_{k}", lang))
    chemical = c2.checkbox(t("chemical", lang), value=bool(opts.get("chemical")), key="check_chemical")
    major = c3.checkbox(t("major_project", lang), value=bool(opts.get("major_project")), key="check_major")
    name = st.text_input(t("prop_name", lang), value=(saved.name if saved else f"{short[zone_id]} 扩区方案"), key="check_name")
    official_layers_input(lang)
    if st.button(t("run_check", lang), type="primary", key="run_check"):
        if geom is None:
            st.warning(t("need_geom", lang))
        else:
            try:
                result = check_proposal(Proposal(geometry=geom, zone_id=zone_id, type=ptype, chemical=chemical,
                                                 major_project=major, name=name), active_index(lang))
            except ParkmapError as exc:
                st.error(str(exc))
            else:
                st.session_state["check_result"] = result
                st.session_state["check_source"] = source
                st.session_state.pop("check_ids", None)
                st.rerun()  # redraw the map with the overlaps
    result = st.session_state.get("check_result")
    if result is None:
        return
    _verdict_banner(result, lang)
    st.dataframe(rule_table(result, lang), hide_index=True, width="stretch")
    st.caption(t("illustrative_values", lang))
    ov = pd.DataFrame({t("layer", lang): list(result.overlaps), t("overlaps", lang): [round(v, 1) for v in result.overlaps.values()]})
    st.dataframe(ov, hide_index=True, width="stretch")

    with st.expander(t("override", lang)):
        rid = st.selectbox(t("override_rule", lang), [r.id for r in result.rules if r.status != "not_applicable"], key="ovr_rule")
        new_status = st.selectbox(t("override_status", lang), ["pass", "warn", "fail", "info"], key="ovr_status",
                                  format_func=lambda k: t(f"st_{k}", lang))
        reason = st.text_area(t("override_reason", lang), key="ovr_reason")
        if st.button(t("apply_override", lang), key="ovr_apply"):
            try:
                ids = st.session_state.get("check_ids")
                if ids:  # saved: the override is a new audit record beside the original
                    ws = Workspace()
                    cid = ws.save_override(ids[1], rid, new_status, reason)
                    st.session_state["check_ids"] = (ids[0], cid)
                    st.session_state["check_result"] = ws.get_check(cid).to_result()
                else:
                    st.session_state["check_result"] = apply_override(result, rid, new_status, reason)
                st.rerun()
            except ParkmapError as exc:
                st.error(str(exc))

    if st.button(t("save", lang), key="save_check"):
        try:
            ws = Workspace()
            pid = saved.id if saved else ws.save_proposal(name, result.geometry or geom, zone_id,
                                                          {"type": ptype, "chemical": chemical, "major_project": major},
                                                          st.session_state.get("check_source", source))
            cid = ws.save_check(pid, result)
            st.session_state["check_ids"] = (pid, cid)
            st.success(t("saved_ok", lang).format(pid=pid, cid=cid))
        except ParkmapError as exc:
            st.error(str(exc))
    if st.session_state.get("check_ids"):
        pid, cid = st.session_state["check_ids"]
        st.caption(f"{t('audit', lang)}: #{pid} / #{cid} · rules {result.rules_hash[:12]} · "
                   + ", ".join(f"{k} {v[:8]}" for k, v in result.layer_hashes.items()))


def saved_panel(data: dict, lang: str) -> None:
    ws = Workspace()
    show_deleted = st.checkbox(t("show_deleted", lang), key="show_deleted")
    table = ws.list_proposals(include_deleted=show_deleted)
    if table.empty:
        st.info(t("no_saved", lang))
        return
    st.dataframe(table[["id", "name", "zone_id", "area_m2", "created_at", "n_checks", "last_verdict", "deleted"]],
                 hide_index=True, width="stretch")
    picked = st.multiselect(t("pick_saved", lang), list(table["id"]), key="saved_multi",
                            format_func=lambda k: f"#{k} · {table.set_index('id').loc[k, 'name']}")
    c1, c2, c3, c4 = st.columns(4)
    if c1.button(t("reopen", lang), key="saved_reopen", disabled=len(picked) != 1):
        pid = int(picked[0])
        checks = ws.checks_for(pid)
        prop = ws.get_proposal(pid)
        st.session_state["proposal_geom"] = prop.geometry
        st.session_state["proposal_wkb"] = prop.geometry.wkb
        if checks:
            st.session_state["check_result"] = checks[-1].to_result()
            st.session_state["check_ids"] = (pid, checks[-1].id)
        st.session_state["pending_prop_src"] = "saved"
        st.session_state["pending_saved_pick"] = pid
        st.rerun()
    if c2.button(t("compare", lang), key="saved_compare", disabled=len(picked) < 2):
        last = table.set_index("id").loc[picked, "last_check_id"].dropna().astype(int).tolist()
        st.dataframe(ws.compare(last), width="stretch")
    if c3.button(t("delete", lang), key="saved_delete", disabled=not picked):
        for pid in picked:
            ws.soft_delete(int(pid))
        st.rerun()
    if c4.button(t("restore", lang), key="saved_restore", disabled=not picked):
        for pid in picked:
            ws.restore(int(pid))
        st.rerun()


# --------------------------------------------------------------------------- export


def _offer(key: str, label: str, make, file_name: str, mime: str) -> None:
    """A button that renders on demand and a download button for the result (kept across reruns)."""
    if st.button(label, key=f"make_{key}"):
        try:
            with st.spinner("…"):
                st.session_state[f"export_{key}"] = make()
        except ParkmapError as exc:
            st.error(str(exc))
    data = st.session_state.get(f"export_{key}")
    if data:
        st.download_button(f"⬇ {file_name}", data, file_name=file_name, mime=mime, key=f"dl_{key}")


def export_panel(data: dict, view: MapView, lang: str) -> None:
    """Download buttons: map page (PNG/PDF), interactive HTML, check report and proposal data."""
    from geo.export import export_proposal_data, snapshot_html, snapshot_pdf, snapshot_png
    from geo.report import AuditInfo, build_report

    with st.expander(t("export", lang)):
        c1, c2, c3 = st.columns(3)
        size = c1.selectbox(t("page_size", lang), ["A4L", "A4P", "A3L", "A3P"], key="exp_size")
        dpi = c2.selectbox(t("dpi", lang), [150, 300], key="exp_dpi")
        renderer = c3.selectbox(t("renderer", lang), ["auto", "browser", "static"], key="exp_renderer",
                                format_func=lambda k: t(f"renderer_{k}", lang))
        stamp = pd.Timestamp.now().strftime("%Y%m%d-%H%M")
        b1, b2, b3 = st.columns(3)
        with b1:
            _offer("png", t("make_png", lang), lambda: snapshot_png(view, data, size, dpi, renderer=renderer),
                   f"parkmap-{stamp}.png", "image/png")
        with b2:
            _offer("mappdf", t("make_pdf_map", lang), lambda: snapshot_pdf(view, data, size, dpi, renderer=renderer),
                   f"parkmap-{stamp}.pdf", "application/pdf")
        with b3:
            _offer("html", t("make_html", lang), lambda: snapshot_html(view, data), f"parkmap-{stamp}.html", "text/html")
        result = st.session_state.get("check_result")
        if result is None:
            return
        ids = st.session_state.get("check_ids")
        audit = AuditInfo(check_id=ids[1], proposal_id=ids[0]) if ids else None
        _offer("report", t("make_report", lang), lambda: build_report(result, lang=lang, audit=audit, frames=data),
               f"parkmap-report-{stamp}.pdf", "application/pdf")
        d1, d2, d3 = st.columns(3)
        fmt = d1.selectbox(t("data_format", lang), ["gpkg", "geojson", "kml", "txt"], key="exp_fmt")
        zone = d2.selectbox(t("gk_zone", lang), [33, 34, 35, 36], index=1, key="exp_zone")
        prefixed = d3.checkbox(t("prefixed", lang), value=True, key="exp_prefixed")
        mime = {"gpkg": "application/geopackage+sqlite3", "geojson": "application/geo+json",
                "kml": "application/vnd.google-earth.kml+xml", "txt": "text/plain"}[fmt]
        _offer(f"data_{fmt}", t("make_data", lang),
               lambda: export_proposal_data(result, fmt, zone=zone if fmt == "txt" else None, prefixed=prefixed),
               f"parkmap-proposal-{stamp}.{fmt}", mime)


# --------------------------------------------------------------------------- page


def main() -> None:
    init_state()
    data = frames()
    ui = sidebar(data)
    lang = ui["lang"]
    selected = st.session_state.get("selected_zone", "")
    hosts = zq.zones_for_industry(data["zone_industries"], data["industries"], ui["industry"]) if ui["industry"] \
        else pd.DataFrame(columns=["zone_id", "role", "citations"])

    st.title(t("app_title", lang))
    if any(SPEC_BY_ID[a].illustrative for a in ui["active"]):
        st.warning(t("illustrative_notice", lang))
    if ui["basemap"].startswith("tianditu") and not tianditu_key():
        st.info(t("tdt_no_key", lang))
    if render.is_gcj02(ui["basemap"]):
        st.caption(t("gcj_note", lang))

    col_map, col_panel = st.columns([3, 2], gap="medium")
    proposal = st.session_state.get("proposal_geom")
    result = st.session_state.get("check_result")
    with col_map:
        view = map_view(data, ui, selected, hosts, proposal, result.geometries if result is not None else None)
        m = build_map(view, data)
        out = st_folium(m, key="map", height=660, use_container_width=True,
                        returned_objects=["last_active_drawing", "all_drawings"])
        _drawn(out)
        clicked = ((out or {}).get("last_active_drawing") or {}).get("properties") or {}
        zid = clicked.get("zone_id")
        if zid and zid != selected and zid in set(data["zones"]["zone_id"]) and zid != st.session_state.get("last_click"):
            st.session_state["last_click"] = zid
            st.session_state["pending_zone"] = zid
            st.rerun()
        export_panel(data, view, lang)
        industry_panel(data, ui, hosts)
    with col_panel:
        tab_zone, tab_check, tab_saved = st.tabs([t("tab_zone", lang), t("tab_check", lang), t("tab_saved", lang)])
        with tab_zone:
            zone_panel(data, selected, lang)
        with tab_check:
            check_panel(data, ui)
        with tab_saved:
            saved_panel(data, lang)


def _drawn(out: dict | None) -> None:
    """Keep the last polygon drawn on the map as the candidate proposal."""
    drawings = (out or {}).get("all_drawings") or []
    polys = [d for d in drawings if (d.get("geometry") or {}).get("type") in ("Polygon", "MultiPolygon")]
    if not polys:
        return
    geom = shape(polys[-1]["geometry"])
    if st.session_state.get("drawn_wkb") != geom.wkb:
        st.session_state["drawn_wkb"] = geom.wkb
        st.session_state["drawn_geom"] = geom

main()
