"""Login and session of the parkmap page: who is here, the login form, the idle timeout, logout.

Streamlit code (above the engine): the password and single-sign-on login,
the session's :class:`geo.auth.Actor` in ``st.session_state["actor"]``, and
the process-wide :class:`geo.workspace.Workspace` they are checked against.
"""

from __future__ import annotations

import streamlit as st

from geo import accounts
from geo.auth import Actor, is_local_request, is_loopback, local_actor, login_settings, role_from_claims, session_expired
from geo.errors import ParkmapError
from geo import settings
from geo.workspace import PgWorkspace, Workspace, default_home, open_workspace
from layers.i18n import t
from layers.present import md_escape

ss = st.session_state


@st.cache_resource(show_spinner=False)
def _workspace(home: str, url: str) -> Workspace | PgWorkspace:
    ws = open_workspace(home, url=url)  # PostgreSQL when PARKMAP_DATABASE_URL is set
    ws.verify(full=True)  # once per process: every row, not only the newest (sets ws.tamper on a finding)
    return ws


def workspace() -> Workspace | PgWorkspace:
    """The workspace (``$PARKMAP_DATABASE_URL``, else the file in ``$PARKMAP_HOME``), opened once per process.

    Every write re-verifies the newest records inside its transaction, so a
    workspace tampered with while the app runs is refused at the next write.
    """
    ws = _workspace(str(default_home()), settings.database_url() or "")
    ws.verify_if_changed()  # a full walk whenever anyone changed the file since the last one (a stat otherwise)
    return ws


def actor() -> Actor:
    """Who is using this session (set by :func:`identity`)."""
    return ss["actor"]


def _sso_settings() -> dict | None:
    """``[parkmap_sso]`` in secrets.toml (role_claim, roles mapping) when ``[auth]`` (st.login) is configured."""
    try:
        if "auth" not in st.secrets:
            return None
        conf = dict(st.secrets.get("parkmap_sso", {}))
    except Exception:  # no secrets file
        return None
    return {"role_claim": str(conf.get("role_claim", "groups")), "roles": dict(conf.get("roles", {}))}


def identity() -> Actor | None:
    """Who is here, or None after showing the login form (nothing else is drawn then).

    * No accounts: the OS user (single-user default), served on 127.0.0.1 only.
    * Accounts: a password login (rate-limited in :func:`geo.accounts.login`),
      or single sign-on (``st.login``) when ``[auth]`` is configured; a
      session idle longer than ``PARKMAP_SESSION_IDLE_MINUTES`` logs out.
    """
    import time

    ws = workspace()
    if not ws.has_accounts():
        if not is_loopback(st.get_option("server.address")) or not is_local_request(dict(st.context.headers or {})):
            st.error(f"{t('not_loopback', 'zh')}\n\n{t('not_loopback', 'en')}")
            return None
        if ss.get("actor") is None or ss["actor"].via != "os":
            ss["actor"] = local_actor()
        return ss["actor"]
    now, current = time.time(), ss.get("actor")
    if current is not None and current.via != "os":
        if session_expired(ss.get("last_seen"), now, login_settings().idle_minutes):
            accounts.logout(ws, current, "timeout")
            _forget_session()
            ss["timed_out"] = True
            if current.via == "sso":
                st.logout()  # else the identity provider's cookie would log straight back in
        elif current.via == "account" and not _account_unchanged(ws, current.name):
            accounts.logout(ws, current, "account-changed")  # disabled, or its password changed meanwhile
            _forget_session()
        if "actor" in ss:
            ss["last_seen"] = now
            return ss["actor"]
    ss.pop("actor", None)
    return _login_page(ws)


def _account_unchanged(ws: Workspace, name: str) -> bool:
    """Is the account still active and unchanged since this session logged in (no new password, not disabled)?"""
    try:
        accounts.account(ws, name)
        return accounts.account_version(ws, name) == ss.get("account_version")
    except ParkmapError:
        return False


def _login_page(ws: Workspace) -> Actor | None:
    sso = _sso_settings()
    if sso is not None and getattr(st.user, "is_logged_in", False):
        claims = dict(st.user)
        shown = str(claims.get("preferred_username") or claims.get("email") or claims.get("sub") or "")
        try:  # SSO users are named apart from password accounts: sso:<name>
            name = accounts.check_name(f"sso:{shown}"[:64])
        except ParkmapError as exc:
            st.error(md_escape(str(exc)))
            return None
        role = role_from_claims(claims, sso["role_claim"], sso["roles"])
        if role is None:
            st.error(md_escape(f"{t('sso_no_role', 'zh').format(name=name)} / {t('sso_no_role', 'en').format(name=name)}"))
            return None
        import time

        ss["actor"], ss["last_seen"] = Actor(name, role, "sso"), time.time()
        ws.record("login", actor=ss["actor"], detail={"via": "sso"})
        st.rerun()
    st.title(f"{t('app_title', 'zh')} · {t('login_title', 'zh')} / {t('login_title', 'en')}")
    if ss.pop("timed_out", False):
        st.info(f"{t('session_timeout', 'zh')} / {t('session_timeout', 'en')}")
    if ss.pop("password_changed", False):
        st.success(f"{t('password_changed', 'zh')} / {t('password_changed', 'en')}")
    st.caption(f"{t('login_hint', 'zh')}  \n{t('login_hint', 'en')}")
    with st.form("login", clear_on_submit=True):  # a wrong password does not stay in the field
        name = st.text_input(f"{t('login_name', 'zh')} / {t('login_name', 'en')}", key="login_name")
        password = st.text_input(f"{t('login_password', 'zh')} / {t('login_password', 'en')}", type="password",
                                 key="login_password")
        submitted = st.form_submit_button(f"{t('login_submit', 'zh')} / {t('login_submit', 'en')}", type="primary")
    if sso is not None and st.button(f"{t('sso_login', 'zh')} / {t('sso_login', 'en')}", key="sso_login"):
        st.login()
    if submitted:
        try:
            who = accounts.login(ws, name, password)
        except ParkmapError as exc:
            st.error(md_escape(str(exc)))
            return None
        import time

        ss["actor"], ss["last_seen"] = who, time.time()
        ss["account_version"] = accounts.account_version(ws, who.name)
        st.rerun()
    return None


def require_session() -> None:
    """In a fragment's own rerun (which skips :func:`identity`): a logged-out, disabled-in-the-meantime
    or idle session reruns the whole page, which shows the login form."""
    import time

    who = ss.get("actor")
    if who is None or (who.via == "os") == workspace().has_accounts() or \
            session_expired(ss.get("last_seen"), time.time(), login_settings().idle_minutes):
        st.rerun(scope="app")
    if who.via == "account" and not _account_unchanged(workspace(), who.name):
        st.rerun(scope="app")  # identity() then drops the session
    if who.via != "os":
        ss["last_seen"] = time.time()


def password_form(sb, lang: str) -> None:
    """Change one's own password (the current one is checked, with the login's lockout); then log in again."""
    with sb.expander(t("change_password", lang)):
        with st.form("password", clear_on_submit=True):
            old = st.text_input(t("old_password", lang), type="password", key="pw_old")
            new = st.text_input(t("new_password", lang), type="password", key="pw_new")
            done = st.form_submit_button(t("change_password", lang))
        if done:
            ws, who = workspace(), actor()
            try:
                accounts.login(ws, who.name, old)
                accounts.set_password(ws, who.name, new, actor=who)
            except ParkmapError as exc:
                st.error(md_escape(str(exc)))
                return
            _forget_session()
            ss["password_changed"] = True
            st.rerun()


def _forget_session() -> None:
    """Drop everything of the previous user (proposal, result, exports, widgets) but the language."""
    for key in list(ss.keys()):
        if key != "lang":
            del ss[key]


def logout() -> None:
    who = ss.get("actor")
    _forget_session()
    if who is not None and who.via != "os":
        accounts.logout(workspace(), who)
    if who is not None and who.via == "sso":
        st.logout()

