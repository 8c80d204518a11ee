"""Shared fixtures for the geo engine tests (all data is generated in code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.geo import geo_builders as gb

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def parcel_gdf():
    """Two Chengdu parcels in EPSG:4490: a 1 km square with a hole, and a plain square."""
    return gb.parcel_gdf()


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


# -- both workspace backends (issue #11) ----------------------------------------------------------------------------
#: The workspace backends every backend-parametrised test runs on.
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """``sqlite`` (the embedded file) or ``postgresql`` (a fresh database on the throwaway cluster)."""
    return request.param


@pytest.fixture
def workspace_url(request, backend):
    """None for SQLite; for PostgreSQL the URL of a fresh database prepared by ``parkmap db init``."""
    if backend == "sqlite":
        yield None
        return
    from geo.db.schema import init_db
    from geo.workspace_pg import close_pools

    url = request.getfixturevalue("pg_db")
    init_db(url)
    yield url
    close_pools(url)  # before the database is dropped


@pytest.fixture
def open_ws(tmp_path, workspace_url, monkeypatch):
    """``open_ws(**kw)``: the test's workspace on its backend (``create``/``full_on_open`` as for any workspace).

    It also points the settings at it (``PARKMAP_HOME``, and ``PARKMAP_DATABASE_URL`` for PostgreSQL), so the
    CLI and :func:`geo.workspace.open_workspace` use the same one.
    """
    from geo.workspace import open_workspace

    home = tmp_path / "home"
    monkeypatch.setenv("PARKMAP_HOME", str(home))
    if workspace_url:
        monkeypatch.setenv("PARKMAP_DATABASE_URL", workspace_url)
    else:
        monkeypatch.delenv("PARKMAP_DATABASE_URL", raising=False)
    return lambda **kw: open_workspace(home, url=workspace_url or "", **kw)
