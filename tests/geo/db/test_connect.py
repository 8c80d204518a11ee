"""Every way of not reaching a usable database is one bilingual line naming the problem and the fix."""

from __future__ import annotations

import re

import psycopg
import pytest

from geo.db.connect import check_url, connect, open_pool, pooled, redact
from geo.errors import ParkmapError
from tests.pg_cluster import PASSWORD_USER

CJK = re.compile(r"[\u4e00-\u9fff]")


def _refused(url: str, code: str, *needles: str) -> str:
    with pytest.raises(ParkmapError) as err:
        connect(url)
    msg = str(err.value)
    assert err.value.code == code, msg
    assert "\n" not in msg and " / " in msg and CJK.search(err.value.zh) and not CJK.search(err.value.en), msg
    for n in needles:
        assert n in msg, (n, msg)
    return msg


def _create_db(pg_cluster, name: str, template: str = "template1") -> str:
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    return pg_cluster.url(name)


@pytest.mark.parametrize("url", ["mysql://app@db/parkmap", "db.example:5432/parkmap", "host=db dbname=parkmap",
                                 "postgresql://app@db:port/parkmap", "postgresql://app@db:70000/parkmap",
                                 "postgresql://[::1/parkmap", ""])
def test_a_malformed_url(url):
    _refused(url, "db-url", "postgresql://user@host:port/dbname", "PARKMAP_DATABASE_URL")


def test_a_refused_port(pg_cluster):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _refused(f"postgresql://postgres@127.0.0.1:{port}/x", "db-unavailable", "数据库不可用", "database unavailable",
             f"127.0.0.1:{port}", "检查服务是否启动", "check the server is running")


def test_an_unknown_host():
    _refused("postgresql://app@no-such-host.invalid/parkmap", "db-unavailable", "database unavailable",
             "no-such-host.invalid")


def test_an_unknown_database(pg_cluster):
    _refused(pg_cluster.url("no_such_db"), "db-missing", "no_such_db", "不存在", "does not exist", "createdb no_such_db",
             "parkmap db init")


def test_authentication(pg_cluster, monkeypatch, tmp_path):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        if con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (PASSWORD_USER,)).fetchone() is None:
            con.execute(f"CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD 'right-pw'")
    base = f"127.0.0.1:{pg_cluster.port}/postgres"
    msg = _refused(f"postgresql://{PASSWORD_USER}:wrong-pw@{base}", "db-auth", "认证失败", "authentication failed",
                   PASSWORD_USER, "password")
    assert "wrong-pw" not in msg
    _refused(f"postgresql://{PASSWORD_USER}@{base}", "db-auth", "authentication failed")
    _refused(f"postgresql://no_such_role@{base}", "db-auth", "no_such_role")
    psycopg.connect(f"postgresql://{PASSWORD_USER}:right-pw@{base}").close()  # the password does work


def test_a_database_without_postgis(pg_cluster):
    url = _create_db(pg_cluster, "no_postgis", template="template0")
    _refused(url, "db-postgis", "PostGIS", "CREATE EXTENSION postgis", "postgresql-15-postgis-3")


def test_a_database_without_the_schema(pg_cluster):
    url = _create_db(pg_cluster, "no_schema")
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE EXTENSION postgis")
    _refused(url, "db-schema", "还没有 parkmap 的表结构", "no parkmap schema", "运行 parkmap db init", "run parkmap db init")


def test_a_ready_database_connects(db_url):
    with connect(db_url) as con:
        assert con.execute("SELECT current_setting('application_name')").fetchone() == ("parkmap",)


def test_the_pool(db_url, pg_cluster):
    pool = open_pool(db_url, min_size=1, max_size=2)
    try:
        with pooled(pool) as con:
            assert con.execute("SELECT max(version) FROM parkmap_meta").fetchone() == (1,)
    finally:
        pool.close()
    with pytest.raises(ParkmapError) as err:  # the precise reason, not a pool timeout
        open_pool(pg_cluster.url("no_such_db"))
    assert err.value.code == "db-missing"


def test_urls_never_show_passwords():
    assert redact("postgresql://app:pw@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert redact("postgresql://app@db/x") == "postgresql://app@db/x"
    with pytest.raises(ParkmapError) as err:
        check_url("mysql://app:topsecret@db/x")
    assert "topsecret" not in str(err.value)


def test_a_lost_connection_is_db_unavailable_and_the_pool_recovers(db_url):
    from tests.geo.db.conftest import superuser

    pool = open_pool(db_url, min_size=1, max_size=1)
    try:
        with pytest.raises(ParkmapError) as err, pooled(pool) as con:
            pid = con.execute("SELECT pg_backend_pid()").fetchone()[0]
            with superuser(db_url) as su:
                su.execute("SELECT pg_terminate_backend(%s)", (pid,))
            con.execute("SELECT 1")
        assert err.value.code == "db-unavailable" and "数据库不可用" in str(err.value)
        with pooled(pool) as con:  # the broken connection was replaced
            assert con.execute("SELECT pg_backend_pid() <> %s", (pid,)).fetchone() == (True,)
    finally:
        pool.close()
