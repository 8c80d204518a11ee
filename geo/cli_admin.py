"""``parkmap users``, ``parkmap audit`` and ``parkmap backup``, and who the CLI acts as.

Identity on the command line
    ``--user NAME`` (any command that writes) names an account; it must exist
    and be active.  Without it the OS user acts: while the workspace has no
    accounts that is the single-user default (every permission); once
    accounts exist the OS user name must itself be an account.

    The CLI does not ask for the password of ``--user``: whoever can run it
    can already read and write the workspace file (mode 0600, owner only), so
    ``--user`` is attribution, not authentication.  The app's login is the
    authentication boundary; see README "Security".
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from geo.auth import ROLES, Actor, local_actor, os_user, role_label
from geo.checkflow import layers_permitted  # noqa: F401 (re-exported for callers of the CLI module)
from geo.errors import ParkmapError

if TYPE_CHECKING:  # pragma: no cover
    from geo.workspace import WorkspaceRecords as Workspace

    #: What each ``add_*`` registration function receives: the sub-parsers of the top-level parser.
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

EXIT_OK, EXIT_FAILED = 0, 1


def cli_actor(ws: Workspace, args: argparse.Namespace) -> Actor:
    """Who a CLI command acts as (see the module notes)."""
    from geo.accounts import account

    name = getattr(args, "user", None)
    if name:
        return dataclasses.replace(account(ws, name), via="cli")  # attribution: no password on the CLI
    if not ws.has_accounts():
        return local_actor()
    try:
        return dataclasses.replace(account(ws, os_user()), via="cli")
    except ParkmapError as exc:
        raise ParkmapError("本工作区已设置账号，请用 --user 指明操作人", "This workspace has accounts: name yourself with --user",
                           "例如 parkmap check 方案.txt --zone S517077 --user zhangsan / "
                           "e.g. parkmap check plan.txt --zone S517077 --user zhangsan",
                           code="login") from exc


def add_user_option(p: argparse.ArgumentParser) -> None:
    """``--user`` on a sub-command."""
    p.add_argument("--user", help="操作人账号（已有账号时必填，除非系统用户名即账号） / account acting (required once "
                                  "accounts exist, unless your OS user name is an account)")


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    if not sys.stdin.isatty():
        raise ParkmapError("请用 --password-stdin 从标准输入提供密码", "Give the password on standard input with --password-stdin",
                           "例如 printf '%s\\n' \"$PW\" | parkmap users add … --password-stdin", code="usage")
    first = getpass.getpass("密码 / password: ")
    if getpass.getpass("再输一次 / again: ") != first:
        raise ParkmapError("两次输入的密码不一致", "The passwords do not match", code="usage")
    return first


def run_users(args: argparse.Namespace) -> int:
    """Handle ``users add|list|disable|enable|passwd``."""
    from geo import accounts
    from geo.workspace import open_workspace

    ws = open_workspace(create=args.action != "list")  # listing never creates a workspace
    if args.action == "list":
        table = accounts.list_users(ws)
        if args.json:
            print(json.dumps(table.to_dict(orient="records"), ensure_ascii=False, indent=2))
            return EXIT_OK
        if table.empty:
            print("还没有账号（单用户模式） / no accounts yet (single-user mode)")
        for r in table.itertuples():
            state = "停用 disabled" if r.disabled else "启用 active"
            print(f"{r.name}\t{r.role}（{role_label(r.role)}）\t{state}\t创建 created {r.created_at}\t"
                  f"变更 changed {r.changed_at} by {r.changed_by}")
        return EXIT_OK
    if not args.name:
        raise ParkmapError("请给出账号名", "Give the account name", code="usage")
    who = cli_actor(ws, args)
    if args.action == "add":
        if not args.role:
            raise ParkmapError("请用 --role 指定角色", "Give the role with --role",
                               "viewer|planner|reviewer|admin", code="usage")
        accounts.add_user(ws, args.name, args.role, _read_password(args), actor=who)
        print(f"已添加账号 / added {args.name} ({args.role})")
    elif args.action == "passwd":
        accounts.set_password(ws, args.name, _read_password(args), actor=who)
        print(f"已修改密码 / password changed for {args.name}")
    else:
        accounts.set_disabled(ws, args.name, args.action == "disable", actor=who)
        print(f"已{'停用' if args.action == 'disable' else '启用'}账号 / {args.action}d {args.name}")
    return EXIT_OK


def add_users(sub: Subparsers) -> None:
    """Register ``users``."""
    p = sub.add_parser("users", help="账号管理 / manage accounts",
                       description="账号与角色：viewer 查看、planner 编制、reviewer 审核、admin 管理。第一个账号必须是 admin；"
                                   "之后只有 admin 可管理账号 / Accounts and roles. The first account must be an admin; "
                                   "after that only admins manage accounts (pass --user ADMIN).")
    p.add_argument("action", choices=("add", "list", "disable", "enable", "passwd"))
    p.add_argument("name", nargs="?", help="账号名 / account name")
    p.add_argument("--role", choices=tuple(ROLES), help="角色 / role (add)")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行） / read the password from stdin")
    p.add_argument("--json", action="store_true", help="list 输出 JSON / JSON list")
    p.set_defaults(handler=run_users)


def run_audit(args: argparse.Namespace) -> int:
    """Handle ``audit verify`` and ``audit log``."""
    from geo.audit import format_head
    from geo.workspace import open_workspace

    ws = open_workspace(create=False)  # verifying or listing never creates (or chmods) anything
    if args.action == "log":
        ev = ws.events().tail(args.limit) if args.limit else ws.events()
        for r in ev.itertuples():
            print(f"#{r.id}\t{r.at}\t{r.user}\t{r.role}\t{r.action}\t"
                  f"{'' if r.proposal_id is None or r.proposal_id != r.proposal_id else int(r.proposal_id)}\t"
                  f"{'' if r.check_id is None or r.check_id != r.check_id else int(r.check_id)}\t{r.detail_json}")
        return EXIT_OK
    found = ws.verify(full=True)
    if found is None and args.head:
        try:
            num, digest = str(args.head).lstrip("#").split(":", 1)
            found = ws.check_head(int(num), digest.strip())
        except ValueError as exc:
            raise ParkmapError(f"链头格式应为 编号:哈希，如 17:1a2b3c4d5e6f7a8b：{args.head}",
                               f"A head looks like N:HASH, e.g. 17:1a2b3c4d5e6f7a8b: {args.head}", code="usage") from exc
    if found is not None:
        where = f"{found.table} #{found.row_id}" if found.row_id is not None else found.table
        print(f"审计校验失败 / audit verification FAILED at {where}: {found.message()}")
        return EXIT_FAILED
    print(f"审计校验通过 / audit verified: {ws.path}, 链头 head {format_head(ws.head())}")
    return EXIT_OK


def add_audit(sub: Subparsers) -> None:
    """Register ``audit``."""
    p = sub.add_parser("audit", help="审计记录校验与查看 / verify or list the audit trail",
                       description="verify：逐条校验哈希链，发现改动、删除、调序或触发器被删时退出码 1 并指出第一条问题记录；"
                                   "--head 核对报告上打印的链头。log：列出审计事件 / verify walks the hash chain and "
                                   "exits 1 naming the first bad row; --head checks a head printed on a report. "
                                   "log lists the events.")
    p.add_argument("action", choices=("verify", "log"))
    p.add_argument("--head", help="报告上的链头 编号:哈希 / a chain head N:HASH from a report")
    p.add_argument("--limit", type=int, default=0, help="log 只列最近 N 条 / only the last N events")
    p.set_defaults(handler=run_audit)


def run_backup(args: argparse.Namespace) -> int:
    """Handle ``backup DEST``."""
    from geo.audit import format_head
    from geo.workspace import open_workspace

    ws = open_workspace(create=False)
    out = ws.backup(args.dest)
    print(f"已备份并校验 / backed up and verified: {out} (链头 head {format_head(ws.head())})")
    return EXIT_OK


def add_backup(sub: Subparsers) -> None:
    """Register ``backup``."""
    p = sub.add_parser("backup", help="在线备份工作区 / online backup of the workspace",
                       description="用 SQLite 在线备份接口复制工作区（程序运行中也可），并校验副本（完整性与审计链）；不覆盖已有文件 / "
                                   "Copy the workspace with SQLite's online backup (safe while the app runs), then "
                                   "verify the copy (integrity and audit chain). Never overwrites.")
    p.add_argument("dest", type=Path, help="备份文件或文件夹 / backup file or folder")
    p.set_defaults(handler=run_backup)


__all__ = ["add_audit", "add_backup", "add_user_option", "add_users", "cli_actor"]
