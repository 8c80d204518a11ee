"""Saved proposals, checks, accounts and the audit trail.

One SQLite file, ``$PARKMAP_HOME/workspace.sqlite`` (``PARKMAP_HOME`` defaults
to ``~/.parkmap``), in WAL mode; the folder is ``0700`` and the file ``0600``
(readable by its owner only).

Opening, connections, transactions and verification
    :class:`geo.workspace_file.WorkspaceFile` (the file layer this class
    builds on): read-only inspection before any write, quick verify on open,
    a full walk whenever the file changed, owner-only modes.

Records (all append-only, hash-chained: :mod:`geo.audit`)
    * ``proposals``: name, zone, options, source, geometry (WKB + GeoJSON,
      lon/lat EPSG:4490), geodesic area, who and when;
    * ``checks``: inputs, geometry, layer and rule hashes, the whole result
      document; an override is a new row pointing at the check it amends;
    * ``events``: every save, check, override, deletion, restore, report, layer
      import, login and account change, with the user and role;
    * ``users``: accounts; a password change or disabling is a new row.

Durability
    Every write is one ``BEGIN IMMEDIATE`` transaction with
    ``synchronous=FULL``: a crash or error leaves nothing half-written.
    A proposal and its check are saved together (:meth:`Workspace.save_checked`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import _GeneratorContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from geo import audit, settings
from geo.audit import Con, query_frame
from geo.area import geodesic_area_m2
from geo.auth import Actor, local_actor
from geo.errors import ParkmapError
from geo.workspace_pg import PgStore
from geo.workspace_file import (  # noqa: F401 (re-exported: the workspace's settings live with the file layer)
    BUSY_TIMEOUT_MS, DB_NAME, HOME_ENV, QUICK_ROWS, SCHEMA_VERSION, WRITE_ROWS, _RESTORE_HINT, WorkspaceFile, _now,
    default_home)

_OWN_METHOD = frozenset({"save_proposal", "check", "override", "delete", "restore", "migrate", "migrate_link",
                         "login_failed", "user_add", "user_passwd", "user_disable", "user_enable"})
#: What :meth:`Workspace.save_check` may record.
CHECK_KINDS = ("check", "override")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, allow_nan=False, default=str)


@dataclass(frozen=True)
class SavedProposal:
    """A proposal as stored (geometry lon/lat EPSG:4490)."""

    id: int
    name: str
    zone_id: str
    options: dict[str, Any]
    source: str
    geometry: BaseGeometry
    area_m2: float
    created_at: str
    deleted: bool
    deleted_at: str | None
    created_by: str = ""
    created_role: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "zone_id": self.zone_id, "options": self.options,
                "source": self.source, "geometry": mapping(self.geometry), "area_m2": self.area_m2,
                "created_at": self.created_at, "created_by": self.created_by, "created_role": self.created_role,
                "deleted": self.deleted, "deleted_at": self.deleted_at}


@dataclass(frozen=True)
class SavedCheck:
    """One immutable check record."""

    id: int
    proposal_id: int
    parent_check_id: int | None
    kind: str
    created_at: str
    verdict: str
    inputs: dict[str, Any]
    geometry: BaseGeometry | None
    layer_hashes: dict[str, str]
    rules_hash: str
    result: dict[str, Any]
    created_by: str = ""
    created_role: str = ""

    def to_result(self) -> Any:
        """The stored document as a :class:`geo.check.CheckResult`."""
        from geo.check import CheckResult

        try:
            return CheckResult.from_dict(self.result)
        except (KeyError, TypeError, ValueError) as exc:
            raise ParkmapError(f"核查记录 #{self.id} 的内容无法读取（{type(exc).__name__}）",
                               f"Check record #{self.id} cannot be read ({type(exc).__name__})",
                               _RESTORE_HINT, code="workspace-damaged") from exc


@dataclass(frozen=True)
class SaveItem:
    """One proposal and its check, for :meth:`Workspace.save_checked`."""

    name: str
    geometry: BaseGeometry
    zone_id: str
    result: Any
    options: dict[str, Any] | None = None
    source: str = ""


class WorkspaceRecords:
    """Saved proposals, checks, accounts and events, on the store it is mixed into.

    The record methods of :class:`Workspace` (the embedded SQLite file) and
    :class:`PgWorkspace` (PostgreSQL): the same SQL (``?`` placeholders) and
    the same hash chains (:mod:`geo.audit`) on both.  The store provides
    ``_connect()``, ``_write()``, ``path`` and ``tamper``
    (:class:`geo.workspace_file.WorkspaceFile`, :class:`geo.workspace_pg.PgStore`).

    Notes
    -----
    Writes take ``actor`` (:class:`geo.auth.Actor`).  Without one, the OS user
    acts with every permission, which is allowed only while no account exists
    (the single-user default); once accounts exist, a write without an actor
    is refused.
    """

    if TYPE_CHECKING:  # provided by the store class
        path: Any
        tamper: audit.Finding | None

        def _connect(self) -> _GeneratorContextManager[Any]: ...

        def _write(self) -> _GeneratorContextManager[Any]: ...

    def head(self) -> tuple[int, str]:
        """The audit chain head ``(event id, hash)`` (:func:`geo.audit.chain_head`)."""
        with self._connect() as con:
            return audit.chain_head(con)

    def check_head(self, event_id: int, digest: str) -> audit.Finding | None:
        """Does event ``event_id`` still carry ``digest`` (as printed on a report)?"""
        with self._connect() as con:
            return audit.check_head(con, event_id, digest)

    def has_accounts(self) -> bool:
        """Does any account exist (then every write needs a logged-in actor)?"""
        with self._connect() as con:
            return con.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def actor_or_default(self, actor: Actor | None) -> Actor:
        """``actor``, or the OS user while no account exists; else a ``login`` error."""
        if actor is not None:
            return actor
        if self.has_accounts():
            raise ParkmapError("需要登录：本工作区已设置账号", "Login required: this workspace has accounts",
                               "在命令行加 --user 账号名 / pass --user NAME", code="login")
        return local_actor()

    def _event(self, con: Con, actor: Actor, action: str, proposal_id: int | None = None,
               check_id: int | None = None, detail: dict[str, Any] | None = None) -> int:
        """Append one event; its detail also records how the actor was identified (``via``)."""
        detail = dict(detail or {}) | {"via": actor.via}
        values = {"at": _now(), "user": actor.name, "role": actor.role, "action": action,
                  "proposal_id": proposal_id, "check_id": check_id, "detail_json": _dumps(detail)}
        return audit.append(con, "events", values)[0]

    def record(self, action: str, *, actor: Actor | None = None, proposal_id: int | None = None,
               check_id: int | None = None, detail: dict[str, Any] | None = None,
               permission: str | None = None) -> int:
        """Append one audit event (a report written, layers imported…); returns its id.

        ``permission`` (an action of :data:`geo.auth.ROLES`) is checked first when given.
        """
        if action in _OWN_METHOD:  # a "delete" written here would hide anyone's proposal, unchecked
            raise ParkmapError(f"审计事件 {action} 只能由对应的操作写入", f"The audit event {action} is written by its own "
                               "operation only", code="usage")
        who = self.actor_or_default(actor)
        if permission:
            who.require(permission)
        with self._write() as con:
            return self._event(con, who, action, proposal_id, check_id, detail)

    # -- proposals ------------------------------------------------------------------------------
    def _insert_proposal(self, con: Con, who: Actor, name: str, geom: BaseGeometry, zone_id: str,
                         options: dict[str, Any] | None, source: str) -> int:
        from geo.check import prepare_proposal_geometry

        geom, _ = prepare_proposal_geometry(geom)
        if not str(name or "").strip():
            raise ParkmapError("方案名称不能为空", "The proposal needs a name", code="workspace")
        values = {"name": str(name).strip(), "zone_id": str(zone_id), "options_json": _dumps(options or {}),
                  "source": str(source or ""), "geom_wkb": shapely.to_wkb(geom), "geom_geojson": _dumps(mapping(geom)),
                  "area_m2": float(geodesic_area_m2(geom)), "created_at": _now(), "created_by": who.name,
                  "created_role": who.role}
        pid, digest = audit.append(con, "proposals", values)
        self._event(con, who, "save_proposal", pid, None, {"name": values["name"], "zone_id": values["zone_id"],
                                                           "source": values["source"], "proposal_hash": digest})
        return pid

    def save_proposal(self, name: str, geom: BaseGeometry, zone_id: str, options: dict[str, Any] | None = None,
                      source: str = "", *, actor: Actor | None = None) -> int:
        """Store a proposal (without a check); returns its id.

        Parameters
        ----------
        name : str
        geom : Polygon or MultiPolygon
            Lon/lat EPSG:4490 (validated like a checked proposal).
        zone_id : str
        options : dict, optional
            The planner's choices (type, chemical, major_project, removed…).
        source : str
            Where it came from: ``"drawn"``, ``"upload:<file>"``, ``"cli:<file>"``…
        actor : geo.auth.Actor, optional
            Needs the ``save`` permission.
        """
        who = self.actor_or_default(actor)
        who.require("save")
        with self._write() as con:
            return self._insert_proposal(con, who, name, geom, zone_id, options, source)

    def save_checked(self, items: Sequence[SaveItem], *, actor: Actor | None = None) -> list[tuple[int, int]]:
        """Save proposals with their checks in ONE transaction: all or nothing.

        Rules a reviewer overrode before the first save are recorded as
        ``override`` events (rule, original and new status, reason).

        Returns
        -------
        list of (proposal_id, check_id)
        """
        who = self.actor_or_default(actor)
        who.require("save")
        out = []
        with self._write() as con:
            for item in items:
                pid = self._insert_proposal(con, who, item.name, item.geometry, item.zone_id, item.options, item.source)
                cid = self._insert_check(con, who, pid, item.result, None, None, None, "check")
                out.append((pid, cid))
        return out

    def list_proposals(self, include_deleted: bool = False) -> pd.DataFrame:
        """One row per proposal with its latest check and state.

        Columns: id, name, zone_id, source, area_m2, created_at, created_by,
        created_role, deleted, deleted_at, deleted_by, n_checks, last_check_id,
        last_verdict, last_checked_at, last_checked_by.
        """
        sql = """
            SELECT p.id, p.name, p.zone_id, p.source, p.area_m2, p.created_at, p.created_by, p.created_role,
                   CASE WHEN d.action = 'delete' THEN 1 ELSE 0 END AS deleted,
                   CASE WHEN d.action = 'delete' THEN d.at END AS deleted_at,
                   CASE WHEN d.action = 'delete' THEN d."user" END AS deleted_by,
                   (SELECT COUNT(*) FROM checks c WHERE c.proposal_id = p.id) AS n_checks,
                   c.id AS last_check_id, c.verdict AS last_verdict, c.created_at AS last_checked_at,
                   c.created_by AS last_checked_by
            FROM proposals p
            LEFT JOIN checks c ON c.id = (SELECT MAX(id) FROM checks WHERE proposal_id = p.id)
            LEFT JOIN events d ON d.id = (SELECT MAX(id) FROM events WHERE proposal_id = p.id
                                          AND action IN ('delete', 'restore'))
        """
        sql = f"SELECT * FROM ({sql}) AS listed" + ("" if include_deleted else " WHERE deleted = 0") + " ORDER BY id"
        with self._connect() as con:
            df = query_frame(con, sql)
        df["deleted"] = df["deleted"].astype(bool)
        return df

    def _verified_row(self, con: Con, table: str, row_id: int) -> dict[str, Any] | None:
        values, found = audit.verify_row(con, table, row_id)  # own hash, next row's link, the events' record
        if found is not None:
            self.tamper = found  # and from now on this object refuses to write
            raise ParkmapError(f"{table} 表第 {row_id} 条记录与其校验值不符（被改动），拒绝读取：{found.zh}（{self.path}）",
                               f"{table} row #{row_id} does not match its hash (edited); refusing to read it: "
                               f"{found.en} ({self.path})", _RESTORE_HINT, code="workspace-tampered")
        return values

    def get_proposal(self, proposal_id: int) -> SavedProposal:
        """The stored proposal (also when soft-deleted); its row hash is verified first.

        Raises
        ------
        ParkmapError
            ``code="not-found"`` for an unknown id, ``workspace-tampered`` for
            an edited row, ``workspace-damaged`` for unreadable content.
        """
        with self._connect() as con:
            v = self._verified_row(con, "proposals", proposal_id)
            state = con.execute("SELECT action, at FROM events WHERE proposal_id = ? AND action IN ('delete','restore') "
                                "ORDER BY id DESC LIMIT 1", (int(proposal_id),)).fetchone()
        if v is None:
            raise ParkmapError(f"没有编号为 {proposal_id} 的方案", f"No proposal with id {proposal_id}", code="not-found")
        deleted = state is not None and state[0] == "delete"
        return SavedProposal(id=v["id"], name=v["name"], zone_id=v["zone_id"],
                             options=_loads(v["options_json"], "proposals", v["id"]), source=v["source"],
                             geometry=shapely.from_wkb(v["geom_wkb"]), area_m2=v["area_m2"],
                             created_at=v["created_at"], deleted=deleted, deleted_at=state[1] if deleted else None,
                             created_by=v["created_by"], created_role=v["created_role"])

    def _set_deleted(self, proposal_id: int, deleted: bool, actor: Actor | None) -> None:
        who = self.actor_or_default(actor)
        prop = self.get_proposal(proposal_id)
        verb = "delete" if deleted else "restore"
        own = prop.created_by == who.name
        if deleted or not own:
            who.require(f"{verb}_own" if own else f"{verb}_any")
        with self._write() as con:
            if not deleted and own:  # decided inside the transaction: a delete made meanwhile counts
                by = con.execute("SELECT \"user\" FROM events WHERE proposal_id = ? AND action = 'delete' "
                                 "ORDER BY id DESC LIMIT 1", (int(proposal_id),)).fetchone()
                # Their own proposal, but hidden by someone else (a reviewer): undoing that needs restore_any.
                who.require("restore_own" if by is None or by[0] == who.name else "restore_any")
            self._event(con, who, verb, int(proposal_id), None, {"name": prop.name})

    def soft_delete(self, proposal_id: int, *, actor: Actor | None = None) -> None:
        """Hide a proposal from :meth:`list_proposals` (a ``delete`` event; nothing is removed)."""
        self._set_deleted(proposal_id, True, actor)

    def restore(self, proposal_id: int, *, actor: Actor | None = None) -> None:
        """Undo :meth:`soft_delete` (a ``restore`` event).

        ``restore_own`` covers a proposal of one's own that one deleted oneself;
        a proposal deleted by someone else (e.g. a reviewer) needs ``restore_any``.
        """
        self._set_deleted(proposal_id, False, actor)

    # -- checks ---------------------------------------------------------------------------------
    def _insert_check(self, con: Con, who: Actor, proposal_id: int, result: Any,
                      layer_hashes: dict[str, str] | None, rules_hash: str | None, parent_check_id: int | None,
                      kind: str) -> int:
        if kind not in CHECK_KINDS:
            raise ParkmapError(f"核查记录类型无效：{str(kind)[:40]}", f"Invalid check kind: {str(kind)[:40]}",
                               "可选 check、override / use check or override", code="usage")
        doc = result.to_dict(include_geometries=True) if hasattr(result, "to_dict") else dict(result)
        if con.execute("SELECT 1 FROM proposals WHERE id = ?", (int(proposal_id),)).fetchone() is None:
            raise ParkmapError(f"没有编号为 {proposal_id} 的方案", f"No proposal with id {proposal_id}", code="not-found")
        inherited: set[tuple[Any, ...]] = set()
        if parent_check_id is not None:
            parent = self._verified_row(con, "checks", int(parent_check_id))
            if parent is None or int(parent["proposal_id"]) != int(proposal_id):
                raise ParkmapError(f"核查记录 {parent_check_id} 不是方案 {proposal_id} 的",
                                   f"Check {parent_check_id} is not a check of proposal {proposal_id}", code="usage")
            inherited = {_override_key(r) for r in _loads(parent["result_json"], "checks", parent["id"]).get("rules") or []
                         if isinstance(r, dict) and r.get("override_reason")}
            if kind == "override":  # decided inside the write lock: of two racing overrides, the second sees the first
                done = con.execute("SELECT id, created_by, created_at FROM checks WHERE parent_check_id = ? "
                                   "AND kind = 'override' ORDER BY id LIMIT 1", (int(parent_check_id),)).fetchone()
                if done is not None:
                    raise ParkmapError(
                        f"核查记录 {parent_check_id} 已被 {done[1]} 于 {done[2]} 改判（记录 {done[0]}），未保存本次改判；"
                        "请刷新，在最新记录上操作",
                        f"check {parent_check_id} was already changed by {done[1]} at {done[2]} (record {done[0]}); "
                        "this override was not saved: reload and work on the latest record", code="already-changed")
        new_overrides = [r for r in doc.get("rules") or [] if r.get("override_reason") and _override_key(r) not in inherited]
        if new_overrides:  # an override not carried over from the parent needs the permission, whatever the kind
            who.require("override")
        if layer_hashes is None:
            layer_hashes = {k: v.get("hash", "") for k, v in (doc.get("layers") or {}).items()}
        if rules_hash is None:
            rules_hash = doc.get("rules_hash", "")
        geom = doc.get("geometry")
        inputs = {"zone_id": (doc.get("zone") or {}).get("zone_id"), "type": doc.get("type"),
                  "chemical": doc.get("chemical"), "major_project": doc.get("major_project"),
                  "name": doc.get("name"), "removed": (doc.get("geometries") or {}).get("removed")}
        values = {"proposal_id": int(proposal_id), "parent_check_id": parent_check_id, "kind": kind,
                  "created_at": _now(), "created_by": who.name, "created_role": who.role, "verdict": doc["verdict"],
                  "inputs_json": _dumps(inputs), "geom_wkb": shapely.to_wkb(shape(geom)) if geom else None,
                  "geom_geojson": _dumps(geom) if geom else None, "layer_hashes_json": _dumps(layer_hashes),
                  "rules_hash": str(rules_hash), "result_json": _dumps(doc)}
        cid, digest = audit.append(con, "checks", values)
        self._event(con, who, kind, int(proposal_id), cid, {"verdict": doc["verdict"], "parent_check_id": parent_check_id,
                                                             "check_hash": digest, "repair": doc.get("repair")})
        if kind == "check":  # overrides made before this save: one event each
            for r in new_overrides:
                self._event(con, who, "override", int(proposal_id), cid,
                            {"rule": r.get("id"), "original_status": r.get("original_status"),
                             "status": r.get("status"), "reason": r.get("override_reason"),
                             "overridden_at": r.get("overridden_at"), "before_save": True})
        return cid

    def save_check(self, proposal_id: int, result: Any, layer_hashes: dict[str, str] | None = None,
                   rules_hash: str | None = None, *, parent_check_id: int | None = None, kind: str = "check",
                   actor: Actor | None = None) -> int:
        """Record a check of a saved proposal; returns the check id.

        Parameters
        ----------
        proposal_id : int
        result : geo.check.CheckResult or its ``to_dict`` document
        layer_hashes, rules_hash : optional
            Content hashes used; default: those carried by the result.
        parent_check_id : int, optional
            For an override: the check it amends.
        kind : {"check", "override"}
            Anything else is refused (``usage``).
        actor : geo.auth.Actor, optional
            Needs ``check``; ``override`` for an override, and for any result
            carrying an overridden rule that the parent check does not already
            carry, whatever ``kind`` says.
        """
        if kind not in CHECK_KINDS:
            raise ParkmapError(f"核查记录类型无效：{str(kind)[:40]}", f"Invalid check kind: {str(kind)[:40]}",
                               "可选 check、override / use check or override", code="usage")
        who = self.actor_or_default(actor)
        who.require("override" if kind == "override" else "check")
        with self._write() as con:
            return self._insert_check(con, who, proposal_id, result, layer_hashes, rules_hash, parent_check_id, kind)

    def save_override(self, check_id: int, rule_id: str, new_status: str, reason: str, *,
                      actor: Actor | None = None) -> int:
        """Override one rule of a stored check: a new check row (kind ``override``) with the original kept.

        A check is overridden once: the next override is of the new row (the
        app moves on to it).  Overriding a check that already has an override
        (another reviewer was first) is refused with ``already-changed``.
        """
        from geo.check import apply_override

        who = self.actor_or_default(actor)
        who.require("override")
        base = self.get_check(check_id)
        new = apply_override(base.to_result(), rule_id, new_status, reason)
        return self.save_check(base.proposal_id, new, base.layer_hashes, base.rules_hash,
                               parent_check_id=base.id, kind="override", actor=who)

    def _check_from_values(self, v: dict[str, Any]) -> SavedCheck:
        cid = v["id"]
        return SavedCheck(id=cid, proposal_id=v["proposal_id"], parent_check_id=v["parent_check_id"], kind=v["kind"],
                          created_at=v["created_at"], verdict=v["verdict"],
                          inputs=_loads(v["inputs_json"], "checks", cid),
                          geometry=shapely.from_wkb(v["geom_wkb"]) if v["geom_wkb"] is not None else None,
                          layer_hashes=_loads(v["layer_hashes_json"], "checks", cid), rules_hash=v["rules_hash"],
                          result=_loads(v["result_json"], "checks", cid), created_by=v["created_by"],
                          created_role=v["created_role"])

    def checks_for(self, proposal_id: int) -> list[SavedCheck]:
        """All checks of a proposal, oldest first (each row's hash verified)."""
        with self._connect() as con:
            ids = [r[0] for r in con.execute("SELECT id FROM checks WHERE proposal_id = ? ORDER BY id",
                                             (int(proposal_id),))]
            rows = [self._verified_row(con, "checks", i) for i in ids]
        return [self._check_from_values(v) for v in rows if v is not None]

    def get_check(self, check_id: int) -> SavedCheck:
        """One check record (its row hash verified first)."""
        with self._connect() as con:
            v = self._verified_row(con, "checks", check_id)
        if v is None:
            raise ParkmapError(f"没有编号为 {check_id} 的核查记录", f"No check with id {check_id}", code="not-found")
        return self._check_from_values(v)

    def compare(self, check_ids: list[int]) -> pd.DataFrame:
        """Side-by-side table of several checks: one row per rule, ``status``/``value`` columns per check.

        The first rows are ``verdict`` and ``area_m2``.
        """
        checks = [self.get_check(c) for c in check_ids]
        rule_ids: list[str] = []
        for c in checks:
            for r in c.result.get("rules", []):
                if r["id"] not in rule_ids:
                    rule_ids.append(r["id"])
        data: dict[str, list[Any]] = {}
        for c in checks:
            rows = {r["id"]: r for r in c.result.get("rules", [])}
            data[f"{c.id}:status"] = [c.verdict, None] + [rows.get(i, {}).get("status") for i in rule_ids]
            data[f"{c.id}:value"] = [None, c.result.get("area_m2")] + [rows.get(i, {}).get("value") for i in rule_ids]
        return pd.DataFrame(data, index=["verdict", "area_m2"] + rule_ids)

    # -- audit ----------------------------------------------------------------------------------
    def events(self) -> pd.DataFrame:
        """The audit log (append-only): id, at, user, role, action, proposal_id, check_id, detail_json."""
        with self._connect() as con:
            return query_frame(con, 'SELECT id, at, "user", role, action, proposal_id, check_id, detail_json '
                                    "FROM events ORDER BY id")

class Workspace(WorkspaceRecords, WorkspaceFile):
    """The embedded workspace: the records in ``<home>/workspace.sqlite``.

    Opening parameters (``home``, ``create``, ``full_on_open``) and :attr:`tamper` are those of
    :class:`geo.workspace_file.WorkspaceFile`; the records those of :class:`WorkspaceRecords`.
    """

    backend = "sqlite"


class PgWorkspace(WorkspaceRecords, PgStore):
    """The shared workspace in PostgreSQL: the same records, for every app instance and CLI job of a bureau.

    Opening parameters and :attr:`tamper` are those of :class:`geo.workspace_pg.PgStore`.
    """


def open_workspace(home: str | Path | None = None, *, create: bool = True, full_on_open: bool = False,
                   url: str | None = None) -> Workspace | PgWorkspace:
    """The workspace the settings name: PostgreSQL when ``url`` or ``PARKMAP_DATABASE_URL`` is set, else the file.

    Parameters
    ----------
    home : str or Path, optional
        Folder of the embedded workspace; for PostgreSQL the instance's local folder (map cache, app-imported
        layer folders).
    create, full_on_open : bool
        As :class:`geo.workspace_file.WorkspaceFile` (PostgreSQL: the schema comes from ``parkmap db init``).
    url : str, optional
        ``postgresql://…``; default :func:`geo.settings.database_url`.

    Raises
    ------
    ParkmapError
        The store's opening errors (``workspace-*``, ``db-*``).
    """
    url = url if url is not None else settings.database_url()
    if url:
        return PgWorkspace(url, home=home, create=create, full_on_open=full_on_open)
    return Workspace(home, create=create, full_on_open=full_on_open)


def _override_key(rule: dict[str, Any]) -> tuple[Any, ...]:
    """One override as carried by a rule row: the same override when copied from the parent check."""
    return (rule.get("id"), rule.get("status"), rule.get("original_status"), rule.get("override_reason"),
            rule.get("overridden_at"))


def _loads(text: str, table: str, row_id: int) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ParkmapError(f"工作区记录 {table} #{row_id} 的内容无法解析", f"Workspace record {table} #{row_id} cannot be parsed",
                           _RESTORE_HINT, code="workspace-damaged") from exc


__all__ = ["DB_NAME", "HOME_ENV", "PgWorkspace", "SaveItem", "SavedCheck", "SavedProposal", "Workspace",
           "WorkspaceRecords", "default_home", "open_workspace"]
