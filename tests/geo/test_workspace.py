"""Saved proposals and the audit trail (geo.workspace): API, atomicity, concurrency.

The tests taking ``open_ws`` run on both backends: the embedded SQLite file and
PostgreSQL (a fresh database on the tests' own throwaway cluster).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sqlite3
from pathlib import Path

import pytest
import shapely

from tests.geo import geo_builders as gb
from geo.accounts import add_user
from geo.errors import ParkmapError
from geo.workspace import Workspace, WorkspaceRecords, default_home



sq = gb.square


@pytest.fixture(scope="module")
def result():
    return gb.small_check_result()


def counts(ws) -> tuple[int, int]:
    """Rows in proposals and checks, read through the workspace's own connection (either backend)."""
    with ws._connect() as con:
        return (con.execute("SELECT COUNT(*) FROM proposals").fetchone()[0],
                con.execute("SELECT COUNT(*) FROM checks").fetchone()[0])


def test_home_defaults_to_env_then_dot_parkmap(tmp_path, monkeypatch):
    monkeypatch.setenv("PARKMAP_HOME", str(tmp_path / "h"))
    ws = Workspace()
    assert ws.path == tmp_path / "h" / "workspace.sqlite" and ws.path.exists()
    monkeypatch.delenv("PARKMAP_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert default_home() == tmp_path / "user" / ".parkmap"


def test_save_list_reopen_compare_delete(open_ws, result):
    ws = open_ws()
    geom = result.geometry
    pid = ws.save_proposal("东扩一期", geom, "Z1", {"type": "expand", "chemical": False}, source="drawn")
    other = ws.save_proposal("西扩", sq(-3000, 0, -2000, 1000), "Z1", {"type": "expand"}, source="upload:x.kml")
    cid = ws.save_check(pid, result)
    listed = ws.list_proposals()
    assert list(listed["id"]) == [pid, other]
    row = listed.set_index("id").loc[pid]
    assert row["name"] == "东扩一期" and row["n_checks"] == 1 and row["last_verdict"] == "fail"
    assert row["area_m2"] == pytest.approx(1_000_000, rel=0.005)
    # Reopen.
    p = ws.get_proposal(pid)
    assert p.geometry.equals(geom) and p.options == {"type": "expand", "chemical": False} and p.source == "drawn"
    checks = ws.checks_for(pid)
    assert [c.id for c in checks] == [cid]
    c = checks[0]
    assert c.verdict == "fail" and c.rules_hash == result.rules_hash and c.layer_hashes == result.layer_hashes
    assert c.inputs["zone_id"] == "Z1" and c.inputs["type"] == "expand" and c.geometry.equals(geom)
    assert c.created_at and c.result["schema"] == "parkmap.check/1"
    back = c.to_result()
    assert back.rule("eco_redline").value == result.rule("eco_redline").value
    assert "eco_redline" in back.geometries  # overlap geometries are stored for the map
    # Override: a new immutable row, the original kept.
    oid = ws.save_override(cid, "eco_redline", "pass", "红线已调整")
    o = ws.get_check(oid)
    assert o.kind == "override" and o.parent_check_id == cid
    row = next(r for r in o.result["rules"] if r["id"] == "eco_redline")
    assert row["status"] == "pass" and row["original_status"] == "fail" and row["override_reason"] == "红线已调整"
    assert ws.get_check(cid).verdict == "fail"
    with pytest.raises(ParkmapError):
        ws.save_override(oid, "eco_redline", "pass", " ")
    with pytest.raises(ParkmapError) as again:  # overridden already: the next override is of the new row
        ws.save_override(cid, "eco_redline", "warn", "再次改判")
    assert again.value.code == "already-changed" and f"record {oid}" in str(again.value)
    # Side by side.
    table = ws.compare([cid, oid])
    assert table.loc["eco_redline", f"{cid}:status"] == "fail" and table.loc["eco_redline", f"{oid}:status"] == "pass"
    assert table.loc["verdict", f"{cid}:status"] == "fail"
    # Soft delete / restore.
    ws.soft_delete(pid)
    assert list(ws.list_proposals()["id"]) == [other]
    everything = ws.list_proposals(include_deleted=True).set_index("id")
    assert bool(everything.loc[pid, "deleted"]) and everything.loc[pid, "deleted_at"]
    assert ws.get_proposal(pid).deleted and len(ws.checks_for(pid)) == 2  # records kept
    ws.restore(pid)
    assert list(ws.list_proposals()["id"]) == [pid, other]
    actions = list(ws.events()["action"])
    assert actions == ["save_proposal", "save_proposal", "check", "override", "delete", "restore"]
    assert ws.integrity_check() == "ok"


def test_every_table_is_append_only(tmp_path, result):
    ws = Workspace(tmp_path)
    pid = ws.save_proposal("a", result.geometry, "Z1")
    ws.save_check(pid, result)
    add_user(ws, "admin", "admin", "admin-pass-1")
    con = sqlite3.connect(ws.path)
    for table in ("proposals", "checks", "events", "users", "meta"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(f"UPDATE {table} SET rowid = rowid")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(f"DELETE FROM {table}")
    con.close()


def test_bad_calls(open_ws, result):
    ws = open_ws()
    with pytest.raises(ParkmapError):
        ws.get_proposal(99)
    with pytest.raises(ParkmapError):
        ws.save_check(99, result)
    with pytest.raises(ParkmapError):
        ws.soft_delete(99)
    with pytest.raises(ParkmapError):
        ws.save_proposal("", result.geometry, "Z1")
    with pytest.raises(ParkmapError):
        ws.save_proposal("line", shapely.LineString([(104, 30), (104.1, 30)]), "Z1")
    with pytest.raises(ParkmapError):
        ws.get_check(5)


def test_wal_mode_and_pragmas(tmp_path):
    ws = Workspace(tmp_path)
    con = sqlite3.connect(ws.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


# --------------------------------------------------------------------------
# Atomicity under an injected failure and a hard crash
# --------------------------------------------------------------------------
def test_failure_mid_save_leaves_earlier_records_intact(open_ws, result, monkeypatch):
    ws = open_ws()
    pid = ws.save_proposal("first", result.geometry, "Z1")
    cid = ws.save_check(pid, result)
    before = ws.get_check(cid)

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    # The check row is inserted, then the audit event fails: the whole save must roll back.
    monkeypatch.setattr(type(ws), "_event", boom)
    with pytest.raises(RuntimeError):
        ws.save_check(pid, result)
    with pytest.raises(RuntimeError):
        ws.save_proposal("second", result.geometry, "Z1")
    monkeypatch.setattr(type(ws), "_event", WorkspaceRecords._event)
    assert counts(ws) == (1, 1)
    assert ws.get_check(cid) == before
    assert ws.integrity_check() == "ok"
    # The workspace still works afterwards.
    assert ws.save_check(pid, result) == cid + 1


def _crash_mid_save(home: str, url: str, geom_wkb: bytes) -> None:
    """Child process: start a save and die (os._exit) inside the transaction."""
    from geo.workspace import WorkspaceRecords, open_workspace

    ws = open_workspace(home, url=url)
    WorkspaceRecords._event = lambda *a, **k: os._exit(17)  # noqa: E731 - crash after the INSERT, before COMMIT
    ws.save_proposal("crash", shapely.from_wkb(geom_wkb), "Z1")


def test_hard_crash_mid_save(open_ws, workspace_url, tmp_path, result):
    ws = open_ws()
    pid = ws.save_proposal("kept", result.geometry, "Z1")
    ws.save_check(pid, result)
    ctx = mp.get_context("spawn")
    p = ctx.Process(target=_crash_mid_save, args=(str(tmp_path / "home"), workspace_url or "",
                                                   shapely.to_wkb(result.geometry)))
    p.start()
    p.join(120)
    assert p.exitcode == 17
    assert counts(ws) == (1, 1)
    assert ws.get_proposal(pid).name == "kept"
    assert ws.integrity_check() == "ok"
    assert ws.save_proposal("after", result.geometry, "Z1") > pid


# --------------------------------------------------------------------------
# Two processes saving at once
# --------------------------------------------------------------------------
def _writer(home: str, url: str, tag: str, n: int, doc: str, start) -> None:
    from geo.workspace import open_workspace

    res = json.loads(doc)
    geom = shapely.geometry.shape(res["geometry"])
    start.wait(60)
    try:
        ws = open_workspace(home, url=url)
        for i in range(n):
            pid = ws.save_proposal(f"{tag}-{i}", geom, "Z1", {"i": i}, source=tag)
            ws.save_check(pid, res)
    except BaseException:  # say why in the test's failure message, not only as an exit code
        import traceback

        Path(home, f"writer-{tag}.err").write_text(traceback.format_exc(), encoding="utf-8")
        raise


def test_two_processes_save_concurrently(open_ws, workspace_url, tmp_path, result):
    # SQLite: no workspace yet, both processes create the schema, then save at the same time.
    doc = json.dumps(result.to_dict(include_geometries=True), ensure_ascii=False)
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    n = 15
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)  # the writers' error files (PostgreSQL makes no folder)
    procs = [ctx.Process(target=_writer, args=(str(home), workspace_url or "", tag, n, doc, start)) for tag in ("A", "B")]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(300)
    errors = "\n".join(f.read_text(encoding="utf-8") for f in sorted(home.glob("writer-*.err")))
    assert [p.exitcode for p in procs] == [0, 0], errors
    ws = open_ws()
    listed = ws.list_proposals()
    assert len(listed) == 2 * n
    assert sorted(listed["name"]) == sorted([f"A-{i}" for i in range(n)] + [f"B-{i}" for i in range(n)])
    assert (listed["n_checks"] == 1).all()
    assert counts(ws) == (2 * n, 2 * n)
    assert ws.integrity_check() == "ok"
    assert len(ws.events()) == 4 * n
