"""Every AppTest run in these tests must end without an unexpected error.

app.py turns unexpected errors into one bilingual message (never a
traceback), so a broken page would otherwise still "pass": this wraps
``AppTest.run`` to fail on that message or on a Streamlit exception.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from layers.i18n import t

INTERNAL = t("error_unexpected", "zh")


@pytest.fixture(autouse=True)
def _no_internal_errors(monkeypatch):
    original = AppTest.run

    def run(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        errors = [e.value for e in out.error if INTERNAL in e.value]
        assert not errors, "the app hit an unexpected error (see the captured log)"
        assert not out.exception, out.exception
        return out

    monkeypatch.setattr(AppTest, "run", run)
