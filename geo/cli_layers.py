"""``parkmap layers import`` and ``parkmap layers list``: official control layers in PostGIS (issue #11).

``import FILE --layer KEY [--replace]`` reads the file with the embedded
official-layer reader (its refusals apply before anything is written) and
adds it as the next version of the layer in one transaction, with an audit
event ``layer_import`` (:func:`geo.db.layers.import_layer`).  It needs
``$PARKMAP_DATABASE_URL`` (or ``--url``) and the ``import_layers``
permission (admin; ``--user NAME`` as for the other commands).  ``list``
shows every version of every layer, the current one marked.

Once a layer is in the database, ``parkmap check`` (with
``PARKMAP_DATABASE_URL`` set) checks against its current version instead of
the embedded illustrative layer, and records the version it used.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from geo import settings
from geo.errors import ParkmapError

if TYPE_CHECKING:  # pragma: no cover
    from geo.cli_admin import Subparsers

EXIT_OK = 0


def _url(args: argparse.Namespace) -> str:
    url = getattr(args, "url", None) or settings.database_url()
    if not url:
        raise ParkmapError("没有设置数据库地址：官方图层导入数据库需要 PostgreSQL/PostGIS", "no database URL: official "
                           "layers are imported into PostgreSQL/PostGIS",
                           f"设置环境变量 {settings.DATABASE_URL_ENV} 或加 --url postgresql://用户@主机:端口/数据库 / set "
                           f"{settings.DATABASE_URL_ENV} or pass --url postgresql://user@host:port/dbname", code="usage")
    return str(url)


def run_import(args: argparse.Namespace) -> int:
    """Handle ``layers import``."""
    from geo.cli_admin import cli_actor
    from geo.controls import layer_name
    from geo.db.layers import check_layer_key, import_layer
    from geo.workspace import open_workspace

    url = _url(args)
    key = check_layer_key(args.layer)
    ws = open_workspace(url=url)
    actor = cli_actor(ws, args)
    actor.require("import_layers")
    done = import_layer(url, key, Path(args.path), actor=actor, replace=bool(args.replace), events=ws)
    v = done.version
    for w in done.warnings:
        print(f"提示 / note: {w}")
    print(f"已导入 {layer_name(key)}（{key}）第 {v.version} 版：{v.feature_count} 个要素（{done.tiles} 个切块），"
          f"来源 {v.source_name}，sha256 {v.source_sha256}，坐标系 {v.crs}")
    print(f"imported {layer_name(key, 'en')} ({key}) version {v.version}: {v.feature_count} features ({done.tiles} "
          f"tiles) from {v.source_name}, sha256 {v.source_sha256}, CRS {v.crs}; now the current version "
          f"(read+check {done.seconds_read:.1f} s, write {done.seconds_write:.1f} s)")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    """Handle ``layers list``."""
    from geo.controls import layer_name
    from geo.db.layers import list_versions

    versions = list_versions(_url(args))
    if args.json:
        print(json.dumps([v.as_dict() for v in versions], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not versions:
        print("数据库中还没有官方图层（parkmap layers import 导入） / no official layer in the database yet "
              "(import one with parkmap layers import)")
        return EXIT_OK
    for v in versions:
        mark = "当前 / current" if v.current else "旧版 / earlier"
        print(f"{layer_name(v.layer)} {v.layer} 第 {v.version} 版 / v{v.version} [{mark}]: {v.feature_count} 个要素 / "
              f"features, {v.source_name}, sha256 {v.source_sha256[:16]}…, {v.crs}, {v.imported_by}"
              f"（{v.imported_role}）{v.imported_at}")
    return EXIT_OK


def add_layers(sub: Subparsers) -> None:
    """Register ``layers``."""
    from geo.cli_admin import add_user_option

    p = sub.add_parser("layers", help="数据库中的官方管控图层 / official control layers in the database",
                       description="import：把官方图层文件导入 PostGIS，成为该图层的新版本（须管理员；已有版本时须加 --replace，旧版本保留）。"
                                   "list：列出各图层的版本。 / import adds an official layer file to PostGIS as the "
                                   "layer's next version (admin; --replace when it already has one; earlier versions "
                                   "stay); list shows the versions.")
    actions = p.add_subparsers(dest="layers_action", metavar="ACTION")
    imp = actions.add_parser("import", help="导入官方图层文件 / import an official layer file")
    imp.add_argument("path", help="图层文件（.gpkg .shp .geojson .kml .zip） / the layer file")
    imp.add_argument("--layer", required=True, help="图层 / layer key: farmland, eco_redline, urban_boundary…")
    imp.add_argument("--replace", action="store_true",
                     help="已有版本时导入为新的当前版本 / add a new current version when the layer has one")
    imp.add_argument("--url", help=f"postgresql://…（默认 ${settings.DATABASE_URL_ENV}） / default "
                                   f"${settings.DATABASE_URL_ENV}")
    add_user_option(imp)
    imp.set_defaults(handler=run_import)
    lst = actions.add_parser("list", help="列出版本 / list the versions")
    lst.add_argument("--json", action="store_true", help="输出 JSON / as JSON")
    lst.add_argument("--url", help=f"postgresql://…（默认 ${settings.DATABASE_URL_ENV}） / default "
                                   f"${settings.DATABASE_URL_ENV}")
    lst.set_defaults(handler=run_list)


__all__ = ["add_layers", "run_import", "run_list"]
