"""The workspace on PostgreSQL (geo.workspace_pg): what only a shared database has.

The app's login role, tampering with the triggers bypassed, many processes
writing at once with two reviewers racing on one check, and the database
going away mid-run.  All against the tests' own throwaway cluster.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import uuid
from pathlib import Path

import psycopg
import pytest
import shapely

from geo.auth import Actor
from geo.db.schema import init_db
from geo.errors import ParkmapError
from geo.workspace import PgWorkspace, SaveItem, open_workspace
from geo.workspace_pg import close_pools, qmark_to_pyformat
from tests.geo import geo_builders as gb
from tests.pg_cluster import PgCluster

REVIEWER = Actor("rev", "reviewer", "account")


@pytest.fixture(scope="module")
def result():
    return gb.small_check_result()


@pytest.fixture
def url(pg_db):
    init_db(pg_db)
    yield pg_db
    close_pools(pg_db)


def _superuser(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def test_placeholders_outside_quotes_only():
    assert qmark_to_pyformat('SELECT "?" FROM t WHERE a = ? AND b LIKE \'%?\'', True) == \
        'SELECT "?" FROM t WHERE a = %s AND b LIKE \'%%?\''
    assert qmark_to_pyformat("SELECT '100%'", False) == "SELECT '100%'"


def test_open_workspace_follows_the_setting(url, tmp_path, monkeypatch):
    monkeypatch.setenv("PARKMAP_DATABASE_URL", url)
    ws = open_workspace(tmp_path / "unused")
    assert isinstance(ws, PgWorkspace) and ws.backend == "postgresql"
    assert not (tmp_path / "unused").exists()  # nothing embedded is created
    monkeypatch.delenv("PARKMAP_DATABASE_URL")
    assert open_workspace(tmp_path / "home").backend == "sqlite"


def test_the_app_login_role_writes_but_cannot_rewrite(url, pg_cluster, result):
    login = f"app_{uuid.uuid4().hex[:8]}"
    with _superuser(pg_cluster.url()) as con:
        con.execute(f"CREATE ROLE {login} LOGIN IN ROLE parkmap_app")
    app_url = pg_cluster.url(url.rsplit("/", 1)[1], user=login)
    try:
        ws = PgWorkspace(app_url)
        pid = ws.save_proposal("甲", result.geometry, "Z1")
        cid = ws.save_check(pid, result)
        assert ws.save_override(cid, "eco_redline", "pass", "批复已调整", actor=REVIEWER) > cid
        assert ws.verify() is None
        with psycopg.connect(app_url, autocommit=True) as con:
            for sql in ("UPDATE events SET action = 'x'", "DELETE FROM checks", "TRUNCATE proposals CASCADE",
                        "ALTER TABLE events DISABLE TRIGGER ALL", "DROP TRIGGER events_no_update ON events"):
                with pytest.raises(psycopg.Error):
                    con.execute(sql)
    finally:
        close_pools(app_url)
        with _superuser(pg_cluster.url()) as con:
            con.execute(f"DROP OWNED BY {login}")
            con.execute(f"DROP ROLE {login}")


def test_an_edit_with_the_triggers_bypassed_is_found_and_writes_stop(url, result):
    ws = PgWorkspace(url)
    pid = ws.save_proposal("原名", result.geometry, "Z1")
    ws.save_check(pid, result)
    with _superuser(url) as con:  # only a superuser can do this: the triggers fire for the owner too
        with pytest.raises(psycopg.Error, match="append-only"):
            con.execute("UPDATE proposals SET name = '篡改'")
        con.execute("SET session_replication_role = replica")
        con.execute("UPDATE proposals SET name = '篡改' WHERE id = %s", (pid,))
    other = PgWorkspace(url)  # another app instance opening now
    assert other.tamper is not None and other.tamper.problem == "edited" and other.tamper.table == "proposals"
    with pytest.raises(ParkmapError) as e:
        other.save_proposal("新", result.geometry, "Z1")
    assert e.value.code == "workspace-tampered"
    # The instance that was already open sees it at its next write (the state changed: a full walk).
    assert ws.verify_if_changed() is not None
    with pytest.raises(ParkmapError):
        ws.save_proposal("新", result.geometry, "Z1")


@pytest.mark.parametrize("sql, problem", [
    ("ALTER TABLE events DISABLE TRIGGER events_no_delete", "trigger"),
    ("DROP TRIGGER checks_no_update ON checks", "trigger"),
    ("CREATE FUNCTION drop_row() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';"
     "CREATE TRIGGER events_swallow BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION drop_row()", "trigger"),
    ("CREATE OR REPLACE FUNCTION parkmap_append_only() RETURNS trigger LANGUAGE plpgsql AS "
     "'BEGIN RETURN NULL; END'", "trigger"),
])
def test_a_weakened_guard_is_found(url, result, sql, problem):
    ws = PgWorkspace(url)
    ws.save_proposal("甲", result.geometry, "Z1")
    with _superuser(url) as con:
        con.execute(sql)
    found = PgWorkspace(url).tamper
    assert found is not None and found.problem == problem, found


def test_deleting_the_newest_rows_is_caught_by_the_printed_head(url, result):
    """The documented limit: a superuser deleting the newest rows with the triggers bypassed; the head shows it."""
    ws = PgWorkspace(url)
    pid = ws.save_proposal("甲", result.geometry, "Z1")
    ws.save_check(pid, result)
    head = ws.head()
    assert ws.check_head(*head) is None
    with _superuser(url) as con:
        con.execute("SET session_replication_role = replica")
        con.execute("DELETE FROM events WHERE id = %s", (head[0],))
        con.execute("DELETE FROM checks")
    assert ws.check_head(*head) is not None


# ------------------------------------------------------------------------------------------------------------------
# Many processes on one database
# ------------------------------------------------------------------------------------------------------------------
def _saver(url: str, tag: str, n: int, doc: str, start, errors: str) -> None:
    res = json.loads(doc)
    geom = shapely.geometry.shape(res["geometry"])
    start.wait(60)
    try:
        ws = PgWorkspace(url)
        for i in range(n):
            ws.save_proposal(f"{tag}-{i}", geom, "Z1", {"i": i}, source=tag)
    except BaseException:
        import traceback

        Path(errors, f"saver-{tag}.err").write_text(traceback.format_exc(), encoding="utf-8")
        raise


def _overrider(url: str, tag: str, check_id: int, start, out: str) -> None:
    start.wait(60)
    ws = PgWorkspace(url)
    try:
        oid = ws.save_override(check_id, "eco_redline", "pass", f"{tag} 的改判理由", actor=REVIEWER)
        Path(out, f"{tag}.json").write_text(json.dumps({"ok": oid}), encoding="utf-8")
    except ParkmapError as exc:
        Path(out, f"{tag}.json").write_text(json.dumps({"code": exc.code, "message": str(exc)}, ensure_ascii=False),
                                            encoding="utf-8")


def test_four_processes_save_while_two_reviewers_race(url, result, tmp_path):
    ws = PgWorkspace(url)
    pid = ws.save_proposal("被改判的方案", result.geometry, "Z1")
    cid = ws.save_check(pid, result)
    doc = json.dumps(result.to_dict(include_geometries=True), ensure_ascii=False)
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    n = 50
    procs = [ctx.Process(target=_saver, args=(url, tag, n, doc, start, str(tmp_path))) for tag in "ABCD"]
    procs += [ctx.Process(target=_overrider, args=(url, tag, cid, start, str(tmp_path))) for tag in ("rev1", "rev2")]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(600)
    errors = "\n".join(f.read_text(encoding="utf-8") for f in sorted(tmp_path.glob("saver-*.err")))
    assert [p.exitcode for p in procs] == [0] * 6, errors
    listed = ws.list_proposals()
    assert len(listed) == 4 * n + 1
    assert sorted(listed["name"])[:-1] == sorted(f"{t}-{i}" for t in "ABCD" for i in range(n))
    outcomes = [json.loads((tmp_path / f"{t}.json").read_text(encoding="utf-8")) for t in ("rev1", "rev2")]
    won = [o for o in outcomes if "ok" in o]
    lost = [o for o in outcomes if "code" in o]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert lost[0]["code"] == "already-changed" and "已被 rev 于" in lost[0]["message"]
    assert [c.kind for c in ws.checks_for(pid)] == ["check", "override"]
    events = ws.events()
    assert (events["action"] == "save_proposal").sum() == 4 * n + 1 and (events["action"] == "override").sum() == 1
    assert ws.verify(full=True) is None


# ------------------------------------------------------------------------------------------------------------------
# The database goes away
# ------------------------------------------------------------------------------------------------------------------
def test_database_unavailable_then_back(result, monkeypatch):
    monkeypatch.setenv("PARKMAP_DB_WAIT_SECONDS", "2")
    cluster = PgCluster()
    try:
        cluster.start()
        with _superuser(cluster.url()) as con:
            con.execute("CREATE DATABASE ws")
        url = cluster.url("ws")
        init_db(url)
        ws = PgWorkspace(url)
        pid = ws.save_proposal("停机前", result.geometry, "Z1")
        cluster.pause()
        for attempt in (lambda: ws.save_check(pid, result), lambda: ws.list_proposals(), lambda: PgWorkspace(url)):
            with pytest.raises(ParkmapError) as e:
                attempt()
            assert e.value.code == "db-unavailable", e.value
            assert "数据库不可用" in str(e.value) and "database unavailable" in str(e.value)
            assert "Traceback" not in str(e.value) and "\n" not in str(e.value).strip()
        cluster.resume()
        assert ws.save_check(pid, result) > 0  # the pool replaces the dead connections
        listed = ws.list_proposals()
        assert list(listed["name"]) == ["停机前"] and list(listed["n_checks"]) == [1]  # nothing half-written
        assert ws.verify(full=True) is None
    finally:
        close_pools()
        cluster.stop()


# ------------------------------------------------------------------------------------------------------------------
# The embedded store's tampering cases, done to the database by a superuser with the triggers bypassed
# ------------------------------------------------------------------------------------------------------------------
def _rehash_users_row(con: psycopg.Connection, row_id: int) -> None:
    """Recompute a users row's hash (and the next row's link) after an edit: a careful forger."""
    from geo import audit

    cols = ("id", *audit.COLUMNS["users"], "prev_hash")
    row = dict(zip(cols, con.execute(f"SELECT {audit.column_list(cols)} FROM users WHERE id = %s", (row_id,)).fetchone()))
    digest = audit.row_hash("users", row, row["prev_hash"])
    con.execute("UPDATE users SET row_hash = %s WHERE id = %s", (digest, row_id))
    con.execute("UPDATE users SET prev_hash = %s WHERE id = %s", (digest, row_id + 1))


TAMPERING = {
    "deleted middle event": (["DELETE FROM events WHERE id = 2"], ("events", "missing-or-reordered")),
    "swapped proposal names": (["UPDATE proposals SET name = CASE id WHEN 1 THEN '乙' ELSE '甲' END"],
                               ("proposals", "edited")),
    "role escalation": (["UPDATE users SET role = 'admin' WHERE name = 'mallory'"], ("users", "edited")),
    "escalation with a recomputed hash": (["UPDATE users SET role = 'admin' WHERE name = 'mallory'", _rehash_users_row],
                                          ("users", "cross-link")),
    "wiped events": (["DELETE FROM events"], ("events", "truncated")),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_is_found_on_the_database(url, result, case):
    from geo.accounts import add_user, list_users

    ws = PgWorkspace(url)
    add_user(ws, "boss", "admin", "boss-pass-1")
    add_user(ws, "mallory", "viewer", "mallory-pass-1", actor=Actor("boss", "admin"))
    boss = Actor("boss", "admin", "account")
    for name in ("甲", "乙"):
        ws.save_checked([SaveItem(name, result.geometry, "Z1", result)], actor=boss)
    assert ws.verify() is None
    steps, (table, problem) = TAMPERING[case]
    with _superuser(url) as con:
        con.execute("SET session_replication_role = replica")
        for step in steps:
            step(con, 2) if callable(step) else con.execute(step)
    found = PgWorkspace(url, full_on_open=True).tamper
    assert found is not None and (found.table, found.problem) == (table, problem), found
    with pytest.raises(ParkmapError) as e:
        PgWorkspace(url).save_proposal("x", result.geometry, "Z1", actor=boss)
    assert e.value.code == "workspace-tampered"
    if case == "role escalation":  # the forged state is readable, but nothing can be written with it
        assert list_users(ws).set_index("name").loc["mallory", "role"] == "admin"


def test_reading_an_edited_row_refuses_it_and_freezes_the_object(url, result):
    ws = PgWorkspace(url)
    pid = ws.save_proposal("甲", result.geometry, "Z1")
    with _superuser(url) as con:
        con.execute("SET session_replication_role = replica")
        con.execute("UPDATE proposals SET zone_id = 'Z9'")
    with pytest.raises(ParkmapError) as e:
        ws.get_proposal(pid)
    assert e.value.code == "workspace-tampered" and ws.tamper is not None


def test_save_checked_is_all_or_nothing_on_the_database(url, result):
    ws = PgWorkspace(url)
    ws.save_checked([SaveItem("kept", result.geometry, "Z1", result)])
    head = ws.head()
    with pytest.raises(ParkmapError):
        ws.save_checked([SaveItem("first", result.geometry, "Z1", result),
                         SaveItem("line", shapely.LineString([(104, 30), (104.1, 30)]), "Z1", result)])
    assert ws.head() == head and list(ws.list_proposals()["name"]) == ["kept"]
    assert [p for p, _ in ws.save_checked([SaveItem("next", result.geometry, "Z1", result)])] == [2]
    assert ws.verify() is None


# ------------------------------------------------------------------------------------------------------------------
# Walking only what others appended
# ------------------------------------------------------------------------------------------------------------------
def _count_walks(monkeypatch) -> dict[str, int]:
    from geo import audit

    calls = {"full": 0, "quick": 0, "since": 0}
    verify, since = audit.verify, audit.verify_since

    def counted_verify(con, *, last_n=None):
        calls["full" if last_n is None else "quick"] += 1
        return verify(con, last_n=last_n)

    def counted_since(con, marks):
        calls["since"] += 1
        return since(con, marks)

    monkeypatch.setattr(audit, "verify", counted_verify)
    monkeypatch.setattr(audit, "verify_since", counted_since)
    return calls


def test_another_instances_appends_are_walked_alone(url, result, monkeypatch):
    mine, theirs = PgWorkspace(url), PgWorkspace(url)
    pid = mine.save_proposal("甲", result.geometry, "Z1")
    for i in range(5):
        theirs.save_check(pid, result)
    calls = _count_walks(monkeypatch)
    mine.save_proposal("乙", result.geometry, "Z1")  # others wrote since this object's last walk: appends only
    assert calls == {"full": 0, "quick": 0, "since": 1}
    mine.save_proposal("丙", result.geometry, "Z1")  # nobody else wrote: the newest rows only
    assert calls == {"full": 0, "quick": 1, "since": 1}
    assert mine.verify_if_changed() is None and calls["full"] == 0  # nothing changed: no walk at all


def test_an_old_row_edited_among_appends_still_gets_a_full_walk(url, result, monkeypatch):
    mine, theirs = PgWorkspace(url), PgWorkspace(url)
    pid = mine.save_proposal("甲", result.geometry, "Z1")
    mine.save_check(pid, result)
    theirs.save_check(pid, result)  # an honest append…
    with _superuser(url) as con:  # …and an edit of an old row behind it
        con.execute("SET session_replication_role = replica")
        con.execute("UPDATE checks SET verdict = 'pass' WHERE id = 1")
    calls = _count_walks(monkeypatch)
    with pytest.raises(ParkmapError) as e:
        mine.save_proposal("乙", result.geometry, "Z1")
    assert e.value.code == "workspace-tampered" and calls["full"] == 1 and calls["since"] == 0
    assert mine.tamper is not None and (mine.tamper.table, mine.tamper.row_id) == ("checks", 1)


def test_a_bad_append_by_someone_else_is_found_by_the_incremental_walk(url, result):
    mine, theirs = PgWorkspace(url), PgWorkspace(url)
    pid = mine.save_proposal("甲", result.geometry, "Z1")
    theirs.save_check(pid, result)
    with _superuser(url) as con:  # the newest row, written after mine's walk, edited
        con.execute("SET session_replication_role = replica")
        con.execute("UPDATE checks SET verdict = 'pass' WHERE id = 1")
    with pytest.raises(ParkmapError):
        mine.save_proposal("乙", result.geometry, "Z1")
    assert mine.tamper is not None and mine.tamper.table == "checks"
