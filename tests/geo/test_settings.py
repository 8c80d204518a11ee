"""geo/settings.py is the only reader of the environment (issue #10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo import settings
from geo.errors import ParkmapError

ROOT = Path(__file__).resolve().parents[2]
READS = re.compile(r"os\.environ\.get|os\.environ\[|os\.getenv|getenv\(|environ\.get\(")


def test_nothing_else_reads_the_environment():
    offenders = []
    for path in [*ROOT.joinpath("geo").rglob("*.py"), *ROOT.joinpath("layers").rglob("*.py"), ROOT / "app.py"]:
        if path.name == "settings.py" and path.parent.name == "geo":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if READS.search(code) and "``" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_values_and_defaults(monkeypatch, tmp_path):
    for name in ("PARKMAP_HOME", "PARKMAP_DATA", "TIANDITU_TOKEN", "PARKMAP_VENDOR_DIR", "PARKMAP_CHROMIUM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert settings.home() == tmp_path / ".parkmap"
    assert settings.data_dir() is None and settings.tianditu_token() is None and settings.vendor_dir() is None
    assert settings.chromium() == Path("/usr/bin/chromium")
    monkeypatch.setenv("PARKMAP_HOME", "~/ws")
    monkeypatch.setenv("TIANDITU_TOKEN", "  abc  ")
    monkeypatch.setenv("PARKMAP_CHROMIUM", str(tmp_path / "chrome"))
    assert settings.home() == tmp_path / "ws" and settings.tianditu_token() == "abc"
    assert settings.chromium() == tmp_path / "chrome"
    monkeypatch.setenv("TIANDITU_TOKEN", "   ")
    assert settings.tianditu_token() is None


@pytest.mark.parametrize("raw", ["0", "-5", "ten", "1.5"])
def test_bad_numbers_name_the_variable(raw):
    with pytest.raises(ParkmapError) as err:
        settings.env_int("PARKMAP_MAX_FEATURES", 10_000, {"PARKMAP_MAX_FEATURES": raw})
    assert err.value.code == "config" and "PARKMAP_MAX_FEATURES" in str(err.value)


def test_database_url(monkeypatch):
    monkeypatch.delenv("PARKMAP_DATABASE_URL", raising=False)
    assert settings.database_url() is None  # embedded workspace
    monkeypatch.setenv("PARKMAP_DATABASE_URL", "   ")
    assert settings.database_url() is None
    monkeypatch.setenv("PARKMAP_DATABASE_URL", " postgresql://app@db.example:5432/parkmap ")
    assert settings.database_url() == "postgresql://app@db.example:5432/parkmap"
