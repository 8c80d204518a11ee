"""Who is acting: roles, permissions, password hashes and login limits.

The one registry of roles (:data:`ROLES`) is read by the workspace (which
enforces it on every write), the CLI and the app.

Roles (cumulative)
    ``viewer`` 查看 — map, tables, exports;
    ``planner`` 编制 — plus check, save, delete and restore their own proposals;
    ``reviewer`` 审核 — plus override a rule with a reason, delete or restore anyone's;
    ``admin`` 管理 — plus import official layers and manage accounts.

Passwords are stored as argon2id hashes (``argon2-cffi``); the clear text is
never stored or logged.  Login limits and the session timeout are settings
(environment variables, see :func:`login_settings`); they are our choice, not
a figure from the policy documents.

Examples
--------
>>> permits("planner", "save"), permits("planner", "override")
(True, False)
>>> role_label("reviewer", "zh")
'审核'
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any, Literal

from geo.errors import ParkmapError

Role = Literal["viewer", "planner", "reviewer", "admin"]


@dataclass(frozen=True)
class RoleSpec:
    """One role: labels and what it may do."""

    key: str
    zh: str
    en: str
    permissions: frozenset[str]


_VIEW = frozenset({"view", "export"})
_PLAN = _VIEW | {"check", "save", "delete_own", "restore_own", "report"}
_REVIEW = _PLAN | {"override", "delete_any", "restore_any"}
_ADMIN = _REVIEW | {"import_layers", "manage_users"}

#: The role registry, least to most privileged.
ROLES: dict[str, RoleSpec] = {
    "viewer": RoleSpec("viewer", "查看", "Viewer", _VIEW),
    "planner": RoleSpec("planner", "编制", "Planner", _PLAN),
    "reviewer": RoleSpec("reviewer", "审核", "Reviewer", _REVIEW),
    "admin": RoleSpec("admin", "管理", "Administrator", _ADMIN),
}

#: Action words used in permission errors.
_ACTIONS: dict[str, tuple[str, str]] = {
    "view": ("查看", "view"), "export": ("导出", "export"), "check": ("核查", "run a check"),
    "save": ("保存方案", "save a proposal"), "report": ("生成核查报告", "produce a report"),
    "delete_own": ("删除自己的方案", "delete their own proposal"),
    "restore_own": ("恢复自己的方案", "restore their own proposal"),
    "override": ("人工改判", "override a rule"), "delete_any": ("删除他人的方案", "delete another user's proposal"),
    "restore_any": ("恢复他人的方案", "restore another user's proposal"),
    "import_layers": ("导入正式图层", "import official layers"), "manage_users": ("管理账号", "manage accounts"),
}


def permits(role: str, action: str) -> bool:
    """May ``role`` do ``action``?  Unknown roles may do nothing."""
    spec = ROLES.get(role)
    return spec is not None and action in spec.permissions


def role_label(role: str, lang: str = "zh") -> str:
    """``审核`` / ``Reviewer``; the key itself for an unknown role."""
    spec = ROLES.get(role)
    return role if spec is None else (spec.en if lang == "en" else spec.zh)


def check_role(role: str) -> str:
    """The role key, or a bilingual error listing the valid ones."""
    if role not in ROLES:
        raise ParkmapError(f"角色无效：{role}", f"Unknown role: {role}",
                           "可选 viewer（查看）、planner（编制）、reviewer（审核）、admin（管理） / "
                           "use viewer, planner, reviewer or admin", code="usage")
    return role


@dataclass(frozen=True)
class Actor:
    """The person behind an action, as recorded.

    Attributes
    ----------
    name : str
        Account name, OS user name or SSO subject.
    role : str
        A key of :data:`ROLES`.
    via : str
        ``account`` (password login or ``--user``), ``os`` (no accounts
        exist: the OS user, single-user mode) or ``sso`` (OIDC).
    """

    name: str
    role: str
    via: str = "account"

    def may(self, action: str) -> bool:
        return permits(self.role, action)

    def require(self, action: str) -> None:
        """Raise a bilingual ``forbidden`` error unless the role permits ``action``."""
        if not self.may(action):
            zh, en = _ACTIONS.get(action, (action, action))
            raise ParkmapError(f"{self.name}（{role_label(self.role)}）无权{zh}",
                               f"{self.name} ({role_label(self.role, 'en')}) may not {en}",
                               "请联系管理员调整角色 / ask an administrator for a role that allows it",
                               code="forbidden")


def os_user() -> str:
    """The operating-system user name (``unknown`` when it cannot be told)."""
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):
        return "unknown"


def local_actor() -> Actor:
    """Single-user mode (no accounts): the OS user, with every permission."""
    return Actor(os_user(), "admin", "os")


# --------------------------------------------------------------------------- passwords
MIN_PASSWORD_LENGTH = 8


def check_password_policy(password: str) -> None:
    """At least :data:`MIN_PASSWORD_LENGTH` characters with a letter and a digit (our policy)."""
    if len(password) < MIN_PASSWORD_LENGTH or not any(c.isalpha() for c in password) \
            or not any(c.isdigit() for c in password):
        raise ParkmapError(f"密码太弱：至少 {MIN_PASSWORD_LENGTH} 位，须含字母和数字",
                           f"Password too weak: at least {MIN_PASSWORD_LENGTH} characters with letters and digits",
                           "换一个更长的密码 / choose a longer password", code="usage")


def hash_password(password: str) -> str:
    """An argon2id hash (with its salt and parameters) of ``password``."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Does ``password`` match the stored argon2 hash?  False for a malformed hash."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(PasswordHasher().verify(stored, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


#: A valid hash of a random password: wrong user names take as long as wrong passwords.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$ZbGW9ltyVvLzlm8EQIPqnw$gll1jQK43NQa8LHPaEFI9LPqzI/8JPlH3cU4W/C/3e0"


def burn_time(password: str) -> None:
    """Spend a verify's time for an unknown user name (no user enumeration by timing)."""
    verify_password(_DUMMY_HASH, password)


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class LoginSettings:
    """Login limits (configurable; our defaults, not from the policy documents).

    Attributes
    ----------
    max_failures : int
        Wrong passwords for one account name within ``lock_minutes`` before
        it is locked (``PARKMAP_LOGIN_MAX_FAILURES``, default 5).
    lock_minutes : int
        ``PARKMAP_LOGIN_LOCK_MINUTES``, default 15.
    idle_minutes : int
        A session without any interaction for this long must log in again
        (``PARKMAP_SESSION_IDLE_MINUTES``, default 30).
    """

    max_failures: int = 5
    lock_minutes: int = 15
    idle_minutes: int = 30


def login_settings() -> LoginSettings:
    """The current :class:`LoginSettings` from the environment."""
    from geo.settings import env_int  # the one reader of the environment

    d = LoginSettings()
    return LoginSettings(env_int("PARKMAP_LOGIN_MAX_FAILURES", d.max_failures),
                         env_int("PARKMAP_LOGIN_LOCK_MINUTES", d.lock_minutes),
                         env_int("PARKMAP_SESSION_IDLE_MINUTES", d.idle_minutes))


__all__ = ["ROLES", "Actor", "LoginSettings", "RoleSpec", "burn_time", "check_password_policy", "check_role",
           "hash_password", "local_actor", "login_settings", "os_user", "permits", "role_label",
           "verify_password"]


# --------------------------------------------------------------------------- sessions and SSO
def session_expired(last_seen: float | None, now: float, idle_minutes: int) -> bool:
    """Has a session been idle longer than ``idle_minutes``?  (Times in seconds, e.g. :func:`time.time`.)

    Examples
    --------
    >>> session_expired(0.0, 31 * 60.0, 30), session_expired(0.0, 29 * 60.0, 30)
    (True, False)
    """
    return last_seen is not None and now - last_seen > idle_minutes * 60


def is_loopback(address: str | None) -> bool:
    """Is the server bound only to this machine (127.0.0.0/8, ::1, localhost)?

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback(None)
    (True, False, False)
    """
    import ipaddress

    text = str(address or "").strip().strip("[]")
    if text == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def role_from_claims(claims: dict[str, Any], role_claim: str, mapping: dict[str, str]) -> str | None:
    """The most privileged role an SSO user's claims map to; None when none does.

    Parameters
    ----------
    claims : dict
        The OIDC ID-token claims (``st.user`` in the app).
    role_claim : str
        The claim holding groups or roles, e.g. ``groups``; a string or a list.
    mapping : dict
        Claim value → role key, e.g. ``{"规划处": "planner", "信息中心": "admin"}``.

    Examples
    --------
    >>> role_from_claims({"groups": ["规划处", "审核组"]}, "groups", {"规划处": "planner", "审核组": "reviewer"})
    'reviewer'
    >>> role_from_claims({"groups": "访客"}, "groups", {"规划处": "planner"}) is None
    True
    """
    raw = claims.get(role_claim)
    values = [raw] if isinstance(raw, str) else list(raw or []) if isinstance(raw, (list, tuple)) else []
    order = list(ROLES)
    found = [mapping[v] for v in values if isinstance(v, str) and mapping.get(v) in ROLES]
    return max(found, key=order.index) if found else None


_FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host")


def is_local_request(headers: dict[str, Any] | None) -> bool:
    """Did this request come straight from this machine (not through a reverse proxy)?

    Single-user mode (no accounts) must not be reachable from the intranet,
    even when Streamlit itself listens on 127.0.0.1 behind a proxy: any
    forwarding header, or a ``Host`` that is not a loopback name, means a
    proxy or another machine is in between.

    Examples
    --------
    >>> is_local_request({"Host": "127.0.0.1:8501"}), is_local_request({"Host": "localhost:8501"})
    (True, True)
    >>> is_local_request({"Host": "127.0.0.1:8501", "X-Forwarded-For": "10.1.2.3"})
    False
    >>> is_local_request({"Host": "parkmap.example.gov.cn"})
    False
    """
    low = {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}
    if any(h in low for h in _FORWARDING_HEADERS):
        return False
    host = low.get("host", "")
    if not host:
        return True  # no HTTP request (tests, bare mode)
    name = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return is_loopback(name)
