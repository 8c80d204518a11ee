"""File input/output for the geo engine (reading, writing, archives, 界址点 TXT).

Computation lives in :mod:`geo.crs`, :mod:`geo.area` and :mod:`geo.validate`;
this package only moves data between files and GeoDataFrames.  Every file
it opens goes through :mod:`geo.io.guard` (regular files only, bounded reads,
feature/vertex caps of :mod:`geo.limits`); uploads are named with
:func:`safe_upload_name`.
"""

from __future__ import annotations

from geo.io.archive import (
    DEFAULT_LIMITS,
    ReadLimits,
    extraction_dir,
    safe_extract_zip,
    sweep_stale_extractions,
)
from geo.io.guard import read_bytes_capped, require_regular_file, safe_upload_name
from geo.io.jzd_txt import read_jzd_txt, write_jzd_txt
from geo.io.read import SUPPORTED_SUFFIXES, ReadResult, read_vector
from geo.io.write import atomic_output, write_geojson, write_gpkg, write_txt

__all__ = [
    "DEFAULT_LIMITS",
    "SUPPORTED_SUFFIXES",
    "ReadLimits",
    "ReadResult",
    "atomic_output",
    "extraction_dir",
    "read_bytes_capped",
    "read_jzd_txt",
    "read_vector",
    "require_regular_file",
    "safe_extract_zip",
    "safe_upload_name",
    "sweep_stale_extractions",
    "write_geojson",
    "write_gpkg",
    "write_jzd_txt",
    "write_txt",
]
