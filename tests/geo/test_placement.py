"""Official layers must lie in the counties their 行政区代码 / 行政区名称 name (issue 9).

Regression: a 永久基本农田 shapefile written in EPSG:4544 (CGCS2000 3° zone, CM 105°E)
but labelled 4545 (CM 108°E) lands ~290 km east; the farmland rule then passed
silently.  Now the layer is refused with a CRS hint.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from geo import cli
from geo.area import buffer_m, distance_m
from geo.check import ControlIndex, Proposal, check_proposal, default_index, default_rules, read_control_layer
from geo.dataset import load_layer
from geo.errors import ParkmapError
from geo.placement import check_official_placement, embedded_counties

ZONE = "S517077"  # 射洪经开区, 遂宁市射洪市 (CGCS2000 3° zone CM 105°E: EPSG:4544)


@pytest.fixture(scope="module")
def site():
    """(proposal, its county's adcode and name, official farmland overlapping the proposal, in lon/lat)."""
    park = load_layer("parks").query("zone_id == @ZONE").geometry.iloc[0]
    proposal = buffer_m(park, 300).difference(park)
    counties = load_layer("counties")
    county = counties[counties.geometry.covers(park.representative_point())].iloc[0]
    c = proposal.representative_point()  # on the ring, not in the park it surrounds
    fields = [box(c.x - 0.002, c.y - 0.002, c.x + 0.002, c.y + 0.002)]  # overlaps the proposal
    inner = county.geometry.buffer(-0.02)
    p = inner.representative_point()
    fields += [box(p.x + dx, p.y + dy, p.x + dx + 0.001, p.y + dy + 0.001)
               for dx in (-0.006, -0.003, 0.0, 0.003) for dy in (-0.006, -0.003, 0.0, 0.003)]
    fields = [f for f in fields if inner.covers(f.centroid) or f is fields[0]]
    farm = gpd.GeoDataFrame({"BSM": [f"YJ{i:03d}" for i in range(len(fields))],
                             "XZQDM": [f"{county['adcode']}001000" for _ in fields],  # a 12-digit village code
                             "XZQMC": [str(county["name"]) for _ in fields]},
                            geometry=fields, crs=4490)
    return proposal, str(county["adcode"]), str(county["name"]), farm


def write_shp(gdf: gpd.GeoDataFrame, folder, *, label: int | None = None, name: str = "永久基本农田.shp"):
    """Write ``gdf`` in EPSG:4544 metres; ``label`` declares another CRS in the .prj (the wrong label)."""
    folder.mkdir(parents=True, exist_ok=True)
    gk = gdf.to_crs(4544)
    if label is not None:
        gk = gk.set_crs(label, allow_override=True)
    gk.to_file(folder / name, engine="pyogrio", encoding="UTF-8")
    return folder / name


def test_correct_label_is_accepted_and_the_farmland_rule_fails(tmp_path, site):
    proposal, _, _, farm = site
    layers = tmp_path / "ok"
    write_shp(farm, layers)
    index = default_index().with_layers(layers)
    assert not [w for w in index.warnings if "行政区" in w]
    r = check_proposal(Proposal(proposal, ZONE), index, default_rules())
    assert r.rule("farmland").status == "fail" and r.rule("farmland").value_source.startswith("official file")


def test_wrong_crs_label_is_refused_not_passed(tmp_path, site):
    proposal, adcode, name, farm = site
    layers = tmp_path / "shifted"
    path = write_shp(farm, layers, label=4545)
    # What used to happen: the layer is read ~290 km east and the farmland rule passes.
    shifted = read_control_layer("farmland", path).gdf
    assert distance_m(shifted.geometry.iloc[0], farm.geometry.iloc[0]) == pytest.approx(290_000, rel=0.1)
    plain = ControlIndex.from_frames(zones=default_index().zones, farmland=shifted, sources={"farmland": f"file:{path}"})
    assert check_proposal(Proposal(proposal, ZONE), plain, default_rules(), only=["farmland"]).rule("farmland").status == "pass"
    # Now: refused, naming the file, the share found and the likely CRS mix-up.
    for load in (lambda: default_index().with_layers(layers), lambda: ControlIndex.from_dataset(layers_dir=layers)):
        with pytest.raises(ParkmapError) as exc:
            load()
        err = exc.value
        assert err.code == "layer-placement"
        assert "永久基本农田.shp" in err.zh and "永久基本农田.shp" in err.en
        assert "0.0%" in err.zh and "XZQDM" in err.en and name in err.zh
        assert "4544" in err.hint and "4545" in err.hint and "290 km" in err.hint


def test_cli_check_with_mislabelled_layer_exits_2(tmp_path, site, capsys):
    proposal, _, _, farm = site
    layers = tmp_path / "shifted"
    write_shp(farm, layers, label=4545)
    prop = tmp_path / "p.geojson"
    gpd.GeoDataFrame({"name": ["扩区"]}, geometry=[proposal], crs=4490).to_file(prop, engine="pyogrio")
    code = cli.main(["check", str(prop), "--zone", ZONE, "--layers", str(layers)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "永久基本农田.shp" in err and "坐标系标注可能有误" in err and "Traceback" not in err


def test_county_name_column_alone_is_checked(site):
    _, _, name, farm = site
    by_name = farm.drop(columns=["XZQDM"])
    assert check_official_placement(by_name, "farmland.gpkg") == []
    moved = by_name.set_geometry(by_name.geometry.translate(3.0, 0.0))
    with pytest.raises(ParkmapError) as exc:
        check_official_placement(moved, "farmland.gpkg")
    assert "XZQMC" in exc.value.en
    old_name = by_name.assign(XZQMC=f"四川省{name[:-1]}县")  # an old name (…县 before it became a 市/区) still matches
    assert check_official_placement(old_name, "farmland.gpkg") == []


def test_a_few_misplaced_features_warn_many_refuse(site):
    _, adcode, _, farm = site
    other = next(c for c in embedded_counties().names if c.startswith("c:") and c != f"c:{adcode}")[2:]
    n = len(farm)
    one_off = farm.assign(XZQDM=[other] + [adcode] * (n - 1))  # 1 of n wrong: under 5 % when n > 20
    big = gpd.GeoDataFrame(pd.concat([one_off] + [farm.iloc[1:]] * 2, ignore_index=True), crs=4490)
    assert len(big) > 20
    warnings = check_official_placement(big, "farmland.gpkg")
    assert len(warnings) == 1 and "1 features" in warnings[0] and "feature 1 names" in warnings[0]
    half = farm.assign(XZQDM=[other if i % 2 else adcode for i in range(n)])
    with pytest.raises(ParkmapError, match="farmland.gpkg"):
        check_official_placement(half, "farmland.gpkg")


def test_unknown_codes_are_not_counted_and_prefecture_codes_are_lenient(site):
    _, adcode, _, farm = site
    assert check_official_placement(farm.assign(XZQDM="999999"), "f.gpkg") == []  # cannot tell: nothing refused
    assert check_official_placement(farm.assign(XZQDM=f"{adcode[:4]}00"), "f.gpkg") == []  # its prefecture
    assert check_official_placement(farm.assign(XZQDM=float(adcode)), "f.gpkg") == []  # a numeric DBF column


def test_layer_without_codes_is_checked_by_extent(site, tmp_path):
    _, _, name, farm = site
    plain = farm.drop(columns=["XZQDM", "XZQMC"])
    assert check_official_placement(plain, "farmland.gpkg") == []
    chongqing = plain.set_geometry(plain.geometry.translate(109.2 - plain.total_bounds[0], 29.5 - plain.total_bounds[1]))
    (w,) = check_official_placement(chongqing, "farmland.gpkg")
    assert "四川" in w and "Sichuan" in w and "XZQDM" in w
    other = next(n for k, n in embedded_counties().names.items() if k.startswith("c:") and not n.endswith(name))
    (w,) = check_official_placement(plain, f"永久基本农田_{other[3:]}.gpkg")  # the file name claims another county
    assert other[3:] in w
    # Through an index: the warning names the file.
    layers = tmp_path / "plain"
    write_shp(chongqing, layers)
    index = default_index().with_layers(layers)
    assert any(w.startswith("永久基本农田.shp: ") and "Sichuan" in w for w in index.warnings)


def test_embedded_counties_cover_every_embedded_zone():
    counties = embedded_counties()
    parks = load_layer("parks")
    pts = shapely.point_on_surface(parks.geometry.values)
    province = counties.geometry("s")
    assert all(province.covers(p) for p in pts)
