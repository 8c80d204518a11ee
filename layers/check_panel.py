"""The parkmap page's 扩区核查 tab: proposal options, the check, the verdict, the rule table, overrides, saving.

Streamlit code (above the engine).  The check runs the one sequence of
:mod:`geo.checkflow`, as the command line does; the proposal and its result
are the session's one :class:`geo.workflow.Workflow`, passed in by the page.
"""

from __future__ import annotations

import streamlit as st

from geo.auth import role_label
from geo.check import apply_override
from geo.checkflow import CheckOptions, run_checks
from geo.dataset import gpkg_path
from geo.errors import ParkmapError
from geo.proposal import ProposalParcels
from geo.units import fmt_length
from geo.validate import repair_lines
from geo.workflow import Workflow
from geo.workspace import SaveItem
from layers.i18n import t
from layers.official_layers import official_layers_input
from layers.page_data import check_index, zone_label, zone_lookup
from layers.page_state import bind
from layers.present import md_escape, overlap_table, rule_table, style_rule_table, verdict_html
from layers.proposal_input import proposal_input
from layers.session import actor, workspace

ss = st.session_state


def check_panel(data: dict, ui: dict, below, w: Workflow) -> None:
    """The check tab; ``below`` is the full-width container for the rule table, ``w`` the session's workflow."""
    lang = ui["lang"]
    short, ids, _ = zone_lookup()
    proposal_input(data, lang, w)
    bind("check_zone", w.zone_id if w.zone_id in ids else "")
    st.selectbox(t("check_zone", lang), [""] + ids, key="check_zone", format_func=lambda z: zone_label(z, lang),
                 on_change=lambda: w.set_zone(ss["check_zone"]))
    if w.zone_distance_m is not None and w.zone_id and not w.zone_by_planner:
        st.caption(md_escape(t("nearest_zone", lang).format(zone=short.get(w.zone_id, ""),
                                                            dist=fmt_length(w.zone_distance_m, lang))))
    bind("check_type", w.type)
    st.radio(t("check_type", lang), ["expand", "adjust"], key="check_type", horizontal=True,
             format_func=lambda k: t(f"type_{k}", lang), on_change=lambda: w.set_options(type=ss["check_type"]))
    c2, c3 = st.columns(2)
    bind("check_chemical", w.chemical)
    c2.checkbox(t("chemical", lang), key="check_chemical", on_change=lambda: w.set_options(chemical=ss["check_chemical"]))
    bind("check_major", w.major_project)
    c3.checkbox(t("major_project", lang), key="check_major", on_change=lambda: w.set_options(major_project=ss["check_major"]))
    bind("check_repair", w.repair)
    st.checkbox(t("repair_parcels", lang), key="check_repair", help=t("repair_parcels_help", lang),
                on_change=lambda: w.set_options(repair=ss["check_repair"]))
    bind("check_name", w.display_name(short))
    st.text_input(t("prop_name", lang), key="check_name", on_change=lambda: w.rename(ss["check_name"], short))
    official_layers_input(lang, w)
    if not actor().may("check"):
        st.info(t("need_check_role", lang).format(role=role_label(actor().role, lang)))
    if st.button(t("run_check", lang), type="primary", key="run_check", disabled=not actor().may("check")):
        if w.geometry is None or not w.zone_id:
            st.warning(t("need_geom", lang))
        else:
            index = check_index(str(gpkg_path()), w.official_dir)
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
        result_view(result, lang, w)


def _override_box(result, lang: str, w: Workflow) -> None:
    """Override one rule with a written reason (reviewer/admin): a new audit record, or an event at the first save."""
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


def result_view(result, lang: str, w: Workflow) -> None:
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
            _override_box(result, lang, w)
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

