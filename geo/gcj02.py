"""GCJ-02 ("Mars" coordinates), the obfuscated lon/lat of Chinese web maps.

Amap/Gaode and Tencent tiles are drawn in GCJ-02.  :func:`wgs84_to_gcj02` /
:func:`gcj02_to_wgs84` implement the standard Krasovsky-ellipsoid formulas,
applied only inside China's bbox; :func:`transform_geometry_gcj02` shifts a
whole shapely geometry.  WGS84 and CGCS2000 are treated as the same frame
here (< 1 m apart in Sichuan, see :mod:`geo.crs`).  The names are also
importable from :mod:`geo.crs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

_GCJ_A = 6378245.0  # Krasovsky 1940 semi-major axis
_GCJ_EE = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared

FloatArray = NDArray[np.float64]
#: Array inputs of the vectorised transforms (a NumPy array or a sequence of numbers).
ArrayInput = NDArray[Any] | Sequence[float]


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Standard GCJ-02 bbox test: True where no obfuscation applies."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    outside: NDArray[np.bool_] = (x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271)
    return outside


def _transform_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    pi = np.pi
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: FloatArray, y: FloatArray) -> FloatArray:
    pi = np.pi
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return (dlon, dlat) in degrees added by the GCJ-02 obfuscation."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _GCJ_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _as_float_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray, bool]:
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), scalar


def _ret(
    lon: FloatArray, lat: FloatArray, scalar: bool
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    if scalar:
        return float(lon), float(lat)
    return lon, lat


@overload
def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(lon: ArrayInput, lat: ArrayInput) -> tuple[FloatArray, FloatArray]: ...
def wgs84_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Convert WGS84 (≈ CGCS2000) lon/lat to GCJ-02; vectorised.

    Points outside China's bbox are returned unchanged.  Scalars in give
    floats out, arrays give arrays.
    """
    x, y, scalar = _as_float_arrays(lon, lat)
    dlon, dlat = _gcj_offset(x, y)
    return _ret(x + dlon, y + dlat, scalar)


@overload
def gcj02_to_wgs84(lon: float, lat: float, *, tol: float = ..., max_iter: int = ...) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(
    lon: ArrayInput, lat: ArrayInput, *, tol: float = ..., max_iter: int = ...
) -> tuple[FloatArray, FloatArray]: ...
def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol: float = 1e-10, max_iter: int = 30
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 lon/lat back to WGS84 by fixed-point iteration.

    Iterates ``w ← w − (f(w) − g)`` until the forward transform of ``w``
    matches the input within ``tol`` degrees (round trip error ≪ 1e-6°).
    """
    g_lon, g_lat, scalar = _as_float_arrays(lon, lat)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    # Each point stops updating once it has converged, so a point's result
    # depends only on its own coordinates, never on the rest of the batch:
    # shared vertices of adjacent polygons stay identical (coverage stays valid).
    active = np.ones(np.shape(w_lon), dtype=bool)
    for _ in range(max_iter):
        dlon, dlat = _gcj_offset(w_lon, w_lat)
        err_lon = w_lon + dlon - g_lon
        err_lat = w_lat + dlat - g_lat
        active &= ~((np.abs(err_lon) < tol) & (np.abs(err_lat) < tol))
        if not np.any(active):
            break
        w_lon = np.where(active, w_lon - err_lon, w_lon)
        w_lat = np.where(active, w_lat - err_lat, w_lat)
    return _ret(w_lon, w_lat, scalar)


def transform_geometry_gcj02(geom: BaseGeometry, to_gcj: bool) -> BaseGeometry:
    """Shift a lon/lat geometry WGS84→GCJ-02 (``to_gcj=True``) or back."""

    def _apply(coords: FloatArray) -> FloatArray:
        if to_gcj:
            x, y = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        else:
            x, y = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, _apply)
