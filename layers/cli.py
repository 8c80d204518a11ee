"""The full ``parkmap`` command line: the engine's commands plus ``snapshot`` and ``report``.

``snapshot`` and ``report`` draw maps with the layer specs (:mod:`layers.export`,
:mod:`layers.report`), so they live here, above the engine; everything else
(the parser, exit codes, ``inspect``, ``check``, the admin commands, reading a
proposal and its check) is :mod:`geo.cli`, which never imports ``layers``.
This module's :func:`main` is the ``parkmap`` console script and ``python -m layers``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from geo import cli as engine_cli
from geo import settings
from geo.cli import EXIT_OK, _add_proposal_options, _proposal_result, _workspace_actor
from geo.errors import ParkmapError

# --------------------------------------------------------------------------
# snapshot / report (exports)
# --------------------------------------------------------------------------
_BASEMAP_ALIASES = {"none": "none", "osm": "osm", "tianditu": "tianditu_vec", "tianditu_vec": "tianditu_vec",
                    "tianditu_img": "tianditu_img", "gaode": "gaode", "amap": "gaode"}
_SNAPSHOT_SUFFIXES = (".png", ".html", ".pdf")


def _map_layers() -> list[str]:
    """The map's layer ids, in drawing order (the specs of :mod:`layers.specs`)."""
    from layers.specs import SPEC_BY_ID

    return list(SPEC_BY_ID)


def _checked_polygon_layers() -> list[str]:
    """The polygon control layers a proposal is checked against that the map can draw (registry order)."""
    from geo.controls import control_layers
    from layers.specs import SPEC_BY_ID

    return [k for k, v in control_layers().items() if v.kind == "polygon" and k in SPEC_BY_ID]


def _basemap(value: str) -> str:
    key = str(value).strip().lower()
    if key not in _BASEMAP_ALIASES:
        raise argparse.ArgumentTypeError(f"none|osm|tianditu|tianditu_img|gaode, not {value!r}")
    return _BASEMAP_ALIASES[key]


def add_snapshot(sub: argparse._SubParsersAction) -> None:
    """Register ``snapshot``."""
    p = sub.add_parser(
        "snapshot", help="导出地图（PNG/HTML/PDF） / export the map as PNG, HTML or PDF",
        description="导出当前视图的地图页面 / Export a map page (PNG, PDF) or an offline interactive map (HTML). "
                    "Exit 0 written, 2 bad input.")
    p.add_argument("--zone", help="高亮并缩放到开发区（编号或目录代码） / highlight and zoom to a zone (id or catalogue code)")
    p.add_argument("--bbox", help="范围 西,南,东,北（经纬度） / extent W,S,E,N in degrees")
    p.add_argument("--layers", help="图层，逗号分隔 / layers, comma-separated (default: the app's defaults): "
                                    + ",".join(_map_layers()))
    p.add_argument("--regions", help="经济区/经济带编号，逗号分隔（默认五大经济区） / region ids (default: the five economic regions)")
    p.add_argument("--basemap", type=_basemap, default="none", help="none（默认，离线）|osm|tianditu|gaode")
    p.add_argument("--color-by", choices=("class", "level"), default="class", help="开发区着色 / colour zones by")
    p.add_argument("--size", default="A4L", help="A4L（默认）|A4P|A3L|A3P")
    p.add_argument("--dpi", type=int, default=150, help="150（默认）或 300 / 150 (default) or 300")
    p.add_argument("--renderer", choices=("auto", "browser", "static"), default="auto",
                   help="auto：有 chromium 用浏览器，否则静态 / browser if chromium is installed, else static")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--title", default="", help="页面标题 / page title")
    p.add_argument("--proposal", help="画出方案及重叠部分：方案编号或文件（需 --zone） / draw a proposal and its overlaps: "
                                      "saved proposal id or file (needs --zone)")
    _add_proposal_options(p)
    p.add_argument("--out", type=Path, required=True, help="输出文件 .png .html .pdf / output file")
    p.set_defaults(handler=run_snapshot)


def add_report(sub: argparse._SubParsersAction) -> None:
    """Register ``report``."""
    p = sub.add_parser(
        "report", help="方案核查报告 PDF / PDF check report of a proposal",
        description="生成方案核查报告（1–3 页 A4） / Write the PDF check report of a saved proposal (by id) or of a "
                    "proposal file. A file is checked and saved to the workspace so the report carries an "
                    "audit-record id (--no-save to skip). Exit 0 written, 2 bad input.")
    p.add_argument("proposal", help="方案编号（工作区）或方案文件 / saved proposal id or proposal file")
    p.add_argument("--zone", help="开发区编号或目录代码（文件必填） / zone id or catalogue code (required for a file)")
    _add_proposal_options(p)
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="报告语言 / report language")
    p.add_argument("--no-save", action="store_true", help="不保存到工作区 / do not record the check in the workspace")
    p.add_argument("--data", type=Path, action="append", default=[],
                   help="同时导出方案与重叠部分 .gpkg .geojson .kml .txt（可重复） / also export the proposal and "
                        "its overlap pieces (repeatable)")
    p.add_argument("--gk-zone", type=int, help="TXT 的 3 度带带号 33–36 / GK zone of the TXT (33–36)")
    p.add_argument("--unprefixed", action="store_true", help="TXT 东坐标不带带号 / TXT eastings without the zone prefix")
    p.add_argument("--out", type=Path, required=True, help="输出 PDF / output PDF")
    p.set_defaults(handler=run_report)


def _check_out(path: Path, suffixes: tuple[str, ...]) -> str:
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise ParkmapError(f"输出文件扩展名应为 {'、'.join(suffixes)}：{path.name}",
                           f"The output file must end in {', '.join(suffixes)}: {path.name}", code="usage")
    if not path.parent.is_dir():
        raise ParkmapError(f"输出目录不存在：{path.parent}", f"Output folder does not exist: {path.parent}", code="write")
    return suffix


def _snapshot_view(args: argparse.Namespace, frames: dict[str, Any]) -> tuple[Any, str]:
    from layers.compose import DEFAULT_ACTIVE, MapView
    from layers.view_args import parse_bbox, parse_layers

    active = parse_layers(args.layers) if args.layers else DEFAULT_ACTIVE
    if args.proposal and not args.layers:  # show what the proposal is checked against
        active = parse_layers(list(active) + _checked_polygon_layers())
    regions_frame = frames["regions"]
    if args.regions:
        regions = tuple(r.strip() for r in args.regions.split(",") if r.strip())
        unknown = sorted(set(regions) - set(regions_frame["region_id"]))
        if unknown:
            raise ParkmapError(f"未知区域：{', '.join(unknown)}", f"Unknown regions: {', '.join(unknown)}",
                               f"可选 / choose from: {','.join(regions_frame['region_id'])}", code="usage")
    else:
        regions = tuple(regions_frame.loc[regions_frame["kind"] == "economic_region", "region_id"])
    zone_id = ""
    if args.zone:
        from geo.zones import resolve_zone

        zone_id = resolve_zone(args.zone)["zone_id"]  # the zone table only: no control index is built
    bounds = parse_bbox(args.bbox) if args.bbox else None
    view = MapView(bounds=bounds, basemap=args.basemap, active=active, regions=regions, color_by=args.color_by,
                   highlighted=zone_id, lang=args.lang, tianditu_key=settings.tianditu_token(),
                   title=args.title)
    name = ""
    if args.proposal:
        result, _ = _proposal_result(args, args.proposal, save=False)
        view.proposal, view.overlaps, name = result.geometry, dict(result.geometries), result.name
        view.highlighted = view.highlighted or (result.zone or {}).get("zone_id", "")
    return view, name


def run_snapshot(args: argparse.Namespace) -> int:
    """Handle ``snapshot``."""
    from layers import export
    from geo.io.write import write_bytes_atomic
    from layers.compose import load_frames

    suffix = _check_out(args.out, _SNAPSHOT_SUFFIXES)
    page = export.parse_page_size(args.size)
    dpi = export.check_dpi(args.dpi)
    frames = load_frames()
    view, name = _snapshot_view(args, frames)
    if suffix == ".html":
        data, what = export.snapshot_html(view, frames), "HTML"
    else:
        snap = export.render_snapshot(view, frames, page, dpi, renderer=args.renderer, proposal_name=name)
        data = snap.png if suffix == ".png" else export.png_to_pdf(snap.png, page, title=export.default_title(view, frames))
        what = f"{page.name} {dpi} dpi {snap.size[0]}×{snap.size[1]} px, {snap.renderer}"
    write_bytes_atomic(args.out, data)
    print(f"已写出 / wrote {args.out} ({what})")
    return EXIT_OK


def run_report(args: argparse.Namespace) -> int:
    """Handle ``report``."""
    from layers import export
    from geo.io.write import write_bytes_atomic
    from layers.report import build_report

    _check_out(args.out, (".pdf",))
    for d in args.data:
        _check_out(d, tuple(export.DATA_SUFFIX.values()))
    result, audit = _proposal_result(args, args.proposal, save=not args.no_save)
    if audit is not None and audit.check_id is not None:  # a recorded check: the report is an audit event too
        from layers.report import report_for_saved

        ws, actor = _workspace_actor(args, "export")
        pdf = report_for_saved(ws, audit.proposal_id, check_id=audit.check_id, actor=actor, lang=args.lang)
    else:
        ws, actor = _workspace_actor(args, "export")
        if ws is not None:  # a workspace exists: even an unsaved result's report is recorded
            from layers.report import report_unsaved

            pdf = report_unsaved(ws, result, actor=actor, lang=args.lang)
        else:
            pdf = build_report(result, lang=args.lang, audit=audit)
    write_bytes_atomic(args.out, pdf)
    audit_txt = f"audit #{audit.check_id}" if audit and audit.check_id is not None else "not saved"
    print(f"已写出 / wrote {args.out} (verdict {result.verdict}, {audit_txt})")
    for d in args.data:
        fmt = next(k for k, v in export.DATA_SUFFIX.items() if v == d.suffix.lower())
        write_bytes_atomic(d, export.export_proposal_data(result, fmt, zone=args.gk_zone, prefixed=not args.unprefixed))
        print(f"已写出 / wrote {d}")
    return EXIT_OK


#: name → registration function (the engine's commands with ``snapshot`` and ``report`` after ``check``).
COMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "inspect": engine_cli.add_inspect, "check": engine_cli.add_check, "snapshot": add_snapshot, "report": add_report,
    **{k: v for k, v in engine_cli.COMMANDS.items() if k not in ("inspect", "check")},
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every command."""
    return engine_cli.build_parser(COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``parkmap`` console script; returns the exit code."""
    return engine_cli.main(argv, commands=COMMANDS)


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.exit(main())
