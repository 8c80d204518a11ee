"""The data model of a check: what a planner submits and what a check reports.

:class:`Proposal` (the input), :class:`RuleResult` (one rule row),
:class:`LayerOverlap` (a proposal's measured overlap with one layer, kept by
the result for the map), :class:`CheckResult` (the outcome and its stable
JSON document, :data:`CHECK_SCHEMA`), :func:`verdict_of` and
:func:`apply_override` (a planner's written override of one row).

No index and no rule lives here: this module imports neither
:mod:`geo.check.index` nor the rule modules, so stored results can be read
(:meth:`CheckResult.from_dict`) without building a control-line index.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from geo.area import M2_PER_MU, geodesic_area_m2
from geo.clock import now_iso
from geo.crs import EPSG_CGCS2000
from geo.errors import ParkmapError
from geo.proposal import normalize_parcels, parcels_to_json
from geo.rules import rule_name
from geo.sources import upgrade_citation
from geo.validate import polygonal_only

#: Version of the check document (``CheckResult.to_dict`` and ``parkmap check --json``).
CHECK_SCHEMA = "parkmap.check/1"

PASS, FAIL, WARN, INFO, NOT_APPLICABLE = "pass", "fail", "warn", "info", "not_applicable"
STATUSES: tuple[str, ...] = (PASS, FAIL, WARN, INFO, NOT_APPLICABLE)
#: Verdict → (中文, English).
VERDICTS: dict[str, tuple[str, str]] = {"pass": ("符合", "pass"), "fail": ("不符合", "fail"),
                                        "attention": ("需关注", "attention")}
TYPE_NAMES: dict[str, tuple[str, str]] = {"expand": ("扩区", "expansion"), "adjust": ("调区（调位）", "adjustment")}


def _now() -> str:
    return now_iso()


def _r(x: float | None, nd: int = 2) -> float | None:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return float(round(float(x), nd))


@dataclass
class LayerOverlap:
    """Intersection of a proposal with one polygon layer.

    Attributes
    ----------
    layer : str
    total_m2 : float
        Geodesic area of the overlap (union-safe).
    pieces : ndarray of geometries
        Intersection pieces (one per hit tile), lon/lat.
    rows : ndarray of int
        Feature row (in the layer frame) of each piece.
    piece_m2 : ndarray of float
    """

    layer: str
    total_m2: float = 0.0
    pieces: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    piece_m2: np.ndarray = field(default_factory=lambda: np.empty(0))
    _geometry: BaseGeometry | None = None

    def per_feature(self) -> list[tuple[int, float]]:
        """(feature row, overlap m²) sorted by area, largest first."""
        if not len(self.rows):
            return []
        uniq, inv = np.unique(self.rows, return_inverse=True)
        sums = np.bincount(inv, weights=self.piece_m2)
        order = np.argsort(-sums, kind="stable")
        return [(int(uniq[i]), float(sums[i])) for i in order]

    @classmethod
    def from_pieces(cls, layer: str, pieces: np.ndarray, rows: np.ndarray, piece_m2: np.ndarray) -> LayerOverlap:
        """The overlap made of ``pieces`` (of feature ``rows``, ``piece_m2`` each), its total measured union-safe."""
        return cls(layer, _total_area(pieces, rows, piece_m2), pieces, rows, piece_m2)

    def subset(self, mask: np.ndarray, layer: str) -> LayerOverlap:
        """The pieces selected by ``mask`` as a new overlap (total recomputed)."""
        return LayerOverlap.from_pieces(layer, self.pieces[mask], self.rows[mask], self.piece_m2[mask])

    def geometry(self) -> BaseGeometry:
        """The overlap as one (Multi)Polygon, dissolved (computed on first use)."""
        if self._geometry is None:
            self._geometry = shapely.union_all(self.pieces) if len(self.pieces) else Polygon()
            self._geometry = polygonal_only(self._geometry) or Polygon()
        return self._geometry


def _interiors_overlap(pieces: np.ndarray, rows: np.ndarray) -> bool:
    """True if pieces of different features overlap (share interior area)."""
    if len(pieces) < 2 or np.all(rows == rows[0]):
        return False
    tree = shapely.STRtree(pieces)
    a, b = tree.query(pieces, predicate="intersects")
    m = (a < b) & (rows[a] != rows[b])
    if not m.any():
        return False
    return bool(np.any(shapely.relate_pattern(pieces[a[m]], pieces[b[m]], "2********")))


def _total_area(pieces: np.ndarray, rows: np.ndarray, m2: np.ndarray) -> float:
    if not len(pieces):
        return 0.0
    if _interiors_overlap(pieces, rows):
        return geodesic_area_m2(shapely.union_all(pieces))
    return float(m2.sum())


@dataclass
class Proposal:
    """What the planner submits.

    Attributes
    ----------
    geometry : Polygon or MultiPolygon
        Lon/lat EPSG:4490.  For 调区 this is the area added.
    zone_id : str
        The zone it expands (zone id or catalogue code).
    type : {"expand", "adjust"}
        扩区 (add area) or 调区/调位 (swap area).
    chemical : bool
        化工园区 / 化工项目.
    major_project : bool
        国家重大建设项目 (farmland exemption).
    removed : Polygon or MultiPolygon, optional
        调区: the parts taken out of the zone.
    name : str
    parcels : list, optional
        The 地块 of a multi-parcel scheme: ``{"label", "geometry"}`` dicts (or
        ``(label, geometry)`` pairs), e.g. ``proposal_from_frame(gdf).parcels``
        (:mod:`geo.proposal`).  The check gives one verdict for the whole
        proposal and a per-parcel breakdown.  Default: each polygon part of
        ``geometry`` is a parcel (地块1, 地块2 …).  ``geometry`` may be None when
        parcels are given (their union is checked).
    repair : bool
        Repair an invalid geometry or parcel with ``make_valid`` instead of
        refusing it (``parkmap check --repair``, the app's 自动修复无效地块).
    repaired : list of dict
        Repairs already made when the file was read
        (:attr:`geo.proposal.ProposalParcels.repairs`); the check records them
        with its own in ``CheckResult.repair``.
    """

    geometry: Any
    zone_id: str
    type: str = "expand"
    chemical: bool = False
    major_project: bool = False
    removed: Any = None
    name: str = ""
    parcels: Any = None
    repair: bool = False
    repaired: list[dict[str, Any]] = field(default_factory=list)

    def options(self) -> dict[str, Any]:
        """The planner's choices as a JSON-safe dict (for the audit trail; parcels with their geometries)."""
        d = {"zone_id": self.zone_id, "type": self.type, "chemical": bool(self.chemical),
             "major_project": bool(self.major_project),
             "removed": mapping(self.removed) if isinstance(self.removed, BaseGeometry) else self.removed}
        if self.repair:
            d["repair"] = True
        if self.parcels:
            d["parcels"] = parcels_to_json(normalize_parcels(self.parcels, None, repair=self.repair))
        return d


@dataclass(frozen=True)
class RuleResult:
    """One rule row of a check.

    ``value``/``threshold`` are numbers in ``unit`` (None where not
    measured); ``value_source`` says where the measured value comes from
    (``illustrative (...)``, ``derived``, ``official file (...)``);
    ``details`` holds rule-specific figures (hits, shares, distances; for
    area rules of a multi-parcel proposal ``details["parcels"]``: the value
    per 地块, ``[{label, value}]``).
    ``citation`` is planner text naming the documents
    (``《四川省开发区发展规划（2023—2027年）》第八章第一节“强化规划管控”…``,
    ``；``-joined); ``citation_ref`` keeps the file and line of each
    (``seeds/002_….txt L1674``) and ``citation_quote`` the quoted words.
    ``name_zh``/``name_en`` are the rule's short name (:meth:`name`).
    ``original_status``/``override_reason``/``overridden_at`` are set only
    when a planner overrode the row (:func:`apply_override`).
    """

    id: str
    kind: str
    severity: str
    status: str
    value: float | None
    threshold: float | None
    unit: str
    citation: str
    message_zh: str
    message_en: str
    value_source: str = ""
    threshold_source: str = ""
    text_zh: str = ""
    text_en: str = ""
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    original_status: str | None = None
    override_reason: str | None = None
    overridden_at: str | None = None
    name_zh: str = ""
    name_en: str = ""
    citation_ref: str = ""
    citation_quote: str = ""
    remarks_zh: str = ""
    remarks_en: str = ""

    @property
    def applicable(self) -> bool:
        return self.status != NOT_APPLICABLE

    def name(self, lang: str = "zh") -> str:
        """Short name of the rule in ``lang`` (``生态保护红线`` / ``Ecological protection red line``)."""
        en = str(lang).lower().startswith("en")
        return (self.name_en if en else self.name_zh) or rule_name(self.id, "en" if en else "zh")

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON form (key order fixed)."""
        return {
            "id": self.id,
            "name_zh": self.name("zh"),
            "name_en": self.name("en"),
            "kind": self.kind,
            "status": self.status,
            "value": self.value,
            "threshold": self.threshold,
            "unit": self.unit,
            "citation": self.citation,
            "citation_ref": self.citation_ref,
            "citation_quote": self.citation_quote,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "severity": self.severity,
            "value_source": self.value_source,
            "threshold_source": self.threshold_source,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "note": self.note,
            "details": self.details,
            "original_status": self.original_status,
            "override_reason": self.override_reason,
            "overridden_at": self.overridden_at,
            **({"remarks_zh": self.remarks_zh, "remarks_en": self.remarks_en} if self.remarks_zh or self.remarks_en else {}),
        }

    def remarks(self, lang: str = "zh") -> str:
        """Why the rule is our reading of its source, and what it does not cover, in ``lang`` (from the rules file
        the check ran with; '' for rules without either)."""
        return self.remarks_en if str(lang).lower().startswith("en") else self.remarks_zh

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RuleResult:
        """From :meth:`to_dict` output, also of older documents.

        Documents written before citations named the documents carry the file
        form (``seeds/002_….txt 第八章第一节 … L1674：“…”``) in ``citation``:
        it is turned into planner text, with the file and line moved to
        ``citation_ref``.  Missing names take the built-in defaults.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        if not kw.get("citation_ref") and kw.get("citation"):
            text, ref, quote = upgrade_citation(str(kw["citation"]))
            kw.update(citation=text, citation_ref=ref, citation_quote=kw.get("citation_quote") or quote)
        rid = str(kw.get("id", ""))
        kw["name_zh"] = kw.get("name_zh") or rule_name(rid, "zh")
        kw["name_en"] = kw.get("name_en") or rule_name(rid, "en")
        return cls(**kw)


def verdict_of(rules: Iterable[RuleResult]) -> str:
    """``fail`` if any row fails, else ``attention`` if any warns, else ``pass``."""
    statuses = [r.status for r in rules]
    if FAIL in statuses:
        return "fail"
    if WARN in statuses:
        return "attention"
    return "pass"


def overlap_keys() -> tuple[str, ...]:
    """Keys of ``CheckResult.overlaps`` (m² of the proposal overlapping each layer), in order.

    The polygon control layers of :func:`geo.controls.control_layers`, then
    ``other_parks``, ``own_parks``, ``province``.
    """
    from geo.controls import control_layers

    return (*(k for k, v in control_layers().items() if v.kind == "polygon"), "other_parks", "own_parks", "province")


#: The built-in layers' :func:`overlap_keys`.
OVERLAP_KEYS: tuple[str, ...] = overlap_keys()


@dataclass
class CheckResult:
    """The outcome of checking one proposal.

    ``to_dict()`` gives the stable JSON document (``schema`` =
    :data:`CHECK_SCHEMA`).  ``geometries`` holds, per layer, what the map
    shows: ``eco_redline``, ``farmland``, ``other_parks``, ``own_parks``
    (overlap polygons), ``urban_boundary_outside``, ``outside_province``
    (parts outside), ``removed``, and the lines ``river_link`` / ``park_link``
    (shortest line to the nearest river / own park).  Overlap polygons are
    dissolved on first access.  ``parcels`` lists the 地块 of the proposal
    (``{label, area_m2, area_mu}``); the area rules break their value down by
    parcel in ``details["parcels"]``.  ``repair`` is None, or, when invalid
    parcels were repaired on request (``Proposal.repair``),
    :func:`geo.validate.repair_summary`: ``{method, parcels: [{label, problem_zh,
    problem_en, area_before_m2, area_after_m2…}], area_before_m2,
    area_after_m2, area_before_definition}``.
    """

    name: str
    zone: dict[str, Any]
    type: str
    chemical: bool
    major_project: bool
    verdict: str
    area_m2: float
    rules: tuple[RuleResult, ...]
    overlaps: dict[str, float]
    new_area_m2: float | None = None
    removed_area_m2: float | None = None
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules_version: int | None = None
    rules_hash: str = ""
    checked_at: str = ""
    warnings: list[str] = field(default_factory=list)
    original_verdict: str | None = None
    parcels: list[dict[str, Any]] = field(default_factory=list)
    repair: dict[str, Any] | None = None
    geometry: BaseGeometry | None = field(default=None, repr=False, compare=False)
    _geoms: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    schema = CHECK_SCHEMA

    @property
    def verdict_zh(self) -> str:
        return VERDICTS[self.verdict][0]

    @property
    def area_mu(self) -> float:
        return self.area_m2 / M2_PER_MU

    def rule(self, rule_id: str) -> RuleResult:
        """The row of ``rule_id`` (KeyError if absent)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def layer_hashes(self) -> dict[str, str]:
        return {k: v.get("hash", "") for k, v in self.layers.items()}

    @property
    def geometries(self) -> dict[str, BaseGeometry]:
        """Map layers: key → lon/lat geometry (only non-empty ones)."""
        out: dict[str, BaseGeometry] = {}
        for k, v in self._geoms.items():
            g = v.geometry() if isinstance(v, LayerOverlap) else v
            if g is not None and not g.is_empty:
                out[k] = g
        return out

    def overlap_frame(self) -> gpd.GeoDataFrame:
        """The map geometries as a GeoDataFrame (``layer``, ``area_m2``, geometry; EPSG:4490)."""
        geoms = self.geometries
        rows = [{"layer": k, "area_m2": geodesic_area_m2(g) if g.geom_type.endswith("Polygon") else 0.0} for k, g in geoms.items()]
        return gpd.GeoDataFrame(rows, geometry=list(geoms.values()), crs=EPSG_CGCS2000) if rows else \
            gpd.GeoDataFrame({"layer": [], "area_m2": []}, geometry=[], crs=EPSG_CGCS2000)

    def to_dict(self, *, include_geometries: bool = False, include_timestamp: bool = True) -> dict[str, Any]:
        """Stable JSON document.

        Parameters
        ----------
        include_geometries : bool
            Add ``geometry`` (the proposal) and ``geometries`` (map layers) as GeoJSON.
        include_timestamp : bool
            Include ``checked_at`` (off for byte-stable CLI output).
        """
        vzh, ven = VERDICTS[self.verdict]
        d: dict[str, Any] = {
            "schema": CHECK_SCHEMA,
            "name": self.name,
            "zone": self.zone,
            "type": self.type,
            "chemical": self.chemical,
            "major_project": self.major_project,
            "verdict": self.verdict,
            "verdict_zh": vzh,
            "verdict_en": ven,
            "original_verdict": self.original_verdict,
            "area_m2": _r(self.area_m2),
            "area_mu": _r(self.area_mu, 4),
            "new_area_m2": _r(self.new_area_m2),
            "removed_area_m2": _r(self.removed_area_m2),
            "parcels": [dict(p) for p in self.parcels],
            "repair": dict(self.repair) if self.repair else None,
            "rules": [r.to_dict() for r in self.rules],
            "overlaps": {k: _r(v) for k, v in self.overlaps.items()},
            "layers": self.layers,
            "rules_version": self.rules_version,
            "rules_hash": self.rules_hash,
            "warnings": list(self.warnings),
        }
        if include_timestamp:
            d["checked_at"] = self.checked_at
        if include_geometries:
            d["geometry"] = mapping(self.geometry) if self.geometry is not None else None
            d["geometries"] = {k: mapping(g) for k, g in self.geometries.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CheckResult:
        """Rebuild a result from :meth:`to_dict` output (geometries if they were included)."""
        if d.get("schema") != CHECK_SCHEMA:
            raise ParkmapError(f"不是核查结果文档（schema={d.get('schema')!r}）",
                               f"Not a check document (schema={d.get('schema')!r})", code="schema")
        geoms = {k: shape(g) for k, g in (d.get("geometries") or {}).items()}
        return cls(
            name=d.get("name", ""), zone=d.get("zone") or {}, type=d["type"], chemical=bool(d.get("chemical")),
            major_project=bool(d.get("major_project")), verdict=d["verdict"], area_m2=float(d["area_m2"]),
            rules=tuple(RuleResult.from_dict(r) for r in d["rules"]), overlaps=dict(d.get("overlaps") or {}),
            new_area_m2=d.get("new_area_m2"), removed_area_m2=d.get("removed_area_m2"),
            layers=d.get("layers") or {}, rules_version=d.get("rules_version"), rules_hash=d.get("rules_hash", ""),
            checked_at=d.get("checked_at", ""), warnings=list(d.get("warnings") or []),
            original_verdict=d.get("original_verdict"), parcels=[dict(p) for p in d.get("parcels") or []],
            repair=dict(d["repair"]) if d.get("repair") else None,
            geometry=shape(d["geometry"]) if d.get("geometry") else None, _geoms=geoms,
        )


def apply_override(result: CheckResult, rule_id: str, new_status: str, reason: str) -> CheckResult:
    """Override one rule row with a written reason; returns a new result.

    The row keeps the engine's status in ``original_status`` (the first one,
    if overridden again), with ``override_reason`` and ``overridden_at``;
    the verdict is recomputed and the engine's verdict kept in
    ``original_verdict``.  ``result`` itself is unchanged.

    Raises
    ------
    ParkmapError
        Empty reason, unknown rule id, or an invalid status.
    """
    if not isinstance(reason, str) or not reason.strip():
        raise ParkmapError("人工改判必须写明理由", "An override needs a written reason", code="override")
    if new_status not in (PASS, FAIL, WARN, INFO):
        raise ParkmapError(f"改判状态无效：{new_status}", f"Invalid override status: {new_status}",
                           "可选 pass/fail/warn/info / use pass, fail, warn or info", code="override")
    if rule_id not in [r.id for r in result.rules]:
        raise ParkmapError(f"结果中没有规则 {rule_id}", f"The result has no rule {rule_id}", code="override")
    rows = []
    for r in result.rules:
        if r.id == rule_id:
            r = dataclasses.replace(r, status=new_status,
                                    original_status=r.original_status if r.original_status is not None else r.status,
                                    override_reason=" ".join(reason.split()), overridden_at=_now())
        rows.append(r)
    new = dataclasses.replace(result, rules=tuple(rows), verdict=verdict_of(rows),
                              original_verdict=result.original_verdict or result.verdict)
    new._geoms = result._geoms
    return new


__all__ = [
    "CHECK_SCHEMA",
    "FAIL",
    "INFO",
    "NOT_APPLICABLE",
    "OVERLAP_KEYS",
    "overlap_keys",
    "PASS",
    "STATUSES",
    "TYPE_NAMES",
    "VERDICTS",
    "WARN",
    "CheckResult",
    "LayerOverlap",
    "Proposal",
    "RuleResult",
    "apply_override",
    "verdict_of",
]
