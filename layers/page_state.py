"""The parkmap page's session side: the workflow accessor, zone selection, fresh maps, widget binding, the error guard.

Streamlit code (above the engine).  The proposal being worked on is the one
:class:`geo.workflow.Workflow` in ``st.session_state["wf"]``; :func:`workflow`
only returns it (creating it on first use), so there is never a second copy.
The other helpers change the few page keys the panels share (``selected_zone``,
``map_epoch``, ``drawn_raw``).
"""

from __future__ import annotations

import functools
import logging

import streamlit as st

from geo import zones as zq
from geo.errors import ParkmapError
from geo.workflow import Workflow
from layers.i18n import t
from layers.present import md_escape

log = logging.getLogger("parkmap.app")
ss = st.session_state


def workflow() -> Workflow:
    """The one workflow state of this session."""
    if "wf" not in ss:
        ss["wf"] = Workflow()
    return ss["wf"]


def select_zone(zone_id: str) -> None:
    ss["selected_zone"] = zone_id or ""
    if zone_id and workflow().geometry is None:
        workflow().suggest_zone(zone_id)


def on_zone_pick() -> None:
    select_zone(ss.get("zone_pick") or "")


def suggest_nearest(data: dict, geom) -> None:
    """The zone whose parks are nearest a new proposal, unless the planner picked one."""
    w = workflow()
    if w.zone_by_planner:
        return
    zid, dist = zq.nearest_zone(data["parks"], geom)
    w.suggest_zone(zid, dist)


def fresh_map() -> None:
    """A new proposal from a file or the records: the shapes drawn before leave the map."""
    ss["map_epoch"] += 1
    ss.pop("drawn_raw", None)


def bind(key: str, value) -> None:
    """Show the workflow's value in a widget (set before the widget is created)."""
    ss[key] = value


def guarded(fn):
    """Run a page part; an unexpected error becomes one bilingual message (the traceback goes to the log)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ParkmapError as exc:  # a known condition (damaged or newer workspace, refused write…): say it
            log.warning("parkmap: %s in %s", exc.code, fn.__name__)
            st.error(md_escape(str(exc)))
        except Exception:  # st.rerun / st.stop are not Exceptions and pass through
            log.exception("parkmap: unexpected error in %s", fn.__name__)
            st.error(f"{t('error_unexpected', 'zh')} / {t('error_unexpected', 'en')}")
    return run
