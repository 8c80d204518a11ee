"""可扩区用地 against official layers in PostGIS (issue #13 with issue #11): the layer is read per search.

A farmland layer imported into the throwaway cluster covers the embedded
search's best candidate; the search on the database's layers must avoid it,
and every candidate's check (also on the database layer) passes every hard rule.
"""

from __future__ import annotations

import geopandas as gpd
import shapely

from geo.check import default_index
from geo.db.layer_query import PgPolygonLayer, close_layer_pools, with_database_layers
from geo.db.layers import import_layer
from geo.sites import HARD_RULES, SiteOptions, find_sites, parse_area
from tests.geo.db.test_layers import ADMIN, ws  # noqa: F401  (the workspace fixture: accounts in the database)

ZONE = "S517077"


def test_sites_on_a_farmland_layer_held_in_postgis(ws, app_url, tmp_path):  # noqa: F811
    opts = SiteOptions(area_m2=parse_area("30ha"), chemical=True)
    embedded = find_sites(default_index(), ZONE, opts)
    block = embedded.candidates[0].proposal
    farm = gpd.GeoDataFrame({"farm_id": [1], "name": ["新划永久基本农田"]}, geometry=[block], crs=4490)
    farm.to_file(tmp_path / "farmland.gpkg", engine="pyogrio")
    import_layer(app_url, "farmland", tmp_path / "farmland.gpkg", actor=ADMIN, events=ws)
    try:
        index = with_database_layers(default_index(), app_url)
        assert isinstance(index.layers["farmland"], PgPolygonLayer)
        s = find_sites(index, ZONE, opts)
        assert s.candidates and s.layers["farmland"]["version"] == 1
        assert shapely.intersection(s.free, block).area < 1e-12 * block.area
        for c in s.candidates:
            hard = c.hard_rules(True)
            assert set(hard) >= set(HARD_RULES) and all(v == "pass" for v in hard.values()), hard
            assert "official database layer farmland v1" in c.result.rule("farmland").value_source
    finally:
        close_layer_pools()
