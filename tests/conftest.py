"""Shared test fixtures.

``geo`` and ``layers`` come from the install (``pip install -e '.[test,build]'``),
never from a ``sys.path`` edit. ``tests`` is a package (each folder has an
``__init__.py``), so pytest's default import mode puts the repository root on
``sys.path`` once and every test module has a unique dotted name
(``tests.geo.test_check``), which the mirrored layout (``tests/geo/check/...``)
needs; helpers are imported as ``tests.geo.geo_builders``,
``tests.browser_support``, ``benchmarks.export``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

HOSTILE = '<img src=x onerror=alert(1)>'


@pytest.fixture(scope="session")
def hostile_data_dir(tmp_path_factory) -> Path:
    """A copy of the embedded GeoPackage where one zone and its park carry an HTML-injection name."""
    import pyogrio

    from geo.dataset import gpkg_path, list_layers, load_layer

    out = tmp_path_factory.mktemp("hostile") / "sichuan.gpkg"
    shutil.copy(gpkg_path(), out)
    zones = load_layer("zones", out)
    parks = load_layer("parks", out)
    zones.loc[zones["zone_id"] == "S517077", "short_name"] = "射洪" + HOSTILE
    parks.loc[parks["zone_id"] == "S517077", "name"] = "射洪园" + HOSTILE
    frames = {name: load_layer(name, out) for name in list_layers(out)}
    frames["zones"], frames["parks"] = zones, parks
    out.unlink()
    for name, frame in frames.items():
        pyogrio.write_dataframe(frame, out, layer=name, driver="GPKG", append=out.exists())
    return out.parent
