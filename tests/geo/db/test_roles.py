"""The role parkmap_app: a login user granted it reads and appends, and can change or remove nothing."""

from __future__ import annotations

import psycopg
import pytest

from geo import audit
from geo.db import migrations
from geo.db.connect import connect, db_error

EVENT = ("INSERT INTO events(id, at, \"user\", role, action, detail_json, prev_hash, row_hash) "
         "VALUES (%s, '2026-11-30T09:00:00+08:00', 'planner1', 'planner', 'save', '{\"via\": \"app\"}', %s, %s)")


def test_the_app_user_is_neither_owner_nor_superuser(app_url):
    with connect(app_url) as con:
        user, superuser = con.execute("SELECT current_user, usesuper FROM pg_user WHERE usename = current_user").fetchone()
        owners = {r[0] for r in con.execute("SELECT tableowner FROM pg_tables WHERE tablename = ANY(%s)",
                                            (list(migrations.PROTECTED_TABLES),))}
    assert not superuser and user not in owners


def test_the_app_can_insert_and_select(app_url):
    with connect(app_url) as con:
        con.execute(EVENT, (1, audit.GENESIS, "b" * 64))
        con.execute("INSERT INTO layer_versions(layer, version, source_name, source_sha256, feature_count, crs, "
                    "imported_by, imported_role) VALUES ('farmland', 1, '永久基本农田.gpkg', %s, 1, 'EPSG:4490', "
                    "'admin1', 'admin')", ("c" * 64,))
        con.execute("INSERT INTO layer_features(layer, version, feature_no, geom, attributes) VALUES ('farmland', 1, 0, "
                    "ST_GeomFromText('POLYGON((104 30, 104.01 30, 104.01 30.01, 104 30))', 4490), '{\"DLMC\": \"水田\"}')")
        con.commit()
        assert con.execute("SELECT id, \"user\", detail->>'via' FROM events").fetchall() == [(1, "planner1", "app")]
        assert con.execute("SELECT count(*) FROM layer_features WHERE geom && "
                           "ST_MakeEnvelope(103.9, 29.9, 104.1, 30.1, 4490)").fetchone() == (1,)
        assert con.execute("SELECT max(version) FROM parkmap_meta").fetchone() == (migrations.SCHEMA_VERSION,)


@pytest.mark.parametrize("table", [*audit.TABLES, *migrations.LAYER_TABLES, migrations.META_TABLE])
@pytest.mark.parametrize("sql", ["UPDATE {t} SET {c} = {c}", "DELETE FROM {t}", "TRUNCATE {t}",
                                 "ALTER TABLE {t} DISABLE TRIGGER ALL", "DROP TABLE {t}"])
def test_the_app_cannot_change_or_remove_rows(shared_app_url, table, sql):
    app_url = shared_app_url
    with connect(app_url) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as err:
            con.execute(sql.format(t=table, c="id" if table in audit.TABLES else "version"))
        con.rollback()
    mapped = db_error(err.value, app_url)
    assert mapped.code == "db-permission" and "parkmap_app" in str(mapped) and "\n" not in str(mapped)


def test_the_app_cannot_write_the_schema_version_or_add_triggers(shared_app_url):
    with connect(shared_app_url) as con:
        for sql in ("INSERT INTO parkmap_meta(version) VALUES (2)",
                    "CREATE TRIGGER t BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION parkmap_append_only()",
                    "CREATE OR REPLACE FUNCTION parkmap_append_only() RETURNS trigger LANGUAGE plpgsql "
                    "AS $$ BEGIN RETURN NULL; END $$"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(sql)
            con.rollback()


def test_a_login_user_without_the_role_sees_nothing(pg_cluster, db_url):
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        if con.execute("SELECT 1 FROM pg_roles WHERE rolname = 'parkmap_test_nobody'").fetchone() is None:
            con.execute("CREATE ROLE parkmap_test_nobody LOGIN")
    url = db_url.replace("postgresql://postgres@", "postgresql://parkmap_test_nobody@", 1)
    with psycopg.connect(url) as con, pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute("SELECT * FROM events")
