"""Layer specs → GeoJSON/folium (issue #3): GCJ-02 shift, escaping, payload, legend."""

from __future__ import annotations


import numpy as np
import pytest
import shapely

from geo.crs import gcj02_to_wgs84
from geo.dataset import load_layer
from layers import render
from layers.specs import SPEC_BY_ID, SPECS


@pytest.fixture(scope="module")
def parks():
    return render.parks_display(load_layer("parks"), load_layer("zones"))


def test_every_spec_layer_exists_and_popup_fields_exist(parks):
    for spec in SPECS:
        frame = parks if spec.id == "parks" else load_layer(spec.layer)
        for field in spec.popup:
            assert field.column in frame.columns, (spec.id, field.column)
        assert spec.title("zh") and spec.title("en")


def test_gcj02_shift_moves_every_vertex_and_inverts(parks):
    one = parks.head(3)
    plain = render.to_geojson(one, ["park_id"])
    shifted = render.to_geojson(one, ["park_id"], gcj02=True)
    for a, b in zip(plain["features"], shifted["features"]):
        pa = np.array(shapely.get_coordinates(shapely.geometry.shape(a["geometry"])))
        pb = np.array(shapely.get_coordinates(shapely.geometry.shape(b["geometry"])))
        d = pb - pa
        # in Sichuan GCJ-02 sits a few hundred metres off: every vertex moved, none by more than ~0.01°
        assert (np.abs(d).max(axis=1) > 1e-4).all() and np.abs(d).max() < 0.01
        back = np.column_stack(gcj02_to_wgs84(pb[:, 0], pb[:, 1]))
        assert np.abs(back - pa).max() < 2e-6


def test_gaode_basemap_is_gcj():
    assert render.is_gcj02("gaode") and not render.is_gcj02("osm") and not render.is_gcj02("none")


def test_strings_are_escaped(parks):
    p = parks.head(1).copy()
    p["name"] = '<img src=x onerror=alert(1)>'
    gj = render.to_geojson(p, ["name"])
    assert gj["features"][0]["properties"]["name"] == "&lt;img src=x onerror=alert(1)&gt;"
    m = render.new_map()
    render.add_geojson_layer(m, SPEC_BY_ID["parks"], render.to_geojson(p, ["name", "zone_short_name", "zone_class", "area_ha"]), "zh")
    html = m.get_root().render()
    assert "<img src=x" not in html


def test_coordinates_rounded_to_6_decimals(parks):
    gj = render.to_geojson(parks.head(5), ["park_id"])
    coords = shapely.get_coordinates(shapely.geometry.shape(gj["features"][0]["geometry"]))
    assert np.allclose(coords, np.round(coords, 6), atol=0, rtol=0)


def test_coverage_simplify_keeps_counties_gap_free():
    counties = load_layer("counties")
    simp = render.simplify_frame(counties, SPEC_BY_ID["counties"].simplify["province"], coverage=True)
    assert shapely.coverage_is_valid(simp.geometry.values)
    assert shapely.get_num_coordinates(simp.geometry.values).sum() < 0.2 * shapely.get_num_coordinates(counties.geometry.values).sum()


def test_legend_lists_active_layers():
    rows = render.legend_items(["zones", "parks", "eco_redline", "rivers", "regions"], "class", "zh",
                               regions=[("#8dd3c7", "成都平原经济区")])
    labels = [r[2] for r in rows]
    assert labels[:4] == ["经开区", "高新区", "综保区", "其他产业园区"]
    assert "生态保护红线（示意）" in labels and "长江干流及主要支流" in labels
    assert ("fill", "#8dd3c7", "成都平原经济区") in rows
    assert "飞地：管理市（州）→ 所在地" in labels
    html = render.legend_html(rows, "zh")
    assert html.count("legend-row") == len(rows)
    rows_ind = render.legend_items(["zones"], "class", "en", industry_active=True)
    assert [r[2] for r in rows_ind][:2] == ["Primary host (重点依托)", "Development direction (发展方向)"]


def test_default_view_payload_under_1mb():
    """The default province view's layers fit the 1 MB budget (size, not time)."""
    data = {}
    frames = {n: load_layer(n) for n in ("prefectures", "counties", "regions", "rivers", "parks", "zones")}
    frames["parks"] = render.parks_display(frames["parks"], frames["zones"])
    frames["zones"] = render.zones_points(frames["zones"])
    frames["regions"] = frames["regions"][frames["regions"]["kind"] == "economic_region"]
    m = render.new_map()
    for spec in SPECS:
        if not spec.default_on:
            continue
        g = render.simplify_frame(frames[spec.layer], spec.simplify["province"], coverage=spec.id in ("counties", "prefectures"))
        data[spec.id] = render.to_geojson(g, [p.column for p in spec.popup] + ["zone_id", "zone_class"])
        render.add_geojson_layer(m, spec, data[spec.id], "zh")
    html = m.get_root().render()
    assert len(html.encode()) < 1_000_000
    assert sum(render.geojson_size(d) for d in data.values()) < 900_000
