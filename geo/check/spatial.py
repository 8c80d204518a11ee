"""The control-line rules: where a proposal lies against the 三区三线 and the parks.

``eco_redline`` and ``farmland`` (overlap with the layer), ``urban_boundary``
and ``in_sichuan`` (area outside the layer), ``river_1km`` (distance to the
regulated Yangtze rivers), ``other_parks`` (overlap with other zones' parks),
``contiguity`` (distance to the zone's own parks) and ``adjust_balance``
(net area change of a 调区).  Each is registered with
:func:`geo.check.registry.rule` and called by :func:`geo.check.check_proposal`
with the proposal's :class:`~geo.check.context.CheckContext`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.area import M2_PER_MU, geodesic_area_m2, polygon_parts
from geo.check import registry
from geo.check.context import CheckContext, _fmt_m, _fmt_m2, _missing_layer, _na, _pct, _row
from geo.check.model import PASS, WARN, LayerOverlap, RuleResult, _r
from geo.controls import control_layers
from geo.crs import EPSG_CGCS2000, project_geometry

if TYPE_CHECKING:  # pragma: no cover
    from geo.check.index import LineIndex, PolygonIndex
    from geo.rules import Rule

def _hits(ctx: CheckContext, key: str, ov: LayerOverlap) -> tuple[list[dict[str, Any]], int]:
    layer = ctx.index.layers[key]
    feats = ov.per_feature()
    out = []
    infos = layer.features_info([row for row, _ in feats[: ctx.max_hits]])
    for (row, m2), info in zip(feats[: ctx.max_hits], infos):
        info["overlap_m2"] = _r(m2)
        info["overlap_mu"] = _r(m2 / M2_PER_MU, 4)
        out.append(info)
    return out, len(feats)


def overlap_rule(ctx: CheckContext, rule: Rule, key: str, status_on_overlap: str | None = None, *,
                 note: tuple[str, str] = ("", ""), overlap_details: dict[str, Any] | None = None) -> RuleResult:
    """The row of an overlap rule: how much of the proposal lies on control layer ``key``.

    Passes when the overlap is at most the rule's threshold; otherwise the row
    gets ``status_on_overlap`` (default: the rule's severity), the message
    ends with ``note`` (中文, English) and ``overlap_details`` is added to the
    details.  The layer is named as :func:`geo.controls.control_layers` says
    (``message``, else its names); a missing layer gives the not-applicable row.
    """
    if key not in ctx.index.layers:
        return _missing_layer(rule, key)
    ov = ctx.overlap(key)
    ctx.geoms[key] = ov
    ctx.overlaps[key] = ov.total_m2
    m2 = ov.total_m2 if ov.total_m2 > ctx.tol else 0.0
    share = min(m2 / ctx.area_m2, 1.0) if ctx.area_m2 else 0.0
    hits, n_hits = _hits(ctx, key, ov) if m2 else ([], 0)
    layer = control_layers().get(key)
    nzh, nen = (layer.message or (layer.zh, layer.en)) if layer is not None else (key, key)
    details = {"overlap_m2": _r(m2), "overlap_mu": _r(m2 / M2_PER_MU, 4), "share": _r(share, 6),
               "hits_total": n_hits, "hits": hits, "parcels": ctx.by_parcel(ov, m2)}
    src = ctx.index.layers[key].source.value_source
    if m2 <= rule.threshold_value:
        return _row(rule, PASS, _r(m2), f"不占用{nzh}", f"No overlap with {nen}", value_source=src, details=details)
    azh, aen = _fmt_m2(m2)
    status = rule.severity if status_on_overlap is None else status_on_overlap
    zh = f"与{nzh}重叠 {azh}，占方案面积 {_pct(share)}，涉及 {n_hits} 个图斑" + note[0]
    en = f"Overlaps {nen} by {aen}, {_pct(share)} of the proposal, {n_hits} polygon(s)" + note[1]
    details.update(overlap_details or {})
    return _row(rule, status, _r(m2), zh, en, value_source=src, details=details)


@registry.rule("eco_redline")
def rule_eco_redline(ctx: CheckContext, rule: Rule) -> RuleResult:
    return overlap_rule(ctx, rule, "eco_redline")


@registry.rule("farmland")
def rule_farmland(ctx: CheckContext, rule: Rule) -> RuleResult:
    if ctx.p.major_project:
        return overlap_rule(ctx, rule, "farmland", rule.params.get("major_project_severity", WARN),
                            note=("；已标记为国家重大建设项目（可按程序占用），列为需关注",
                                  "; flagged as a national major project (may occupy by procedure): attention"),
                            overlap_details={"exempt_major_project": True})
    return overlap_rule(ctx, rule, "farmland")


def _outside_rule(ctx: CheckContext, rule: Rule, key: str, geom_key: str, zh_name: str, en_name: str) -> RuleResult:
    if key not in ctx.index.layers:
        return _missing_layer(rule, key)
    layer = ctx.index.layers[key]
    ov = ctx.overlap(key)
    ctx.overlaps[key] = ov.total_m2
    out_geom = layer.outside(ctx.geom, ctx.cand(key))
    out_m2 = geodesic_area_m2(out_geom) if not out_geom.is_empty else 0.0
    if out_m2 <= ctx.tol:
        out_m2 = 0.0
    else:
        ctx.geoms[geom_key] = out_geom
    share = min(out_m2 / ctx.area_m2, 1.0) if ctx.area_m2 else 0.0
    details: dict[str, Any] = {"outside_m2": _r(out_m2), "outside_mu": _r(out_m2 / M2_PER_MU, 4),
                               "share_outside": _r(share, 6), "inside_m2": _r(max(ctx.area_m2 - out_m2, 0.0)),
                               "parcels": ctx.by_parcel(out_geom, out_m2)}
    if key == "urban_boundary":
        hits, n = _hits(ctx, key, ov)
        details.update(hits_total=n, hits=hits)
    src = layer.source.value_source
    if out_m2 <= rule.threshold_value:
        return _row(rule, PASS, _r(out_m2), f"全部位于{zh_name}内", f"Entirely inside {en_name}", value_source=src,
                    details=details)
    azh, aen = _fmt_m2(out_m2)
    return _row(rule, rule.severity, _r(out_m2), f"有 {azh} 位于{zh_name}外，占方案面积 {_pct(share)}",
                f"{aen} lies outside {en_name}, {_pct(share)} of the proposal", value_source=src, details=details)


@registry.rule("urban_boundary")
def rule_urban_boundary(ctx: CheckContext, rule: Rule) -> RuleResult:
    nzh, nen = control_layers()["urban_boundary"].message or ("城镇开发边界", "the urban development boundary")
    return _outside_rule(ctx, rule, "urban_boundary", "urban_boundary_outside", nzh, nen)


@registry.rule("in_sichuan")
def rule_in_sichuan(ctx: CheckContext, rule: Rule) -> RuleResult:
    return _outside_rule(ctx, rule, "province", "outside_province", "四川省界", "Sichuan province")


@registry.rule("river_1km")
def rule_river_1km(ctx: CheckContext, rule: Rule) -> RuleResult:
    if "rivers" not in ctx.index.layers:
        return _missing_layer(rule, "rivers")
    layer: LineIndex = ctx.index.layers["rivers"]  # type: ignore[assignment]
    classes = tuple(rule.params.get("river_classes", ()))
    epsg, gk = ctx.gk
    hit = layer.nearest(gk, epsg, classes)
    if hit is None:
        return _na(rule, "河流图层中没有受管控的长江干支流（river_class）", "the rivers layer holds no regulated Yangtze river (river_class)")
    dist, row, part = hit
    info = layer.feature_info(row)
    link = shapely.shortest_line(gk, part)
    ctx.geoms["river_link"] = project_geometry(link, epsg, EPSG_CGCS2000)
    thr = rule.threshold_value
    within = dist <= thr + 1e-6
    rname = info.get("name") or info.get("id")
    details = {"distance_m": _r(dist, 1), "nearest_river": info, "within": within, "chemical": bool(ctx.p.chemical),
               "measured_to": "river line of the layer (岸线 approximated by the line)"}
    src = layer.source.value_source
    if not within:
        return _row(rule, PASS, _r(dist, 1), f"距最近的长江干支流（{rname}）{_fmt_m(dist)}，在 {_fmt_m(thr)} 以外",
                    f"{_fmt_m(dist, 'en')} from the nearest Yangtze river ({rname}), beyond {_fmt_m(thr, 'en')}", value_source=src,
                    details=details)
    if ctx.p.chemical:
        return _row(rule, rule.severity, _r(dist, 1),
                    f"化工园区/项目距{rname} {_fmt_m(dist)}，位于岸线 {_fmt_m(thr)} 范围内，严禁新建、扩建",
                    f"Chemical park/project {_fmt_m(dist, 'en')} from the {rname}, within {_fmt_m(thr, 'en')}: new or expanded chemical projects are banned",
                    value_source=src, details=details)
    status = rule.params.get("non_chemical_severity", WARN)
    return _row(rule, status, _r(dist, 1),
                f"距{rname} {_fmt_m(dist)}，位于 {_fmt_m(thr)} 范围内；非化工项目，列为需关注（不得引入化工项目）",
                f"{_fmt_m(dist, 'en')} from the {rname}, within {_fmt_m(thr, 'en')}; not chemical, so attention (no chemical projects may locate here)",
                value_source=src, details=details)


@registry.rule("other_parks")
def rule_other_parks(ctx: CheckContext, rule: Rule) -> RuleResult:
    if "parks" not in ctx.index.layers or ctx.index._park_zone is None:
        return _missing_layer(rule, "parks")
    layer: PolygonIndex = ctx.index.layers["parks"]  # type: ignore[assignment]
    ov = ctx.overlap("parks")
    zid = ctx.zone["zone_id"]
    own = ctx.index._park_zone[ov.rows] == zid if len(ov.rows) else np.zeros(0, dtype=bool)
    other = ov.subset(~own, "other_parks")
    ctx.geoms["other_parks"] = other
    ctx.overlaps["other_parks"] = other.total_m2
    m2 = other.total_m2 if other.total_m2 > ctx.tol else 0.0
    hits: list[dict[str, Any]] = []
    if m2:
        feats = other.per_feature()[: ctx.max_hits]
        for (row, a), info in zip(feats, layer.features_info([r for r, _ in feats])):
            info.update(overlap_m2=_r(a), overlap_mu=_r(a / M2_PER_MU, 4))
            hits.append(info)
    share = min(m2 / ctx.area_m2, 1.0) if ctx.area_m2 else 0.0
    details = {"overlap_m2": _r(m2), "overlap_mu": _r(m2 / M2_PER_MU, 4), "share": _r(share, 6),
               "hits_total": len(other.per_feature()), "hits": hits, "parcels": ctx.by_parcel(other, m2)}
    src = layer.source.value_source
    if m2 <= rule.threshold_value:
        return _row(rule, PASS, _r(m2), "不与其他开发区的园区重叠", "No overlap with another zone's parks",
                    value_source=src, details=details)
    zones = sorted({str(h["attributes"].get("zone_id")) for h in hits})
    azh, aen = _fmt_m2(m2)
    return _row(rule, rule.severity, _r(m2), f"与其他开发区（{'、'.join(zones)}）的园区重叠 {azh}",
                f"Overlaps parks of other zones ({', '.join(zones)}) by {aen}", value_source=src, details=details)


def _own_parks_gk(ctx: CheckContext) -> tuple[list[BaseGeometry], list[int]]:
    """The zone's parks in the proposal's GK zone, minus the removed parts (调区)."""
    layer: PolygonIndex = ctx.index.layers["parks"]  # type: ignore[assignment]
    rows = ctx.index.park_rows(ctx.zone["zone_id"])
    epsg, _ = ctx.gk
    out, kept = [], []
    for r in rows:
        g = layer.frame.geometry.iloc[int(r)]
        if ctx.removed is not None:
            g = g.difference(ctx.removed)
        if g is None or g.is_empty:
            continue
        out.append(project_geometry(g, EPSG_CGCS2000, epsg))
        kept.append(int(r))
    return out, kept


@registry.rule("contiguity")
def rule_contiguity(ctx: CheckContext, rule: Rule) -> RuleResult:
    if "parks" not in ctx.index.layers or ctx.index._park_zone is None:
        return _missing_layer(rule, "parks")
    parks, rows = _own_parks_gk(ctx)
    if not parks:
        return _na(rule, "本开发区没有（剩余的）现有园区可比较", "the zone has no (remaining) existing park to compare with")
    epsg, gk = ctx.gk
    thr = rule.threshold_value
    existing = shapely.union_all(parks)
    parts = [p for p in polygon_parts(gk)]
    d_park = np.array([p.distance(existing) for p in parts])
    # Parts chain: a part within the distance of a connected part is connected too.
    connected = d_park <= thr + 1e-6
    if len(parts) > 1:
        d_pp = np.array([[a.distance(b) for b in parts] for a in parts])
        changed = True
        while changed:
            changed = False
            for i in np.flatnonzero(~connected):
                if np.any(connected & (d_pp[i] <= thr + 1e-6)):
                    connected[i] = True
                    changed = True
    dist = float(d_park.min())
    nearest = int(np.argmin([gk.distance(p) for p in parks]))
    layer: PolygonIndex = ctx.index.layers["parks"]  # type: ignore[assignment]
    park_info = layer.feature_info(rows[nearest], attributes=False)
    if dist > 0:
        ctx.geoms["park_link"] = project_geometry(shapely.shortest_line(gk, parks[nearest]), epsg, EPSG_CGCS2000)
    n_sep = int((~connected).sum())
    details = {"distance_m": _r(dist, 1), "nearest_park": park_info, "parts": len(parts), "separate_parts": n_sep,
               "part_distances_m": [_r(float(x), 1) for x in d_park], "touching": bool(dist == 0.0)}
    src = layer.source.value_source
    if n_sep == 0:
        how_zh = "与现有园区相接" if dist == 0 else f"距现有园区 {_fmt_m(dist)}（≤ {_fmt_m(thr)}）"
        how_en = "touches an existing park" if dist == 0 else f"{_fmt_m(dist, 'en')} from an existing park (≤ {_fmt_m(thr, 'en')})"
        return _row(rule, PASS, _r(dist, 1), f"集中连片：{how_zh}", f"Contiguous: {how_en}", value_source=src, details=details)
    far = float(d_park[~connected].min())
    return _row(rule, rule.severity, _r(dist, 1),
                f"{n_sep} 个地块与现有园区不连片（最近 {_fmt_m(far)} > {_fmt_m(thr)}），将成为本开发区的另一个园",
                f"{n_sep} part(s) not contiguous with the existing parks (nearest {_fmt_m(far, 'en')} > {_fmt_m(thr, 'en')}); "
                f"they become another park (园) of the zone", value_source=src, details=details)


@registry.rule("adjust_balance")
def rule_adjust_balance(ctx: CheckContext, rule: Rule) -> RuleResult:
    added = ctx.area_m2 - ctx.overlaps.get("own_parks", 0.0)
    removed_eff = 0.0
    removed_out = 0.0
    if ctx.removed is not None and "parks" in ctx.index.layers:
        layer: PolygonIndex = ctx.index.layers["parks"]  # type: ignore[assignment]
        rows = set(ctx.index.park_rows(ctx.zone["zone_id"]).tolist())
        rem = ctx.removed
        ov = layer.overlap(rem)
        mask = np.array([r in rows for r in ov.rows], dtype=bool)
        own = ov.subset(mask, "removed") if len(ov.rows) else ov
        removed_eff = own.total_m2
        removed_out = max(geodesic_area_m2(rem) - removed_eff, 0.0)
    elif ctx.removed is not None:
        removed_eff = geodesic_area_m2(ctx.removed)
    net = added - removed_eff
    details = {"added_m2": _r(added), "removed_m2": _r(removed_eff), "removed_outside_parks_m2": _r(removed_out),
               "net_m2": _r(net), "net_mu": _r(net / M2_PER_MU, 4), "removed_given": ctx.removed is not None}
    src = ctx.index.layers["parks"].source.value_source if "parks" in ctx.index.layers else ""
    if net <= rule.threshold_value + ctx.tol:
        return _row(rule, PASS, _r(net), f"调入 {_fmt_m2(added)[0]}，调出 {_fmt_m2(removed_eff)[0]}，面积不增加",
                    f"Added {_fmt_m2(added)[1]}, removed {_fmt_m2(removed_eff)[1]}: no net increase", value_source=src,
                    details=details)
    nzh, nen = _fmt_m2(net)
    extra_zh = "（未给出调出范围）" if ctx.removed is None else ""
    extra_en = " (no removed parts given)" if ctx.removed is None else ""
    return _row(rule, rule.severity, _r(net), f"净增 {nzh}{extra_zh}，视同扩区", f"Net increase of {nen}{extra_en}: treated like an expansion",
                value_source=src, details=details)


__all__ = [
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
