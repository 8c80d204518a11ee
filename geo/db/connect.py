"""Connections to the PostgreSQL/PostGIS backend, with every failure as one bilingual line.

:func:`connect` opens one psycopg 3 connection and, unless told otherwise,
checks that the database is ready for this parkmap (:func:`check_ready`):
PostGIS installed, the parkmap schema present and of this version.
:func:`open_pool` opens a :class:`psycopg_pool.ConnectionPool` after the
same check, and :func:`pooled` lends a connection from it.

Each failure is a :class:`geo.errors.ParkmapError` (exit 2 on the CLI) that
names the problem and the fix; passwords never appear (:func:`redact`):

=================  ========================================================
``code``           when
=================  ========================================================
``db-url``         not a ``postgresql://`` URL, or a bad port
``db-unavailable`` refused, unreachable, unknown host, timed out, lost
``db-auth``        password rejected, unknown role, no ``pg_hba.conf`` entry
``db-missing``     the database does not exist
``db-postgis``     the PostGIS extension is not installed in the database
``db-schema``      no parkmap schema yet, or an older one: ``parkmap db init``
``db-version``     the schema is newer than this parkmap: refused
``db-permission``  the login user lacks a privilege (e.g. not ``parkmap_app``)
``db-append-only`` an UPDATE, DELETE or TRUNCATE of a protected table
``db-error``       anything else the server said
=================  ========================================================

Examples
--------
>>> redact("postgresql://app:s3cret@db.example:5432/parkmap")
'postgresql://app:***@db.example:5432/parkmap'
>>> where("postgresql://app@db.example/parkmap")
'db.example:5432/parkmap'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import conninfo as _conninfo
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolTimeout

from geo.db.migrations import APP_ROLE, META_TABLE, SCHEMA_VERSION
from geo.errors import ParkmapError

#: Seconds to wait for a server that does not answer (unless the URL sets ``connect_timeout``).
CONNECT_TIMEOUT = 10
#: Seconds a pooled request waits for a free (or new) connection.
POOL_TIMEOUT = 30.0
APPLICATION_NAME = "parkmap"
SCHEMES = ("postgresql", "postgres")

Connection = psycopg.Connection[TupleRow]
Pool = ConnectionPool[psycopg.Connection[TupleRow]]

_INIT = "运行 parkmap db init / run parkmap db init"
_UNAVAILABLE = ("检查服务是否启动、主机和端口是否正确 / check the server is running and the host and port are right")
_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("db-missing", ("database \"",)),  # together with "does not exist" (below)
    ("db-auth", ("password authentication failed", "no password supplied", "authentication failed",
                 "no pg_hba.conf entry", "role \"")),
    ("db-unavailable", ("connection refused", "could not connect", "timeout expired", "failed to resolve host",
                        "could not translate host name", "no route to host", "network is unreachable",
                        "server closed the connection", "terminating connection", "connection is closed",
                        "connection is lost", "the database system is", "ssl negotiation", "connection timed out",
                        "couldn't get a connection", "consuming input failed", "sending query failed")),
)


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages and output)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    except ValueError:
        return "postgresql://…"


def _params(url: str) -> dict[str, Any]:
    try:
        return dict(_conninfo.conninfo_to_dict(url))
    except psycopg.Error:
        return {}


def where(url: str) -> str:
    """``host:port/dbname`` of ``url``, with libpq's defaults filled in (for messages)."""
    p = _params(url)
    user = str(p.get("user") or "")
    return f"{p.get('host') or 'localhost'}:{p.get('port') or 5432}/{p.get('dbname') or user or '?'}"


def check_url(url: str | None) -> str:
    """``url``, stripped, when it is a usable ``postgresql://`` URL; else a ``db-url`` error.

    Examples
    --------
    >>> check_url(" postgresql://app@db/parkmap ")
    'postgresql://app@db/parkmap'
    """
    text = str(url or "").strip()
    hint = ("格式：postgresql://用户@主机:端口/数据库（环境变量 PARKMAP_DATABASE_URL 或 --url） / expected "
            "postgresql://user@host:port/dbname (PARKMAP_DATABASE_URL or --url)")
    if not text:
        raise ParkmapError("没有给出数据库地址", "no database URL given", hint, code="db-url")
    shown = redact(text)[:120]
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    params: dict[str, Any] | None = None
    if scheme in SCHEMES:
        try:
            params = dict(_conninfo.conninfo_to_dict(text))
        except psycopg.Error:
            params = None
    port = str((params or {}).get("port") or "5432")
    if params is None or not all(p.isdigit() and 0 < int(p) < 65536 for p in port.split(",")):
        raise ParkmapError(f"数据库地址格式不对：{shown}", f"malformed database URL: {shown}", hint, code="db-url")
    return text


def db_error(exc: BaseException, url: str) -> ParkmapError:
    """One bilingual :class:`ParkmapError` for a psycopg or pool failure talking to ``url``."""
    if isinstance(exc, ParkmapError):
        return exc
    text = " ".join(str(exc).split())
    low = text.lower()
    at = where(url)
    params = _params(url)
    code = "db-error"
    for kind, needles in _PATTERNS:
        if any(n in low for n in needles) and (kind != "db-missing" or "does not exist" in low):
            code = kind
            break
    if isinstance(exc, PoolTimeout):
        code = "db-unavailable"
    if getattr(exc, "sqlstate", None) == "42501":
        code = "db-permission"
    if getattr(exc, "sqlstate", None) == "P0001" and "are append-only" in low:
        table = text.split(" are append-only", 1)[0].rsplit(" ", 1)[-1]
        return ParkmapError(f"{table} 表只能追加，不能修改、删除或清空", f"{table} are append-only: rows cannot be changed, "
                            "deleted or truncated", "修改或撤销请追加新记录 / record a change or withdrawal as a new row",
                            code="db-append-only")
    if code == "db-missing":
        db = params.get("dbname") or params.get("user") or "?"
        return ParkmapError(f"数据库 {db} 不存在（{at}）", f"database {db} does not exist ({at})",
                            f"先创建它（createdb {db}），再运行 parkmap db init / create it (createdb {db}), then run "
                            "parkmap db init", code=code)
    if code == "db-auth":
        user = params.get("user") or "?"
        return ParkmapError(f"数据库拒绝登录：用户 {user} 认证失败（{at}）", f"authentication failed for user {user} ({at})",
                            "检查 URL 中的用户名和密码（或 ~/.pgpass）及服务器的 pg_hba.conf / check the user and password in "
                            "the URL (or ~/.pgpass) and the server's pg_hba.conf", code=code)
    if code == "db-unavailable":
        detail = _short(text)
        return ParkmapError(f"数据库不可用：{at}", f"database unavailable: {at} ({detail})", _UNAVAILABLE, code=code)
    if code == "db-permission":
        return ParkmapError(f"数据库拒绝该操作（权限不足）：{_short(text)}", f"permission denied by the database: {_short(text)}",
                            f"应用的登录用户需授予角色 {APP_ROLE}（GRANT {APP_ROLE} TO 用户）；结构变更由 parkmap db init 的执行者做 / "
                            f"grant the role {APP_ROLE} to the app's login user (GRANT {APP_ROLE} TO user); schema changes "
                            "are made by whoever runs parkmap db init", code=code)
    return ParkmapError(f"数据库出错：{_short(text)}（{at}）", f"database error: {_short(text)} ({at})", code=code)


def _short(text: str) -> str:
    text = text.removeprefix("connection failed: ")
    return text[:200]


def _kwargs(url: str) -> dict[str, Any]:
    extra: dict[str, Any] = {"application_name": APPLICATION_NAME}
    if "connect_timeout" not in _params(url):
        extra["connect_timeout"] = CONNECT_TIMEOUT
    return extra


def connect(url: str | None, *, ready: bool = True, autocommit: bool = False) -> Connection:
    """Open one connection to ``url``.

    Parameters
    ----------
    url : str
        ``postgresql://user[:password]@host[:port]/dbname[?options]``.
    ready : bool
        Also check PostGIS and the schema version (:func:`check_ready`);
        ``parkmap db init`` passes False.
    autocommit : bool

    Returns
    -------
    psycopg.Connection

    Raises
    ------
    ParkmapError
        ``db-*`` codes (module table); the connection is closed first.
    """
    url = check_url(url)
    try:
        con = psycopg.connect(url, autocommit=autocommit, **_kwargs(url))
    except psycopg.Error as exc:
        raise db_error(exc, url) from exc
    try:
        if ready:
            check_ready(con, url)
    except BaseException:
        con.close()
        raise
    return con


def postgis_version(con: Connection) -> str | None:
    """The installed PostGIS extension's version in this database, or None."""
    row = con.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()
    return str(row[0]) if row else None


def schema_version(con: Connection) -> int | None:
    """The parkmap schema version (highest applied step), or None without a schema."""
    if con.execute("SELECT to_regclass(%s)", (META_TABLE,)).fetchone() in (None, (None,)):
        return None
    row = con.execute(f"SELECT max(version) FROM {META_TABLE}").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def newer_error(found: int, url: str) -> ParkmapError:
    """The refusal of a schema newer than :data:`SCHEMA_VERSION`."""
    at = where(url)
    return ParkmapError(f"数据库 {at} 的结构版本（{found}）比本程序（{SCHEMA_VERSION}）新，拒绝使用，未作任何改动",
                        f"the database {at} has schema version {found}, newer than this parkmap ({SCHEMA_VERSION}); "
                        "refused, nothing was changed",
                        "升级 parkmap / upgrade parkmap", code="db-version")


def check_ready(con: Connection, url: str) -> int:
    """Is the database usable by this parkmap?  Returns the schema version; else a ``db-*`` error.

    In this order: PostGIS installed (``db-postgis``), a parkmap schema
    (``db-schema``), not newer (``db-version``), not older (``db-schema``).
    Reads only; it leaves no transaction open.
    """
    at = where(url)
    try:
        with con.transaction():
            postgis = postgis_version(con)
            version = schema_version(con) if postgis else None
    except psycopg.Error as exc:
        raise db_error(exc, url) from exc
    if postgis is None:
        raise ParkmapError(f"数据库 {at} 未启用 PostGIS 扩展", f"the PostGIS extension is missing in database {at}",
                           "由超级用户执行 CREATE EXTENSION postgis（服务器需安装 postgresql-15-postgis-3），再运行 parkmap db "
                           "init / as a superuser run CREATE EXTENSION postgis (the server needs postgresql-15-postgis-3), "
                           "then run parkmap db init", code="db-postgis")
    if version is None:
        raise ParkmapError(f"数据库 {at} 中还没有 parkmap 的表结构", f"the database {at} has no parkmap schema yet", _INIT,
                           code="db-schema")
    if version > SCHEMA_VERSION:
        raise newer_error(version, url)
    if version < SCHEMA_VERSION:
        raise ParkmapError(f"数据库 {at} 的结构版本（{version}）旧于本程序（{SCHEMA_VERSION}）",
                           f"the database {at} has schema version {version}, older than this parkmap ({SCHEMA_VERSION})",
                           "运行 parkmap db init 升级 / run parkmap db init to migrate it", code="db-schema")
    return version


def open_pool(url: str | None, *, min_size: int = 1, max_size: int = 8, timeout: float = POOL_TIMEOUT) -> Pool:
    """A :class:`psycopg_pool.ConnectionPool` on ``url``, once :func:`connect` found the database ready.

    Connections are checked before they are lent (a server restart replaces
    them instead of failing a request).  Close it with ``pool.close()``.
    """
    url = check_url(url)
    connect(url).close()  # the precise message (refused, no schema…) instead of a pool timeout
    pool: Pool = ConnectionPool(url, min_size=min_size, max_size=max_size, kwargs=_kwargs(url), timeout=timeout,
                                check=ConnectionPool.check_connection, name="parkmap", open=False)
    try:
        pool.open(wait=True, timeout=timeout)
    except (PoolTimeout, psycopg.Error) as exc:
        pool.close()
        raise db_error(exc, url) from exc
    return pool


@contextmanager
def pooled(pool: Pool) -> Iterator[Connection]:
    """A connection from ``pool`` (returned afterwards); a lost or unreachable server is ``db-unavailable``.

    The block runs in the connection's transaction: committed when it ends
    normally, rolled back on an exception (psycopg-pool's behaviour).
    """
    try:
        with pool.connection() as con:
            yield con
    except (PoolTimeout, psycopg.OperationalError) as exc:
        raise db_error(exc, pool.conninfo if isinstance(pool.conninfo, str) else "") from exc


__all__ = ["APPLICATION_NAME", "CONNECT_TIMEOUT", "POOL_TIMEOUT", "Connection", "Pool", "check_ready", "check_url",
           "connect", "db_error", "newer_error", "open_pool", "pooled", "postgis_version", "redact", "schema_version",
           "where"]
