"""``parkmap sites`` (geo/cli_sites.py): text, JSON, the GeoPackage, exit codes, bad input."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest

from geo.cli import main
from tests.geo.geo_builders import run_cli


def test_sites_json_and_gpkg(tmp_path, capsys):
    out = tmp_path / "sites.gpkg"
    code = main(["sites", "--zone", "S517077", "--area", "750亩", "--chemical", "--top", "3", "--json", "--out", str(out)])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1  # the zone's economic rules fail (bottom third): attention, as `check` exits
    assert doc["slope"] == "not checked" and doc["options"]["chemical"] is True
    assert 1 <= len(doc["candidates"]) <= 3
    for c in doc["candidates"]:
        assert c["proposal_ha"] == pytest.approx(50, rel=0.011)
        status = {r["rule_id"]: r["status"] for r in c["rules"]}
        assert all(status[k] == "pass" for k in ("eco_redline", "farmland", "urban_boundary", "other_parks", "river_1km"))
    cand = gpd.read_file(out, layer="candidates")
    assert list(cand["rank"]) == [c["rank"] for c in doc["candidates"]] and cand.crs.to_epsg() == 4490
    assert len(gpd.read_file(out, layer="patches")) == len(cand)


def test_sites_text_is_chinese_first(capsys):
    assert main(["sites", "--zone", "G511191", "--area", "20ha", "--within", "2公里", "--top", "1"]) in (0, 1)
    text = capsys.readouterr().out
    assert text.startswith("可扩区用地") and "园区外 2 公里" in text and "候选 1" in text and "坡度未核查" in text


@pytest.mark.parametrize("args, needle", [
    (["--zone", "S51707", "--area", "50ha"], "close matches: S517"),
    (["--zone", "S517077", "--area", "5000ha"], "在 3 公里内仅找到"),
    (["--zone", "S517077", "--area", "50ha", "--max-slope", "95"], "0–90"),
    (["--zone", "S517077", "--area", "fifty"], "无法识别的面积"),
])
def test_sites_bad_input_exit_2(args, needle, capsys):
    assert main(["sites", *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and " / " in err


def test_sites_console_script():
    r = run_cli("sites", "--zone", "S517077", "--area", "30ha", "--top", "1")
    assert r.returncode in (0, 1) and "候选 1 Candidate 1" in r.stdout, r.stderr


def test_sites_with_official_layers_folder(tmp_path, capsys):
    """--layers DIR: an official farmland file replaces the embedded one and the candidates avoid it."""
    import shapely
    from shapely import wkt

    from geo.check import default_index
    from geo.sites import SiteOptions, find_sites, parse_area

    block = find_sites(default_index(), "S517077", SiteOptions(area_m2=parse_area("30ha"))).candidates[0].proposal
    (tmp_path / "layers").mkdir()
    gpd.GeoDataFrame({"farm_id": [1]}, geometry=[block], crs=4490).to_file(tmp_path / "layers" / "永久基本农田.gpkg")
    code = main(["sites", "--zone", "S517077", "--area", "30ha", "--layers", str(tmp_path / "layers"), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code in (0, 1) and doc["candidates"]  # candidates found around the imported farmland
    assert doc["layers"]["farmland"]["source"].startswith("file:")
    for c in doc["candidates"]:
        assert shapely.intersection(wkt.loads(c["proposal_wkt"]), block).area < 1e-12 * block.area
        assert {r["rule_id"]: r["status"] for r in c["rules"]}["farmland"] == "pass"


def test_sites_max_slope_uses_the_coarse_dem_and_says_so(capsys):
    code = main(["sites", "--zone", "S519119", "--area", "10ha", "--max-slope", "3", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code in (0, 1) and doc["options"]["max_slope"] == 3 and doc["slope"].startswith("coarse")
    assert any("0.2° DEM" in n["zh"] and "not a parcel" in n["en"] for n in doc["notes"])
