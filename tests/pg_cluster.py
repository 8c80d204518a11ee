"""A throwaway PostgreSQL cluster for the tests (issue #11): ``initdb`` + ``pg_ctl`` on a temporary folder.

Nothing is assumed to be running: :class:`PgCluster` creates a cluster in a
new temporary folder, starts it on a free TCP port of 127.0.0.1 (and a Unix
socket inside that folder, so ``/var/run/postgresql`` is never touched),
with ``--auth=trust`` (only this machine can reach it; the role
:data:`PASSWORD_USER` alone needs a password), and
:meth:`PgCluster.stop` stops it (``pg_ctl stop -m fast``) and removes the
folder.  Durability is switched off (``fsync=off``): the data is thrown away.

Root (CI)
    PostgreSQL refuses to run as root.  When ``os.geteuid() == 0`` every
    server program runs as the ``postgres`` system user that the Debian
    package creates (``runuser -u postgres -- initdb …``), on a folder
    chowned to it.  The tests themselves connect over TCP, so they need no
    file access to the folder.

Missing binaries
    :class:`PgClusterError` names ``scripts/install-system.sh``; the fixture
    turns it into a test failure, never a skip.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

#: Where Debian's ``postgresql-15`` puts the server programs.
BINDIR = Path("/usr/lib/postgresql/15/bin")
#: The superuser of the throwaway cluster.
SUPERUSER = "postgres"
#: A role that must log in with a password (the rest is ``trust``); tests create it to see authentication fail.
PASSWORD_USER = "parkmap_pw"
#: The system user that runs the server when the tests run as root.
SYSTEM_USER = "postgres"
_INSTALL = "bash scripts/install-system.sh (Debian: postgresql postgresql-15-postgis-3)"


class PgClusterError(RuntimeError):
    """The throwaway cluster could not be created or started."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _world_traversable(path: Path) -> bool:
    """Can another user (``postgres``) reach ``path``: every folder on the way has the ``x`` bit for others?"""
    for p in (path, *path.parents):
        try:
            if not os.stat(p).st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


class PgCluster:
    """One throwaway cluster.

    Parameters
    ----------
    bindir : Path
        Folder holding ``initdb`` and ``pg_ctl``.

    Attributes
    ----------
    port : int
        The TCP port on 127.0.0.1 (set by :meth:`start`).
    root : Path or None
        The temporary folder (data directory ``root/data``, log ``root/server.log``).
    """

    def __init__(self, bindir: Path = BINDIR) -> None:
        self.bindir = Path(bindir)
        self.as_root = os.geteuid() == 0
        self.port = 0
        self.root: Path | None = None
        self.running = False

    # -- plumbing -----------------------------------------------------------------------------
    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", SYSTEM_USER, "--", *args] if self.as_root else list(args)

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=timeout,
                             cwd=self.root or "/", check=False)
        if out.returncode != 0:
            raise PgClusterError(f"{Path(args[0]).name} failed ({out.returncode}): {out.stderr.strip()[-1500:]}"
                                 + self._log_tail())
        return out

    def _log_tail(self) -> str:
        log = self.root / "server.log" if self.root else None
        try:
            text = log.read_text(encoding="utf-8", errors="replace") if log else ""
        except OSError:
            return ""
        return f"\n--- server.log ---\n{text[-2000:]}" if text else ""

    def _check_programs(self) -> None:
        missing = [n for n in ("initdb", "pg_ctl") if not (self.bindir / n).is_file()]
        if missing:
            raise PgClusterError(f"PostgreSQL server programs missing ({', '.join(missing)} in {self.bindir}); "
                                 f"install them with {_INSTALL}")
        if not (Path("/usr/share/postgresql/15/extension/postgis.control")).is_file():
            raise PgClusterError(f"PostGIS is not installed for PostgreSQL 15; install it with {_INSTALL}")
        if self.as_root:
            if shutil.which("runuser") is None:
                raise PgClusterError("running as root needs runuser (util-linux) to start PostgreSQL as postgres")
            try:
                pwd.getpwnam(SYSTEM_USER)
            except KeyError as exc:
                raise PgClusterError(f"running as root needs the system user {SYSTEM_USER!r}, which the Debian "
                                     f"package creates; install it with {_INSTALL}") from exc

    def _make_root(self) -> Path:
        base = Path(tempfile.gettempdir())
        if self.as_root and not _world_traversable(base):
            base = Path("/tmp")  # the postgres user must be able to reach its data directory
        root = Path(tempfile.mkdtemp(prefix="parkmap-pg-", dir=base))
        if self.as_root:
            entry = pwd.getpwnam(SYSTEM_USER)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        os.chmod(root, 0o700)
        return root

    # -- life cycle ---------------------------------------------------------------------------
    def start(self, attempts: int = 3) -> PgCluster:
        """initdb, then start on a free port (a few ports are tried: another process may take one first)."""
        self._check_programs()
        self.root = self._make_root()
        data = self.root / "data"
        self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
        hba = data / "pg_hba.conf"  # first match wins: PASSWORD_USER must give its password (auth-failure tests)
        hba.write_text(f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n" + hba.read_text(encoding="utf-8"),
                       encoding="utf-8")
        last: PgClusterError | None = None
        for _ in range(attempts):
            self.port = _free_port()
            try:
                self._pg_start()
            except PgClusterError as exc:
                last = exc
                continue
            self.running = True
            return self
        self.stop()
        raise last or PgClusterError("the server did not start")

    def _pg_start(self) -> None:
        assert self.root is not None
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-l", str(self.root / "server.log"),
                  "-o", opts, "-w", "-t", "60", "start")

    def pause(self) -> None:
        """Stop the server, keeping its data and port (a database outage in a test)."""
        assert self.root is not None
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        self.running = False

    def resume(self) -> None:
        """Start it again after :meth:`pause`, on the same port and data."""
        self._pg_start()
        self.running = True

    def url(self, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        """A ``postgresql://`` URL to database ``dbname`` as ``user`` (trust: no password)."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        """Stop the server (``pg_ctl stop -m fast``) and remove the folder; safe to call twice."""
        root, self.root = self.root, None
        if root is None:
            return
        try:
            if self.running:
                subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "fast", "-w",
                                         "-t", "60", "stop"), capture_output=True, text=True, timeout=90,
                               cwd="/", check=False)
                self.running = False
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["BINDIR", "PASSWORD_USER", "SUPERUSER", "SYSTEM_USER", "PgCluster", "PgClusterError"]
