"""Settings: every environment variable parkmap reads, in one place, typed, with defaults.

Nothing else in parkmap reads ``os.environ``.  Values are read when asked
for (a changed variable takes effect at the next read; tests set them with
``monkeypatch.setenv``), and a bad number is a bilingual error naming the
variable.

=============================  ======================  ==============================================
variable                       default                 what
=============================  ======================  ==============================================
PARKMAP_HOME                   ``~/.parkmap``          the workspace folder (proposals, audit, layers)
PARKMAP_DATA                   the package's ``data/``  folder holding ``sichuan.gpkg``
TIANDITU_TOKEN                 (none)                  天地图 key for the Tianditu basemaps
PARKMAP_VENDOR_DIR             ``static/vendor``       the vendored Leaflet/fonts folder
PARKMAP_CHROMIUM               ``/usr/bin/chromium``   browser for the exact map export
PARKMAP_CHROMEDRIVER           ``/usr/bin/chromedriver``  its driver
PARKMAP_MAX_FEATURES           10,000                  features per proposal file (:mod:`geo.limits`)
PARKMAP_MAX_VERTICES           2,000,000               vertices per proposal file
PARKMAP_MAX_LAYER_FEATURES     500,000                 features per official layer
PARKMAP_MAX_LAYER_VERTICES     30,000,000              vertices per official layer
PARKMAP_LOGIN_MAX_FAILURES     5                       wrong passwords before a name is locked
PARKMAP_LOGIN_LOCK_MINUTES     15                      the lock's window
PARKMAP_SESSION_IDLE_MINUTES   30                      idle time before a new login is needed
PARKMAP_DATABASE_URL           (none: embedded)        ``postgresql://user@host:port/db``: the shared
                                                       PostgreSQL/PostGIS backend (:mod:`geo.db`)
PARKMAP_DB_WAIT_SECONDS        5                       wait for a database connection before "数据库不可用"
=============================  ======================  ==============================================

The numeric defaults are our choices, not figures from the policy documents.

Examples
--------
>>> env_int("X", 7, {"X": "20_000"}), env_int("X", 7, {})
(20000, 7)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from geo.errors import ParkmapError

HOME_ENV = "PARKMAP_HOME"
DATA_ENV = "PARKMAP_DATA"
TIANDITU_ENV = "TIANDITU_TOKEN"
VENDOR_ENV = "PARKMAP_VENDOR_DIR"
CHROMIUM_ENV = "PARKMAP_CHROMIUM"
CHROMEDRIVER_ENV = "PARKMAP_CHROMEDRIVER"
DATABASE_URL_ENV = "PARKMAP_DATABASE_URL"


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def env_text(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The stripped value of ``name``, or None when unset or blank."""
    raw = _env(environ).get(name, "").strip()
    return raw or None


def env_path(name: str, default: Path | None = None, environ: Mapping[str, str] | None = None) -> Path | None:
    """``name`` as a path (``~`` expanded), or ``default``."""
    raw = env_text(name, environ)
    return Path(raw).expanduser() if raw else default


def env_int(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    """Read a positive whole number from environment variable ``name``.

    Parameters
    ----------
    name : str
        Variable name, e.g. ``"PARKMAP_MAX_FEATURES"``.
    default : int
        Value when the variable is unset or blank.
    environ : Mapping, optional
        Environment to read (``os.environ`` by default; for tests).

    Returns
    -------
    int

    Raises
    ------
    ParkmapError
        ``code="config"`` when the value is not a positive whole number.
    """
    raw = _env(environ).get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", "").replace(",", ""))
    except ValueError:
        value = 0
    if value <= 0:
        shown = raw[:40]
        raise ParkmapError(
            f"环境变量 {name}=“{shown}” 无效，应为正整数",
            f"Environment variable {name}='{shown}' is invalid; it must be a positive whole number",
            f"例如 {name}={default}，或删除该变量以使用默认值 {default} / "
            f"e.g. {name}={default}, or unset it for the default {default}",
            code="config",
        )
    return value


def home() -> Path:
    """The workspace folder: ``$PARKMAP_HOME`` or ``~/.parkmap``."""
    return env_path(HOME_ENV) or Path.home() / ".parkmap"


def data_dir() -> Path | None:
    """``$PARKMAP_DATA`` (a folder holding ``sichuan.gpkg``), or None for the packaged data."""
    return env_path(DATA_ENV)


def tianditu_token() -> str | None:
    """The 天地图 key (``$TIANDITU_TOKEN``), or None."""
    return env_text(TIANDITU_ENV)


def vendor_dir() -> Path | None:
    """``$PARKMAP_VENDOR_DIR`` (the vendored map assets), or None for the packaged ones."""
    return env_path(VENDOR_ENV)


def database_url() -> str | None:
    """``$PARKMAP_DATABASE_URL`` (``postgresql://user@host:port/db``), or None: the embedded workspace.

    The URL may carry a password; print it through :func:`geo.db.connect.redact` only.
    """
    return env_text(DATABASE_URL_ENV)


DB_WAIT_ENV = "PARKMAP_DB_WAIT_SECONDS"


def db_wait_seconds() -> int:
    """``$PARKMAP_DB_WAIT_SECONDS`` (default 5): how long a request waits for a database connection before it
    is told "数据库不可用 / database unavailable" (our default, not from the policy documents)."""
    return env_int(DB_WAIT_ENV, 5)


def chromium() -> Path:
    """The Chromium binary for the exact map export."""
    return env_path(CHROMIUM_ENV, Path("/usr/bin/chromium")) or Path("/usr/bin/chromium")


def chromedriver() -> Path:
    """Its WebDriver."""
    return env_path(CHROMEDRIVER_ENV, Path("/usr/bin/chromedriver")) or Path("/usr/bin/chromedriver")


__all__ = ["CHROMEDRIVER_ENV", "CHROMIUM_ENV", "DATABASE_URL_ENV", "DB_WAIT_ENV", "DATA_ENV", "HOME_ENV", "TIANDITU_ENV", "VENDOR_ENV",
           "chromedriver", "chromium", "data_dir", "database_url", "db_wait_seconds", "env_int", "env_path", "env_text", "home",
           "tianditu_token", "vendor_dir"]
