"""Checks against official layers held in PostGIS: the layer object the rules query (issue #11).

:class:`PgPolygonLayer` is one version of a polygon control layer as the
rules see a layer (:class:`geo.check.layer.PolygonLayer`).  For each
proposal it fetches the tiles whose bounding box meets the proposal's
(``geom && ST_MakeEnvelope(…, 4490)`` on the GiST index, then
``ST_Intersects``), with their features' attributes, in one round trip, and
measures them in this process with the in-memory index's own code
(:func:`geo.check.layer.overlap_of`, :func:`geo.check.layer.outside_of`),
so both backends give the same areas.  The process keeps only the tiles of
the proposals it checks (a bounded cache), never the layer.  ``mode="sql"``
computes the overlap in the database instead (``ST_Intersection`` and
``ST_Area(geography)`` on the CGCS2000 ellipsoid); ``benchmarks/check_scale.py``
measures both, and the default ``clip`` was chosen from it (README, "Scale:
embedded vs PostGIS").

:func:`with_database_layers` gives a :class:`geo.check.ControlIndex` whose
layers are the database's current versions (or the versions asked for:
an old check stays reproducible); :func:`geo.checkflow.control_index` calls
it when ``PARKMAP_DATABASE_URL`` is set.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import psycopg
import shapely
from psycopg_pool import ConnectionPool, PoolTimeout
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from geo.check.index import ControlIndex
from geo.check.layer import ID_FIELDS, NAME_FIELDS, LayerSource, first_field, outside_of, overlap_of
from geo.check.model import LayerOverlap
from geo.db.connect import CONNECT_TIMEOUT, POOL_TIMEOUT, check_url, connect, db_error
from geo.db.layers import LayerVersion, current_versions, get_version, polygon_layer_keys

#: Tiles a database layer keeps between ``candidates`` and ``overlap`` (a few proposals' worth).
TILE_CACHE = 50_000
#: How the overlap is computed: GEOS in this process on fetched tiles, or in SQL.
MODES: tuple[str, ...] = ("clip", "sql")

_POOLS: dict[str, ConnectionPool[psycopg.Connection[Any]]] = {}
_POOLS_LOCK = threading.Lock()


def layer_pool(url: str) -> ConnectionPool[psycopg.Connection[Any]]:
    """One small pool of autocommit connections per URL and process, for the layer queries."""
    url = check_url(url)
    with _POOLS_LOCK:
        pool = _POOLS.get(url)
        if pool is None:
            connect(url).close()  # the precise message (refused, no schema…) instead of a pool timeout
            kwargs: dict[str, Any] = {"autocommit": True, "application_name": "parkmap-layers"}
            if "connect_timeout" not in url:
                kwargs["connect_timeout"] = CONNECT_TIMEOUT
            # No check on every loan (a round trip per query): a lost connection is discarded when it comes
            # back broken, and PgPolygonLayer._query retries once on a fresh one.
            pool = ConnectionPool(url, min_size=1, max_size=4, kwargs=kwargs, timeout=POOL_TIMEOUT,
                                  name="parkmap-layers", open=False)
            try:
                pool.open(wait=True, timeout=POOL_TIMEOUT)
            except (PoolTimeout, psycopg.Error) as exc:
                pool.close()
                raise db_error(exc, url) from exc
            _POOLS[url] = pool
        return pool


def close_layer_pools() -> None:
    """Close the layer pools of this process (tests, before a database is dropped)."""
    with _POOLS_LOCK:
        for pool in _POOLS.values():
            pool.close()
        _POOLS.clear()
        _INDEXES.clear()


class PgPolygonLayer:
    """One version of a polygon control layer held in PostGIS, as the rules see a layer (:class:`PolygonLayer`).

    Parameters
    ----------
    url : str
    info : LayerVersion
        The version to query (an old one stays queryable).
    mode : {"clip", "sql"}
        Overlap measured in this process on the fetched tiles (default), or in SQL.
    """

    def __init__(self, url: str, info: LayerVersion, *, mode: str = "clip") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.url = check_url(url)
        self.info = info
        self.key = info.layer
        self.version = info.version
        self.mode = mode
        self.source = LayerSource(self.key, f"postgis:{self.key}@v{self.version}", False, info.feature_count,
                                  version=self.version, file=info.source_name, sha256=info.source_sha256)
        self._tiles: OrderedDict[int, tuple[BaseGeometry, int]] = OrderedDict()
        self._info: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._fields: tuple[str | None, str | None] | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.info.feature_count

    def __repr__(self) -> str:
        return f"PgPolygonLayer({self.key!r}, v{self.version}, {self.info.feature_count} features)"

    @property
    def hash(self) -> str:
        """``<sha256 of the imported file>@v<version>``: what a check records."""
        return f"{self.info.source_sha256}@v{self.version}"

    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows of one query on a pooled connection; a connection lost meanwhile is retried once on a new one."""
        for attempt in (1, 2):
            try:
                with layer_pool(self.url).connection() as con:
                    return con.execute(sql, params).fetchall()
            except psycopg.OperationalError as exc:
                if attempt == 2:
                    raise db_error(exc, self.url) from exc
            except (PoolTimeout, psycopg.Error) as exc:
                raise db_error(exc, self.url) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    # -- candidates and areas -------------------------------------------------------------------------------------
    _FETCH = ("SELECT id, feature_no, ST_AsBinary(geom), attributes FROM layer_features WHERE geom && "
              "ST_MakeEnvelope(%s, %s, %s, %s, 4490) AND layer = %s AND version = %s "
              "AND ST_Intersects(geom, ST_GeomFromWKB(%s, 4490))")

    def candidates(self, geom: BaseGeometry) -> np.ndarray:
        """Ids of the tiles intersecting ``geom`` (fetched once, with their features' attributes, and kept for
        :meth:`overlap`, :meth:`outside` and :meth:`features_info`: one round trip per proposal and layer).

        In ``mode="sql"`` nothing is fetched here (empty): the overlap query finds its own tiles, and
        :meth:`outside` fetches them when a rule needs it.
        """
        if self.mode == "sql":
            return np.empty(0, dtype=np.int64)
        return self._fetch(geom)

    def _fetch(self, geom: BaseGeometry) -> np.ndarray:
        x0, y0, x1, y1 = geom.bounds
        rows = self._query(self._FETCH, (x0, y0, x1, y1, self.key, self.version, shapely.to_wkb(geom)))
        if not rows:
            return np.empty(0, dtype=np.int64)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        geoms = shapely.from_wkb([bytes(r[2]) for r in rows])
        with self._lock:
            for i, (r, g) in enumerate(zip(rows, geoms)):
                self._tiles[int(ids[i])] = (g, int(r[1]))
            while len(self._tiles) > TILE_CACHE:
                self._tiles.popitem(last=False)
        self._remember({int(r[1]): r[3] for r in rows})
        return ids

    def _remember(self, attrs: Mapping[int, Any]) -> None:
        """Keep the id, name and attributes of features (bounded)."""
        id_field, name_field = self._field_names(next(iter(attrs.values()), None))
        with self._lock:
            for r, a in attrs.items():
                a = dict(a or {})
                self._info[r] = {"row": r, "id": a.get(id_field) if id_field else r,
                                 "name": a.get(name_field) if name_field else None, "attributes": a}
            while len(self._info) > 10_000:
                self._info.popitem(last=False)

    def _fetched(self, geom: BaseGeometry, idx: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if idx is None or self.mode == "sql":
            idx = self._fetch(geom)
        with self._lock:
            got = [self._tiles.get(int(i)) for i in idx]
        if any(g is None for g in got):  # evicted meanwhile (a huge batch): fetch them again
            idx = self._fetch(geom)
            with self._lock:
                got = [self._tiles.get(int(i)) for i in idx]
        pairs = [g for g in got if g is not None]
        tiles = np.empty(len(pairs), dtype=object)
        tiles[:] = [g for g, _ in pairs]
        return tiles, np.array([r for _, r in pairs], dtype=np.int64)

    def overlap(self, geom: BaseGeometry, idx: np.ndarray | None = None) -> LayerOverlap:
        """Intersection of ``geom`` with the layer (same code as the in-memory index, or SQL in ``mode="sql"``)."""
        if self.mode == "sql":
            return self.overlap_sql(geom)
        tiles, rows = self._fetched(geom, idx)
        return overlap_of(self.key, geom, tiles, rows)

    _SQL_OVERLAP = (
        "SELECT feature_no, ST_AsBinary(piece), ST_Area(piece::geography), attributes FROM ("
        "SELECT feature_no, attributes, CASE WHEN ST_ContainsProperly(p.g, geom) THEN geom "
        "ELSE ST_CollectionExtract(ST_Intersection(p.g, geom), 3) END AS piece "
        "FROM layer_features, (SELECT ST_GeomFromWKB(%s, 4490) AS g) p "
        "WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4490) AND layer = %s AND version = %s "
        "AND ST_Intersects(geom, p.g)) q WHERE NOT ST_IsEmpty(piece)")

    def overlap_sql(self, geom: BaseGeometry) -> LayerOverlap:
        """The overlap computed in the database: ``ST_Intersection`` + ``ST_Area(geography)`` (CGCS2000)."""
        x0, y0, x1, y1 = geom.bounds
        rows = self._query(self._SQL_OVERLAP, (shapely.to_wkb(geom), x0, y0, x1, y1, self.key, self.version))
        rows = [r for r in rows if float(r[2]) > 0.0]
        if not rows:
            return LayerOverlap(self.key)
        self._remember({int(r[0]): r[3] for r in rows})
        pieces = np.empty(len(rows), dtype=object)
        pieces[:] = list(shapely.from_wkb([bytes(r[1]) for r in rows]))
        return LayerOverlap.from_pieces(self.key, pieces, np.array([int(r[0]) for r in rows], dtype=np.int64),
                                        np.array([float(r[2]) for r in rows]))

    def outside(self, geom: BaseGeometry, idx: np.ndarray | None = None) -> BaseGeometry:
        """The part of ``geom`` not covered by the layer (empty when inside)."""
        tiles, _rows = self._fetched(geom, idx)
        return outside_of(geom, tiles)

    # -- features ---------------------------------------------------------------------------------------------------
    def _field_names(self, sample: Any = None) -> tuple[str | None, str | None]:
        """The id and name fields (as the in-memory index picks them), from one feature's attributes."""
        if self._fields is None:
            if sample is None:
                found = self._query("SELECT attributes FROM layer_features WHERE layer = %s AND version = %s LIMIT 1",
                                    (self.key, self.version))
                sample = found[0][0] if found else None
            cols = list(sample or {})
            self._fields = (first_field(cols, ID_FIELDS), first_field(cols, NAME_FIELDS))
        return self._fields

    def features_info(self, rows: Sequence[int], *, attributes: bool = True) -> list[dict[str, Any]]:
        """id, name and (optionally) the attributes of features ``rows`` (kept from the candidates' query, else
        one query)."""
        rows = [int(r) for r in rows]
        with self._lock:
            found = {r: self._info[r] for r in rows if r in self._info}
        missing = [r for r in dict.fromkeys(rows) if r not in found]
        if missing:
            recs = self._query("SELECT DISTINCT ON (feature_no) feature_no, attributes FROM layer_features "
                               "WHERE layer = %s AND version = %s AND feature_no = ANY(%s) ORDER BY feature_no",
                               (self.key, self.version, missing))
            if recs:
                self._remember({int(r): a for r, a in recs})
            with self._lock:
                found.update({r: self._info[r] for r in missing if r in self._info})
        out = []
        for r in rows:
            info = found.get(r) or {"row": r, "id": r, "name": None, "attributes": {}}
            d = {"row": info["row"], "id": info["id"], "name": info["name"]}
            if attributes:
                d["attributes"] = dict(info["attributes"])
            out.append(d)
        return out

    def feature_info(self, row: int, *, attributes: bool = True) -> dict[str, Any]:
        return self.features_info([row], attributes=attributes)[0]

    def feature_geometry(self, row: int) -> BaseGeometry:
        """The whole feature ``row``: its tiles dissolved."""
        found = self._query("SELECT ST_AsBinary(ST_Union(geom)) FROM layer_features WHERE layer = %s AND "
                            "version = %s AND feature_no = %s", (self.key, self.version, int(row)))
        if not found or found[0][0] is None:
            return Polygon()
        geom: BaseGeometry = shapely.from_wkb(bytes(found[0][0]))
        return geom


_INDEXES: dict[tuple[int, str, tuple[tuple[str, int], ...], str], ControlIndex] = {}


def database_layers(url: str, *, versions: Mapping[str, int] | None = None, mode: str = "clip",
                    ) -> dict[str, PgPolygonLayer]:
    """The database's polygon control layers: the current version of each, or the ``versions`` given."""
    con = connect(url)
    try:
        with con.transaction():
            wanted = dict(current_versions(con))
            wanted.update(versions or {})
            infos = [get_version(con, k, v) for k, v in wanted.items() if k in polygon_layer_keys()]
    except psycopg.Error as exc:
        raise db_error(exc, url) from exc
    finally:
        con.close()
    return {i.layer: PgPolygonLayer(url, i, mode=mode) for i in infos if i is not None}


def with_database_layers(index: ControlIndex, url: str | None, *, versions: Mapping[str, int] | None = None,
                         mode: str = "clip") -> ControlIndex:
    """``index`` with its layers replaced by the database's (current versions, or ``versions``); cached per set.

    Without a URL, or when the database holds no layer, ``index`` itself.
    """
    if not url:
        return index
    layers = database_layers(url, versions=versions, mode=mode)
    if not layers:
        return index
    key = (id(index), url, tuple(sorted((k, v.version) for k, v in layers.items())), mode)
    with _POOLS_LOCK:
        cached = _INDEXES.get(key)
    if cached is not None:
        return cached
    merged: dict[str, Any] = dict(index.layers)
    merged.update(layers)
    out = ControlIndex(merged, index.zones, index.indicators, index.warnings)
    out._ind_hash, out._zone_hash = index._ind_hash, index._zone_hash
    with _POOLS_LOCK:
        if len(_INDEXES) > 16:
            _INDEXES.clear()
        _INDEXES[key] = out
    return out


__all__ = ["MODES", "TILE_CACHE", "PgPolygonLayer", "close_layer_pools", "database_layers", "layer_pool",
           "with_database_layers"]
