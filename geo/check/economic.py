"""The economic rules: the zone's indicators and ranking.

``land_dev_rate`` (土地开发率), ``revenue_per_mu`` and ``tax_per_mu`` (亩均
营业收入 / 税收 against the provincial average), ``bottom_third`` (评价排名后
1/3) and ``top10_priority`` (连续前 10 %, information).  They read the
latest indicator record of the zone from the index; each is registered with
:func:`geo.check.registry.rule`.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING

import pandas as pd

from geo.check import registry
from geo.check.context import CheckContext, _pct, _row
from geo.check.model import INFO, PASS, WARN, RuleResult, _r
from geo.jsonutil import json_value as _jsonable
from geo.units import fmt_value

if TYPE_CHECKING:  # pragma: no cover
    from geo.rules import Rule

def _indicator(ctx: CheckContext) -> pd.Series | None:
    return ctx.index._ind_by_zone.get(str(ctx.zone["zone_id"]))


def _num(rec: pd.Series | None, col: str) -> float | None:
    if rec is None or col not in rec.index:
        return None
    try:
        v = float(rec[col])
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _src(rec: pd.Series | None, col: str) -> str:
    if rec is None or col not in rec.index or pd.isna(rec[col]):
        return "unknown"
    return str(rec[col])


def _no_data(rule: Rule, what_zh: str, what_en: str) -> RuleResult:
    return _row(rule, WARN, None, f"缺少{what_zh}数据，无法判断", f"No {what_en} data; cannot be assessed", value_source="missing")


@registry.rule("land_dev_rate")
def rule_land_dev_rate(ctx: CheckContext, rule: Rule) -> RuleResult:
    rec = _indicator(ctx)
    v = _num(rec, "land_dev_rate")
    if v is None:
        return _no_data(rule, "土地开发率", "land development rate")
    thr = rule.threshold_value
    src = _src(rec, "land_dev_rate_source")
    details = {"year": _jsonable(rec.get("year")), "threshold_note": "configurable default — not in sources"}
    if v >= thr - 1e-12:
        return _row(rule, PASS, _r(v, 4), f"土地开发率 {_pct(v)} ≥ {_pct(thr)}（可配置默认值）",
                    f"Land development rate {_pct(v)} ≥ {_pct(thr)} (configurable default)", value_source=src, details=details)
    return _row(rule, rule.severity, _r(v, 4), f"土地开发率 {_pct(v)} < {_pct(thr)}（可配置默认值），原核准面积尚未基本开发完毕",
                f"Land development rate {_pct(v)} < {_pct(thr)} (configurable default): the approved area is not yet basically developed",
                value_source=src, details=details)


def _per_mu_rule(ctx: CheckContext, rule: Rule, col: str, zh: str, en: str) -> RuleResult:
    rec = _indicator(ctx)
    v = _num(rec, col)
    if v is None:
        return _no_data(rule, zh, en)
    within = rule.params.get("compare_within", "zone_class")
    zclass = str(rec.get("zone_class")) if "zone_class" in rec.index else str(ctx.zone.get("zone_class"))
    if rule.threshold == "average":
        avg, n_avg = ctx.index.group_average(col, within, zclass)
        group_zh = f"全省{zclass}平均" if within == "zone_class" else "全省平均"
        group_en = f"provincial average of {zclass} zones" if within == "zone_class" else "provincial average"
        details = {"average": _r(avg, 2), "compare_within": within, "zone_class": zclass, "n_zones": n_avg,
                   "average_source": "computed from the indicators table (values mostly illustrative)"}
    else:
        avg = float(rule.threshold)
        group_zh, group_en = "设定值", "the set value"
        details = {"compare_within": "fixed", "zone_class": zclass}
    unit = rule.unit
    src = _src(rec, f"{col}_source")
    details["year"] = _jsonable(rec.get("year"))
    if v > avg:
        return _row(rule, PASS, _r(v, 2), f"{zh} {fmt_value(v, unit)} 高于{group_zh} {fmt_value(avg, unit)}",
                    f"{en} {fmt_value(v, unit, 'en')} above the {group_en} {fmt_value(avg, unit, 'en')}",
                    value_source=src, threshold=_r(avg, 2),
                    details=details)
    return _row(rule, rule.severity, _r(v, 2), f"{zh} {fmt_value(v, unit)} 未高于{group_zh} {fmt_value(avg, unit)}",
                f"{en} {fmt_value(v, unit, 'en')} not above the {group_en} {fmt_value(avg, unit, 'en')}",
                value_source=src, threshold=_r(avg, 2),
                details=details)


@registry.rule("revenue_per_mu")
def rule_revenue_per_mu(ctx: CheckContext, rule: Rule) -> RuleResult:
    return _per_mu_rule(ctx, rule, "revenue_per_mu", "亩均营业收入", "Revenue per mu")


@registry.rule("tax_per_mu")
def rule_tax_per_mu(ctx: CheckContext, rule: Rule) -> RuleResult:
    return _per_mu_rule(ctx, rule, "tax_per_mu", "亩均税收", "Tax per mu")


def _rank(rec: pd.Series | None) -> tuple[int, int] | None:
    r, n = _num(rec, "rank_in_class"), _num(rec, "n_in_class")
    if r is None or n is None or n < 1 or not (1 <= r <= n):
        return None
    return int(r), int(n)


@registry.rule("bottom_third")
def rule_bottom_third(ctx: CheckContext, rule: Rule) -> RuleResult:
    rec = _indicator(ctx)
    rk = _rank(rec)
    if rk is None:
        return _no_data(rule, "评价排名", "ranking")
    r, n = rk
    share: Fraction = rule.threshold
    k = (n * share.numerator) // share.denominator  # zones in the bottom share: floor(n × share)
    cut = Fraction(n - k, n)
    frac = Fraction(r, n)
    zclass = _jsonable(rec.get("zone_class"))
    details = {"rank_in_class": r, "n_in_class": n, "zone_class": zclass, "bottom_share": f"{share.numerator}/{share.denominator}",
               "bottom_count": k, "rule": "bottom if rank_in_class > n_in_class − floor(n_in_class × share)",
               "year": _jsonable(rec.get("year"))}
    src = _src(rec, "rank_source")
    if r > n - k:
        return _row(rule, rule.severity, _r(float(frac), 4),
                    f"评价排名 {zclass} 第 {r}/{n} 名，位于后 {share.numerator}/{share.denominator}，不支持扩区调位",
                    f"Ranked {r} of {n} {zclass} zones: in the bottom {share.numerator}/{share.denominator}, expansion and relocation not supported",
                    value_source=src, threshold=_r(float(cut), 4), details=details)
    return _row(rule, PASS, _r(float(frac), 4), f"评价排名 {zclass} 第 {r}/{n} 名，不在后 {share.numerator}/{share.denominator}",
                f"Ranked {r} of {n} {zclass} zones: not in the bottom {share.numerator}/{share.denominator}",
                value_source=src, threshold=_r(float(cut), 4), details=details)


@registry.rule("top10_priority")
def rule_top10_priority(ctx: CheckContext, rule: Rule) -> RuleResult:
    rec = _indicator(ctx)
    years = _num(rec, "top10_consecutive_years")
    if years is None:
        return _row(rule, INFO, None, "缺少排名数据", "No ranking data", value_source="missing")
    need = rule.threshold_value
    top = float(rule.params.get("top_share", 0.10))
    rk = _rank(rec)
    met = years >= need
    details = {"met": bool(met), "top_share": top, "years_required": int(need), "year": _jsonable(rec.get("year"))}
    if rk:
        details.update(rank_in_class=rk[0], n_in_class=rk[1], current_in_top=bool(Fraction(rk[0], rk[1]) <= Fraction(str(top))))
    src = _src(rec, "rank_source")
    if met:
        return _row(rule, INFO, years, f"连续 {int(years)} 年位于同类型开发区前 {_pct(top)}，可给予一定奖励",
                    f"In the top {_pct(top)} of its class for {int(years)} consecutive years: eligible for a reward",
                    value_source=src, details=details)
    return _row(rule, INFO, years, f"连续位于同类型前 {_pct(top)} 的年数为 {int(years)}（需 {int(need)} 年），无奖励",
                f"{int(years)} consecutive year(s) in the top {_pct(top)} of its class (needs {int(need)}): no reward",
                value_source=src, details=details)


__all__ = ["rule_bottom_third", "rule_land_dev_rate", "rule_revenue_per_mu", "rule_tax_per_mu", "rule_top10_priority"]
