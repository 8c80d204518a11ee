"""Fixtures for the PostgreSQL backend tests: a database with the parkmap schema, and an app login user."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from geo.db.schema import init_db

#: A login role granted parkmap_app (roles are cluster-wide: created once, kept until the cluster goes).
APP_LOGIN = "parkmap_test_app"


@pytest.fixture
def db_url(pg_db) -> str:
    """A fresh database after ``init_db`` (as the superuser, who then owns the tables)."""
    init_db(pg_db)
    return pg_db


def _as_app(pg_cluster, url: str) -> str:
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        if con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_LOGIN,)).fetchone() is None:
            con.execute(f"CREATE ROLE {APP_LOGIN} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        con.execute(f"GRANT parkmap_app TO {APP_LOGIN}")
    return url.replace("postgresql://postgres@", f"postgresql://{APP_LOGIN}@", 1)


@pytest.fixture
def app_url(pg_cluster, db_url) -> str:
    """``db_url`` as a login user that only has the role ``parkmap_app`` (not the owner, not a superuser)."""
    return _as_app(pg_cluster, db_url)


@pytest.fixture(scope="module")
def shared_app_url(pg_cluster) -> str:
    """Like ``app_url``, one database per test module: for tests that change nothing (refused statements)."""
    name = f"m_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    init_db(pg_cluster.url(name))
    return _as_app(pg_cluster, pg_cluster.url(name))


def superuser(url: str) -> psycopg.Connection:
    """An autocommit connection to the database of ``url`` as the cluster's superuser."""
    return psycopg.connect(url, autocommit=True)
