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
(:class:`geo.auth.LoginSettings`).  At most :data:`VERIFY_SLOTS` password
checks run at once per process (each takes about 64 MiB and 0.1 s of CPU), so
a flood of login attempts queues instead of exhausting memory.

Reserved names: ``(v1)`` (authorship of records migrated from version 1),
and names starting with ``sso:`` (single sign-on users are recorded as
``sso:<subject>``) or ``os:``; no account may take them.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo import audit
from geo.auth import (
    Actor,
    burn_time,
    check_password_policy,
    check_role,
    hash_password,
    login_settings,
    verify_password,
)
from geo.clock import now_iso
from geo.errors import ParkmapError

if TYPE_CHECKING:
    from geo.workspace import WorkspaceRecords as Workspace


#: Concurrent argon2 verifications allowed per process.
VERIFY_SLOTS = 2
_VERIFYING = threading.BoundedSemaphore(VERIFY_SLOTS)
#: Prefixes of names recorded for people who are not accounts (compared case-insensitively, after NFKC).
RESERVED_PREFIXES = ("sso:", "os:")


def check_name(name: str) -> str:
    """An account name: 1–64 printable characters, no spaces at the ends."""
    text = str(name or "")
    if not text.strip() or text != text.strip() or len(text) > 64 or \
            any(unicodedata.category(c).startswith("C") for c in text):
        raise ParkmapError(f"账号名无效：{text[:64]!r}", f"Invalid account name: {text[:64]!r}",
                           "用 1–64 个可打印字符，首尾无空格 / use 1–64 printable characters without outer spaces",
                           code="usage")
    return text


def _check_not_reserved(name: str) -> None:
    from geo.migrate import V1_AUTHOR

    folded = unicodedata.normalize("NFKC", name).casefold()
    if name == V1_AUTHOR or folded == V1_AUTHOR or folded.startswith(RESERVED_PREFIXES):
        raise ParkmapError(f"账号名保留给系统使用：{name}", f"This account name is reserved: {name}",
                           f"不能用 {V1_AUTHOR}，也不能以 sso: 或 os: 开头 / not {V1_AUTHOR}, and not starting with "
                           "sso: or os:", code="usage")


def _state(con: Any, name: str) -> dict[str, Any] | None:
    row = con.execute("SELECT name, role, pw_hash, disabled, at FROM users WHERE name = ? ORDER BY id DESC LIMIT 1",
                      (name,)).fetchone()
    return None if row is None else dict(zip(("name", "role", "pw_hash", "disabled", "at"), row))


def _append_user(ws: Workspace, who: Actor, action: str, name: str, *, role: str | None = None,
                 pw_hash: str | None = None, disabled: bool | None = None, bootstrap: bool = False,
                 new: bool = False) -> None:
    """Append the account's next state, read and written in one transaction.

    ``None`` keeps the current value: reading the state outside the write
    transaction let a password change made at the same moment as a disabling
    re-enable the account (a lost update).
    """
    with ws._write() as con:
        if bootstrap and con.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None:
            raise ParkmapError("已有账号，请以管理员身份操作", "Accounts exist now; act as an administrator",
                               "加 --user 管理员账号名 / pass --user ADMIN", code="login")
        state = _state(con, name)
        if new and state is not None:
            raise ParkmapError(f"账号已存在：{name}", f"The account already exists: {name}",
                               "改密码用 parkmap users passwd / use parkmap users passwd", code="usage")
        if not new and state is None:
            raise ParkmapError(f"没有账号：{name}", f"No such account: {name}", "parkmap users list", code="not-found")
        assert state is not None or new  # checked just above
        role = role if role is not None or state is None else state["role"]
        pw_hash = pw_hash if pw_hash is not None or state is None else state["pw_hash"]
        disabled = bool(disabled if disabled is not None or state is None else state["disabled"])
        if disabled and role == "admin" and _active_admins(con, excluding=name) == 0:
            raise ParkmapError("不能停用最后一个管理员", "The last active administrator cannot be disabled",
                               "先添加另一个管理员 / add another admin first", code="usage")
        values = {"at": now_iso("microseconds"), "name": name, "role": role, "pw_hash": pw_hash,
                  "disabled": int(disabled), "by_user": who.name, "by_role": who.role}
        uid, digest = audit.append(con, "users", values)
        ws._event(con, who, action, None, None, {"account": name, "account_role": role, "disabled": disabled,
                                                 "user_id": uid, "user_hash": digest})


def _active_admins(con: Any, excluding: str) -> int:
    sql = """SELECT COUNT(*) FROM users u JOIN (SELECT name, MAX(id) AS last FROM users GROUP BY name) g
             ON u.id = g.last WHERE u.role = 'admin' AND u.disabled = 0 AND u.name != ?"""
    return int(con.execute(sql, (excluding,)).fetchone()[0])


def add_user(ws: Workspace, name: str, role: str, password: str, *, actor: Actor | None = None) -> None:
    """Create an account (admin only; the first one by the OS user, as ``admin``)."""
    name, role = check_name(name), check_role(role)
    _check_not_reserved(name)
    bootstrap = not ws.has_accounts()
    who = ws.actor_or_default(actor)
    if bootstrap and role != "admin":
        raise ParkmapError("第一个账号必须是管理员（admin）", "The first account must be an administrator (admin)",
                           "先运行 parkmap users add 名字 --role admin --password-stdin / add an admin first",
                           code="usage")
    who.require("manage_users")
    check_password_policy(password)
    _existing(ws, name, absent=True)  # say so before spending a hash
    _append_user(ws, who, "user_add", name, role=role, pw_hash=hash_password(password), disabled=False,
                 bootstrap=bootstrap, new=True)


def _existing(ws: Workspace, name: str, absent: bool = False) -> dict[str, Any]:
    with ws._connect() as con:
        state = _state(con, name)
    if absent and state is not None:
        raise ParkmapError(f"账号已存在：{name}", f"The account already exists: {name}",
                           "改密码用 parkmap users passwd / use parkmap users passwd", code="usage")
    if not absent and state is None:
        raise ParkmapError(f"没有账号：{name}", f"No such account: {name}", "parkmap users list", code="not-found")
    return state or {}


def set_password(ws: Workspace, name: str, password: str, *, actor: Actor | None = None) -> None:
    """Change a password: an admin for anyone, or the account itself."""
    _existing(ws, name)
    who = ws.actor_or_default(actor)
    if who.name != name or who.via != "account":
        who.require("manage_users")
    check_password_policy(password)
    _append_user(ws, who, "user_passwd", name, pw_hash=hash_password(password))


def set_disabled(ws: Workspace, name: str, disabled: bool = True, *, actor: Actor | None = None) -> None:
    """Disable (or re-enable) an account; admin only.  The last active admin cannot be disabled."""
    _existing(ws, name)
    who = ws.actor_or_default(actor)
    who.require("manage_users")
    _append_user(ws, who, "user_disable" if disabled else "user_enable", name, disabled=disabled)


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
        df = audit.query_frame(con, sql)
    df["disabled"] = df["disabled"].astype(bool)
    return df


def account(ws: Workspace, name: str) -> Actor:
    """The active account ``name`` as an :class:`Actor` (for ``--user``); errors when unknown or disabled."""
    state = _existing(ws, check_name(name))
    if state["disabled"]:
        raise ParkmapError(f"账号已停用：{name}", f"The account is disabled: {name}", code="login")
    return Actor(name, state["role"], "account")


def account_version(ws: Workspace, name: str) -> int:
    """The id of the newest ``users`` row of ``name``: it changes with every password change, disabling,
    re-enabling or role change.  A session stores it at login and ends when it differs.

    Raises ``not-found`` (like :func:`account`) for an unknown name.
    """
    name = check_name(name)
    with ws._connect() as con:
        row = con.execute("SELECT MAX(id) FROM users WHERE name = ?", (name,)).fetchone()
    if row is None or row[0] is None:
        raise ParkmapError(f"没有账号：{name}", f"No such account: {name}", "parkmap users list", code="not-found")
    return int(row[0])


def _recent_failures(con: Any, name: str, since: datetime) -> list[datetime]:
    """Failed logins for ``name`` after ``since`` and after its last successful login, newest first.

    Attempts refused because the name was already locked are recorded too,
    but do not count (they would otherwise extend the lock forever).
    """
    out = []
    for action, at, detail_json in con.execute('SELECT action, at, detail_json FROM events WHERE "user" = ? AND action '
                                               "IN ('login', 'login_failed') ORDER BY id DESC LIMIT 500", (name,)):
        when = datetime.fromisoformat(at)
        if action == "login" or when < since:
            break
        if '"locked"' in detail_json and _reason(detail_json) == "locked":
            continue
        out.append(when)
    return out


def _reason(detail_json: str) -> Any:
    try:
        return json.loads(detail_json).get("reason")
    except (ValueError, AttributeError):
        return None


def _locked(failures: list[datetime], now: datetime, max_failures: int, window: timedelta) -> ParkmapError | None:
    if len(failures) < max_failures:
        return None
    until = failures[max_failures - 1] + window
    minutes = max(1, int((until - now).total_seconds() // 60) + 1)
    return ParkmapError(f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试",
                        f"Too many wrong passwords; the account is locked for {minutes} more minute(s)", code="locked")


def _recorded_name(name: str) -> str:
    """The name as written to the audit log: control characters shown as ``?`` (no forged log lines)."""
    return "".join("?" if unicodedata.category(c).startswith("C") else c for c in name)


def login(ws: Workspace, name: str, password: str) -> Actor:
    """Check a password; returns the :class:`Actor`, else a bilingual ``login`` error.

    Every attempt is an audit event (``login``, or ``login_failed`` with the
    reason: ``wrong-password``, ``disabled`` or ``locked``).  After
    ``max_failures`` wrong passwords within ``lock_minutes`` the name is
    locked until that window passes (also for the right password), whether
    the account exists or not, so the message never tells whether a name
    exists.  The count is taken again inside the transaction that records
    the outcome, so parallel attempts cannot get more guesses than that.
    """
    settings = login_settings()
    window = timedelta(minutes=settings.lock_minutes)
    wrong = ParkmapError("账号或密码错误", "Wrong account name or password", code="login")
    name = _recorded_name(str(name or "").strip()[:64])
    if not name or not password:
        raise wrong
    now = datetime.fromisoformat(now_iso("microseconds"))
    with ws._connect() as con:
        state = _state(con, name)
        refused = _locked(_recent_failures(con, name, now - window), now, settings.max_failures, window)
    if refused is None:  # a locked name is refused without spending a hash
        with _VERIFYING:  # at most VERIFY_SLOTS at once: a login flood queues here instead of eating memory
            if state is not None:
                ok = verify_password(state["pw_hash"], password)
            else:
                burn_time(password)  # an unknown name takes as long as a wrong password
                ok = False
    if ws.tamper is not None:  # a frozen (tampered) workspace: people may still log in to look; nothing is recorded
        if refused is not None:
            raise refused
        if not ok or state is None or state["disabled"]:
            raise wrong
        return Actor(name, state["role"], "account")
    outcome: Actor | ParkmapError
    with ws._write() as con:
        now = datetime.fromisoformat(now_iso("microseconds"))
        refused = refused or _locked(_recent_failures(con, name, now - window), now, settings.max_failures, window)
        if refused is None and state is not None and _state(con, name) != state:
            ok = False  # the account changed while the password was being checked: try again
        role = state["role"] if state else ""
        if refused is not None:
            ws._event(con, Actor(name, role, "account"), "login_failed", None, None, {"reason": "locked"})
            outcome = refused
        elif not ok or state is None or state["disabled"]:
            reason = "disabled" if ok and state is not None else "wrong-password"
            ws._event(con, Actor(name, role, "account"), "login_failed", None, None, {"reason": reason})
            outcome = wrong if reason == "wrong-password" else ParkmapError(
                f"账号已停用：{name}", f"The account is disabled: {name}", "请联系管理员 / ask an administrator",
                code="login")
        else:
            outcome = Actor(name, state["role"], "account")
            ws._event(con, outcome, "login", None, None, {})
    if isinstance(outcome, ParkmapError):
        raise outcome
    return outcome


def logout(ws: Workspace, actor: Actor, reason: str = "logout") -> None:
    """Record the end of a session (``logout`` or ``timeout``); nothing on a frozen (tampered) workspace."""
    if ws.tamper is not None:
        return
    with ws._write() as con:
        ws._event(con, actor, "logout", None, None, {"reason": reason})


__all__ = ["RESERVED_PREFIXES", "VERIFY_SLOTS", "account", "account_version", "add_user", "check_name", "list_users", "login", "logout", "set_disabled", "set_password"]

