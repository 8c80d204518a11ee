"""data/rules.yaml and its loader (geo.rules)."""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from geo.errors import ParkmapError
from geo.sources import source_for
from geo.rules import (
    DEFAULT_RULES_PATH,
    RULE_IDS,
    THRESHOLD_SOURCES,
    load_rules,
    rules_from_dict,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def test_default_rules_load_with_every_rule():
    rs = load_rules()
    assert list(rs.rules) == list(RULE_IDS)
    assert rs.version >= 1 and len(rs.hash) == 64
    for r in rs:
        assert r.severity in ("fail", "warn", "info")
        assert r.kind in ("spatial", "economic")
        assert r.text_zh.strip() and r.text_en.strip() and r.unit.strip()
        assert r.threshold_source in THRESHOLD_SOURCES
        assert r.citations and all(c.section and c.quote for c in r.citations)
        # every cited document is in the source registry: the seeds, or the law quoted by the farmland rule
        assert all(c.file.startswith("seeds/") or source_for(c.file).key == "land_law" for c in r.citations), r.id


def test_every_quote_is_exact_text_from_rules_sources():
    sources = (REPO / "data" / "rules_sources.md").read_text(encoding="utf-8")
    for r in load_rules():
        for c in r.citations:
            assert c.quote in sources, (r.id, c.quote)


def test_thresholds_and_their_sources():
    rs = load_rules()
    assert rs["river_1km"].threshold == 1000 and rs["river_1km"].threshold_source == "seed"
    assert rs["bottom_third"].threshold == Fraction(1, 3) and rs["bottom_third"].threshold_source == "seed"
    assert rs["top10_priority"].threshold == 3 and rs["top10_priority"].params["top_share"] == 0.10
    # Numbers not in the seeds are labelled as configurable defaults.
    for rid in ("land_dev_rate", "contiguity", "adjust_balance", "other_parks"):
        assert rs[rid].threshold_source == "configurable default — not in sources", rid
    assert rs["land_dev_rate"].threshold == 0.85
    # the seed says 全省平均水平: the province-wide average is the default; within the class is an option
    assert rs["revenue_per_mu"].threshold == "average" and rs["revenue_per_mu"].params["compare_within"] == "all"
    assert rs["tax_per_mu"].params["compare_within"] == "all"
    assert rs["farmland"].params["major_project_severity"] == "warn"
    assert rs["river_1km"].params["non_chemical_severity"] == "warn"
    assert rs["top10_priority"].severity == "info"
    assert "L1754" in rs["river_1km"].citation_ref and "一公里" in rs["river_1km"].citation_quote
    assert rs["river_1km"].citation == "《四川省开发区发展规划（2023—2027年）》第九章第一节“推进绿色低碳循环发展”（落实长江黄河大保护要求）"


def test_hash_ignores_formatting_but_not_content(raw, tmp_path):
    a = rules_from_dict(copy.deepcopy(raw))
    p = tmp_path / "r.yaml"
    p.write_text("# a comment\n" + yaml.safe_dump(raw, allow_unicode=True, sort_keys=True), encoding="utf-8")
    assert load_rules(p).hash == a.hash
    changed = copy.deepcopy(raw)
    next(r for r in changed["rules"] if r["id"] == "contiguity")["threshold"] = 800
    b = rules_from_dict(changed)
    assert b.hash != a.hash and b["contiguity"].threshold == 800


def _mutate(raw: dict, rule_id: str | None, **changes) -> dict:
    d = copy.deepcopy(raw)
    if rule_id is None:
        d.update(changes)
        return d
    rule = next(r for r in d["rules"] if r["id"] == rule_id)
    for k, v in changes.items():
        if v is None:
            rule.pop(k, None)
        else:
            rule[k] = v
    return d


@pytest.mark.parametrize(
    "rule_id, changes, fragment",
    [
        ("eco_redline", {"severity": "fatal"}, "severity"),
        ("eco_redline", {"threshold": -1}, "threshold"),
        ("eco_redline", {"threshold": "zero"}, "threshold"),
        ("eco_redline", {"citation": None}, "citation"),
        ("eco_redline", {"citation": [{"file": "seeds/002", "section": "x"}]}, "quote"),
        ("eco_redline", {"threshold_source": "my guess"}, "threshold_source"),
        ("eco_redline", {"kind": "economic"}, "kind"),
        ("eco_redline", {"colour": "red"}, "colour"),
        ("eco_redline", {"text_zh": ""}, "text_zh"),
        ("eco_redline", {"applies_to": {"types": ["merge"]}}, "merge"),
        ("eco_redline", {"applies_to": {"levels": ["市级"]}}, "市级"),
        ("eco_redline", {"enabled": "yes"}, "enabled"),
        ("land_dev_rate", {"threshold": 1.5}, "threshold"),
        ("land_dev_rate", {"threshold": 0}, "threshold"),
        ("bottom_third", {"threshold": "4/3"}, "1/3"),
        ("bottom_third", {"threshold": "a third"}, "1/3"),
        ("revenue_per_mu", {"compare_within": "prefecture"}, "compare_within"),
        ("top10_priority", {"threshold": 2.5}, "threshold"),
        ("river_1km", {"non_chemical_severity": "maybe"}, "non_chemical_severity"),
        ("eco_redline", {"river_classes": ["长江干流"]}, "river_classes"),
        (None, {"version": "one"}, "version"),
        (None, {"rules": []}, "rules"),
        (None, {"settings": {"colour": 1}}, "colour"),
    ],
)
def test_bad_rules_are_refused_with_a_bilingual_error(raw, rule_id, changes, fragment):
    with pytest.raises(ParkmapError) as exc:
        rules_from_dict(_mutate(raw, rule_id, **changes), source="t.yaml")
    assert exc.value.code == "rules"
    assert fragment in str(exc.value)
    assert "规则文件" in exc.value.zh and "Rules file" in exc.value.en


def test_missing_unknown_and_duplicate_rules(raw):
    d = copy.deepcopy(raw)
    d["rules"] = [r for r in d["rules"] if r["id"] != "farmland"]
    with pytest.raises(ParkmapError, match="farmland"):
        rules_from_dict(d)
    d = copy.deepcopy(raw)
    d["rules"].append(dict(d["rules"][0], id="lake_1km"))
    with pytest.raises(ParkmapError, match="lake_1km"):
        rules_from_dict(d)
    d = copy.deepcopy(raw)
    d["rules"].append(copy.deepcopy(d["rules"][0]))
    with pytest.raises(ParkmapError, match="twice|重复"):
        rules_from_dict(d)


def test_file_errors(tmp_path):
    with pytest.raises(ParkmapError, match="not found"):
        load_rules(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(ParkmapError) as exc:
        load_rules(bad)
    assert exc.value.code == "rules" and "\n" not in str(exc.value)
    notmap = tmp_path / "list.yaml"
    notmap.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ParkmapError, match="mapping"):
        load_rules(notmap)


def test_fraction_and_fixed_thresholds_accepted(raw):
    d = _mutate(raw, "bottom_third", threshold=0.25)
    assert rules_from_dict(d)["bottom_third"].threshold == Fraction(1, 4)
    d = _mutate(raw, "revenue_per_mu", threshold=300)
    assert rules_from_dict(d)["revenue_per_mu"].threshold == 300.0
    d = _mutate(raw, "contiguity", enabled=False)
    assert rules_from_dict(d)["contiguity"].enabled is False
