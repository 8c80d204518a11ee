"""The check engine: run the registered rules on a proposal and build its result.

:func:`check_proposal` validates the proposal (:func:`geo.proposal.prepare_proposal_geometry`),
resolves the zone, builds the :class:`~geo.check.context.CheckContext`,
decides each rule's applicability (type, zone level, ``enabled``) and calls
the rule functions of :mod:`geo.check.registry` in :func:`geo.rules.rule_ids`
order.  :func:`check_many`, :func:`default_rules` and :func:`default_index`
(the embedded dataset's index, built once per process) complete it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np

from geo.area import M2_PER_MU, geodesic_area_m2
from geo.check import economic, spatial  # noqa: F401  (importing them registers their rules)
from geo.check.context import CheckContext, _na
from geo.check.index import ControlIndex
from geo.check.model import TYPE_NAMES, CheckResult, Proposal, RuleResult, _now, _r, overlap_keys, verdict_of
from geo.check.registry import rule_functions
from geo.errors import ParkmapError
from geo.proposal import normalize_parcels, prepare_proposal_geometry, union_parcels
from geo.rules import PROPOSAL_TYPES, RULE_IDS, Rule, RuleSet, load_rules, rule_ids
from geo.validate import repair_lines, repair_summary

#: Rule id → function, in :data:`geo.rules.RULE_IDS` order: the one place where the
#: registry (:mod:`geo.check.registry`) is checked against the rule ids of the rules file.
_RULE_FUNCS = rule_functions(RULE_IDS)

_LEVEL_EN = {"国家级": "national", "省级": "provincial"}


def _applicability(rule: Rule, p: Proposal, zone: dict[str, Any]) -> RuleResult | None:
    if not rule.enabled:
        return _na(rule, "规则文件中已停用（enabled: false）", "disabled in the rules file (enabled: false)")
    if p.type not in rule.types:
        tz = "、".join(TYPE_NAMES[t][0] for t in rule.types)
        te = ", ".join(TYPE_NAMES[t][1] for t in rule.types)
        return _na(rule, f"本规则只适用于{tz}，本方案为{TYPE_NAMES[p.type][0]}",
                   f"this rule applies to {te} only; this proposal is an {TYPE_NAMES[p.type][1]}")
    level = zone.get("level")
    if level in ("国家级", "省级") and level not in rule.levels:
        lz = "、".join(rule.levels)
        le = ", ".join(_LEVEL_EN.get(x, x) for x in rule.levels)
        return _na(rule, f"本规则只适用于{lz}开发区，本开发区为{level}", f"this rule applies to {le} zones only; this zone is {_LEVEL_EN[level]}")
    return None


def check_proposal(proposal: Proposal, index: ControlIndex, rules: RuleSet | None = None, *,
                   only: Iterable[str] | None = None) -> CheckResult:
    """Check one proposal against every rule.

    Parameters
    ----------
    proposal : Proposal
    index : ControlIndex
        Build once, reuse for every proposal.
    rules : RuleSet, optional
        Default: :func:`geo.rules.load_rules` (``data/rules.yaml``).
    only : iterable of str, optional
        Evaluate only these rule ids (others are omitted; used by the benchmark).

    Returns
    -------
    CheckResult

    Raises
    ------
    ParkmapError
        Bad geometry, unknown zone, unknown type or rule id.
    """
    rules = rules or default_rules()
    if proposal.type not in PROPOSAL_TYPES:
        raise ParkmapError(f"方案类型应为 expand（扩区）或 adjust（调区），而不是 {proposal.type!r}",
                           f"The proposal type must be expand or adjust, not {proposal.type!r}", code="usage")
    ids = rule_ids()
    late = [r for r in ids if r not in rules.rules]
    if late:  # a rule registered after this rule set was loaded (e.g. the cached default rules)
        raise ParkmapError(f"规则文件 {rules.source} 中没有规则 {', '.join(late)}",
                           f"The rules file {rules.source} has no entry for {', '.join(late)}",
                           "在规则文件中加入这些规则并重新加载 / add them to the rules file and load it again",
                           code="rules")
    selected = list(ids) if only is None else list(only)
    unknown = [r for r in selected if r not in ids]
    if unknown:
        raise ParkmapError(f"未知规则 {', '.join(unknown)}", f"Unknown rules {', '.join(unknown)}", code="usage")
    zone = index.resolve_zone(proposal.zone_id)
    repairs = [dict(r) for r in proposal.repaired or []]
    if proposal.parcels:  # each parcel valid (or repaired on request) before anything is measured
        proposal = dataclasses.replace(proposal, parcels=normalize_parcels(
            proposal.parcels, None, repair=proposal.repair, repairs=repairs))
    raw_geom = proposal.geometry
    if raw_geom is None and proposal.parcels:
        raw_geom = union_parcels([p["geometry"] for p in proposal.parcels])
    geom, warnings = prepare_proposal_geometry(raw_geom, repair=proposal.repair, repairs=repairs)
    removed = None
    if proposal.removed is not None:
        removed, w2 = prepare_proposal_geometry(proposal.removed, "调出范围 / removed parts", repair=proposal.repair,
                                                repairs=repairs)
        warnings += w2
    repair = repair_summary(repairs)
    warnings += repair_lines(repair)
    ctx = CheckContext(index, rules, proposal, geom, removed, zone)

    # Own-park overlap first: it feeds new_area and adjust_balance.
    new_area = None
    if "parks" in index.layers and index._park_zone is not None and (
            only is None or {"other_parks", "adjust_balance"} & set(selected)):
        ov = ctx.overlap("parks")
        zid = zone["zone_id"]
        own_mask = index._park_zone[ov.rows] == zid if len(ov.rows) else np.zeros(0, dtype=bool)
        own = ov.subset(own_mask, "own_parks")
        ctx.geoms["own_parks"] = own
        ctx.overlaps["own_parks"] = own.total_m2
        new_area = max(ctx.area_m2 - own.total_m2, 0.0)

    rows: list[RuleResult] = []
    funcs = _RULE_FUNCS if len(ids) == len(RULE_IDS) else rule_functions(ids)  # + registered rules
    for rid in ids:
        if rid not in selected:
            continue
        rule = rules[rid]
        na = _applicability(rule, proposal, zone)
        rows.append(na if na is not None else funcs[rid](ctx, rule))
    if removed is not None:
        ctx.geoms["removed"] = removed
    overlaps = {k: float(ctx.overlaps[k]) for k in overlap_keys() if k in ctx.overlaps}
    layers = index.layer_sources()
    zone_out: dict[str, Any] = {k: zone.get(k) for k in ("zone_id", "catalogue_code", "name", "short_name", "zone_class", "level") if k in zone}
    return CheckResult(
        name=proposal.name or "", zone=zone_out, type=proposal.type, chemical=bool(proposal.chemical),
        major_project=bool(proposal.major_project), verdict=verdict_of(rows), area_m2=ctx.area_m2, rules=tuple(rows),
        overlaps=overlaps, new_area_m2=new_area,
        removed_area_m2=geodesic_area_m2(removed) if removed is not None else None,
        layers=layers, rules_version=rules.version, rules_hash=rules.hash, checked_at=_now(),
        warnings=warnings + list(index.warnings), geometry=geom, _geoms=ctx.geoms,
        parcels=_parcel_areas(ctx), repair=repair,
    )


def _parcel_areas(ctx: CheckContext) -> list[dict[str, Any]]:
    """``[{label, area_m2, area_mu}]`` of the proposal's parcels (one parcel: the proposal's area)."""
    out = []
    for p in ctx.parcels:
        a = ctx.area_m2 if len(ctx.parcels) == 1 else geodesic_area_m2(p["geometry"])
        out.append({"label": p["label"], "area_m2": _r(a), "area_mu": _r(a / M2_PER_MU, 4)})
    return out


def check_many(proposals: Iterable[Proposal], index: ControlIndex, rules: RuleSet | None = None) -> list[CheckResult]:
    """Check several proposals with the same index and rules."""
    rules = rules or default_rules()
    return [check_proposal(p, index, rules) for p in proposals]


_DEFAULT_RULES: RuleSet | None = None


def default_rules() -> RuleSet:
    """``data/rules.yaml``, loaded once."""
    global _DEFAULT_RULES
    if _DEFAULT_RULES is None:
        _DEFAULT_RULES = load_rules()
    return _DEFAULT_RULES


_DEFAULT_INDEX: dict[str, ControlIndex] = {}
_DEFAULT_LOCK = threading.Lock()


def default_index() -> ControlIndex:
    """The index of the embedded dataset (``$PARKMAP_DATA`` honoured), built once per process and path.

    The app may instead cache :meth:`ControlIndex.from_dataset` with ``st.cache_resource``.
    """
    from geo.dataset import gpkg_path

    key = str(gpkg_path())
    with _DEFAULT_LOCK:
        if key not in _DEFAULT_INDEX:
            _DEFAULT_INDEX[key] = ControlIndex.from_dataset(key)
        return _DEFAULT_INDEX[key]


__all__ = ["check_many", "check_proposal", "default_index", "default_rules"]
