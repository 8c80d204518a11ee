"""Official control layers in PostGIS: import and list their versions (issue #11).

Import (:func:`import_layer`, ``parkmap layers import``)
    The file is read with the embedded official-layer reader
    (:func:`geo.io.official.read_official_layer`: geometry kind, CRS and
    placement, invalid geometry, the size caps), so a file the embedded
    import refuses is refused here, before anything is written.  Then one
    transaction, under a per-layer advisory lock: a ``layer_versions`` row
    (the next version of the layer; file name, SHA-256 of the file's bytes,
    feature count, source CRS, importer and role) and its features in
    ``layer_features``, cut into the same tiles as the in-memory index
    (:func:`geo.check.layer.subdivide`: parts exploded, at most 256 vertices
    per tile), written with ``COPY``; each tile carries its feature number
    (the feature's position in the layer as read) and the feature's
    attributes as ``jsonb``.  The audit event ``layer_import`` is recorded
    in the workspace before the commit, so a failed event leaves no layer
    and a failed import no event.  Earlier versions stay (the tables are
    append-only): old checks remain reproducible.  A layer that already has
    a version is refused unless ``replace`` is given; the new version
    becomes the current one.

Checks
    :mod:`geo.db.layer_query` (the layer object the rules query).

Only polygon control layers are held in the database (the rivers are a line
layer: their nearest-distance rule still reads them from the GeoPackage or a
``--layers`` folder).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import psycopg
import shapely

from geo.auth import Actor
from geo.check.layer import MAX_TILE_VERTICES, clean_polygons, tiles_of
from geo.controls import control_layers
from geo.db.connect import Connection, check_url, connect, db_error
from geo.errors import ParkmapError
from geo.jsonutil import json_value

#: Key of the advisory lock serialising the imports of one layer (with ``hashtext(layer)``).
IMPORT_LOCK = 0x6C_61_79_72  # "layr"
#: Rows per ``COPY`` chunk sent to the server.
COPY_CHUNK = 20_000

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


def layer_tiles(frame: Any, max_vertices: int = MAX_TILE_VERTICES) -> tuple[np.ndarray, np.ndarray]:
    """(tiles, feature number of each) of a layer: the in-memory index's own tiling."""
    geoms = clean_polygons(frame.geometry.values)
    tiles, owner = tiles_of(geoms, max_vertices)
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


__all__ = ["COPY_CHUNK", "EventLog", "IMPORT_LOCK", "ImportResult", "LayerVersion", "check_layer_key",
           "current_versions", "file_sha256", "get_version", "import_frame", "import_layer", "layer_tiles",
           "list_versions", "polygon_layer_keys"]
