"""The control-line index: every layer a check queries, indexed once.

:class:`ControlIndex` holds one :class:`PolygonIndex` (a shapely ``STRtree``
over polygon tiles) per polygon layer, a :class:`LineIndex` for the rivers,
the zone table and the indicators.  Multi-part features are exploded and
polygons with more than 256 vertices are cut into tiles (:func:`subdivide`,
recursive halving of the bounding box, like PostGIS ``ST_Subdivide``), so a
query touches a few small polygons.  :class:`LayerSource` records where each
layer comes from.  Official layers (``--layers DIR``) are read by
:mod:`geo.io.official`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from geo.check.layer import ID_FIELDS as _ID_FIELDS
from geo.check.layer import MAX_TILE_VERTICES as _MAX_TILE_VERTICES
from geo.check.layer import NAME_FIELDS as _NAME_FIELDS
from geo.check.layer import LayerSource, PolygonLayer, outside_of, overlap_of, subdivide
from geo.check.layer import clean_polygons as _clean_polygons
from geo.check.layer import first_field as _first_field
from geo.check.layer import tiles_of as _tiles
from geo.check.model import LayerOverlap
from geo.controls import control_layers
from geo.crs import EPSG_CGCS2000, SICHUAN_GK3_ZONES, epsg_for_gk_zone, transformer
from geo.errors import bilingual
from geo.io.official import find_layer_files, read_official_layer
from geo.jsonutil import json_value as _jsonable
from geo.zones import ZoneLookup

#: Layers of the index, in reporting order.
INDEX_LAYERS: tuple[str, ...] = ("eco_redline", "farmland", "urban_boundary", "rivers", "parks", "province")


class PolygonIndex:
    """STRtree over the tiles of one polygon layer (lon/lat).

    Parameters
    ----------
    key : str
        Layer key (``eco_redline``, ``farmland``...).
    frame : GeoDataFrame
        The layer in EPSG:4490; kept for attributes and the content hash.
    source : LayerSource
    max_vertices : int
        Tile size limit; larger polygons are subdivided.
    prepare : bool
        Prepare every tile (worth it for few, large tiles; off for 10^6 small ones).
    """

    def __init__(self, key: str, frame: gpd.GeoDataFrame, source: LayerSource, *,
                 max_vertices: int = _MAX_TILE_VERTICES, prepare: bool | None = None) -> None:
        self.key = key
        self.frame = frame
        self.source = source
        geoms = _clean_polygons(frame.geometry.values)
        self.tiles, self.owner = _tiles(geoms, max_vertices)
        keep = ~shapely.is_empty(self.tiles)
        if not keep.all():
            self.tiles, self.owner = self.tiles[keep], self.owner[keep]
        self.tree = shapely.STRtree(self.tiles)
        if prepare is None:
            prepare = len(self.tiles) <= 50_000
        if prepare:
            shapely.prepare(self.tiles)
        self.id_field = _first_field(frame.columns, _ID_FIELDS)
        self.name_field = _first_field(frame.columns, _NAME_FIELDS)
        self._hash: str | None = None
        self._info_cache: dict[int, dict[str, Any]] = {}
        self._columns: dict[str, np.ndarray] | pd.DataFrame | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def hash(self) -> str:
        """Content hash of the layer (:func:`geo.dataset.frame_hash`), computed once."""
        if self._hash is None:
            from geo.dataset import frame_hash

            self._hash = frame_hash(self.frame)
        return self._hash

    def candidates(self, geom: BaseGeometry) -> np.ndarray:
        """Indices of the tiles intersecting ``geom``."""
        rows: np.ndarray = self.tree.query(geom, predicate="intersects")
        return rows

    def overlap(self, geom: BaseGeometry, idx: np.ndarray | None = None) -> LayerOverlap:
        """Intersection of ``geom`` (prepared lon/lat polygon) with the layer (:func:`overlap_of`)."""
        if idx is None:
            idx = self.candidates(geom)
        return overlap_of(self.key, geom, self.tiles[idx], self.owner[idx])

    def outside(self, geom: BaseGeometry, idx: np.ndarray | None = None) -> BaseGeometry:
        """The part of ``geom`` not covered by the layer (empty when inside; :func:`outside_of`)."""
        if idx is None:
            idx = self.candidates(geom)
        return outside_of(geom, self.tiles[idx])

    def feature_geometry(self, row: int) -> BaseGeometry:
        """The whole geometry of feature ``row`` (lon/lat)."""
        geom: BaseGeometry = self.frame.geometry.iloc[int(row)]
        return geom

    def feature_info(self, row: int, *, attributes: bool = True) -> dict[str, Any]:
        """id, name and (optionally) all attributes of one feature, JSON-safe."""
        return self.features_info([row], attributes=attributes)[0]

    def _records(self, rows: list[int]) -> list[dict[str, Any]]:
        """Attribute records of ``rows`` (numpy columns for small layers, one ``iloc`` for big ones)."""
        if self._columns is None:
            attrs = pd.DataFrame(self.frame.drop(columns=self.frame.geometry.name))
            if len(attrs) <= 200_000:
                self._columns = {str(c): attrs[c].to_numpy(dtype=object) for c in attrs.columns}
            else:
                self._columns = attrs
        if isinstance(self._columns, dict):
            return [{c: a[r] for c, a in self._columns.items()} for r in rows]
        records: list[dict[str, Any]] = self._columns.iloc[rows].to_dict("records")
        return records

    def features_info(self, rows: Sequence[int], *, attributes: bool = True) -> list[dict[str, Any]]:
        """:meth:`feature_info` for several rows with one frame lookup (cached per row)."""
        rows = [int(r) for r in rows]
        with self._lock:  # the index is shared by app sessions (threads)
            found = {r: self._info_cache[r] for r in rows if r in self._info_cache}
            missing = [r for r in dict.fromkeys(rows) if r not in found]
            if missing:
                for r, rec in zip(missing, self._records(missing)):
                    attrs = {str(k): _jsonable(v) for k, v in rec.items()}
                    found[r] = {"row": r, "id": attrs.get(self.id_field) if self.id_field else r,
                                "name": attrs.get(self.name_field) if self.name_field else None, "attributes": attrs}
                    if len(self._info_cache) >= 100_000:  # huge layer: do not grow without bound
                        self._info_cache.pop(next(iter(self._info_cache)))
                    self._info_cache[r] = found[r]
        out = []
        for r in rows:
            info = found[r]
            d = {"row": info["row"], "id": info["id"], "name": info["name"]}
            if attributes:
                d["attributes"] = dict(info["attributes"])
            out.append(d)
        return out


class LineIndex:
    """Rivers (lines; lakes as polygons) for nearest-distance queries.

    Lines are cut into chunks of ≤ 64 vertices.  Distances are measured in
    the proposal's GK zone: the layer is projected into a zone on first use
    and cached (one STRtree per zone and river-class selection).
    """

    def __init__(self, frame: gpd.GeoDataFrame, source: LayerSource, chunk: int = 64) -> None:
        self.key = "rivers"
        self.frame = frame
        self.source = source
        parts, owner = shapely.get_parts(shapely.force_2d(frame.geometry.values), return_index=True)
        pieces: list[BaseGeometry] = []
        owners: list[int] = []
        for p, o in zip(parts, owner):
            if p.is_empty:
                continue
            if p.geom_type == "LineString" and len(p.coords) > chunk:
                c = np.asarray(p.coords)
                for s in range(0, len(c) - 1, chunk - 1):
                    seg = c[s: s + chunk]
                    if len(seg) >= 2:
                        pieces.append(LineString(seg))
                        owners.append(int(o))
            else:
                pieces.append(p)
                owners.append(int(o))
        self.parts = np.array(pieces, dtype=object)
        self.owner = np.array(owners, dtype=np.int64)
        self.id_field = _first_field(frame.columns, _ID_FIELDS)
        self.name_field = _first_field(frame.columns, _NAME_FIELDS)
        self.class_fields = [c for c in ("river_class", "class_en") if c in frame.columns]
        self._cache: dict[tuple[Any, tuple[str, ...]], tuple[np.ndarray, np.ndarray, shapely.STRtree] | None] = {}
        self._hash: str | None = None
        self._info_cache: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._proj: dict[Any, np.ndarray] = {}
        for zone in SICHUAN_GK3_ZONES:  # project once into each of Sichuan's GK zones
            self._projected_parts(epsg_for_gk_zone(zone, False))

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def hash(self) -> str:
        if self._hash is None:
            from geo.dataset import frame_hash

            self._hash = frame_hash(self.frame)
        return self._hash

    def regulated_rows(self, classes: Sequence[str]) -> np.ndarray:
        """Feature rows whose class is in ``classes`` (all rows if the layer has no class column)."""
        if not self.class_fields:
            return np.arange(len(self.frame))
        mask = np.zeros(len(self.frame), dtype=bool)
        for c in self.class_fields:
            mask |= self.frame[c].astype(str).isin(list(classes)).to_numpy()
        return np.flatnonzero(mask)

    def _projected_parts(self, epsg: Any) -> np.ndarray:
        """All parts projected into a GK zone (cached; Sichuan's zones are done at build)."""
        proj = self._proj.get(epsg)
        if proj is None:
            t = transformer(EPSG_CGCS2000, epsg)

            def fn(c: np.ndarray) -> np.ndarray:
                return np.column_stack(t.transform(c[:, 0], c[:, 1]))

            proj = shapely.transform(self.parts, fn) if len(self.parts) else self.parts
            self._proj[epsg] = proj
        return proj

    def _projected(self, epsg: Any, classes: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, shapely.STRtree] | None:
        key = (epsg, classes)
        with self._lock:
            if key not in self._cache:
                sel = np.isin(self.owner, self.regulated_rows(classes))
                if not sel.any():
                    self._cache[key] = None
                else:
                    proj = self._projected_parts(epsg)[sel]
                    self._cache[key] = (proj, self.owner[sel], shapely.STRtree(proj))
            return self._cache[key]

    def nearest(self, geom_gk: BaseGeometry, epsg: Any, classes: Sequence[str]) -> tuple[float, int, BaseGeometry] | None:
        """(distance m, feature row, projected river part) of the nearest regulated river, or None."""
        entry = self._projected(epsg, tuple(classes))
        if entry is None:
            return None
        proj, owner, tree = entry
        idx, dist = tree.query_nearest(geom_gk, return_distance=True, all_matches=False)
        if not len(idx):
            return None
        return float(dist[0]), int(owner[idx[0]]), proj[idx[0]]

    def feature_info(self, row: int) -> dict[str, Any]:
        if row not in self._info_cache:
            self._info_cache[row] = self._feature_info(row)
        return dict(self._info_cache[row])

    def _feature_info(self, row: int) -> dict[str, Any]:
        rec = self.frame.iloc[row]
        return {
            "row": int(row),
            "id": _jsonable(rec[self.id_field]) if self.id_field else int(row),
            "name": _jsonable(rec[self.name_field]) if self.name_field else None,
            "class": _jsonable(rec[self.class_fields[0]]) if self.class_fields else None,
        }


def _is_illustrative(frame: pd.DataFrame) -> bool:
    return "illustrative" in frame.columns and bool(pd.to_numeric(frame["illustrative"], errors="coerce").fillna(0).astype(bool).any())


def _layer_index(key: str, frame: gpd.GeoDataFrame, src: LayerSource) -> PolygonIndex | LineIndex:
    layer = control_layers().get(key)
    return LineIndex(frame, src) if layer is not None and layer.kind == "line" else PolygonIndex(key, frame, src)


class ControlIndex:
    """All control layers and tables a check needs, indexed once.

    Build it with :meth:`from_dataset` (embedded ``data/sichuan.gpkg``,
    optionally with official layers from a folder) or :meth:`from_frames`
    (tests, the benchmark), then pass it to :func:`check_proposal` for as many
    proposals as needed.  The app caches it with ``st.cache_resource``.

    Attributes
    ----------
    layers : dict
        key → :class:`PolygonIndex` / :class:`LineIndex` for the layers present.
    zones : DataFrame
        Zone table (``zone_id``, ``catalogue_code``, ``name``, ``zone_class``, ``level``...).
    indicators : DataFrame or None
        Per-zone indicators for the economic rules.
    warnings : list of str
        Warnings from reading replaced layers.
    """

    def __init__(self, layers: Mapping[str, PolygonIndex | LineIndex | PolygonLayer], zones: pd.DataFrame,
                 indicators: pd.DataFrame | None = None, warnings: list[str] | None = None) -> None:
        self.layers: dict[str, PolygonIndex | LineIndex | PolygonLayer] = dict(layers)
        self.zones = zones.reset_index(drop=True)
        self.indicators = indicators.reset_index(drop=True) if indicators is not None else None
        self.warnings = list(warnings or [])
        self._ind_hash: str | None = None
        self._zone_hash: str | None = None
        self._park_rows: dict[str, np.ndarray] = {}
        self._avg_cache: dict[tuple[str, str, str], tuple[float, int]] = {}
        # Zone lookup (geo.zones.ZoneLookup) and the latest indicator record per zone,
        # as plain dicts (no pandas per check).
        self._zone_lookup = ZoneLookup(self.zones)
        self._ind_by_zone: dict[str, pd.Series] = {}
        if self.indicators is not None and "zone_id" in self.indicators.columns:
            ind = self.indicators.sort_values("year", kind="stable") if "year" in self.indicators.columns else self.indicators
            for _, rec in ind.iterrows():
                self._ind_by_zone[str(rec["zone_id"])] = rec  # latest year wins
        parks = self.layers.get("parks")
        if isinstance(parks, PolygonIndex) and "zone_id" in parks.frame.columns:
            zid = parks.frame["zone_id"].astype(str).to_numpy()
            self._park_zone = zid
        else:
            self._park_zone = None

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_frames(cls, *, zones: pd.DataFrame, eco_redline: gpd.GeoDataFrame | None = None,
                    farmland: gpd.GeoDataFrame | None = None, urban_boundary: gpd.GeoDataFrame | None = None,
                    rivers: gpd.GeoDataFrame | None = None, parks: gpd.GeoDataFrame | None = None,
                    province: gpd.GeoDataFrame | None = None, indicators: pd.DataFrame | None = None,
                    sources: dict[str, str] | None = None, warnings: list[str] | None = None,
                    **control: gpd.GeoDataFrame | None) -> ControlIndex:
        """Index frames passed in by code (lon/lat EPSG:4490 or any CRS with one set).

        Further keyword arguments are frames of other control layers
        registered in :func:`geo.controls.control_layers` (an unknown key is
        refused).  ``sources`` optionally labels where each layer came from
        (``"embedded:sichuan.gpkg"``, ``"file:/path"``); default ``"frame"``.

        Raises
        ------
        TypeError
            A keyword names no registered control layer.
        """
        from geo.crs import to_cgcs2000

        registry = control_layers()
        unknown = sorted(set(control) - set(registry))
        if unknown:
            raise TypeError(f"from_frames: no registered control layer {', '.join(unknown)}")
        frames = {"eco_redline": eco_redline, "farmland": farmland, "urban_boundary": urban_boundary,
                  "rivers": rivers, "parks": parks, "province": province, **control}
        sources = sources or {}
        layers: dict[str, PolygonIndex | LineIndex | PolygonLayer] = {}
        for key, frame in frames.items():
            if frame is None:
                continue
            if frame.crs is None:
                frame = frame.set_crs(EPSG_CGCS2000)
            frame = to_cgcs2000(frame).reset_index(drop=True)
            src = LayerSource(key, sources.get(key, "frame"), _is_illustrative(frame), len(frame))
            layers[key] = _layer_index(key, frame, src)
        return cls(layers, zones, indicators, warnings)

    @classmethod
    def from_dataset(cls, gpkg: str | Path | None = None, layers_dir: str | Path | None = None) -> ControlIndex:
        """Index the embedded GeoPackage, with official layers from ``layers_dir`` replacing theirs.

        See :func:`geo.io.official.layer_stems` for the file names recognised in ``layers_dir``.
        """
        from geo.dataset import gpkg_path, load_layer

        path = Path(gpkg) if gpkg else gpkg_path()
        label = f"embedded:{path.name}"
        frames: dict[str, Any] = {}
        sources: dict[str, str] = {}
        warnings: list[str] = []
        replaced: dict[str, Path] = {}
        if layers_dir is not None:
            replaced, ignored = find_layer_files(layers_dir)
            if ignored:
                warnings.append(bilingual(f"图层文件夹中未识别的文件已忽略：{', '.join(ignored)}",
                                          f"Unrecognised files in the layers folder were ignored: {', '.join(ignored)}"))
        extra = [k for k in replaced if k not in INDEX_LAYERS]  # registered layers the GeoPackage lacks
        for key in (*INDEX_LAYERS, *extra):
            if key in replaced:
                res = read_official_layer(key, replaced[key])
                frames[key] = res.gdf
                sources[key] = f"file:{replaced[key]}"
                warnings.extend(f"{replaced[key].name}: {w}" for w in res.warnings)
            else:
                frames[key] = load_layer(key, path)
                sources[key] = label
        zones = pd.DataFrame(load_layer("zones", path).drop(columns="geometry"))
        indicators = load_layer("indicators", path)
        return cls.from_frames(zones=zones, indicators=indicators, sources=sources, warnings=warnings, **frames)

    def with_layers(self, layers_dir: str | Path) -> ControlIndex:
        """A new index where the layers found in ``layers_dir`` replace these (others are shared)."""
        replaced, ignored = find_layer_files(layers_dir)
        layers = dict(self.layers)
        warnings = list(self.warnings)
        if ignored:
            warnings.append(bilingual(f"图层文件夹中未识别的文件已忽略：{', '.join(ignored)}",
                                      f"Unrecognised files in the layers folder were ignored: {', '.join(ignored)}"))
        for key, p in replaced.items():
            res = read_official_layer(key, p)
            frame = res.gdf.reset_index(drop=True)
            src = LayerSource(key, f"file:{p}", _is_illustrative(frame), len(frame))
            layers[key] = _layer_index(key, frame, src)
            warnings.extend(f"{p.name}: {w}" for w in res.warnings)
        return ControlIndex(layers, self.zones, self.indicators, warnings)

    # -- provenance -----------------------------------------------------------------------------
    @property
    def layer_hashes(self) -> dict[str, str]:
        """Content hash of every layer and table used (computed once per layer)."""
        from geo.dataset import frame_hash

        out = {k: v.hash for k, v in self.layers.items()}
        if self._zone_hash is None:
            self._zone_hash = frame_hash(self.zones)
        out["zones"] = self._zone_hash
        if self.indicators is not None:
            if self._ind_hash is None:
                self._ind_hash = frame_hash(self.indicators)
            out["indicators"] = self._ind_hash
        return out

    def layer_sources(self) -> dict[str, dict[str, Any]]:
        """key → {source, illustrative, features, hash} for every layer.

        A layer held in the database (:class:`LayerSource` with a ``version``)
        also gives ``version``, ``file`` and ``sha256`` (its ``hash`` is
        ``<sha256>@v<version>``), so a check records the layer versions it used.
        """
        hashes = self.layer_hashes
        out: dict[str, dict[str, Any]] = {}
        for k, v in self.layers.items():
            src = v.source
            out[k] = {"source": src.source, "illustrative": src.illustrative, "features": src.n_features,
                      "hash": hashes[k]}
            if src.version is not None:
                out[k].update(version=src.version, file=src.file, sha256=src.sha256)
        return out

    # -- zones ----------------------------------------------------------------------------------
    def resolve_zone(self, ref: str) -> dict[str, Any]:
        """Zone row for a zone id or catalogue code (also exact name/short name), case-insensitive.

        Raises
        ------
        ParkmapError
            ``code="unknown-zone"``, with close matches as a hint.
        """
        return self._zone_lookup.resolve(ref)

    def group_average(self, col: str, within: str, zone_class: str) -> tuple[float, int]:
        """Mean of indicator ``col`` over the zones of ``zone_class`` (``within="zone_class"``) or all zones."""
        key = (col, within, zone_class if within == "zone_class" else "")
        if key not in self._avg_cache:
            ind = self.indicators
            if ind is None or col not in ind.columns:
                self._avg_cache[key] = (float("nan"), 0)
            else:
                if "year" in ind.columns:  # latest record per zone
                    ind = ind.sort_values("year", kind="stable").drop_duplicates("zone_id", keep="last")
                vals = pd.to_numeric(ind[col], errors="coerce")
                if within == "zone_class" and "zone_class" in ind.columns:
                    vals = vals[ind["zone_class"].astype(str) == zone_class]
                vals = vals.dropna()
                self._avg_cache[key] = (float(vals.mean()) if len(vals) else float("nan"), int(len(vals)))
        return self._avg_cache[key]

    def park_rows(self, zone_id: str) -> np.ndarray:
        """Rows of the parks layer that belong to ``zone_id``."""
        if self._park_zone is None:
            return np.empty(0, dtype=np.int64)
        if zone_id not in self._park_rows:
            self._park_rows[zone_id] = np.flatnonzero(self._park_zone == zone_id)
        return self._park_rows[zone_id]


__all__ = ["INDEX_LAYERS", "ControlIndex", "LayerSource", "LineIndex", "PolygonIndex", "PolygonLayer", "outside_of",
           "overlap_of", "subdivide"]
