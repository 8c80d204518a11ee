"""``parkmap`` command line.

Subcommands are registered in :data:`COMMANDS`; each has an ``add_*``
function building its sub-parser and a handler ``(args) -> int``.  Later
subcommands (``check``, ``snapshot``, ``report``) plug in the same way.

Exit codes: 0 success, 2 bad input (one bilingual line on stderr), 130
interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as _dt
import json
import logging
import math
import os
import sys
import warnings as _warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from geo.area import centroid_lonlat, count_parts_holes, geodesic_area_m2, to_mu
from geo.errors import ParkmapError, bilingual

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
def json_value(value: Any) -> Any:
    """Convert pandas/numpy attribute values to plain JSON values."""
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas Timestamp
        try:
            return value.isoformat()
        except ValueError:
            return None
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (str, int)):
        return value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _round(v: float, nd: int) -> float:
    return float(round(v, nd))


# --------------------------------------------------------------------------
# inspect
# --------------------------------------------------------------------------
def feature_report(pos: int, geom: Any, attrs: dict[str, Any]) -> dict[str, Any]:
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


def inspect_report(path: Path, result: Any) -> dict[str, Any]:
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
        f"总面积 Total area: {doc['total_area_m2']:,.2f} m² = {doc['total_area_mu']:,.2f} 亩 mu",
    ]
    for f in doc["features"]:
        lon, lat = f["centroid"]
        x0, y0, x1, y1 = f["bounds"]
        lines += [
            "",
            f"[{f['index']}] {f['geometry_type']}  部分 parts: {f['parts']}  洞 holes: {f['holes']}",
            f"    面积 Area: {f['area_m2']:,.2f} m² = {f['area_mu']:,.2f} 亩 mu",
            f"    中心 Centroid (lon, lat): {lon:.6f}, {lat:.6f}",
            f"    范围 Bounds: {x0:.6f}, {y0:.6f} – {x1:.6f}, {y1:.6f}",
            f"    属性 Attributes: {_fmt_attrs(f['attributes'])}",
        ]
    if doc["warnings"]:
        lines += ["", "警告 Warnings:"] + [f"  - {w}" for w in doc["warnings"]]
    return "\n".join(lines)


def add_inspect(sub: argparse._SubParsersAction) -> None:
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


#: name → registration function; extend for check / snapshot / report.
COMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {"inspect": add_inspect}


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with one sub-parser per command."""
    parser = _Parser(prog="parkmap", description="四川开发区规划工具 / Sichuan development-zone planning tools")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in COMMANDS.values():
        add(sub)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``parkmap`` console script; returns the exit code."""
    _utf8_streams()
    parser = build_parser()
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
