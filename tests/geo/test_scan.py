"""存量体检 (``geo.scan``, ``parkmap scan``): totals equal independent overlays, the chemical selection, exports, audit.

The reference figures are computed here with ``geopandas.overlay`` (and a
``buffer`` in GK metres for the river band), park by park, independently of
the index code the scan uses.
"""

from __future__ import annotations

import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from geo import cli
from geo.area import M2_PER_MU, geodesic_area_m2
from geo.check import ControlIndex, default_index
from geo.dataset import load_layer
from geo.rules import load_rules
from geo.scan import SCAN_LAYERS, chemical_industry_ids, record_scan, scan_parks
from tests.geo import geo_builders as gb

PREFS = pd.DataFrame({"adcode": ["510100", "510500"], "name": ["成都市", "泸州市"], "short_name": ["成都", "泸州"]})
INDUSTRIES = pd.DataFrame({"id": ["chem", "food"], "name_zh": ["绿色化工", "现代食品"]})
LINKS = pd.DataFrame({"zone_id": ["Z1", "Z2"], "industry_id": ["chem", "food"], "citation": ["cite-chem", "cite-food"]})


def sq(x0, y0, x1, y1):
    return gb.square(x0, y0, x1, y1)


@pytest.fixture(scope="module")
def synthetic():
    """Three parks of two zones in two prefectures; red line, 400 farmland squares, an urban boundary, a river."""
    zones = pd.DataFrame({"zone_id": ["Z1", "Z2"], "catalogue_code": ["S1", "S2"], "name": ["甲化工园区", "乙食品园区"],
                          "short_name": ["甲园", "乙园"], "zone_class": ["经开区"] * 2, "level": ["省级"] * 2,
                          "host_prefecture_adcode": ["510100", "510500"]})
    parks = gpd.GeoDataFrame({"park_id": ["P1", "P2", "P3"], "zone_id": ["Z1", "Z1", "Z2"], "name": ["一园", "二园", "三园"],
                              "host_prefecture_adcode": ["510100", "510100", "510500"]},
                             geometry=[sq(0, 0, 2000, 2000), sq(5000, 0, 6000, 1500), sq(0, 3000, 2000, 4500)], crs=4490)
    eco = gpd.GeoDataFrame({"eco_id": ["E1", "E2"]}, geometry=[sq(1500, -500, 3000, 800), sq(-300, 4000, 500, 5000)],
                           crs=4490)
    cells = [sq(x, y, x + 180, y + 180) for x in range(-1000, 8000, 450) for y in range(-1000, 8000, 450)]
    farm = gpd.GeoDataFrame({"farm_id": [f"F{i}" for i in range(len(cells))]}, geometry=cells, crs=4490)
    ub = gpd.GeoDataFrame({"ub_id": ["U1", "U2"]}, geometry=[sq(-500, -500, 1200, 2500), sq(4800, -200, 6200, 1700)],
                          crs=4490)
    ox, oy = gb.chengdu_gk_center()
    river_gk = LineString([(ox - 3000, oy + 2600), (ox + 9000, oy + 2600)])  # 600 m north of P1, 1.1 km from P2, 400 m from P3
    rivers = gpd.GeoDataFrame({"river_id": ["R1"], "name_zh": ["岷江"], "river_class": ["主要支流"]},
                              geometry=[gb.gk_to_lonlat(river_gk)], crs=4490)
    index = ControlIndex.from_frames(zones=zones, parks=parks, eco_redline=eco, farmland=farm, urban_boundary=ub,
                                     rivers=rivers)
    return index, {"parks": parks, "eco_redline": eco, "farmland": farm, "urban_boundary": ub, "rivers": rivers}


def scan(index, **kw):
    return scan_parks(index, prefectures=PREFS, industries=INDUSTRIES, links=LINKS, **kw)


def reference(frames, chemical_zones=("Z1",), river_m=1000.0):
    """(park_id, layer) → m², by geopandas.overlay per park (difference for the boundary; GK buffer for the river)."""
    out = {}
    for _, park in frames["parks"].iterrows():
        one = gpd.GeoDataFrame({"park_id": [park["park_id"]]}, geometry=[park.geometry], crs=4490)
        for key in ("eco_redline", "farmland"):
            ov = gpd.overlay(one, frames[key], how="intersection", keep_geom_type=True)
            out[(park["park_id"], key)] = sum(geodesic_area_m2(g) for g in ov.geometry)
        diff = gpd.overlay(one, frames["urban_boundary"], how="difference", keep_geom_type=True)
        out[(park["park_id"], "urban_boundary")] = sum(geodesic_area_m2(g) for g in diff.geometry)
        if park["zone_id"] in chemical_zones and "rivers" in frames:
            band = gpd.GeoDataFrame(geometry=frames["rivers"].to_crs(4544).buffer(river_m, quad_segs=16), crs=4544)
            ov = gpd.overlay(one.to_crs(4544), band, how="intersection", keep_geom_type=True).to_crs(4490)
            out[(park["park_id"], "river_1km")] = sum(geodesic_area_m2(g) for g in ov.geometry)
    return out


def test_totals_equal_independent_overlays_on_synthetic_layers(synthetic):
    index, frames = synthetic
    result = scan(index)
    ref = reference(frames)
    got = {(r["park_id"], r["layer"]): r["conflict_m2"] for r in result.parks.to_dict("records")}
    assert set(got) == set(ref)
    for key, m2 in ref.items():
        tol = 1e-3 if key[1] == "river_1km" else 1e-7  # the river band: buffers of river chunks vs one buffer
        assert got[key] == pytest.approx(m2, rel=tol, abs=0.05), key
    # every layer conflicts somewhere, so the equality is not 0 == 0
    assert all(result.totals()[k]["conflict_m2"] > 1000 for k in SCAN_LAYERS)
    for key in SCAN_LAYERS:
        assert result.totals()[key]["conflict_m2"] == pytest.approx(sum(v for k, v in ref.items() if k[1] == key),
                                                                    rel=1e-3)
        assert result.totals()[key]["conflict_mu"] == pytest.approx(result.totals()[key]["conflict_m2"] / M2_PER_MU)


def test_known_answers_and_shares(synthetic):
    index, _ = synthetic
    rows = scan(index).parks.set_index(["park_id", "layer"])
    p1 = rows.loc[("P1", "eco_redline")]
    assert p1["conflict_m2"] == pytest.approx(500 * 800, rel=2e-3)  # the 500 × 800 m corner in GK metres
    assert p1["share"] == pytest.approx(p1["conflict_m2"] / p1["park_m2"])
    assert rows.loc[("P1", "urban_boundary")]["conflict_m2"] == pytest.approx(800 * 2000, rel=2e-3)
    assert rows.loc[("P2", "urban_boundary")]["conflict_m2"] == 0.0  # inside U2
    assert rows.loc[("P1", "river_1km")]["conflict_m2"] == pytest.approx(400 * 2000, rel=2e-3)
    assert rows.loc[("P2", "river_1km")]["conflict_m2"] == 0.0  # 1.1 km away
    assert (rows["share"] <= 1.0).all() and (rows["share"] >= 0).all()


def test_chemical_parks_get_the_river_rule_and_others_do_not(synthetic):
    index, _ = synthetic
    result = scan(index)
    river = result.parks[result.parks["layer"] == "river_1km"]
    assert set(river["park_id"]) == {"P1", "P2"}  # Z1 is linked to 绿色化工
    assert "P3" not in set(river["park_id"])  # Z2 (食品) is not, though P3 lies 400 m from the river
    assert result.chemical == {"Z1": "cite-chem"}
    assert result.parks.loc[result.parks["park_id"] == "P3", "chemical"].eq(False).all()


def test_per_zone_and_prefecture_totals(synthetic):
    index, _ = synthetic
    result = scan(index)
    for by, col in ((result.zones(), "zone_id"), (result.prefectures(), "prefecture")):
        for key in SCAN_LAYERS:
            rows = result.parks[result.parks["layer"] == key]
            expect = rows.groupby(col)["conflict_m2"].sum()
            got = by[by["layer"] == key].set_index(col)["conflict_m2"]
            pd.testing.assert_series_equal(got.sort_index(), expect.sort_index(), check_names=False)
    prefs = result.prefectures()
    eco = prefs[prefs["layer"] == "eco_redline"].set_index("prefecture")
    assert list(prefs[prefs["layer"] == "eco_redline"]["prefecture"]) == ["成都市", "泸州市"]  # pinyin order
    assert eco.loc["成都市", "parks"] == 2 and eco.loc["泸州市", "parks"] == 1
    assert eco.loc["成都市", "share"] == pytest.approx(eco.loc["成都市", "conflict_m2"] / eco.loc["成都市", "park_m2"])


def test_scope_zone_and_prefecture(synthetic):
    index, _ = synthetic
    assert set(scan(index, zone="Z2").parks["park_id"]) == {"P3"}
    assert set(scan(index, prefecture="成都").parks["park_id"]) == {"P1", "P2"}
    assert scan(index, prefecture="510500").scope == {"kind": "prefecture", "value": "510500", "label": "泸州市"}


def test_pieces_are_the_conflicts(synthetic):
    index, _ = synthetic
    result = scan(index)
    assert len(result.pieces) == int((result.parks["conflict_m2"] > 0).sum())
    for rec in result.pieces.to_dict("records"):
        assert geodesic_area_m2(rec["geometry"]) == pytest.approx(rec["conflict_m2"])


def test_rows_cite_the_rule_and_record_layer_versions(synthetic):
    index, _ = synthetic
    result = scan(index)
    rules = load_rules()
    for rec in result.parks.to_dict("records"):
        assert rec["citation"] == rules[rec["rule_id"]].citation and "《" in rec["citation"]
        key = "rivers" if rec["layer"] == "river_1km" else rec["layer"]
        assert rec["layer_hash"] == index.layer_sources()[key]["hash"]
    detail = result.audit_detail()
    assert set(detail["layers"]) == {"eco_redline", "farmland", "urban_boundary", "rivers", "parks"}
    assert detail["totals"]["farmland"]["conflict_m2"] > 0


def test_excel_one_sheet_per_layer(synthetic, tmp_path):
    from openpyxl import load_workbook

    index, _ = synthetic
    result = scan(index)
    out = result.write(tmp_path / "scan.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["汇总 summary", *SCAN_LAYERS]
    for key in SCAN_LAYERS:
        sheet = pd.read_excel(io.BytesIO(out.read_bytes()), sheet_name=key)
        assert len(sheet) == int((result.parks["layer"] == key).sum())
        assert set(sheet["citation"]) == {load_rules()[key].citation}
        assert sheet["layer_hash"].str.len().eq(64).all() and sheet["layer_source"].eq("frame").all()
    summary = [[c.value for c in row] for row in wb["汇总 summary"].iter_rows()]
    assert any(r[:2] == ["layer", "farmland"] for r in summary)
    gpkg = result.write(tmp_path / "scan.gpkg")
    pieces = gpd.read_file(gpkg, layer="conflict_pieces")
    assert len(pieces) == len(result.pieces)


def test_embedded_data_equals_overlays():
    """All 152 parks on the embedded layers: the scan equals geopandas.overlay over all parks at once."""
    index = default_index()
    result = scan_parks(index)
    parks = load_layer("parks")
    got = result.parks.pivot_table(index="park_id", columns="layer", values="conflict_m2", aggfunc="sum")
    for key in ("eco_redline", "farmland"):
        ov = gpd.overlay(parks[["park_id", "geometry"]], load_layer(key)[["geometry"]], how="intersection",
                         keep_geom_type=True)
        ref = ov.assign(m2=[geodesic_area_m2(g) for g in ov.geometry]).groupby("park_id")["m2"].sum()
        ref = ref.reindex(got.index, fill_value=0.0)
        np.testing.assert_allclose(got[key].to_numpy(), ref.to_numpy(), atol=0.05)
    diff = gpd.overlay(parks[["park_id", "geometry"]], load_layer("urban_boundary")[["geometry"]], how="difference",
                       keep_geom_type=True)
    ref = diff.assign(m2=[geodesic_area_m2(g) for g in diff.geometry]).groupby("park_id")["m2"].sum()
    np.testing.assert_allclose(got["urban_boundary"].to_numpy(), ref.reindex(got.index, fill_value=0.0).to_numpy(),
                               atol=0.05)
    # the river band, for the chemical zones' parks, with an independent GK buffer of the regulated rivers
    rivers = load_layer("rivers")
    rivers = rivers[rivers["river_class"].isin(load_rules()["river_1km"].params["river_classes"])]
    chem = parks[parks["zone_id"].isin(set(result.chemical))]
    band = gpd.GeoDataFrame(geometry=rivers.to_crs(4544).buffer(1000.0, quad_segs=16), crs=4544)
    ov = gpd.overlay(chem[["park_id", "geometry"]].to_crs(4544), band, how="intersection",
                     keep_geom_type=True).to_crs(4490)
    ref = ov.dissolve("park_id").geometry.map(geodesic_area_m2).reindex(chem["park_id"], fill_value=0.0)
    mine = got["river_1km"].dropna()
    assert set(mine.index) == set(chem["park_id"])
    assert float(ref.sum()) > 1e6  # the embedded data has chemical parks near the rivers
    np.testing.assert_allclose(mine.reindex(ref.index).to_numpy(), ref.to_numpy(), rtol=2e-3, atol=1.0)


def test_embedded_chemical_selection():
    industries, links = load_layer("industries"), load_layer("zone_industries")
    ids = chemical_industry_ids(industries)
    assert ids == ["adv-energy-chemical", "chain-green-chemicals", "fp1-energy-chemical"]
    result = scan_parks(default_index())
    linked = set(links.loc[links["industry_id"].isin(ids), "zone_id"])
    assert set(result.chemical) == linked & set(load_layer("parks")["zone_id"])
    assert "S519056" in result.chemical  # 合江临港工业园: 专栏5 天然气精细化工、化肥、锂化工
    assert "G512045" not in result.chemical  # 成都高新区: 高端化学药 only, not counted
    river = result.parks[result.parks["layer"] == "river_1km"]
    assert set(river["zone_id"]) == set(result.chemical)


def test_unknown_scope_is_bilingual_with_close_names(synthetic):
    from geo.errors import ParkmapError

    index, _ = synthetic
    with pytest.raises(ParkmapError) as e:
        scan(index, prefecture="成都州")
    assert "未知的市州" in str(e.value) and "Unknown prefecture" in str(e.value) and "成都" in str(e.value)
    with pytest.raises(ParkmapError, match="Unknown zone"):
        scan(index, zone="Z9")
    with pytest.raises(ParkmapError, match="not both"):
        scan(index, zone="Z1", prefecture="成都")


def test_audit_event(synthetic, open_ws):
    index, _ = synthetic
    ws = open_ws()
    result = scan(index)
    event_id = record_scan(ws, result)
    ev = ws.events().set_index("id").loc[event_id]
    assert ev["action"] == "scan" and ev["at"].endswith("+08:00") and ev["user"]
    detail = json.loads(ev["detail_json"])
    assert detail["layers"]["farmland"]["hash"] == index.layer_sources()["farmland"]["hash"]
    assert detail["totals"]["eco_redline"]["conflict_m2"] == pytest.approx(result.totals()["eco_redline"]["conflict_m2"])


# -- the CLI ----------------------------------------------------------------------------------------------------------
def run(capsys, *args):
    code = cli.main(["scan", *map(str, args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_cli_json_and_excel(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PARKMAP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PARKMAP_DATABASE_URL", raising=False)
    code, out, _ = run(capsys, "--prefecture", "泸州", "--json", "--out", tmp_path / "s.xlsx")
    assert code == 0
    doc = json.loads(out)
    assert doc["scope"]["label"] == "泸州市" and doc["schema"] == "parkmap.scan/1"
    assert doc["totals"]["river_1km"]["parks"] >= 1 and (tmp_path / "s.xlsx").exists()
    code, out, _ = run(capsys, "--zone", "S519056")
    assert code == 0 and "合江临港工业园" in out and "长江干支流1公里" in out


def test_cli_bad_input(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PARKMAP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PARKMAP_DATABASE_URL", raising=False)
    code, _, err = run(capsys, "--prefecture", "泸洲")
    assert code == 2 and "未知的市州" in err and "泸州" in err
    code, _, err = run(capsys, "--zone", "S5170777")
    assert code == 2 and "Unknown zone" in err and "S517077 射洪经开区" in err
    code, _, err = run(capsys, "--zone", "射洪开发区")
    assert code == 2 and "未知的开发区" in err and "S517077 射洪经开区" in err
    code, _, err = run(capsys, "--zone", "S517077", "--prefecture", "泸州")
    assert code == 2 and "命令行参数错误" in err
    code, _, err = run(capsys, "--out", tmp_path / "scan.csv")
    assert code == 2 and ".xlsx" in err


def test_cli_records_the_scan(capsys, open_ws):
    ws = open_ws()
    ws.record("note", detail={})  # the workspace exists: the scan is recorded like a check
    code, _, _ = run(capsys, "--zone", "S519056")
    assert code == 0
    ev = ws.events()
    ev = ev[ev["action"] == "scan"]
    assert len(ev) == 1
    detail = json.loads(ev.iloc[0]["detail_json"])
    assert detail["scope"]["value"] == "S519056" and detail["layers"]["rivers"]["hash"]
    assert detail["via"] == "os" and ev.iloc[0]["user"] and ev.iloc[0]["at"].endswith("+08:00")  # no accounts: the OS user


def test_cli_layers_folder(capsys, tmp_path, monkeypatch):
    """--layers DIR: an official farmland file covering part of a park is what the scan measures and records."""
    import shapely

    monkeypatch.setenv("PARKMAP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PARKMAP_DATABASE_URL", raising=False)
    park = load_layer("parks").query("zone_id == 'S517077'").iloc[0]
    x0, y0, x1, y1 = park.geometry.bounds
    block = shapely.box(x0 - 0.01, y0 - 0.01, (x0 + x1) / 2, (y0 + y1) / 2)
    folder = tmp_path / "official"
    folder.mkdir()
    gpd.GeoDataFrame({"farm_id": [1]}, geometry=[block], crs=4490).to_file(folder / "farmland.gpkg", engine="pyogrio")
    code, out, _ = run(capsys, "--zone", "S517077", "--layers", folder, "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["layers"]["farmland"]["source"].startswith("file:") and doc["layers"]["farmland"]["features"] == 1
    expect = geodesic_area_m2(shapely.intersection(park.geometry, block))
    assert doc["totals"]["farmland"]["conflict_m2"] == pytest.approx(expect, rel=1e-9)
    assert doc["rows"] and all(r["layer_source"].startswith("file:") for r in doc["rows"] if r["layer"] == "farmland")


def test_cli_scan_roles(capsys, monkeypatch, open_ws):
    """With accounts: name yourself; a viewer may not scan (it is recorded like a check); a planner's scan names them."""
    from tests.geo.test_cli_admin import _accounts

    ws = open_ws()
    _accounts(capsys, monkeypatch)
    code, _, err = run(capsys, "--zone", "S519056")
    assert code == 2 and "--user" in err
    code, _, err = run(capsys, "--zone", "S519056", "--user", "wang")
    assert code == 2 and "无权" in err
    code, _, _ = run(capsys, "--zone", "S519056", "--user", "li")
    assert code == 0
    ev = ws.events()
    ev = ev[ev["action"] == "scan"]
    assert list(ev["user"]) == ["li"] and list(ev["role"]) == ["planner"]
    assert json.loads(ev.iloc[0]["detail_json"])["via"] == "cli"


def _small_world(zone_rows, park_rows, eco_geoms):
    zones = pd.DataFrame([{"zone_id": z, "catalogue_code": z, "name": n, "short_name": n, "zone_class": "经开区",
                           "level": "省级", "host_prefecture_adcode": a} for z, n, a in zone_rows])
    parks = gpd.GeoDataFrame({"park_id": [p for p, _, _, _ in park_rows], "zone_id": [z for _, z, _, _ in park_rows],
                              "name": [p for p, _, _, _ in park_rows],
                              "host_prefecture_adcode": [a for _, _, a, _ in park_rows]},
                             geometry=[g for _, _, _, g in park_rows], crs=4490)
    eco = gpd.GeoDataFrame({"eco_id": [f"E{i}" for i in range(len(eco_geoms))]}, geometry=eco_geoms, crs=4490)
    return ControlIndex.from_frames(zones=zones, parks=parks, eco_redline=eco), parks, eco


def test_zones_are_in_pinyin_order_within_each_prefecture():
    # data order 中 (zhong), 安 (an), 北 (bei) in 泸州 (lu), and 阿坝 (a) after it: the tables must reorder both
    zone_rows = [("ZZ", "中园", "510500"), ("ZA", "安园", "510500"), ("ZB", "北园", "510500"), ("ZX", "小园", "513200")]
    park_rows = [(f"P{z}", z, a, sq(i * 3000, 0, i * 3000 + 1000, 1000)) for i, (z, _, a) in enumerate(zone_rows)]
    index, _, _ = _small_world(zone_rows, park_rows, [sq(0, 0, 20000, 500)])
    prefs = pd.DataFrame({"adcode": ["510500", "513200"], "name": ["泸州市", "阿坝州"], "short_name": ["泸州", "阿坝"]})
    result = scan_parks(index, prefectures=prefs, industries=INDUSTRIES, links=LINKS)
    eco = result.zones()[result.zones()["layer"] == "eco_redline"]
    assert list(eco["zone_name"]) == ["小园", "安园", "北园", "中园"]  # 阿坝 before 泸州; an < bei < zhong
    assert list(result.prefectures()[result.prefectures()["layer"] == "eco_redline"]["prefecture"]) == ["阿坝州", "泸州市"]


def test_overlapping_control_polygons_are_counted_once():
    park = sq(0, 0, 1000, 1000)
    # two red-line polygons overlapping each other over the park's west half: 600 + 600 - 200 = 1000 × 500 m²
    index, parks, eco = _small_world([("Z1", "甲园", "510100")], [("P1", "Z1", "510100", park)],
                                     [sq(-100, 0, 600, 1000), sq(400, 0, 1100, 500)])
    got = scan(index).parks.set_index("layer").loc["eco_redline", "conflict_m2"]
    dissolved = gpd.GeoDataFrame(geometry=[eco.union_all()], crs=4490)
    ref = sum(geodesic_area_m2(g) for g in gpd.overlay(parks, dissolved, how="intersection").geometry)
    summed = sum(geodesic_area_m2(g) for g in gpd.overlay(parks, eco, how="intersection").geometry)
    assert got == pytest.approx(ref, rel=1e-7) and summed > ref * 1.05  # the naive sum would double count


def test_a_prefecture_without_parks_is_not_reported_clean(synthetic):
    from geo.errors import ParkmapError

    index, _ = synthetic
    prefs = pd.concat([PREFS, pd.DataFrame({"adcode": ["513300"], "name": ["甘孜州"], "short_name": ["甘孜"]})])
    with pytest.raises(ParkmapError) as e:
        scan_parks(index, prefecture="甘孜", prefectures=prefs, industries=INDUSTRIES, links=LINKS)
    assert e.value.code == "empty" and "没有园区图斑" in str(e.value)


def test_illustrative_layers_are_said(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PARKMAP_HOME", str(tmp_path / "h"))
    monkeypatch.delenv("PARKMAP_DATABASE_URL", raising=False)
    result = scan_parks(default_index(), zone="S517077")
    assert set(result.illustrative_layers()) >= {"eco_redline", "farmland", "urban_boundary"}
    assert result.layer_record()["farmland"]["illustrative"] is True
    assert cli.main(["scan", "--zone", "S517077"]) == 0
    assert "示意 illustrative" in capsys.readouterr().out
    assert cli.main(["scan", "--zone", " "]) == 2 and "不能为空" in capsys.readouterr().err
