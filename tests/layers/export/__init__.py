"""Tests of the ``layers.export`` package (map pages: page layout, static and browser renderers)."""
