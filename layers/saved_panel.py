"""The parkmap page's 方案记录 tab: saved proposals, reopening one, comparison by rule, soft delete and restore.

Streamlit code (above the engine).  Reopening restores the whole proposal
into the session's one :class:`geo.workflow.Workflow` (passed in by the page)
and switches to the check tab.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.errors import ParkmapError
from geo.workflow import Workflow
from layers.i18n import t
from layers.page_data import zone_lookup
from layers.page_state import fresh_map
from layers.present import compare_table, md_escape, saved_table
from layers.session import actor, workspace

ss = st.session_state


def saved_panel(data: dict, lang: str, w: Workflow) -> None:
    """The records tab; 打开 restores a proposal into ``w``, the session's workflow."""
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
        w.reopen(prop, checks[-1] if checks else None, short)
        ss["upload_epoch"] += 1
        fresh_map()
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
