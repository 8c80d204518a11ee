"""The control-layer registry (geo.controls): a new layer is one entry plus one rule function.

The test layer 地质灾害易发区 (geological_hazard) is registered only inside the
test, with a temporary rule function and a temporary rules file; it is not
shipped.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from tests.geo import geo_builders as gb
from geo import rule_registry
from geo.area import geodesic_area_m2
from geo.check import ControlIndex, Proposal, check_proposal, spatial
from geo.check.model import OVERLAP_KEYS, WARN, overlap_keys
from geo.controls import CONTROL_LAYERS, LAYER_NAMES, ControlLayer, control_layers, layer_names, registered
from geo.export_data import PART_NAMES, part_names, proposal_parts
from geo.io.official import LAYER_STEMS, find_layer_files, layer_stems
from layers.report import PARCEL_RULES, parcel_rules
from geo.rules import DEFAULT_RULES_PATH, RULE_IDS, load_rules, rule_ids

OX, OY = gb.chengdu_gk_center()
KEY = "geological_hazard"
HAZARD = ControlLayer(
    KEY, "地质灾害易发区", "geological hazard zone", stems=(KEY, "地质灾害易发区", "dzzhyfq"), kind="polygon",
    message=("地质灾害易发区", "the geological hazard zone"),
    report_label=("地质灾害易发区", "Geological hazard zone"),
    parcel_label=("占地质灾害易发区", "Geological hazard zone"),
    export_part=("geological_hazard overlap", "与地质灾害易发区重叠"),
    style={"color": "#5d4037", "weight": 1.5, "fill": True, "fillColor": "#a1887f", "fillOpacity": 0.7},
)
RULE_ENTRY = """
  - id: geological_hazard
    kind: spatial
    severity: warn
    threshold: 0
    unit: m2
    threshold_source: configurable default — not in sources
    text_zh: "扩区/调区范围占用地质灾害易发区的，列为需关注（测试规则）。"
    text_en: "A proposal overlapping a geological hazard zone needs attention (test rule)."
    citation:
      - file: seeds/002_b396a41d8a8b528f.txt
        section: 第八章第一节 强化规划管控（强化空间管控）
        line: L1674
        quote: 强化耕地和永久基本农田、生态保护红线、城镇开发边界等刚性约束，加强用途管控，坚决守住“三条控制线”和政策法规底线
    applies_to: {types: [expand, adjust]}
"""


def sq(x0, y0, x1, y1):
    return gb.gk_to_lonlat(shapely.segmentize(box(OX + x0, OY + y0, OX + x1, OY + y1), 100.0))


def zones() -> pd.DataFrame:
    return pd.DataFrame([{"zone_id": "Z1", "catalogue_code": "S999001", "name": "甲经开区", "zone_class": "经开区",
                          "level": "省级"}])


def parks() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"park_id": ["Z1-P1"], "zone_id": ["Z1"]}, geometry=[sq(-1000, -500, 0, 500)], crs=4490)


def hazard() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": ["H1"], "name": ["滑坡易发区"]}, geometry=[sq(500, -500, 1500, 500)], crs=4490)


@pytest.fixture()
def hazard_rules_path(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(DEFAULT_RULES_PATH.read_text(encoding="utf-8").rstrip("\n") + "\n" + RULE_ENTRY, encoding="utf-8")
    return path


def rule_geological_hazard(ctx, rule):
    return spatial.overlap_rule(ctx, rule, KEY, WARN)


def _check(index, rules):
    prop = sq(0, -400, 1000, 400)  # touches the park, half of it on the hazard zone
    return check_proposal(Proposal(prop, "Z1"), index, rules), prop


def _assert_warns(result, prop):
    row = next(r for r in result.rules if r.id == KEY)
    expected = geodesic_area_m2(prop.intersection(hazard().geometry[0]))
    assert row.status == WARN
    assert row.kind == "spatial"
    assert row.value == pytest.approx(expected, rel=1e-6)
    assert row.name_zh == "地质灾害易发区" and row.name_en == "Geological hazard zone"
    assert row.message_zh.startswith("与地质灾害易发区重叠 ")
    assert row.message_en.startswith("Overlaps the geological hazard zone by ")
    assert result.verdict == "attention"
    assert result.overlaps[KEY] == pytest.approx(expected, rel=1e-6)
    assert [r.id for r in result.rules][-1] == KEY
    parts = proposal_parts(result)
    assert "geological_hazard overlap" in set(parts["part"])
    # drawn on the map and the report page, with its style and legend row; styled in the KML; named in the hint
    from geo.export_data import kml_document
    from layers.compose import MapView, plan_legend, plan_proposal_layers
    from layers.i18n import t

    view = MapView(bounds=(103.9, 30.5, 104.2, 30.8), active=(), proposal=prop,
                   overlaps={k: v.geometry() if hasattr(v, "geometry") else v for k, v in result.geometries.items()})
    drawn = {layer.key: layer for layer in plan_proposal_layers(view)}
    assert f"overlap:{KEY}" in drawn and drawn[f"overlap:{KEY}"].title == "与地质灾害易发区重叠"
    assert ("fill", HAZARD.style["fillColor"], "与地质灾害易发区重叠") in plan_legend(view, {})
    kml = kml_document(parts, "x").decode("utf-8").lower()
    assert "7f88a1" in kml  # the fill #a1887f in KML's aabbggrr order
    assert "geological_hazard / 地质灾害易发区" in t("official_hint")


def test_a_new_layer_is_one_registry_entry_plus_one_rule(hazard_rules_path, tmp_path):
    with registered(HAZARD):
        rule_registry.rule(KEY)(rule_geological_hazard)
        try:
            assert KEY in layer_stems() and KEY in layer_names() and KEY in part_names() and KEY in parcel_rules()
            assert KEY in overlap_keys() and rule_ids() == (*RULE_IDS, KEY)
            rules = load_rules(hazard_rules_path)
            assert rules[KEY].severity == WARN

            # from frames: the layer's frame is a keyword like the built-in ones
            index = ControlIndex.from_frames(zones=zones(), parks=parks(), geological_hazard=hazard())
            _assert_warns(*_check(index, rules))

            # from an official-layers folder, by the Chinese file stem
            folder = tmp_path / "layers"
            folder.mkdir()
            hazard().to_file(folder / "地质灾害易发区.geojson", engine="pyogrio")
            assert find_layer_files(folder)[0] == {KEY: folder / "地质灾害易发区.geojson"}
            base = ControlIndex.from_frames(zones=zones(), parks=parks())
            _assert_warns(*_check(base.with_layers(folder), rules))

            # a rule set loaded before the rule was registered names what is missing (not a bare KeyError)
            from geo.errors import ParkmapError

            with pytest.raises(ParkmapError) as err:
                _check(index, load_rules(None))
            assert err.value.code == "rules" and KEY in str(err.value)

            # no overlap: pass
            far = ControlIndex.from_frames(zones=zones(), parks=parks(),
                                           geological_hazard=hazard().set_geometry([sq(5000, 5000, 6000, 6000)]))
            result, _ = _check(far, rules)
            assert next(r for r in result.rules if r.id == KEY).status == "pass"
        finally:
            rule_registry.unregister(KEY)

    # outside the context nothing of the layer remains
    assert KEY not in control_layers() and KEY not in layer_stems() and KEY not in layer_names()
    assert KEY not in part_names() and KEY not in parcel_rules() and KEY not in overlap_keys()
    assert KEY not in rule_registry.registered() and rule_ids() == RULE_IDS
    assert list(load_rules(None).rules) == list(RULE_IDS)
    with pytest.raises(TypeError, match=KEY):
        ControlIndex.from_frames(zones=zones(), geological_hazard=hazard())


def test_registry_derived_tables_keep_todays_contents():
    assert list(CONTROL_LAYERS) == ["eco_redline", "farmland", "urban_boundary", "rivers"]
    assert LAYER_STEMS == {
        "eco_redline": ("eco_redline", "生态保护红线", "生态红线", "stbhhx"),
        "farmland": ("farmland", "永久基本农田", "基本农田", "yjjbnt"),
        "urban_boundary": ("urban_boundary", "城镇开发边界", "czkfbj"),
        "rivers": ("rivers", "river", "河流", "水系"),
    }
    assert list(LAYER_NAMES) == ["eco_redline", "farmland", "urban_boundary", "rivers", "parks", "own_parks",
                                 "other_parks", "province"]
    assert OVERLAP_KEYS == ("eco_redline", "farmland", "urban_boundary", "other_parks", "own_parks", "province")
    assert list(PART_NAMES) == ["proposal", "removed", "eco_redline", "farmland", "other_parks", "own_parks",
                                "urban_boundary_outside", "outside_province"]
    assert PARCEL_RULES == {
        "eco_redline": ("占生态保护红线", "Eco red line"),
        "farmland": ("占永久基本农田", "Farmland"),
        "urban_boundary": ("城镇开发边界外", "Outside urban boundary"),
        "other_parks": ("占其他开发区园区", "Other zones' parks"),
        "in_sichuan": ("四川省界外", "Outside Sichuan"),
    }


def test_a_layer_is_registered_once():
    with pytest.raises(ValueError, match="exists already"):
        with registered(ControlLayer("farmland", "x", "x", stems=("x",))):
            pass
    with pytest.raises(ValueError, match="kind"):
        ControlLayer("x", "x", "x", stems=("x",), kind="point")
    assert list(control_layers()) == list(CONTROL_LAYERS)
