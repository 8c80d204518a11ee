"""The planner's current proposal: one state object for the whole check workflow.

The app keeps exactly one :class:`Workflow` per session.  Every screen reads
the proposal, its zone, type, flags, name and the last check result from it,
and every change goes through one of its methods, so reopening a saved
proposal, changing the zone or switching the language cannot leave part of
the state behind (issue #8).

Rules it enforces
-----------------
* A check result belongs to the inputs it was computed from
  (:meth:`Workflow.inputs_key`).  Changing the geometry, zone, type, chemical
  or major-project flag, the repair choice, removed parts or the
  official-layer set drops the result: a stale verdict can never be exported
  or saved.
* The proposal name belongs to the planner.  Until they type one it follows
  the current zone (``<区名>扩区方案`` / ``<区名>调区方案``); once typed it
  stays, and renaming after a check renames the result too (no re-check
  needed, the name is not a check input).
* Reopening a saved proposal restores all of it: geometry, zone, type, flags,
  name, removed parts, official-layer set and its last check.

Pure Python: no Streamlit, so it is tested directly.

Examples
--------
>>> from shapely.geometry import box
>>> wf = Workflow()
>>> wf.set_geometry(box(104.0, 30.6, 104.01, 30.61), source="drawn")
True
>>> wf.set_zone("Z1", by_planner=True)
>>> wf.display_name({"Z1": "成都高新区"})
'成都高新区扩区方案'
>>> wf.rename("我的方案", {"Z1": "成都高新区"})
>>> wf.display_name({"Z1": "成都高新区"})
'我的方案'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

if TYPE_CHECKING:  # pragma: no cover
    from geo.check.model import CheckResult
    from geo.workspace import SavedCheck, SavedProposal

#: Proposal types and the default-name suffix of each.
NAME_SUFFIX: dict[str, tuple[str, str]] = {"expand": ("扩区方案", " expansion"), "adjust": ("调区方案", " adjustment")}


def default_name(zone_short: str, ptype: str = "expand") -> str:
    """The name a proposal gets until the planner types one: ``<区名>扩区方案``.

    >>> default_name("成都高新区")
    '成都高新区扩区方案'
    >>> default_name("成都高新区", "adjust")
    '成都高新区调区方案'
    """
    return f"{zone_short}{NAME_SUFFIX.get(ptype, NAME_SUFFIX['expand'])[0]}" if zone_short else ""


@dataclass
class Workflow:
    """The proposal being worked on and its last check.

    Attributes
    ----------
    geometry : Polygon or MultiPolygon, optional
        CGCS2000 lon/lat (EPSG:4490).  Drawn geometry arrives already shifted
        back from GCJ-02 when it was drawn on the Gaode basemap.
    source : str
        ``drawn``, ``upload:<file name>`` or ``saved:<id>``.
    parcels : list of dict
        Per-parcel labels and areas of a multi-parcel upload (may be empty).
    zone_id : str
        The zone the proposal belongs to.
    zone_by_planner : bool
        True once the planner picked the zone; until then it follows the map
        selection or the nearest zone of an upload.
    zone_distance_m : float, optional
        Distance of the proposal to the suggested zone's nearest park.
    type, chemical, major_project
        Check options.
    repair : bool
        自动修复无效地块: repair invalid parcels (``make_valid``) instead of
        refusing them; the check records each repair (area before and after).
    repairs : list of dict
        Repairs made when the current geometry was read from a file
        (:attr:`geo.proposal.ProposalParcels.repairs`); they go with the geometry.
    name : str
        The proposal's own name (``""``: the default from the zone).
    name_typed : bool
        True when the planner typed ``name`` (or it was the saved name of a
        reopened proposal); a name taken from a file's 方案名称 is not typed and
        goes with its geometry.
    removed : geometry, optional
        调区: the parts taken out.
    official_dir : str, optional
        Folder of imported official control layers (``None``: embedded layers).
    proposal_id, check_id : int, optional
        The saved records this state was reopened from or saved to.
    result : CheckResult, optional
        The last check of exactly these inputs.
    result_key : tuple
        :meth:`inputs_key` at the time of the check.
    focus : int
        Incremented whenever the map should zoom to the proposal (new geometry
        or reopen); the map keeps the planner's view otherwise.
    geom_digest, area_m2
        Computed once per geometry (a 50,000-parcel proposal takes a second to
        measure): the digest keys results and map caches, the area is shown.
    """

    geometry: BaseGeometry | None = None
    source: str = ""
    parcels: list[dict[str, Any]] = field(default_factory=list)
    zone_id: str = ""
    zone_by_planner: bool = False
    zone_distance_m: float | None = None
    type: str = "expand"
    chemical: bool = False
    major_project: bool = False
    repair: bool = False
    repairs: list[dict[str, Any]] = field(default_factory=list)
    name: str = ""
    name_typed: bool = False
    removed: BaseGeometry | None = None
    official_dir: str | None = None
    proposal_id: int | None = None
    check_id: int | None = None
    result: CheckResult | None = None
    result_key: tuple[object, ...] = ()
    focus: int = 0
    geom_digest: str = ""
    area_m2: float | None = None

    # ----------------------------------------------------------------- reading

    def inputs_key(self) -> tuple[object, ...]:
        """Everything a check result depends on (the name is not among them)."""
        return (self.geom_digest or None, self.zone_id, self.type,
                bool(self.chemical), bool(self.major_project),
                self.removed.wkb if self.removed is not None else None, self.official_dir or "", bool(self.repair))

    def display_name(self, zone_short: Mapping[str, str]) -> str:
        """The planner's name, else the default from the current zone and type."""
        return self.name or default_name(zone_short.get(self.zone_id, ""), self.type)

    def current_result(self, zone_short: Mapping[str, str]) -> CheckResult | None:
        """The last result if it still matches the inputs, carrying the current name; else None."""
        if self.result is None or self.result_key != self.inputs_key():
            return None
        name = self.display_name(zone_short)
        if getattr(self.result, "name", name) != name:
            return dataclasses.replace(self.result, name=name)
        return self.result

    def options(self) -> dict[str, Any]:
        """What is saved with the proposal so that reopening restores it."""
        from shapely.geometry import mapping

        from geo.proposal import normalize_parcels, parcels_to_json

        return {"type": self.type, "chemical": bool(self.chemical), "major_project": bool(self.major_project),
                "repair": bool(self.repair), "repairs": [dict(r) for r in self.repairs],
                "removed": mapping(self.removed) if self.removed is not None else None,
                "official_dir": self.official_dir,
                "parcels": parcels_to_json(normalize_parcels(self.parcels, None)) if self.parcels else []}

    # ----------------------------------------------------------------- changes

    def _set_geom(self, geometry: BaseGeometry | None) -> None:
        import hashlib

        from geo.area import geodesic_area_m2

        self.geometry = geometry
        self.geom_digest = hashlib.sha256(geometry.wkb).hexdigest() if geometry is not None else ""
        self.area_m2 = float(geodesic_area_m2(geometry)) if geometry is not None else None

    def _drop_result(self) -> None:
        self.result = None
        self.result_key = ()
        self.check_id = None

    def _changed(self) -> None:
        """Inputs changed: the saved check no longer describes them."""
        if self.result is not None and self.result_key != self.inputs_key():
            self._drop_result()

    def set_geometry(self, geometry: BaseGeometry | None, *, source: str,
                     parcels: list[dict[str, Any]] | None = None, repairs: list[dict[str, Any]] | None = None) -> bool:
        """A new proposal geometry (drawn or uploaded).  Returns True when it differs.

        ``repairs`` are the repairs made to it when it was read (kept with it).
        """
        same = (geometry is None and self.geometry is None) or (
            geometry is not None and self.geometry is not None and geometry.equals_exact(self.geometry, 0.0))
        self.repairs = [dict(r) for r in repairs or []]
        if same and source == self.source:
            return False
        if not same:
            self._set_geom(geometry)
            self.focus += 1
            if not self.name_typed:
                self.name = ""  # a name that came with the old geometry (a file's 方案名称) goes with it
        self.source = source
        self.parcels = list(parcels or [])
        self.proposal_id = None  # a new geometry or source is a new proposal record
        self.check_id = None
        self.removed = None
        self._changed()
        return not same

    def suggest_zone(self, zone_id: str, distance_m: float | None = None) -> None:
        """Zone from the map selection or the nearest parks; ignored once the planner picked one."""
        if self.zone_by_planner or not zone_id or zone_id == self.zone_id:
            return
        self.zone_id = zone_id
        self.zone_distance_m = distance_m
        self._changed()

    def set_zone(self, zone_id: str, *, by_planner: bool = True) -> None:
        if by_planner:
            self.zone_by_planner = True
        if zone_id == self.zone_id:
            return
        self.zone_id = zone_id
        self.zone_distance_m = None
        self._changed()

    def set_options(self, *, type: str | None = None, chemical: bool | None = None,
                    major_project: bool | None = None, repair: bool | None = None) -> None:
        """Change check options; a change drops the result of the old ones."""
        if type is not None:
            self.type = type
        if chemical is not None:
            self.chemical = bool(chemical)
        if major_project is not None:
            self.major_project = bool(major_project)
        if repair is not None:
            self.repair = bool(repair)
        self._changed()

    def set_official_dir(self, folder: str | None) -> None:
        self.official_dir = folder or None
        self._changed()

    def rename(self, text: str, zone_short: Mapping[str, str]) -> None:
        """The planner typed a name; typing the default (or nothing) goes back to following the zone.

        A renamed proposal is no longer the saved record: the result stays (the
        name is not a check input) but it has to be saved again.
        """
        text = (text or "").strip()
        before = self.display_name(zone_short)
        self.name = "" if text == default_name(zone_short.get(self.zone_id, ""), self.type) else text
        self.name_typed = bool(self.name)
        if self.display_name(zone_short) != before:
            self.check_id = None

    def name_from_file(self, text: str) -> None:
        """The scheme name a file carries (方案名称): used until the planner types one."""
        if not self.name_typed and text:
            self.name = text

    def checked(self, result: CheckResult) -> None:
        """Keep ``result`` as the check of the current inputs (not yet saved)."""
        self.result = result
        self.result_key = self.inputs_key()
        self.check_id = None

    def saved(self, proposal_id: int, check_id: int | None, result: CheckResult | None = None) -> None:
        self.proposal_id = proposal_id
        self.check_id = check_id
        if result is not None:
            self.result = result
            self.result_key = self.inputs_key()
        self.source = f"saved:{proposal_id}"

    def reopen(self, proposal: SavedProposal, last_check: SavedCheck | None = None, zone_short: Mapping[str, str] | None = None) -> None:
        """Restore a saved proposal completely (``geo.workspace.SavedProposal``) and its last check.

        A saved name equal to its zone's default (``<区名>扩区方案``) was never
        typed: it keeps following the zone.
        """
        opts = dict(proposal.options or {})
        removed = opts.get("removed")
        self._set_geom(proposal.geometry)
        self.source = f"saved:{proposal.id}"
        self.parcels = list(opts.get("parcels") or [])
        self.zone_id = proposal.zone_id
        self.zone_by_planner = True
        self.zone_distance_m = None
        self.type = opts.get("type") or "expand"
        self.chemical = bool(opts.get("chemical"))
        self.major_project = bool(opts.get("major_project"))
        self.repair = bool(opts.get("repair"))
        self.repairs = [dict(r) for r in opts.get("repairs") or []]  # how the saved (repaired) geometry came about
        self.removed = shape(removed) if isinstance(removed, dict) else None
        self.official_dir = opts.get("official_dir") or None
        saved_name = proposal.name or ""
        default = default_name((zone_short or {}).get(proposal.zone_id, ""), self.type)
        self.name = "" if saved_name == default else saved_name
        self.name_typed = bool(self.name)
        self.proposal_id = proposal.id
        self._drop_result()
        if last_check is not None:
            self.result = last_check.to_result()
            self.result_key = self.inputs_key()
            self.check_id = last_check.id
        self.focus += 1

    def clear(self) -> None:
        """清除方案: forget the proposal and its result; keep nothing of it."""
        focus = self.focus
        for f in dataclasses.fields(self):
            setattr(self, f.name, f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default)
        self.focus = focus + 1

    def saved_matches(self, proposal: SavedProposal | None, zone_short: Mapping[str, str]) -> bool:
        """True when the saved ``proposal`` has exactly the current geometry, zone, name and options."""
        if proposal is None or self.geometry is None:
            return False
        opts = dict(proposal.options or {})
        return (proposal.geometry.equals_exact(self.geometry, 1e-12) and proposal.zone_id == self.zone_id
                and (proposal.name or "") == self.display_name(zone_short) and (opts.get("type") or "expand") == self.type
                and bool(opts.get("chemical")) == self.chemical
                and bool(opts.get("major_project")) == self.major_project
                and bool(opts.get("repair")) == self.repair
                and (opts.get("official_dir") or None) == self.official_dir)
