"""The control-line rules: where a proposal lies against the 三区三线 and the parks.

``eco_redline`` and ``farmland`` (overlap with the layer), ``urban_boundary``
and ``in_sichuan`` (area outside the layer), ``river_1km`` (distance to the
regulated Yangtze rivers), ``other_parks`` (overlap with other zones' parks),
``contiguity`` (distance to the zone's own parks) and ``adjust_balance``
(net area change of a 调区).  Each is registered with
:func:`geo.check.registry.rule` and called by :func:`geo.check.check_proposal`
with the proposal's :class:`~geo.check.context.CheckContext`.

Each rule is a measurement from :mod:`geo.check.measure` (numbers only)
followed by a *judge* here: ``judge_*`` compares the measurement with the
rule's threshold, picks the status and words the message.  The judges take
no geometry, so they can be tested with hand-made measurements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from geo.check import measure, registry
from geo.check.context import CheckContext, _fmt_m, _fmt_m2, _missing_layer, _na, _pct, _row, threshold
from geo.check.model import PASS, WARN, RuleResult, _r
from geo.controls import control_layers

if TYPE_CHECKING:  # pragma: no cover
    from geo.rules import Rule


def _message_names(key: str) -> tuple[str, str]:
    """(中文, English) name of control layer ``key`` in rule messages (the registry's ``message``, else its names)."""
    layer = control_layers().get(key)
    if layer is None:
        return key, key
    return layer.message or (layer.zh, layer.en)


def judge_overlap(rule: Rule, m: measure.Overlap, names: tuple[str, str], status_on_overlap: str | None = None, *,
                  note: tuple[str, str] = ("", ""), overlap_details: dict[str, Any] | None = None) -> RuleResult:
    """Judge an overlap: pass at or below the rule's threshold (m²), else ``status_on_overlap`` (default: severity).

    ``names`` is the layer's (中文, English) name in the message; the failing
    message ends with ``note`` and its details gain ``overlap_details``.

    Examples
    --------
    >>> from geo.rules import load_rules
    >>> rule = load_rules().rules["eco_redline"]
    >>> m = measure.Overlap(m2=1000.0, share=0.5, hits=[], hits_total=2, parcels=[], source="test")
    >>> r = judge_overlap(rule, m, ("生态保护红线", "the red line"))
    >>> r.status == rule.severity, r.value, r.message_zh.startswith("与生态保护红线重叠 1,000")
    (True, 1000.0, True)
    """
    nzh, nen = names
    details = m.details()
    if m.m2 <= threshold(rule):
        return _row(rule, PASS, _r(m.m2), f"不占用{nzh}", f"No overlap with {nen}", value_source=m.source, details=details)
    azh, aen = _fmt_m2(m.m2)
    status = rule.severity if status_on_overlap is None else status_on_overlap
    zh = f"与{nzh}重叠 {azh}，占方案面积 {_pct(m.share)}，涉及 {m.hits_total} 个图斑" + note[0]
    en = f"Overlaps {nen} by {aen}, {_pct(m.share)} of the proposal, {m.hits_total} polygon(s)" + note[1]
    details.update(overlap_details or {})
    return _row(rule, status, _r(m.m2), zh, en, value_source=m.source, details=details)


def overlap_rule(ctx: CheckContext, rule: Rule, key: str, status_on_overlap: str | None = None, *,
                 note: tuple[str, str] = ("", ""), overlap_details: dict[str, Any] | None = None) -> RuleResult:
    """The row of an overlap rule: how much of the proposal lies on control layer ``key``.

    Measures with :func:`geo.check.measure.overlap` and judges with
    :func:`judge_overlap`; the layer is named as
    :func:`geo.controls.control_layers` says.  A missing layer gives the
    not-applicable row.  This is the whole body of the rule of a new
    overlap-type control layer::

        @registry.rule("geological_hazard")
        def rule_geological_hazard(ctx, rule):
            return overlap_rule(ctx, rule, "geological_hazard")
    """
    if key not in ctx.index.layers:
        return _missing_layer(rule, key)
    return judge_overlap(rule, measure.overlap(ctx, key), _message_names(key), status_on_overlap, note=note,
                         overlap_details=overlap_details)


@registry.rule("eco_redline")
def rule_eco_redline(ctx: CheckContext, rule: Rule) -> RuleResult:
    return overlap_rule(ctx, rule, "eco_redline")


@registry.rule("farmland")
def rule_farmland(ctx: CheckContext, rule: Rule) -> RuleResult:
    if ctx.p.major_project:
        return overlap_rule(ctx, rule, "farmland", rule.params.get("major_project_severity", WARN),
                            note=("；已标记为《土地管理法》第三十五条所列国家能源、交通、水利、军事设施等重点建设项目，"
                                  "确实难以避让的须经国务院批准，列为需关注（不视为符合）",
                                  "; flagged as a key national energy, transport, water-conservancy or military project "
                                  "(Land Administration Law, Art. 35): if the site cannot avoid the farmland it needs "
                                  "State Council approval; attention, not a pass"),
                            overlap_details={"exempt_major_project": True})
    return overlap_rule(ctx, rule, "farmland")


def judge_outside(rule: Rule, m: measure.Outside, zh_name: str, en_name: str) -> RuleResult:
    """Judge the area outside a boundary: pass at or below the rule's threshold (m²), else the rule's severity.

    Examples
    --------
    >>> from geo.rules import load_rules
    >>> rule = load_rules().rules["urban_boundary"]
    >>> m = measure.Outside(m2=0.0, share=0.0, inside_m2=5000.0, parcels=[], source="test")
    >>> judge_outside(rule, m, "城镇开发边界", "the boundary").message_zh
    '全部位于城镇开发边界内'
    """
    details = m.details()
    if m.m2 <= threshold(rule):
        return _row(rule, PASS, _r(m.m2), f"全部位于{zh_name}内", f"Entirely inside {en_name}", value_source=m.source,
                    details=details)
    azh, aen = _fmt_m2(m.m2)
    return _row(rule, rule.severity, _r(m.m2), f"有 {azh} 位于{zh_name}外，占方案面积 {_pct(m.share)}",
                f"{aen} lies outside {en_name}, {_pct(m.share)} of the proposal", value_source=m.source, details=details)


@registry.rule("urban_boundary")
def rule_urban_boundary(ctx: CheckContext, rule: Rule) -> RuleResult:
    if "urban_boundary" not in ctx.index.layers:
        return _missing_layer(rule, "urban_boundary")
    m = measure.outside(ctx, "urban_boundary", "urban_boundary_outside", with_hits=True)
    return judge_outside(rule, m, *_message_names("urban_boundary"))


@registry.rule("in_sichuan")
def rule_in_sichuan(ctx: CheckContext, rule: Rule) -> RuleResult:
    if "province" not in ctx.index.layers:
        return _missing_layer(rule, "province")
    return judge_outside(rule, measure.outside(ctx, "province", "outside_province"), "四川省界", "Sichuan province")


def judge_river(rule: Rule, m: measure.RiverDistance, chemical: bool) -> RuleResult:
    """Judge the distance to the nearest regulated river.

    Beyond the threshold (m): pass.  Within it: the rule's severity for a
    chemical park/project, else ``non_chemical_severity`` (default warn).

    Examples
    --------
    >>> from geo.rules import load_rules
    >>> rule = load_rules().rules["river_1km"]
    >>> m = measure.RiverDistance(distance_m=400.0, river={"name": "岷江"}, source="test")
    >>> judge_river(rule, m, True).status == rule.severity, judge_river(rule, m, False).status
    (True, 'warn')
    """
    thr = threshold(rule)
    dist = m.distance_m
    within = dist <= thr + 1e-6
    rname = m.river_name
    details = {"distance_m": _r(dist, 1), "nearest_river": m.river, "within": within, "chemical": bool(chemical),
               "measured_to": "river line of the layer (岸线 approximated by the line)"}
    if not within:
        return _row(rule, PASS, _r(dist, 1), f"距最近的长江干支流（{rname}）{_fmt_m(dist)}，在 {_fmt_m(thr)} 以外",
                    f"{_fmt_m(dist, 'en')} from the nearest Yangtze river ({rname}), beyond {_fmt_m(thr, 'en')}",
                    value_source=m.source, details=details)
    if chemical:
        return _row(rule, rule.severity, _r(dist, 1),
                    f"化工园区/项目距{rname} {_fmt_m(dist)}，位于岸线 {_fmt_m(thr)} 范围内，严禁新建、扩建",
                    f"Chemical park/project {_fmt_m(dist, 'en')} from the {rname}, within {_fmt_m(thr, 'en')}: "
                    "new or expanded chemical projects are banned",
                    value_source=m.source, details=details)
    status = rule.params.get("non_chemical_severity", WARN)
    return _row(rule, status, _r(dist, 1),
                f"距{rname} {_fmt_m(dist)}，位于 {_fmt_m(thr)} 范围内；非化工项目，列为需关注（不得引入化工项目）",
                f"{_fmt_m(dist, 'en')} from the {rname}, within {_fmt_m(thr, 'en')}; not chemical, so attention "
                "(no chemical projects may locate here)",
                value_source=m.source, details=details)


@registry.rule("river_1km")
def rule_river_1km(ctx: CheckContext, rule: Rule) -> RuleResult:
    if "rivers" not in ctx.index.layers:
        return _missing_layer(rule, "rivers")
    m = measure.river_distance(ctx, tuple(rule.params.get("river_classes", ())))
    if m is None:
        return _na(rule, "河流图层中没有受管控的长江干支流（river_class）", "the rivers layer holds no regulated Yangtze river (river_class)")
    return judge_river(rule, m, bool(ctx.p.chemical))


def judge_other_parks(rule: Rule, m: measure.Overlap) -> RuleResult:
    """Judge the overlap with other zones' parks: pass at or below the threshold (m²), else the rule's severity."""
    details = m.details()
    if m.m2 <= threshold(rule):
        return _row(rule, PASS, _r(m.m2), "不与其他开发区的园区重叠", "No overlap with another zone's parks",
                    value_source=m.source, details=details)
    zones = sorted({str(h["attributes"].get("zone_id")) for h in m.hits})
    azh, aen = _fmt_m2(m.m2)
    return _row(rule, rule.severity, _r(m.m2), f"与其他开发区（{'、'.join(zones)}）的园区重叠 {azh}",
                f"Overlaps parks of other zones ({', '.join(zones)}) by {aen}", value_source=m.source, details=details)


@registry.rule("other_parks")
def rule_other_parks(ctx: CheckContext, rule: Rule) -> RuleResult:
    if "parks" not in ctx.index.layers or ctx.index._park_zone is None:
        return _missing_layer(rule, "parks")
    return judge_other_parks(rule, measure.other_parks(ctx))


def judge_contiguity(rule: Rule, m: measure.Contiguity) -> RuleResult:
    """Judge contiguity: pass when every part is connected to the own parks, else the rule's severity."""
    thr = threshold(rule)
    dist = m.distance_m
    details = m.details()
    if m.separate_parts == 0:
        how_zh = "与现有园区相接" if dist == 0 else f"距现有园区 {_fmt_m(dist)}（≤ {_fmt_m(thr)}）"
        how_en = "touches an existing park" if dist == 0 else f"{_fmt_m(dist, 'en')} from an existing park (≤ {_fmt_m(thr, 'en')})"
        return _row(rule, PASS, _r(dist, 1), f"集中连片：{how_zh}", f"Contiguous: {how_en}", value_source=m.source,
                    details=details)
    far, n_sep = m.nearest_separate_m, m.separate_parts
    return _row(rule, rule.severity, _r(dist, 1),
                f"{n_sep} 个地块与现有园区不连片（最近 {_fmt_m(far)} > {_fmt_m(thr)}），将成为本开发区的另一个园",
                f"{n_sep} part(s) not contiguous with the existing parks (nearest {_fmt_m(far, 'en')} > {_fmt_m(thr, 'en')}); "
                f"they become another park (园) of the zone", value_source=m.source, details=details)


@registry.rule("contiguity")
def rule_contiguity(ctx: CheckContext, rule: Rule) -> RuleResult:
    if "parks" not in ctx.index.layers or ctx.index._park_zone is None:
        return _missing_layer(rule, "parks")
    m = measure.contiguity(ctx, threshold(rule))
    if m is None:
        return _na(rule, "本开发区没有（剩余的）现有园区可比较", "the zone has no (remaining) existing park to compare with")
    return judge_contiguity(rule, m)


def judge_balance(rule: Rule, m: measure.Balance, tol_m2: float = 0.0) -> RuleResult:
    """Judge a 调区's net area change: pass when it does not exceed the threshold (+ ``tol_m2``), else the severity."""
    net = m.net_m2
    details = m.details()
    if net <= threshold(rule) + tol_m2:
        return _row(rule, PASS, _r(net), f"调入 {_fmt_m2(m.added_m2)[0]}，调出 {_fmt_m2(m.removed_m2)[0]}，面积不增加",
                    f"Added {_fmt_m2(m.added_m2)[1]}, removed {_fmt_m2(m.removed_m2)[1]}: no net increase",
                    value_source=m.source, details=details)
    nzh, nen = _fmt_m2(net)
    extra_zh = "" if m.removed_given else "（未给出调出范围）"
    extra_en = "" if m.removed_given else " (no removed parts given)"
    return _row(rule, rule.severity, _r(net), f"净增 {nzh}{extra_zh}，视同扩区",
                f"Net increase of {nen}{extra_en}: treated like an expansion", value_source=m.source, details=details)


@registry.rule("adjust_balance")
def rule_adjust_balance(ctx: CheckContext, rule: Rule) -> RuleResult:
    return judge_balance(rule, measure.balance(ctx), ctx.tol)


__all__ = [
    "judge_balance",
    "judge_contiguity",
    "judge_other_parks",
    "judge_outside",
    "judge_overlap",
    "judge_river",
    "overlap_rule",
    "rule_adjust_balance",
    "rule_contiguity",
    "rule_eco_redline",
    "rule_farmland",
    "rule_in_sichuan",
    "rule_other_parks",
    "rule_river_1km",
    "rule_urban_boundary",
]
