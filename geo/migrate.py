"""Workspace migrations (run inside the opening transaction of :class:`geo.workspace.Workspace`).

Version 1 (before accounts and the hash chain) had mutable ``proposals``
(a ``deleted`` flag) and unchained ``events``.  :func:`migrate_v1` moves
every record into the version-2 tables in id order, chaining them as it
goes; authorship that version 1 did not record is written as ``(v1)``.
The soft-delete flag becomes the delete/restore events version 1 already
logged (plus one ``delete`` event for a flagged proposal without one).

Every version-2 proposal and check row must be named, with its hash, by an
event (:func:`geo.audit.verify` checks it both ways).  The version-1
``save_proposal``, ``check`` and ``override`` events are given those hashes;
a row whose version-1 event is missing gets a ``migrate_link`` event written
by the migrating user.  A ``migrate`` event records who migrated and how many
rows moved (``links``: how many ``migrate_link`` events were needed).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from geo import audit
from geo.auth import Actor

V1_AUTHOR = "(v1)"


def _rows(con: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _link(con: sqlite3.Connection, actor: Actor, now: str, proposal_id: int, check_id: int | None,
          detail: dict[str, Any]) -> None:
    audit.append(con, "events", {"at": now, "user": actor.name, "role": actor.role, "action": "migrate_link",
                                 "proposal_id": proposal_id, "check_id": check_id,
                                 "detail_json": json.dumps(detail | {"from_v1": True, "via": actor.via},
                                                           sort_keys=True)})


def migrate_v1(con: sqlite3.Connection, actor: Actor, now: str) -> None:
    """Turn a version-1 workspace into version 2 in place (caller holds the write transaction)."""
    from geo.errors import ParkmapError

    shape = {t: {r[1] for r in con.execute(f"PRAGMA table_info({t})")} for t in ("proposals", "checks", "events")}
    if "deleted" not in shape["proposals"] or "row_hash" in shape["proposals"] or not shape["checks"] \
            or not shape["events"]:  # e.g. a version-2 file whose schema_version was set back to 1
        raise ParkmapError("工作区标为第 1 版，但表结构不是第 1 版，未作任何改动",
                           "The workspace says version 1 but its tables are not version 1's; it was left untouched",
                           "运行 parkmap audit verify，并从备份恢复 / run parkmap audit verify, then restore from a backup",
                           code="workspace-damaged")
    for trig in ("checks_immutable", "checks_no_delete"):
        con.execute(f"DROP TRIGGER IF EXISTS {trig}")
    for table in ("meta", "proposals", "checks", "events"):
        con.execute(f"ALTER TABLE {table} RENAME TO v1_{table}")
    con.execute("DROP INDEX IF EXISTS checks_by_proposal")
    for stmt in audit.split_sql(audit.TABLES_SQL):
        con.execute(stmt)
    pmap: dict[int, int] = {}
    cmap: dict[int, int] = {}
    phash: dict[int, str] = {}
    chash: dict[int, str] = {}
    props = _rows(con, "SELECT * FROM v1_proposals ORDER BY id")
    for p in props:
        new, digest = audit.append(con, "proposals", {k: p[k] for k in ("name", "zone_id", "options_json", "source",
                                                                        "geom_wkb", "geom_geojson", "area_m2",
                                                                        "created_at")}
                                   | {"created_by": V1_AUTHOR, "created_role": ""})
        pmap[p["id"]], phash[p["id"]] = new, digest
    for c in _rows(con, "SELECT * FROM v1_checks ORDER BY id"):
        values = {k: c[k] for k in ("kind", "created_at", "verdict", "inputs_json", "geom_wkb", "geom_geojson",
                                    "layer_hashes_json", "rules_hash", "result_json")}
        values |= {"proposal_id": pmap[c["proposal_id"]], "created_by": V1_AUTHOR, "created_role": "",
                   "parent_check_id": cmap.get(c["parent_check_id"]) if c["parent_check_id"] else None}
        cmap[c["id"]], chash[c["id"]] = audit.append(con, "checks", values)
    check_pid = dict(con.execute("SELECT id, proposal_id FROM checks").fetchall())  # new check id → its proposal
    linked_p: set[int] = set()  # new ids named by an event with their hash
    linked_c: set[int] = set()
    last_state: dict[int, str] = {}
    for e in _rows(con, "SELECT * FROM v1_events ORDER BY id"):
        try:
            detail = json.loads(e["detail_json"] or "{}")
        except ValueError:
            detail = {"v1_detail": e["detail_json"]}
        detail = detail if isinstance(detail, dict) else {"v1_detail": detail}
        pid, cid = e["proposal_id"], e["check_id"]
        new_pid = pmap.get(pid) if pid is not None else None
        new_cid = cmap.get(cid) if cid is not None else None
        # The link must be findable the way verify looks it up: a check through its own proposal's events.
        if new_cid is not None and e["action"] in ("check", "override") and check_pid[new_cid] == new_pid:
            detail["check_hash"] = chash[cid]
            linked_c.add(new_cid)
        if new_pid is not None and e["action"] == "save_proposal":
            detail["proposal_hash"] = phash[pid]
            linked_p.add(new_pid)
        if e["action"] in ("delete", "restore") and pid is not None:
            last_state[pid] = e["action"]
        audit.append(con, "events", {"at": e["at"], "user": V1_AUTHOR, "role": "", "action": e["action"],
                                     "proposal_id": new_pid, "check_id": new_cid,
                                     "detail_json": json.dumps(detail, ensure_ascii=False, sort_keys=True)})
    for p in props:  # a v1 flag without a logged delete keeps the proposal hidden
        if bool(p["deleted"]) != (last_state.get(p["id"]) == "delete"):
            audit.append(con, "events", {"at": p["deleted_at"] or now, "user": V1_AUTHOR, "role": "",
                                         "action": "delete" if p["deleted"] else "restore",
                                         "proposal_id": pmap[p["id"]], "check_id": None,
                                         "detail_json": json.dumps({"from_v1_flag": True})})
    links = 0
    for old, new in pmap.items():  # rows whose version-1 event is missing: one linking event each
        if new not in linked_p:
            _link(con, actor, now, new, None, {"proposal_hash": phash[old]})
            links += 1
    for old, new in cmap.items():
        if new not in linked_c:
            _link(con, actor, now, check_pid[new], new, {"check_hash": chash[old]})
            links += 1
    audit.append(con, "events", {"at": now, "user": actor.name, "role": actor.role, "action": "migrate",
                                 "proposal_id": None, "check_id": None,
                                 "detail_json": json.dumps({"from": 1, "to": audit.SCHEMA_VERSION,
                                                            "proposals": len(pmap), "checks": len(cmap),
                                                            "links": links, "via": actor.via}, sort_keys=True)})
    # Referencing tables first: with foreign_keys=ON, DROP TABLE deletes its rows first, and dropping
    # v1_proposals while v1_checks still points at it fails ("FOREIGN KEY constraint failed").
    for table in ("events", "checks", "proposals", "meta"):
        con.execute(f"DROP TABLE v1_{table}")
    con.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (str(audit.SCHEMA_VERSION),))


__all__ = ["V1_AUTHOR", "migrate_v1"]
