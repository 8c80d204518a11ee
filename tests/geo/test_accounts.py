"""Accounts, roles and login (geo.accounts, geo.auth, and their enforcement in geo.workspace).

The ``team`` tests run on both workspace backends (SQLite file, PostgreSQL on the tests' throwaway cluster).
"""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from tests.geo import geo_builders as gb
import pytest

from geo import accounts, audit
from geo.accounts import (
    account,
    add_user,
    list_users,
    login,
    logout,
    set_disabled,
    set_password,
)
from geo.auth import ROLES, Actor, check_password_policy, login_settings, permits
from geo.check import (
    apply_override,
)
from geo.errors import ParkmapError
from geo.workspace import SaveItem, Workspace

PW = {"boss": "boss-pass-1", "pl": "plan-pass-1", "pl2": "plan-pass-2", "view": "view-pass-1", "rev": "rev-pass-12"}
ROLE = {"boss": "admin", "pl": "planner", "pl2": "planner", "view": "viewer", "rev": "reviewer"}


sq = gb.square


@pytest.fixture(scope="module")
def result():
    return gb.small_check_result()


@pytest.fixture(scope="module")
def team_file(tmp_path_factory) -> Path:
    """A workspace with an admin, two planners, a viewer and a reviewer (made once: argon2 is slow on purpose)."""
    home = tmp_path_factory.mktemp("team")
    ws = Workspace(home)
    _add_team(ws)
    assert not Path(f"{ws.path}-wal").exists()  # all connections closed: everything is in the main file
    return ws.path


def _add_team(ws) -> None:
    add_user(ws, "boss", "admin", PW["boss"])
    for name in ("pl", "pl2", "view", "rev"):
        add_user(ws, name, ROLE[name], PW[name], actor=who("boss"))


@pytest.fixture(scope="module")
def team_template(pg_cluster) -> str:
    """A PostgreSQL database holding the team, copied per test (``CREATE DATABASE … TEMPLATE``)."""
    import psycopg

    from geo.db.schema import init_db
    from geo.workspace import PgWorkspace
    from geo.workspace_pg import close_pools

    name = "team_template"
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name}")
        con.execute(f"CREATE DATABASE {name}")
    url = pg_cluster.url(name)
    init_db(url)
    _add_team(PgWorkspace(url))
    close_pools(url)  # a template must have no connections
    return name


@pytest.fixture
def team(request, backend, tmp_path, team_file):
    if backend == "sqlite":
        shutil.copyfile(team_file, tmp_path / team_file.name)
        ws = Workspace(tmp_path)
    else:
        import uuid

        import psycopg

        from geo.workspace import PgWorkspace
        from geo.workspace_pg import close_pools

        cluster = request.getfixturevalue("pg_cluster")
        name = f"team_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(cluster.url(), autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name} TEMPLATE {request.getfixturevalue('team_template')}")

        def drop() -> None:
            close_pools(cluster.url(name))
            with psycopg.connect(cluster.url(), autocommit=True) as con:
                con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

        request.addfinalizer(drop)
        ws = PgWorkspace(cluster.url(name))
    assert ws.tamper is None and len(list_users(ws)) == 5
    return ws


def who(name: str) -> Actor:
    return Actor(name, ROLE[name], "account")


def forbidden(fn, code: str = "forbidden") -> ParkmapError:
    with pytest.raises(ParkmapError) as err:
        fn()
    assert err.value.code == code, err.value
    return err.value


# --------------------------------------------------------------------------- roles
def test_role_registry_is_cumulative():
    order = list(ROLES)
    assert order == ["viewer", "planner", "reviewer", "admin"]
    for lower, higher in itertools.pairwise(order):
        assert ROLES[lower].permissions < ROLES[higher].permissions
    assert [r for r in order if permits(r, "save")] == ["planner", "reviewer", "admin"]
    assert [r for r in order if permits(r, "override")] == ["reviewer", "admin"]
    assert [r for r in order if permits(r, "manage_users")] == ["admin"]
    assert not permits("root", "view") and not permits("", "view")


# --------------------------------------------------------------------------- permissions on writes
def test_write_without_actor_needs_login_once_accounts_exist(team, result):
    before = len(team.events())
    forbidden(lambda: team.save_proposal("x", result.geometry, "Z1"), "login")
    forbidden(lambda: team.record("report"), "login")
    forbidden(lambda: add_user(team, "eve", "admin", "eve-pass-12"), "login")
    assert len(team.events()) == before


def test_viewer_cannot_save_or_check(team, result):
    pid = team.save_proposal("pl's", result.geometry, "Z1", actor=who("pl"))
    n = len(team.events())
    forbidden(lambda: team.save_proposal("x", result.geometry, "Z1", actor=who("view")))
    forbidden(lambda: team.save_check(pid, result, actor=who("view")))
    forbidden(lambda: team.save_checked([SaveItem("x", result.geometry, "Z1", result)], actor=who("view")))
    forbidden(lambda: team.soft_delete(pid, actor=who("view")))
    forbidden(lambda: team.record("layer_import", actor=who("view"), permission="import_layers"))
    assert len(team.events()) == n
    team.record("report", actor=who("view"), permission="export")  # a viewer may export


def test_planner_owns_their_proposals_only(team, result):
    mine = team.save_proposal("mine", result.geometry, "Z1", actor=who("pl"))
    theirs = team.save_proposal("theirs", result.geometry, "Z1", actor=who("pl2"))
    cid = team.save_check(mine, result, actor=who("pl"))
    team.soft_delete(mine, actor=who("pl"))
    team.restore(mine, actor=who("pl"))
    forbidden(lambda: team.soft_delete(theirs, actor=who("pl")))
    team.soft_delete(theirs, actor=who("pl2"))
    forbidden(lambda: team.restore(theirs, actor=who("pl")))
    forbidden(lambda: team.save_override(cid, "eco_redline", "pass", "理由", actor=who("pl")))
    forbidden(lambda: team.save_check(mine, apply_override(result, "eco_redline", "pass", "理由"), actor=who("pl")))
    forbidden(lambda: team.save_check(mine, result, kind="override", parent_check_id=cid, actor=who("pl")))
    assert [c.id for c in team.checks_for(mine)] == [cid]
    forbidden(lambda: team.record("layer_import", actor=who("pl"), permission="import_layers"))


def test_reviewer_overrides_and_deletes_anyones(team, result):
    pid = team.save_proposal("pl's", result.geometry, "Z1", actor=who("pl"))
    cid = team.save_check(pid, result, actor=who("pl"))
    oid = team.save_override(cid, "eco_redline", "pass", "红线已调整", actor=who("rev"))
    team.soft_delete(pid, actor=who("rev"))
    assert team.get_proposal(pid).deleted
    team.restore(pid, actor=who("rev"))
    assert not team.get_proposal(pid).deleted
    o = team.get_check(oid)
    assert (o.kind, o.parent_check_id, o.created_by, o.created_role) == ("override", cid, "rev", "reviewer")
    forbidden(lambda: team.record("layer_import", actor=who("rev"), permission="import_layers"))
    team.record("layer_import", actor=who("boss"), permission="import_layers")


def test_every_record_carries_the_actor(team, result):
    [(pid, cid)] = team.save_checked([SaveItem("东扩", result.geometry, "Z1", result)], actor=who("pl"))
    oid = team.save_override(cid, "eco_redline", "pass", "依据批复", actor=who("rev"))
    team.soft_delete(pid, actor=who("rev"))
    forbidden(lambda: team.restore(pid, actor=who("pl")))  # deleted by the reviewer: not the planner's to undo
    team.restore(pid, actor=who("rev"))
    team.soft_delete(pid, actor=who("pl"))
    team.restore(pid, actor=who("pl"))
    p = team.get_proposal(pid)
    assert (p.created_by, p.created_role) == ("pl", "planner")
    assert (team.get_check(cid).created_by, team.get_check(cid).created_role) == ("pl", "planner")
    assert (team.get_check(oid).created_by, team.get_check(oid).created_role) == ("rev", "reviewer")
    ev = team.events()
    ev = ev[ev["proposal_id"] == pid]
    assert list(zip(ev["action"], ev["user"], ev["role"])) == [
        ("save_proposal", "pl", "planner"), ("check", "pl", "planner"), ("override", "rev", "reviewer"),
        ("delete", "rev", "reviewer"), ("restore", "rev", "reviewer"), ("delete", "pl", "planner"),
        ("restore", "pl", "planner")]
    row = team.list_proposals().set_index("id").loc[pid]
    assert (row["created_by"], row["last_checked_by"]) == ("pl", "rev")
    adds = team.events()
    adds = adds[adds["action"] == "user_add"]
    from geo.auth import os_user

    assert list(adds["user"]) == [os_user(), "boss", "boss", "boss", "boss"]  # the first by the OS user
    assert list(adds["role"]) == ["admin"] * 5


# --------------------------------------------------------------------------- accounts
def test_first_account_must_be_admin(tmp_path):
    ws = Workspace(tmp_path)
    for role in ("viewer", "planner", "reviewer"):
        forbidden(lambda r=role: add_user(ws, "first", r, "first-pass-1"), "usage")
    assert not ws.has_accounts()
    add_user(ws, "first", "admin", "first-pass-1")
    ev = ws.events().iloc[-1]
    assert (ev["action"], ev["role"]) == ("user_add", "admin")  # the OS user, single-user mode
    assert json.loads(ev["detail_json"])["account"] == "first"


def test_bootstrap_cannot_be_repeated_by_the_os_user(team):
    # Accounts exist: the OS user (no actor) is no longer anyone.
    forbidden(lambda: add_user(team, "second", "admin", "second-pass-1"), "login")


def test_add_user_rules(team):
    forbidden(lambda: add_user(team, "pl", "planner", "other-pass-1", actor=who("boss")), "usage")
    forbidden(lambda: add_user(team, "new", "god", "new-pass-123", actor=who("boss")), "usage")
    for weak in ("short1", "onlyletters", "1234567890", ""):
        forbidden(lambda w=weak: add_user(team, "new", "planner", w, actor=who("boss")), "usage")
    for bad_name in ("", " lead", "trail ", "a\nb", "x" * 65, "tab\there"):
        forbidden(lambda n=bad_name: add_user(team, n, "planner", "good-pass-1", actor=who("boss")), "usage")
    for name in ("pl", "rev", "view"):
        forbidden(lambda n=name: add_user(team, "new", "planner", "good-pass-1", actor=who(n)))
    assert "new" not in set(list_users(team)["name"])
    add_user(team, "张三", "planner", "张三的密码2024", actor=who("boss"))
    assert account(team, "张三") == Actor("张三", "planner", "account")


def test_password_policy_examples():
    check_password_policy("abcdefg1")
    with pytest.raises(ParkmapError):
        check_password_policy("abcdef1")


def test_change_password(team):
    set_password(team, "pl", "new-plan-pass-2", actor=who("pl"))  # self
    assert login(team, "pl", "new-plan-pass-2") == who("pl")
    forbidden(lambda: login(team, "pl", PW["pl"]), "login")
    set_password(team, "pl", "reset-by-boss-3", actor=who("boss"))  # admin
    assert login(team, "pl", "reset-by-boss-3") == who("pl")
    forbidden(lambda: set_password(team, "pl", "hijacked-pass-4", actor=who("pl2")))  # another planner
    forbidden(lambda: set_password(team, "pl", "hijacked-pass-4", actor=who("rev")))
    forbidden(lambda: set_password(team, "pl", "hijacked-pass-4", actor=Actor("pl", "planner", "sso")))
    forbidden(lambda: set_password(team, "pl", "weak", actor=who("pl")), "usage")
    forbidden(lambda: set_password(team, "ghost", "ghost-pass-1", actor=who("boss")), "not-found")
    assert login(team, "pl", "reset-by-boss-3") == who("pl")
    ev = team.events()
    passwd = ev[ev["action"] == "user_passwd"]
    assert list(zip(passwd["user"], passwd["role"])) == [("pl", "planner"), ("boss", "admin")]


def test_disable_and_enable(team):
    set_disabled(team, "pl", True, actor=who("boss"))
    err = forbidden(lambda: login(team, "pl", PW["pl"]), "login")
    assert "停用" in err.zh and "disabled" in err.en
    forbidden(lambda: account(team, "pl"), "login")
    forbidden(lambda: set_disabled(team, "pl2", True, actor=who("rev")))
    # A password change does not re-enable.
    set_password(team, "pl", "while-off-pass-5", actor=who("boss"))
    forbidden(lambda: login(team, "pl", "while-off-pass-5"), "login")
    set_disabled(team, "pl", False, actor=who("boss"))
    assert login(team, "pl", "while-off-pass-5") == who("pl")


def test_last_admin_cannot_be_disabled(team):
    forbidden(lambda: set_disabled(team, "boss", True, actor=who("boss")), "usage")
    add_user(team, "boss2", "admin", "boss-pass-2", actor=who("boss"))
    set_disabled(team, "boss", True, actor=Actor("boss2", "admin"))
    forbidden(lambda: set_disabled(team, "boss2", True, actor=Actor("boss2", "admin")), "usage")
    users = list_users(team).set_index("name")
    assert bool(users.loc["boss", "disabled"]) and not bool(users.loc["boss2", "disabled"])


def test_password_change_racing_a_disable_does_not_re_enable(team, monkeypatch):
    """set_password hashes (slow) between reading the account and writing it; an admin disables it meanwhile."""
    real = accounts.hash_password

    def slow_hash(password):
        monkeypatch.setattr(accounts, "hash_password", real)
        set_disabled(team, "pl", True, actor=who("boss"))
        return real(password)

    monkeypatch.setattr(accounts, "hash_password", slow_hash)
    set_password(team, "pl", "raced-pass-77", actor=who("pl"))
    assert bool(list_users(team).set_index("name").loc["pl", "disabled"])
    forbidden(lambda: login(team, "pl", "raced-pass-77"), "login")


def test_list_users_sorted_without_hashes(team):
    df = list_users(team)
    assert list(df["name"]) == sorted(["boss", "pl", "pl2", "view", "rev"])
    assert list(df.columns) == ["name", "role", "disabled", "created_at", "changed_at", "changed_by"]
    assert not any("hash" in c or "pw" in c for c in df.columns)
    assert dict(zip(df["name"], df["role"])) == ROLE
    set_password(team, "view", "view-pass-99", actor=who("view"))
    df = list_users(team).set_index("name")
    assert len(df) == 5 and df.loc["view", "changed_by"] == "view" and df.loc["view", "created_at"] < df.loc[
        "view", "changed_at"]


def test_passwords_are_argon2_and_never_stored_in_clear(team, backend):
    import sqlite3

    reader = sqlite3.connect(team.path) if backend == "sqlite" else None  # keeps the WAL file, searched too
    if reader is not None:
        reader.execute("SELECT 1 FROM users").fetchone()
    login(team, "pl", PW["pl"])
    forbidden(lambda: login(team, "pl", "typo-" + PW["pl"]), "login")
    set_password(team, "pl2", "changed-secret-9", actor=who("pl2"))
    with team._connect() as con:
        hashes = [h for (h,) in con.execute("SELECT pw_hash FROM users").fetchall()]
        if backend == "sqlite":
            blob = b"".join(p.read_bytes() for p in sorted(Path(team.path.parent).glob(team.path.name + "*")))
            assert Path(f"{team.path}-wal").exists()
        else:  # every text of every table, as the server returns it
            blob = b"".join(
                "\n".join(str(v) for row in con.execute(f"SELECT * FROM {t}").fetchall() for v in row).encode()
                for t in ("users", "events", "proposals", "checks"))
    assert hashes and all(h.startswith("$argon2id$v=19$") for h in hashes)
    assert len(set(hashes)) == len(hashes)  # salted
    assert b"$argon2id$" in blob  # the search does see the stored hashes
    for secret in [*PW.values(), "typo-" + PW["pl"], "changed-secret-9"]:
        for enc in ("utf-8", "utf-16-le"):
            assert secret.encode(enc) not in blob, secret
    if reader is not None:
        reader.close()


# --------------------------------------------------------------------------- login and lockout
@pytest.fixture
def strict(monkeypatch):
    monkeypatch.setenv("PARKMAP_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("PARKMAP_LOGIN_LOCK_MINUTES", "15")
    assert login_settings().max_failures == 3


def shift_clock(monkeypatch, minutes: float) -> None:
    real = accounts.now_iso

    def later(timespec="seconds"):
        return (datetime.fromisoformat(real("microseconds")) + timedelta(minutes=minutes)).isoformat(timespec=timespec)

    monkeypatch.setattr(accounts, "now_iso", later)


def login_events(ws: Workspace, name: str) -> list[tuple[str, str | None]]:
    ev = ws.events()
    ev = ev[(ev["user"] == name) & ev["action"].isin(["login", "login_failed"])]
    return [(a, json.loads(d).get("reason")) for a, d in zip(ev["action"], ev["detail_json"])]


def test_lockout_then_expiry(team, strict, monkeypatch):
    wrong = [forbidden(lambda i=i: login(team, "pl", f"wrong-pass-{i}"), "login") for i in range(3)]
    locked = forbidden(lambda: login(team, "pl", PW["pl"]), "locked")  # the RIGHT password, refused
    assert "锁定" in locked.zh and "15 more minute" in locked.en
    assert login_events(team, "pl") == [("login_failed", "wrong-password")] * 3 + [("login_failed", "locked")]
    assert {(e.zh, e.en) for e in wrong} == {("账号或密码错误", "Wrong account name or password")}
    # Other accounts are not affected.
    assert login(team, "pl2", PW["pl2"]) == who("pl2")
    # 10 minutes later: still locked (locked attempts do not extend the lock, nor do they count).
    shift_clock(monkeypatch, 10)
    forbidden(lambda: login(team, "pl", PW["pl"]), "locked")
    monkeypatch.undo()
    monkeypatch.setenv("PARKMAP_LOGIN_MAX_FAILURES", "3")
    shift_clock(monkeypatch, 16)
    assert login(team, "pl", PW["pl"]) == who("pl")
    assert login_events(team, "pl")[-1] == ("login", None)


def test_success_resets_the_count(team, strict):
    for _ in range(2):
        forbidden(lambda: login(team, "pl", "nope-nope-1"), "login")
    assert login(team, "pl", PW["pl"]) == who("pl")
    for _ in range(2):
        forbidden(lambda: login(team, "pl", "nope-nope-1"), "login")
    assert login(team, "pl", PW["pl"]) == who("pl")


def test_unknown_name_looks_like_a_wrong_password(team, strict):
    wrong = forbidden(lambda: login(team, "pl", "wrong-pass-1"), "login")
    unknown = forbidden(lambda: login(team, "nobody", "wrong-pass-1"), "login")
    assert (unknown.zh, unknown.en, unknown.hint) == (wrong.zh, wrong.en, wrong.hint)
    for _ in range(2):
        forbidden(lambda: login(team, "nobody", "wrong-pass-1"), "login")
    forbidden(lambda: login(team, "nobody", "wrong-pass-1"), "locked")  # locks like a real name
    assert login_events(team, "nobody") == [("login_failed", "wrong-password")] * 3 + [("login_failed", "locked")]
    forbidden(lambda: login(team, "", "x"), "login")
    forbidden(lambda: login(team, "pl", ""), "login")


def test_parallel_guesses_cannot_exceed_the_limit(team, strict, monkeypatch):
    """Two failures recorded; the right password is being checked when a third wrong guess lands.
    The outcome is decided on the count inside the recording transaction: locked."""
    for _ in range(2):
        forbidden(lambda: login(team, "pl", "nope-nope-1"), "login")
    real = accounts.verify_password

    def racing_verify(stored, password):
        monkeypatch.setattr(accounts, "verify_password", real)
        forbidden(lambda: login(team, "pl", "nope-nope-2"), "login")  # the parallel guess
        return real(stored, password)

    monkeypatch.setattr(accounts, "verify_password", racing_verify)
    forbidden(lambda: login(team, "pl", PW["pl"]), "locked")


def test_control_characters_in_a_login_name_are_not_logged(team):
    forbidden(lambda: login(team, "pl\n#99\tforged", "whatever-1"), "login")
    assert team.events().iloc[-1]["user"] == "pl?#99?forged"


def test_logout_and_bad_settings(team, monkeypatch):
    actor = login(team, "rev", PW["rev"])
    logout(team, actor, "timeout")
    ev = team.events().iloc[-1]
    assert (ev["action"], ev["user"], json.loads(ev["detail_json"])) == ("logout", "rev", {"reason": "timeout",
                                                                                          "via": "account"})
    for bad in ("0", "-1", "many"):
        monkeypatch.setenv("PARKMAP_LOGIN_MAX_FAILURES", bad)
        forbidden(login_settings, "config")  # one settings parser (geo.limits.env_int)


def test_account_events_are_chained_to_their_rows(team):
    ev = team.events()
    adds = ev[ev["action"] == "user_add"]
    assert len(adds) == 5
    with team._connect() as con:
        for d in adds["detail_json"]:
            detail = json.loads(d)
            assert tuple(con.execute("SELECT name, row_hash FROM users WHERE id = ?", (detail["user_id"],)).fetchone()) \
                == (detail["account"], detail["user_hash"])
        assert audit.verify(con) is None
    assert team.verify() is None


# --------------------------------------------------------------------------- review fixes
def test_restore_own_only_undoes_ones_own_delete(team, result):
    mine = team.save_proposal("mine", result.geometry, "Z1", actor=who("pl"))
    team.soft_delete(mine, actor=who("rev"))
    err = forbidden(lambda: team.restore(mine, actor=who("pl")))
    assert "恢复他人" in err.zh
    assert team.get_proposal(mine).deleted
    team.restore(mine, actor=who("rev"))
    team.soft_delete(mine, actor=who("pl"))
    team.restore(mine, actor=who("pl"))  # their own delete
    assert not team.get_proposal(mine).deleted
    # The latest delete decides: deleted by the planner, restored, then deleted again by the reviewer.
    team.soft_delete(mine, actor=who("pl"))
    team.restore(mine, actor=who("rev"))
    team.soft_delete(mine, actor=who("rev"))
    forbidden(lambda: team.restore(mine, actor=who("pl")))


def test_reserved_account_names(team):
    for name in ("(v1)", "sso:alice", "SSO:alice", "ｓｓｏ：alice", "os:root", "OS:root"):
        err = forbidden(lambda n=name: add_user(team, n, "planner", "good-pass-1", actor=who("boss")), "usage")
        assert "reserved" in err.en
    assert len(list_users(team)) == 5
    add_user(team, "sso-team", "planner", "good-pass-1", actor=who("boss"))  # only the prefix is reserved


def test_account_version_changes_with_the_account(team):
    v = accounts.account_version(team, "pl")
    assert v == accounts.account_version(team, "pl")
    login(team, "pl", PW["pl"])
    assert accounts.account_version(team, "pl") == v  # a login is not a change of the account
    set_password(team, "pl", "new-plan-pass-2", actor=who("pl"))
    v2 = accounts.account_version(team, "pl")
    assert v2 > v
    set_disabled(team, "pl", True, actor=who("boss"))
    assert accounts.account_version(team, "pl") > v2
    forbidden(lambda: accounts.account_version(team, "ghost"), "not-found")


def test_at_most_two_password_checks_at_once(team, monkeypatch):
    import threading
    import time

    running, peak, lock = [0], [0], threading.Lock()

    def slow(*args):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.15)
        with lock:
            running[0] -= 1
        return False

    monkeypatch.setattr(accounts, "verify_password", slow)
    monkeypatch.setattr(accounts, "burn_time", lambda password: slow())
    names = ["pl", "pl2", "view", "rev", "boss", "nobody"]
    errors: list[BaseException] = []

    def attempt(name):
        try:
            login(team, name, "wrong-pass-1")
        except ParkmapError as exc:
            if exc.code != "login":
                errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and peak[0] == accounts.VERIFY_SLOTS == 2
    assert len([e for e in team.events()["action"] if e == "login_failed"]) == len(names)
    assert team.verify() is None


def test_every_event_says_how_its_actor_was_identified(tmp_path, result):
    ws = Workspace(tmp_path)
    ws.save_proposal("single-user", result.geometry, "Z1")  # no accounts: the OS user
    add_user(ws, "boss", "admin", PW["boss"])
    add_user(ws, "pl", "planner", PW["pl"], actor=who("boss"))
    pid = ws.save_proposal("a", result.geometry, "Z1", actor=who("pl"))
    ws.save_check(pid, result, actor=Actor("sso:abc", "planner", "sso"))
    ws.record("report", actor=Actor("boss", "admin", "cli"))
    login(ws, "pl", PW["pl"])
    forbidden(lambda: login(ws, "pl", "wrong-pass-9"), "login")
    ev = ws.events()
    via = [json.loads(d)["via"] for d in ev["detail_json"]]
    assert list(zip(ev["action"], via)) == [
        ("save_proposal", "os"), ("user_add", "os"), ("user_add", "account"), ("save_proposal", "account"),
        ("check", "sso"), ("report", "cli"), ("login", "account"), ("login_failed", "account")]
    assert ws.verify() is None
