"""The parkmap page's proposal input: the current proposal, 清除方案, the upload and its parcel picker.

Streamlit code (above the engine).  An upload is read once per content
(cached by hash in :func:`layers.page_data.upload_cache`); a file with
several features or ``[地块坐标]`` blocks is one proposal with its parcels,
or one parcel picked from it.  The proposal goes into the session's one
:class:`geo.workflow.Workflow`, which the caller passes in.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo.errors import ParkmapError
from geo.io.archive import extraction_dir
from geo.io.guard import safe_upload_name
from geo.proposal import parcel_label, proposal_from_frame, read_proposal_file
from geo.units import fmt_area
from geo.validate import repair_lines, repair_summary
from geo.workflow import Workflow
from layers.i18n import t
from layers.page_data import files_digest, upload_cache, zone_lookup
from layers.page_state import fresh_map, suggest_nearest
from layers.present import md_escape

ss = st.session_state


def _read_upload(files: list, lang: str):
    """((ReadResult, parcel summary) or an error message, digest) of the uploaded file(s), read once per content."""
    digest = files_digest(files)
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


def proposal_input(data: dict, lang: str, w: Workflow) -> None:
    """The current proposal: summary, 清除方案, draw hint, upload (several parcels are one proposal)."""
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
                fresh_map()
                st.rerun()
        else:
            w.set_geometry(pp.geometry, source=source, parcels=pp.parcels if len(pp.parcels) > 1 else [],
                           repairs=pp.repairs)
            w.name_from_file(pp.name)  # the scheme's own name from the file (方案名称) until the planner types one
            fresh_map()
            suggest_nearest(data, pp.geometry)
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
