"""The parkmap page's 可扩区用地 tab: where can the zone grow (:func:`geo.sites.find_sites`).

Streamlit code (above the engine).  The planner picks the zone (the current
one by default), the area, the search distance and the chemical flag; the
candidates are kept in session state (``sites_search``) and drawn on the live
map with their rank (``site_shapes``, read by :func:`layers.map_panel.current_view`);
two or three are compared side by side; **用作方案** loads one into the
session's :class:`geo.workflow.Workflow` and opens the 扩区核查 tab, where it
is checked, saved, reported and exported like any proposal.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.area import M2_PER_HECTARE, M2_PER_MU
from geo.auth import role_label
from geo.dataset import gpkg_path
from geo.errors import ParkmapError
from geo.units import fmt_ha, fmt_length, fmt_mu, fmt_number
from geo.workflow import Workflow
from layers.i18n import t
from layers.page_data import check_index, zone_label, zone_lookup
from layers.page_state import bind
from layers.present import md_escape, rule_table, style_rule_table, verdict_html
from layers.session import actor

ss = st.session_state


def compare_frame(search, lang: str) -> pd.DataFrame:
    """Up to three candidates side by side: area in 公顷 and 亩, patch, distance, contiguity, compactness, score, verdict."""
    cols = {}
    for c in search.candidates[:3]:
        cols[t("sites_candidate", lang).format(rank=c.rank)] = [
            fmt_number(c.proposal_m2 / M2_PER_HECTARE, 2), fmt_number(c.proposal_m2 / M2_PER_MU, 2),
            fmt_number(c.patch_m2 / M2_PER_HECTARE, 2),
            fmt_length(c.distance_m, lang), t("yes" if c.contiguous else "no", lang), fmt_number(c.compactness, 3),
            fmt_number(c.score, 3), t(f"verdict_{c.verdict}", lang)]
    rows = [t(k, lang) for k in ("sites_row_ha", "sites_row_mu", "sites_row_patch", "sites_row_dist", "sites_row_contig",
                                 "sites_row_compact", "sites_row_score", "sites_row_verdict")]
    return pd.DataFrame(cols, index=rows)


def _find(zone_id: str, w: Workflow) -> None:
    from geo.sites import SiteOptions, find_sites

    ss.pop("sites_search", None)
    ss["site_shapes"] = ()
    opts = SiteOptions(area_m2=float(ss["sites_area"]) * M2_PER_HECTARE, within_m=float(ss["sites_within"]) * 1000,
                       chemical=bool(ss["sites_chemical"]))
    try:
        search = find_sites(check_index(str(gpkg_path()), w.official_dir), zone_id, opts)
    except ParkmapError as exc:
        ss["sites_error"] = str(exc)
        ss["sites_error_zone"] = zone_id
        return
    ss.pop("sites_error", None)
    ss["sites_search"] = search
    ss["site_shapes"] = tuple((c.rank, c.proposal) for c in search.candidates)


def _use(c, search, w: Workflow) -> None:
    """Load candidate ``c`` into the workflow as the proposal and open the check tab."""
    short = zone_lookup()[0]
    zid = str(search.zone["zone_id"])
    w.set_geometry(c.proposal, source=f"sites:{zid}#{c.rank}")
    w.set_zone(zid, by_planner=True)
    w.set_options(type="expand", chemical=search.options.chemical)
    w.rename(f"{short.get(zid, zid)}可扩区候选{c.rank}", short)
    ss["sites_used"] = w.display_name(short)
    ss["pending_tab"] = "check"


def sites_panel(data: dict, lang: str, w: Workflow) -> None:
    """The 可扩区用地 tab; ``w`` is the session's workflow."""
    _, ids, _ = zone_lookup()
    st.caption(t("sites_intro", lang))
    current = ss.get("selected_zone") or w.zone_id or ""
    if ss.get("sites_zone") not in ids or (current in ids and current != ss.get("sites_zone_seen")):
        bind("sites_zone", current if current in ids else (ids[0] if ids else ""))  # follows the current zone
    ss["sites_zone_seen"] = current
    st.selectbox(t("sites_zone", lang), ids, key="sites_zone", format_func=lambda z: zone_label(z, lang))
    searched = ss.get("sites_search")
    if (searched is not None and str(searched.zone["zone_id"]) != ss["sites_zone"]) or \
            (ss.get("sites_error") and ss.get("sites_error_zone") != ss["sites_zone"]):
        ss.pop("sites_search", None)  # another zone: the old candidates and message are not this zone's
        ss.pop("sites_error", None)
        ss["site_shapes"] = ()
        st.rerun()  # the map, drawn above this tab, must drop the old zone's candidates now
    c1, c2 = st.columns(2)
    c1.number_input(t("sites_area", lang), min_value=1.0, max_value=10_000.0, value=50.0, step=10.0, key="sites_area")
    c2.number_input(t("sites_within", lang), min_value=0.5, max_value=20.0, value=3.0, step=0.5, key="sites_within",
                    help=t("sites_within_help", lang))
    st.checkbox(t("sites_chemical", lang), key="sites_chemical", value=bool(w.chemical))
    if not actor().may("check"):  # every candidate is checked: the check permission, as in the check tab
        st.info(t("need_check_role", lang).format(role=role_label(actor().role, lang)))
    if st.button(t("sites_find", lang), type="primary", key="sites_find", disabled=not actor().may("check")):
        with st.spinner(t("sites_find", lang)):
            _find(ss["sites_zone"], w)
        if ss.get("sites_search") is not None and ss.get("selected_zone") != ss["sites_zone"]:
            ss["pending_zone"] = ss["sites_zone"]  # the map zooms to the zone and outlines its parks
        st.rerun()  # the map (drawn above this tab) shows the candidates
    if ss.get("sites_used"):
        st.success(md_escape(t("sites_used", lang).format(name=ss.pop("sites_used"))))
    if ss.get("sites_error"):
        st.error(md_escape(ss["sites_error"]))
        return
    search = ss.get("sites_search")
    if search is None:
        return
    st.caption(md_escape(t("sites_free", lang).format(ha=fmt_ha(search.free_m2, lang), mu=fmt_mu(search.free_m2, lang),
                                                      n=search.patches)))
    for zh, en in search.notes:  # the slope (not checked, in the app), dropped patches, overshoots, chemical links
        st.caption(md_escape(en if lang == "en" else zh))
    st.markdown(f"**{t('sites_compare', lang)}**")
    st.dataframe(compare_frame(search, lang), width="stretch")
    st.caption(t("sites_score_help", lang))
    for c in search.candidates:
        title = f"{t('sites_candidate', lang).format(rank=c.rank)} · {fmt_ha(c.proposal_m2, lang)} · {fmt_mu(c.proposal_m2, lang)}"
        with st.expander(title, expanded=c.rank == 1):
            st.markdown(verdict_html(c.result, lang), unsafe_allow_html=True)
            if st.button(t("sites_use", lang), key=f"sites_use_{c.rank}"):
                _use(c, search, w)
                st.rerun()
            st.dataframe(style_rule_table(rule_table(c.result, lang), lang), hide_index=True, width="stretch")
