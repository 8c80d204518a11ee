"""Accounts in the workspace: add, list, disable, change password, log in.

Accounts are rows of the append-only ``users`` table (:mod:`geo.audit`); a
password change or disabling appends a new row for the same name, and the
newest row is the account's state.  Every change is also an audit event.

Bootstrap: while no account exists, the OS user may create the first one,
which must be an ``admin`` (someone has to be able to manage the rest).
After that only an admin may add, disable or reset accounts; anyone may
change their own password.

Login (:func:`login`) checks the argon2 hash, records ``login`` or
``login_failed`` events, and locks a name after too many failures
(:class:`geo.auth.LoginSettings`).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo import audit
from geo.auth import (Actor, burn_time, check_password_policy, check_role, hash_password, login_settings,
                      verify_password)
from geo.clock import now_iso
from geo.errors import ParkmapError

if TYPE_CHECKING:
    from geo.workspace import Workspace


def check_name(name: str) -> str:
    """An account name: 1–64 printable characters, no spaces at the ends."""
    text = str(name or "")
    if not text.strip() or text != text.strip() or len(text) > 64 or \
            any(unicodedata.category(c).startswith("C") for c in text):
        raise ParkmapError(f"账号名无效：{text[:64]!r}", f"Invalid account name: {text[:64]!r}",
                           "用 1–64 个可打印字符，首尾无空格 / use 1–64 printable characters without outer spaces",
                           code="usage")
    return text


def _state(con: Any, name: str) -> dict[str, Any] | None:
    row = con.execute("SELECT name, role, pw_hash, disabled, at FROM users WHERE name = ? ORDER BY id DESC LIMIT 1",
                      (name,)).fetchone()
    return None if row is None else dict(zip(("name", "role", "pw_hash", "disabled", "at"), row))


def _append_user(ws: Workspace, who: Actor, action: str, name: str, role: str, pw_hash: str, disabled: bool,
                 bootstrap: bool = False) -> None:
    with ws._write() as con:
        if bootstrap and con.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None:
            raise ParkmapError("已有账号，请以管理员身份操作", "Accounts exist now; act as an administrator",
                               "加 --user 管理员账号名 / pass --user ADMIN", code="login")
        values = {"at": now_iso("microseconds"), "name": name, "role": role, "pw_hash": pw_hash,
                  "disabled": int(disabled), "by_user": who.name, "by_role": who.role}
        _, digest = audit.append(con, "users", values)
        ws._event(con, who, action, None, None, {"account": name, "account_role": role, "disabled": disabled,
                                                 "user_hash": digest})


def add_user(ws: Workspace, name: str, role: str, password: str, *, actor: Actor | None = None) -> None:
    """Create an account (admin only; the first one by the OS user, as ``admin``)."""
    name, role = check_name(name), check_role(role)
    bootstrap = not ws.has_accounts()
    who = ws.actor_or_default(actor)
    if bootstrap and role != "admin":
        raise ParkmapError("第一个账号必须是管理员（admin）", "The first account must be an administrator (admin)",
                           "先运行 parkmap users add 名字 --role admin --password-stdin / add an admin first",
                           code="usage")
    who.require("manage_users")
    check_password_policy(password)
    with ws._connect() as con:
        if _state(con, name) is not None:
            raise ParkmapError(f"账号已存在：{name}", f"The account already exists: {name}",
                               "改密码用 parkmap users passwd / use parkmap users passwd", code="usage")
    _append_user(ws, who, "user_add", name, role, hash_password(password), False, bootstrap)


def _existing(ws: Workspace, name: str) -> dict[str, Any]:
    with ws._connect() as con:
        state = _state(con, name)
    if state is None:
        raise ParkmapError(f"没有账号：{name}", f"No such account: {name}", "parkmap users list", code="not-found")
    return state


def set_password(ws: Workspace, name: str, password: str, *, actor: Actor | None = None) -> None:
    """Change a password: an admin for anyone, or the account itself."""
    state = _existing(ws, name)
    who = ws.actor_or_default(actor)
    if who.name != name or who.via != "account":
        who.require("manage_users")
    check_password_policy(password)
    _append_user(ws, who, "user_passwd", name, state["role"], hash_password(password), bool(state["disabled"]))


def set_disabled(ws: Workspace, name: str, disabled: bool = True, *, actor: Actor | None = None) -> None:
    """Disable (or re-enable) an account; admin only.  The last active admin cannot be disabled."""
    state = _existing(ws, name)
    who = ws.actor_or_default(actor)
    who.require("manage_users")
    if disabled and state["role"] == "admin":
        admins = list_users(ws)
        if int(((admins["role"] == "admin") & ~admins["disabled"]).sum()) <= 1:
            raise ParkmapError("不能停用最后一个管理员", "The last active administrator cannot be disabled",
                               "先添加另一个管理员 / add another admin first", code="usage")
    _append_user(ws, who, "user_disable" if disabled else "user_enable", name, state["role"], state["pw_hash"],
                 disabled)


def list_users(ws: Workspace) -> pd.DataFrame:
    """Accounts (newest state of each), sorted by name: name, role, disabled, created_at, changed_at, changed_by."""
    sql = """
        SELECT u.name, u.role, u.disabled, f.at AS created_at, u.at AS changed_at, u.by_user AS changed_by
        FROM users u
        JOIN (SELECT name, MAX(id) AS last, MIN(id) AS first FROM users GROUP BY name) g ON u.id = g.last
        JOIN users f ON f.id = g.first
        ORDER BY u.name
    """
    with ws._connect() as con:
        df = pd.read_sql_query(sql, con)
    df["disabled"] = df["disabled"].astype(bool)
    return df


def account(ws: Workspace, name: str) -> Actor:
    """The active account ``name`` as an :class:`Actor` (for ``--user``); errors when unknown or disabled."""
    state = _existing(ws, check_name(name))
    if state["disabled"]:
        raise ParkmapError(f"账号已停用：{name}", f"The account is disabled: {name}", code="login")
    return Actor(name, state["role"], "account")


def _recent_failures(con: Any, name: str, since: datetime) -> list[datetime]:
    """Failed logins for ``name`` after ``since`` and after its last successful login, newest first."""
    out = []
    for action, at in con.execute("SELECT action, at FROM events WHERE user = ? AND action IN ('login', "
                                  "'login_failed') ORDER BY id DESC LIMIT 200", (name,)):
        when = datetime.fromisoformat(at)
        if action == "login" or when < since:
            break
        out.append(when)
    return out


def login(ws: Workspace, name: str, password: str) -> Actor:
    """Check a password; returns the :class:`Actor`, else a bilingual ``login`` error.

    Every attempt is an audit event.  After ``max_failures`` wrong passwords
    within ``lock_minutes`` the name is locked until that window passes
    (also for the right password), whatever the account exists or not, so
    the message never tells whether a name exists.
    """
    settings = login_settings()
    now = datetime.fromisoformat(now_iso("microseconds"))
    window = timedelta(minutes=settings.lock_minutes)
    wrong = ParkmapError("账号或密码错误", "Wrong account name or password", code="login")
    name = str(name or "").strip()[:64]
    if not name or not password:
        raise wrong
    with ws._connect() as con:
        state = _state(con, name)
        failures = _recent_failures(con, name, now - window)
    if len(failures) >= settings.max_failures:
        until = failures[settings.max_failures - 1] + window
        minutes = max(1, int((until - now).total_seconds() // 60) + 1)
        raise ParkmapError(f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试",
                           f"Too many wrong passwords; the account is locked for {minutes} more minute(s)",
                           code="locked")
    ok = verify_password(state["pw_hash"], password) if state is not None else (burn_time(password) or False)
    if not ok or state is None or state["disabled"]:
        reason = "disabled" if ok and state is not None else "wrong-password"
        with ws._write() as con:
            ws._event(con, Actor(name, state["role"] if state else "", "account"), "login_failed", None, None,
                      {"reason": reason})
        if reason == "disabled":
            raise ParkmapError(f"账号已停用：{name}", f"The account is disabled: {name}",
                               "请联系管理员 / ask an administrator", code="login")
        raise wrong
    actor = Actor(name, state["role"], "account")
    with ws._write() as con:
        ws._event(con, actor, "login", None, None, {})
    return actor


def logout(ws: Workspace, actor: Actor, reason: str = "logout") -> None:
    """Record the end of a session (``logout`` or ``timeout``)."""
    with ws._write() as con:
        ws._event(con, actor, "logout", None, None, {"reason": reason})


__all__ = ["account", "add_user", "check_name", "list_users", "login", "logout", "set_disabled", "set_password"]

