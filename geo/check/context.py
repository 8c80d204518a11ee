"""What a rule function works with: the per-proposal context and the row builders.

:class:`CheckContext` is the per-proposal state the rules share (the
prepared geometry, its GK projection, layer candidates and overlaps, each
computed once, and what the map shows); :func:`_row`, :func:`_na` and
:func:`_missing_layer` build a rule's :class:`~geo.check.model.RuleResult`
from its :class:`~geo.rules.Rule`; ``_fmt_m2``, ``_fmt_m`` and ``_pct`` word
the numbers in messages.  Used by :mod:`geo.check.spatial`,
:mod:`geo.check.economic` and :mod:`geo.check.engine`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.area import geodesic_area_m2
from geo.errors import ParkmapError
from geo.check.model import NOT_APPLICABLE, LayerOverlap, Proposal, RuleResult
from geo.crs import EPSG_CGCS2000, SICHUAN_GK3_ZONES, epsg_for_gk_zone, gk_zone_for_lon, local_gk_crs, project_geometry
from geo.proposal import normalize_parcels, parcel_breakdown
from geo.units import fmt_area, fmt_length, fmt_pct

if TYPE_CHECKING:  # pragma: no cover
    from geo.check.index import ControlIndex, LineIndex, PolygonLayer
    from geo.rules import Rule, RuleSet

def threshold(rule: Rule) -> float:
    """The rule's threshold as a number, for the rules that compare with one.

    Raises
    ------
    ParkmapError
        The rules file gives no number for this rule (``threshold: average``
        or a text), so the rule cannot be judged: the message names the rule
        and says what to write.
    """
    value = rule.threshold_value
    if value is None:
        raise ParkmapError(f"规则文件中规则 {rule.id} 的阈值须为数字（现为 {rule.threshold!r}），请改正规则文件",
                           f"the rules file must give rule {rule.id} a numeric threshold (it has {rule.threshold!r}); "
                           "correct the rules file", code="rules-threshold")
    return value


def _fmt_m2(m2: float) -> tuple[str, str]:
    """(中文, English) area text: ``396,248.2 平方米（594.37 亩）`` / ``396,248.2 m² (594.37 mu)``.

    Formatted from the value as reported (rounded to 0.01 m²), so the message and the row's value agree.
    """
    shown = float(round(m2, 2))
    return fmt_area(shown, "zh"), fmt_area(shown, "en")


def _fmt_m(m: float, lang: str = "zh") -> str:
    return fmt_length(m, lang)


def _pct(x: float) -> str:
    return fmt_pct(x)


#: Layer classes found to provide :class:`geo.check.index.PolygonLayer` (checked once per class).
_POLYGON_TYPES: set[type] = set()


class CheckContext:
    """Per-proposal state shared by the rules (computed lazily, once)."""

    def __init__(self, index: ControlIndex, rules: RuleSet, p: Proposal, geom: BaseGeometry,
                 removed: BaseGeometry | None, zone: dict[str, Any]) -> None:
        self.index, self.rules, self.p, self.geom, self.removed, self.zone = index, rules, p, geom, removed, zone
        shapely.prepare(geom)
        self.area_m2 = geodesic_area_m2(geom)
        self.tol = float(rules.settings["area_tolerance_m2"])
        self.max_hits = int(rules.settings["max_hits_listed"])
        self._gk: tuple[Any, BaseGeometry] | None = None
        self._cand: dict[str, np.ndarray] = {}
        self._ov: dict[str, LayerOverlap] = {}
        self.geoms: dict[str, Any] = {}
        self.overlaps: dict[str, float] = {}
        self.parcels: list[dict[str, Any]] = normalize_parcels(p.parcels, geom)

    def by_parcel(self, part: Any, total: float) -> list[dict[str, Any]]:
        """The area value ``total`` (m² of ``part``, a geometry or a LayerOverlap) per parcel."""
        if isinstance(part, LayerOverlap):
            part = part.geometry() if len(self.parcels) > 1 and total > 0 else None
        return parcel_breakdown(self.parcels, part, total)

    @property
    def gk(self) -> tuple[Any, BaseGeometry]:
        if self._gk is None:
            zone = gk_zone_for_lon(self.geom.centroid.x)
            if zone in SICHUAN_GK3_ZONES or 25 <= zone <= 45:
                crs: Any = epsg_for_gk_zone(zone, False)
            else:  # outside China's zones: equivalent transverse Mercator
                crs = local_gk_crs(self.geom).to_wkt()
            self._gk = (crs, project_geometry(self.geom, EPSG_CGCS2000, crs))
        return self._gk

    def polygons(self, key: str) -> PolygonLayer:
        """The loaded polygon layer ``key``: in memory or in PostGIS (a TypeError for a line layer: a rule asked for the wrong kind)."""
        from geo.check.index import LineIndex, PolygonIndex, PolygonLayer

        layer = self.index.layers[key]
        if isinstance(layer, PolygonIndex):
            return layer
        if type(layer) in _POLYGON_TYPES:  # checked before: without the protocol's slow isinstance
            return cast("PolygonLayer", layer)
        if isinstance(layer, LineIndex) or not isinstance(layer, PolygonLayer):
            raise TypeError(f"layer {key!r} is not a polygon layer")
        _POLYGON_TYPES.add(type(layer))
        return layer

    def lines(self, key: str) -> LineIndex:
        """The loaded line layer ``key`` (a TypeError for a polygon layer)."""
        from geo.check.index import LineIndex

        layer = self.index.layers[key]
        if not isinstance(layer, LineIndex):
            raise TypeError(f"layer {key!r} is not a line layer")
        return layer

    def cand(self, key: str) -> np.ndarray:
        """Candidate features of polygon layer ``key`` for the proposal (its STRtree query, once)."""
        if key not in self._cand:
            self._cand[key] = self.polygons(key).candidates(self.geom)
        return self._cand[key]

    def overlap(self, key: str) -> LayerOverlap:
        """The proposal's overlap with polygon layer ``key`` (computed once)."""
        if key not in self._ov:
            self._ov[key] = self.polygons(key).overlap(self.geom, self.cand(key))
        return self._ov[key]


#: id(rule) → (the rule, its citation texts): the texts are formatted from the source registry once per rule
#: object, not once per row (it was 12 % of a check).  The rule is kept, so its id cannot be reused meanwhile.
_CITATIONS: dict[int, tuple[Any, tuple[str, str, str]]] = {}


def _citation_texts(rule: Rule) -> tuple[str, str, str]:
    """``(citation, citation_ref, citation_quote)`` of ``rule``, formatted once per rule object."""
    hit = _CITATIONS.get(id(rule))
    if hit is None or hit[0] is not rule:
        if len(_CITATIONS) > 4096:  # rule sets loaded again and again (tests): start over
            _CITATIONS.clear()
        hit = (rule, (rule.citation, rule.citation_ref, rule.citation_quote))
        _CITATIONS[id(rule)] = hit
    return hit[1]


def _row(rule: Rule, status: str, value: float | None, zh: str, en: str, *, value_source: str = "",
         threshold: float | None = None, details: dict[str, Any] | None = None) -> RuleResult:
    if threshold is None:
        threshold = rule.threshold_value
    citation, citation_ref, citation_quote = _citation_texts(rule)
    return RuleResult(
        id=rule.id, kind=rule.kind, severity=rule.severity, status=status, value=value, threshold=threshold,
        unit=rule.unit, citation=citation, message_zh=zh, message_en=en, value_source=value_source,
        threshold_source=rule.threshold_source, text_zh=rule.text_zh, text_en=rule.text_en, note=rule.note,
        details=details or {}, name_zh=rule.name_zh, name_en=rule.name_en, citation_ref=citation_ref,
        citation_quote=citation_quote, remarks_zh=rule.remarks("zh"), remarks_en=rule.remarks("en"),
    )


def _na(rule: Rule, zh: str, en: str) -> RuleResult:
    return _row(rule, NOT_APPLICABLE, None, f"不适用：{zh}", f"Not applicable: {en}")


def _missing_layer(rule: Rule, key: str) -> RuleResult:
    return _na(rule, f"未加载图层 {key}", f"layer {key} is not loaded")


__all__ = ["CheckContext", "threshold"]
