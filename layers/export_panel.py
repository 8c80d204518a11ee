"""The export panel of the parkmap page: map page (PNG/PDF), HTML, check report, proposal data.

Streamlit code; the page passes in what it knows (the workflow, zone names,
the view on screen) so this module does not import ``app``.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from geo.errors import ParkmapError
from geo.workflow import Workflow
from layers.compose import MapView
from layers.i18n import t
from layers.present import md_escape
from layers.session import actor, workspace

ss = st.session_state


def _offer(key: str, label: str, make, file_name: str, mime: str, fingerprint: str) -> None:
    """A button that renders on demand and a download button for the result.

    The file is offered only while ``fingerprint`` (what it was made from:
    the proposal, its check, its name, the language, the map view) is still
    what is on screen: a stale report or map is never handed out.
    """
    if st.button(label, key=f"make_{key}"):
        try:
            with st.spinner("…"):
                ss[f"export_{key}"] = (make(), file_name, fingerprint)
        except ParkmapError as exc:
            st.error(md_escape(str(exc)))
    got = ss.get(f"export_{key}")
    if got and got[2] == fingerprint:
        st.download_button(f"⬇ {got[1]}", got[0], file_name=got[1], mime=mime, key=f"dl_{key}", on_click="ignore")


def export_panel(data: dict, lang: str, w: Workflow, short: dict[str, str], view_of: Callable[[], MapView]) -> None:
    """Map page (PNG/PDF), interactive HTML, the check report and the proposal data; files named 区名_方案名_日期.

    ``w`` is the session's workflow, ``short`` the zones' short names and
    ``view_of`` gives the view on screen over the planner's current extent.
    """
    from geo.crs import default_gk_zone
    from layers.export import export_proposal_data, snapshot_html, snapshot_pdf, snapshot_png
    from geo.naming import export_filename
    from layers.report import report_for_saved, report_unsaved

    zone_name = short.get(w.zone_id or ss.get("selected_zone", ""), "") or ("四川省" if lang == "zh" else "Sichuan")
    pname = w.display_name(short) if w.geometry is not None else ("开发区地图" if lang == "zh" else "map")
    with st.expander(t("export", lang)):
        view = view_of()
        proposal_fp = repr((w.inputs_key(), w.display_name(short), w.check_id, w.result is not None and
                            getattr(w.result, "original_verdict", None), lang))
        view_fp = repr((proposal_fp, view.bounds, view.basemap, view.active, view.regions, view.color_by,
                        view.highlighted, view.industry))
        c1, c2, c3 = st.columns(3)
        size = c1.selectbox(t("page_size", lang), ["A4L", "A4P", "A3L", "A3P"], key="exp_size")
        dpi = c2.selectbox(t("dpi", lang), [150, 300], key="exp_dpi")
        renderer = c3.selectbox(t("renderer", lang), ["auto", "browser", "static"], key="exp_renderer",
                                format_func=lambda k: t(f"renderer_{k}", lang))
        b1, b2, b3 = st.columns(3)
        with b1:
            _offer("png", t("make_png", lang), lambda: snapshot_png(view, data, size, dpi, renderer=renderer),
                   export_filename(zone_name, pname, "png"), "image/png", view_fp + repr((size, dpi, renderer)))
        with b2:
            _offer("mappdf", t("make_pdf_map", lang), lambda: snapshot_pdf(view, data, size, dpi, renderer=renderer),
                   export_filename(zone_name, pname, "pdf"), "application/pdf", view_fp + repr((size, dpi, renderer)))
        with b3:
            _offer("html", t("make_html", lang), lambda: snapshot_html(view, data),
                   export_filename(zone_name, pname, "html"), "text/html", view_fp)
        result = w.current_result(short)
        if result is None:
            return
        def make_report() -> bytes:
            if w.check_id is not None:  # a recorded check: the report is an audit event and prints the chain head
                return report_for_saved(workspace(), w.proposal_id, check_id=w.check_id, actor=actor(), lang=lang,
                                        frames=data)
            return report_unsaved(workspace(), result, actor=actor(), lang=lang, frames=data)

        _offer("report", t("make_report", lang), make_report,
               export_filename(zone_name, f"{pname}_核查报告" if lang == "zh" else f"{pname}_check_report", "pdf"),
               "application/pdf", proposal_fp)
        d1, d2, d3 = st.columns(3)
        fmt = d1.selectbox(t("data_format", lang), ["gpkg", "geojson", "kml", "txt"], key="exp_fmt")
        own = default_gk_zone(w.geometry)
        zones = sorted({33, 34, 35, 36, own})
        picked = ss.get("exp_zone_pick") or {}
        ss["exp_zone"] = picked.get(w.geometry.wkb, own)  # the proposal's own zone unless the planner chose one

        def keep_zone() -> None:
            ss["exp_zone_pick"] = {w.geometry.wkb: ss["exp_zone"]}

        gk = d2.selectbox(t("gk_zone", lang), zones, key="exp_zone", on_change=keep_zone)
        prefixed = d3.checkbox(t("prefixed", lang), value=True, key="exp_prefixed")
        mime = {"gpkg": "application/geopackage+sqlite3", "geojson": "application/geo+json",
                "kml": "application/vnd.google-earth.kml+xml", "txt": "text/plain"}[fmt]
        _offer(f"data_{fmt}", t("make_data", lang),
               lambda: export_proposal_data(result, fmt, zone=gk if fmt == "txt" else None, prefixed=prefixed),
               export_filename(zone_name, pname, fmt), mime, proposal_fp + repr((gk, prefixed)))

