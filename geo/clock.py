"""The one clock of parkmap: every time geo/ writes is Beijing time (Asia/Shanghai, +08:00).

Planners read the timestamps of checks, audit records, reports and exports;
they are written in China Standard Time with an explicit ``+08:00`` offset
(ISO 8601), never UTC.  ``zoneinfo`` is used when its data is installed;
otherwise a fixed +08:00 zone (China has no daylight saving time, so the two
are identical).
"""

from __future__ import annotations

import datetime as _dt

try:  # pragma: no branch - depends on the system's tz database / tzdata
    from zoneinfo import ZoneInfo

    SHANGHAI: _dt.tzinfo = ZoneInfo("Asia/Shanghai")
except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, missing module
    SHANGHAI = _dt.timezone(_dt.timedelta(hours=8), "Asia/Shanghai")


def now() -> _dt.datetime:
    """The current time in Asia/Shanghai (aware)."""
    return _dt.datetime.now(SHANGHAI)


def now_iso(timespec: str = "seconds") -> str:
    """The current time as ISO 8601 text ending in ``+08:00``, e.g. ``2026-11-29T14:03:07+08:00``."""
    return now().isoformat(timespec=timespec)


def today() -> _dt.date:
    """Today's date in Asia/Shanghai (not the server's local or UTC date)."""
    return now().date()


def to_shanghai(value: _dt.datetime) -> _dt.datetime:
    """An aware datetime converted to Asia/Shanghai (a naive one is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(SHANGHAI)


__all__ = ["SHANGHAI", "now", "now_iso", "to_shanghai", "today"]
