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


def test_the_apps_check_uses_the_database_layer(cluster, monkeypatch, tmp_path):
    """farmland imported into PostGIS (``parkmap layers import``) replaces the illustrative one in the app's check,
    and the saved check records its version."""
    import geopandas as gpd

    from geo.area import buffer_m
    from geo.auth import Actor
    from geo.dataset import load_layer
    from geo.db.layers import import_layer
    from tests.app.test_app_check import ZONE, _proposal_txt, _rule_rows, _upload

    with psycopg.connect(cluster.url(), autocommit=True) as con:
        con.execute("CREATE DATABASE bureau")
    url = cluster.url("bureau")
    init_db(url)
    park = load_layer("parks").query("zone_id == @ZONE").geometry.iloc[0]
    farm = gpd.GeoDataFrame({"dlbm": ["0101"]}, geometry=[buffer_m(park, 2000).difference(park)], crs="EPSG:4490")
    farm.to_file(tmp_path / "永久基本农田.gpkg", engine="pyogrio")
    import_layer(url, "farmland", tmp_path / "永久基本农田.gpkg", actor=Actor("dba", "admin", "cli"))
    monkeypatch.setenv("PARKMAP_DATABASE_URL", url)
    monkeypatch.setenv("PARKMAP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PARKMAP_DATA", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()

    at = AppTest.from_file(APP, default_timeout=240)
    at.run()
    _upload(at, "shehong.txt", _proposal_txt(400))
    at.selectbox(key="check_zone").set_value(ZONE).run()
    at.button(key="run_check").click().run()
    assert not at.exception, at.exception
    row = _rule_rows(at)["farmland"]
    assert "不符合" in row["状态"] and "v1" in row["数值来源"], row  # the whole ring lies on the imported farmland
    layers = at.session_state["wf"].result.layers
    assert layers["farmland"]["version"] == 1 and not layers["farmland"].get("illustrative", False)
    at.button(key="save_check").click().run()
    saved = PgWorkspace(url).list_proposals()
    check = PgWorkspace(url).get_check(int(saved["last_check_id"].iloc[0]))
    assert check.layer_hashes["farmland"].endswith("@v1")
