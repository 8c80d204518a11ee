"""Invalid parcels are refused, naming the parcel and the crossing points; ``--repair`` repairs and records it (issue 9)."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from tests.geo import geo_builders as gb
from layers import cli
from geo.check import Proposal, check_proposal, default_index, default_rules
from geo.errors import ParkmapError
from geo.proposal import normalize_parcels, proposal_from_frame, read_proposal_file
from geo.validate import ring_crossings, validate_polygons
from geo.workflow import Workflow

CX, CY = gb.chengdu_gk_center(4544)
OFF = 35_000_000.0  # zone prefix of the eastings (CGCS2000 3° zone 35)


def _point_lines(points: list[tuple[float, float]], ring_no: int = 1, start: int = 1) -> list[str]:
    lines = [f"J{start + i},{ring_no},{n:.3f},{e + OFF:.3f}" for i, (e, n) in enumerate(points)]
    e, n = points[0]
    return lines + [f"J{start},{ring_no},{n:.3f},{e + OFF:.3f}"]


def out_of_order_txt(path, *, with_good: bool = False):
    """A 1 km square parcel (100 公顷 declared) whose 3rd and 4th points are swapped: a bow-tie."""
    pts = [(CX - 500, CY - 500), (CX + 500, CY - 500), (CX - 500, CY + 500), (CX + 500, CY + 500)]
    body = ["5,100.0000,7,乱序地块,面,,工业用地,,@", *_point_lines(pts)]
    if with_good:
        good = [(CX + 2000, CY - 250), (CX + 2500, CY - 250), (CX + 2500, CY + 250), (CX + 2000, CY + 250)]
        body += ["5,25.0000,8,好地块,面,,工业用地,,@", *_point_lines(good)]
    return gb.write_text(path, gb.TXT_HEADER.format(zone_line="带号=35") + "\n".join(body) + "\n")


def bow_lonlat(x0: float = 104.0, y0: float = 30.5, d: float = 0.01) -> Polygon:
    return Polygon([(x0, y0), (x0 + d, y0 + d), (x0 + d, y0), (x0, y0 + d)])


def frame(*geoms, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols or {"name": [f"f{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=4490)


# --------------------------------------------------------------------------
# 界址点 TXT: the point numbers of the crossing segments
# --------------------------------------------------------------------------
def test_txt_parcel_out_of_order_is_refused_naming_points(tmp_path):
    res = read_proposal_file(out_of_order_txt(tmp_path / "乱序.txt"))
    with pytest.raises(ParkmapError) as exc:
        proposal_from_frame(res.gdf)
    err = exc.value
    assert err.code == "invalid-geometry"
    assert "乱序地块（地块号 7）" in err.zh and "乱序地块 (no. 7)" in err.en
    assert "J2–J3 与 J4–J1 相交" in err.zh and "J2–J3 and J4–J1 cross" in err.en
    assert f"X={CY:.3f}" in err.zh  # where, in the file's own coordinates (X = northing)
    assert "检查界址点顺序" in err.hint and "--repair" in err.hint


def test_txt_parcel_repaired_on_request_reports_area_before_and_after(tmp_path):
    res = read_proposal_file(out_of_order_txt(tmp_path / "乱序.txt"))
    pp = proposal_from_frame(res.gdf, repair=True)
    assert pp.geometry.is_valid
    (rec,) = pp.repairs
    assert rec["label"] == "乱序地块" and rec["parcel_no"] == "7"
    assert rec["declared_area_m2"] == pytest.approx(1_000_000)
    assert rec["area_after_m2"] == pytest.approx(500_000, rel=0.005)  # make_valid keeps the two lobes: half
    assert rec["area_before_m2"] == pytest.approx(0.0, abs=10.0)  # the lobes of the ring as given cancel
    assert "J2–J3" in rec["problem_zh"]


def test_valid_parcel_of_the_same_file_can_be_picked(tmp_path):
    res = read_proposal_file(out_of_order_txt(tmp_path / "两块.txt", with_good=True))
    with pytest.raises(ParkmapError, match="乱序地块"):
        proposal_from_frame(res.gdf)
    good = proposal_from_frame(res.gdf, feature=2)
    assert good.parcels[0]["label"] == "好地块" and good.repairs == []
    assert good.area_m2 == pytest.approx(250_000, rel=0.005)


def test_valid_txt_has_no_problems(tmp_path):
    res = read_proposal_file(gb.write_text(tmp_path / "ok.txt", gb.jzd_text()))
    pp = proposal_from_frame(res.gdf)
    assert pp.repairs == [] and pp.area_m2 == pytest.approx(sum(gb.EXPECTED_AREAS), rel=1e-3)


# --------------------------------------------------------------------------
# Other formats: the coordinates of the self-intersection
# --------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".geojson", ".shp", ".gpkg"])
def test_self_intersecting_feature_is_refused_with_its_location(tmp_path, suffix):
    path = tmp_path / f"bow{suffix}"
    frame(box(104.1, 30.5, 104.11, 30.51), bow_lonlat(), name=["好", "蝴蝶"]).to_file(path, engine="pyogrio")
    res = read_proposal_file(path)
    assert not res.gdf.geometry.iloc[1].is_valid  # kept as read, not silently repaired
    with pytest.raises(ParkmapError) as exc:
        proposal_from_frame(res.gdf)
    err = exc.value
    assert err.code == "invalid-geometry" and "蝴蝶" in err.zh and "蝴蝶" in err.en
    assert "经度 104.005000°、纬度 30.505000°" in err.zh and "lon 104.005000°, lat 30.505000°" in err.en
    assert "第 1–2 点" in err.zh and "point 1 to 2" in err.en


def test_hole_crossing_its_shell_is_named():
    shell = [(0, 0), (10, 0), (10, 10), (0, 10)]
    hole = [(8, 4), (12, 4), (12, 6), (8, 6)]  # sticks out through the east side
    found = ring_crossings([shell, hole])
    assert {(c.ring_a, c.ring_b) for c in found} == {(0, 1)}
    assert sorted((round(c.x, 6), round(c.y, 6)) for c in found) == [(10.0, 4.0), (10.0, 6.0)]
    touching = ring_crossings([shell, [(10, 5), (8, 4), (8, 6)]])  # a hole touching its shell at one point is valid
    assert touching == []
    assert ring_crossings([[(0, 0), (1, 0), (1, 1), (0, 1)]]) == []
    spike = ring_crossings([[(0, 0), (2, 0), (1, 0), (1, 1)]])  # goes out and back along the same line
    assert spike and spike[0].ring_a == spike[0].ring_b == 0


def test_overlapping_parts_are_dissolved_not_cut():
    # make_valid would drop the overlap of two parts (even-odd rule); a union keeps all the land.
    a, b = box(104.0, 30.5, 104.02, 30.52), box(104.01, 30.51, 104.03, 30.53)
    pp = proposal_from_frame(frame(MultiPolygon([a, b]), name=["两块叠"]))
    assert pp.repairs == [] and pp.geometry.is_valid
    assert pp.geometry.area == pytest.approx(shapely.union(a, b).area)
    assert pp.warnings and "两块叠" in pp.warnings[0] and "merged" in pp.warnings[0]


def test_validate_polygons_keeps_invalid_only_when_asked():
    gdf = frame(bow_lonlat())
    kept, warnings = validate_polygons(gdf, repair=False)
    assert not kept.geometry.iloc[0].is_valid and warnings == []
    fixed, warnings = validate_polygons(gdf)  # control layers: repaired with a warning
    assert fixed.geometry.iloc[0].is_valid and "make_valid" in warnings[0]


# --------------------------------------------------------------------------
# The check: drawn geometries and parcels passed in by code
# --------------------------------------------------------------------------
def test_check_refuses_invalid_parcels_and_records_a_requested_repair():
    index, rules = default_index(), default_rules()
    bow = bow_lonlat(104.06, 30.55, 0.005)
    with pytest.raises(ParkmapError) as exc:
        check_proposal(Proposal(None, "S517077", parcels=[("东块", bow)]), index, rules)
    assert "东块" in exc.value.zh and exc.value.code == "invalid-geometry"
    r = check_proposal(Proposal(None, "S517077", parcels=[("东块", bow)], repair=True), index, rules)
    assert r.repair["parcels"][0]["label"] == "东块"
    assert r.repair["area_after_m2"] == pytest.approx(r.area_m2, rel=1e-6)
    doc = r.to_dict()
    assert doc["repair"]["area_before_m2"] == r.repair["area_before_m2"]
    assert "signed-area" in doc["repair"]["area_before_definition"]
    assert type(r).from_dict(doc).repair == r.repair
    with pytest.raises(ParkmapError, match="东块"):
        normalize_parcels([("东块", bow)], None)


# --------------------------------------------------------------------------
# CLI: exit 2 by default; --repair prints and records the areas
# --------------------------------------------------------------------------
def _cli(capsys, *args):
    code = cli.main([*map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_check_exits_2_naming_the_points(tmp_path, capsys):
    code, out, err = _cli(capsys, "check", out_of_order_txt(tmp_path / "乱序.txt"), "--zone", "S517077")
    assert code == 2 and out == ""
    assert "乱序地块" in err and "J2–J3 与 J4–J1 相交" in err and "--repair" in err and "Traceback" not in err


def test_cli_check_repair_reports_and_saves_the_repair(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PARKMAP_HOME", str(tmp_path / "home"))
    path = out_of_order_txt(tmp_path / "乱序.txt")
    code, out, err = _cli(capsys, "check", path, "--zone", "S517077", "--repair", "--json", "--save")
    assert code in (0, 1), err
    doc = json.loads(out)
    rep = doc["proposals"][0]["repair"]
    assert doc["options"]["repair"] is True
    assert rep["parcels"][0]["label"] == "乱序地块"
    assert rep["area_after_m2"] == pytest.approx(500_000, rel=0.005) and rep["area_before_m2"] < 10
    from geo.workspace import Workspace

    saved = Workspace(tmp_path / "home").get_check(doc["proposals"][0]["saved"]["check_id"])
    assert saved.to_result().repair == rep  # the audit record carries the repair
    code, out, err = _cli(capsys, "check", path, "--zone", "S517077", "--repair")
    assert "修复 Repaired" in out and "修复前面积" in out and "area before" in out


def test_cli_report_refuses_then_repairs(tmp_path, capsys):
    path = out_of_order_txt(tmp_path / "乱序.txt")
    code, out, err = _cli(capsys, "report", path, "--zone", "S517077", "--no-save", "--out", tmp_path / "r.pdf")
    assert code == 2 and "J2–J3" in err and not (tmp_path / "r.pdf").exists()
    code, out, err = _cli(capsys, "report", path, "--zone", "S517077", "--no-save", "--repair", "--out",
                          tmp_path / "r.pdf")
    assert code == 0, err
    assert (tmp_path / "r.pdf").read_bytes()[:4] == b"%PDF"


# --------------------------------------------------------------------------
# The app's state: the repair choice is a check input
# --------------------------------------------------------------------------
def test_workflow_repair_is_an_input_and_saved_with_the_options():
    w = Workflow()
    w.set_geometry(box(104.0, 30.6, 104.01, 30.61), source="upload:x.txt", repairs=[{"label": "甲", "area_before_m2": 0.0,
                                                                                   "area_after_m2": 1.0}])
    w.set_zone("S517077")
    key = w.inputs_key()
    w.checked(object())
    w.set_options(repair=True)
    assert w.inputs_key() != key and w.result is None  # a changed checkbox drops the result
    opts = w.options()
    assert opts["repair"] is True and opts["repairs"][0]["label"] == "甲"
