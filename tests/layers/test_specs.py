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
