"""Create, migrate and inspect the PostgreSQL schema: ``parkmap db init`` and ``parkmap db status``.

:func:`init_db` runs in one transaction under an advisory lock (two
``init`` runs at once queue; a failure leaves nothing half-made):

1. read the schema version; a newer one is refused (``db-version``) before
   anything is written;
2. ``CREATE EXTENSION IF NOT EXISTS postgis`` (needs a superuser the first
   time; otherwise ``db-postgis`` naming the command);
3. create the role ``parkmap_app`` (``NOLOGIN``) when missing;
4. apply the missing steps of :data:`geo.db.migrations.MIGRATIONS`, each
   recorded in ``parkmap_meta``;
5. reset ``parkmap_app``'s grants (:func:`geo.db.migrations.grants_sql`).

Running it again changes nothing (the grants are set to the same).

:func:`status` reads the versions, the row counts and whether the
append-only guard is whole: every trigger of
:data:`geo.db.migrations.TRIGGERS` present and enabled, no other trigger on
those tables (a ``BEFORE INSERT`` trigger could drop or rewrite rows), and
the guard function's body unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from geo.db.connect import Connection, check_ready, connect, db_error, newer_error, postgis_version, redact, \
    schema_version, where
from geo.db.migrations import (
    APP_ROLE, GUARD_BODY, INIT_LOCK, LAYER_TABLES, MIGRATIONS, PROTECTED_TABLES, ROLE_SQL, SCHEMA_VERSION, TRIGGERS,
    grants_sql)
from geo.errors import ParkmapError


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_db` did.

    Attributes
    ----------
    before : int or None
        Schema version found (None: no schema).
    after : int
        Schema version now (:data:`geo.db.migrations.SCHEMA_VERSION`).
    applied : tuple of int
        The steps applied now (empty when it was already current).
    postgis : str
        The PostGIS version in the database.
    """

    before: int | None
    after: int
    applied: tuple[int, ...]
    postgis: str


def _ensure_postgis(con: Connection, url: str) -> str:
    found = postgis_version(con)
    if found:
        return found
    at = where(url)
    try:
        with con.transaction():  # a savepoint: the error below is ours, not a broken transaction
            con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ParkmapError(f"数据库 {at} 未启用 PostGIS 扩展，当前用户无权启用",
                           f"the PostGIS extension is missing in database {at} and this user may not create it",
                           "请超级用户在该库执行 CREATE EXTENSION postgis，再运行 parkmap db init / ask a superuser to run "
                           "CREATE EXTENSION postgis in that database, then run parkmap db init",
                           code="db-postgis") from exc
    except (psycopg.errors.UndefinedFile, psycopg.errors.FeatureNotSupported) as exc:
        raise ParkmapError(f"数据库服务器 {at} 没有安装 PostGIS", f"PostGIS is not installed on the database server {at}",
                           "在服务器上安装 postgresql-15-postgis-3（scripts/install-system.sh），再运行 parkmap db init / "
                           "install postgresql-15-postgis-3 on the server (scripts/install-system.sh), then run "
                           "parkmap db init", code="db-postgis") from exc
    return postgis_version(con) or "?"


def _ensure_role(con: Connection, url: str) -> None:
    try:
        with con.transaction():
            con.execute(ROLE_SQL)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ParkmapError(f"无法创建数据库角色 {APP_ROLE}（当前用户没有 CREATEROLE 权限）",
                           f"cannot create the database role {APP_ROLE} (this user lacks CREATEROLE)",
                           f"请管理员执行 CREATE ROLE {APP_ROLE} NOLOGIN，再运行 parkmap db init / ask an administrator to run "
                           f"CREATE ROLE {APP_ROLE} NOLOGIN, then run parkmap db init", code="db-permission") from exc


def init_db(url: str | None) -> InitResult:
    """Create or migrate the parkmap schema at ``url`` (see the module notes); idempotent.

    Parameters
    ----------
    url : str
        ``postgresql://…`` of the database, as its owner (a superuser the
        first time, for ``CREATE EXTENSION postgis`` and ``CREATE ROLE``).

    Returns
    -------
    InitResult

    Raises
    ------
    ParkmapError
        The codes of :mod:`geo.db.connect`; ``db-version`` for a newer
        schema (nothing is changed).
    """
    con = connect(url, ready=False)
    url = str(url).strip()
    try:
        with con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(%s)", (INIT_LOCK,))
            before = schema_version(con)
            if before is not None and before > SCHEMA_VERSION:
                raise newer_error(before, url)
            postgis = _ensure_postgis(con, url)
            _ensure_role(con, url)
            applied = []
            for version, note, sql in MIGRATIONS:
                if version > (before or 0):
                    con.execute(sql)
                    con.execute("INSERT INTO parkmap_meta(version, note) VALUES (%s, %s)", (version, note))
                    applied.append(version)
            con.execute(grants_sql())
    except psycopg.Error as exc:
        raise db_error(exc, url) from exc
    finally:
        con.close()
    return InitResult(before, SCHEMA_VERSION, tuple(applied), postgis)


@dataclass(frozen=True)
class DbStatus:
    """What :func:`status` found.

    Attributes
    ----------
    url : str
        The URL, password redacted.
    server, postgis : str
        Versions.
    schema : int
        The schema version (equal to :data:`geo.db.migrations.SCHEMA_VERSION`:
        anything else is an error before a status exists).
    rows : dict
        Rows per table (``layer_features``: the source features of every
        version, from ``layer_versions``; not a count of subdivided pieces).
    layers : tuple
        ``(layer, newest version, feature count)`` per layer.
    missing : tuple of str
        Protecting triggers missing or disabled.
    unexpected : tuple of str
        Other triggers on the protected tables.
    guard_changed : bool
        The body of ``parkmap_append_only()`` differs from this parkmap's.
    role : bool
        The role ``parkmap_app`` exists.
    """

    url: str
    server: str
    postgis: str
    schema: int
    rows: dict[str, int] = field(default_factory=dict)
    layers: tuple[tuple[str, int, int], ...] = ()
    missing: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()
    guard_changed: bool = False
    role: bool = True

    @property
    def guarded(self) -> bool:
        """Is the append-only guard whole?"""
        return not (self.missing or self.unexpected or self.guard_changed)


def _triggers(con: Connection) -> tuple[tuple[str, ...], tuple[str, ...]]:
    rows = con.execute(
        "SELECT t.tgname, c.relname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND c.relname = ANY(%s) AND c.relnamespace = current_schema()::regnamespace",
        (list(PROTECTED_TABLES),)).fetchall()
    enabled = {(str(n), str(t)) for n, t, e in rows if str(e) in ("O", "A")}
    missing = tuple(n for n, (t, _op) in TRIGGERS.items() if (n, t) not in enabled)
    unexpected = tuple(sorted(f"{t}.{n}" for n, t, _e in rows if TRIGGERS.get(str(n), ("",))[0] != t))
    return missing, unexpected


def _scalar(con: Connection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    return row[0] if row else None


def status(url: str | None) -> DbStatus:
    """The state of the database at ``url`` (module notes); a ``db-*`` error when it is not ready."""
    con = connect(url)  # not ready (no PostGIS, no or another schema): that error
    url = str(url).strip()
    try:
        with con.transaction():
            version = check_ready(con, url)
            server = str(_scalar(con, "SHOW server_version"))
            postgis = postgis_version(con) or "?"
            rows = {t: int(_scalar(con, f"SELECT count(*) FROM {t}")) for t in PROTECTED_TABLES if t not in LAYER_TABLES}
            rows["layer_versions"] = int(_scalar(con, "SELECT count(*) FROM layer_versions"))
            rows["layer_features"] = int(_scalar(con, "SELECT coalesce(sum(feature_count), 0) FROM layer_versions"))
            layers = tuple((str(k), int(v), int(n)) for k, v, n in con.execute(
                "SELECT DISTINCT ON (layer) layer, version, feature_count FROM layer_versions "
                "ORDER BY layer, version DESC").fetchall())
            missing, unexpected = _triggers(con)
            body = con.execute("SELECT prosrc FROM pg_proc WHERE proname = 'parkmap_append_only' "
                               "AND pronamespace = current_schema()::regnamespace").fetchone()
            role = con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone() is not None
    except psycopg.Error as exc:
        raise db_error(exc, url) from exc
    finally:
        con.close()
    changed = body is None or " ".join(str(body[0]).split()) != " ".join(GUARD_BODY.split())
    return DbStatus(redact(url), server, postgis, version, rows, layers, missing, unexpected, changed, role)


__all__ = ["DbStatus", "InitResult", "init_db", "status"]
