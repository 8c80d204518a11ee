"""``parkmap`` command line: the engine's commands and the plumbing.

Subcommands are registered in :data:`COMMANDS`; each has an ``add_*``
function building its sub-parser and a handler ``(args) -> int``.  The
``snapshot`` and ``report`` commands draw maps with the layer specs, so they
live above the engine in :mod:`layers.cli`, which is the ``parkmap`` console
script (``python -m layers``) and plugs them in the same way.

Exit codes: 0 success, 2 bad input (one bilingual line on stderr), 130
interrupted.  ``check`` also exits 1 when any proposal fails or needs
attention.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import sys
import warnings as _warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

from geo.cli_admin import add_audit, add_backup, add_user_option, add_users
from geo.cli_db import add_db
from geo.cli_layers import add_layers
from geo.cli_scan import add_scan
from geo.cli_sites import add_sites
from geo.area import centroid_lonlat, count_parts_holes, geodesic_area_m2, to_mu
from geo.controls import official_file_names
from geo.errors import ParkmapError, bilingual
from geo.jsonutil import json_value
from geo.units import fmt_area, fmt_value

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

    from geo.audit import AuditInfo
    from geo.auth import Actor
    from geo.check import CheckResult, ControlIndex
    from geo.cli_admin import Subparsers
    from geo.io.read import ReadResult
    from geo.proposal import ProposalParcels
    from geo.rules import RuleSet
    from geo.workspace import WorkspaceRecords as Workspace

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

#: Version of the ``inspect --json`` document layout.
INSPECT_SCHEMA = "parkmap.inspect/1"


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one bilingual line + exit 2."""

    def error(self, message: str) -> NoReturn:
        raise ParkmapError(f"命令行参数错误：{message}", f"Invalid arguments: {message}",
                           f"运行 {self.prog} -h 查看用法 / run {self.prog} -h for usage", code="usage")


# --------------------------------------------------------------------------
# JSON helpers
# --------------------------------------------------------------------------
json_value = json_value  # re-exported: moved to geo.jsonutil (the engine must not import the CLI)


def _round(v: float, nd: int) -> float:
    return float(round(v, nd))


# --------------------------------------------------------------------------
# inspect
# --------------------------------------------------------------------------
def feature_report(pos: int, geom: BaseGeometry, attrs: dict[str, Any]) -> dict[str, Any]:
    """Describe one lon/lat feature."""
    parts, holes = count_parts_holes(geom)
    area = geodesic_area_m2(geom)
    lon, lat = centroid_lonlat(geom)
    return {
        "index": pos + 1,
        "geometry_type": geom.geom_type,
        "parts": parts,
        "holes": holes,
        "area_m2": _round(area, 2),
        "area_mu": _round(to_mu(area), 4),
        "centroid": [_round(lon, 7), _round(lat, 7)],
        "bounds": [_round(v, 7) for v in geom.bounds],
        "attributes": {str(k): json_value(v) for k, v in attrs.items()},
    }


def inspect_report(path: Path, result: ReadResult) -> dict[str, Any]:
    """Build the stable ``inspect`` document from a :class:`geo.io.ReadResult`."""
    gdf = result.gdf
    geom_col = gdf.geometry.name
    features = [
        feature_report(pos, geom, row.drop(labels=[geom_col]).to_dict())
        for pos, ((_, row), geom) in enumerate(zip(gdf.iterrows(), gdf.geometry))
    ]
    total = sum(f["area_m2"] for f in features)
    return {
        "schema": INSPECT_SCHEMA,
        "file": str(path),
        "driver": result.driver,
        "layers": list(result.layers),
        "crs": result.source_crs.to_dict(),
        "output_crs": "EPSG:4490",
        "encoding": result.encoding,
        "feature_count": len(features),
        "total_area_m2": _round(total, 2),
        "total_area_mu": _round(to_mu(total), 4),
        "features": features,
        "warnings": list(result.warnings),
    }


def _fmt_attrs(attrs: dict[str, Any]) -> str:
    items = [f"{k}={'' if v is None else v}" for k, v in attrs.items()]
    return "; ".join(items) if items else "—"


def format_inspect_text(doc: dict[str, Any]) -> str:
    """Human-readable (Chinese + English) rendering of an inspect document."""
    crs = doc["crs"]
    lines = [
        f"文件 File: {doc['file']}",
        f"格式 Driver: {doc['driver']}   图层 Layers: {', '.join(doc['layers']) or '—'}",
        f"坐标系 CRS: EPSG:{crs['epsg']} {crs['name']}  [{crs['method']}]" + (f"  {crs['note']}" if crs["note"] else ""),
        f"编码 Encoding: {doc['encoding'] or '—'}",
        f"要素数 Features: {doc['feature_count']}   "
        f"总面积 Total area: {fmt_area(doc['total_area_m2'])} / {fmt_area(doc['total_area_m2'], 'en')}",
    ]
    for f in doc["features"]:
        lon, lat = f["centroid"]
        x0, y0, x1, y1 = f["bounds"]
        lines += [
            "",
            f"[{f['index']}] {f['geometry_type']}  部分 parts: {f['parts']}  洞 holes: {f['holes']}",
            f"    面积 Area: {fmt_area(f['area_m2'])} / {fmt_area(f['area_m2'], 'en')}",
            f"    中心 Centroid (lon, lat): {lon:.6f}, {lat:.6f}",
            f"    范围 Bounds: {x0:.6f}, {y0:.6f} – {x1:.6f}, {y1:.6f}",
            f"    属性 Attributes: {_fmt_attrs(f['attributes'])}",
        ]
    if doc["warnings"]:
        lines += ["", "警告 Warnings:"] + [f"  - {w}" for w in doc["warnings"]]
    return "\n".join(lines)


def add_inspect(sub: Subparsers) -> None:
    """Register ``inspect``."""
    p = sub.add_parser("inspect", help="查看矢量文件 / inspect a vector file",
                       description="读取矢量文件并报告每个要素 / Read a vector file and report every feature.")
    p.add_argument("file", type=Path, help=".gpkg .geojson .json .kml .kmz .shp .zip .txt")
    p.add_argument("--json", action="store_true", help="输出 JSON / print a JSON document")
    p.add_argument("--crs", help="坐标系，如 4523 或 EPSG:4544 / CRS of the coordinates, e.g. 4523")
    p.add_argument("--encoding", help="属性编码，如 gbk / attribute encoding, e.g. gbk")
    p.add_argument("--layer", help="GeoPackage 图层 / GeoPackage layer")
    p.add_argument("--max-size-mb", type=float, default=None,
                   help="输入文件大小上限（MB，默认 500） / input size limit in MB (default 500)")
    p.set_defaults(handler=run_inspect)


def run_inspect(args: argparse.Namespace) -> int:
    """Handle ``inspect``."""
    from geo.io.archive import DEFAULT_LIMITS
    from geo.io.read import read_vector

    limits = DEFAULT_LIMITS
    if args.max_size_mb is not None:
        limits = dataclasses.replace(limits, max_file_bytes=int(args.max_size_mb * 1024 * 1024))
    with _captured_library_warnings() as lib_warnings:
        result = read_vector(args.file, crs=args.crs, encoding=args.encoding, layer=args.layer, limits=limits)
    result.warnings.extend(w for w in lib_warnings if w not in result.warnings)
    doc = inspect_report(args.file, result)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(format_inspect_text(doc))
    return EXIT_OK


# --------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------
EXIT_ATTENTION = 1

_TYPE_ALIASES = {"expand": "expand", "扩区": "expand", "adjust": "adjust", "调区": "adjust", "调位": "adjust"}
_STATUS_MARK = {"pass": "✓", "fail": "✗", "warn": "!", "info": "i", "not_applicable": "–"}
_STATUS_ZH = {"pass": "符合", "fail": "不符合", "warn": "需关注", "info": "提示", "not_applicable": "不适用"}


def _proposal_type(value: str) -> str:
    key = str(value).strip()
    if key.lower() in _TYPE_ALIASES:
        return _TYPE_ALIASES[key.lower()]
    if key in _TYPE_ALIASES:
        return _TYPE_ALIASES[key]
    raise argparse.ArgumentTypeError(f"expand|adjust (扩区|调区), not {value!r}")


def add_check(sub: Subparsers) -> None:
    """Register ``check``."""
    p = sub.add_parser(
        "check", help="扩区/调区核查 / check expansion proposals",
        description="按管控线和扩区条件核查方案：文件中的所有面要素（地块）作为一个方案，给出一个结论和分地块数据 / "
                    "Check the proposal in FILE against the control lines and the eligibility rules: all polygon "
                    "features (parcels, 地块) form one proposal with one verdict and a per-parcel breakdown "
                    "(--feature N: only feature N; --each: every feature as its own proposal). "
                    "Exit 0 all pass, 1 any fail or attention, 2 bad input.")
    p.add_argument("file", type=Path, help="方案文件 / proposal file (.gpkg .geojson .json .kml .kmz .shp .zip .txt)")
    p.add_argument("--zone", required=True, help="开发区编号或目录代码，如 S517077 / zone id or catalogue code")
    p.add_argument("--type", type=_proposal_type, default="expand", dest="ptype",
                   help="expand（扩区，默认）或 adjust（调区/调位） / expand (default) or adjust")
    p.add_argument("--chemical", action="store_true", help="化工园区/化工项目 / chemical zone or project")
    p.add_argument("--major-project", action="store_true", help="《土地管理法》第三十五条重点建设项目（能源、交通、水利、军事设施等），占用永久基本农田须经国务院批准 / key project of Land Administration Law Art. 35 (energy, transport, water, military): farmland needs State Council approval")
    p.add_argument("--removed", type=Path, help="调区的调出范围文件 / file with the parts removed (adjust)")
    p.add_argument("--layers", type=Path,
                   help=f"正式管控图层文件夹（{official_file_names()} + .gpkg/.shp/...）/ "
                        "folder of official control layers, matched by file stem")
    p.add_argument("--rules", type=Path, help="规则文件（默认 data/rules.yaml） / rules file")
    p.add_argument("--json", action="store_true", help="输出 JSON / print a JSON document")
    p.add_argument("--crs", help="方案文件坐标系 / CRS of FILE, e.g. 4523")
    p.add_argument("--encoding", help="属性编码 / attribute encoding, e.g. gbk")
    p.add_argument("--layer", help="GeoPackage 图层 / GeoPackage layer of FILE")
    p.add_argument("--feature", type=int, help="只核查第几个面要素（从 1 起） / check only this polygon feature (1-based)")
    p.add_argument("--each", action="store_true",
                   help="每个要素作为单独的方案分别核查 / check every feature as a separate proposal")
    p.add_argument("--save", action="store_true",
                   help="保存方案与核查记录到工作区（$PARKMAP_HOME），多个方案要么全部保存、要么都不保存 / save proposals "
                        "and checks to the workspace, all or nothing")
    _add_repair_option(p)
    p.set_defaults(handler=run_check)


def _add_repair_option(p: argparse.ArgumentParser) -> None:
    """Add ``--repair`` (repair invalid parcels instead of refusing them) to a proposal-reading command."""
    p.add_argument("--repair", action="store_true",
                   help="自动修复无效（自相交）地块并报告修复前后面积；默认报错 / repair invalid (self-intersecting) "
                        "parcels and report the area before and after; default: refuse them (exit 2)")


def read_proposals(gdf: gpd.GeoDataFrame, *, feature: int | None = None, each: bool = False, default_name: str = "",
                   repair: bool = False) -> list[ProposalParcels]:
    """The proposals of a read file: one (all parcels, or ``feature`` N), or one per feature with ``each``.

    ``repair``: repair invalid parcels instead of refusing them (``--repair``).
    Returns :class:`geo.proposal.ProposalParcels` objects.
    """
    from geo.proposal import proposal_from_frame

    if each and feature is not None:
        raise ParkmapError("--each 与 --feature 不能同时使用", "--each and --feature cannot be used together", code="usage")
    if each:
        return [proposal_from_frame(gdf, feature=i + 1, name=f"{default_name}#{i + 1}", repair=repair)
                for i in range(len(gdf))]
    return [proposal_from_frame(gdf, feature=feature, name=default_name, repair=repair)]


def read_removed(path: Path, repair: bool = False) -> ProposalParcels:
    """The removed parts of an 调区 (``--removed FILE``): the union of its polygons, checked like a proposal.

    Returns :class:`geo.proposal.ProposalParcels` (its ``repairs`` go into the check record).
    """
    from geo.proposal import proposal_from_frame, read_proposal_file

    return proposal_from_frame(read_proposal_file(path).gdf, name=path.stem, repair=repair)


def check_document(path: Path, results: list[CheckResult], *, zone: dict[str, Any], options: dict[str, Any],
                   rules: RuleSet, index: ControlIndex, warnings: list[str], saved: list[dict[str, int]] | None = None) -> dict[str, Any]:
    """The stable ``parkmap check --json`` document (schema ``parkmap.check/1``)."""
    from geo.check import CHECK_SCHEMA

    proposals = []
    for i, r in enumerate(results):
        d = {"index": i + 1, **r.to_dict(include_timestamp=False)}
        if saved:
            d["saved"] = saved[i]
        proposals.append(d)
    counts = {v: sum(1 for r in results if r.verdict == v) for v in ("pass", "fail", "attention")}
    overall = "fail" if counts["fail"] else "attention" if counts["attention"] else "pass"
    return {
        "schema": CHECK_SCHEMA,
        "file": str(path),
        "zone": {k: zone.get(k) for k in ("zone_id", "catalogue_code", "name", "short_name", "zone_class", "level")},
        "options": options,
        "rules_file": rules.source,
        "rules_version": rules.version,
        "rules_hash": rules.hash,
        "layers": index.layer_sources(),
        "verdict": overall,
        "summary": {"proposals": len(results), **counts},
        "proposals": proposals,
        "warnings": warnings,
    }


def format_check_text(doc: dict[str, Any]) -> str:
    """Human-readable (Chinese + English) rendering of a check document."""
    from geo.check import TYPE_NAMES, VERDICTS
    from geo.validate import repair_lines

    z, o = doc["zone"], doc["options"]
    yn = {True: "是 yes", False: "否 no"}
    lines = [
        f"开发区 Zone: {z['zone_id']} {z.get('name') or ''}（{z.get('zone_class') or '—'}，{z.get('level') or '—'}）",
        f"类型 Type: {TYPE_NAMES[o['type']][0]} {o['type']}   化工 Chemical: {yn[o['chemical']]}   "
        f"重点建设项目（土地管理法第三十五条） Key project (Land Administration Law Art. 35): {yn[o['major_project']]}",
        f"规则 Rules: {doc['rules_file']} v{doc['rules_version']} ({doc['rules_hash'][:12]})",
        "图层 Layers: " + "; ".join(f"{k} {'示意 illustrative' if v['illustrative'] else v['source']}"
                                   for k, v in doc["layers"].items()),
    ]
    for p in doc["proposals"]:
        vzh, ven = VERDICTS[p["verdict"]]
        lines += ["", f"[{p['index']}] {p['name']} — 结论 Verdict: {vzh} {ven.upper()}   "
                      f"面积 Area: {fmt_area(p['area_m2'])} / {fmt_area(p['area_m2'], 'en')}"]
        parcels = p.get("parcels") or []
        if len(parcels) > 1:
            lines.append(f"  地块 Parcels ({len(parcels)}): " + "；".join(f"{x['label']} {fmt_area(x['area_m2'])}"
                                                                     for x in parcels))
        lines += [f"  修复 Repaired: {line}" for line in repair_lines(p.get("repair"))]
        for r in p["rules"]:
            name = r.get("name_zh") or r["id"]
            lines.append(f"  {_STATUS_MARK.get(r['status'], '?')} {name}（{r['id']}） {_STATUS_ZH.get(r['status'], '')} "
                         f"{r['status']}  数值 value {fmt_value(r['value'], r['unit'])} / "
                         f"阈值 threshold {fmt_value(r['threshold'], r['unit'])}")
            lines.append(f"      {r['message_zh']} / {r['message_en']}")
            by = (r.get("details") or {}).get("parcels") or []
            if len(by) > 1 and any(x.get("value") for x in by):
                lines.append("      分地块 By parcel: " + "；".join(f"{x['label']} {fmt_value(x['value'], r['unit'])}"
                                                             for x in by))
            if r.get("citation"):
                lines.append(f"      依据 Basis: {r['citation']}")
        if p.get("saved"):
            lines.append(f"  已保存 Saved: proposal {p['saved']['proposal_id']}, check {p['saved']['check_id']}")
    s = doc["summary"]
    lines += ["", f"汇总 Summary: {s['proposals']} 个方案 proposals — 符合 pass {s['pass']}, 不符合 fail {s['fail']}, "
                  f"需关注 attention {s['attention']}",
              "原文摘录与文件行号见 --json 的 citation_quote、citation_ref 字段 / quotes and file lines: "
              "citation_quote, citation_ref in --json"]
    if doc["warnings"]:
        lines += ["", "警告 Warnings:"] + [f"  - {w}" for w in doc["warnings"]]
    return "\n".join(lines)


def run_check(args: argparse.Namespace) -> int:
    """Handle ``check`` (the sequence itself is :func:`geo.checkflow.run_checks`)."""
    from geo.checkflow import CheckOptions, run_checks
    from geo.proposal import read_proposal_file

    ws, actor = _workspace_actor(args, "save" if args.save else "check")  # who, before any work
    with _captured_library_warnings() as lib_warnings:
        res = read_proposal_file(args.file, crs=args.crs, encoding=args.encoding, layer=args.layer)
        removed = read_removed(args.removed, args.repair) if args.removed is not None else None
    items = read_proposals(res.gdf, feature=args.feature, each=args.each, default_name=args.file.stem,
                           repair=args.repair)
    warnings = list(res.warnings) + [w for w in lib_warnings if w not in res.warnings]
    warnings += [w for item in items for w in item.warnings] + (removed.warnings if removed is not None else [])
    run = run_checks(items, args.zone, CheckOptions(args.ptype, bool(args.chemical), bool(args.major_project),
                                                    bool(args.repair)),
                     removed=removed, layers=args.layers, rules_path=args.rules, save=bool(args.save and ws),
                     workspace=ws, actor=actor, source=f"cli:{args.file}")
    zone, index, rules, results = run.zone, run.index, run.rules, run.results
    saved = [{"proposal_id": pid, "check_id": cid} for pid, cid in run.saved] if run.saved is not None else None
    options = {"type": args.ptype, "chemical": bool(args.chemical), "major_project": bool(args.major_project),
               "removed": str(args.removed) if args.removed else None,
               "layers": str(args.layers) if args.layers else None}
    if args.repair:
        options["repair"] = True
    if args.feature is not None or args.each:
        options.update(feature=args.feature, each=bool(args.each))
    doc = check_document(args.file, results, zone=zone, options=options, rules=rules, index=index,
                         warnings=warnings, saved=saved)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(format_check_text(doc))
    return EXIT_OK if doc["verdict"] == "pass" else EXIT_ATTENTION


# --------------------------------------------------------------------------
# One proposal (a saved id or a file) with its check: shared with the
# snapshot/report commands, which draw maps and so live in layers.cli
# --------------------------------------------------------------------------
def _add_proposal_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--type", type=_proposal_type, default="expand", dest="ptype",
                   help="expand（扩区，默认）或 adjust（调区/调位） / expand (default) or adjust")
    p.add_argument("--chemical", action="store_true", help="化工园区/化工项目 / chemical zone or project")
    p.add_argument("--major-project", action="store_true", help="《土地管理法》第三十五条重点建设项目（能源、交通、水利、军事设施等），占用永久基本农田须经国务院批准 / key project of Land Administration Law Art. 35 (energy, transport, water, military): farmland needs State Council approval")
    p.add_argument("--removed", type=Path, help="调区的调出范围文件 / file with the parts removed (adjust)")
    p.add_argument("--control-layers", type=Path, dest="control_layers",
                   help="正式管控图层文件夹（同 check --layers） / folder of official control layers (as check --layers)")
    p.add_argument("--crs", help="方案文件坐标系 / CRS of the proposal file, e.g. 4523")
    p.add_argument("--encoding", help="属性编码 / attribute encoding, e.g. gbk")
    p.add_argument("--layer", help="GeoPackage 图层 / GeoPackage layer of the proposal file")
    p.add_argument("--feature", type=int, help="只用文件中第几个面要素（从 1 起；默认全部地块作为一个方案） / only this "
                                               "polygon feature of the file (1-based; default: all parcels as one proposal)")
    _add_repair_option(p)


def _is_saved_id(ref: str) -> bool:
    return str(ref).strip().isdigit() and not Path(ref).exists()


def _read_one_proposal(args: argparse.Namespace, path: Path) -> ProposalParcels:
    """The proposal of FILE: all its polygon features (parcels) as one, or ``--feature`` N (ProposalParcels)."""
    from geo.proposal import read_proposal_file

    with _captured_library_warnings():
        res = read_proposal_file(path, crs=args.crs, encoding=args.encoding, layer=args.layer)
    return read_proposals(res.gdf, feature=args.feature, default_name=path.stem, repair=args.repair)[0]


def _check_file(args: argparse.Namespace, path: Path, zone_ref: str | None,
                save: bool) -> tuple[CheckResult, AuditInfo | None]:
    """Check a proposal file against ``zone_ref``; optionally save it (→ audit info)."""
    from geo.checkflow import CheckOptions, run_checks
    from geo.audit import AuditInfo

    if not zone_ref:
        raise ParkmapError("方案文件需要 --zone 指定开发区", "A proposal file needs --zone", "例如 --zone S517077 / "
                           "e.g. --zone S517077", code="usage")
    ws, actor = _workspace_actor(args, "save" if save else "check")
    item = _read_one_proposal(args, path)
    removed = read_removed(args.removed, args.repair) if args.removed is not None else None
    run = run_checks([item], zone_ref, CheckOptions(args.ptype, bool(args.chemical), bool(args.major_project),
                                                    bool(args.repair)),
                     removed=removed, layers=args.control_layers, save=bool(save and ws), workspace=ws, actor=actor,
                     source=f"cli:{path}")
    if not run.saved:
        return run.results[0], None
    assert ws is not None  # run_checks saves only into a workspace (save=bool(save and ws))
    return run.results[0], AuditInfo.from_saved(ws.get_check(run.saved[0][1]))


def _has_workspace() -> bool:
    """Is there a workspace (a database, or an embedded file): then even unsaved checks name their user?"""
    from geo import settings
    from geo.workspace import DB_NAME, default_home

    return bool(settings.database_url()) or (default_home() / DB_NAME).exists()


def _workspace_actor(args: argparse.Namespace, permission: str) -> tuple[Workspace | None, Actor | None]:
    """The workspace and who acts, with ``permission`` checked; (None, None) when not needed."""
    if permission != "save" and not _has_workspace():
        return None, None
    from geo.cli_admin import cli_actor
    from geo.workspace import open_workspace

    ws = open_workspace()
    actor = cli_actor(ws, args)
    actor.require(permission)
    return ws, actor


def _saved_check(ref: str, zone_ref: str | None) -> tuple[CheckResult, AuditInfo]:
    """Latest check of saved proposal ``ref`` (its zone must match ``--zone`` when given)."""
    from geo.audit import AuditInfo
    from geo.workspace import open_workspace
    from geo.zones import resolve_zone

    ws = open_workspace()
    saved = ws.get_proposal(int(ref))
    if zone_ref:
        zone = resolve_zone(zone_ref)
        if zone["zone_id"] != saved.zone_id:
            raise ParkmapError(f"方案 {ref} 属于开发区 {saved.zone_id}，不是 {zone['zone_id']}",
                               f"Proposal {ref} belongs to zone {saved.zone_id}, not {zone['zone_id']}", code="usage")
    checks = ws.checks_for(saved.id)
    if not checks:
        raise ParkmapError(f"方案 {ref} 还没有核查记录", f"Proposal {ref} has no check yet",
                           "先运行 parkmap check --save / run parkmap check --save first", code="not-found")
    return checks[-1].to_result(), AuditInfo.from_saved(checks[-1])


def _proposal_result(args: argparse.Namespace, ref: str, save: bool) -> tuple[CheckResult, AuditInfo | None]:
    if _is_saved_id(ref):
        return _saved_check(ref, args.zone)
    return _check_file(args, Path(ref), args.zone, save)


# --------------------------------------------------------------------------
# Plumbing
# --------------------------------------------------------------------------
class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        self.sink.append(bilingual(f"GDAL 提示：{msg}", f"GDAL: {msg}"))


@contextlib.contextmanager
def _captured_library_warnings() -> Iterator[list[str]]:
    """Collect Python warnings and GDAL log messages instead of printing them."""
    sink: list[str] = []
    handler = _ListHandler(sink)
    logger = logging.getLogger("pyogrio")
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            yield sink
        for w in caught:
            msg = " ".join(str(w.message).split())
            sink.append(bilingual(f"提示：{msg}", f"Note: {msg}"))
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


#: name → registration function.
COMMANDS: dict[str, Callable[[Subparsers], None]] = {
    "inspect": add_inspect, "check": add_check, "users": add_users, "audit": add_audit, "backup": add_backup,
    "db": add_db, "layers": add_layers, "scan": add_scan, "sites": add_sites,
}


def build_parser(commands: Mapping[str, Callable[[Subparsers], None]] | None = None,
                 ) -> argparse.ArgumentParser:
    """Build the top-level parser with one sub-parser per command (``commands``, default :data:`COMMANDS`)."""
    parser = _Parser(prog="parkmap", description="四川开发区规划工具 / Sichuan development-zone planning tools")
    # The sub-parsers make _Parser instances; the add_* functions only need ArgumentParser's methods
    # (``_SubParsersAction`` is invariant in its parser type, hence the cast).
    sub = cast("Subparsers", parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser))
    for add in (COMMANDS if commands is None else commands).values():
        add(sub)
    for name, p in sub.choices.items():
        if name in ("check", "report", "users", "audit", "backup"):
            add_user_option(p)
    return parser


def _utf8_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        enc = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
        if enc not in ("utf-8", "utf8") and hasattr(stream, "reconfigure"):
            with contextlib.suppress(Exception):
                stream.reconfigure(encoding="utf-8", errors="replace")


def _fail(err: ParkmapError) -> int:
    print(str(err), file=sys.stderr)
    return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None, *,
         commands: Mapping[str, Callable[[Subparsers], None]] | None = None) -> int:
    """Run the command line with ``commands`` (default: the engine's, :data:`COMMANDS`); returns the exit code.

    The ``parkmap`` console script is :func:`layers.cli.main`, which adds the
    ``snapshot`` and ``report`` commands (they draw maps with ``layers``).
    """
    _utf8_streams()
    parser = build_parser(commands)
    try:
        args = parser.parse_args(argv)
        if getattr(args, "handler", None) is None:
            parser.print_help(sys.stderr)
            return EXIT_BAD_INPUT
        return int(args.handler(args))
    except ParkmapError as err:
        return _fail(err)
    except KeyboardInterrupt:
        print("已中断 / Interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `parkmap inspect x --json | head`
        with contextlib.suppress(Exception):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # last resort: never show a traceback
        detail = " ".join((str(exc) or type(exc).__name__).split())[:200]
        return _fail(ParkmapError(f"无法读取或处理文件：{detail}", f"Cannot read or process the file: {type(exc).__name__}: {detail}",
                                  code="unexpected"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
