"""``parkmap db init`` and ``parkmap db status``: the PostgreSQL/PostGIS backend's schema (issue #11).

The database is ``--url URL`` or ``$PARKMAP_DATABASE_URL``
(:func:`geo.settings.database_url`).  ``init`` creates or migrates the
schema (:func:`geo.db.schema.init_db`); run it as the tables' owner, a
superuser the first time (``CREATE EXTENSION postgis``, ``CREATE ROLE
parkmap_app``), then grant the app's login user the role: ``GRANT
parkmap_app TO <login user>``.  ``status`` prints the versions, the rows
and whether the append-only guard is whole; it exits 1 when it is not.

Output is Chinese first, then English; errors are one bilingual line and
exit 2 (a refused connection, no PostGIS, no schema, a newer schema…).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from geo import settings
from geo.errors import ParkmapError

EXIT_OK, EXIT_FAILED = 0, 1


def _url(args: argparse.Namespace) -> str:
    url = getattr(args, "url", None) or settings.database_url()
    if not url:
        raise ParkmapError("没有设置数据库地址", "no database URL",
                           f"设置环境变量 {settings.DATABASE_URL_ENV} 或加 --url postgresql://用户@主机:端口/数据库 / set "
                           f"{settings.DATABASE_URL_ENV} or pass --url postgresql://user@host:port/dbname", code="usage")
    return str(url)


def run_init(args: argparse.Namespace) -> int:
    """Handle ``db init``."""
    from geo.db.connect import redact
    from geo.db.migrations import APP_ROLE
    from geo.db.schema import init_db

    url = _url(args)
    done = init_db(url)
    print(f"数据库 / database: {redact(url)}（PostGIS {done.postgis}）")
    if not done.applied:
        print(f"结构已是第 {done.after} 版，无需改动 / the schema is already version {done.after}; nothing to do")
    elif done.before is None:
        print(f"已创建结构第 {done.after} 版 / created the schema, version {done.after}")
    else:
        print(f"已从第 {done.before} 版升级到第 {done.after} 版 / migrated the schema from version {done.before} to "
              f"{done.after}")
    print(f"应用的登录用户需授予角色 {APP_ROLE}（只可读取和追加）：GRANT {APP_ROLE} TO <用户> / grant the app's login user "
          f"the role {APP_ROLE} (read and append only): GRANT {APP_ROLE} TO <user>")
    return EXIT_OK


def _rows(rows: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in rows.items())


def run_status(args: argparse.Namespace) -> int:
    """Handle ``db status``."""
    from geo.db.migrations import APP_ROLE, SCHEMA_VERSION, TRIGGERS
    from geo.db.schema import status

    st = status(_url(args))
    if args.json:
        doc: dict[str, Any] = asdict(st) | {"guarded": st.guarded, "expected_schema": SCHEMA_VERSION}
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return EXIT_OK if st.guarded else EXIT_FAILED
    print(f"数据库 / database: {st.url}")
    print(f"服务器 / server: PostgreSQL {st.server}, PostGIS {st.postgis}")
    print(f"结构版本 / schema version: {st.schema}（本程序 / this parkmap: {SCHEMA_VERSION}）")
    print(f"记录数 / rows: {_rows(st.rows)}")
    for layer, version, count in st.layers:
        print(f"官方图层 / official layer: {layer} 第 {version} 版 / version {version}, {count} 个要素 / features")
    print(f"角色 / role {APP_ROLE}: " + ("存在 / present" if st.role else "缺失 / missing (运行 / run parkmap db init)"))
    if st.guarded:
        print(f"只追加保护完整 / append-only guard intact: {len(TRIGGERS)} 个触发器 / triggers")
        return EXIT_OK
    problems = [*(f"缺失或停用 missing or disabled: {n}" for n in st.missing),
                *(f"多余 unexpected: {n}" for n in st.unexpected),
                *(["parkmap_append_only() 被改动 / was altered"] if st.guard_changed else [])]
    print("只追加保护被破坏 / append-only guard BROKEN: " + "; ".join(problems))
    return EXIT_FAILED


def add_db(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``db``."""
    p = sub.add_parser("db", help="PostgreSQL/PostGIS 数据库 / the PostgreSQL/PostGIS database",
                       description="init：创建或升级数据库结构（只追加的触发器、角色 parkmap_app），已是最新则不改动，结构比本程序新则拒绝。"
                                   "status：版本、记录数与只追加保护是否完整（不完整时退出码 1） / init creates or "
                                   "migrates the schema (append-only triggers, the role parkmap_app), changes nothing "
                                   "when current and refuses a newer schema; status shows the versions, the rows and "
                                   "whether the append-only guard is whole (exit 1 when not).")
    p.add_argument("action", choices=("init", "status"))
    p.add_argument("--url", help=f"postgresql://用户@主机:端口/数据库（默认 ${settings.DATABASE_URL_ENV}） / "
                                 f"postgresql://user@host:port/dbname (default ${settings.DATABASE_URL_ENV})")
    p.add_argument("--json", action="store_true", help="status 输出 JSON / status as JSON")
    p.set_defaults(handler=lambda args: run_init(args) if args.action == "init" else run_status(args))


__all__ = ["add_db", "run_init", "run_status"]
