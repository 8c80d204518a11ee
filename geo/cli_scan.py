"""``parkmap scan``: 存量体检 — the existing parks against the control lines (:mod:`geo.scan`).

``scan [--layers DIR] [--zone ID | --prefecture NAME] [--json] [--out scan.xlsx|scan.gpkg] [--user NAME]``
scans the parks of the province (default), one prefecture or one zone, prints
per-prefecture totals (or the JSON document), optionally writes the Excel
workbook (one sheet per layer) or a GeoPackage of the conflicting pieces, and,
when a workspace exists, records the audit event ``scan`` (who, when, the
layer versions and hashes, the totals), as ``check`` records who checked.
Exit 0 (a scan is a report, conflicts are not an error), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from geo.errors import ParkmapError
from geo.units import fmt_area, fmt_pct

if TYPE_CHECKING:  # pragma: no cover
    from geo.cli_admin import Subparsers
    from geo.scan import ScanResult

EXIT_OK = 0


def format_scan_text(result: ScanResult) -> str:
    """The scan as text: scope, layers, per-layer totals and the prefectures with conflicts."""
    from geo.scan import MEASURES, SCAN_LAYERS

    lines = [f"存量体检 Health check of existing parks — {result.scope['label']} ({result.scope['kind']}), "
             f"{result.parks['park_id'].nunique()} 个园区 parks, {result.at}"]
    for k, v in result.layer_record().items():
        ver = f" v{v['version']}" if v.get("version") else ""
        flag = " 示意 illustrative" if v.get("illustrative") else ""
        lines.append(f"  图层 layer {k}{ver}{flag}: {v.get('source', '')}, hash {str(v.get('hash', ''))[:16]}…")
    shown = result.illustrative_layers()
    if shown:
        lines.append(f"  ⚠ 示意图层（非官方数据，不得作为审批依据）/ illustrative layers (not official data): {', '.join(shown)}")
    lines.append(f"  化工开发区 chemical zones (industry links {', '.join(result.chemical_industries)}): "
                 f"{', '.join(sorted(result.chemical)) or '—'}")
    totals = result.totals()
    prefs = result.prefectures()
    for key in SCAN_LAYERS:
        zh, en = MEASURES[key]
        t = totals[key]
        lines += ["", f"{zh} / {en}: {t['parks_in_conflict']}/{t['parks']} 个园区 parks, {fmt_area(t['conflict_m2'])}"
                      f" / {fmt_area(t['conflict_m2'], 'en')}"]
        hit = prefs[(prefs["layer"] == key) & (prefs["conflict_m2"] > 0)]
        for rec in hit.to_dict("records"):
            lines.append(f"    {rec['prefecture']}: {int(rec['parks_in_conflict'])} 个园区, {fmt_area(rec['conflict_m2'])}，"
                         f"占园区面积 {fmt_pct(rec['share'])}")
    return "\n".join(lines)


def run_scan(args: argparse.Namespace) -> int:
    """Handle ``scan``."""
    from geo.checkflow import control_index
    from geo.scan import record_scan, scan_parks

    ws = actor = None
    if _has_workspace():
        from geo.cli_admin import cli_actor
        from geo.workspace import open_workspace

        ws = open_workspace()
        actor = cli_actor(ws, args)
        actor.require("check")
    for flag, value in (("--zone", args.zone), ("--prefecture", args.prefecture)):
        if value is not None and not str(value).strip():  # an empty scope is a mistake, not "the whole province"
            raise ParkmapError(f"{flag} 不能为空", f"{flag} must not be empty", "不加此项即体检全省 / leave it out to scan "
                               "the whole province", code="usage")
    if args.out is not None and Path(args.out).suffix.lower() not in (".xlsx", ".gpkg"):  # before the scan runs
        raise ParkmapError("--out 只支持 .xlsx 或 .gpkg", "--out must end in .xlsx or .gpkg", code="usage")
    if args.zone:
        from geo.dataset import load_layer
        from geo.scan import resolve_scan_zone
        from geo.zones import resolve_zone

        # an unknown zone is refused (closest ids and names) before any index is built
        resolve_scan_zone(args.zone, load_layer("zones"), resolve_zone)
    index = control_index(args.layers, workspace=ws, actor=actor)
    result = scan_parks(index, zone=args.zone, prefecture=args.prefecture)
    if args.out is not None:
        result.write(args.out)
    if ws is not None:
        record_scan(ws, result, actor)
    if args.json:
        doc = result.document()
        if args.out is not None:
            doc["out"] = str(args.out)
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(format_scan_text(result))
        if args.out is not None:
            print(f"\n已写出 written: {args.out}")
    return EXIT_OK


def _has_workspace() -> bool:
    from geo import settings
    from geo.workspace import DB_NAME, default_home

    return bool(settings.database_url()) or (default_home() / DB_NAME).exists()


def add_scan(sub: Subparsers) -> None:
    """Register ``scan``."""
    from geo.cli_admin import add_user_option

    p = sub.add_parser("scan", help="存量体检：现有园区与三条控制线的冲突 / health check of the existing parks",
                       description="把现有园区与生态保护红线、永久基本农田、城镇开发边界（界外面积）及化工开发区的长江干支流1公里"
                                   "范围比对，按园区、开发区、市州汇总。 / Scans the existing parks against the red line, the "
                                   "farmland, the urban boundary (area outside) and, for chemical zones, 1 km of the "
                                   "Yangtze rivers; per park, zone and prefecture.")
    p.add_argument("--layers", type=Path, help="正式管控图层文件夹 / folder of official control layers")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--zone", help="只查一个开发区（编号或目录代码） / one zone (id or catalogue code)")
    scope.add_argument("--prefecture", help="只查一个市州（名称或行政区代码） / one prefecture (name or adcode)")
    p.add_argument("--json", action="store_true", help="输出 JSON / as JSON")
    p.add_argument("--out", type=Path, help="写出 scan.xlsx（每个图层一张表）或 scan.gpkg（冲突图斑） / write .xlsx "
                                            "(one sheet per layer) or .gpkg (the conflicting pieces)")
    add_user_option(p)
    p.set_defaults(handler=run_scan)


__all__ = ["add_scan", "format_scan_text", "run_scan"]
