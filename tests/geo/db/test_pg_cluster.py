"""The throwaway cluster of the tests (tests/pg_cluster.py): started here, on 127.0.0.1, never as root."""

from __future__ import annotations

import os
import pwd

import psycopg
import pytest

from tests.pg_cluster import PgCluster, PgClusterError


def test_pg_url_is_an_empty_database_with_postgis_available(pg_url):
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)
        assert con.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)


def test_the_server_never_runs_as_root(pg_cluster):
    with psycopg.connect(pg_cluster.url()) as con:
        pid = con.execute("SELECT pg_backend_pid()").fetchone()[0]
    uid = os.stat(f"/proc/{pid}").st_uid  # the backend's owner (the tests and the server share this machine)
    assert uid != 0
    if os.geteuid() == 0:
        assert pwd.getpwuid(uid).pw_name == "postgres"


def test_pg_db_gives_each_test_its_own_database(pg_db, pg_url):
    assert pg_db != pg_url
    with psycopg.connect(pg_db) as con:
        con.execute("CREATE TABLE mine (x int)")
        con.commit()


def test_a_cluster_is_stopped_and_removed():
    cluster = PgCluster().start()
    root, url = cluster.root, cluster.url()
    assert root is not None and root.exists()
    with psycopg.connect(url) as con:
        assert con.execute("SELECT 1").fetchone() == (1,)
    cluster.stop()
    cluster.stop()  # idempotent
    assert not root.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=5)


def test_missing_programs_name_the_install_script(tmp_path):
    with pytest.raises(PgClusterError, match="scripts/install-system.sh"):
        PgCluster(bindir=tmp_path).start()
