"""layers/specs.py: unique ids, titles in both languages, known groups, and illustrative flags that match the data."""

from __future__ import annotations

import re

import pytest

from geo.dataset import ILLUSTRATIVE_LAYERS, list_layers, load_layer
from layers.specs import GROUPS, SPEC_BY_ID, SPECS, spec

CJK = re.compile(r"[\u3400-\u9fff]")


def test_ids_are_unique_and_indexed():
    ids = [s.id for s in SPECS]
    assert len(ids) == len(set(ids))
    assert list(SPEC_BY_ID) == ids and all(spec(i) is SPEC_BY_ID[i] for i in ids)


@pytest.mark.parametrize("s", SPECS, ids=lambda s: s.id)
def test_spec_is_complete(s):
    assert CJK.search(s.title_zh) and re.search(r"[A-Za-z]", s.title_en), s.id
    assert s.title("zh") == s.title_zh and s.title("en") == s.title_en
    assert s.group in GROUPS and s.kind in {"polygon", "line", "point"}
    assert s.layer in list_layers(), f"{s.id} reads a layer the GeoPackage lacks: {s.layer}"
    cols = set(load_layer(s.layer).columns)  # popup columns may be derived by layers.compose (parks: area_ha)
    assert s.id_field is None or s.id_field in cols, s.id
    assert all(f.zh and f.en for f in s.popup)
    assert set(s.simplify) == {"province", "prefecture", "zone"}


def test_groups_are_bilingual_and_used():
    assert all(CJK.search(zh) and en for zh, en in GROUPS.values())
    assert {s.group for s in SPECS} == set(GROUPS)


#: Generated layers the map draws as markers, not as their generated outline, so the spec carries no notice.
DRAWN_AS_POINTS = {"zones"}


@pytest.mark.parametrize("s", SPECS, ids=lambda s: s.id)
def test_illustrative_flag_matches_the_data(s):
    data = load_layer(s.layer)
    flagged = "illustrative" in data.columns and bool((data["illustrative"].astype(int) == 1).all())
    if s.illustrative:  # a notice on the map: every row of its data is generated
        assert s.layer in ILLUSTRATIVE_LAYERS and flagged, s.id
    elif s.layer in ILLUSTRATIVE_LAYERS:
        assert s.id in DRAWN_AS_POINTS and s.kind == "point", f"{s.id}: generated data without the map notice"
    if s.group == "control":
        assert s.illustrative and "示意" in GROUPS["control"][0]


# --------------------------------------------------------------------------- what the map draws
@pytest.fixture(scope="module")
def frames():
    from layers.compose import load_frames

    return load_frames()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("s", SPECS, ids=lambda s: s.id)
def test_drawn_layer_has_the_title_and_every_popup_field(s, lang, frames):
    # layers.compose keeps only the popup columns the frame has, so a missing column would silently vanish
    # from the tooltip: every field must be in the frame the map draws (parks through parks_display, zones as points)
    from layers.compose import MapView, plan_spec_layer

    view = MapView(regions=tuple(frames["regions"]["region_id"]), lang=lang)
    layer = plan_spec_layer(view, frames, s.id, "province")
    assert layer is not None and len(layer.frame), s.id  # every layer draws something over the whole province
    assert layer.title == s.title(lang) and layer.spec is s
    popup = [f.column for f in s.popup]
    assert [c for c in popup if c not in layer.columns or c not in layer.frame.columns] == [], s.id
    assert s.id_field in layer.frame.columns, s.id
    filled = layer.frame[popup].notna().any()
    assert filled.all(), f"{s.id}: popup fields with no value in any feature: {list(filled[~filled].index)}"


#: Popup labels that are rightly not Chinese in the zh column: the English name of a region is labelled "English".
POPUP_NOT_CHINESE = {("regions", "name_en")}


@pytest.mark.parametrize("s", SPECS, ids=lambda s: s.id)
def test_popup_labels_are_chinese_and_english(s):
    for f in s.popup:
        assert (s.id, f.column) in POPUP_NOT_CHINESE or CJK.search(f.zh), (s.id, f.column, f.zh)
        assert re.search(r"[A-Za-z]", f.en) and not CJK.search(f.en), (s.id, f.column, f.en)
    assert len({f.column for f in s.popup}) == len(s.popup), s.id  # no field twice
    assert s.title("fr") == s.title_zh  # an unknown language falls back to Chinese, as layers.i18n.t does


def test_every_class_level_and_role_in_the_data_has_a_colour_and_english_name():
    # render.zone_color falls back to grey for an unknown class or level: a new value in the data must get a colour
    from layers.specs import CLASS_COLORS, CLASS_EN, LEVEL_COLORS, LEVEL_EN, ROLE_COLORS

    zones = load_layer("zones")
    assert set(zones["zone_class"]) <= set(CLASS_COLORS) == set(CLASS_EN)
    assert set(zones["level"]) <= set(LEVEL_COLORS) == set(LEVEL_EN)
    assert set(load_layer("zone_industries")["role"]) <= set(ROLE_COLORS)
    colours = [*CLASS_COLORS.values(), *LEVEL_COLORS.values()]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours) and len(set(CLASS_COLORS.values())) == len(CLASS_COLORS)
