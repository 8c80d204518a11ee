"""Proposal data exports (GeoPackage, GeoJSON, KML, 界址点 TXT) round-trip through geo.io readers."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import LineString

from geo.area import buffer_m, geodesic_area_m2
from geo.errors import ParkmapError
from geo.export_data import DATA_SUFFIX, export_proposal_data, kml_document, proposal_parts
from geo.io.read import read_vector

# the example proposal is defined once, with the export benchmark (docs/examples uses it too)
from benchmarks.export import example_result


@pytest.fixture(scope="module")
def result():
    return example_result()


def _write(tmp_path, data: bytes, fmt: str):
    path = tmp_path / f"out{DATA_SUFFIX[fmt]}"
    path.write_bytes(data)
    return path


def test_parts_have_part_attribute_and_geodesic_areas(result):
    parts = proposal_parts(result)
    assert parts["part"].iloc[0] == "proposal"
    assert {"eco_redline overlap", "urban_boundary outside", "own_parks overlap"} <= set(parts["part"])
    assert "river_link" not in " ".join(parts["part"])  # lines are not parcels
    assert parts.crs.to_epsg() == 4490
    for (_, row), g in zip(parts.iterrows(), parts.geometry):
        assert row["area_m2"] == pytest.approx(geodesic_area_m2(g), abs=0.01)
    assert parts["area_m2"].iloc[0] == pytest.approx(result.area_m2, abs=0.01)


def _assert_round_trip(parts, gdf):
    assert len(gdf) == len(parts)
    for want, got in zip(parts.geometry, gdf.geometry):
        assert geodesic_area_m2(got) == pytest.approx(geodesic_area_m2(want), rel=1e-4)


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "kml"])
def test_round_trip_areas(tmp_path, result, fmt):
    parts = proposal_parts(result)
    path = _write(tmp_path, export_proposal_data(result, fmt), fmt)
    res = read_vector(path, layer="proposal" if fmt == "gpkg" else None)
    _assert_round_trip(parts, res.gdf)
    assert list(res.gdf["part"]) == list(parts["part"])
    assert res.source_crs.epsg in (4326, 4490)


#: a point of Sichuan in each CGCS2000 3-degree zone (CM 99, 102, 105, 108 °E)
ZONE_POINTS = {33: (99.6, 31.5), 34: (102.3, 29.4), 35: (104.9, 30.6), 36: (107.4, 31.2)}


@pytest.mark.parametrize("zone", [33, 34, 35, 36])
@pytest.mark.parametrize("prefixed", [True, False])
def test_txt_round_trip_in_every_sichuan_zone(tmp_path, zone, prefixed):
    lon, lat = ZONE_POINTS[zone]
    sq = buffer_m(shapely.Point(lon, lat), 400)
    pieces = {"proposal": sq, "eco_redline": buffer_m(shapely.Point(lon + 0.003, lat), 120)}
    parts = proposal_parts(pieces)
    data = export_proposal_data(pieces, "txt", zone=zone, prefixed=prefixed)
    text = data.decode("utf-8")
    assert f"带号={zone}" in text and "方案范围" in text
    east = float(text.split("\r\n")[13].split(",")[3])  # first point line: J1,1,X(north),Y(east)
    assert (east > 1e7) == prefixed and (int(east // 1e6) == zone) == prefixed
    res = read_vector(_write(tmp_path, data, "txt"))
    _assert_round_trip(parts, res.gdf)
    expected_epsg = (4513 if prefixed else 4534) + zone - 25
    assert res.source_crs.epsg == expected_epsg


@pytest.mark.parametrize("zone", [34, 35])
def test_txt_in_the_neighbouring_zone(tmp_path, result, zone):
    """石棉 (102.4 °E) lies in zone 34; its neighbour 35 is a legitimate choice (跨带) too."""
    data = export_proposal_data(result, "txt", zone=zone, prefixed=False)
    _assert_round_trip(proposal_parts(result), read_vector(_write(tmp_path, data, "txt")).gdf)


def test_txt_zone_far_from_the_proposal_is_refused(result):
    with pytest.raises(ParkmapError, match="zone 36"):
        export_proposal_data(result, "txt", zone=36)


def test_kml_has_styles_and_chinese_names(result):
    doc = kml_document(proposal_parts(result)).decode("utf-8")
    assert "<Style id=\"s_proposal\">" in doc and "与生态保护红线重叠" in doc and "<ExtendedData>" in doc


def test_geometry_or_dict_input(tmp_path):
    sq = buffer_m(shapely.Point(104.06, 30.66), 200)
    data = export_proposal_data(sq, "geojson", name="方案")
    res = read_vector(_write(tmp_path, data, "geojson"))
    assert res.gdf["part"].tolist() == ["proposal"] and res.gdf["name"].tolist() == ["方案"]
    data = export_proposal_data({"proposal": sq, "farmland": sq.buffer(-0.0005)}, "gpkg")
    assert read_vector(_write(tmp_path, data, "gpkg"), layer="proposal").gdf["part"].tolist() == \
        ["proposal", "farmland overlap"]


@pytest.mark.parametrize("kwargs", [{"fmt": "shp"}, {"fmt": "txt", "zone": 99}])
def test_bad_requests_raise_bilingual_errors(result, kwargs):
    with pytest.raises(ParkmapError) as err:
        export_proposal_data(result, **kwargs)
    assert " / " in str(err.value) and "\n" not in str(err.value)


def test_nothing_to_export():
    with pytest.raises(ParkmapError):
        export_proposal_data({"farmland": LineString([(104, 30), (104.1, 30.1)])}, "kml")


def test_txt_zone_follows_the_proposal_by_default(tmp_path, result):
    from geo.crs import default_gk_zone

    chengdu = buffer_m(shapely.Point(104.04, 30.66), 300)
    assert default_gk_zone(chengdu) == 35
    assert default_gk_zone(shapely.geometry.mapping(chengdu)) == 35
    assert default_gk_zone(result) == 34  # a CheckResult: 石棉, 102.4 °E
    assert [default_gk_zone(buffer_m(shapely.Point(*p), 100)) for p in ZONE_POINTS.values()] == list(ZONE_POINTS)
    with pytest.raises(ParkmapError):
        default_gk_zone(shapely.Polygon())
    data = export_proposal_data(chengdu, "txt")  # no zone given: 35, not a fixed 34
    text = data.decode("utf-8")
    assert "带号=35" in text
    east = float(text.split("\r\n")[13].split(",")[3])
    assert int(east // 1e6) == 35
    res = read_vector(_write(tmp_path, data, "txt"))
    assert res.source_crs.epsg == 4523
    _assert_round_trip(proposal_parts(chengdu), res.gdf)
    assert "带号=34" in export_proposal_data(result, "txt").decode("utf-8")


def test_txt_default_zone_is_the_centroids_not_the_extents_centre():
    # A big block east of 103.5 °E (zone 35) with a thin strip reaching west to 102.9 °E: the
    # extent's centre (103.35 °E) lies in zone 34, the centroid in zone 35.
    block = shapely.box(103.6, 30.0, 103.8, 30.2)
    strip = shapely.box(102.9, 30.0, 103.6, 30.002)
    geom = shapely.union_all([block, strip])
    assert geom.centroid.x > 103.5 and (geom.bounds[0] + geom.bounds[2]) / 2 < 103.5
    assert "带号=35" in export_proposal_data(geom, "txt").decode("utf-8")
