"""nearest_zone: the zone whose parks are nearest an uploaded proposal (embedded dataset)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.area import buffer_m
from geo.crs import EPSG_CGCS2000, local_gk_crs, project_geometry
from geo.dataset import load_layer
from geo.errors import ParkmapError
from geo.zones import nearest_zone


@pytest.fixture(scope="module")
def parks():
    return load_layer("parks")


def brute_force(parks, geom):
    """Every park projected into the proposal's GK zone, measured one by one (the reference)."""
    crs = local_gk_crs(geom)
    g = project_geometry(geom, EPSG_CGCS2000, crs)
    d = np.array([g.distance(project_geometry(p, EPSG_CGCS2000, crs)) for p in parks.geometry])
    i = int(np.argmin(d))
    return str(parks["zone_id"].iloc[i]), float(d[i])


def test_matches_brute_force_across_sichuan(parks):
    rng = np.random.default_rng(8)
    lons, lats = rng.uniform(98.0, 108.5, 25), rng.uniform(26.5, 34.0, 25)
    for lon, lat in zip(lons, lats):
        geom = buffer_m(shapely.Point(lon, lat), 500)
        got = nearest_zone(parks, geom)
        want = brute_force(parks, geom)
        assert got[0] == want[0], (lon, lat, got, want)
        assert got[1] == pytest.approx(want[1], rel=1e-9, abs=1e-6)


def test_overlapping_or_touching_is_distance_zero(parks):
    park = parks.sort_values("park_id").iloc[0]
    assert nearest_zone(parks, buffer_m(park.geometry.representative_point(), 50)) == (park["zone_id"], 0.0)
    x0, y0, x1, y1 = park.geometry.bounds
    east = shapely.box(x1, y0, x1 + 0.01, y1)  # touches the park at its east-most point, no overlap
    assert park.geometry.touches(east)
    zone, dist = nearest_zone(parks, east)
    touched = set(parks.loc[parks.intersects(east), "zone_id"])
    assert dist == 0.0 and zone in touched and park["zone_id"] in touched


def test_a_proposal_2km_from_its_park_reports_2km(parks):
    for _, park in parks.sort_values("park_id").iterrows():
        ring = buffer_m(park.geometry, 2500).difference(buffer_m(park.geometry, 2000))
        want = brute_force(parks, ring)
        if want[0] != park["zone_id"]:
            continue  # another zone's park is nearer: try the next
        zone, dist = nearest_zone(parks, ring)
        assert zone == park["zone_id"] and dist == pytest.approx(2000, rel=0.01)
        assert dist == pytest.approx(want[1], rel=1e-9)
        break
    else:
        pytest.fail("no park of the dataset stands alone within 2 km")


def test_bad_input(parks):
    with pytest.raises(ParkmapError):
        nearest_zone(parks.iloc[:0], shapely.Point(104, 30).buffer(0.01))
    with pytest.raises(ParkmapError):
        nearest_zone(parks.drop(columns="zone_id"), shapely.Point(104, 30).buffer(0.01))
    with pytest.raises(ParkmapError) as err:
        nearest_zone(parks, shapely.Polygon())
    assert " / " in str(err.value)
    assert nearest_zone(parks, shapely.geometry.mapping(shapely.Point(104.06, 30.6).buffer(0.001)))[0]
