"""Rows written by the embedded store keep their hashes in PostgreSQL: geo.audit.row_hash verifies them unchanged."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import psycopg
import pytest
import shapely
from shapely.geometry import Polygon, mapping

from geo import audit
from geo.area import geodesic_area_m2
from geo.clock import now_iso
from tests.geo.db.conftest import superuser


def _q(col: str) -> str:
    return f'"{col}"'


def _embedded_rows() -> dict[str, list[dict]]:
    """A small workspace written through geo.audit.append on SQLite, as the embedded store writes it."""
    con = sqlite3.connect(":memory:", isolation_level=None)
    for stmt in [*audit.split_sql(audit.TABLES_SQL), *audit.TRIGGERS.values()]:
        con.execute(stmt)
    geom = Polygon([(104.06, 30.65), (104.07, 30.65), (104.07, 30.66), (104.06, 30.66)])
    dumps = lambda o: json.dumps(o, ensure_ascii=False, sort_keys=True, allow_nan=False)  # noqa: E731
    at = now_iso("microseconds")
    con.execute("BEGIN IMMEDIATE")
    uid, uhash = audit.append(con, "users", {"at": at, "name": "张三", "role": "admin", "pw_hash": "$argon2id$v=19$x",
                                             "disabled": 0, "by_user": "os:root", "by_role": "admin"})
    pid, phash = audit.append(con, "proposals", {
        "name": "射洪扩区方案 A", "zone_id": "S517077", "options_json": dumps({"type": "expand"}), "source": "plan.txt",
        "geom_wkb": shapely.to_wkb(geom), "geom_geojson": dumps(mapping(geom)), "area_m2": float(geodesic_area_m2(geom)),
        "created_at": at, "created_by": "张三", "created_role": "admin"})
    cid, chash = audit.append(con, "checks", {
        "proposal_id": pid, "parent_check_id": None, "kind": "check", "created_at": at, "created_by": "张三",
        "created_role": "admin", "verdict": "attention", "inputs_json": dumps({"zone": "S517077"}),
        "geom_wkb": shapely.to_wkb(geom), "geom_geojson": dumps(mapping(geom)),
        "layer_hashes_json": dumps({"farmland": "ab" * 32}), "rules_hash": "cd" * 32,
        "result_json": dumps({"verdict": "attention", "overlap_m2": 0.1 + 0.2, "说明": "与永久基本农田重叠"})})
    oid, ohash = audit.append(con, "checks", {
        "proposal_id": pid, "parent_check_id": cid, "kind": "override", "created_at": at, "created_by": "李四",
        "created_role": "reviewer", "verdict": "pass", "inputs_json": "{}", "geom_wkb": None, "geom_geojson": None,
        "layer_hashes_json": "{}", "rules_hash": "cd" * 32, "result_json": dumps({"verdict": "pass"})})
    for action, detail in (("user_add", {"user_id": uid, "user_hash": uhash}),
                           ("save_proposal", {"proposal_hash": phash}), ("check", {"check_hash": chash}),
                           ("override", {"check_hash": ohash})):
        audit.append(con, "events", {"at": at, "user": "张三", "role": "admin", "action": action, "proposal_id": pid,
                                     "check_id": {"check": cid, "override": oid}.get(action),
                                     "detail_json": dumps(detail | {"via": "cli"})})
    con.execute("COMMIT")
    assert audit.verify(con) is None
    out = {}
    for table in audit.TABLES:
        cols = ("id", *audit.COLUMNS[table], "prev_hash", "row_hash")
        out[table] = [dict(zip(cols, r)) for r in con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY id")]
    return out


def test_embedded_rows_verify_unchanged_after_a_round_trip(db_url):
    rows = _embedded_rows()
    with superuser(db_url) as con:
        for table in audit.TABLES:
            cols = ("id", *audit.COLUMNS[table], "prev_hash", "row_hash")
            sql = f"INSERT INTO {table}({', '.join(map(_q, cols))}) VALUES ({', '.join(['%s'] * len(cols))})"
            for row in rows[table]:
                con.execute(sql, [row[c] for c in cols])
        for table in audit.TABLES:
            cols = ("id", *audit.COLUMNS[table], "prev_hash", "row_hash")
            back = [dict(zip(cols, r)) for r in
                    con.execute(f"SELECT {', '.join(map(_q, cols))} FROM {table} ORDER BY id").fetchall()]
            assert back == rows[table], table  # same values, same Python types (bytes, float, int, None, str)
            prev = audit.GENESIS
            for values in back:
                assert values["prev_hash"] == prev
                assert audit.row_hash(table, values, prev) == values["row_hash"], (table, values["id"])
                prev = values["row_hash"]


def test_typed_copies_are_generated_from_the_hashed_columns(db_url):
    rows = _embedded_rows()
    with superuser(db_url) as con:
        for table in ("proposals", "checks", "events"):
            cols = ("id", *audit.COLUMNS[table], "prev_hash", "row_hash")
            for row in rows[table]:
                con.execute(f"INSERT INTO {table}({', '.join(map(_q, cols))}) VALUES ({', '.join(['%s'] * len(cols))})",
                            [row[c] for c in cols])
        srid, area, ts = con.execute("SELECT ST_SRID(geom), ST_Area(geom::geography), created_ts FROM proposals").fetchone()
        assert srid == 4490 and area == pytest.approx(rows["proposals"][0]["area_m2"], rel=1e-6)
        assert ts == dt.datetime.fromisoformat(rows["proposals"][0]["created_at"])
        assert con.execute("SELECT result->>'说明', geom IS NULL FROM checks ORDER BY id").fetchall() == \
            [("与永久基本农田重叠", False), (None, True)]
        assert con.execute("SELECT detail->>'via' FROM events WHERE action = 'check'").fetchone() == ("cli",)
        assert con.execute("SELECT parkmap_ts('2026-11-30 09:00'), parkmap_ts('2026-11-30T09:00:00Z')").fetchone() == \
            (None, dt.datetime(2026, 11, 30, 9, tzinfo=dt.timezone.utc))


def test_two_rows_cannot_extend_the_same_link(db_url):
    """UNIQUE (prev_hash): two writers racing on one chain cannot both append after the same row."""
    sql = ("INSERT INTO events(id, at, \"user\", role, action, detail_json, prev_hash, row_hash) "
           "VALUES (%s, '2026-11-30T09:00:00+08:00', 'a', 'planner', 'save', '{}', %s, %s)")
    with superuser(db_url) as con:
        con.execute(sql, (1, audit.GENESIS, "1" * 64))
        con.execute(sql, (2, "1" * 64, "2" * 64))
        with pytest.raises(psycopg.errors.UniqueViolation):
            con.execute(sql, (3, "1" * 64, "3" * 64))
