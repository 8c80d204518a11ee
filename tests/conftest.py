"""Shared test fixtures.

``geo`` and ``layers`` come from the install (``pip install -e '.[test,build]'``),
never from a ``sys.path`` edit. ``tests`` is a package (each folder has an
``__init__.py``), so pytest's default import mode puts the repository root on
``sys.path`` once and every test module has a unique dotted name
(``tests.geo.check.test_engine``), which the mirrored layout (``tests/geo/check/...``)
needs; helpers are imported as ``tests.geo.geo_builders``,
``tests.browser_support``, ``benchmarks.export``.
"""

from __future__ import annotations

import atexit
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

HOSTILE = '<img src=x onerror=alert(1)>'


@pytest.fixture(scope="session")
def hostile_data_dir(tmp_path_factory) -> Path:
    """A copy of the embedded GeoPackage where one zone and its park carry an HTML-injection name."""
    import pyogrio

    from geo.dataset import gpkg_path, list_layers, load_layer

    out = tmp_path_factory.mktemp("hostile") / "sichuan.gpkg"
    shutil.copy(gpkg_path(), out)
    zones = load_layer("zones", out)
    parks = load_layer("parks", out)
    zones.loc[zones["zone_id"] == "S517077", "short_name"] = "射洪" + HOSTILE
    parks.loc[parks["zone_id"] == "S517077", "name"] = "射洪园" + HOSTILE
    frames = {name: load_layer(name, out) for name in list_layers(out)}
    frames["zones"], frames["parks"] = zones, parks
    out.unlink()
    for name, frame in frames.items():
        pyogrio.write_dataframe(frame, out, layer=name, driver="GPKG", append=out.exists())
    return out.parent


# -- PostgreSQL/PostGIS (issue #11): a throwaway cluster started by the tests, never a running server -------------
@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    """The session's throwaway cluster (:mod:`tests.pg_cluster`); stopped and removed at the end, also on failure.

    Missing PostgreSQL/PostGIS programs fail the test with the install command (no silent skip).
    """
    from tests.pg_cluster import PgCluster, PgClusterError

    cluster = PgCluster()
    atexit.register(cluster.stop)  # an interrupted session still stops the server (stop() is idempotent)
    try:
        try:
            cluster.start()
        except PgClusterError as exc:
            pytest.fail(f"cannot start the throwaway PostgreSQL cluster: {exc}", pytrace=False)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_url(pg_cluster) -> str:
    """``postgresql://postgres@127.0.0.1:PORT/parkmap_test``: an empty database (PostGIS available, not created)."""
    import psycopg

    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute("CREATE DATABASE parkmap_test")
    return pg_cluster.url("parkmap_test")


@pytest.fixture
def pg_db(pg_cluster) -> Iterator[str]:
    """A fresh empty database per test (``CREATE DATABASE … TEMPLATE template1``), dropped afterwards; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name} TEMPLATE template1")
    yield pg_cluster.url(name)
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
