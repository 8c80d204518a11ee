"""Official control layers in PostGIS: import, list, and the layer object the checks query (issue #11).

Import (:func:`import_layer`, ``parkmap layers import``)
    The file is read with the embedded official-layer reader
    (:func:`geo.io.official.read_official_layer`: geometry kind, CRS and
    placement, invalid geometry, the size caps), so a file the embedded
    import refuses is refused here, before anything is written.  Then one
    transaction, under a per-layer advisory lock: a ``layer_versions`` row
    (the next version of the layer; file name, SHA-256 of the file's bytes,
    feature count, source CRS, importer and role) and its features in
    ``layer_features``, cut into the same tiles as the in-memory index
    (:func:`geo.check.index.subdivide`: parts exploded, at most 256 vertices
    per tile), written with ``COPY``; each tile carries its feature number
    (the feature's position in the layer as read) and the feature's
    attributes as ``jsonb``.  The audit event ``layer_import`` is recorded
    in the workspace before the commit, so a failed event leaves no layer
    and a failed import no event.  Earlier versions stay (the tables are
    append-only): old checks remain reproducible.  A layer that already has
    a version is refused unless ``replace`` is given; the new version
    becomes the current one.

Checks (:class:`PgPolygonLayer`, :func:`with_database_layers`)
    A check against a database layer fetches the tiles whose bounding box
    meets the proposal's (``geom && ST_MakeEnvelope(…, 4490)`` on the GiST
    index, then ``ST_Intersects``) and measures them in the process with the
    in-memory index's own code (:func:`geo.check.index.overlap_of`,
    :func:`geo.check.index.outside_of`), so both give the same areas.  The
    process holds only the tiles of the proposals it checks (a bounded
    cache), never the layer.  ``mode="sql"`` computes the overlap in the
    database instead (``ST_Intersection`` and ``ST_Area(geography)`` on the
    CGCS2000 ellipsoid); ``benchmarks/check_scale.py`` measures both.

Only polygon control layers are held in the database (the rivers are a line
layer: their nearest-distance rule still reads them from the GeoPackage or a
``--layers`` folder).
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import psycopg
import shapely
from psycopg_pool import ConnectionPool, PoolTimeout
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from geo.auth import Actor
from geo.check.index import (
    _ID_FIELDS, _MAX_TILE_VERTICES, _NAME_FIELDS, ControlIndex, LayerSource, PolygonLayer, _clean_polygons,
    _first_field, _tiles, outside_of, overlap_of)
from geo.check.model import LayerOverlap
from geo.controls import control_layers
from geo.db.connect import CONNECT_TIMEOUT, POOL_TIMEOUT, Connection, check_url, connect, db_error
from geo.errors import ParkmapError
from geo.jsonutil import json_value

#: Key of the advisory lock serialising the imports of one layer (with ``hashtext(layer)``).
IMPORT_LOCK = 0x6C_61_79_72  # "layr"
#: Rows per ``COPY`` chunk sent to the server.
COPY_CHUNK = 20_000
#: Tiles a database layer keeps between ``candidates`` and ``overlap`` (a few proposals' worth).
TILE_CACHE = 50_000
#: How the overlap is computed: GEOS in this process on fetched tiles, or in SQL.
MODES: tuple[str, ...] = ("clip", "sql")

_REPLACE_HINT = "如需导入新版本，请加 --replace / pass --replace to add a new version"


class EventLog(Protocol):
    """Where the import's audit event goes (a :class:`geo.workspace.WorkspaceRecords`)."""

    def record(self, action: str, *, actor: Actor | None = None, proposal_id: int | None = None,
               check_id: int | None = None, detail: dict[str, Any] | None = None,
               permission: str | None = None) -> int: ...


@dataclass(frozen=True)
class LayerVersion:
    """One imported version of an official layer (a ``layer_versions`` row)."""

    layer: str
    version: int
    source_name: str
    source_sha256: str
    feature_count: int
    crs: str
    imported_by: str
    imported_role: str
    imported_at: str
    current: bool = False
    tiles: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "version": self.version, "source_name": self.source_name,
                "source_sha256": self.source_sha256, "feature_count": self.feature_count, "crs": self.crs,
                "imported_by": self.imported_by, "imported_role": self.imported_role,
                "imported_at": self.imported_at, "current": self.current, "tiles": self.tiles}


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_layer` wrote."""

    version: LayerVersion
    tiles: int
    event_id: int | None
    warnings: tuple[str, ...]
    seconds_read: float
    seconds_write: float


def file_sha256(path: str | Path) -> str:
    """SHA-256 of the file's bytes (a shapefile: of the ``.shp``; a folder is not a layer file)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def polygon_layer_keys() -> tuple[str, ...]:
    """Control layers that may be held in the database (the polygon ones of :func:`geo.controls.control_layers`)."""
    return tuple(k for k, v in control_layers().items() if v.kind == "polygon")


def check_layer_key(key: str) -> str:
    """``key`` when it names a polygon control layer; else a bilingual ``layers`` error listing them."""
    keys = polygon_layer_keys()
    if key in keys:
        return key
    layer = control_layers().get(key)
    if layer is not None:
        raise ParkmapError(f"图层 {key}（{layer.zh}）是线图层，暂不能导入数据库",
                           f"layer {key} ({layer.en}) is a line layer and cannot be imported into the database yet",
                           f"可导入 / importable: {', '.join(keys)}；河流请用 --layers 文件夹 / give rivers with a --layers "
                           "folder", code="layers")
    raise ParkmapError(f"未知的管控图层 {key}", f"unknown control layer {key}", f"可导入 / importable: {', '.join(keys)}",
                       code="layers")


def _ts(value: Any) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else str(value)


def _version_row(row: Sequence[Any], current: int | None = None, tiles: int | None = None) -> LayerVersion:
    layer, version, name, sha, count, crs, by, role, at = row[:9]
    return LayerVersion(str(layer), int(version), str(name), str(sha), int(count), str(crs), str(by), str(role), _ts(at),
                        current=current == int(version), tiles=tiles)


_VERSION_COLS = ("layer, version, source_name, source_sha256, feature_count, crs, imported_by, imported_role, "
                 "imported_at")


def current_versions(con: Connection) -> dict[str, int]:
    """layer → its newest (current) version."""
    rows = con.execute("SELECT layer, max(version) FROM layer_versions GROUP BY layer").fetchall()
    return {str(k): int(v) for k, v in rows}


def list_versions(url: str | None, *, tiles: bool = False) -> list[LayerVersion]:
    """Every imported version of every layer, layer by layer, oldest first (the newest is ``current``)."""
    con = connect(url)
    try:
        with con.transaction():
            rows = con.execute(f"SELECT {_VERSION_COLS} FROM layer_versions ORDER BY layer, version").fetchall()
            cur = current_versions(con)
            counts: dict[tuple[str, int], int] = {}
            if tiles:
                counts = {(str(k), int(v)): int(n) for k, v, n in con.execute(
                    "SELECT layer, version, count(*) FROM layer_features GROUP BY layer, version").fetchall()}
    except psycopg.Error as exc:
        raise db_error(exc, str(url)) from exc
    finally:
        con.close()
    return [_version_row(r, cur.get(str(r[0])), counts.get((str(r[0]), int(r[1])))) for r in rows]


def get_version(con: Connection, key: str, version: int | None = None) -> LayerVersion | None:
    """Version ``version`` of layer ``key`` (default: the current one), or None."""
    if version is None:
        row = con.execute(f"SELECT {_VERSION_COLS} FROM layer_versions WHERE layer = %s ORDER BY version DESC LIMIT 1",
                          (key,)).fetchone()
    else:
        row = con.execute(f"SELECT {_VERSION_COLS} FROM layer_versions WHERE layer = %s AND version = %s",
                          (key, int(version))).fetchone()
    return _version_row(row, int(row[1])) if row else None


def _exists_error(key: str, found: int) -> ParkmapError:
    return ParkmapError(f"数据库中已有图层 {key}（当前第 {found} 版），未导入", f"the database already holds layer {key} "
                        f"(current version {found}); nothing was imported", _REPLACE_HINT, code="layer-exists")


def _copy_escape(text: str) -> str:
    """Text for PostgreSQL's COPY text format (JSON never holds raw tabs or newlines; backslashes double)."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _attribute_texts(frame: Any) -> list[str]:
    """Each feature's attributes as JSON text (values made JSON-safe as the in-memory index does)."""
    cols = [c for c in frame.columns if c != frame.geometry.name]
    arrays = [frame[c].to_numpy(dtype=object) for c in cols]
    names = [str(c) for c in cols]
    out = []
    for i in range(len(frame)):
        rec = {n: json_value(a[i]) for n, a in zip(names, arrays)}
        out.append(_copy_escape(json.dumps(rec, ensure_ascii=False, allow_nan=False, default=str)))
    return out


def layer_tiles(frame: Any, max_vertices: int = _MAX_TILE_VERTICES) -> tuple[np.ndarray, np.ndarray]:
    """(tiles, feature number of each) of a layer: the in-memory index's own tiling."""
    geoms = _clean_polygons(frame.geometry.values)
    tiles, owner = _tiles(geoms, max_vertices)
    keep = ~shapely.is_empty(tiles)
    return tiles[keep], owner[keep]


def _copy_features(con: Connection, key: str, version: int, frame: Any, chunk: int = 200_000) -> int:
    """COPY the tiles of ``frame`` (``chunk`` features at a time: the text sent is bounded); the number of tiles."""
    n_tiles = 0
    prefix = f"{key}\t{version}\t"
    with con.cursor() as cur, cur.copy(
            "COPY layer_features (layer, version, feature_no, geom, attributes) FROM STDIN") as copy:
        for first in range(0, len(frame), chunk):
            part = frame.iloc[first: first + chunk]
            tiles, owner = layer_tiles(part)
            attrs = _attribute_texts(part)
            hexes = shapely.to_wkb(shapely.set_srid(tiles, 4490), hex=True, include_srid=True)
            for start in range(0, len(tiles), COPY_CHUNK):
                buf = io.StringIO()
                for i in range(start, min(start + COPY_CHUNK, len(tiles))):
                    o = int(owner[i])
                    buf.write(f"{prefix}{first + o}\t{hexes[i]}\t{attrs[o]}\n")
                copy.write(buf.getvalue().encode("utf-8"))
            n_tiles += len(tiles)
    return n_tiles


def _write_version(con: Connection, key: str, frame: Any, *, source_name: str, sha256: str, crs: str, actor: Actor,
                   replace: bool, events: EventLog | None) -> tuple[LayerVersion, int, int | None]:
    """The import's transaction (lock, version row, tiles, event); committed by the caller's block."""
    con.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (IMPORT_LOCK, key))
    found = current_versions(con).get(key)  # again, under the lock: two imports at once queue
    if found is not None and not replace:
        raise _exists_error(key, found)
    version = (found or 0) + 1
    con.execute("INSERT INTO layer_versions (layer, version, source_name, source_sha256, feature_count, crs, "
                "imported_by, imported_role) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (key, version, source_name, sha256, len(frame), crs, actor.name, actor.role))
    n_tiles = _copy_features(con, key, version, frame)
    lv = get_version(con, key, version)
    assert lv is not None
    event_id = None
    if events is not None:
        event_id = events.record("layer_import", actor=actor, permission="import_layers", detail={
            "layer": key, "version": version, "source_name": source_name, "source_sha256": sha256,
            "feature_count": len(frame), "tiles": n_tiles, "crs": crs, "replace": bool(found)})
    return lv, n_tiles, event_id


def import_frame(url: str | None, key: str, frame: Any, *, source_name: str, sha256: str, crs: str, actor: Actor,
                 replace: bool = False, events: EventLog | None = None) -> ImportResult:
    """Add ``frame`` (already read and checked, EPSG:4490) as the next version of ``key``: :func:`import_layer`
    without the file.  For code that holds a checked layer (the scale benchmark at 10^7 features)."""
    actor.require("import_layers")
    key = check_layer_key(key)
    url = check_url(url)
    con = connect(url)
    try:
        import time

        t = time.perf_counter()
        with con.transaction():
            lv, n_tiles, event_id = _write_version(con, key, frame.reset_index(drop=True), source_name=source_name,
                                                   sha256=sha256, crs=crs, actor=actor, replace=replace,
                                                   events=events)
        with _quiet(con):
            con.execute("ANALYZE layer_features")
        con.commit()
    except psycopg.Error as exc:
        raise db_error(exc, url) from exc
    finally:
        con.close()
    return ImportResult(lv, n_tiles, event_id, (), 0.0, time.perf_counter() - t)


def import_layer(url: str | None, key: str, path: str | Path, *, actor: Actor, replace: bool = False,
                 events: EventLog | None = None) -> ImportResult:
    """Import the official layer file ``path`` as the next version of layer ``key`` (module notes).

    Parameters
    ----------
    url : str
        ``postgresql://…`` (the app's login user with the role ``parkmap_app`` is enough).
    key : str
        A polygon control layer (``farmland``, ``eco_redline``, ``urban_boundary``…).
    path : path
        The layer file (GeoPackage, shapefile, GeoJSON, KML, zip).
    actor : geo.auth.Actor
        Who imports: needs the ``import_layers`` permission (admin).
    replace : bool
        Add a new version when the layer already has one (else refused).
    events : workspace, optional
        Where the ``layer_import`` audit event is recorded (``record``).

    Raises
    ------
    ParkmapError
        ``forbidden`` (not an admin), ``layers`` (unknown or line layer),
        ``layer-exists`` (without ``replace``), the reader's codes (wrong
        geometry, CRS or place, unreadable, too big), ``db-*``.  Nothing is
        written in any of these cases.
    """
    import time

    from geo.io.official import read_official_layer

    actor.require("import_layers")
    key = check_layer_key(key)
    url = check_url(url)
    p = Path(path)
    con = connect(url)
    try:
        found = current_versions(con).get(key)
        con.rollback()
        if found is not None and not replace:
            raise _exists_error(key, found)
        t0 = time.perf_counter()
        if not p.is_file():
            raise ParkmapError(f"图层文件不存在：{p}", f"layer file not found: {p}", code="layers")
        sha = file_sha256(p)
        res = read_official_layer(key, p)  # every refusal of the embedded import, before anything is written
        frame = res.gdf.reset_index(drop=True)
        crs = f"{res.source_crs.label} ({res.source_crs.method})"
        t1 = time.perf_counter()
        with con.transaction():
            lv, n_tiles, event_id = _write_version(con, key, frame, source_name=p.name, sha256=sha, crs=crs,
                                                   actor=actor, replace=replace, events=events)
        with _quiet(con):
            con.execute("ANALYZE layer_features")  # the owner's right; for the app's role a skipped warning
        con.commit()
        t2 = time.perf_counter()
    except psycopg.Error as exc:
        raise db_error(exc, url) from exc
    finally:
        con.close()
    return ImportResult(lv, n_tiles, event_id, tuple(res.warnings), t1 - t0, t2 - t1)


@contextmanager
def _quiet(con: Connection) -> Iterator[None]:
    try:
        with con.transaction():
            yield
    except psycopg.Error:
        pass


# -- checks against database layers ----------------------------------------------------------------------------------
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
            self._fields = (_first_field(cols, _ID_FIELDS), _first_field(cols, _NAME_FIELDS))
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


def is_database_layer(layer: PolygonLayer) -> bool:
    return isinstance(layer, PgPolygonLayer)


__all__ = ["COPY_CHUNK", "EventLog", "IMPORT_LOCK", "ImportResult", "LayerVersion", "MODES", "PgPolygonLayer",
           "check_layer_key", "close_layer_pools", "current_versions", "database_layers", "file_sha256",
           "get_version", "import_frame", "import_layer", "layer_pool", "layer_tiles", "list_versions", "polygon_layer_keys",
           "with_database_layers"]
