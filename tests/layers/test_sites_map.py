"""可扩区 candidates on the map's plan (layers/compose.py): one layer per candidate, labelled with its rank."""

from __future__ import annotations

import shapely

from geo.check import default_index
from geo.sites import SiteOptions, find_sites, parse_area


def test_candidates_are_drawn_with_their_rank():
    """The map's plan (layers.compose) draws each candidate as a layer and labels it with its rank."""
    from layers.compose import MapView, plan_legend, plan_proposal_layers, site_labels

    s = find_sites(default_index(), "S517077", SiteOptions(area_m2=parse_area("30ha"), chemical=True))
    view = MapView(active=(), sites=tuple((c.rank, c.proposal) for c in s.candidates))
    keys = [lay.key for lay in plan_proposal_layers(view)]
    assert keys == [f"site:{c.rank}" for c in s.candidates]
    labels = site_labels(view)
    assert [lb.text for lb in labels] == [f"候选{c.rank}" for c in s.candidates]
    assert all(c.proposal.contains(shapely.Point(lb.lon, lb.lat)) for c, lb in zip(s.candidates, labels))
    assert any(row[2] == "可扩区候选 1" for row in plan_legend(view, {}) if len(row) == 3)
