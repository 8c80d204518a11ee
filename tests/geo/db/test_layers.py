"""Official control layers in PostGIS (issue #11): import, versions, refusals, checks against them, the CLI.

Everything runs against the throwaway cluster (``pg_cluster``); the import
and the checks use the app's login user (role ``parkmap_app`` only), as a
bureau's app instances do.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely

from geo.auth import Actor
from geo.check import ControlIndex, Proposal, check_proposal, default_rules
from geo.dataset import load_layer
from geo.db.layer_query import PgPolygonLayer, close_layer_pools, with_database_layers
from geo.db.layers import import_layer, list_versions
from geo.errors import ParkmapError
from geo.io.official import read_official_layer
from tests.geo.db.conftest import superuser

ADMIN = Actor("wang_admin", "admin")
PLANNER = Actor("li_planner", "planner")
PW = "correct horse battery 1"


# -- data -------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def province():
    return load_layer("province").geometry.iloc[0]


def _farmland(province, n: int, seed: int) -> gpd.GeoDataFrame:
    from benchmarks.check_scale import synthetic_farmland

    return synthetic_farmland(province, n, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def files(tmp_path_factory, province):
    """Two farmland files (v1: 4,000 hexagons; v2: another 3,000), a line file, a mislabelled CRS, garbage."""
    d = tmp_path_factory.mktemp("layers")
    v1 = _farmland(province, 4000, 1)
    v1["name"] = [f"农田{i}" for i in range(len(v1))]
    v1.to_file(d / "farmland.gpkg", engine="pyogrio")
    _farmland(province, 3000, 2).to_file(d / "farmland_2025.gpkg", engine="pyogrio")
    lines = gpd.GeoDataFrame({"farm_id": [1, 2]}, geometry=[shapely.LineString([(104.0, 30.5), (104.1, 30.6)]),
                                                          shapely.LineString([(104.2, 30.5), (104.3, 30.6)])], crs=4490)
    lines.to_file(d / "farmland_lines.gpkg", engine="pyogrio")
    # GK metres of zone CM 105°E (EPSG:4544) labelled as zone CM 120°E (EPSG:4549): ~15° east, outside Sichuan
    v1.iloc[:50].to_crs(4544).set_crs(4549, allow_override=True).to_file(d / "farmland_wrongcrs.gpkg",
                                                                         engine="pyogrio")
    (d / "farmland_broken.gpkg").write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    return d


def _counts(url: str) -> tuple[int, int, int]:
    with superuser(url) as con:
        return tuple(int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[return-value]
                     for t in ("layer_versions", "layer_features", "events"))


@pytest.fixture
def ws(app_url, monkeypatch, tmp_path):
    """The workspace in the same database, with an admin and a planner account; the env points at it."""
    from geo import accounts
    from geo.workspace import open_workspace
    from geo.workspace_pg import close_pools

    monkeypatch.setenv("PARKMAP_DATABASE_URL", app_url)
    monkeypatch.setenv("PARKMAP_HOME", str(tmp_path / "home"))
    w = open_workspace(url=app_url)
    accounts.add_user(w, ADMIN.name, "admin", PW)
    accounts.add_user(w, PLANNER.name, "planner", PW, actor=ADMIN)
    yield w
    close_layer_pools()
    close_pools(app_url)


def _events(ws, action: str = "layer_import") -> list[dict]:
    ev = ws.events()
    return [json.loads(d) for d in ev.loc[ev["action"] == action, "detail_json"]]


# -- import, list, versions -------------------------------------------------------------------------------------
def test_import_list_versions_and_replace(ws, app_url, files):
    from geo.db.layers import file_sha256

    done = import_layer(app_url, "farmland", files / "farmland.gpkg", actor=ADMIN, events=ws)
    assert (done.version.version, done.version.feature_count, done.tiles) == (1, 4000, 4000)
    assert done.version.source_sha256 == file_sha256(files / "farmland.gpkg")
    assert done.version.imported_by == ADMIN.name and done.version.imported_role == "admin"
    assert done.version.crs.startswith("EPSG:4490")
    [v1] = list_versions(app_url, tiles=True)
    assert v1.current and v1.tiles == 4000 and v1.source_name == "farmland.gpkg"

    before = _counts(app_url)
    with pytest.raises(ParkmapError) as err:
        import_layer(app_url, "farmland", files / "farmland_2025.gpkg", actor=ADMIN, events=ws)
    assert err.value.code == "layer-exists" and "--replace" in str(err.value)
    assert _counts(app_url) == before

    done2 = import_layer(app_url, "farmland", files / "farmland_2025.gpkg", actor=ADMIN, replace=True, events=ws)
    assert done2.version.version == 2
    versions = list_versions(app_url, tiles=True)
    assert [(v.version, v.current, v.feature_count, v.tiles) for v in versions] == [
        (1, False, 4000, 4000), (2, True, 3000, 3000)]
    ev = _events(ws)
    assert [(e["layer"], e["version"], e["source_sha256"], e["replace"]) for e in ev] == [
        ("farmland", 1, v1.source_sha256, False), ("farmland", 2, done2.version.source_sha256, True)]
    assert ws.verify() is None  # the events extend the hash chain


def test_features_keep_number_and_attributes(ws, app_url, files):
    import_layer(app_url, "farmland", files / "farmland.gpkg", actor=ADMIN, events=ws)
    with superuser(app_url) as con:
        row = con.execute("SELECT feature_no, attributes, ST_SRID(geom) FROM layer_features "
                          "WHERE layer = 'farmland' AND version = 1 AND feature_no = 17").fetchone()
        has_gist = con.execute("SELECT 1 FROM pg_indexes WHERE tablename = 'layer_features' "
                               "AND indexdef ILIKE '%gist%'").fetchone()
    assert row[0] == 17 and row[1]["name"] == "农田17" and row[1]["farm_id"] == 17 and row[2] == 4490
    assert has_gist


def test_import_frame_in_chunks_keeps_feature_numbers(ws, app_url, files, monkeypatch):
    import functools

    from geo.db import layers

    monkeypatch.setattr(layers, "_copy_features", functools.partial(layers._copy_features, chunk=700))
    frame = read_official_layer("farmland", files / "farmland.gpkg").gdf
    done = layers.import_frame(app_url, "farmland", frame, source_name="frame", sha256="0" * 64, crs="EPSG:4490",
                               actor=ADMIN, events=ws)
    assert (done.version.version, done.tiles) == (1, 4000)
    with superuser(app_url) as con:
        rows = con.execute("SELECT feature_no, attributes->>'name' FROM layer_features WHERE feature_no IN "
                           "(0, 699, 700, 3999) ORDER BY feature_no").fetchall()
    assert rows == [(0, "农田0"), (699, "农田699"), (700, "农田700"), (3999, "农田3999")]
    assert _events(ws)[0]["source_name"] == "frame"


# -- refusals before anything is written ------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "code"), [("farmland_lines.gpkg", "not-polygon"),
                                            ("farmland_wrongcrs.gpkg", "outside-area"),
                                            ("farmland_broken.gpkg", None)])
def test_bad_files_are_refused_before_anything_is_written(ws, app_url, files, name, code):
    before = _counts(app_url)
    with pytest.raises(ParkmapError) as err:
        import_layer(app_url, "farmland", files / name, actor=ADMIN, events=ws)
    if code:
        assert err.value.code == code
    assert name in str(err.value)  # the message names the file
    assert len(str(err.value).splitlines()) == 1 and " / " in str(err.value)
    assert _counts(app_url) == before


def test_the_embedded_import_refuses_the_same_files(files):
    for name in ("farmland_lines.gpkg", "farmland_wrongcrs.gpkg", "farmland_broken.gpkg"):
        with pytest.raises(ParkmapError):
            read_official_layer("farmland", files / name)


def test_non_admin_and_line_layers_are_refused(ws, app_url, files):
    before = _counts(app_url)
    with pytest.raises(ParkmapError) as err:
        import_layer(app_url, "farmland", files / "farmland.gpkg", actor=PLANNER, events=ws)
    assert err.value.code == "forbidden"
    with pytest.raises(ParkmapError) as err:
        import_layer(app_url, "rivers", files / "farmland_lines.gpkg", actor=ADMIN, events=ws)
    assert err.value.code == "layers" and "rivers" in str(err.value)
    assert _counts(app_url) == before


# -- checks against the database layer --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def embedded_parts():
    frames = {k: load_layer(k) for k in ("eco_redline", "urban_boundary", "rivers", "parks", "province")}
    zones = pd.DataFrame(load_layer("zones").drop(columns="geometry"))
    return frames, zones, load_layer("indicators")


@pytest.fixture(scope="module")
def proposals(province):
    from benchmarks.check_scale import make_proposals

    return make_proposals(60, province, load_layer("parks"), np.random.default_rng(11))


def _dense_proposals(files, n: int = 40) -> list[Proposal]:
    """Proposals centred on farmland features (so most of them overlap some)."""
    farm = gpd.read_file(files / "farmland.gpkg", engine="pyogrio")
    rng = np.random.default_rng(5)
    out = []
    for i in rng.choice(len(farm), n, replace=False):
        c = farm.geometry.iloc[int(i)].centroid
        r = rng.uniform(0.02, 0.08)
        out.append(Proposal(shapely.Point(c.x + r / 3, c.y).buffer(r, 8), "N01", name=f"D{i}"))
    return out


def test_check_against_the_database_equals_the_embedded_check(ws, app_url, files, embedded_parts, proposals):
    frames, zones, indicators = embedded_parts
    import_layer(app_url, "farmland", files / "farmland.gpkg", actor=ADMIN, events=ws)
    farm = read_official_layer("farmland", files / "farmland.gpkg").gdf  # as --layers DIR reads it
    embedded = ControlIndex.from_frames(zones=zones, indicators=indicators, farmland=farm, **frames)
    clip = with_database_layers(embedded, app_url)
    sql = with_database_layers(embedded, app_url, mode="sql")
    assert isinstance(clip.layers["farmland"], PgPolygonLayer) and clip.layers["farmland"].mode == "clip"
    rules = default_rules()
    compared = 0
    for p in [*proposals, *_dense_proposals(files)]:
        a = check_proposal(p, embedded, rules)
        for idx in (clip, sql):
            b = check_proposal(p, idx, rules)
            ea, eb = a.overlaps.get("farmland", 0.0), b.overlaps.get("farmland", 0.0)
            assert eb == pytest.approx(ea, rel=1e-3, abs=0.01), p.name
            ra, rb = a.rule("farmland"), b.rule("farmland")
            assert (ra.status, ra.details.get("hits_total")) == (rb.status, rb.details.get("hits_total"))
            assert rb.details.get("overlap_m2", 0) == pytest.approx(ra.details.get("overlap_m2", 0), rel=1e-3, abs=0.01)
            assert [h["id"] for h in ra.details.get("hits", [])] == [h["id"] for h in rb.details.get("hits", [])]
            assert a.verdict == b.verdict
            compared += ea > 0
    assert compared >= 30  # the comparison is not between zeros
    assert not sql.layers["farmland"]._tiles and clip.layers["farmland"]._tiles  # each measured its own way


def test_a_check_records_the_layer_version_it_used(ws, app_url, files):
    from geo.checkflow import CheckOptions, run_checks
    from geo.proposal import ProposalParcels

    done = import_layer(app_url, "farmland", files / "farmland.gpkg", actor=ADMIN, events=ws)
    p = _dense_proposals(files, 1)[0]
    run = run_checks([ProposalParcels(geometry=p.geometry, parcels=[], name="D")], "N01", CheckOptions(), save=True, workspace=ws,
                     actor=ADMIN)  # PARKMAP_DATABASE_URL is set: control_index() takes the database layer
    res = run.results[0]
    sha = done.version.source_sha256
    assert res.layers["farmland"]["version"] == 1 and res.layers["farmland"]["sha256"] == sha
    assert res.layer_hashes["farmland"] == f"{sha}@v1"
    assert res.rule("farmland").value_source.startswith("official database layer farmland v1 (farmland.gpkg, sha256 ")
    assert res.overlaps["farmland"] > 0
    saved = ws.get_check(run.saved[0][1])
    assert saved.layer_hashes["farmland"] == f"{sha}@v1"  # in the hash-chained row


def test_an_old_version_stays_readable_after_replace(ws, app_url, files, embedded_parts):
    frames, zones, indicators = embedded_parts
    embedded = ControlIndex.from_frames(zones=zones, indicators=indicators, **frames)
    import_layer(app_url, "farmland", files / "farmland.gpkg", actor=ADMIN, events=ws)
    props = _dense_proposals(files, 10)
    rules = default_rules()
    v1_before = [check_proposal(p, with_database_layers(embedded, app_url), rules).overlaps["farmland"] for p in props]
    import_layer(app_url, "farmland", files / "farmland_2025.gpkg", actor=ADMIN, replace=True, events=ws)
    current = with_database_layers(embedded, app_url)
    old = with_database_layers(embedded, app_url, versions={"farmland": 1})
    assert current.layers["farmland"].source.version == 2 and old.layers["farmland"].source.version == 1
    v1_after = [check_proposal(p, old, rules).overlaps["farmland"] for p in props]
    v2 = [check_proposal(p, current, rules).overlaps.get("farmland", 0.0) for p in props]
    assert v1_after == v1_before
    assert v2 != v1_before  # another layer: the current version is really used


def test_the_checking_process_does_not_hold_the_layer(ws, app_url, files, embedded_parts):
    frames, zones, indicators = embedded_parts
    import_layer(app_url, "farmland", files / "farmland.gpkg", actor=ADMIN, events=ws)
    index = with_database_layers(ControlIndex.from_frames(zones=zones, indicators=indicators, **frames), app_url)
    layer = index.layers["farmland"]
    assert not hasattr(layer, "frame") and not hasattr(layer, "tiles")
    props = _dense_proposals(files, 5)
    for p in props:
        check_proposal(p, index, default_rules())
    assert len(layer._tiles) < 200  # only the proposals' tiles were fetched, not the 4,000
    assert len(layer) == 4000


# -- the CLI ------------------------------------------------------------------------------------------------------
def test_cli_import_and_list_end_to_end(ws, app_url, files, capsys):
    from layers.cli import main

    assert main(["layers", "import", str(files / "farmland.gpkg"), "--layer", "farmland", "--user", PLANNER.name]) == 2
    assert "无权导入正式图层" in capsys.readouterr().err
    assert main(["layers", "import", str(files / "farmland.gpkg"), "--layer", "farmland", "--user", ADMIN.name]) == 0
    out = capsys.readouterr().out
    assert "已导入 永久基本农田（farmland）第 1 版：4000 个要素" in out and "imported permanent basic farmland" in out
    assert main(["layers", "import", str(files / "farmland_2025.gpkg"), "--layer", "farmland",
                 "--user", ADMIN.name]) == 2
    err = capsys.readouterr().err.strip()
    assert "--replace" in err and len(err.splitlines()) == 1
    assert main(["layers", "import", str(files / "farmland_lines.gpkg"), "--layer", "farmland", "--replace",
                 "--user", ADMIN.name]) == 2
    assert "不是面" in capsys.readouterr().err
    assert main(["layers", "import", str(files / "farmland_2025.gpkg"), "--layer", "farmland", "--replace",
                 "--user", ADMIN.name]) == 0
    capsys.readouterr()
    assert main(["layers", "list"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].startswith("永久基本农田 farmland 第 1 版 / v1 [旧版 / earlier]")
    assert text[1].startswith("永久基本农田 farmland 第 2 版 / v2 [当前 / current]")
    assert main(["layers", "list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(d["version"], d["current"], d["feature_count"]) for d in doc] == [(1, False, 4000), (2, True, 3000)]


def test_cli_without_a_database_url_says_so(monkeypatch, capsys, tmp_path):
    from layers.cli import main

    monkeypatch.delenv("PARKMAP_DATABASE_URL", raising=False)
    assert main(["layers", "import", str(tmp_path / "x.gpkg"), "--layer", "farmland"]) == 2
    err = capsys.readouterr().err
    assert "PARKMAP_DATABASE_URL" in err and len(err.strip().splitlines()) == 1


def test_cli_check_json_uses_the_database_layer(ws, app_url, files, tmp_path, capsys):
    from layers.cli import main

    import_layer(app_url, "farmland", files / "farmland.gpkg", actor=ADMIN, events=ws)
    p = _dense_proposals(files, 1)[0]
    path = tmp_path / "plan.geojson"
    gpd.GeoDataFrame({"name": ["扩区"]}, geometry=[p.geometry], crs=4490).to_file(path, engine="pyogrio")
    code = main(["check", str(path), "--zone", "N01", "--json", "--user", ADMIN.name])
    doc = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    layers = doc["layers"] if "layers" in doc else doc["results"][0]["layers"]
    assert layers["farmland"]["version"] == 1 and layers["farmland"]["source"] == "postgis:farmland@v1"


def test_the_app_role_cannot_change_imported_features(ws, app_url, files):
    import_layer(app_url, "farmland", files / "farmland.gpkg", actor=ADMIN, events=ws)
    with psycopg.connect(app_url, autocommit=True) as con, pytest.raises(psycopg.Error):
        con.execute("DELETE FROM layer_features WHERE layer = 'farmland'")
    assert _counts(app_url)[1] == 4000


def test_a_lost_layer_connection_is_replaced(ws, app_url, files, embedded_parts):
    frames, zones, indicators = embedded_parts
    import_layer(app_url, "farmland", files / "farmland.gpkg", actor=ADMIN, events=ws)
    index = with_database_layers(ControlIndex.from_frames(zones=zones, indicators=indicators, **frames), app_url)
    p1, p2 = _dense_proposals(files, 2)
    first = check_proposal(p1, index, default_rules()).overlaps["farmland"]
    with superuser(app_url) as con:  # the server drops the pooled connections (a restart, a failover)
        killed = con.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE application_name = 'parkmap-layers'").fetchone()[0]
    assert killed >= 1
    assert check_proposal(p2, index, default_rules()).overlaps["farmland"] > 0  # retried on a new connection
    assert check_proposal(p1, index, default_rules()).overlaps["farmland"] == first
