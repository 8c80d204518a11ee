"""Pure queries over the zone tables: pinyin sorting and search, industry filters, aggregates."""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable

import pandas as pd

#: Precomputed pinyin (name → (syllables, initials)), e.g. from the dataset's
#: ``pinyin`` table; avoids importing pypinyin (≈0.4 s) on the app's first run.
_PINYIN: dict[str, tuple[tuple[str, ...], str]] = {}


def use_pinyin_table(table: pd.DataFrame) -> None:
    """Prime the pinyin lookup from a table with columns ``name``, ``pinyin`` (space-separated) and ``initials``."""
    for name, full, ini in zip(table["name"], table["pinyin"], table["initials"]):
        _PINYIN[str(name)] = (tuple(str(full).split(" ")), str(ini))


def pinyin_of(name: str) -> tuple[tuple[str, ...], str]:
    """(toneless pinyin syllables, initials) of ``name``; pypinyin is imported only for names not precomputed."""
    hit = _PINYIN.get(name)
    if hit is not None:
        return hit
    from pypinyin import Style, lazy_pinyin

    full = tuple(s.lower() for s in lazy_pinyin(name, errors="default"))
    ini = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")).lower()
    _PINYIN[name] = (full, ini)
    return full, ini


def pinyin_table(names: Iterable[str]) -> pd.DataFrame:
    """The ``pinyin`` table for ``names`` (built with the dataset)."""
    uniq = sorted({str(n) for n in names if str(n)})
    rows = [(n, " ".join(pinyin_of(n)[0]), pinyin_of(n)[1]) for n in uniq]
    return pd.DataFrame(rows, columns=["name", "pinyin", "initials"])


@lru_cache(maxsize=4096)
def pinyin_key(name: str) -> tuple[str, ...]:
    """Sort key for a Chinese name: its toneless pinyin syllables, then the name itself.

    >>> sorted(["成都", "阿坝", "巴中"], key=pinyin_key)
    ['阿坝', '巴中', '成都']
    """
    return pinyin_of(name)[0] + (name,)


def sort_by_pinyin(names: Iterable[str]) -> list[str]:
    """Chinese names sorted by pinyin (not by code point)."""
    return sorted(names, key=pinyin_key)


@lru_cache(maxsize=4096)
def search_keys(name: str) -> tuple[str, str, str]:
    """(name, full pinyin without spaces, pinyin initials), all lower-case."""
    full, initials = pinyin_of(name)
    return name.lower(), "".join(full), initials


def search_zones(zones: pd.DataFrame, query: str, limit: int | None = None) -> pd.DataFrame:
    """Zones whose name, short name, alias or code matches ``query``.

    Matches Chinese substrings, full pinyin (``chengdugaoxin``) and pinyin
    initials (``cdgxq``), case-insensitive. Results are sorted by how early
    the match is, then by pinyin of the short name.

    Parameters
    ----------
    zones : DataFrame
        With columns ``zone_id``, ``short_name``, ``name``, ``aliases``, ``catalogue_code``.
    query : str
    limit : int, optional

    Returns
    -------
    DataFrame
        The matching rows.
    """
    q = "".join(query.split()).lower()
    if not q:
        out = zones.iloc[sorted(range(len(zones)), key=lambda i: pinyin_key(zones["short_name"].iloc[i]))]
        return out.head(limit) if limit else out
    scores: list[tuple[int, tuple[str, ...], int]] = []
    for i, row in enumerate(zones.itertuples()):
        names = [row.short_name, row.name] + [a for a in str(row.aliases).split("|") if a]
        best = None
        for n in names:
            for key in search_keys(n):
                pos = key.find(q)
                if pos >= 0:
                    best = pos if best is None else min(best, pos)
        if str(row.zone_id).lower() == q or str(row.catalogue_code).lower() == q:
            best = -1
        if best is not None:
            scores.append((best, pinyin_key(row.short_name), i))
    scores.sort()
    out = zones.iloc[[i for _, _, i in scores]]
    return out.head(limit) if limit else out


def industry_members(industries: pd.DataFrame, industry_id: str) -> list[str]:
    """The industry ids a selection stands for: itself, its chains, and for a 5+1 member its related industry."""
    ids = {industry_id}
    row = industries.loc[industries["id"] == industry_id]
    if not row.empty and row.iloc[0].get("related"):
        ids.add(str(row.iloc[0]["related"]))
    for parent in list(ids):
        ids |= set(industries.loc[industries["parent"] == parent, "id"])
    return sorted(i for i in ids if i)


def zones_for_industry(links: pd.DataFrame, industries: pd.DataFrame, industry_id: str) -> pd.DataFrame:
    """One row per zone hosting ``industry_id`` (or its chains), with its strongest role and citations.

    Returns
    -------
    DataFrame
        Columns ``zone_id``, ``role`` (重点依托 beats 发展方向), ``citations`` (``；``-joined).
    """
    ids = industry_members(industries, industry_id)
    hit = links[links["industry_id"].isin(ids)]
    if hit.empty:
        return pd.DataFrame(columns=["zone_id", "role", "citations"])
    rank = hit["role"].map({"重点依托": 0, "发展方向": 1}).fillna(2)
    hit = hit.assign(_r=rank)
    agg = hit.groupby("zone_id").agg(
        _r=("_r", "min"), citations=("citation", lambda s: "；".join(sorted(set(s))))
    )
    agg["role"] = agg["_r"].map({0: "重点依托", 1: "发展方向"})
    return agg.drop(columns="_r").reset_index()


def count_by_prefecture(zones: pd.DataFrame, zone_ids: Iterable[str] | None = None) -> pd.Series:
    """Number of zones per host prefecture adcode (optionally only ``zone_ids``)."""
    z = zones if zone_ids is None else zones[zones["zone_id"].isin(set(zone_ids))]
    return z.groupby("host_prefecture_adcode").size()


def industry_mix(links: pd.DataFrame, industries: pd.DataFrame, zone_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Zones per advantage industry (a zone counts once per industry, via any chain), split by role."""
    parent = industries.set_index("id")["parent"].to_dict()
    adv = set(industries.loc[industries["kind"] == "advantage_industry", "id"])

    def top(i: str) -> str | None:
        seen = 0
        while i and i not in adv and seen < 5:
            i, seen = parent.get(i) or "", seen + 1
        return i if i in adv else None

    lk = links if zone_ids is None else links[links["zone_id"].isin(set(zone_ids))]
    lk = lk.assign(advantage=lk["industry_id"].map(top)).dropna(subset=["advantage"])
    lk = lk.assign(_r=lk["role"].map({"重点依托": 0, "发展方向": 1}))
    best = lk.groupby(["advantage", "zone_id"])["_r"].min().reset_index()
    best["role"] = best["_r"].map({0: "重点依托", 1: "发展方向"})
    table = best.pivot_table(index="advantage", columns="role", values="zone_id", aggfunc="count", fill_value=0)
    names = industries.set_index("id")["name_zh"]
    table.index = [names.get(i, i) for i in table.index]
    return table
