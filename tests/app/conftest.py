"""Every AppTest run in these tests must end without an unexpected error.

app.py turns unexpected errors into one bilingual message (never a
traceback), so a broken page would otherwise still "pass": this wraps
``AppTest.run`` to fail on that message or on a Streamlit exception.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from layers.i18n import t

INTERNAL = t("error_unexpected", "zh")
APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture()
def at(monkeypatch, tmp_path):
    """The app on the embedded data with an empty workspace under ``tmp_path/home``, after its first run."""
    monkeypatch.delenv("PARKMAP_DATA", raising=False)
    monkeypatch.setenv("PARKMAP_HOME", str(tmp_path / "home"))
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=240)
    app.run()
    return app


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
