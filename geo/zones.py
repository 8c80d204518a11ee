"""Pure queries over the zone tables: pinyin sorting and search, industry filters, aggregates,
and the zone nearest an uploaded proposal (:func:`nearest_zone`)."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Iterable

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
    related = row.iloc[0].get("related") if not row.empty else None
    if isinstance(related, str) and related.strip():  # empty cells read as NaN, which is truthy
        ids.add(related.strip())
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


def nearest_zone(parks_gdf: Any, geometry: Any) -> tuple[str, float]:
    """The zone whose parks are nearest a proposal, and the distance in metres.

    Used to preselect the zone of an uploaded proposal.  The distance is 0 when
    the proposal touches or overlaps a park (several overlapped zones: the one
    with the largest overlap).  Distances are planar in the proposal's own
    3-degree Gauss–Krüger zone (:func:`geo.crs.local_gk_crs`).

    The parks' spatial index (``parks_gdf.sindex``, an STRtree built once per
    frame and cached by geopandas) finds the nearest park in degrees; only the
    parks that can be nearer in metres (within that distance divided by the
    cosine of the latitude) are then projected and measured.

    Parameters
    ----------
    parks_gdf : GeoDataFrame
        Parks with a ``zone_id`` column (e.g. ``geo.dataset.load_layer("parks")``).
    geometry : shapely geometry or GeoJSON mapping
        The proposal, lon/lat EPSG:4490.

    Returns
    -------
    (zone_id, distance_m)

    Raises
    ------
    ParkmapError
        No parks, no ``zone_id`` column, or an empty proposal.
    """
    import numpy as np
    import shapely
    from shapely.geometry import shape
    from shapely.geometry.base import BaseGeometry

    from geo.area import geodesic_area_m2
    from geo.crs import EPSG_CGCS2000, local_gk_crs, project_geometry, to_cgcs2000
    from geo.errors import ParkmapError

    if parks_gdf is None or len(parks_gdf) == 0 or "zone_id" not in getattr(parks_gdf, "columns", ()):
        raise ParkmapError("没有可比较的园区（需含 zone_id 的园区图层）", "No parks to compare with (a parks layer with "
                           "zone_id is needed)", code="empty")
    geom = shape(geometry) if isinstance(geometry, dict) else geometry
    if not isinstance(geom, BaseGeometry) or geom.is_empty:
        raise ParkmapError("方案几何为空", "The proposal geometry is empty", code="empty")
    parks = parks_gdf
    if parks.crs is not None and parks.crs.to_epsg() not in (EPSG_CGCS2000, 4326):
        parks = to_cgcs2000(parks)
    sidx = parks.sindex
    zone_ids = parks["zone_id"].astype(str).to_numpy()
    geoms = parks.geometry.values
    hits = sidx.query(geom, predicate="intersects")
    if len(hits):
        if len(set(zone_ids[hits])) == 1:
            return str(zone_ids[hits[0]]), 0.0
        areas = [geodesic_area_m2(shapely.intersection(geom, geoms[i])) for i in hits]
        return str(zone_ids[hits[int(np.argmax(areas))]]), 0.0
    (_, nearest), deg = sidx.nearest(geom, return_all=False, return_distance=True)
    d_deg = float(deg[0])
    lat = min(max(abs(geom.bounds[1]), abs(geom.bounds[3])) + d_deg, 89.0)
    reach = d_deg / math.cos(math.radians(lat)) * 1.01 + 1e-9
    cand = sidx.query(geom, predicate="dwithin", distance=reach)
    if not len(cand):
        cand = np.asarray(nearest)
    crs = local_gk_crs(geom)
    g = project_geometry(geom, EPSG_CGCS2000, crs)
    dist = [g.distance(project_geometry(geoms[i], EPSG_CGCS2000, crs)) for i in cand]
    best = int(np.argmin(dist))
    return str(zone_ids[cand[best]]), float(dist[best])


# --------------------------------------------------------------------------- zone lookup
class ZoneLookup:
    """Zone record by zone id, catalogue code, name, short name or former id (case-insensitive).

    A former id (``former_ids``, ``|``-separated) is the id a zone had before two
    rows were found to be one zone (``N01`` → ``S517041``), so saved proposals
    and scripts naming the old id still resolve.

    Needs only the zone table, not the control-line indexes, so resolving
    ``--zone`` costs a table read (``parkmap snapshot --zone`` used to build
    every index for it).

    Parameters
    ----------
    zones : DataFrame
        The ``zones`` table (``zone_id``, ``catalogue_code``, ``name``, ``short_name``…).
    """

    KEYS: tuple[str, ...] = ("zone_id", "catalogue_code", "name", "short_name", "former_ids")

    def __init__(self, zones: pd.DataFrame) -> None:
        from geo.jsonutil import json_value

        self.zones = zones
        records = [{k: json_value(v) for k, v in rec.items()} for rec in zones.to_dict("records")]
        self._keys: dict[str, dict[str, dict[str, Any]]] = {}
        for col in self.KEYS:
            if col in zones.columns:
                keys: dict[str, list[dict[str, Any]]] = {}
                for rec in records:
                    v = rec.get(col)
                    for part in ([] if v in (None, "") else str(v).split("|") if col == "former_ids" else [v]):
                        if str(part).strip():
                            keys.setdefault(str(part).strip().casefold(), []).append(rec)
                self._keys[col] = {k: v[0] for k, v in keys.items() if len(v) == 1}  # ambiguous names: no match

    def resolve(self, ref: str) -> dict[str, Any]:
        """The zone record for ``ref``.

        Raises
        ------
        ParkmapError
            ``code="unknown-zone"``, with close matches as a hint.
        """
        import difflib

        from geo.errors import ParkmapError

        text = str(ref or "").strip()
        if not text:
            raise ParkmapError("未指定开发区编号", "No zone id given", "例如 --zone S517077 / e.g. --zone S517077",
                               code="unknown-zone")
        key = text.casefold()
        for col in self.KEYS:
            rec = self._keys.get(col, {}).get(key)
            if rec is not None:
                return dict(rec)
        z = self.zones
        pool = [str(v) for v in z["zone_id"].tolist()] + \
            [str(v) for v in z.get("catalogue_code", pd.Series(dtype=str)).tolist() if v]
        close = difflib.get_close_matches(text.upper(), sorted(set(pool)), n=5, cutoff=0.6)
        hint = f"相近的编号 / close matches: {', '.join(close)}" if close else \
            "用 zone_id 或目录代码（如 S517077） / use the zone id or catalogue code (e.g. S517077)"
        raise ParkmapError(f"未知的开发区编号：{text}", f"Unknown zone id: {text}", hint, code="unknown-zone")


@lru_cache(maxsize=4)
def _lookup_for(path: str) -> ZoneLookup:
    from geo.dataset import load_layer

    from pathlib import Path

    return ZoneLookup(pd.DataFrame(load_layer("zones", Path(path)).drop(columns="geometry")))


def resolve_zone(ref: str) -> dict[str, Any]:
    """The embedded dataset's zone record for ``ref`` (:class:`ZoneLookup`), without building any index.

    Examples
    --------
    >>> resolve_zone("s517077")["zone_id"]
    'S517077'
    """
    from geo.dataset import gpkg_path

    return _lookup_for(str(gpkg_path())).resolve(ref)

