"""``parkmap users``, ``--user``, ``parkmap audit`` and ``parkmap backup`` (issue #9)."""

from __future__ import annotations

import io
import re
import sqlite3
import stat
import subprocess
import sys

import geopandas as gpd
import pytest

from tests.geo import geo_builders as gb
from layers import cli
from geo.workspace import Workspace
from tests.geo.test_workspace import sq


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """The embedded workspace's folder (tests of the SQLite file itself)."""
    h = tmp_path / "home"
    monkeypatch.setenv("PARKMAP_HOME", str(h))
    monkeypatch.delenv("PARKMAP_DATABASE_URL", raising=False)
    return h


@pytest.fixture()
def ws_home(open_ws, tmp_path):
    """Either backend (``open_ws`` sets PARKMAP_HOME and, for PostgreSQL, PARKMAP_DATABASE_URL): the folder and
    an opener, for the CLI tests that hold on both."""
    return tmp_path / "home", open_ws


def run(capsys, monkeypatch, *args, stdin: str | None = None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def proposal(tmp_path):
    """A small square near Chengdu (the zone check needs only a polygon file)."""
    path = tmp_path / "p.geojson"
    gpd.GeoDataFrame({"name": ["东扩"]}, geometry=[sq(0, 0, 500, 500)], crs=4490).to_file(path)
    return path


ZONE = "S517077"


def _accounts(capsys, monkeypatch):
    assert run(capsys, monkeypatch, "users", "add", "boss", "--role", "admin", "--password-stdin",
               stdin="boss-pass-1\n")[0] == 0
    for name, role in (("li", "planner"), ("wang", "viewer"), ("zhao", "reviewer")):
        code, out, err = run(capsys, monkeypatch, "users", "add", name, "--role", role, "--password-stdin",
                             "--user", "boss", stdin=f"{name}-pass-1\n")
        assert code == 0, err


def test_users_add_list_disable_passwd(capsys, monkeypatch, ws_home):
    home, open_ws = ws_home
    # the first account must be an admin
    code, _, err = run(capsys, monkeypatch, "users", "add", "li", "--role", "planner", "--password-stdin",
                       stdin="li-pass-1\n")
    assert code == 2 and "admin" in err
    _accounts(capsys, monkeypatch)
    # after that, only an admin may add; --user is required
    code, _, err = run(capsys, monkeypatch, "users", "add", "x", "--role", "viewer", "--password-stdin",
                       stdin="x-pass-12\n")
    assert code == 2 and "--user" in err
    code, _, err = run(capsys, monkeypatch, "users", "add", "x", "--role", "viewer", "--password-stdin",
                       "--user", "li", stdin="x-pass-12\n")
    assert code == 2 and "无权管理账号" in err
    code, _, err = run(capsys, monkeypatch, "users", "add", "x", "--role", "viewer", "--password-stdin",
                       "--user", "boss", stdin="short\n")
    assert code == 2 and "密码太弱" in err
    code, out, _ = run(capsys, monkeypatch, "users", "list")
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == ["boss", "li", "wang", "zhao"]
    assert "$argon2" not in out
    assert run(capsys, monkeypatch, "users", "disable", "wang", "--user", "boss")[0] == 0
    code, _, err = run(capsys, monkeypatch, "check", "x.geojson", "--zone", ZONE, "--user", "wang")
    assert code == 2 and "停用" in err
    # on the command line (no password asked) only an admin resets passwords; people change their own in the app
    code, _, err = run(capsys, monkeypatch, "users", "passwd", "li", "--user", "li", "--password-stdin",
                       stdin="li-pass-2\n")
    assert code == 2 and "无权管理账号" in err
    assert run(capsys, monkeypatch, "users", "passwd", "li", "--user", "boss", "--password-stdin",
               stdin="li-pass-2\n")[0] == 0
    ev = open_ws().events()
    assert list(ev["action"]) == ["user_add"] * 4 + ["user_disable", "user_passwd"]
    from geo.auth import os_user

    assert list(ev["user"]) == [os_user()] + ["boss"] * 5  # the first admin was made by the OS user


def test_password_stdin_in_a_real_process(tmp_path):
    env_home = tmp_path / "h"
    p = subprocess.run([sys.executable, "-m", "layers", "users", "add", "boss", "--role", "admin", "--password-stdin"],
                       input="boss-pass-1\n", capture_output=True, text=True, cwd=gb.REPO_ROOT, timeout=120,
                       env=dict(__import__("os").environ, PARKMAP_HOME=str(env_home)))
    assert p.returncode == 0, p.stderr
    assert b"boss-pass-1" not in (env_home / "workspace.sqlite").read_bytes()
    assert stat.S_IMODE((env_home / "workspace.sqlite").stat().st_mode) == 0o600
    assert stat.S_IMODE(env_home.stat().st_mode) == 0o700


def test_user_on_cli_records_and_roles(capsys, monkeypatch, ws_home, proposal, tmp_path):
    home, open_ws = ws_home
    _accounts(capsys, monkeypatch)
    code, _, err = run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--save")
    assert code == 2 and "--user" in err  # accounts exist: name yourself
    code, _, err = run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--save", "--user", "nobody")
    assert code == 2 and "没有账号" in err
    code, _, err = run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--save", "--user", "wang")
    assert code == 2 and "无权" in err  # a viewer cannot save
    code, out, err = run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--save", "--user", "li")
    assert code in (0, 1), err
    ws = open_ws()
    saved = ws.list_proposals()
    assert list(saved["created_by"]) == ["li"] and list(saved["last_checked_by"]) == ["li"]
    # a viewer may export the saved check's report: recorded, with the head printed
    pid = int(saved["id"].iloc[0])
    out_pdf = tmp_path / "r.pdf"
    code, out, err = run(capsys, monkeypatch, "report", str(pid), "--out", out_pdf, "--user", "wang")
    assert code == 0, err
    ev = ws.events()
    rep = ev[ev["action"] == "report"]
    assert list(rep["user"]) == ["wang"] and list(rep["role"]) == ["viewer"]
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-layout", str(out_pdf), "-"], capture_output=True,
                                             text=True, check=True).stdout)
    head = f"#{int(rep['id'].iloc[0])}:"
    assert head in text, text[-600:]
    digest = text.split(head, 1)[1][:16]
    code, out, _ = run(capsys, monkeypatch, "audit", "verify", "--head", f"{head[1:]}{digest}")
    assert code == 0 and "审计校验通过" in out
    assert "li" in text and "wang" in text  # recorder and reporter named


def test_audit_verify_names_the_first_bad_row(capsys, monkeypatch, home, proposal):
    for i in range(3):
        assert run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--save")[0] in (0, 1)
    code, out, _ = run(capsys, monkeypatch, "audit", "verify")
    assert code == 0 and "#6:" in out  # 3 × (save_proposal + check)
    head = re.search(r"#(\d+):([0-9a-f]{16})", out)
    con = sqlite3.connect(home / "workspace.sqlite")
    con.execute("DROP TRIGGER events_no_delete")
    con.execute("DELETE FROM events WHERE id = 3")
    con.commit()
    con.close()
    code, out, _ = run(capsys, monkeypatch, "audit", "verify")
    assert code == 1 and "events #4" in out
    code, out, _ = run(capsys, monkeypatch, "audit", "verify", "--head", f"{head[1]}:{head[2]}")
    assert code == 1
    code, _, err = run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--save")
    assert code == 2 and "拒绝写入" in err and str(home) in err
    code, out, _ = run(capsys, monkeypatch, "audit", "log")
    assert code == 0 and len(out.splitlines()) == 5  # reading still works


def test_backup_copies_and_verifies(capsys, monkeypatch, home, proposal, tmp_path):
    assert run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--save")[0] in (0, 1)
    dest = tmp_path / "bk"
    dest.mkdir()
    code, out, err = run(capsys, monkeypatch, "backup", dest)
    assert code == 0, err
    [copy] = list(dest.iterdir())
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    from geo.backup import verify_file

    assert verify_file(copy) is None
    assert Workspace(home).head()[1][:16] in out
    code, _, err = run(capsys, monkeypatch, "backup", copy)
    assert code == 2 and "不会覆盖" in err


def test_unknown_role_and_missing_password_stdin(capsys, monkeypatch, home):
    code, _, err = run(capsys, monkeypatch, "users", "add", "a", "--role", "boss", "--password-stdin", stdin="x\n")
    assert code == 2 and "Invalid arguments" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run(capsys, monkeypatch, "users", "add", "a", "--role", "admin")
    assert code == 2 and "--password-stdin" in err


def test_report_of_unparsable_stored_json_is_a_clear_error(capsys, monkeypatch, home, proposal, tmp_path):
    assert run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--save")[0] in (0, 1)
    con = sqlite3.connect(home / "workspace.sqlite")
    con.execute("DROP TRIGGER checks_no_update")
    con.execute("UPDATE checks SET result_json = '{\"verdict\": \"pass\", \"rules\": [' WHERE id = 1")
    con.commit()
    con.close()
    code, out, err = run(capsys, monkeypatch, "report", "1", "--out", tmp_path / "r.pdf")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "校验" in err and str(home) in err  # the workspace refuses, naming itself
    assert '"rules": [' not in err and not (tmp_path / "r.pdf").exists()
    # Read-only inspection of the same row names it as unreadable, not the raw JSON.
    from geo.workspace import _loads
    from geo.errors import ParkmapError

    with pytest.raises(ParkmapError) as e:
        _loads('{"verdict": "pass", "rules": [', "checks", 1)
    assert e.value.code == "workspace-damaged" and "checks #1" in str(e.value)


def test_official_layers_on_the_cli_need_an_import_or_the_admin(capsys, monkeypatch, ws_home, proposal, tmp_path):
    """A planner must not swap the control lines a saved verdict rests on (--layers with any folder)."""
    home, open_ws = ws_home
    _accounts(capsys, monkeypatch)
    own = tmp_path / "mine"
    own.mkdir()
    park = gpd.GeoDataFrame({"名称": ["x"]}, geometry=[sq(5000, 5000, 6000, 6000)], crs=4490)
    park.to_file(own / "生态保护红线.geojson")
    code, _, err = run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--layers", own, "--save", "--user", "li")
    assert code == 2 and "无权导入正式图层" in err
    assert open_ws().list_proposals().empty
    imported = home / "layers" / "0123456789abcdef"  # a set an admin imported into the workspace
    imported.mkdir(parents=True)
    park.to_file(imported / "生态保护红线.geojson")
    code, out, err = run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--layers", imported, "--save",
                         "--user", "li")
    assert code in (0, 1), err
    code, out, err = run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--layers", own, "--user", "boss")
    assert code in (0, 1), err


def test_report_of_an_unsaved_result_is_recorded(capsys, monkeypatch, ws_home, proposal, tmp_path):
    home, open_ws = ws_home
    assert run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--save")[0] in (0, 1)  # a workspace exists
    code, out, err = run(capsys, monkeypatch, "report", proposal, "--zone", ZONE, "--no-save", "--out",
                         tmp_path / "u.pdf")
    assert code == 0, err
    ev = open_ws().events()
    rep = ev[ev["action"] == "report"]
    from geo.auth import os_user

    assert len(rep) == 1 and rep["user"].iloc[0] == os_user()
    detail = __import__("json").loads(rep["detail_json"].iloc[0])
    assert detail["saved"] is False and detail["verdict"] in ("pass", "fail", "attention")
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-layout", str(tmp_path / "u.pdf"), "-"],
                                            capture_output=True, text=True, check=True).stdout)
    assert f"#{int(rep['id'].iloc[0])}:" in text  # the chain head after the event


def test_read_only_commands_create_nothing(capsys, monkeypatch, tmp_path):
    home = tmp_path / "nothing-here"
    monkeypatch.setenv("PARKMAP_HOME", str(home))
    for args in (("audit", "verify"), ("audit", "log"), ("users", "list"), ("backup", tmp_path)):
        code, out, err = run(capsys, monkeypatch, *args)
        assert code == 2 and str(home) in err, (args, err)
    assert not home.exists()


def test_audit_verify_on_the_database_names_the_first_bad_row(capsys, monkeypatch, open_ws, backend, workspace_url,
                                                              proposal):
    """``parkmap audit verify`` on PostgreSQL: a row edited by a superuser with the triggers bypassed."""
    if backend != "postgresql":
        return  # the SQLite case: test_audit_verify_names_the_first_bad_row
    import psycopg

    for _ in range(2):
        assert run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--save")[0] in (0, 1)
    code, out, _ = run(capsys, monkeypatch, "audit", "verify")
    assert code == 0 and "#4:" in out
    with psycopg.connect(workspace_url, autocommit=True) as con:
        con.execute("SET session_replication_role = replica")
        con.execute("UPDATE checks SET verdict = 'pass' WHERE id = 1")
    code, out, _ = run(capsys, monkeypatch, "audit", "verify")
    assert code == 1 and "checks #1" in out
    code, _, err = run(capsys, monkeypatch, "check", proposal, "--zone", ZONE, "--save")
    assert code == 2 and "拒绝写入" in err
    code, _, err = run(capsys, monkeypatch, "backup", "x")
    assert code == 2 and "pg_dump" in err
