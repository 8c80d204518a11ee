"""The parkmap page's cached data: map layers and tables, control-line indexes, zone names, parsed uploads.

Streamlit code (above the engine).  Everything here is built once per process
(``st.cache_resource``) or once per upload and shared by the page's panels,
which import these accessors instead of importing ``app``.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from geo import settings
from geo import zones as zq
from geo.check import ControlIndex
from geo.dataset import gpkg_path, list_layers, load_layer
from geo.errors import ParkmapError
from layers import live
from layers.compose import load_frames
from layers.i18n import t
from layers.session import workspace

ss = st.session_state


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


@st.cache_resource(show_spinner=False, max_entries=8)
def _with_folder(_base: ControlIndex, base_id: int, layers_dir: str) -> ControlIndex:
    return _base.with_layers(layers_dir)


def check_index(path: str, layers_dir: str | None = None) -> ControlIndex:
    """The index a check runs on: the embedded layers, replaced by the database's official layers (current
    versions, when ``PARKMAP_DATABASE_URL`` is set: queried per proposal, never loaded whole), then by the
    files of an app-imported layer folder.  A new version imported meanwhile is used from the next check on."""
    from geo import settings
    from geo.db.layer_query import with_database_layers

    base = with_database_layers(control_index(path), settings.database_url())  # cached per set of versions
    return _with_folder(base, id(base), layers_dir) if layers_dir else base


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


def zone_label(zone_id: str, lang: str) -> str:
    short, _, pref = zone_lookup()
    if not zone_id:
        return t("no_zone", lang)
    return t("zone_label", lang).format(short=short.get(zone_id, zone_id), pref=pref.get(zone_id, ""))


@st.cache_resource(show_spinner=False)
def upload_cache() -> dict:
    """Parsed uploads by content hash (bounded): a file is read once, not at every click."""
    return {}


def files_digest(files: list) -> str:
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


def tianditu_key() -> str | None:
    key = settings.tianditu_token()
    if key:
        return key
    try:
        return st.secrets.get("tianditu_token")  # type: ignore[no-any-return]
    except Exception:  # no secrets file
        return None
