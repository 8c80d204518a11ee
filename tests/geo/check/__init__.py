"""Tests of the ``geo.check`` package (engine, registry, control-layer index)."""
