from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from geo.area import area_m2_series
from geo.errors import ParkmapError
from geo.io.read import read_vector
from geo.io.write import atomic_output, write_bytes_atomic, write_geojson, write_gpkg, write_txt


def _same(res, src):
    np.testing.assert_allclose(area_m2_series(res.gdf), area_m2_series(src), rtol=1e-4)  # 0.01 %
    for col in ("地块号", "地块名称", "地块用途"):
        assert list(res.gdf[col]) == list(src[col])
    assert [len(g.interiors) for g in res.gdf.geometry] == [1, 0]


def test_gpkg_round_trip(tmp_path, parcel_gdf):
    path = write_gpkg(parcel_gdf, tmp_path / "out.gpkg", layer="开发区")
    res = read_vector(path)
    _same(res, parcel_gdf)
    assert res.layers == ["开发区"] and res.source_crs.epsg == 4490
    assert list(res.gdf["面积亩"]) == [1.5, 2.0]


def test_gpkg_reprojects_to_4490(tmp_path, parcel_gdf):
    path = write_gpkg(parcel_gdf.to_crs(4523), tmp_path / "out.gpkg")
    assert gpd.read_file(path).crs.to_epsg() == 4490


def test_geojson_round_trip(tmp_path, parcel_gdf):
    path = write_geojson(parcel_gdf, tmp_path / "out.geojson")
    text = path.read_text(encoding="utf-8")
    assert "高新示范地块" in text  # UTF-8, not \\u escapes
    res = read_vector(path)
    _same(res, parcel_gdf)
    assert res.source_crs.epsg == 4326  # RFC 7946


def test_txt_round_trip(tmp_path, parcel_gdf):
    path = write_txt(parcel_gdf, tmp_path / "out.txt", encoding="gbk")
    res = read_vector(path)
    _same(res, parcel_gdf)
    assert res.encoding == "gbk" and res.source_crs.epsg == 4523


def test_overwrite_replaces_existing(tmp_path, parcel_gdf):
    path = tmp_path / "out.geojson"
    path.write_text("old")
    write_geojson(parcel_gdf, path)
    assert path.read_text(encoding="utf-8").startswith("{")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.geojson"]


@pytest.mark.parametrize("writer", [write_gpkg, write_geojson])
def test_failed_write_keeps_existing_file(tmp_path, parcel_gdf, monkeypatch, writer):
    suffix = ".gpkg" if writer is write_gpkg else ".geojson"
    target = tmp_path / f"out{suffix}"
    target.write_bytes(b"precious")

    def boom(self, filename, *args, **kwargs):
        with open(filename, "wb") as fh:
            fh.write(b"half-written")
        raise RuntimeError("disk full")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", boom)
    with pytest.raises(ParkmapError) as ei:
        writer(parcel_gdf, target)
    assert ei.value.code == "write" and "disk full" in ei.value.en
    assert target.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temp leftovers


def test_atomic_output_exception_leaves_nothing(tmp_path):
    target = tmp_path / "x.bin"
    with pytest.raises(ValueError):
        with atomic_output(target) as tmp:
            tmp.write_bytes(b"partial")
            raise ValueError("stop")
    assert list(tmp_path.iterdir()) == []
    write_bytes_atomic(target, b"ok")
    assert target.read_bytes() == b"ok"


def test_missing_output_folder(tmp_path, parcel_gdf):
    with pytest.raises(ParkmapError) as ei:
        write_gpkg(parcel_gdf, tmp_path / "nope" / "x.gpkg")
    assert ei.value.code == "write"
