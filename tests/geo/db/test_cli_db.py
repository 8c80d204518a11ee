"""parkmap db init / status through the CLI entry point (layers.cli.main, and the console module in a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg

from geo.db.migrations import SCHEMA_VERSION, TRIGGERS
from layers.cli import main
from tests.geo.db.conftest import superuser


def test_init_then_status_then_init_again(pg_db, capsys, monkeypatch):
    monkeypatch.delenv("PARKMAP_DATABASE_URL", raising=False)
    assert main(["db", "init", "--url", pg_db]) == 0
    out = capsys.readouterr().out
    assert f"已创建结构第 {SCHEMA_VERSION} 版 / created the schema, version {SCHEMA_VERSION}" in out
    assert "GRANT parkmap_app TO" in out
    monkeypatch.setenv("PARKMAP_DATABASE_URL", pg_db)  # status from the environment
    assert main(["db", "status"]) == 0
    out = capsys.readouterr().out
    assert f"结构版本 / schema version: {SCHEMA_VERSION}" in out
    assert f"只追加保护完整 / append-only guard intact: {len(TRIGGERS)}" in out
    assert "角色 / role parkmap_app: 存在 / present" in out
    assert main(["db", "init"]) == 0
    assert "无需改动 / the schema is already version" in capsys.readouterr().out


def test_status_json_and_a_broken_guard_exits_1(db_url, capsys):
    assert main(["db", "status", "--url", db_url, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == SCHEMA_VERSION and doc["guarded"] is True and doc["rows"]["events"] == 0
    with superuser(db_url) as con:
        con.execute("DROP TRIGGER events_no_delete ON events")
    assert main(["db", "status", "--url", db_url]) == 1
    out = capsys.readouterr().out
    assert "append-only guard BROKEN" in out and "events_no_delete" in out


def test_errors_are_one_line_and_exit_2(pg_db, capsys, monkeypatch):
    monkeypatch.delenv("PARKMAP_DATABASE_URL", raising=False)
    cases = [(["db", "status"], "PARKMAP_DATABASE_URL"),
             (["db", "status", "--url", "mysql://x@y/z"], "malformed database URL"),
             (["db", "status", "--url", pg_db], "run parkmap db init")]
    for argv, needle in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_the_console_module_in_a_subprocess(pg_db):
    with psycopg.connect(pg_db) as con:  # the database is empty before
        assert con.execute("SELECT to_regclass('parkmap_meta')").fetchone() == (None,)
    env_cmd = [sys.executable, "-m", "layers", "db"]
    init = subprocess.run([*env_cmd, "init", "--url", pg_db], capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    status = subprocess.run([*env_cmd, "status", "--url", pg_db], capture_output=True, text=True, timeout=120)
    assert status.returncode == 0 and "append-only guard intact" in status.stdout, status.stderr
