"""The app on a shared PostgreSQL workspace: another instance's proposal shows up, an outage is one message.

The database is the tests' own throwaway cluster (a cluster of its own here,
because it is stopped mid-run).
"""

from __future__ import annotations

import psycopg
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from geo.db.schema import init_db
from geo.workspace import PgWorkspace
from geo.workspace_pg import close_pools
from tests.app.conftest import APP
from tests.geo import geo_builders as gb
from tests.pg_cluster import PgCluster


@pytest.fixture()
def cluster():
    c = PgCluster()
    try:
        c.start()
        yield c
    finally:
        close_pools()
        c.stop()


def _texts(at: AppTest) -> str:
    return "\n".join(e.value for e in (*at.error, *at.warning, *at.info)) + "\n" + \
        "\n".join(str(e.value) for e in at.markdown)


def test_another_instances_proposal_and_an_outage(cluster, monkeypatch, tmp_path):
    with psycopg.connect(cluster.url(), autocommit=True) as con:
        con.execute("CREATE DATABASE bureau")
    url = cluster.url("bureau")
    init_db(url)
    monkeypatch.setenv("PARKMAP_DATABASE_URL", url)
    monkeypatch.setenv("PARKMAP_DB_WAIT_SECONDS", "2")
    monkeypatch.setenv("PARKMAP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PARKMAP_DATA", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()

    other = PgWorkspace(url)  # another app instance (or a CLI job) of the bureau saves a proposal
    pid = other.save_proposal("青白江东扩（另一实例）", gb.square(0, 0, 500, 500), "S517041")

    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    assert not at.error
    picker = at.multiselect(key="saved_multi")
    assert pid in picker.options or f"#{pid} · 青白江东扩（另一实例）" in picker.options

    cluster.pause()  # the database goes away mid-session
    at.run()
    shown = _texts(at)
    assert "数据库不可用" in shown and "database unavailable" in shown
    assert "Traceback" not in shown and not at.exception

    cluster.resume()  # and comes back: the same session carries on
    at.run()
    assert not at.error, [e.value for e in at.error]
    assert at.multiselect(key="saved_multi") is not None
    other.save_proposal("恢复后保存", gb.square(0, 0, 400, 400), "S517041")
    at.run()
    assert len(at.multiselect(key="saved_multi").options) == 2
