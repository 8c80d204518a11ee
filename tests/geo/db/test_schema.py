"""parkmap db init: creates the schema, is idempotent, migrates step by step, refuses a newer schema;
the append-only guard holds for the tables' owner; status reports a broken guard."""

from __future__ import annotations

import psycopg
import pytest

from geo import audit
from geo.db import migrations, schema
from geo.db.connect import connect, schema_version
from geo.db.schema import init_db, status
from geo.errors import ParkmapError
from tests.geo.db.conftest import superuser


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def _snapshot(con) -> tuple:
    """Tables, triggers, columns and meta rows: what an idempotent init must leave unchanged."""
    cols = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = 'public' ORDER BY 1, 2").fetchall()
    trig = con.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1").fetchall()
    meta = con.execute("SELECT version, note FROM parkmap_meta ORDER BY 1").fetchall()
    grants = con.execute("SELECT table_name, privilege_type FROM information_schema.role_table_grants "
                         "WHERE grantee = 'parkmap_app' ORDER BY 1, 2").fetchall()
    return cols, trig, meta, grants


def test_init_creates_the_schema_and_is_idempotent(pg_db):
    first = init_db(pg_db)
    assert (first.before, first.after, first.applied) == (None, migrations.SCHEMA_VERSION, (1,))
    assert first.postgis.startswith("3.")
    with superuser(pg_db) as con:
        assert set(migrations.PROTECTED_TABLES) <= _tables(con)
        assert schema_version(con) == migrations.SCHEMA_VERSION
        before = _snapshot(con)
    again = init_db(pg_db)
    assert (again.before, again.applied) == (migrations.SCHEMA_VERSION, ())
    with superuser(pg_db) as con:
        assert _snapshot(con) == before
    connect(pg_db).close()  # ready for the app


def test_chained_tables_mirror_the_embedded_columns(db_url):
    """Every column geo.audit hashes exists with the same name, so row_hash reads the same values."""
    with superuser(db_url) as con:
        for table in audit.TABLES:
            have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                              "WHERE table_name = %s", (table,))}
            assert {"id", *audit.COLUMNS[table], "prev_hash", "row_hash"} <= have, table
        geom = con.execute("SELECT srid, type FROM geometry_columns WHERE f_table_name = 'proposals'").fetchone()
        assert geom == (4490, "GEOMETRY")
        gist = con.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'layer_features' "
                           "AND indexdef LIKE '%gist%'").fetchall()
        assert gist


def test_init_migrates_only_the_missing_steps(db_url, monkeypatch):
    step2 = (2, "test step", "CREATE TABLE extra_step (x int);")
    monkeypatch.setattr(schema, "MIGRATIONS", (*migrations.MIGRATIONS, step2))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    done = init_db(db_url)
    assert (done.before, done.after, done.applied) == (1, 2, (2,))
    with superuser(db_url) as con:
        assert con.execute("SELECT version FROM parkmap_meta ORDER BY version").fetchall() == [(1,), (2,)]
        assert "extra_step" in _tables(con)


def test_a_newer_schema_is_refused_and_left_untouched(db_url):
    with superuser(db_url) as con:
        con.execute("INSERT INTO parkmap_meta(version, note) VALUES (99, 'from the future')")
        before = _snapshot(con)
    for attempt in (lambda: init_db(db_url), lambda: connect(db_url)):
        with pytest.raises(ParkmapError) as err:
            attempt()
        msg = str(err.value)
        assert err.value.code == "db-version" and "\n" not in msg
        assert "99" in msg and "比本程序" in msg and "newer than this parkmap" in msg and "upgrade parkmap" in msg
    with superuser(db_url) as con:
        assert _snapshot(con) == before


def test_an_older_schema_asks_for_init(db_url, monkeypatch):
    from geo.db import connect as connect_module

    monkeypatch.setattr(connect_module, "SCHEMA_VERSION", 2)
    with pytest.raises(ParkmapError) as err:
        connect(db_url)
    assert err.value.code == "db-schema" and "parkmap db init" in str(err.value) and "旧于" in str(err.value)


@pytest.mark.parametrize("table", migrations.PROTECTED_TABLES)
def test_update_delete_truncate_raise_even_for_the_owner(db_url, table):
    """The superuser owns the tables here: the triggers still refuse (zero matching rows included)."""
    col = {"parkmap_meta": "note", "layer_versions": "crs", "layer_features": "attributes"}.get(table, "prev_hash")
    with superuser(db_url) as con:
        for sql in (f"UPDATE {table} SET {col} = {col}", f"DELETE FROM {table}", f"TRUNCATE {table} CASCADE"):
            with pytest.raises(psycopg.errors.RaiseException, match=f"{table} are append-only"):
                con.execute(sql)


def test_owner_cannot_update_an_existing_event(db_url):
    with superuser(db_url) as con:
        con.execute("INSERT INTO events(id, at, \"user\", role, action, detail_json, prev_hash, row_hash) "
                    "VALUES (1, '2026-11-30T09:00:00+08:00', 'a', 'admin', 'save', '{}', %s, %s)",
                    (audit.GENESIS, "a" * 64))
        with pytest.raises(psycopg.errors.RaiseException, match="events are append-only"):
            con.execute("UPDATE events SET action = 'delete' WHERE id = 1")
        with pytest.raises(psycopg.errors.RaiseException, match="events are append-only"):
            con.execute("DELETE FROM events WHERE id = 1")
        assert con.execute("SELECT action FROM events").fetchall() == [("save",)]


def test_status_reports_an_intact_guard_then_each_break(db_url):
    st = status(db_url)
    assert st.guarded and st.role and st.schema == migrations.SCHEMA_VERSION
    assert st.rows["events"] == 0 and st.rows["parkmap_meta"] == 1
    with superuser(db_url) as con:
        con.execute("ALTER TABLE checks DISABLE TRIGGER checks_no_update")
    assert status(db_url).missing == ("checks_no_update",)
    with superuser(db_url) as con:
        con.execute("ALTER TABLE checks ENABLE TRIGGER checks_no_update")
        con.execute("CREATE FUNCTION drop_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$")
        con.execute("CREATE TRIGGER swallow BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION drop_row()")
    assert status(db_url).unexpected == ("events.swallow",)
    with superuser(db_url) as con:
        con.execute("DROP TRIGGER swallow ON events")
        con.execute("CREATE OR REPLACE FUNCTION parkmap_append_only() RETURNS trigger LANGUAGE plpgsql "
                    "AS $$ BEGIN RETURN NULL; END $$")
    broken = status(db_url)
    assert broken.guard_changed and not broken.guarded


def test_a_non_superuser_owner_runs_init_once_a_superuser_added_postgis(pg_cluster, pg_db):
    """The bureau's path: a DBA creates the database for an owner role; the owner runs init."""
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        if con.execute("SELECT 1 FROM pg_roles WHERE rolname = 'parkmap_test_owner'").fetchone() is None:
            con.execute("CREATE ROLE parkmap_test_owner LOGIN NOSUPERUSER NOCREATEROLE")
    dbname = pg_db.rsplit("/", 1)[1]
    with superuser(pg_db) as con:
        con.execute(f"ALTER DATABASE {dbname} OWNER TO parkmap_test_owner")
    owner_url = pg_db.replace("postgresql://postgres@", "postgresql://parkmap_test_owner@", 1)
    with pytest.raises(ParkmapError) as err:
        init_db(owner_url)
    assert err.value.code == "db-postgis" and "CREATE EXTENSION postgis" in str(err.value)
    assert "superuser" in str(err.value) and "\n" not in str(err.value)
    with superuser(pg_db) as con:
        assert _tables(con) == set()  # nothing half-made
        con.execute("CREATE EXTENSION postgis")
        con.execute(migrations.ROLE_SQL)  # the DBA also creates the (cluster-wide) role
    done = init_db(owner_url)
    assert done.applied == (1,)
    with superuser(pg_db) as con:
        owners = {r[0] for r in con.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE tablename = ANY(%s)",
                                            (list(migrations.PROTECTED_TABLES),))}
        assert owners == {"parkmap_test_owner"}
    assert status(owner_url).guarded
