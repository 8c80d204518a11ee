"""存量体检: do the existing parks already conflict with the control lines?

:func:`scan_parks` measures every existing park (or those of one zone or one
prefecture) against 生态保护红线 and 永久基本农田 (the overlap), 城镇开发边界
(the area outside it) and, for the parks of a zone with chemical industry,
the 1 km band of the regulated Yangtze rivers (rule ``river_1km``).  It uses
the control index's own area code (:meth:`geo.check.index.PolygonIndex.overlap`
and ``outside``, i.e. :func:`geo.check.layer.overlap_of`/``outside_of``), so
official layers from ``--layers DIR`` or PostGIS (:func:`geo.checkflow.control_index`)
are measured the same way as the embedded ones.  Areas are geodesic on the
CGCS2000 ellipsoid (平方米, 亩).

**Which zones are chemical.** A zone is chemical when the embedded industry
links (table ``zone_industries``) tie it to an industry whose Chinese name
contains 化工 (:func:`chemical_industry_ids`): 能源化工产业 and its 5+1
counterpart 能源化工, and the chain 绿色化工 — 《四川省开发区发展规划（2023—2027年）》
第四章第一节(四) and 专栏5 (seed 002).  The links are matched as given, not
expanded to the other chains of 能源化工产业 (清洁能源, 节能环保 are not
chemical).  Not counted by default: 高端化学药 (a pharmaceutical chain) and
the 新材料 chains (锂电材料, 晶硅光伏材料), whose plants are often chemical;
pass ``chemical_industries`` to widen the selection.

Every row cites its rule (``geo.rules.load_rules()[rule_id].citation``) and
the scan records the layer sources, versions and hashes
(:meth:`geo.check.index.ControlIndex.layer_sources`).

Examples
--------
>>> from geo.check import default_index
>>> result = scan_parks(default_index(), zone="S517077")
>>> sorted(result.parks["layer"].unique())[:2]
['eco_redline', 'farmland']
>>> bool((result.parks["share"] <= 1.0).all())
True
"""

from __future__ import annotations

import difflib
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from geo.area import M2_PER_MU, geodesic_area_m2
from geo.clock import now_iso
from geo.crs import EPSG_CGCS2000, SICHUAN_GK3_ZONES, epsg_for_gk_zone, gk_zone_for_lon, local_gk_crs, project_geometry
from geo.errors import ParkmapError
from geo.validate import polygonal_only

#: The scanned layers, in reporting order; each is also the id of its rule in the rules file.
SCAN_LAYERS: tuple[str, ...] = ("eco_redline", "farmland", "urban_boundary", "river_1km")
#: Chinese and English names of what is measured per layer.
MEASURES: dict[str, tuple[str, str]] = {
    "eco_redline": ("与生态保护红线重叠", "overlap with the ecological red line"),
    "farmland": ("与永久基本农田重叠", "overlap with permanent basic farmland"),
    "urban_boundary": ("位于城镇开发边界外", "outside the urban development boundary"),
    "river_1km": ("位于长江干支流1公里内（化工园区）", "within 1 km of the Yangtze rivers (chemical zones)"),
}
#: The word that makes an industry chemical (see the module notes).
CHEMICAL_WORD = "化工"
#: The map's overlap style used for each layer's pieces (:func:`geo.controls.overlap_styles`).
PIECE_STYLE: dict[str, str] = {"eco_redline": "eco_redline", "farmland": "farmland",
                               "urban_boundary": "urban_boundary_outside", "river_1km": "other_parks"}
_PARK_COLUMNS = ["layer", "rule_id", "park_id", "park_name", "zone_id", "zone_name", "prefecture", "chemical",
                 "park_m2", "conflict_m2", "conflict_mu", "share"]


def chemical_industry_ids(industries: pd.DataFrame) -> list[str]:
    """Ids of the industries whose Chinese name contains 化工 (the module notes give the reading).

    Examples
    --------
    >>> from geo.dataset import load_layer
    >>> chemical_industry_ids(load_layer("industries"))
    ['adv-energy-chemical', 'chain-green-chemicals', 'fp1-energy-chemical']
    """
    hit = industries[industries["name_zh"].astype(str).str.contains(CHEMICAL_WORD, regex=False)]
    return sorted(str(i) for i in hit["id"])


def chemical_zones(links: pd.DataFrame, industry_ids: Sequence[str]) -> dict[str, str]:
    """zone id → the citations of its links to ``industry_ids`` (``；``-joined), for every linked zone.

    Examples
    --------
    >>> links = pd.DataFrame({"zone_id": ["A", "B"], "industry_id": ["x", "y"], "citation": ["c1", "c2"]})
    >>> chemical_zones(links, ["x"])
    {'A': 'c1'}
    """
    hit = links[links["industry_id"].isin(list(industry_ids))]
    out: dict[str, str] = {}
    for zid, grp in hit.groupby("zone_id"):
        out[str(zid)] = "；".join(sorted({str(c) for c in grp["citation"]}))
    return out


def _embedded(name: str) -> pd.DataFrame:
    from geo.dataset import load_layer

    return pd.DataFrame(load_layer(name))


@dataclass
class ScanResult:
    """What a scan found.

    Attributes
    ----------
    scope : dict
        ``kind`` (province, prefecture, zone), ``value`` and ``label``.
    parks : DataFrame
        One row per park and scanned layer: ``layer``, ``rule_id``, park, zone and prefecture, ``chemical``,
        ``park_m2``, ``conflict_m2``, ``conflict_mu``, ``share`` (of the park), ``rule_name``, ``citation``,
        ``layer_source``, ``layer_version``, ``layer_hash``.  The river rule has rows for chemical zones' parks only.
    pieces : GeoDataFrame
        The conflicting pieces (one dissolved geometry per park and layer), EPSG:4490.
    layers : dict
        :meth:`ControlIndex.layer_sources` of the layers used.
    chemical : dict
        Chemical zone id → citations of its industry links; ``chemical_industries`` the ids used.
    """

    scope: dict[str, str]
    parks: pd.DataFrame
    pieces: gpd.GeoDataFrame
    layers: dict[str, dict[str, Any]]
    chemical: dict[str, str]
    chemical_industries: list[str]
    at: str = field(default_factory=now_iso)
    seconds: float = 0.0

    def zones(self) -> pd.DataFrame:
        """Per zone and layer: parks scanned, parks in conflict, park area, conflict area (m², 亩) and share."""
        return _totals(self.parks, ["layer", "zone_id", "zone_name", "prefecture"])

    def prefectures(self) -> pd.DataFrame:
        """Per prefecture and layer: the same totals."""
        return _totals(self.parks, ["layer", "prefecture"])

    def totals(self) -> dict[str, dict[str, Any]]:
        """Per layer: parks scanned, parks in conflict, conflict m² and 亩 (the audit's and the JSON's summary)."""
        out: dict[str, dict[str, Any]] = {}
        for key in SCAN_LAYERS:
            rows = self.parks[self.parks["layer"] == key]
            m2 = float(rows["conflict_m2"].sum())
            out[key] = {"parks": int(len(rows)), "parks_in_conflict": int((rows["conflict_m2"] > 0).sum()),
                        "conflict_m2": m2, "conflict_mu": m2 / M2_PER_MU}
        return out

    def layer_record(self) -> dict[str, dict[str, Any]]:
        """Per control layer used: source, version (database layers), hash and feature count."""
        keys = ("eco_redline", "farmland", "urban_boundary", "rivers", "parks")
        return {k: {f: v for f, v in self.layers[k].items()
                    if f in ("source", "version", "hash", "features", "sha256", "illustrative")}
                for k in keys if k in self.layers}

    def illustrative_layers(self) -> list[str]:
        """The control layers of the scan that are illustrative (generated), not official."""
        return [k for k, v in self.layer_record().items() if k != "parks" and v.get("illustrative")]

    def audit_detail(self) -> dict[str, Any]:
        """The detail of the ``scan`` audit event: scope, when, layers (versions, hashes) and totals."""
        return {"scope": dict(self.scope), "scanned_at": self.at, "parks": int(self.parks["park_id"].nunique()),
                "chemical_zones": sorted(self.chemical), "chemical_industries": list(self.chemical_industries),
                "layers": self.layer_record(), "totals": self.totals()}

    def document(self) -> dict[str, Any]:
        """The scan as plain JSON (``parkmap scan --json``)."""
        from geo.jsonutil import json_value

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{str(k): json_value(v) for k, v in r.items()} for r in frame.to_dict("records")]

        return {"schema": "parkmap.scan/1", **self.audit_detail(), "seconds": round(self.seconds, 3),
                "prefectures": records(self.prefectures()), "zones": records(self.zones()),
                "rows": records(self.parks[self.parks["conflict_m2"] > 0])}

    def excel_bytes(self) -> bytes:
        """A workbook: a 汇总 sheet, then one sheet per layer (each row citing the rule and the layer version/hash)."""
        from openpyxl import load_workbook

        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as xl:
            _safe(self.prefectures()).to_excel(xl, sheet_name="汇总 summary", index=False)
            for key in SCAN_LAYERS:
                rows = self.parks[self.parks["layer"] == key]
                _safe(rows).to_excel(xl, sheet_name=key[:31], index=False)
        wb = load_workbook(io.BytesIO(buf.getvalue()))  # the scan's provenance on the summary sheet
        ws = wb["汇总 summary"]
        ws.append([])
        ws.append(["scope", self.scope.get("label", ""), "scanned_at", self.at])
        for k, v in self.layer_record().items():
            ws.append(["layer", k, v.get("source", ""), v.get("version", ""), v.get("hash", "")])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    def write(self, path: str | Path) -> Path:
        """Write ``.xlsx`` (:meth:`excel_bytes`) or ``.gpkg`` (pieces, then the rows per layer) atomically."""
        from geo.io.atomic import atomic_output

        p = Path(path)
        suffix = p.suffix.lower()
        if suffix not in (".xlsx", ".gpkg"):
            raise ParkmapError(f"不支持的输出格式：{p.suffix or p.name}", f"Unsupported output format: {p.suffix or p.name}",
                               "用 .xlsx 或 .gpkg / use .xlsx or .gpkg", code="usage")
        with atomic_output(p) as tmp:
            if suffix == ".xlsx":
                Path(tmp).write_bytes(self.excel_bytes())
            else:
                pieces = self.pieces if len(self.pieces) else gpd.GeoDataFrame(
                    {"layer": pd.Series(dtype=str)}, geometry=gpd.GeoSeries([], crs=EPSG_CGCS2000), crs=EPSG_CGCS2000)
                pieces.to_file(tmp, layer="conflict_pieces", driver="GPKG")
                for key in SCAN_LAYERS:
                    rows = self.parks[self.parks["layer"] == key].astype({"chemical": int})
                    geoms = gpd.GeoSeries([Polygon()] * len(rows), crs=EPSG_CGCS2000)
                    gpd.GeoDataFrame(rows.reset_index(drop=True), geometry=geoms.values, crs=EPSG_CGCS2000).to_file(
                        tmp, layer=key, driver="GPKG")
        return p


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting like a formula are kept as text."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v)
    return out


def _totals(parks: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    from geo.zones import pinyin_key

    if parks.empty:
        return pd.DataFrame(columns=[*by, "parks", "parks_in_conflict", "park_m2", "conflict_m2", "conflict_mu", "share"])
    g = parks.assign(_hit=(parks["conflict_m2"] > 0).astype(int)).groupby(by, sort=False)
    out = g.agg(parks=("park_id", "count"), parks_in_conflict=("_hit", "sum"), park_m2=("park_m2", "sum"),
                conflict_m2=("conflict_m2", "sum")).reset_index()
    out["conflict_mu"] = out["conflict_m2"] / M2_PER_MU
    out["share"] = np.where(out["park_m2"] > 0, out["conflict_m2"] / out["park_m2"].where(out["park_m2"] > 0, 1.0), 0.0)
    order = {k: i for i, k in enumerate(SCAN_LAYERS)}
    names = [c for c in ("prefecture", "zone_name") if c in by]  # prefecture, then zone: each in pinyin order
    keys = [(order.get(r["layer"], 99), *(pinyin_key(str(r[c])) for c in names)) for r in out.to_dict("records")]
    return out.iloc[sorted(range(len(out)), key=lambda i: keys[i])].reset_index(drop=True)


# --------------------------------------------------------------------------- scope
def _close(text: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(text, sorted(set(names)), n=5, cutoff=0.3)
    if not close:
        close = [n for n in sorted(set(names)) if text and (text in n or n in text)][:5]
    return "、".join(close)


def resolve_prefecture(ref: str, prefectures: pd.DataFrame) -> tuple[str, str]:
    """(adcode, name) of a prefecture named by name, short name or adcode; else a bilingual error with close names.

    Examples
    --------
    >>> pref = pd.DataFrame({"adcode": ["510100"], "name": ["成都市"], "short_name": ["成都"]})
    >>> resolve_prefecture("成都", pref)
    ('510100', '成都市')
    """
    text = str(ref or "").strip()
    for rec in prefectures.to_dict("records"):
        keys = {str(rec.get(c, "")).strip().casefold() for c in ("adcode", "name", "short_name")}
        if text and text.casefold() in keys:
            return str(rec["adcode"]), str(rec["name"])
    names = [str(n) for n in prefectures["name"]]
    close = _close(text, names + [str(n) for n in prefectures.get("short_name", pd.Series(dtype=str))])
    hint = f"相近的名称 / close matches: {close}" if close else f"可用 / known: {'、'.join(names[:6])}…"
    raise ParkmapError(f"未知的市州：{text}", f"Unknown prefecture: {text}", hint, code="unknown-prefecture")


def resolve_scan_zone(ref: str, zones: pd.DataFrame, resolve: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """``resolve(ref)`` (a zone lookup); an unknown zone's error names the closest zones by id *and* name.

    Examples
    --------
    >>> from geo.zones import ZoneLookup
    >>> z = pd.DataFrame({"zone_id": ["S517077"], "name": ["四川射洪经济开发区"], "short_name": ["射洪经开区"]})
    >>> try:
    ...     resolve_scan_zone("射洪开发区", z, ZoneLookup(z).resolve)
    ... except ParkmapError as e:
    ...     print(e.hint)
    相近的开发区 / close matches: S517077 射洪经开区
    """
    try:
        return resolve(ref)
    except ParkmapError as exc:
        if exc.code != "unknown-zone" or not str(ref or "").strip():
            raise
        text = str(ref).strip()
        label = dict(zip(zones["zone_id"].astype(str), zones.get("short_name", zones["zone_id"]).astype(str)))
        keys: dict[str, str] = {}
        for col in ("zone_id", "catalogue_code", "short_name", "name"):
            if col in zones.columns:
                for zid, v in zip(zones["zone_id"].astype(str), zones[col].astype(str)):
                    keys.setdefault(v.upper() if col in ("zone_id", "catalogue_code") else v, zid)
        hits = difflib.get_close_matches(text.upper() if text.isascii() else text, list(keys), n=8, cutoff=0.4)
        ids = list(dict.fromkeys(keys[h] for h in hits))[:5]
        hint = ("相近的开发区 / close matches: " + "、".join(f"{z} {label.get(z, '')}".strip() for z in ids)) if ids else exc.hint
        raise ParkmapError(exc.zh, exc.en, hint, code=exc.code) from None


# --------------------------------------------------------------------------- measuring
def _river_piece(rivers: Any, geom: BaseGeometry, classes: tuple[str, ...], dist: float) -> BaseGeometry:
    """The part of ``geom`` (lon/lat) within ``dist`` m of a regulated river, measured in its GK zone."""
    from geo.check.index import LineIndex

    if not isinstance(rivers, LineIndex):
        return Polygon()
    zone = gk_zone_for_lon(geom.centroid.x)
    epsg: Any = epsg_for_gk_zone(zone, False) if zone in SICHUAN_GK3_ZONES or 25 <= zone <= 45 else \
        local_gk_crs(geom).to_wkt()
    entry = rivers._projected(epsg, classes)
    if entry is None:
        return Polygon()
    proj, _owner, tree = entry
    gk = project_geometry(geom, EPSG_CGCS2000, epsg)
    idx = tree.query(gk, predicate="dwithin", distance=dist)
    if not len(idx):
        return Polygon()
    band = shapely.union_all(shapely.buffer(proj[idx], dist, quad_segs=16))
    piece = polygonal_only(shapely.intersection(gk, band))
    if piece is None or piece.is_empty:
        return Polygon()
    return project_geometry(piece, epsg, EPSG_CGCS2000)


def scan_parks(index: Any, *, zone: str | None = None, prefecture: str | None = None, rules: Any = None,
               industries: pd.DataFrame | None = None, links: pd.DataFrame | None = None,
               prefectures: pd.DataFrame | None = None, chemical_industries: Sequence[str] | None = None) -> ScanResult:
    """Scan the existing parks of the province, one prefecture or one zone.

    Parameters
    ----------
    index : geo.check.ControlIndex
        The control layers (:func:`geo.checkflow.control_index`: embedded, database, ``--layers``).
    zone, prefecture : str, optional
        The scope (at most one): a zone id/code/name, or a prefecture name/short name/adcode.
    rules : geo.rules.RuleSet, optional
        Default: the shipped rules file.
    industries, links, prefectures : DataFrame, optional
        The embedded ``industries``, ``zone_industries`` and ``prefectures`` tables by default.
    chemical_industries : sequence of str, optional
        Industry ids that make a zone chemical; default :func:`chemical_industry_ids`.

    Returns
    -------
    ScanResult

    Raises
    ------
    ParkmapError
        An unknown zone or prefecture (with close names), both given, or no parks layer.
    """
    from geo.rules import load_rules

    t0 = time.perf_counter()
    if zone and prefecture:
        raise ParkmapError("--zone 与 --prefecture 只能选一个", "Give --zone or --prefecture, not both", code="usage")
    rules = rules if rules is not None else load_rules()
    prefectures = prefectures if prefectures is not None else _embedded("prefectures")
    industries = industries if industries is not None else _embedded("industries")
    links = links if links is not None else _embedded("zone_industries")
    parks_layer = index.layers.get("parks")
    if parks_layer is None or not hasattr(parks_layer, "frame") or "zone_id" not in parks_layer.frame.columns:
        raise ParkmapError("没有园区图层（需含 zone_id）", "No parks layer (with zone_id) to scan", code="empty")
    frame = parks_layer.frame
    pref_names = dict(zip(prefectures["adcode"].astype(str), prefectures["name"].astype(str)))
    zones = index.zones
    zone_pref = dict(zip(zones["zone_id"].astype(str), zones.get("host_prefecture_adcode", pd.Series(dtype=str)).astype(str)))
    zone_names = dict(zip(zones["zone_id"].astype(str), zones.get("short_name", zones["zone_id"]).astype(str)))
    park_zone = frame["zone_id"].astype(str).to_numpy()
    park_pref = (frame["host_prefecture_adcode"].astype(str).to_numpy() if "host_prefecture_adcode" in frame.columns
                 else np.array([zone_pref.get(z, "") for z in park_zone], dtype=object))
    if zone:
        rec = resolve_scan_zone(zone, index.zones, index.resolve_zone)
        rows = np.flatnonzero(park_zone == str(rec["zone_id"]))
        scope = {"kind": "zone", "value": str(rec["zone_id"]), "label": f"{rec.get('short_name') or rec['name']}（{rec['zone_id']}）"}
        if not len(rows):
            raise ParkmapError(f"开发区 {rec['zone_id']} 没有园区图斑", f"Zone {rec['zone_id']} has no park polygon", code="empty")
    elif prefecture:
        adcode, name = resolve_prefecture(prefecture, prefectures)
        rows = np.flatnonzero(park_pref == adcode)
        scope = {"kind": "prefecture", "value": adcode, "label": name}
        if not len(rows):  # not "no conflicts": there is nothing to scan
            raise ParkmapError(f"{name} 没有园区图斑，无可体检", f"{name} has no park polygon to scan", code="empty")
    else:
        rows = np.arange(len(frame))
        scope = {"kind": "province", "value": "510000", "label": "四川省"}
    chem_ids = list(chemical_industries) if chemical_industries is not None else chemical_industry_ids(industries)
    chemical = chemical_zones(links, chem_ids)
    tol = float(rules.settings["area_tolerance_m2"])
    river_rule = rules["river_1km"]
    river_m = float(river_rule.threshold_value or 1000.0)
    classes = tuple(river_rule.params.get("river_classes", ()))
    sources = index.layer_sources()
    id_col = next((c for c in ("park_id", "id") if c in frame.columns), None)
    name_col = next((c for c in ("name", "name_zh") if c in frame.columns), None)
    records: list[dict[str, Any]] = []
    piece_rows: list[dict[str, Any]] = []
    for r in rows:
        geom = polygonal_only(shapely.make_valid(shapely.force_2d(frame.geometry.iloc[int(r)])))
        if geom is None or geom.is_empty:
            continue
        shapely.prepare(geom)
        zid = str(park_zone[r])
        base = {"park_id": str(frame[id_col].iloc[int(r)]) if id_col else str(r),
                "park_name": str(frame[name_col].iloc[int(r)]) if name_col else "", "zone_id": zid,
                "zone_name": zone_names.get(zid, zid), "prefecture": pref_names.get(str(park_pref[r]), str(park_pref[r])),
                "chemical": zid in chemical, "park_m2": geodesic_area_m2(geom)}
        for key in SCAN_LAYERS:
            layer_key = "rivers" if key == "river_1km" else key
            layer = index.layers.get(layer_key)
            if layer is None or (key == "river_1km" and not base["chemical"]):
                continue
            if key == "urban_boundary":
                piece = layer.outside(geom)
            elif key == "river_1km":
                piece = _river_piece(layer, geom, classes, river_m)
            else:
                piece = layer.overlap(geom).geometry()
            m2 = geodesic_area_m2(piece) if not piece.is_empty else 0.0
            m2 = m2 if m2 > tol else 0.0
            records.append({"layer": key, "rule_id": key, **base, "conflict_m2": m2})
            if m2:
                piece_rows.append({"layer": key, "park_id": base["park_id"], "zone_id": zid,
                                   "prefecture": base["prefecture"], "conflict_m2": m2, "geometry": piece})
    parks = pd.DataFrame(records, columns=[c for c in _PARK_COLUMNS if c not in ("conflict_mu", "share")])
    parks["conflict_mu"] = parks["conflict_m2"] / M2_PER_MU
    parks["share"] = np.where(parks["park_m2"] > 0, parks["conflict_m2"] / parks["park_m2"].where(parks["park_m2"] > 0, 1.0), 0.0)
    over = parks["share"] > 1 + 1e-9
    if over.any():  # a conflict larger than its park is double counting: a bug to report, never a capped number
        bad = parks.loc[over].iloc[0]
        raise ValueError(f"scan: {bad['layer']} conflict {bad['conflict_m2']:.1f} m2 exceeds park {bad['park_id']} "
                         f"({bad['park_m2']:.1f} m2)")
    cite = {key: (rules[key].name("zh"), rules[key].citation) for key in SCAN_LAYERS}
    parks["rule_name"] = parks["rule_id"].map(lambda k: cite[k][0])
    parks["citation"] = parks["rule_id"].map(lambda k: cite[k][1])
    src_key = {k: ("rivers" if k == "river_1km" else k) for k in SCAN_LAYERS}
    parks["layer_source"] = parks["layer"].map(lambda k: str(sources.get(src_key[k], {}).get("source", "")))
    parks["layer_version"] = parks["layer"].map(lambda k: sources.get(src_key[k], {}).get("version") or "")
    parks["layer_hash"] = parks["layer"].map(lambda k: str(sources.get(src_key[k], {}).get("hash", "")))
    pieces = gpd.GeoDataFrame(piece_rows, columns=["layer", "park_id", "zone_id", "prefecture", "conflict_m2", "geometry"],
                              geometry="geometry", crs=EPSG_CGCS2000)
    used = {k: v for k, v in sources.items() if k in ("eco_redline", "farmland", "urban_boundary", "rivers", "parks")}
    return ScanResult(scope, parks, pieces, used, {z: c for z, c in chemical.items() if z in set(park_zone[rows])},
                      chem_ids, seconds=time.perf_counter() - t0)


def record_scan(workspace: Any, result: ScanResult, actor: Any = None) -> int:
    """Append the ``scan`` audit event (who, when at +08:00, layers with versions and hashes, totals); its id."""
    event_id: int = workspace.record("scan", actor=actor, detail=result.audit_detail(), permission="check")
    return event_id


__all__ = ["CHEMICAL_WORD", "MEASURES", "PIECE_STYLE", "SCAN_LAYERS", "ScanResult", "chemical_industry_ids",
           "chemical_zones", "record_scan", "resolve_prefecture", "resolve_scan_zone", "scan_parks"]
