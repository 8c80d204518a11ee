"""The check sequence, once: choose the control layers, build the proposals, check, save.

``parkmap check``, ``parkmap report``/``snapshot`` on a file and the app's
核查 button all run :func:`run_checks`, so they cannot drift apart (they
used to: one loaded ``--rules``, another always the default rules).  Reading
the file stays with each front (the CLI reads a path; the app reads an upload
once and keeps it), and so does the app's later 保存 click, which goes
through :meth:`geo.workspace.Workspace.save_checked` like ``save=True`` here.

Examples
--------
>>> CheckOptions(type="adjust").as_dict()["type"]
'adjust'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from geo.auth import Actor
from geo.errors import ParkmapError


@dataclass(frozen=True)
class CheckOptions:
    """The planner's choices for a check (the same for every proposal of one run).

    Attributes
    ----------
    type : {"expand", "adjust"}
        扩区 or 调区.
    chemical, major_project : bool
        化工园区/化工项目; 国家重大建设项目.
    repair : bool
        Invalid parcels were repaired on request (recorded in the check).
    """

    type: str = "expand"
    chemical: bool = False
    major_project: bool = False
    repair: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckRun:
    """What :func:`run_checks` did.

    Attributes
    ----------
    zone : dict
        The resolved zone record.
    index : geo.check.ControlIndex
        The control layers used (official ones when given).
    rules : geo.rules.RuleSet
    proposals : list of geo.check.Proposal
    results : list of geo.check.CheckResult
    saved : list of (proposal_id, check_id) or None
        When ``save=True``: all of them, saved in one transaction.
    """

    zone: dict[str, Any]
    index: Any
    rules: Any
    proposals: list[Any] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    saved: list[tuple[int, int]] | None = None


def layers_permitted(workspace: Any, actor: Actor | None, folder: str | Path) -> None:
    """May ``actor`` check against the official layers in ``folder``?

    Layer sets an admin imported into the workspace (``$PARKMAP_HOME/layers/``)
    are for everyone; any other folder is an import and, once accounts exist,
    needs the ``import_layers`` permission (a planner must not swap the
    control lines a verdict rests on).
    """
    if workspace is None or actor is None or not workspace.has_accounts():
        return
    try:
        Path(folder).resolve().relative_to((workspace.home / "layers").resolve())
    except ValueError:
        actor.require("import_layers")


def control_index(layers: str | Path | None = None, *, workspace: Any = None, actor: Actor | None = None) -> Any:
    """The control index: embedded, with the database's official layers, then those of ``layers``.

    With ``PARKMAP_DATABASE_URL`` set, the current version of every control
    layer imported into the database (``parkmap layers import``) replaces the
    embedded one (:func:`geo.db.layers.with_database_layers`: queried per
    proposal, never loaded whole).  A ``layers`` folder (permission checked
    first) replaces the layers it holds.
    """
    from geo import settings
    from geo.check import default_index

    index = default_index()
    url = settings.database_url()
    if url:
        from geo.db.layer_query import with_database_layers

        index = with_database_layers(index, url)
    if layers is None:
        return index
    layers_permitted(workspace, actor, layers)
    return index.with_layers(layers)


def run_checks(items: Sequence[Any], zone_ref: str, options: CheckOptions = CheckOptions(), *,
               removed: Any = None, index: Any = None, layers: str | Path | None = None,
               rules_path: str | Path | None = None, save: bool = False, workspace: Any = None,
               actor: Actor | None = None, source: str = "") -> CheckRun:
    """Check proposals of one zone, and optionally save them all-or-nothing.

    Parameters
    ----------
    items : sequence of geo.proposal.ProposalParcels
        One per proposal (a file's parcels together, or one per feature).
    zone_ref : str
        Zone id or catalogue code (unknown → ``ParkmapError`` before any work).
    options : CheckOptions
    removed : geo.proposal.ProposalParcels, optional
        The parts an 调区 gives up.
    index : geo.check.ControlIndex, optional
        Ready index (the app keeps one per layer set); else built from ``layers``.
    layers : path, optional
        Folder of official control layers (:func:`layers_permitted` applies).
    rules_path : path, optional
        Rules file; default ``data/rules.yaml``.
    save : bool
        Save every proposal with its check in one transaction (needs ``workspace``).
    workspace, actor
        Where to save, and who acts (permissions are the workspace's).
    source : str
        Recorded with each saved proposal, e.g. ``cli:plan.txt``.

    Returns
    -------
    CheckRun
    """
    from geo.check import Proposal, check_proposal, default_rules
    from geo.rules import load_rules

    if index is None:
        from geo.zones import resolve_zone

        zone = resolve_zone(zone_ref)  # from the zone table alone: an unknown zone is refused before any index is built
        index = control_index(layers, workspace=workspace, actor=actor)
    else:
        zone = index.resolve_zone(zone_ref)
    rules = default_rules() if rules_path is None else load_rules(rules_path)
    extra = list(removed.repairs) if removed is not None else []
    proposals = [Proposal(geometry=item.geometry, zone_id=zone["zone_id"], type=options.type,
                          chemical=options.chemical, major_project=options.major_project,
                          removed=removed.geometry if removed is not None else None, name=item.name,
                          parcels=item.parcels or None, repair=options.repair, repaired=list(item.repairs) + extra)
                 for item in items]
    results = [check_proposal(p, index, rules) for p in proposals]
    run = CheckRun(zone=zone, index=index, rules=rules, proposals=proposals, results=results)
    if save:
        if workspace is None:
            raise ParkmapError("没有工作区，无法保存", "No workspace to save into", code="workspace")
        from geo.workspace import SaveItem

        run.saved = workspace.save_checked(
            [SaveItem(p.name, r.geometry, zone["zone_id"], r, p.options() | {"removed": None}, source)
             for p, r in zip(proposals, results)], actor=actor)
    return run


__all__ = ["CheckOptions", "CheckRun", "control_index", "layers_permitted", "run_checks"]
