"""The rule registry, re-exported: see :mod:`geo.rule_registry` (where it lives, so that
:mod:`geo.rules` reads it without loading this package)."""

from __future__ import annotations

from geo.rule_registry import RuleFunc, kind_of, registered, rule, rule_functions, unregister

__all__ = ["RuleFunc", "kind_of", "registered", "rule", "rule_functions", "unregister"]
