"""File input/output for the geo engine (reading, writing, archives, 界址点 TXT).

Computation lives in :mod:`geo.crs`, :mod:`geo.area` and :mod:`geo.validate`;
this package only moves data between files and GeoDataFrames.
"""

from __future__ import annotations

from geo.io.archive import DEFAULT_LIMITS, ReadLimits, safe_extract_zip
from geo.io.jzd_txt import read_jzd_txt, write_jzd_txt
from geo.io.read import SUPPORTED_SUFFIXES, ReadResult, read_vector
from geo.io.write import atomic_output, write_geojson, write_gpkg, write_txt

__all__ = [
    "DEFAULT_LIMITS",
    "SUPPORTED_SUFFIXES",
    "ReadLimits",
    "ReadResult",
    "atomic_output",
    "read_jzd_txt",
    "read_vector",
    "safe_extract_zip",
    "write_geojson",
    "write_gpkg",
    "write_jzd_txt",
    "write_txt",
]
