"""Folders a crashed app left behind are swept (issue #9, input limits: cleanup)."""

from __future__ import annotations

import json
import os
import time

import geopandas as gpd

from geo.area import buffer_m
from geo.dataset import load_layer
from geo.workspace import Workspace
from tests.app.test_app_check import ZONE, _proposal_txt, _upload  # noqa: F401 (ZONE is used by DataFrame.query)


def _stale(folder, name):
    path = folder / name
    path.mkdir(parents=True)
    (path / "half.geojson").write_bytes(b"{")
    old = time.time() - 2 * 3600
    os.utime(path, (old, old))
    return path


def test_stale_folders_are_swept_and_the_import_is_recorded(at, tmp_path, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    home = tmp_path / "home"
    dead_upload = _stale(tmp, "parkmap-extract-999999999-upload-x1")  # no such process
    dead_layers = _stale(home / "layers", "parkmap-extract-999999999-layers-x2")
    fresh = _stale(tmp, f"parkmap-extract-{os.getpid()}-upload-x3")  # a live process: kept
    _upload(at, "shehong.txt", _proposal_txt(400))
    assert not dead_upload.exists() and fresh.exists()
    assert not [p for p in tmp.iterdir() if p.name.startswith("parkmap-extract-") and p != fresh]  # the upload's own is gone
    park = load_layer("parks").query("zone_id == @ZONE").geometry.iloc[0]
    red = gpd.GeoDataFrame({"名称": ["官方红线（测试）"]}, geometry=[buffer_m(park, 2000)], crs="EPSG:4490")
    at.file_uploader(key="official_upload0").set_value(
        ("生态保护红线.geojson", red.to_json().encode("utf-8"), "application/geo+json")).run()
    assert not dead_layers.exists()
    stored = [p.name for p in (home / "layers").iterdir()]
    assert len(stored) == 1 and not stored[0].startswith("parkmap-extract-")  # only the complete folder
    ev = Workspace(home).events()
    imp = ev[ev["action"] == "layer_import"]
    assert len(imp) == 1 and json.loads(imp["detail_json"].iloc[0])["files"] == ["生态保护红线.geojson"]
