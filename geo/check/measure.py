"""Measurements of the spatial rules: numbers about a proposal, no verdicts.

Each function here *measures* one quantity of a proposal against the layers
of its :class:`~geo.check.context.CheckContext` — an overlap area, an area
outside a boundary, a distance — and returns it as a small dataclass with
the figures a rule reports.  None of them knows a threshold, a status or a
message: :mod:`geo.check.spatial` *judges* the measurement against the
rule's threshold and words the result, as momepy keeps measurement apart
from interpretation.  (The one exception is :func:`contiguity`, which needs
the distance that counts as "contiguous" to chain the parts together; it
takes it as a plain number.)

A measurement also records its geometry pieces in ``ctx.geoms`` (what the
map and the data export draw) and its area in ``ctx.overlaps``: those are
products of measuring, shared by the rules and the report.

Areas are geodesic on the CGCS2000 ellipsoid, in m²; distances are in metres
in the proposal's 3° Gauss–Krüger zone.  Areas at or below the rules file's
``area_tolerance_m2`` count as 0.

Examples
--------
>>> from geo.check import check_proposal, default_index, Proposal
>>> from geo.check.context import CheckContext
>>> from geo.rules import load_rules
>>> from shapely.geometry import box
>>> index, rules = default_index(), load_rules()
>>> zone = index.resolve_zone("N01")
>>> ctx = CheckContext(index, rules, Proposal(box(104.0, 30.5, 104.01, 30.51), "N01"),
...                    box(104.0, 30.5, 104.01, 30.51), None, zone)
>>> m = overlap(ctx, "eco_redline")
>>> m.m2 >= 0.0 and 0.0 <= m.share <= 1.0
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.area import M2_PER_MU, geodesic_area_m2, polygon_parts
from geo.check.model import LayerOverlap, _r
from geo.crs import EPSG_CGCS2000, project_geometry

if TYPE_CHECKING:  # pragma: no cover
    from geo.check.context import CheckContext


def _share(ctx: CheckContext, m2: float) -> float:
    return min(m2 / ctx.area_m2, 1.0) if ctx.area_m2 else 0.0


def _hits(ctx: CheckContext, key: str, ov: LayerOverlap) -> tuple[list[dict[str, Any]], int]:
    """The largest overlapped features of layer ``key`` (at most ``max_hits_listed``) and their count."""
    layer = ctx.polygons(key)
    feats = ov.per_feature()
    out = []
    infos = layer.features_info([row for row, _ in feats[: ctx.max_hits]])
    for (_row, m2), info in zip(feats[: ctx.max_hits], infos):
        info["overlap_m2"] = _r(m2)
        info["overlap_mu"] = _r(m2 / M2_PER_MU, 4)
        out.append(info)
    return out, len(feats)


@dataclass
class Overlap:
    """How much of the proposal lies on a polygon layer.

    Attributes
    ----------
    m2 : float
        Overlap area (0 at or below the tolerance).
    share : float
        ``m2`` over the proposal's area, at most 1.
    hits : list of dict
        The largest overlapped features, with ``overlap_m2``/``overlap_mu``.
    hits_total : int
        How many features are overlapped.
    parcels : list of dict
        ``m2`` per 地块.
    source : str
        Where the layer comes from (``illustrative (...)``, ``official file (...)``).
    """

    m2: float
    share: float
    hits: list[dict[str, Any]]
    hits_total: int
    parcels: list[dict[str, Any]]
    source: str

    def details(self) -> dict[str, Any]:
        """The figures as a rule row's ``details``."""
        return {"overlap_m2": _r(self.m2), "overlap_mu": _r(self.m2 / M2_PER_MU, 4), "share": _r(self.share, 6),
                "hits_total": self.hits_total, "hits": self.hits, "parcels": self.parcels}


def overlap(ctx: CheckContext, key: str) -> Overlap:
    """The overlap of the proposal with control layer ``key`` (which must be loaded).

    Records the overlap pieces as ``ctx.geoms[key]`` and the area as ``ctx.overlaps[key]``.
    """
    ov = ctx.overlap(key)
    ctx.geoms[key] = ov
    ctx.overlaps[key] = ov.total_m2
    m2 = ov.total_m2 if ov.total_m2 > ctx.tol else 0.0
    hits, n_hits = _hits(ctx, key, ov) if m2 else ([], 0)
    return Overlap(m2, _share(ctx, m2), hits, n_hits, ctx.by_parcel(ov, m2), ctx.index.layers[key].source.value_source)


def other_parks(ctx: CheckContext) -> Overlap:
    """The overlap of the proposal with the parks of *other* zones (``parks`` loaded, with zone ids).

    Records the pieces as ``ctx.geoms["other_parks"]`` and the area as ``ctx.overlaps["other_parks"]``;
    each hit's ``attributes`` carry the other park's ``zone_id``.
    """
    layer = ctx.polygons("parks")
    ov = ctx.overlap("parks")
    park_zone = ctx.index._park_zone
    assert park_zone is not None  # callers check "parks" is loaded with zone ids
    own = park_zone[ov.rows] == ctx.zone["zone_id"] if len(ov.rows) else np.zeros(0, dtype=bool)
    other = ov.subset(~own, "other_parks")
    ctx.geoms["other_parks"] = other
    ctx.overlaps["other_parks"] = other.total_m2
    m2 = other.total_m2 if other.total_m2 > ctx.tol else 0.0
    hits, n_hits = _hits(ctx, "parks", other) if m2 else ([], len(other.per_feature()))
    return Overlap(m2, _share(ctx, m2), hits, n_hits, ctx.by_parcel(other, m2), layer.source.value_source)


@dataclass
class Outside:
    """How much of the proposal lies outside a polygon layer (a boundary).

    Attributes
    ----------
    m2 : float
        Area outside (0 at or below the tolerance).
    share : float
        ``m2`` over the proposal's area, at most 1.
    inside_m2 : float
        The proposal's area minus ``m2``.
    parcels : list of dict
        ``m2`` per 地块.
    source : str
        Where the layer comes from.
    hits, hits_total
        The boundary features the proposal touches, when asked for (``with_hits``).
    """

    m2: float
    share: float
    inside_m2: float
    parcels: list[dict[str, Any]]
    source: str
    hits: list[dict[str, Any]] | None = None
    hits_total: int = 0

    def details(self) -> dict[str, Any]:
        """The figures as a rule row's ``details``."""
        out: dict[str, Any] = {"outside_m2": _r(self.m2), "outside_mu": _r(self.m2 / M2_PER_MU, 4),
                               "share_outside": _r(self.share, 6), "inside_m2": _r(self.inside_m2),
                               "parcels": self.parcels}
        if self.hits is not None:
            out.update(hits_total=self.hits_total, hits=self.hits)
        return out


def outside(ctx: CheckContext, key: str, geom_key: str, *, with_hits: bool = False) -> Outside:
    """The part of the proposal outside layer ``key`` (which must be loaded).

    Records the overlap area as ``ctx.overlaps[key]`` and, when not 0, the
    outside piece as ``ctx.geoms[geom_key]``.
    """
    layer = ctx.polygons(key)
    ov = ctx.overlap(key)
    ctx.overlaps[key] = ov.total_m2
    out_geom = layer.outside(ctx.geom, ctx.cand(key))
    out_m2 = geodesic_area_m2(out_geom) if not out_geom.is_empty else 0.0
    if out_m2 <= ctx.tol:
        out_m2 = 0.0
    else:
        ctx.geoms[geom_key] = out_geom
    result = Outside(out_m2, _share(ctx, out_m2), max(ctx.area_m2 - out_m2, 0.0), ctx.by_parcel(out_geom, out_m2),
                     layer.source.value_source)
    if with_hits:
        result.hits, result.hits_total = _hits(ctx, key, ov)
    return result


@dataclass
class RiverDistance:
    """The distance from the proposal to the nearest regulated river.

    Attributes
    ----------
    distance_m : float
        Shortest distance in the proposal's GK zone (0 when it touches or crosses).
    river : dict
        The river feature (``name``, ``id``, attributes).
    source : str
        Where the rivers layer comes from.
    """

    distance_m: float
    river: dict[str, Any]
    source: str

    @property
    def river_name(self) -> str:
        """The river's name, else its id."""
        return str(self.river.get("name") or self.river.get("id"))


def river_distance(ctx: CheckContext, classes: tuple[str, ...]) -> RiverDistance | None:
    """The nearest river of ``classes`` (``river_class`` values) to the proposal; None when the layer has none.

    Records the shortest connecting line as ``ctx.geoms["river_link"]``.
    """
    layer = ctx.lines("rivers")
    epsg, gk = ctx.gk
    hit = layer.nearest(gk, epsg, classes)
    if hit is None:
        return None
    dist, row, part = hit
    ctx.geoms["river_link"] = project_geometry(shapely.shortest_line(gk, part), epsg, EPSG_CGCS2000)
    return RiverDistance(float(dist), layer.feature_info(row), layer.source.value_source)


def own_parks_gk(ctx: CheckContext) -> tuple[list[BaseGeometry], list[int]]:
    """The zone's parks in the proposal's GK zone, minus the removed parts (调区), and their rows."""
    layer = ctx.polygons("parks")
    rows = ctx.index.park_rows(ctx.zone["zone_id"])
    epsg, _ = ctx.gk
    out, kept = [], []
    for r in rows:
        g = layer.feature_geometry(int(r))
        if ctx.removed is not None:
            g = g.difference(ctx.removed)
        if g is None or g.is_empty:
            continue
        out.append(project_geometry(g, EPSG_CGCS2000, epsg))
        kept.append(int(r))
    return out, kept


@dataclass
class Contiguity:
    """How the proposal's parts lie against the zone's own (remaining) parks.

    Attributes
    ----------
    distance_m : float
        Distance from the nearest part to the nearest own park (0: touching).
    part_distances_m : numpy.ndarray
        Each part's distance to the own parks.
    connected : numpy.ndarray of bool
        Each part within ``max_gap_m`` of an own park, directly or through a chain of parts.
    nearest_park : dict
        The nearest own park (no attributes).
    source : str
        Where the parks layer comes from.
    """

    distance_m: float
    part_distances_m: np.ndarray
    connected: np.ndarray
    nearest_park: dict[str, Any]
    source: str = ""
    parts: int = field(init=False)

    def __post_init__(self) -> None:
        self.parts = len(self.part_distances_m)

    @property
    def separate_parts(self) -> int:
        """Parts not connected to the own parks."""
        return int((~self.connected).sum())

    @property
    def nearest_separate_m(self) -> float:
        """Distance of the nearest separate part to the own parks (inf when none)."""
        far = self.part_distances_m[~self.connected]
        return float(far.min()) if len(far) else float("inf")

    def details(self) -> dict[str, Any]:
        """The figures as a rule row's ``details``."""
        return {"distance_m": _r(self.distance_m, 1), "nearest_park": self.nearest_park, "parts": self.parts,
                "separate_parts": self.separate_parts,
                "part_distances_m": [_r(float(x), 1) for x in self.part_distances_m],
                "touching": bool(self.distance_m == 0.0)}


def contiguity(ctx: CheckContext, max_gap_m: float) -> Contiguity | None:
    """Distances from the proposal's parts to the zone's own parks; None when the zone has no (remaining) park.

    A part within ``max_gap_m`` of an own park is connected; so is a part
    within ``max_gap_m`` of a connected part (chains).  Records the shortest
    line to the nearest park as ``ctx.geoms["park_link"]`` when not touching.
    """
    parks, rows = own_parks_gk(ctx)
    if not parks:
        return None
    epsg, gk = ctx.gk
    existing = shapely.union_all(parks)
    parts = list(polygon_parts(gk))
    d_park = np.array([p.distance(existing) for p in parts])
    connected = d_park <= max_gap_m + 1e-6
    if len(parts) > 1:
        d_pp = np.array([[a.distance(b) for b in parts] for a in parts])
        changed = True
        while changed:
            changed = False
            for i in np.flatnonzero(~connected):
                if np.any(connected & (d_pp[i] <= max_gap_m + 1e-6)):
                    connected[i] = True
                    changed = True
    dist = float(d_park.min())
    nearest = int(np.argmin([gk.distance(p) for p in parks]))
    layer = ctx.polygons("parks")
    if dist > 0:
        ctx.geoms["park_link"] = project_geometry(shapely.shortest_line(gk, parks[nearest]), epsg, EPSG_CGCS2000)
    return Contiguity(dist, d_park, connected, layer.feature_info(rows[nearest], attributes=False),
                      layer.source.value_source)


@dataclass
class Balance:
    """The area balance of a 调区: added, removed from the zone's parks, net.

    Attributes
    ----------
    added_m2 : float
        The proposal's area not already in the zone's parks.
    removed_m2 : float
        Removed area that lies in the zone's parks.
    removed_outside_m2 : float
        Removed area outside the zone's parks (does not count).
    removed_given : bool
        Whether removed parts were given at all.
    source : str
        Where the parks layer comes from ('' when not loaded).
    """

    added_m2: float
    removed_m2: float
    removed_outside_m2: float
    removed_given: bool
    source: str

    @property
    def net_m2(self) -> float:
        """Added minus removed."""
        return self.added_m2 - self.removed_m2

    def details(self) -> dict[str, Any]:
        """The figures as a rule row's ``details``."""
        net = self.net_m2
        return {"added_m2": _r(self.added_m2), "removed_m2": _r(self.removed_m2),
                "removed_outside_parks_m2": _r(self.removed_outside_m2), "net_m2": _r(net),
                "net_mu": _r(net / M2_PER_MU, 4), "removed_given": self.removed_given}


def balance(ctx: CheckContext) -> Balance:
    """The 调区 balance; reads ``ctx.overlaps["own_parks"]`` (set by the engine before the rules run)."""
    added = ctx.area_m2 - ctx.overlaps.get("own_parks", 0.0)
    removed_eff = 0.0
    removed_out = 0.0
    if ctx.removed is not None and "parks" in ctx.index.layers:
        layer = ctx.polygons("parks")
        rows = set(ctx.index.park_rows(ctx.zone["zone_id"]).tolist())
        rem = ctx.removed
        ov = layer.overlap(rem)
        mask = np.array([r in rows for r in ov.rows], dtype=bool)
        own = ov.subset(mask, "removed") if len(ov.rows) else ov
        removed_eff = own.total_m2
        removed_out = max(geodesic_area_m2(rem) - removed_eff, 0.0)
    elif ctx.removed is not None:
        removed_eff = geodesic_area_m2(ctx.removed)
    src = ctx.index.layers["parks"].source.value_source if "parks" in ctx.index.layers else ""
    return Balance(added, removed_eff, removed_out, ctx.removed is not None, src)


__all__ = ["Balance", "Contiguity", "Outside", "Overlap", "RiverDistance", "balance", "contiguity", "other_parks",
           "outside", "overlap", "own_parks_gk", "river_distance"]
