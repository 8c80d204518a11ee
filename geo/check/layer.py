"""Polygon layers as the rules see them, whatever holds them: the tiles, the protocol and the area code.

:func:`subdivide` cuts a polygon into tiles of at most 256 vertices (bbox
halving, like PostGIS ``ST_Subdivide``); :func:`tiles_of` explodes and tiles
a whole layer.  :class:`PolygonLayer` is what a rule needs of a polygon
layer; :func:`overlap_of` and :func:`outside_of` measure a proposal against
candidate tiles, the one area code of :class:`geo.check.index.PolygonIndex`
(in memory) and :class:`geo.db.layer_query.PgPolygonLayer` (in PostGIS).
:class:`LayerSource` records where a layer comes from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from geo.area import geodesic_area_m2, polygon_parts
from geo.check.model import LayerOverlap
from geo.validate import polygonal_only

#: Attribute fields read as a feature's id and name, in order of preference.
ID_FIELDS = ("eco_id", "farm_id", "ub_id", "park_id", "river_id", "id", "ID", "Id", "BSM", "bsm", "标识码",
              "编号", "OBJECTID", "objectid", "FID", "fid")
NAME_FIELDS = ("name_zh", "name", "名称", "NAME", "Name", "MC", "mc", "HLMC", "河流名称", "地块名称", "RVNM")
MAX_TILE_VERTICES = 256


def first_field(columns: Iterable[str], candidates: Sequence[str]) -> str | None:
    cols = list(columns)
    return next((c for c in candidates if c in cols), None)


def _explode(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parts of every geometry and the index of the geometry each came from."""
    if np.all(shapely.get_type_id(geoms) == 3):  # all plain Polygons: no copy
        return geoms, np.arange(len(geoms))
    parts, owner = shapely.get_parts(geoms, return_index=True)
    return parts, owner


def _halves(g: BaseGeometry) -> list[BaseGeometry]:
    x0, y0, x1, y1 = g.bounds
    if x1 - x0 >= y1 - y0:
        xm = (x0 + x1) / 2
        boxes = [shapely.box(x0, y0, xm, y1), shapely.box(xm, y0, x1, y1)]
    else:
        ym = (y0 + y1) / 2
        boxes = [shapely.box(x0, y0, x1, ym), shapely.box(x0, ym, x1, y1)]
    return [shapely.intersection(g, b) for b in boxes]


def subdivide(geom: BaseGeometry, max_vertices: int = MAX_TILE_VERTICES) -> list[BaseGeometry]:
    """Cut a polygon into tiles of at most ``max_vertices`` vertices (bbox halving)."""
    out: list[BaseGeometry] = []
    stack = [geom]
    while stack:
        g = stack.pop()
        if g.is_empty:
            continue
        x0, y0, x1, y1 = g.bounds
        if shapely.get_num_coordinates(g) <= max_vertices or max(x1 - x0, y1 - y0) < 1e-6:
            out.extend(p for p in polygon_parts(g) if not p.is_empty)
            continue
        for h in _halves(g):
            stack.extend(polygon_parts(h))
    return out


def tiles_of(geoms: np.ndarray, max_vertices: int = MAX_TILE_VERTICES) -> tuple[np.ndarray, np.ndarray]:
    """Tiles of every geometry (parts exploded, big ones subdivided) and the geometry each came from."""
    parts, owner = _explode(geoms)
    counts = shapely.get_num_coordinates(parts)
    big = np.flatnonzero(counts > max_vertices)
    if big.size == 0:
        return parts, owner
    small = np.ones(len(parts), dtype=bool)
    small[big] = False
    tiles = [parts[small]]
    owners = [owner[small]]
    for i in big:
        t = subdivide(parts[i], max_vertices)
        tiles.append(np.array(t, dtype=object))
        owners.append(np.full(len(t), owner[i]))
    return np.concatenate(tiles), np.concatenate(owners)


def clean_polygons(geoms: np.ndarray) -> np.ndarray:
    """2-D, valid polygons (an invalid one made valid, its polygonal part kept)."""
    geoms = shapely.force_2d(np.asarray(geoms, dtype=object))
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        for i in np.flatnonzero(bad):
            geoms[i] = polygonal_only(shapely.make_valid(geoms[i])) or Polygon()
    return geoms


@dataclass
class LayerSource:
    """Where a layer of the index comes from.

    ``source`` is ``"embedded:sichuan.gpkg"``, ``"file:<path>"`` or
    ``"frame"`` (passed in by code); ``illustrative`` is true when the layer
    carries ``illustrative = 1`` rows (the embedded generated layers).
    """

    key: str
    source: str
    illustrative: bool
    n_features: int
    #: Database layers (``source`` ``"postgis:<key>@v<version>"``): the imported version, file name and SHA-256.
    version: int | None = None
    file: str = ""
    sha256: str = ""

    @property
    def value_source(self) -> str:
        """Provenance label for rule rows measured on this layer."""
        where = self.source.split(":", 1)[-1] if ":" in self.source else self.source
        if self.illustrative:
            return f"illustrative ({where})"
        if self.source.startswith("file:"):
            return f"official file ({Path(where).name})"
        if self.source.startswith("postgis:"):
            return f"official database layer {self.key} v{self.version} ({self.file}, sha256 {self.sha256[:12]}…)"
        return where


@runtime_checkable
class PolygonLayer(Protocol):
    """What the rules need of a polygon control layer.

    :class:`PolygonIndex` (the layer in memory) and
    :class:`geo.db.layers.PgPolygonLayer` (a version held in PostGIS, fetched
    per proposal) both provide it.  ``candidates`` returns an opaque array
    that ``overlap``/``outside`` accept back; rows are feature numbers (the
    feature's position in the layer as read).
    """

    key: str
    source: LayerSource

    @property
    def hash(self) -> str: ...

    def __len__(self) -> int: ...

    def candidates(self, geom: BaseGeometry) -> np.ndarray: ...

    def overlap(self, geom: BaseGeometry, idx: np.ndarray | None = None) -> LayerOverlap: ...

    def outside(self, geom: BaseGeometry, idx: np.ndarray | None = None) -> BaseGeometry: ...

    def feature_info(self, row: int, *, attributes: bool = True) -> dict[str, Any]: ...

    def features_info(self, rows: Sequence[int], *, attributes: bool = True) -> list[dict[str, Any]]: ...

    def feature_geometry(self, row: int) -> BaseGeometry: ...


def overlap_of(key: str, geom: BaseGeometry, cand: np.ndarray, rows: np.ndarray) -> LayerOverlap:
    """The overlap of ``geom`` (prepared lon/lat polygon) with candidate tiles ``cand`` of feature ``rows``.

    The one area computation of every polygon layer (in memory or in PostGIS):
    tiles inside the proposal count whole, the others are clipped with GEOS;
    geodesic area per piece on the CGCS2000 ellipsoid; the total union-safe.
    """
    if len(cand) == 0:
        return LayerOverlap(key)
    inside = shapely.contains_properly(geom, cand)
    pieces = cand.copy()
    rest = ~inside
    if rest.any():
        pieces[rest] = shapely.intersection(geom, cand[rest])
    m2 = np.fromiter((geodesic_area_m2(p) for p in pieces), dtype=float, count=len(pieces))
    keep = m2 > 0.0
    return LayerOverlap.from_pieces(key, pieces[keep], np.asarray(rows)[keep], m2[keep])


def outside_of(geom: BaseGeometry, cand: np.ndarray) -> BaseGeometry:
    """The part of ``geom`` not covered by the candidate tiles ``cand`` (empty when inside)."""
    if len(cand) == 0:
        return geom
    if np.any(shapely.covers(cand, geom)):
        return Polygon()
    # Biggest overlaps first so the remainder shrinks quickly.
    order = np.argsort(-shapely.area(shapely.intersection(geom, cand)))
    rest = geom
    for t in cand[order]:
        rest = shapely.difference(rest, t)
        if rest.is_empty:
            return Polygon()
    return polygonal_only(rest) or Polygon()


__all__ = ["ID_FIELDS", "MAX_TILE_VERTICES", "NAME_FIELDS", "LayerSource", "PolygonLayer", "clean_polygons",
           "first_field", "outside_of", "overlap_of", "subdivide", "tiles_of"]
