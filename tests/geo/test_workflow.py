"""The one workflow state (issue #8): reopen restores everything, names follow the zone, stale results drop."""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry import box

from geo.workflow import Workflow, default_name

SHORT = {"Z1": "成都高新区", "Z2": "阿坝工业园"}
A = box(104.00, 30.60, 104.01, 30.61)
B = box(104.02, 30.60, 104.03, 30.61)


@dataclass
class FakeResult:
    name: str = "x"
    verdict: str = "pass"


@dataclass
class FakeSaved:
    id: int
    name: str
    zone_id: str
    geometry: object
    options: dict = field(default_factory=dict)


@dataclass
class FakeCheck:
    id: int
    result: FakeResult

    def to_result(self):
        return self.result


def test_name_follows_zone_until_typed_then_stays():
    wf = Workflow()
    wf.set_geometry(A, source="drawn")
    wf.set_zone("Z2")
    assert wf.display_name(SHORT) == "阿坝工业园扩区方案"
    wf.set_zone("Z1")  # the stale-name bug: the default must follow the zone
    assert wf.display_name(SHORT) == "成都高新区扩区方案"
    wf.set_options(type="adjust")
    assert wf.display_name(SHORT) == "成都高新区调区方案"
    wf.rename("  东区二期  ", SHORT)
    wf.set_zone("Z2")
    assert wf.display_name(SHORT) == "东区二期"
    wf.rename(default_name("阿坝工业园", "adjust"), SHORT)  # typing the default goes back to following
    wf.set_zone("Z1")
    assert wf.display_name(SHORT) == "成都高新区调区方案"


def test_result_is_dropped_when_an_input_changes_but_not_on_rename():
    wf = Workflow()
    wf.set_geometry(A, source="drawn")
    wf.set_zone("Z1")
    wf.checked(FakeResult(name="成都高新区扩区方案"))
    assert wf.current_result(SHORT) is not None
    wf.rename("新名称", SHORT)
    got = wf.current_result(SHORT)
    assert got is not None and got.name == "新名称"  # renamed result, no re-check needed
    wf.set_options(chemical=True)
    assert wf.current_result(SHORT) is None
    wf.set_options(chemical=False)
    wf.checked(FakeResult())
    wf.set_zone("Z2")
    assert wf.current_result(SHORT) is None
    wf.checked(FakeResult())
    wf.set_geometry(B, source="drawn")
    assert wf.current_result(SHORT) is None


def test_reopen_restores_the_whole_proposal():
    wf = Workflow()
    wf.set_geometry(B, source="upload:x.geojson")
    wf.set_zone("Z2")
    wf.set_options(type="expand", chemical=False, major_project=False)
    saved = FakeSaved(7, "东区扩区", "Z1", A, {"type": "adjust", "chemical": True, "major_project": True,
                                             "removed": {"type": "Polygon", "coordinates": [list(B.exterior.coords)]},
                                             "official_dir": "/tmp/layers/abc", "parcels": [{"label": "地块1"}]})
    focus = wf.focus
    wf.reopen(saved, FakeCheck(11, FakeResult(name="东区扩区", verdict="fail")))
    assert wf.geometry.equals(A) and wf.zone_id == "Z1" and wf.type == "adjust"
    assert wf.chemical and wf.major_project and wf.removed.equals(B)
    assert wf.official_dir == "/tmp/layers/abc" and wf.parcels == [{"label": "地块1"}]
    assert wf.display_name(SHORT) == "东区扩区" and wf.proposal_id == 7 and wf.check_id == 11
    assert wf.current_result(SHORT).verdict == "fail"
    assert wf.focus == focus + 1 and wf.zone_by_planner
    assert wf.saved_matches(saved, SHORT)
    wf.rename("改名", SHORT)
    assert not wf.saved_matches(saved, SHORT)


def test_suggested_zone_never_overrides_the_planners_choice():
    wf = Workflow()
    wf.suggest_zone("Z2", 1234.0)
    assert wf.zone_id == "Z2" and wf.zone_distance_m == 1234.0
    wf.set_zone("Z1")
    wf.suggest_zone("Z2", 10.0)
    assert wf.zone_id == "Z1"


def test_clear_forgets_everything_and_refocuses():
    wf = Workflow()
    wf.set_geometry(A, source="drawn")
    wf.set_zone("Z1")
    wf.rename("x", SHORT)
    wf.checked(FakeResult())
    f = wf.focus
    wf.clear()
    assert wf.geometry is None and wf.result is None and wf.name == "" and wf.zone_id == ""
    assert wf.focus == f + 1


def test_same_geometry_again_keeps_the_result():
    wf = Workflow()
    wf.set_geometry(A, source="drawn")
    wf.set_zone("Z1")
    wf.checked(FakeResult())
    assert wf.set_geometry(A, source="drawn") is False
    assert wf.current_result(SHORT) is not None


def test_review_fixes_names_and_saved_ids():
    # a saved default name keeps following the zone after reopen
    wf = Workflow()
    saved = FakeSaved(3, "成都高新区扩区方案", "Z1", A, {"type": "expand"})
    wf.reopen(saved, FakeCheck(5, FakeResult()), SHORT)
    assert wf.name == "" and wf.display_name(SHORT) == "成都高新区扩区方案"
    wf.set_zone("Z2")
    assert wf.display_name(SHORT) == "阿坝工业园扩区方案"
    # renaming a saved proposal: the result stays, the saved ids no longer describe it
    wf2 = Workflow()
    wf2.reopen(FakeSaved(4, "东区", "Z1", A, {}), FakeCheck(6, FakeResult(name="东区")), SHORT)
    assert wf2.check_id == 6
    wf2.rename("东区二期", SHORT)
    assert wf2.check_id is None and wf2.current_result(SHORT).name == "东区二期"
    # a file's scheme name goes with its geometry; a typed name stays
    wf3 = Workflow()
    wf3.set_geometry(A, source="upload:a.txt")
    wf3.name_from_file("A方案")
    assert wf3.display_name(SHORT) == "A方案"
    wf3.set_geometry(B, source="drawn")
    assert wf3.name == ""
    wf3.rename("我的", SHORT)
    wf3.set_geometry(A, source="drawn")
    assert wf3.name == "我的"
    # the same geometry from another source is a new record: no stale check id
    wf4 = Workflow()
    wf4.reopen(FakeSaved(9, "x", "Z1", A, {}), FakeCheck(10, FakeResult()), SHORT)
    wf4.set_geometry(A, source="upload:a.txt")
    assert wf4.proposal_id is None and wf4.check_id is None
