"""The live map (issue #8): cached layer groups, a base map that never changes with the language, the view."""

from __future__ import annotations

import math

import pytest

from layers import live
from layers.compose import MapView, load_frames


@pytest.fixture(scope="module")
def frames():
    data = load_frames()
    data["_token"] = "test-data"
    return data


@pytest.fixture(autouse=True)
def _fresh_cache():
    live._cache.clear()
    live.use_disk_cache(None)
    yield
    live._cache.clear()
    live.use_disk_cache(None)


def _view(**kw):
    base = dict(regions=("chengdu_plain_economic_region",))
    base.update(kw)
    return MapView(**base)


def test_one_group_per_layer_and_only_changed_layers_rerender(frames, monkeypatch):
    groups = live.layer_groups(_view(), frames, "province")
    n_active = len([a for a in _view().active])
    assert len(groups) >= 1 + n_active  # the UI script, one per layer (+ labels/links)
    before = live.cache_info()["entries"]
    rendered = []
    real = live._render_group
    monkeypatch.setattr(live, "_render_group", lambda key, build: rendered.append(key) or real(key, build))
    live.layer_groups(_view(), frames, "province")
    assert rendered == [] and live.cache_info()["entries"] == before  # same view: nothing rendered again
    live.layer_groups(_view(industry="adv-electronic-info", hosts={"G512045": "重点依托"}), frames, "province")
    assert 1 <= len(rendered) <= 3, rendered  # zones, parks and the prefecture choropleth restyle; the rest is reused
    assert not any("'counties'" in k or "'farmland'" in k for k in rendered)


def test_disk_cache_survives_a_restart(frames, tmp_path, monkeypatch):
    live.use_disk_cache(tmp_path)
    first = [g.js for g in live.layer_groups(_view(), frames, "province")[1:]]
    assert list(tmp_path.rglob("*.js"))
    live._cache.clear()  # a new process: memory empty, files on disk
    rendered = []
    real = live._render_group
    monkeypatch.setattr(live, "_render_group", lambda key, build: rendered.append(key) or real(key, build))
    again = [g.js for g in live.layer_groups(_view(), frames, "province")[1:]]
    assert again == first
    assert rendered and not any("'spec'" in k for k in rendered)  # data layers come from disk; only labels render
    for f in tmp_path.rglob("*.js"):  # a damaged file is rendered again, not trusted
        f.write_text("garbage", encoding="utf-8")
    live._cache.clear()
    assert [g.js for g in live.layer_groups(_view(), frames, "province")[1:]] == first


def test_base_map_is_language_neutral_and_ui_script_translates():
    from streamlit_folium import generate_leaflet_string

    s1 = generate_leaflet_string(live.base_map("none"))
    assert "绘制" not in s1 and "Draw the proposal" not in s1  # toolbar texts come with the layer groups
    assert live.ui_group("zh").js != live.ui_group("en").js
    assert "绘制多边形方案范围" in live.ui_group("zh").js and "Draw the proposal as a polygon" in live.ui_group("en").js
    assert '"secondaryAreaUnit": "mu"' in s1 and '"factor": 0.0015' in s1  # measure tool in 亩 (1 m² = 0.0015 亩)
    assert "EPSG:" in s1 and "4488+z" in s1  # readout with the GK zone (EPSG:4521–4524 for zones 33–36)


def test_view_for_bounds_and_levels():
    (lat, lon), zoom = live.view_for_bounds((103.9, 30.5, 104.2, 30.8))
    assert lat == pytest.approx(30.65) and lon == pytest.approx(104.05) and 10 <= zoom <= 12
    assert live.view_for_bounds((math.nan, 30, 104, 31)) == (live.PROVINCE_CENTER, live.PROVINCE_ZOOM)
    assert live.level_for_zoom(live.PROVINCE_ZOOM) == "province"
    w, s, e, n = live.bounds_for_view((lat, lon), zoom)
    assert w < 103.95 and e > 104.15


def test_drawn_geometry_shifts_gcj02_back():
    from shapely.geometry import box, mapping

    from geo.crs import transform_geometry_gcj02

    true = box(104.0, 30.6, 104.01, 30.61)
    drawn = transform_geometry_gcj02(true, to_gcj=True)
    g, polys = live.drawn_geometry([{"geometry": mapping(drawn)}, {"geometry": {"type": "Point", "coordinates": [1, 2]}}],
                                   gcj02=True)
    assert len(polys) == 1 and g.symmetric_difference(true).area < 1e-12
    g2, polys2 = live.drawn_geometry([{"geometry": mapping(true)}, {"geometry": mapping(box(104.02, 30.6, 104.03, 30.61))}],
                                     gcj02=False)
    assert g2.geom_type == "MultiPolygon" and len(polys2) == 2
    assert live.drawn_geometry([], gcj02=True) == (None, [])
