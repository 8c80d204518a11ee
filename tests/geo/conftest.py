"""Shared fixtures for the geo engine tests (all data is generated in code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.geo import geo_builders as gb

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def parcel_gdf():
    """Two Chengdu parcels in EPSG:4490: a 1 km square with a hole, and a plain square."""
    return gb.parcel_gdf()


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
