"""存量体检 against official layers in PostGIS (issue #13 with issue #11): the layer is read per park.

A farmland layer imported into the throwaway cluster covers part of a park;
the scan on the database's layers (:func:`geo.db.layer_query.with_database_layers`)
finds exactly that overlap (= ``geopandas.overlay``) and records ``farmland v1``.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo.area import geodesic_area_m2
from geo.check import default_index
from geo.dataset import load_layer
from geo.db.layer_query import PgPolygonLayer, close_layer_pools, with_database_layers
from geo.db.layers import import_layer
from geo.scan import scan_parks
from tests.geo.db.test_layers import ADMIN, ws  # noqa: F401  (the workspace fixture: accounts in the database)

ZONE = "S517077"


def test_scan_on_a_farmland_layer_held_in_postgis(ws, app_url, tmp_path):  # noqa: F811
    park = load_layer("parks").query("zone_id == @ZONE").iloc[0]
    x0, y0, x1, y1 = park.geometry.bounds
    block = shapely.box(x0 - 0.01, y0 - 0.01, (x0 + x1) / 2, (y0 + y1) / 2)  # the park's south-west quarter and beyond
    farm = gpd.GeoDataFrame({"farm_id": [1], "name": ["新划永久基本农田"]}, geometry=[block], crs=4490)
    farm.to_file(tmp_path / "farmland.gpkg", engine="pyogrio")
    import_layer(app_url, "farmland", tmp_path / "farmland.gpkg", actor=ADMIN, events=ws)
    try:
        index = with_database_layers(default_index(), app_url)
        assert isinstance(index.layers["farmland"], PgPolygonLayer)
        result = scan_parks(index, zone=ZONE)
        row = result.parks[(result.parks["layer"] == "farmland") & (result.parks["park_id"] == park["park_id"])].iloc[0]
        ref = gpd.overlay(gpd.GeoDataFrame(geometry=[park.geometry], crs=4490), farm, how="intersection")
        assert row["conflict_m2"] == pytest.approx(sum(geodesic_area_m2(g) for g in ref.geometry), rel=1e-9)
        assert row["conflict_m2"] > 0 and row["layer_version"] == 1
        assert result.layer_record()["farmland"]["version"] == 1
        assert str(result.layer_record()["farmland"]["hash"]).endswith("@v1")
    finally:
        close_layer_pools()
