"""The parkmap page's official control layers: an admin's upload, the shared layer sets, the set bound to the proposal.

Streamlit code (above the engine).  Uploaded files are kept under
``$PARKMAP_HOME/layers/<content hash>/`` (complete folders only), recorded as
a ``layer_import`` audit event, and offered to everyone through the
workspace; the set in use belongs to the session's
:class:`geo.workflow.Workflow`, passed in by the check tab.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import streamlit as st

from geo.dataset import gpkg_path
from geo.errors import ParkmapError
from geo.io.archive import EXTRACT_PREFIX, sweep_stale_extractions
from geo.io.guard import safe_upload_name
from geo.workflow import Workflow
from layers.i18n import t
from layers.page_data import check_index, files_digest
from layers.page_state import bind
from layers.present import md_escape
from layers.session import actor, workspace

ss = st.session_state


def official_layers_input(lang: str, w: Workflow) -> None:
    """Upload official control-line files; kept under $PARKMAP_HOME/layers/<content hash>/ and bound to the proposal."""
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
            target = workspace().home / "layers" / files_digest(list(files))[:16]
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
                check_index(str(gpkg_path()), str(target))
            except ParkmapError as exc:
                st.error(md_escape(str(exc)))
                return
            if w.official_dir != str(target):
                workspace().record("layer_import", actor=actor(), permission="import_layers",
                                   detail={"folder": target.name, "files": sorted(Path(f.name).name for f in files)})
                w.set_official_dir(str(target))
                st.rerun()  # the map and the result follow the new layer set
        layer_set_picker(lang, w)
        if w.official_dir:
            if not Path(w.official_dir).is_dir():
                w.set_official_dir(None)
                return
            idx = check_index(str(gpkg_path()), w.official_dir)
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


def layer_set_picker(lang: str, w: Workflow) -> None:
    """Everyone checks against the official layers an admin imported (shared through the workspace)."""
    sets = imported_layer_sets()
    if not sets:
        return
    options = [""] + list(sets)
    bind("official_pick", w.official_dir if w.official_dir in sets else "")
    st.selectbox(t("official_pick", lang), options, key="official_pick",
                 format_func=lambda k: sets.get(k, t("official_none", lang)),
                 on_change=lambda: w.set_official_dir(ss["official_pick"] or None))
