"""geo.zones.ZoneLookup: --zone is resolved from the zone table alone (issue #10)."""

from __future__ import annotations

import pytest

from geo import zones
from geo.errors import ParkmapError


def test_ids_codes_and_names(monkeypatch):
    from geo.check.index import ControlIndex

    def no_index(*a, **k):
        raise AssertionError("resolving a zone must not build the control index")

    monkeypatch.setattr(ControlIndex, "from_dataset", classmethod(no_index))
    rec = zones.resolve_zone("s517077")
    assert rec["zone_id"] == "S517077" and rec["name"]
    assert zones.resolve_zone(rec["name"])["zone_id"] == "S517077"
    if rec.get("catalogue_code"):
        assert zones.resolve_zone(str(rec["catalogue_code"]).lower())["zone_id"] == "S517077"


def test_unknown_zone_suggests_close_ids():
    with pytest.raises(ParkmapError) as err:
        zones.resolve_zone("S51707")
    assert err.value.code == "unknown-zone" and "close matches: S517" in str(err.value)
    with pytest.raises(ParkmapError) as err:
        zones.resolve_zone("  ")
    assert err.value.code == "unknown-zone"


def test_same_record_as_the_index():
    from geo.check import default_index

    assert default_index().resolve_zone("S517077") == zones.resolve_zone("S517077")
