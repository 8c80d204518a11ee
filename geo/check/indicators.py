"""Measurements of the economic rules: the zone's indicator values, averages and rank, no verdicts.

The economic rules read the zone's latest record of the indicators table
(held by the :class:`~geo.check.index.ControlIndex`).  The functions here
*measure*: they return the value of an indicator with its source and year,
the provincial average it is compared with, and the zone's rank in its
class.  :mod:`geo.check.economic` *judges* them against the rules file's
thresholds and words the messages.

A value that is missing, not a number or not finite is None (the rule then
says the data is missing rather than guessing).

Examples
--------
>>> import pandas as pd
>>> rec = pd.Series({"land_dev_rate": 0.82, "land_dev_rate_source": "test", "year": 2024,
...                  "rank_in_class": 3, "n_in_class": 10})
>>> value(rec, "land_dev_rate"), value(rec, "tax_per_mu"), source(rec, "land_dev_rate_source")
(0.82, None, 'test')
>>> rank(rec)
(3, 10)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.check.model import _r
from geo.jsonutil import json_value

if TYPE_CHECKING:  # pragma: no cover
    from geo.check.context import CheckContext


def record(ctx: CheckContext) -> pd.Series | None:
    """The zone's latest indicator record (None when the table has none for the zone)."""
    rec: pd.Series | None = ctx.index._ind_by_zone.get(str(ctx.zone["zone_id"]))
    return rec


def value(rec: pd.Series | None, col: str) -> float | None:
    """The finite number in column ``col`` of ``rec``, else None."""
    if rec is None or col not in rec.index:
        return None
    try:
        v = float(rec[col])
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def source(rec: pd.Series | None, col: str) -> str:
    """The text of source column ``col`` (``unknown`` when absent or empty)."""
    if rec is None or col not in rec.index or pd.isna(rec[col]):
        return "unknown"
    return str(rec[col])


def year(rec: pd.Series | None) -> Any:
    """The record's year as a JSON value (None when absent)."""
    return None if rec is None else json_value(rec.get("year"))


def rank(rec: pd.Series | None) -> tuple[int, int] | None:
    """(rank in class, zones in class), or None when missing or inconsistent (rank outside 1…n)."""
    r, n = value(rec, "rank_in_class"), value(rec, "n_in_class")
    if r is None or n is None or n < 1 or not (1 <= r <= n):
        return None
    return int(r), int(n)


@dataclass
class PerMu:
    """A 亩均 indicator of the zone and the figure it is compared with.

    Attributes
    ----------
    value : float
        The zone's value.
    reference : float
        The provincial average (``compare_within`` the class or all zones), or the fixed threshold.
    source : str
        Source of the zone's value.
    zone_class : str
        The zone's class (经开区, 高新区…).
    details : dict
        ``average``/``compare_within``/``n_zones``… as reported.
    """

    value: float
    reference: float
    source: str
    zone_class: str
    details: dict[str, Any]
    group_zh: str
    group_en: str


def per_mu(ctx: CheckContext, col: str, threshold: Any, compare_within: str) -> PerMu | None:
    """The zone's ``col`` (亩均营业收入 / 税收) and its reference: the provincial average when ``threshold`` is ``"average"``.

    None when the zone has no value.
    """
    rec = record(ctx)
    v = value(rec, col)
    if v is None or rec is None:
        return None
    zclass = str(rec.get("zone_class")) if "zone_class" in rec.index else str(ctx.zone.get("zone_class"))
    if threshold == "average":
        avg, n_avg = ctx.index.group_average(col, compare_within, zclass)
        group_zh = f"全省{zclass}平均" if compare_within == "zone_class" else "全省平均"
        group_en = f"provincial average of {zclass} zones" if compare_within == "zone_class" else "provincial average"
        details: dict[str, Any] = {"average": _r(avg, 2), "compare_within": compare_within, "zone_class": zclass,
                                   "n_zones": n_avg,
                                   "average_source": "computed from the indicators table (values mostly illustrative)"}
    else:
        avg = float(threshold)
        group_zh, group_en = "设定值", "the set value"
        details = {"compare_within": "fixed", "zone_class": zclass}
    details["year"] = year(rec)
    return PerMu(v, avg, source(rec, f"{col}_source"), zclass, details, group_zh, group_en)


__all__ = ["PerMu", "per_mu", "rank", "record", "source", "value", "year"]
