"""The economic rules: the zone's indicators and ranking.

``land_dev_rate`` (土地开发率), ``revenue_per_mu`` and ``tax_per_mu`` (亩均
营业收入 / 税收 against the provincial average), ``bottom_third`` (评价排名后
1/3) and ``top10_priority`` (连续前 10 %, information).  Each is registered
with :func:`geo.check.registry.rule`: it measures with
:mod:`geo.check.indicators` (the zone's latest indicator record) and judges
here, against the rules file's threshold.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from geo.check import indicators, registry
from geo.check.context import CheckContext, _pct, _row, threshold
from geo.check.model import INFO, PASS, WARN, RuleResult, _r
from geo.jsonutil import json_value
from geo.units import fmt_value

if TYPE_CHECKING:  # pragma: no cover
    from geo.rules import Rule


def _no_data(rule: Rule, what_zh: str, what_en: str) -> RuleResult:
    return _row(rule, WARN, None, f"缺少{what_zh}数据，无法判断", f"No {what_en} data; cannot be assessed", value_source="missing")


def judge_land_dev_rate(rule: Rule, v: float, src: str, year: object = None) -> RuleResult:
    """Judge a 土地开发率 (0–1): pass at or above the threshold, else the rule's severity.

    Examples
    --------
    >>> from geo.rules import load_rules
    >>> rule = load_rules().rules["land_dev_rate"]
    >>> judge_land_dev_rate(rule, 1.0, "test").status, judge_land_dev_rate(rule, 0.0, "test").status == rule.severity
    ('pass', True)
    """
    thr = threshold(rule)
    details = {"year": year, "threshold_note": "configurable default — not in sources"}
    if v >= thr - 1e-12:
        return _row(rule, PASS, _r(v, 4), f"土地开发率 {_pct(v)} ≥ {_pct(thr)}（可配置默认值）",
                    f"Land development rate {_pct(v)} ≥ {_pct(thr)} (configurable default)", value_source=src, details=details)
    return _row(rule, rule.severity, _r(v, 4), f"土地开发率 {_pct(v)} < {_pct(thr)}（可配置默认值），原核准面积尚未基本开发完毕",
                f"Land development rate {_pct(v)} < {_pct(thr)} (configurable default): the approved area is not yet basically developed",
                value_source=src, details=details)


@registry.rule("land_dev_rate")
def rule_land_dev_rate(ctx: CheckContext, rule: Rule) -> RuleResult:
    rec = indicators.record(ctx)
    v = indicators.value(rec, "land_dev_rate")
    if v is None:
        return _no_data(rule, "土地开发率", "land development rate")
    return judge_land_dev_rate(rule, v, indicators.source(rec, "land_dev_rate_source"), indicators.year(rec))


def judge_per_mu(rule: Rule, m: indicators.PerMu, zh: str, en: str) -> RuleResult:
    """Judge a 亩均 indicator: pass when strictly above its reference (the average or the set value)."""
    unit = rule.unit
    v, ref = m.value, m.reference
    if v > ref:
        return _row(rule, PASS, _r(v, 2), f"{zh} {fmt_value(v, unit)} 高于{m.group_zh} {fmt_value(ref, unit)}",
                    f"{en} {fmt_value(v, unit, 'en')} above the {m.group_en} {fmt_value(ref, unit, 'en')}",
                    value_source=m.source, threshold=_r(ref, 2), details=m.details)
    return _row(rule, rule.severity, _r(v, 2), f"{zh} {fmt_value(v, unit)} 未高于{m.group_zh} {fmt_value(ref, unit)}",
                f"{en} {fmt_value(v, unit, 'en')} not above the {m.group_en} {fmt_value(ref, unit, 'en')}",
                value_source=m.source, threshold=_r(ref, 2), details=m.details)


def _per_mu_rule(ctx: CheckContext, rule: Rule, col: str, zh: str, en: str) -> RuleResult:
    m = indicators.per_mu(ctx, col, rule.threshold, rule.params.get("compare_within", "zone_class"))
    if m is None:
        return _no_data(rule, zh, en)
    return judge_per_mu(rule, m, zh, en)


@registry.rule("revenue_per_mu")
def rule_revenue_per_mu(ctx: CheckContext, rule: Rule) -> RuleResult:
    return _per_mu_rule(ctx, rule, "revenue_per_mu", "亩均营业收入", "Revenue per mu")


@registry.rule("tax_per_mu")
def rule_tax_per_mu(ctx: CheckContext, rule: Rule) -> RuleResult:
    return _per_mu_rule(ctx, rule, "tax_per_mu", "亩均税收", "Tax per mu")


def judge_bottom_third(rule: Rule, r: int, n: int, zclass: object, src: str, year: object = None) -> RuleResult:
    """Judge a rank ``r`` of ``n``: the rule's severity when in the bottom share (the threshold, a fraction).

    The bottom share holds ``floor(n × share)`` zones: rank ``r`` is in it when ``r > n − floor(n × share)``.

    Examples
    --------
    >>> from geo.rules import load_rules
    >>> rule = load_rules().rules["bottom_third"]
    >>> [judge_bottom_third(rule, r, 9, "经开区", "test").status == "pass" for r in (6, 7)]
    [True, False]
    """
    share: Fraction = rule.threshold
    k = (n * share.numerator) // share.denominator  # zones in the bottom share: floor(n × share)
    cut = Fraction(n - k, n)
    frac = Fraction(r, n)
    details = {"rank_in_class": r, "n_in_class": n, "zone_class": zclass, "bottom_share": f"{share.numerator}/{share.denominator}",
               "bottom_count": k, "rule": "bottom if rank_in_class > n_in_class − floor(n_in_class × share)",
               "year": year}
    if r > n - k:
        return _row(rule, rule.severity, _r(float(frac), 4),
                    f"评价排名 {zclass} 第 {r}/{n} 名，位于后 {share.numerator}/{share.denominator}，不支持扩区调位",
                    f"Ranked {r} of {n} {zclass} zones: in the bottom {share.numerator}/{share.denominator}, expansion and relocation not supported",
                    value_source=src, threshold=_r(float(cut), 4), details=details)
    return _row(rule, PASS, _r(float(frac), 4), f"评价排名 {zclass} 第 {r}/{n} 名，不在后 {share.numerator}/{share.denominator}",
                f"Ranked {r} of {n} {zclass} zones: not in the bottom {share.numerator}/{share.denominator}",
                value_source=src, threshold=_r(float(cut), 4), details=details)


@registry.rule("bottom_third")
def rule_bottom_third(ctx: CheckContext, rule: Rule) -> RuleResult:
    rec = indicators.record(ctx)
    rk = indicators.rank(rec)
    if rk is None or rec is None:
        return _no_data(rule, "评价排名", "ranking")
    zclass = json_value(rec.get("zone_class"))
    return judge_bottom_third(rule, rk[0], rk[1], zclass, indicators.source(rec, "rank_source"), indicators.year(rec))


def judge_top10(rule: Rule, years: float, rk: tuple[int, int] | None, src: str, year: object = None) -> RuleResult:
    """Judge the years in the top share of the class (information only: reward or no reward)."""
    need = threshold(rule)
    top = float(rule.params.get("top_share", 0.10))
    met = years >= need
    details = {"met": bool(met), "top_share": top, "years_required": int(need), "year": year}
    if rk:
        details.update(rank_in_class=rk[0], n_in_class=rk[1], current_in_top=bool(Fraction(rk[0], rk[1]) <= Fraction(str(top))))
    if met:
        return _row(rule, INFO, years, f"连续 {int(years)} 年位于同类型开发区前 {_pct(top)}，可给予一定奖励",
                    f"In the top {_pct(top)} of its class for {int(years)} consecutive years: eligible for a reward",
                    value_source=src, details=details)
    return _row(rule, INFO, years, f"连续位于同类型前 {_pct(top)} 的年数为 {int(years)}（需 {int(need)} 年），无奖励",
                f"{int(years)} consecutive year(s) in the top {_pct(top)} of its class (needs {int(need)}): no reward",
                value_source=src, details=details)


@registry.rule("top10_priority")
def rule_top10_priority(ctx: CheckContext, rule: Rule) -> RuleResult:
    rec = indicators.record(ctx)
    years = indicators.value(rec, "top10_consecutive_years")
    if years is None:
        return _row(rule, INFO, None, "缺少排名数据", "No ranking data", value_source="missing")
    return judge_top10(rule, years, indicators.rank(rec), indicators.source(rec, "rank_source"), indicators.year(rec))


__all__ = ["judge_bottom_third", "judge_land_dev_rate", "judge_per_mu", "judge_top10", "rule_bottom_third",
           "rule_land_dev_rate", "rule_revenue_per_mu", "rule_tax_per_mu", "rule_top10_priority"]
