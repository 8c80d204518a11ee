"""Builders for test inputs (shapefiles, zips, TXT, KML...), generated in code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry import Polygon

REPO_ROOT = Path(__file__).resolve().parents[2]

# A point in Chengdu's high-tech zone, inside GK zone 35 (CM 105°E).
LON0, LAT0 = 104.06, 30.55


def gk_square(cx: float, cy: float, side: float) -> list[tuple[float, float]]:
    """Counter-clockwise square ring (closed) centred at (cx, cy) in metres."""
    h = side / 2
    return [(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h), (cx - h, cy - h)]


def gk_to_lonlat(geom, epsg: int = 4544):
    t = pyproj.Transformer.from_crs(epsg, 4490, always_xy=True)
    return shapely.transform(geom, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))


def chengdu_gk_center(epsg: int = 4544) -> tuple[float, float]:
    t = pyproj.Transformer.from_crs(4490, epsg, always_xy=True)
    return t.transform(LON0, LAT0)


def parcel_polygons_gk(epsg: int = 4544) -> list[Polygon]:
    """1 km square with a 200 m hole, and a 500 m square 2 km east (GK metres)."""
    cx, cy = chengdu_gk_center(epsg)
    p1 = Polygon(gk_square(cx, cy, 1000.0), [gk_square(cx, cy, 200.0)])
    p2 = Polygon(gk_square(cx + 2000.0, cy, 500.0))
    return [p1, p2]


def parcel_gdf() -> gpd.GeoDataFrame:
    geoms = [gk_to_lonlat(p) for p in parcel_polygons_gk()]
    return gpd.GeoDataFrame(
        {"地块号": ["A-1", "A-2"], "地块名称": ["高新示范地块", "天府二号"], "地块用途": ["工业用地", "商业用地"], "面积亩": [1.5, 2.0]},
        geometry=geoms,
        crs=4490,
    )


EXPECTED_AREAS = (1_000_000.0 - 40_000.0, 250_000.0)


def write_shapefile(gdf: gpd.GeoDataFrame, path: Path, encoding: str = "GBK", cpg: bool = False, prj: bool = True) -> Path:
    gdf.to_file(path, engine="pyogrio", encoding=encoding)
    if not cpg and path.with_suffix(".cpg").exists():
        path.with_suffix(".cpg").unlink()
    if not prj and path.with_suffix(".prj").exists():
        path.with_suffix(".prj").unlink()
    return path


def zip_files(zip_path: Path, files: list[Path], arc_prefix: str = "") -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, arcname=f"{arc_prefix}{f.name}")
    return zip_path


def shapefile_parts(shp: Path) -> list[Path]:
    return sorted(p for p in shp.parent.iterdir() if p.stem == shp.stem)


def bowtie_gdf() -> gpd.GeoDataFrame:
    bow = Polygon([(104.0, 30.0), (104.01, 30.01), (104.01, 30.0), (104.0, 30.01), (104.0, 30.0)])
    return gpd.GeoDataFrame({"名称": ["蝴蝶"]}, geometry=[bow], crs=4490)


def feature_collection(features: list[dict], crs: str | None = None) -> str:
    doc: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc, ensure_ascii=False)


def feature(geometry: dict, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


# --- 界址点 TXT -------------------------------------------------------------
TXT_HEADER = """[属性描述]
格式版本号=1.0
数据产生单位=自然资源部
数据产生日期=2024-05-01
坐标系=2000国家大地坐标系
几度分带=3
投影类型=高斯克吕格
计量单位=米
{zone_line}
精度=0.01
转换参数=,,,,,,
[地块坐标]
"""


def jzd_text(prefixed: bool = True, zone_line: str = "带号=35", area_ha: tuple[str, str] = ("96.0000", "25.0000")) -> str:
    """Two parcels (one with a hole) around Chengdu, in zone 35 (CM 105°E)."""
    cx, cy = chengdu_gk_center(4544)
    off = 35_000_000.0 if prefixed else 0.0

    def ring(points: list[tuple[float, float]], ring_no: int, start: int) -> list[str]:
        lines = []
        pts = points[:-1]
        for i, (e, n) in enumerate(pts):
            lines.append(f"J{start + i},{ring_no},{n:.3f},{e + off:.3f}")
        e, n = pts[0]
        lines.append(f"J{start},{ring_no},{n:.3f},{e + off:.3f}")
        return lines

    p1 = ring(gk_square(cx, cy, 1000.0), 1, 1) + ring(gk_square(cx, cy, 200.0), 2, 5)
    p2 = ring(gk_square(cx + 2000.0, cy, 500.0), 1, 1)
    body = [f"{len(p1)},{area_ha[0]},A-1,高新示范地块,面,H48G001001,工业用地,,@", *p1,
            f"{len(p2)},{area_ha[1]},A-2,天府二号,面,H48G001002,商业用地,备注文字,@", *p2]
    return TXT_HEADER.format(zone_line=zone_line) + "\n".join(body) + "\n"


def write_text(path: Path, text: str, encoding: str = "utf-8", crlf: bool = False, bom: bool = False) -> Path:
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


# --- KML ------------------------------------------------------------------------
def kml_text() -> str:
    return """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
<Document><name>园区</name>
<Folder><name>规划范围</name>
<Placemark><name>示例地块</name><description>带洞</description>
<ExtendedData><Data name="用途"><value>工业用地</value></Data></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
104.00,30.00,0 104.01,30.00,0 104.01,30.01,0 104.00,30.01,0 104.00,30.00,0
</coordinates></LinearRing></outerBoundaryIs>
<innerBoundaryIs><LinearRing><coordinates>
104.002,30.002 104.004,30.002 104.004,30.004 104.002,30.004 104.002,30.002
</coordinates></LinearRing></innerBoundaryIs></Polygon>
</Placemark>
</Folder>
<Placemark><name>两块</name>
<MultiGeometry>
<Polygon><outerBoundaryIs><LinearRing><coordinates>104.1,30 104.11,30 104.11,30.01 104.1,30.01 104.1,30</coordinates></LinearRing></outerBoundaryIs></Polygon>
<Polygon><outerBoundaryIs><LinearRing><coordinates>104.2,30 104.21,30 104.21,30.01 104.2,30.01 104.2,30</coordinates></LinearRing></outerBoundaryIs></Polygon>
</MultiGeometry>
</Placemark>
</Document></kml>
"""


# --- CLI -------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run ``python -m layers`` (the ``parkmap`` command) in a subprocess (as a user would)."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")  # geo comes from the install
    return subprocess.run([sys.executable, "-m", "layers", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)


def square(x0: float, y0: float, x1: float, y1: float):
    """A lon/lat square given in metres from the Chengdu GK reference point (:func:`chengdu_gk_center`)."""
    from shapely.geometry import box

    ox, oy = chengdu_gk_center()
    return gk_to_lonlat(box(ox + x0, oy + y0, ox + x1, oy + y1))


def small_check_result():
    """A check of a 1 km square of zone Z1 that overlaps a red line (verdict fail): the workspace tests' record."""
    import geopandas as gpd
    import pandas as pd

    from geo.check import ControlIndex, Proposal, check_proposal, default_rules

    zones = pd.DataFrame([{"zone_id": "Z1", "catalogue_code": "S999001", "name": "甲经开区", "zone_class": "经开区",
                           "level": "省级"}])
    eco = gpd.GeoDataFrame({"eco_id": ["E1"]}, geometry=[square(500, 0, 1500, 1000)], crs=4490)
    parks = gpd.GeoDataFrame({"park_id": ["P1"], "zone_id": ["Z1"]}, geometry=[square(-1000, 0, 0, 1000)], crs=4490)
    index = ControlIndex.from_frames(zones=zones, eco_redline=eco, parks=parks)
    return check_proposal(Proposal(square(0, 0, 1000, 1000), "Z1", name="东扩"), index, default_rules())
