"""geo.checkflow: the one check sequence the CLI and the app share (issue #10)."""

from __future__ import annotations

import pytest

from tests.geo import geo_builders as gb
from geo.auth import Actor
from geo.checkflow import CheckOptions, run_checks
from geo.dataset import load_layer
from geo.errors import ParkmapError
from geo.area import buffer_m
from geo.proposal import ProposalParcels
from geo.workspace import Workspace

ZONE = "S517077"


@pytest.fixture(scope="module")
def ring():
    park = load_layer("parks").query("zone_id == @ZONE").geometry.iloc[0]
    return buffer_m(park, 400).difference(park)


def test_same_verdicts_as_the_engine_and_all_or_nothing_saves(tmp_path, ring):
    from geo.check import Proposal, check_proposal, default_index

    items = [ProposalParcels(geometry=ring, name="东扩"), ProposalParcels(geometry=gb.square(0, 0, 500, 500), name="远处")]
    run = run_checks(items, ZONE, CheckOptions(type="expand"))
    direct = [check_proposal(Proposal(i.geometry, ZONE, name=i.name), default_index()) for i in items]
    assert [r.verdict for r in run.results] == [r.verdict for r in direct]
    assert [[x.status for x in r.rules] for r in run.results] == [[x.status for x in r.rules] for r in direct]
    ws = Workspace(tmp_path)
    run = run_checks(items, ZONE, save=True, workspace=ws, source="test")
    assert len(run.saved) == 2 and list(ws.list_proposals()["name"]) == ["东扩", "远处"]
    bad = [ProposalParcels(geometry=ring, name="好"), ProposalParcels(geometry=ring, name="  ")]  # no name: refused
    with pytest.raises(ParkmapError):
        run_checks(bad, ZONE, save=True, workspace=ws)
    assert len(ws.list_proposals()) == 2  # nothing of the failed batch


def test_options_reach_the_check_and_a_rules_file_is_used(tmp_path, ring):
    run = run_checks([ProposalParcels(geometry=ring, name="x")], ZONE, CheckOptions(type="adjust", chemical=True))
    r = run.results[0]
    assert r.type == "adjust" and r.chemical is True
    rules = tmp_path / "rules.yaml"
    from geo.rules import DEFAULT_RULES_PATH

    rules.write_text(DEFAULT_RULES_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    run = run_checks([ProposalParcels(geometry=ring, name="x")], ZONE, rules_path=rules)
    assert str(rules) in str(run.rules.source)


def test_unknown_zone_and_layer_permission(tmp_path, ring):
    with pytest.raises(ParkmapError) as err:
        run_checks([ProposalParcels(geometry=ring)], "NOPE", layers=tmp_path / "does-not-exist")
    assert "NOPE" in str(err.value)  # the zone is refused before the (missing) layer folder is read
    ws = Workspace(tmp_path / "home")
    from geo import accounts

    accounts.add_user(ws, "boss", "admin", "boss-pass-1")
    own = tmp_path / "mine"
    own.mkdir()
    with pytest.raises(ParkmapError) as err:
        run_checks([ProposalParcels(geometry=ring)], ZONE, layers=own, workspace=ws, actor=Actor("li", "planner"))
    assert err.value.code == "forbidden"
