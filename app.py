"""parkmap — 四川开发区规划地图 (Streamlit front).

A thin page: page setup, the sidebar, the map column and the six tabs.
Data come from ``geo.dataset`` (cached in :mod:`layers.page_data`); the
proposal being worked on lives in one :class:`geo.workflow.Workflow`
(``st.session_state["wf"]``, :func:`layers.page_state.workflow`) that every
panel is given and changes through its methods.  The panels are modules of
:mod:`layers` and never import this page: the sidebar (:mod:`layers.sidebar`),
the live map (:mod:`layers.map_panel`), the export panel
(:mod:`layers.export_panel`), the zone tab (:mod:`layers.zone_panel`), the
check tab (:mod:`layers.check_panel`, with :mod:`layers.proposal_input` and
:mod:`layers.official_layers`), the records tab (:mod:`layers.saved_panel`)
and the zone list (:mod:`layers.zone_list`); login and session are
:mod:`layers.session`.  Run: ``streamlit run app.py``.
"""

from __future__ import annotations

import streamlit as st

from geo.io.archive import sweep_stale_extractions
from layers import render
from layers.check_panel import check_panel
from layers.export_panel import export_panel
from layers.i18n import t
from layers.map_panel import current_view, map_area
from layers.page_data import frames, tianditu_key, zone_lookup
from layers.page_state import guarded, select_zone, workflow
from layers.present import md_escape
from layers.saved_panel import saved_panel
from layers.scan_panel import scan_panel
from layers.session import identity, workspace
from layers.sidebar import sidebar
from layers.sites_panel import sites_panel
from layers.specs import SPEC_BY_ID
from layers.zone_list import list_panel
from layers.zone_panel import zone_panel

st.set_page_config(page_title="parkmap · 四川开发区", page_icon="🗺", layout="wide")
ss = st.session_state


def init_state() -> None:
    ss.setdefault("selected_zone", "")
    ss.setdefault("map_epoch", 0)
    ss.setdefault("upload_epoch", 0)
    if ss.get("pending_zone") is not None:
        zid = ss.pop("pending_zone")
        ss["zone_pick"] = zid
        select_zone(zid)
    ss.pop("pending_zone", None)


# --------------------------------------------------------------------------- page

TABS = ("zone", "check", "sites", "saved", "list", "scan")


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
            check_panel(data, ui, below, workflow())
        with tabs["sites"]:
            sites_panel(data, lang, workflow())
        with tabs["saved"]:
            saved_panel(data, lang, workflow())
        with tabs["list"]:
            list_panel(data, ui)
        with tabs["scan"]:
            scan_panel(data, ui)


guarded(main)()  # never a traceback on the page
