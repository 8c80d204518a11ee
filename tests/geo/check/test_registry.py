"""The rule registry (geo.check.registry): one function per rule id, checked against the rules file's ids."""

from __future__ import annotations

import pytest

from geo.check import engine, registry
from geo.rules import RULE_IDS


def test_every_rule_id_has_exactly_one_registered_function():
    assert set(registry.registered()) == set(RULE_IDS)
    assert list(engine._RULE_FUNCS) == list(RULE_IDS)
    assert all(f.__module__ in ("geo.check.spatial", "geo.check.economic") for f in engine._RULE_FUNCS.values())


def test_a_second_function_for_a_rule_id_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        registry.rule("eco_redline")(lambda ctx, rule: None)
    assert registry.registered()["eco_redline"] is engine._RULE_FUNCS["eco_redline"]


def test_registry_and_rule_ids_must_agree():
    with pytest.raises(RuntimeError, match=r"no function for \['geological_hazard'\]"):
        registry.rule_functions((*RULE_IDS, "geological_hazard"))
    with pytest.raises(RuntimeError, match=r"function but no rule id for \['top10_priority'\]"):
        registry.rule_functions(RULE_IDS[:-1])
