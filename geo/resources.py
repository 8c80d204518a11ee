"""Where the shipped files are: the GeoPackage and rules (``data/``) and the map assets (``static/``).

In the repository they sit at the top (``data/``, ``static/``); in a built
wheel they are the package data of ``geo.data`` and ``layers.static``
(``pyproject.toml`` maps the two folders onto those packages).  Both
layouts are found here, so ``pip install .`` and a wheel work from any
directory, not only an editable checkout.

Examples
--------
>>> (data_dir() / "rules.yaml").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def _find(installed: Path, repo_folder: str, probe: str) -> Path:
    """``installed`` (the package-data folder of a wheel) or ``<repo>/<repo_folder>``, whichever holds ``probe``."""
    for folder in (installed, _REPO / repo_folder):
        if (folder / probe).exists():
            return folder
    return _REPO / repo_folder


def data_dir() -> Path:
    """The folder holding ``sichuan.gpkg`` and ``rules.yaml``."""
    return _find(Path(__file__).resolve().parent / "data", "data", "rules.yaml")


def static_dir() -> Path:
    """The folder holding ``vendor/`` (the pinned Leaflet, plugins and fonts)."""
    return _find(_REPO / "layers" / "static", "static", "vendor/MANIFEST.json")


__all__ = ["data_dir", "static_dir"]
