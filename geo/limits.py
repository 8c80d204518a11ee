"""Size caps on what one input file may hold, and the environment variables that change them.

Two sets of caps, each read from the environment when a file is read (so a
changed variable takes effect without a restart of the CLI; the app reads it
per upload):

========================  =========================  ============================================
variable                  default                    applies to
========================  =========================  ============================================
PARKMAP_MAX_FEATURES      10,000                     a proposal file (CLI ``inspect``/``check``,
                                                     app upload): features per file
PARKMAP_MAX_VERTICES      2,000,000                  a proposal file: vertices (coordinates)
PARKMAP_MAX_LAYER_FEATURES  500,000                  an official control layer (``--layers``,
                                                     app "official layers"): features per file
PARKMAP_MAX_LAYER_VERTICES  30,000,000               an official control layer: vertices
========================  =========================  ============================================

Official layers get their own, larger caps: a county's 永久基本农田 layer
legitimately holds tens of thousands of 图斑, while a proposal with 50,000
parcels is a mistake (it took 190 s and 7.5 GB before these caps).  The byte
size of one file is capped separately by
:attr:`geo.io.archive.ReadLimits.max_file_bytes` (500 MiB; the app's upload
limit is ``maxUploadSize`` in ``.streamlit/config.toml``).

A value must be a positive whole number (``20000`` or ``20_000``); anything
else is refused with a :class:`~geo.errors.ParkmapError` naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from geo.settings import env_int  # the one reader of the environment

ENV_MAX_FEATURES = "PARKMAP_MAX_FEATURES"
ENV_MAX_VERTICES = "PARKMAP_MAX_VERTICES"
ENV_MAX_LAYER_FEATURES = "PARKMAP_MAX_LAYER_FEATURES"
ENV_MAX_LAYER_VERTICES = "PARKMAP_MAX_LAYER_VERTICES"

DEFAULT_MAX_FEATURES = 10_000
DEFAULT_MAX_VERTICES = 2_000_000
DEFAULT_MAX_LAYER_FEATURES = 500_000
DEFAULT_MAX_LAYER_VERTICES = 30_000_000


@dataclass(frozen=True)
class CountCaps:
    """Feature and vertex caps for one file, with the variables that raise them.

    Attributes
    ----------
    max_features : int
        Most features (rows) one file may hold.
    max_vertices : int
        Most vertices (coordinate pairs, all rings and parts) one file may hold.
    features_env, vertices_env : str
        Environment variables that set the two caps (named in error messages).
    """

    max_features: int
    max_vertices: int
    features_env: str = ENV_MAX_FEATURES
    vertices_env: str = ENV_MAX_VERTICES


def proposal_caps(environ: Mapping[str, str] | None = None) -> CountCaps:
    """Caps for a proposal file, from ``PARKMAP_MAX_FEATURES`` / ``PARKMAP_MAX_VERTICES``.

    Parameters
    ----------
    environ : Mapping, optional
        Environment to read (``os.environ`` by default).

    Returns
    -------
    CountCaps
    """
    return CountCaps(env_int(ENV_MAX_FEATURES, DEFAULT_MAX_FEATURES, environ),
                     env_int(ENV_MAX_VERTICES, DEFAULT_MAX_VERTICES, environ),
                     ENV_MAX_FEATURES, ENV_MAX_VERTICES)


def layer_caps(environ: Mapping[str, str] | None = None) -> CountCaps:
    """Caps for an official control layer, from ``PARKMAP_MAX_LAYER_FEATURES`` / ``PARKMAP_MAX_LAYER_VERTICES``.

    Parameters
    ----------
    environ : Mapping, optional
        Environment to read (``os.environ`` by default).

    Returns
    -------
    CountCaps
    """
    return CountCaps(env_int(ENV_MAX_LAYER_FEATURES, DEFAULT_MAX_LAYER_FEATURES, environ),
                     env_int(ENV_MAX_LAYER_VERTICES, DEFAULT_MAX_LAYER_VERTICES, environ),
                     ENV_MAX_LAYER_FEATURES, ENV_MAX_LAYER_VERTICES)


__all__ = [
    "DEFAULT_MAX_FEATURES", "DEFAULT_MAX_LAYER_FEATURES", "DEFAULT_MAX_LAYER_VERTICES", "DEFAULT_MAX_VERTICES",
    "ENV_MAX_FEATURES", "ENV_MAX_LAYER_FEATURES", "ENV_MAX_LAYER_VERTICES", "ENV_MAX_VERTICES",
    "CountCaps", "env_int", "layer_caps", "proposal_caps",
]
