"""The rule registry: rule id → the function that evaluates it, each defined once.

(Importable as :mod:`geo.check.registry` too; it lives here so that
:mod:`geo.rules` can read it without loading the :mod:`geo.check` package.)

A rule function is registered where it is written, with the :func:`rule`
decorator (:mod:`geo.check.spatial`, :mod:`geo.check.economic`)::

    @rule("eco_redline")
    def rule_eco_redline(ctx, rule): ...

The rule ids themselves, their reporting order, kind and default names are
the rules-file contract of :mod:`geo.rules` (``RULE_IDS``; ``data/rules.yaml``
must name each exactly once).  A function registered for an id outside
``RULE_IDS`` adds a rule (:func:`geo.rules.rule_ids`, reported after the
built-in ones, of the ``kind`` given here); the rules file must then name it
too.  :func:`rule_functions` checks the two against
each other in one place (the engine calls it once at import), so a rule
without a function, or a function without a rule id, stops the engine from
loading instead of surfacing at check time.

This module imports nothing from :mod:`geo`, so any module may use it
without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

#: A rule function: ``(ctx: geo.check.context.CheckContext, rule: geo.rules.Rule) -> geo.check.model.RuleResult``.
RuleFunc = Callable[[Any, Any], Any]

_FUNCS: dict[str, RuleFunc] = {}
_KINDS: dict[str, str] = {}


def rule(rule_id: str, kind: str = "spatial") -> Callable[[RuleFunc], RuleFunc]:
    """Register the decorated function as the evaluation of ``rule_id`` (returned unchanged).

    ``kind`` (``spatial`` or ``economic``) is the rules-file kind of a rule
    outside :data:`geo.rules.RULE_IDS` (the built-in ids keep theirs).

    Raises
    ------
    ValueError
        ``rule_id`` already has a function.
    """

    def register(func: RuleFunc) -> RuleFunc:
        if rule_id in _FUNCS and _FUNCS[rule_id] is not func:
            raise ValueError(f"rule {rule_id!r} is registered twice: {_FUNCS[rule_id].__qualname__}, {func.__qualname__}")
        _FUNCS[rule_id] = func
        _KINDS[rule_id] = kind
        return func

    return register


def unregister(rule_id: str) -> None:
    """Remove the function of ``rule_id`` (tests that register a temporary rule); no-op when absent."""
    _FUNCS.pop(rule_id, None)
    _KINDS.pop(rule_id, None)


def kind_of(rule_id: str) -> str | None:
    """The ``kind`` ``rule_id`` was registered with (None when not registered)."""
    return _KINDS.get(rule_id)


def registered() -> dict[str, RuleFunc]:
    """A copy of the registry: rule id → function, in registration order."""
    return dict(_FUNCS)


def rule_functions(rule_ids: Sequence[str]) -> dict[str, RuleFunc]:
    """The functions of ``rule_ids``, in that order, checked against the registry.

    Raises
    ------
    RuntimeError
        A rule id has no registered function, or a registered function has no
        rule id (both listed).
    """
    missing = [r for r in rule_ids if r not in _FUNCS]
    extra = [r for r in _FUNCS if r not in rule_ids]
    if missing or extra:
        raise RuntimeError(f"rule registry and rule ids disagree: no function for {missing or 'none'}; "
                           f"function but no rule id for {extra or 'none'}")
    return {r: _FUNCS[r] for r in rule_ids}


__all__ = ["RuleFunc", "kind_of", "registered", "rule", "rule_functions", "unregister"]
