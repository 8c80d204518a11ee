"""Expansion checks (扩区 / 调区·调位) against control lines and eligibility rules.

A *proposal* (polygon in lon/lat EPSG:4490, the zone it belongs to, its type
and flags) is tested against the rules of :mod:`geo.rules`; every rule row
says what was measured, the threshold, the unit, where the rule comes from
and where the measured value comes from (``value_source``: illustrative,
derived, or an official file).

Speed
    :class:`ControlIndex` builds one shapely ``STRtree`` per control layer once
    (the app caches it with ``st.cache_resource``).  Multi-part features are
    exploded and features with more than 256 vertices are cut into tiles
    (recursive halving of the bounding box, like PostGIS ``ST_Subdivide``),
    so a query touches a few small polygons.  A check queries each tree with
    the (prepared) proposal, clips only the hits (tiles that lie entirely
    inside the proposal are taken whole) and measures only the pieces; there
    is no ``geopandas.overlay`` or ``clip`` per proposal.

Measures
    Areas are geodesic on the CGCS2000 ellipsoid (:func:`geo.area.geodesic_area_m2`),
    computed on the intersection pieces.  Where pieces of *different*
    features overlap each other (an official layer with duplicates), their
    union is measured instead of the sum.  "Area outside" (城镇开发边界,
    province) is the geodesic area of the proposal minus the hit tiles, so a
    proposal inside gives exactly 0.  Distances (river, contiguity) are
    planar in the proposal's 3-degree Gauss–Krüger zone (EPSG:4542–4545;
    scale error < 0.03 %).

Statuses and verdict
    Each rule row is ``pass``, ``fail``, ``warn``, ``info`` or
    ``not_applicable`` (with the reason in the message).  Verdict: any
    ``fail`` → 不符合 (``fail``); else any ``warn`` → 需关注 (``attention``);
    else 符合 (``pass``).  ``info`` rows never change the verdict.

Official layers (``parkmap check --layers DIR``, :meth:`ControlIndex.from_dataset`)
    Files in DIR replace the illustrative layers for a run, matched by file
    stem (case-insensitive; a suffix after ``_ - .`` or a space is allowed,
    e.g. ``farmland_2024.shp``): ``eco_redline`` / ``生态保护红线`` /
    ``生态红线`` / ``STBHHX``; ``farmland`` / ``永久基本农田`` / ``基本农田`` /
    ``YJJBNT``; ``urban_boundary`` / ``城镇开发边界`` / ``CZKFBJ``; ``rivers`` /
    ``river`` / ``河流`` / ``水系``.  Formats: .gpkg .shp .geojson .json .zip
    .kml .kmz, any CRS :func:`geo.io.read_vector` understands.  Polygon
    layers go through ``read_vector``'s validation; rivers take a
    lines-allowed path (lake polygons allowed).  Rivers are filtered by
    ``river_class``/``class_en`` when the layer has such a column, else every
    line counts.  Each layer's content hash and source is recorded.

Applicability (decided here, configurable in ``data/rules.yaml``)
    * All spatial rules apply to 扩区 and 调区; for 调区 they test the added
      area; ``contiguity`` measures against the parks left after the removed
      parts; ``adjust_balance`` (net area change) applies to 调区 only.
    * ``river_1km``: a chemical proposal within 1 km fails, any other gets a
      warning (the seed bans chemical parks/projects only).
    * ``farmland``: flagged 国家重大建设项目 → warning instead of fail.
    * ``land_dev_rate``, ``revenue_per_mu``, ``tax_per_mu``: 扩区 of 省级
      zones only (the seed's 优先支持扩区 clause is about 省级开发区 and 扩区);
      not applicable to 调区 and to 国家级 zones.
    * ``bottom_third`` applies to both types (seed: 不支持扩区调位);
      ``top10_priority`` is information for both.

Layout
    :mod:`geo.check.model` (proposal, rule rows, result, overrides),
    :mod:`geo.check.index` (the control-line index), :mod:`geo.check.registry`
    (rule id → function), :mod:`geo.check.context` (what a rule works with),
    :mod:`geo.check.spatial` and :mod:`geo.check.economic` (the rules),
    :mod:`geo.check.engine` (:func:`check_proposal`).  Official layers are read
    by :mod:`geo.io.official`; proposal geometries are validated by
    :func:`geo.proposal.prepare_proposal_geometry`.  This package re-exports
    the public names, so ``from geo.check import ...`` works as before.
"""

from __future__ import annotations

from geo.check.engine import check_many, check_proposal, default_index, default_rules
from geo.check.index import INDEX_LAYERS, ControlIndex, LayerSource, LineIndex, PolygonIndex, subdivide
from geo.check.model import (
    CHECK_SCHEMA,
    FAIL,
    INFO,
    NOT_APPLICABLE,
    OVERLAP_KEYS,
    PASS,
    STATUSES,
    TYPE_NAMES,
    VERDICTS,
    WARN,
    CheckResult,
    LayerOverlap,
    Proposal,
    RuleResult,
    apply_override,
    verdict_of,
)
from geo.io.official import LAYER_STEMS, LAYER_SUFFIXES, find_layer_files, read_control_layer, read_official_layer
from geo.proposal import prepare_proposal_geometry
from geo.validate import validate_lines

__all__ = [
    "CHECK_SCHEMA",
    "FAIL",
    "INDEX_LAYERS",
    "INFO",
    "LAYER_STEMS",
    "LAYER_SUFFIXES",
    "NOT_APPLICABLE",
    "OVERLAP_KEYS",
    "PASS",
    "STATUSES",
    "TYPE_NAMES",
    "VERDICTS",
    "WARN",
    "CheckResult",
    "ControlIndex",
    "LayerOverlap",
    "LayerSource",
    "LineIndex",
    "PolygonIndex",
    "Proposal",
    "RuleResult",
    "apply_override",
    "check_many",
    "check_proposal",
    "default_index",
    "default_rules",
    "find_layer_files",
    "prepare_proposal_geometry",
    "read_control_layer",
    "read_official_layer",
    "subdivide",
    "validate_lines",
    "verdict_of",
]
