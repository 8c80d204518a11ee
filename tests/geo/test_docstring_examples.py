"""The Examples sections of the trust modules run (numpydoc examples are part of the contract)."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["geo.auth", "geo.audit", "geo.settings"])
def test_examples_run(name):
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0 and failed == 0
