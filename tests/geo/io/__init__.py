"""Tests of the ``geo.io`` package (reading, writing, archives, 界址点 TXT)."""
