"""The parkmap page's 存量体检 tab: scan the existing parks against the control lines (:mod:`geo.scan`).

The planner picks a scope (the province, a prefecture or a zone) and runs the
scan on the same control index as a check (:func:`layers.page_data.check_index`:
embedded, then the database's official layers, then the imported layer set
chosen in the check tab).  Running it records the audit event ``scan`` (who,
when, the layer versions and hashes, the totals), so it needs the ``check``
permission.  The result (kept in the session) is shown as tables per
prefecture, per zone and per park (pinyin order; 平方米, 亩, 公顷), the
conflicting pieces on a map of their own (self-contained HTML, assets inlined,
no CDN) and an Excel download (one sheet per layer).
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st
import streamlit.components.v1 as components

from geo import zones as zq
from geo.area import M2_PER_HECTARE, M2_PER_MU
from geo.controls import layer_name, overlap_styles
from geo.dataset import gpkg_path
from geo.errors import ParkmapError
from geo.scan import MEASURES, PIECE_STYLE, SCAN_LAYERS, ScanResult, record_scan, scan_parks
from layers.assets import inline_assets
from layers import render
from layers.compose import DrawLayer, MapView, add_layer, compose_map, geometry_bounds, plan_legend
from layers.i18n import t
from layers.page_data import check_index, zone_lookup
from layers.page_state import workflow
from layers.present import md_escape
from layers.session import actor, workspace

ss = st.session_state
#: Style of the river band's pieces (the map has no overlap style for it).
RIVER_STYLE = {"color": "#0d47a1", "weight": 1.5, "fill": True, "fillColor": "#1e88e5", "fillOpacity": 0.6}


def _layer_title(key: str, lang: str) -> str:
    zh, en = MEASURES[key]
    return en if lang == "en" else zh


def _area_columns(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """平方米, 亩, 公顷 and the share, formatted for reading."""
    out = pd.DataFrame(index=frame.index)
    out[t("scan_m2", lang)] = frame["conflict_m2"].map(lambda v: f"{v:,.1f}")
    out[t("scan_mu", lang)] = (frame["conflict_m2"] / M2_PER_MU).map(lambda v: f"{v:,.2f}")
    out[t("scan_ha", lang)] = (frame["conflict_m2"] / M2_PER_HECTARE).map(lambda v: f"{v:,.2f}")
    out[t("scan_share", lang)] = frame["share"].map(lambda v: f"{100 * v:.1f}%")
    return out


def _table(frame: pd.DataFrame, names: list[tuple[str, str]], lang: str) -> pd.DataFrame:
    cols = {t(label, lang): frame[col].astype(str) for col, label in names}
    cols[t("scan_layer", lang)] = frame["layer"].map(lambda k: _layer_title(k, lang))
    left = pd.DataFrame(cols, index=frame.index)
    if "parks_in_conflict" in frame.columns:
        left[t("scan_parks_hit", lang)] = [f"{int(a)}/{int(b)}" for a, b in zip(frame["parks_in_conflict"], frame["parks"])]
    return pd.concat([left, _area_columns(frame, lang)], axis=1).reset_index(drop=True)


def scan_map(result: ScanResult, data: dict, lang: str) -> folium.Map:
    """The parks of the scope with the conflicting pieces, one layer group per scanned layer."""
    pieces = result.pieces
    scope_parks = data["parks"][data["parks"]["park_id"].astype(str).isin(set(result.parks["park_id"]))]
    hit = scope_parks[scope_parks["park_id"].astype(str).isin(set(pieces["park_id"]))] if len(pieces) else scope_parks
    extent = list(pieces.geometry.values) + list(hit.geometry.values)
    bounds = geometry_bounds(shapely.union_all(extent), pad=0.6) if extent else None
    view = MapView(bounds=bounds, active=("prefectures", "rivers", "parks"), lang=lang, level="zone" if len(extent) else None)
    m = compose_map(view, data, layer_control=False, overlays=False)  # control and legend last, with the pieces
    legend = plan_legend(view, data)
    styles = overlap_styles()
    for key in SCAN_LAYERS:
        part = pieces[pieces["layer"] == key]
        if not len(part):
            continue
        title = _layer_title(key, lang)
        style = RIVER_STYLE if key == "river_1km" else styles[PIECE_STYLE[key]]["style"]
        frame = gpd.GeoDataFrame({"name": [html.escape(f"{title} · {p}") for p in part["park_id"]]},
                                 geometry=part.geometry.values, crs=part.crs)
        add_layer(m, DrawLayer(f"scan:{key}", title, "polygon", frame, lambda _f, s=style: dict(s), ("name",)),
                  lang, False)
        legend.append(("fill", str(style.get("fillColor") or style["color"]), title))
    render.add_notice(m, lang)  # the parks and control lines drawn are illustrative
    render.add_legend(m, legend, lang)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def _run(data: dict, scope: str, pref: str, zone: str) -> None:
    who = actor()
    who.require("check")
    index = check_index(str(gpkg_path()), workflow().official_dir)  # the layer set chosen in the check tab
    result = scan_parks(index, zone=zone if scope == "zone" else None,
                        prefecture=pref if scope == "prefecture" else None, prefectures=data["prefectures"],
                        industries=data["industries"], links=data["zone_industries"])
    record_scan(workspace(), result, who)
    ss["scan_result"] = result


def scan_panel(data: dict, ui: dict) -> None:
    """存量体检: scope, run (recorded), totals, tables, the pieces on a map and the Excel workbook."""
    lang = ui["lang"]
    st.caption(t("scan_intro", lang))
    scopes = ["province", "prefecture", "zone"]
    scope = st.radio(t("scan_scope", lang), scopes, key="scan_scope", horizontal=True,
                     format_func=lambda s: t(f"scan_scope_{s}", lang))
    pref_frame = data["prefectures"]
    pnames = dict(zip(pref_frame["adcode"].astype(str), pref_frame["name"].astype(str)))
    pref = zone = ""
    if scope == "prefecture":
        order = sorted(pnames, key=lambda a: zq.pinyin_key(pnames[a]))
        pref = st.selectbox(t("filter_prefecture", lang), order, key="scan_pref", format_func=lambda a: pnames[a])
    elif scope == "zone":
        short, ids, _ = zone_lookup()
        zone = st.selectbox(t("scan_zone_label", lang), ids, key="scan_zone", format_func=lambda z: f"{short.get(z, z)}（{z}）")
    if not actor().may("check"):
        st.info(t("scan_needs_planner", lang))
    elif st.button(t("scan_run", lang), key="scan_run", type="primary"):
        try:
            with st.spinner(t("scan_running", lang)):
                _run(data, scope, pref, zone)
        except ParkmapError as exc:
            st.error(md_escape(str(exc)))
            return
    result: ScanResult | None = ss.get("scan_result")
    if result is None:
        return
    show_result(result, data, lang)


def show_result(result: ScanResult, data: dict, lang: str) -> None:
    """The scan's totals, tables, map and download."""
    n_parks = result.parks["park_id"].nunique()
    when = str(result.at)[:16].replace("T", " ") + ("（北京时间）" if lang != "en" else " (Beijing time)")
    st.markdown(f"**{md_escape(result.scope['label'])}** · {n_parks} {t('scan_parks', lang)} · {when}")
    totals = result.totals()
    cols = st.columns(len(SCAN_LAYERS))
    for col, key in zip(cols, SCAN_LAYERS):
        tot = totals[key]
        col.metric(_layer_title(key, lang), f"{tot['conflict_m2'] / M2_PER_MU:,.1f} {t('scan_mu', lang)}")
        col.caption(f"{t('scan_parks_hit', lang)} {tot['parks_in_conflict']}/{tot['parks']}")
    short = zone_lookup()[0]
    chem = "、".join(sorted((short.get(z, z) for z in result.chemical), key=zq.pinyin_key)) or "—"
    st.caption(f"{t('scan_chemical', lang)}: {md_escape(chem)}")
    versions = "；".join(  # planners read names and whether a layer is official (the hashes are in the Excel/audit)
        f"{layer_name(k, lang)}（{t('scan_illustrative', lang) if v.get('illustrative') else t('scan_official', lang)}"
        f"{' v' + str(v['version']) if v.get('version') else ''}）" for k, v in result.layer_record().items())
    st.caption(f"{t('scan_layers', lang)}: {md_escape(versions)}")
    st.markdown(f"**{t('scan_by_prefecture', lang)}**")
    st.dataframe(_table(result.prefectures(), [("prefecture", "scan_prefecture")], lang), hide_index=True,
                 key="scan_table_pref")
    st.markdown(f"**{t('scan_by_zone', lang)}**")
    zones = result.zones()
    st.dataframe(_table(zones[zones["conflict_m2"] > 0], [("zone_name", "scan_zone_label"), ("zone_id", "scan_zone_id"),
                                                         ("prefecture", "scan_prefecture")], lang),
                 hide_index=True, key="scan_table_zone")
    st.markdown(f"**{t('scan_by_park', lang)}**")
    parks = result.parks[result.parks["conflict_m2"] > 0]
    order = sorted(range(len(parks)), key=lambda i: (SCAN_LAYERS.index(parks["layer"].iloc[i]),
                                                      zq.pinyin_key(str(parks["prefecture"].iloc[i])),
                                                      zq.pinyin_key(str(parks["zone_name"].iloc[i])),
                                                      str(parks["park_id"].iloc[i])))
    parks = parks.iloc[order]
    table = _table(parks, [("park_name", "scan_park"), ("zone_name", "scan_zone_label"), ("prefecture", "scan_prefecture")], lang)
    table[t("scan_rule", lang)] = parks["citation"].to_numpy()
    st.dataframe(table, hide_index=True, key="scan_table_park")
    if len(result.pieces):
        st.markdown(f"**{t('scan_map', lang)}**")
        components.html(inline_assets(scan_map(result, data, lang).get_root().render()), height=440)
    else:
        st.success(t("scan_no_conflict", lang))
    if result.illustrative_layers():  # a clean result on generated layers says nothing about the real lines
        st.warning(t("illustrative_notice", lang))
    st.download_button(t("scan_download", lang), result.excel_bytes(), file_name=f"存量体检_{result.scope['value']}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="scan_xlsx")


__all__ = ["scan_map", "scan_panel", "show_result"]
