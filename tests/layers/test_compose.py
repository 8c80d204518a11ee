"""layers.compose: a view state → planned layers, legend, labels → a folium map (no Streamlit)."""

from __future__ import annotations

import json

import folium
import pytest
from shapely.geometry import LineString, box

from geo.crs import gcj02_to_wgs84
from geo.errors import ParkmapError
from layers.compose import (
    DEFAULT_ACTIVE,
    MAP_LAYERS,
    OVERLAP_STYLES,
    PROPOSAL_STYLE,
    MapView,
    compose_map,
    load_frames,
    plan_labels,
    plan_layers,
    plan_legend,
    plan_links,
    shows_illustrative,
    view_bounds,
    view_level,
    zone_bounds,
)
from layers.specs import CLASS_COLORS, HIGHLIGHT, LEVEL_COLORS, ROLE_COLORS
from layers.view_args import parse_bbox, parse_layers

PROPOSAL = box(104.05, 30.60, 104.09, 30.63)
OVERLAPS = {"farmland": box(104.05, 30.60, 104.06, 30.61), "eco_redline": box(104.07, 30.62, 104.08, 30.63),
            "river_link": LineString([(104.09, 30.63), (104.12, 30.66)]), "unknown": box(0, 0, 1, 1)}


@pytest.fixture(scope="module")
def frames():
    return load_frames()


def _layer(layers, key):
    return next(x for x in layers if x.key == key)


def test_default_view_is_the_province_with_the_app_layers(frames):
    v = MapView()
    assert v.active == DEFAULT_ACTIVE and not v.gcj02
    b = view_bounds(v, frames)
    assert b == pytest.approx(tuple(frames["province"].total_bounds))
    assert view_level(v, b) == "province"
    keys = [x.key for x in plan_layers(v, frames)]
    assert keys == [k for k in MAP_LAYERS if k in DEFAULT_ACTIVE and k != "regions"]  # no region picked


def test_zone_view_bounds_level_and_highlight(frames):
    v = MapView(highlighted="S519119")
    b = view_bounds(v, frames)
    assert b == zone_bounds(frames, "S519119") and view_level(v, b) == "zone"
    layers = plan_layers(v, frames)
    hl = _layer(layers, "highlight")
    assert set(hl.frame["zone_id"]) == {"S519119"} and hl.style({})["color"] == HIGHLIGHT
    parks = _layer(layers, "parks")
    assert parks.style({"zone_id": "S519119", "zone_class": "经开区"})["color"] == HIGHLIGHT
    assert parks.style({"zone_id": "X", "zone_class": "高新区"})["fillColor"] == CLASS_COLORS["高新区"]


def test_colour_by_level_and_industry_roles(frames):
    lv = _layer(plan_layers(MapView(color_by="level"), frames), "zones")
    assert lv.style({"level": "国家级"})["fillColor"] == LEVEL_COLORS["国家级"]
    ind = MapView(industry="adv-electronic-info", hosts={"G511040": "重点依托"})
    zl = _layer(plan_layers(ind, frames), "zones")
    assert zl.style({"zone_id": "G511040"})["fillColor"] == ROLE_COLORS["重点依托"]
    pref = _layer(plan_layers(ind, frames), "prefectures")
    assert pref.style({"adcode": "510100"})["fillOpacity"] > 0.15  # choropleth of host counts
    assert plan_legend(ind, frames)[0][1] == ROLE_COLORS["重点依托"]


def test_regions_have_their_own_colours_and_legend_rows(frames):
    regs = ("chengdu_plain_economic_region", "southern_sichuan_economic_region")
    v = MapView(regions=regs)
    layer = _layer(plan_layers(v, frames), "regions")
    assert set(layer.frame["region_id"]) == set(regs)
    colours = {layer.style({"region_id": r})["fillColor"] for r in regs}
    assert len(colours) == 2
    legend_fills = {c for k, c, _ in plan_legend(v, frames) if k == "fill"}
    assert colours <= legend_fills


def test_proposal_and_overlaps_are_drawn_on_top_with_legend_rows(frames):
    v = MapView(proposal=PROPOSAL, overlaps=OVERLAPS, active=("counties", "farmland"))
    keys = [x.key for x in plan_layers(v, frames)]
    assert keys[-4:] == ["proposal", "overlap:farmland", "overlap:eco_redline", "overlap:river_link"]
    assert "overlap:unknown" not in keys
    assert _layer(plan_layers(v, frames), "overlap:river_link").kind == "line"
    rows = plan_legend(v, frames)
    labels = [r[2] for r in rows]
    assert "方案范围" in labels and "与永久基本农田重叠" in labels and "至最近河流" in labels
    assert ("line", PROPOSAL_STYLE["color"], "方案范围") in rows
    assert ("fill", OVERLAP_STYLES["eco_redline"]["style"]["fillColor"], "与生态保护红线重叠") in rows
    assert view_bounds(MapView(proposal=PROPOSAL), frames)[0] < 104.05  # zooms to the proposal, padded
    en = plan_legend(MapView(proposal=PROPOSAL, overlaps=OVERLAPS, lang="en"), frames)
    assert "Proposal" in [r[2] for r in en]


def test_labels_and_links(frames):
    prov = plan_labels(MapView(), frames)
    assert len(prov) == len(frames["prefectures"]) and prov[0].css_class == "pm-pref-label"
    zone = plan_labels(MapView(highlighted="S519119"), frames)
    assert zone and all(lb.css_class == "pm-county-label" for lb in zone)
    assert plan_links(MapView(), frames) and not plan_links(MapView(active=("counties",)), frames)


def test_clip_keeps_only_features_near_the_view(frames):
    v = MapView(highlighted="S519119", active=("counties", "eco_redline", "parks"))
    full = {x.key: len(x.frame) for x in plan_layers(v, frames)}
    clipped = {x.key: len(x.frame) for x in plan_layers(v, frames, clip=True)}
    assert clipped["counties"] < full["counties"] and clipped["eco_redline"] < full["eco_redline"]
    assert 0 < clipped["parks"] < full["parks"]


def test_compose_map_renders_styles_labels_legend_notice(frames):
    v = MapView(regions=("chengdu_plain_economic_region",), highlighted="G511040", proposal=PROPOSAL,
                overlaps=OVERLAPS)
    m = compose_map(v, frames)
    assert isinstance(m, folium.Map)
    html = m.get_root().render()
    for needle in (CLASS_COLORS["经开区"], HIGHLIGHT, PROPOSAL_STYLE["fillColor"],
                   OVERLAP_STYLES["farmland"]["style"]["fillColor"], "parkmap-legend", "parkmap-notice",
                   "pm-county-label", "L.control.layers"):
        assert needle in html, needle
    bare = compose_map(v, frames, layer_control=False, overlays=False).get_root().render()
    assert "parkmap-legend" not in bare and "parkmap-notice" not in bare and "L.control.layers" not in bare


def test_notice_follows_illustrative_layers():
    assert shows_illustrative(MapView())  # rivers/parks are illustrative
    assert not shows_illustrative(MapView(active=("prefectures", "counties")))
    assert shows_illustrative(MapView(active=("counties",), overlaps={"farmland": PROPOSAL}))


def test_gaode_shifts_the_proposal_to_gcj02(frames):
    v = MapView(basemap="gaode", proposal=PROPOSAL, active=("counties",))
    html = compose_map(v, frames).get_root().render()
    start = html.index('"features": [{"geometry": {"coordinates": [[[104.0')  # the proposal ring
    ring = json.loads(html[html.index("[[[", start):html.index("]]]", start) + 3])[0]
    lon, lat = gcj02_to_wgs84(ring[0][0], ring[0][1])
    assert (lon, lat) == pytest.approx(PROPOSAL.exterior.coords[0], abs=1e-5)
    assert abs(ring[0][0] - PROPOSAL.exterior.coords[0][0]) > 1e-4


def test_empty_clipped_layers_are_skipped(frames):
    v = MapView(bounds=(100.0, 33.9, 100.01, 33.91), active=("farmland", "counties"))
    m = compose_map(v, frames, clip=True)  # no farmland there: no GeoJson, no tooltip error
    assert "farm_id" not in m.get_root().render()


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "104,31,103,32", "200,30,201,31"])
def test_parse_bbox_rejects(text):
    with pytest.raises(ParkmapError):
        parse_bbox(text)


def test_parse_bbox_and_layers():
    assert parse_bbox("103.5, 30.3，104.5,31.0") == (103.5, 30.3, 104.5, 31.0)
    assert parse_layers("zones,counties") == ("counties", "zones")  # drawing order
    with pytest.raises(ParkmapError):
        parse_layers("zones,roads")


def test_no_streamlit_import():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, layers.compose, layers.export, layers.report; "
            "sys.exit(int(any(m.split('.')[0] == 'streamlit' for m in sys.modules)))")
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0
