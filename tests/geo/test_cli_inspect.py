from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import LineString, box

from tests.geo import geo_builders as gb
from geo import cli
from geo.io.write import write_gpkg


def run_json(capsys, *args):
    code = cli.main(["inspect", *map(str, args), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def run_bad(capsys, *args):
    code = cli.main(["inspect", *map(str, args)])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert " / " in lines[0] and "Traceback" not in err
    zh, en = lines[0].split(" / ", 1)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)  # Chinese first
    assert en[:1].isascii()
    return lines[0]


def _assert_parcel_features(doc):
    f1, f2 = doc["features"]
    assert doc["feature_count"] == 2
    assert (f1["geometry_type"], f1["parts"], f1["holes"]) == ("Polygon", 1, 1)
    assert (f2["parts"], f2["holes"]) == (1, 0)
    assert f1["area_m2"] == pytest.approx(gb.EXPECTED_AREAS[0], rel=1e-3)
    assert f2["area_m2"] == pytest.approx(gb.EXPECTED_AREAS[1], rel=1e-3)
    assert f1["area_mu"] == pytest.approx(f1["area_m2"] * 15 / 10000, rel=1e-6)
    assert doc["total_area_m2"] == pytest.approx(sum(gb.EXPECTED_AREAS), rel=1e-3)
    lon, lat = f1["centroid"]
    assert lon == pytest.approx(gb.LON0, abs=1e-4) and lat == pytest.approx(gb.LAT0, abs=1e-4)
    x0, y0, x1, y1 = f1["bounds"]
    assert x0 < lon < x1 and y0 < lat < y1


# --- success paths ----------------------------------------------------------------------
def test_inspect_gpkg(tmp_path, capsys, parcel_gdf):
    path = write_gpkg(parcel_gdf, tmp_path / "p.gpkg")
    doc = run_json(capsys, path)
    assert doc["schema"] == "parkmap.inspect/1"
    assert doc["driver"] == "GPKG" and doc["encoding"] is None
    assert doc["crs"]["epsg"] == 4490 and doc["crs"]["method"] == "declared"
    assert doc["features"][0]["attributes"]["地块名称"] == "高新示范地块"
    assert doc["features"][0]["attributes"]["面积亩"] == 1.5
    assert doc["warnings"] == []
    _assert_parcel_features(doc)


def test_inspect_geojson_gk_without_crs(tmp_path, capsys, parcel_gdf):
    data = json.loads(parcel_gdf.to_crs(4523).to_json(ensure_ascii=False))
    data.pop("crs", None)
    path = gb.write_text(tmp_path / "p.geojson", json.dumps(data, ensure_ascii=False))
    doc = run_json(capsys, path)
    assert doc["crs"]["epsg"] == 4523 and doc["crs"]["method"] == "zone-prefix-in-easting"
    assert doc["encoding"] == "utf-8"
    _assert_parcel_features(doc)


def test_inspect_zipped_gbk_shapefile(tmp_path, capsys, parcel_gdf):
    src = tmp_path / "src"
    src.mkdir()
    shp = gb.write_shapefile(parcel_gdf.to_crs(4523), src / "范围.shp", encoding="GBK", cpg=False, prj=False)
    z = gb.zip_files(tmp_path / "u.zip", gb.shapefile_parts(shp), "a/b/")
    doc = run_json(capsys, z)
    assert doc["encoding"] == "gbk"
    assert doc["crs"]["epsg"] == 4523
    assert doc["driver"] == "ESRI Shapefile" and doc["layers"] == ["a/b/范围.shp"]
    assert doc["features"][1]["attributes"]["地块名称"] == "天府二号"
    _assert_parcel_features(doc)


@pytest.mark.parametrize(("prefixed", "encoding", "epsg", "method"),
                         [(True, "utf-8", 4523, "zone-prefix-in-easting"), (False, "gbk", 4544, "txt-header-zone")])
def test_inspect_txt(tmp_path, capsys, prefixed, encoding, epsg, method):
    path = gb.write_text(tmp_path / "jzd.txt", gb.jzd_text(prefixed=prefixed), encoding=encoding, crlf=True)
    doc = run_json(capsys, path)
    assert (doc["crs"]["epsg"], doc["crs"]["method"]) == (epsg, method)
    assert doc["encoding"] == encoding and doc["driver"] == "JZD-TXT"
    assert doc["features"][0]["attributes"]["地块名称"] == "高新示范地块"
    assert doc["features"][0]["attributes"]["地块面积"] == 96.0
    _assert_parcel_features(doc)


def test_inspect_kml(tmp_path, capsys):
    doc = run_json(capsys, gb.write_text(tmp_path / "p.kml", gb.kml_text()))
    assert doc["crs"]["method"] == "kml-spec"
    f1, f2 = doc["features"]
    assert (f1["parts"], f1["holes"]) == (1, 1)
    assert (f2["geometry_type"], f2["parts"], f2["holes"]) == ("MultiPolygon", 2, 0)
    assert f1["attributes"]["用途"] == "工业用地"
    assert f1["area_m2"] == pytest.approx(1_026_739.5, rel=1e-4)


def test_inspect_with_user_crs_and_encoding(tmp_path, capsys, parcel_gdf):
    shp = gb.write_shapefile(parcel_gdf.to_crs(4544), tmp_path / "p.shp", encoding="GBK", prj=False)
    run_bad(capsys, shp)  # ambiguous without a zone
    doc = run_json(capsys, shp, "--crs", "EPSG:4544", "--encoding", "gb18030")
    assert (doc["crs"]["epsg"], doc["crs"]["method"]) == (4544, "user")
    assert doc["encoding"] == "gb18030"
    _assert_parcel_features(doc)


def test_human_output(tmp_path, capsys, parcel_gdf):
    path = write_gpkg(parcel_gdf, tmp_path / "p.gpkg")
    assert cli.main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "面积 Area" in out and "洞 holes: 1" in out and "高新示范地块" in out
    assert "EPSG:4490" in out and "亩）" in out and "mu)" in out and "平方米" in out


def test_bowtie_repaired_exit_0_with_warning(tmp_path, capsys):
    path = tmp_path / "bow.gpkg"
    gb.bowtie_gdf().to_file(path, engine="pyogrio")
    doc = run_json(capsys, path)
    (f,) = doc["features"]
    assert (f["geometry_type"], f["parts"]) == ("MultiPolygon", 2)
    assert any("make_valid" in w for w in doc["warnings"])


# --- bad inputs: exit 2, one line, no traceback --------------------------------------------
def test_bad_empty_file(tmp_path, capsys):
    line = run_bad(capsys, gb.write_text(tmp_path / "e.geojson", gb.feature_collection([])))
    assert "没有要素" in line and "no features" in line


def test_bad_zero_byte_file(tmp_path, capsys):
    f = tmp_path / "zero.gpkg"
    f.write_bytes(b"")
    assert "zero.gpkg" in run_bad(capsys, f)


def test_bad_linestring(tmp_path, capsys):
    path = tmp_path / "l.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[LineString([(104, 30), (104.1, 30.1)])], crs=4490).to_file(path, engine="pyogrio")
    assert "LineString" in run_bad(capsys, path)


def test_bad_outside_sichuan(tmp_path, capsys):
    fc = gb.feature_collection([gb.feature(box(116.3, 39.9, 116.4, 40.0).__geo_interface__, 名称="北京")])
    line = run_bad(capsys, gb.write_text(tmp_path / "bj.geojson", fc))
    assert "四川" in line and "Sichuan" in line and "EPSG:4326" in line


def test_bad_gk_without_zone(tmp_path, capsys):
    text = gb.jzd_text(prefixed=False, zone_line="带号=")
    line = run_bad(capsys, gb.write_text(tmp_path / "jzd.txt", text))
    assert "带号" in line and "--crs" in line


def test_bad_zip_slip(tmp_path, capsys):
    z = tmp_path / "slip.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../../evil.shp", b"x")
    line = run_bad(capsys, z)
    assert "安全" in line and "safety" in line and "../../evil.shp" in line


def test_bad_oversized(tmp_path, capsys, parcel_gdf):
    path = write_gpkg(parcel_gdf, tmp_path / "p.gpkg")
    line = run_bad(capsys, path, "--max-size-mb", "0.001")
    assert "过大" in line and "too large" in line


def test_bad_undecodable_encoding(tmp_path, capsys):
    gdf = gpd.GeoDataFrame({"name": ["ÿÿ\x80ÿ"]}, geometry=[box(104, 30, 104.01, 30.01)], crs=4490)
    shp = gb.write_shapefile(gdf, tmp_path / "bad.shp", encoding="latin1")
    assert "--encoding" in run_bad(capsys, shp)


def test_bad_malformed_txt(tmp_path, capsys):
    text = gb.jzd_text().replace("J2,1,", "J2,1,abc-")
    line = run_bad(capsys, gb.write_text(tmp_path / "jzd.txt", text))
    assert "第 15 行" in line and "line 15" in line


def test_bad_arguments(tmp_path, capsys):
    run_bad(capsys, tmp_path / "missing.gpkg")
    run_bad(capsys, tmp_path / "x.gpkg", "--crs", "nonsense")
    assert cli.main(["inspect"]) == 2
    assert len(capsys.readouterr().err.strip().split("\n")) == 1
    assert cli.main([]) == 2
    capsys.readouterr()


def test_unexpected_exception_is_one_line(tmp_path, capsys, monkeypatch, parcel_gdf):
    import geo.io.read as read_mod

    def explode(*a, **k):
        raise RuntimeError("GDAL exploded\nwith detail")

    monkeypatch.setattr(read_mod, "read_vector", explode)
    line = run_bad(capsys, tmp_path / "p.gpkg")
    assert "GDAL exploded" in line and "RuntimeError" in line


# --- as a real process -------------------------------------------------------------------------
def test_python_m_geo_success(tmp_path):
    path = gb.write_text(tmp_path / "jzd.txt", gb.jzd_text(prefixed=True))
    proc = gb.run_cli("inspect", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["crs"]["epsg"] == 4523 and "高新示范地块" in proc.stdout


@pytest.mark.parametrize("kind", ["linestring", "zipslip", "garbage"])
def test_python_m_geo_bad_input(tmp_path, kind):
    if kind == "linestring":
        path = tmp_path / "l.geojson"
        gb.write_text(path, gb.feature_collection([gb.feature(LineString([(104, 30), (104.1, 30.1)]).__geo_interface__)]))
    elif kind == "zipslip":
        path = tmp_path / "s.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("/abs/evil.shp", b"x")
    else:
        path = tmp_path / "g.shp"
        path.write_bytes(b"\x00garbage" * 50)
        path.with_suffix(".shx").write_bytes(b"\x00" * 10)
        path.with_suffix(".dbf").write_bytes(b"\x00" * 10)
    proc = gb.run_cli("inspect", str(path))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().split("\n")
    assert len(lines) == 1 and " / " in lines[0], proc.stderr
