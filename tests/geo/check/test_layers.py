"""Official control layers (--layers DIR) and the embedded dataset (integration)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Point, box
from shapely.ops import polylabel

from tests.geo import geo_builders as gb
from geo.area import buffer_m, distance_m, geodesic_area_m2
from geo.check import (
    ControlIndex,
    Proposal,
    check_proposal,
    default_index,
    default_rules,
    find_layer_files,
    read_control_layer,
)
from geo.dataset import frame_hash, load_layer
from geo.errors import ParkmapError

OX, OY = gb.chengdu_gk_center()
SPATIAL = ("eco_redline", "farmland", "urban_boundary", "river_1km", "other_parks", "in_sichuan", "contiguity")


def sq(x0, y0, x1, y1):
    return gb.gk_to_lonlat(shapely.segmentize(box(OX + x0, OY + y0, OX + x1, OY + y1), 100.0))


def write(gdf: gpd.GeoDataFrame, path, **kw):
    gdf.to_file(path, engine="pyogrio", **kw)
    return path


def polys(*geoms, **cols):
    return gpd.GeoDataFrame(cols or {"id": list(range(len(geoms)))}, geometry=list(geoms), crs=4490)


# --------------------------------------------------------------------------
# Naming
# --------------------------------------------------------------------------
def test_layer_files_are_matched_by_stem(tmp_path):
    p = polys(sq(0, 0, 100, 100))
    write(p, tmp_path / "eco_redline.gpkg")
    write(p, tmp_path / "永久基本农田.shp", encoding="GBK")
    write(p, tmp_path / "CZKFBJ_2023.geojson")
    write(gpd.GeoDataFrame({"name": ["长江"]}, geometry=[LineString([(104, 30), (104.1, 30)])], crs=4490),
          tmp_path / "河流.geojson")
    write(p, tmp_path / "parcels.gpkg")
    (tmp_path / "readme.md").write_text("x", encoding="utf-8")
    found, ignored = find_layer_files(tmp_path)
    assert {k: v.name for k, v in found.items()} == {
        "eco_redline": "eco_redline.gpkg", "farmland": "永久基本农田.shp",
        "urban_boundary": "CZKFBJ_2023.geojson", "rivers": "河流.geojson"}
    assert ignored == ["parcels.gpkg"]


@pytest.mark.parametrize("names", [
    ["生态保护红线.shp", "城镇开发边界.gpkg", "rivers.gpkg"],
    ["STBHHX.gpkg", "yjjbnt.geojson", "urban_boundary.geojson"],
    ["farmland_v2.gpkg", "Urban_Boundary-2024.gpkg"],
])
def test_accepted_names(tmp_path, names):
    for n in names:
        (tmp_path / n).write_bytes(b"")
    assert len(find_layer_files(tmp_path)[0]) == len(names)


def test_layer_folder_errors(tmp_path):
    with pytest.raises(ParkmapError) as exc:
        find_layer_files(tmp_path / "missing")
    assert exc.value.code == "layers"
    with pytest.raises(ParkmapError, match="生态保护红线"):
        find_layer_files(tmp_path)  # empty: the message lists the accepted names
    (tmp_path / "eco_redline.gpkg").write_bytes(b"")
    (tmp_path / "生态保护红线.shp").write_bytes(b"")
    with pytest.raises(ParkmapError, match="Several files"):
        find_layer_files(tmp_path)


# --------------------------------------------------------------------------
# Reading: rivers are lines, lakes may be polygons
# --------------------------------------------------------------------------
def test_rivers_are_read_as_lines_with_lakes(tmp_path):
    lines = gpd.GeoDataFrame({"名称": ["长江", "洪湖"], "river_class": ["长江干流", "长江干流"]},
                             geometry=[LineString([(104, 30), (104.2, 30.1)]), Point(104.3, 30.3).buffer(0.01)], crs=4490)
    res = read_control_layer("rivers", write(lines, tmp_path / "rivers.gpkg"))
    assert list(res.gdf.geom_type) == ["LineString", "Polygon"]
    pts = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(104, 30)], crs=4490)
    with pytest.raises(ParkmapError) as exc:
        read_control_layer("rivers", write(pts, tmp_path / "pts.gpkg"))
    assert exc.value.code == "not-line"
    # A polygon layer read through the polygon path refuses lines.
    with pytest.raises(ParkmapError) as exc:
        read_control_layer("farmland", write(lines.iloc[:1], tmp_path / "farm_lines.gpkg"))
    assert exc.value.code == "not-polygon"
    far = gpd.GeoDataFrame({"n": [1]}, geometry=[LineString([(116, 40), (116.1, 40)])], crs=4490)
    with pytest.raises(ParkmapError) as exc:
        read_control_layer("rivers", write(far, tmp_path / "beijing.gpkg"))
    assert exc.value.code == "outside-area"


def test_gk_shapefile_layer_is_reprojected(tmp_path):
    # Official layers often come in GK metres with a .prj.
    g = box(OX + 2000, OY + 2000, OX + 3000, OY + 3000)
    farm = gpd.GeoDataFrame({"BSM": ["510000001"], "DLMC": ["水田"]}, geometry=[g], crs=4544)
    write(farm, tmp_path / "永久基本农田.shp", encoding="GBK")
    res = read_control_layer("farmland", tmp_path / "永久基本农田.shp")
    assert res.gdf.crs.to_epsg() == 4490 and res.gdf["DLMC"].iloc[0] == "水田"
    assert geodesic_area_m2(res.gdf.geometry.iloc[0]) == pytest.approx(1_000_000, rel=0.005)


# --------------------------------------------------------------------------
# Replacing layers of an index
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_index():
    zones = gb_zones()
    parks = gpd.GeoDataFrame({"park_id": ["Z1-P1"], "zone_id": ["Z1"]}, geometry=[sq(-1000, -500, 0, 500)], crs=4490)
    farm = gpd.GeoDataFrame({"farm_id": ["F1"], "illustrative": [1]}, geometry=[sq(5000, 5000, 6000, 6000)], crs=4490)
    return ControlIndex.from_frames(zones=zones, parks=parks, farmland=farm,
                                    sources={"farmland": "embedded:test", "parks": "embedded:test"})


def gb_zones():
    import pandas as pd

    return pd.DataFrame([{"zone_id": "Z1", "catalogue_code": "S999001", "name": "甲经开区", "zone_class": "经开区",
                          "level": "省级"}])


def test_with_layers_replaces_and_records_hash(tmp_path, small_index):
    rules = default_rules()
    prop = sq(0, -500, 1000, 500)
    before = check_proposal(Proposal(prop, "Z1"), small_index, rules)
    assert before.rule("farmland").status == "pass"
    assert before.rule("farmland").value_source.startswith("illustrative")
    official = gpd.GeoDataFrame({"BSM": ["X1"], "DLMC": ["水浇地"]}, geometry=[sq(500, -500, 1500, 500)], crs=4490)
    write(official, tmp_path / "yjjbnt.gpkg")
    index = small_index.with_layers(tmp_path)
    after = check_proposal(Proposal(prop, "Z1"), index, rules)
    row = after.rule("farmland")
    assert row.status == "fail" and row.value == pytest.approx(500_000, rel=0.005)
    assert row.details["hits"][0]["id"] == "X1" and row.details["hits"][0]["attributes"]["DLMC"] == "水浇地"
    assert row.value_source == "official file (yjjbnt.gpkg)"
    layer = after.layers["farmland"]
    assert layer["source"] == f"file:{tmp_path / 'yjjbnt.gpkg'}" and layer["illustrative"] is False
    assert layer["hash"] == frame_hash(index.layers["farmland"].frame) != before.layers["farmland"]["hash"]
    assert after.layers["parks"] == before.layers["parks"]  # untouched layers are shared
    assert small_index.layers["farmland"].source.source == "embedded:test"  # original index unchanged


# --------------------------------------------------------------------------
# Integration: the embedded dataset
# --------------------------------------------------------------------------
def ring_around(park_geom, metres=100.0):
    return buffer_m(park_geom, metres).difference(park_geom)


def far_from_rivers_park() -> tuple[str, object]:
    """The first park (by id) more than 1.5 km from every river line of the embedded layer."""
    rivers = shapely.union_all(load_layer("rivers").geometry.values)
    for _, p in load_layer("parks").sort_values("park_id").iterrows():
        if distance_m(p.geometry, rivers) > 1500:
            return p["zone_id"], p.geometry
    raise AssertionError("no park away from the rivers")


def test_embedded_adjacent_proposal_passes_spatial_rules():
    index, rules = default_index(), default_rules()
    zone, park = far_from_rivers_park()
    r = check_proposal(Proposal(ring_around(park), zone), index, rules)
    for rid in SPATIAL:
        assert r.rule(rid).status == "pass", (rid, r.rule(rid).message_en)
    assert r.rule("contiguity").details["touching"]
    assert all(r.rule(rid).value_source.startswith("illustrative") for rid in ("eco_redline", "farmland", "urban_boundary"))


def test_embedded_every_park_ring_clears_the_control_lines():
    # By construction of the dataset: urban boundaries contain every park grown by 1.2 km,
    # eco red line and farmland keep out of them, parks are ≥ 150 m apart.
    index, rules = default_index(), default_rules()
    parks = load_layer("parks")
    for _, p in parks.iterrows():
        r = check_proposal(Proposal(ring_around(p.geometry), p["zone_id"]), index, rules)
        for rid in ("eco_redline", "farmland", "urban_boundary", "other_parks", "in_sichuan", "contiguity"):
            assert r.rule(rid).status == "pass", (p["park_id"], rid, r.rule(rid).message_en)
        assert r.rule("river_1km").status in ("pass", "warn")  # not chemical: at most a warning


def test_embedded_proposal_on_eco_redline_fails():
    index, rules = default_index(), default_rules()
    eco = load_layer("eco_redline")
    big = eco.geometry.iloc[int(eco["area_m2"].to_numpy().argmax())]
    centre = polylabel(max(big.geoms, key=lambda g: g.area) if big.geom_type == "MultiPolygon" else big, tolerance=0.001)
    prop = buffer_m(centre, 300.0)
    r = check_proposal(Proposal(prop, "S517077"), index, rules)
    row = r.rule("eco_redline")
    assert row.status == "fail" and r.verdict == "fail"
    assert row.value == pytest.approx(geodesic_area_m2(prop), rel=0.005)
    assert row.details["share"] == pytest.approx(1.0, abs=0.005)
    assert row.details["hits"][0]["id"].startswith("ECO-") and "function_class" in row.details["hits"][0]["attributes"]


def test_embedded_layers_replaced_from_folder(tmp_path):
    parks = load_layer("parks")
    park = parks[parks["zone_id"] == "S517077"].geometry.iloc[0]
    prop = ring_around(park)
    write(gpd.GeoDataFrame({"name": ["正式红线"]}, geometry=[buffer_m(park, 500)], crs=4490), tmp_path / "生态保护红线.gpkg")
    index = ControlIndex.from_dataset(layers_dir=tmp_path)
    r = check_proposal(Proposal(prop, "S517077"), index, default_rules())
    assert r.rule("eco_redline").status == "fail"
    assert r.layers["eco_redline"]["source"].startswith("file:") and not r.layers["eco_redline"]["illustrative"]
    assert r.layers["farmland"]["source"] == "embedded:sichuan.gpkg"


def test_zone_lookup_by_catalogue_code_and_name():
    index = default_index()
    assert index.resolve_zone("s517077")["zone_id"] == "S517077"
    assert index.resolve_zone("四川射洪经济开发区")["zone_id"] == "S517077"
    with pytest.raises(ParkmapError) as exc:
        index.resolve_zone("S517O77")
    assert exc.value.code == "unknown-zone" and "S517077" in str(exc.value)
