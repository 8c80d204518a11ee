"""Shared fixtures for the geo engine tests (all data is generated in code)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # make `import geo` work without installing
    sys.path.insert(0, str(REPO_ROOT))

import geo_builders as gb  # noqa: E402  (tests/geo is on sys.path under pytest's prepend mode)


@pytest.fixture
def parcel_gdf():
    """Two Chengdu parcels in EPSG:4490: a 1 km square with a hole, and a plain square."""
    return gb.parcel_gdf()


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
