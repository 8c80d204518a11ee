"""geo/units.py: unit labels and numbers as planners read them (no scientific notation)."""

from __future__ import annotations

import re

import pytest

from geo.units import fmt_area, fmt_ha, fmt_length, fmt_number, fmt_pct, fmt_value, unit_label


@pytest.mark.parametrize("unit, zh, en", [
    ("m2", "平方米", "m²"), ("m", "米", "m"), ("ha", "公顷", "ha"), ("mu", "亩", "mu"),
    ("万元/亩", "万元/亩", "10k yuan/mu"), ("ratio", "%", "%"), ("years", "年", "years"), ("furlongs", "furlongs", "furlongs"),
])
def test_unit_labels(unit, zh, en):
    assert unit_label(unit) == zh and unit_label(unit, "en") == en


def test_every_unit_of_the_rules_file_has_a_label():
    from geo.rules import load_rules
    from geo.units import UNIT_LABELS

    for r in load_rules():
        assert r.unit in UNIT_LABELS, r.unit
        assert re.search(r"[\u4e00-\u9fff%]", unit_label(r.unit)), r.unit  # Chinese (or %) for planners


def test_area_in_square_metres_and_mu():
    assert fmt_area(396248.2) == "396,248.2 平方米（594.37 亩）"
    assert fmt_area(396248.2, "en") == "396,248.2 m² (594.37 mu)"
    assert fmt_area(396248.2, ha=True) == "396,248.2 平方米（594.37 亩，39.62 公顷）"
    assert fmt_area(0) == "0 平方米（0 亩）" and fmt_area(None) == "—" and fmt_area(float("nan")) == "—"
    assert fmt_ha(5000) == "0.5000 公顷" and fmt_ha(396248.2, "en") == "39.62 ha"


@pytest.mark.parametrize("value", [1e21, 123456789012.345, 1.5e-7, -2.5e-9, 0.000123, 7e15])
def test_never_scientific_notation(value):
    for unit in ("m2", "m", "万元/亩", "ratio", "rank share", "whatever", "mu", "ha"):
        for lang in ("zh", "en"):
            text = fmt_value(value, unit, lang)
            assert not re.search(r"\d[eE][+-]?\d", text), (value, unit, text)
    assert fmt_number(1.5e-7) == "0.00000015"
    assert fmt_number(1e21) == "1,000,000,000,000,000,000,000"


def test_values_in_their_units():
    assert fmt_value(1234.567, "万元/亩") == "1,234.6 万元/亩"
    assert fmt_value(12.3456, "万元/亩", "en") == "12.35 10k yuan/mu"
    assert fmt_value(0.975, "ratio") == "97.5%" and fmt_pct(0.85) == "85.0%"
    assert fmt_value(3, "years") == "3 年" and fmt_value(3, "years", "en") == "3 years"
    assert fmt_value(1000, "m") == "1,000 米" and fmt_length(5.25, "en") == "5.2 m"
    assert fmt_value(-100000, "m2") == "-100,000.0 平方米（-150.00 亩）"
    assert fmt_value(None, "m2") == "—"
