"""Atomic writers: GeoPackage, GeoJSON and 界址点 TXT.

Every writer produces the file inside a private temporary folder next to the
target and then moves it into place with :func:`os.replace`, so a failure
never leaves a half-written target and never destroys an existing file
(:mod:`geo.io.atomic`; :func:`atomic_output` and :func:`write_bytes_atomic`
are re-exported here).  The 界址点 TXT writer itself lives with its reader in
:mod:`geo.io.jzd_txt`, the KML writer with its reader in :mod:`geo.io.kml`;
the dependency is one-way: this module uses :mod:`geo.io.jzd_txt`, never the
reverse.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from geo.crs import EPSG_WGS84, to_cgcs2000
from geo.errors import ParkmapError
from geo.io.atomic import atomic_output, write_bytes_atomic

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd


def _write_error(path: Path, exc: Exception) -> ParkmapError:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ParkmapError(f"写出文件 {path.name} 失败：{first}", f"Failed to write {path.name}: {first}", code="write")


def write_gpkg(gdf: gpd.GeoDataFrame, path: str | Path, layer: str = "parcels") -> Path:
    """Write ``gdf`` as a single-layer GeoPackage (replacing any existing file).

    The data is written in EPSG:4490 (reprojected if necessary).
    """
    path = Path(path)
    data = to_cgcs2000(gdf)
    try:
        with atomic_output(path) as tmp:
            data.to_file(tmp, driver="GPKG", layer=layer, engine="pyogrio")
    except ParkmapError:
        raise
    except Exception as exc:  # GDAL / OS errors
        raise _write_error(path, exc) from exc
    return path


def write_geojson(gdf: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write ``gdf`` as RFC 7946 GeoJSON (lon/lat WGS84, ≈ CGCS2000 < 1 m)."""
    path = Path(path)
    data = to_cgcs2000(gdf).set_crs(EPSG_WGS84, allow_override=True)
    try:
        with atomic_output(path) as tmp:
            data.to_file(tmp, driver="GeoJSON", engine="pyogrio", RFC7946="YES")
    except ParkmapError:
        raise
    except Exception as exc:
        raise _write_error(path, exc) from exc
    return path


def write_txt(
    gdf: gpd.GeoDataFrame,
    path: str | Path,
    zone: int | None = None,
    prefixed: bool = True,
    encoding: str = "utf-8",
) -> Path:
    """Write a 界址点 TXT file; see :func:`geo.io.jzd_txt.write_jzd_txt`."""
    from geo.io.jzd_txt import write_jzd_txt  # on use: writing bytes atomically need not load geopandas

    return write_jzd_txt(gdf, path, zone=zone, prefixed=prefixed, encoding=encoding)


__all__ = ["atomic_output", "write_bytes_atomic", "write_geojson", "write_gpkg", "write_txt"]
