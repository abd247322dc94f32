"""Throw-away PostgreSQL clusters and S3-protocol servers on 127.0.0.1 (tests and ``livegate bench``).

Nothing here is used by a kiosk or a head office: they point Livegate at servers
they run themselves. The tests and the benchmark need real servers that start in
a second or two and leave nothing behind:

* ``PostgresCluster``: ``initdb`` + ``pg_ctl`` of Debian's ``postgresql`` package
  on a free loopback port, data under a temporary folder. PostgreSQL refuses to
  run as root, so as root the cluster is created and run as the ``postgres``
  user (or ``nobody``) with the folder handed to that user.
* ``S3Server``: moto's threaded S3 server (the same wire protocol as AWS S3,
  MinIO or Ceph), stoppable and restartable on the same port so tests can take
  the bucket away for a while.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Where Debian puts the server binaries (``initdb`` and ``pg_ctl`` are not on PATH there).
PG_BIN_GLOBS = ("/usr/lib/postgresql/*/bin",)


def find_pg_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (newest Debian version first, then PATH), or ``None``."""
    import glob

    found = sorted(glob.glob(PG_BIN_GLOBS[0]), key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    for folder in reversed(found):
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unprivileged_user() -> Any:
    """The account to run PostgreSQL as when we are root (``postgres``, else ``nobody``): a ``pwd`` entry or ``None``."""
    import pwd  # POSIX only; the servers here are for Linux tests and benchmarks

    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    return None


class PostgresCluster:
    """A private PostgreSQL cluster: ``start()``, ``stop()``, ``start()`` again, ``destroy()``.

    Parameters
    ----------
    base:
        Folder to create the cluster in (a fresh temporary folder when ``None``).
        As root, a folder the ``postgres`` user cannot reach is replaced by a
        fresh folder under the system temporary directory.
    user, password:
        The superuser created by ``initdb`` (password authentication on TCP).
    """

    def __init__(self, base: Path | None = None, *, user: str = "livegate", password: str | None = None) -> None:
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed; run scripts/setup.sh")
        self.bin = bin_dir
        self.user = user
        self.password = password or secrets.token_urlsafe(16)
        self.port = free_port()
        self._run_as: Any = None
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            self._run_as = _unprivileged_user()
            if self._run_as is None:
                raise RuntimeError("running as root and no unprivileged account (postgres, nobody) exists for PostgreSQL")
        self._own_tmp = base is None or (self._run_as is not None and not self._reachable(Path(base)))
        self.base = Path(tempfile.mkdtemp(prefix="livegate-pg-")) if self._own_tmp else Path(base)  # type: ignore[arg-type]
        self.base.mkdir(parents=True, exist_ok=True)
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self._initdb()

    def _reachable(self, path: Path) -> bool:
        """Whether the unprivileged account can traverse every parent of ``path``."""
        path = path.resolve()
        for parent in [*reversed(path.parents)]:
            try:
                if not parent.stat().st_mode & 0o001:
                    return False
            except OSError:
                return False
        return True

    def _demote(self) -> dict[str, Any]:
        if self._run_as is None:
            return {}
        return {"user": self._run_as.pw_uid, "group": self._run_as.pw_gid, "extra_groups": []}

    def _run(self, *args: str, check: bool = True, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        env = {"PATH": f"{self.bin}:/usr/bin:/bin", "LC_ALL": "C", "HOME": str(self.base)}
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            env=env,
            cwd=self.base,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
            **self._demote(),
        )

    def _initdb(self) -> None:
        pwfile = self.base / "pw"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        os.chmod(pwfile, 0o600)
        if self._run_as is not None:
            os.chmod(self.base, 0o700)
            os.chown(self.base, self._run_as.pw_uid, self._run_as.pw_gid)
            os.chown(pwfile, self._run_as.pw_uid, self._run_as.pw_gid)
        try:
            self._run(
                "initdb", "-D", str(self.data), "-U", self.user, f"--pwfile={pwfile}", "--auth-host=scram-sha-256",
                "--auth-local=peer", "-E", "UTF8", "--no-sync", "--no-instructions",
            )
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"initdb failed: {(exc.stderr or exc.stdout).strip()[-500:]}") from exc
        finally:
            pwfile.unlink(missing_ok=True)
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as fh:
            # Throw-away cluster: loopback only, socket in its own folder, no fsync (a server crash,
            # not an OS crash, loses nothing). synchronous_commit stays on: with it off, a commit
            # the client was told about can vanish in an immediate shutdown - the very case the
            # outbox relies on never happening.
            fh.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.base}'\n"
                "fsync = off\nfull_page_writes = off\nmax_connections = 100\n"
                "shared_buffers = 32MB\nlog_min_messages = warning\n"
            )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        except subprocess.CalledProcessError as exc:
            tail = self.log.read_text(errors="replace")[-800:] if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {(exc.stderr or exc.stdout).strip()} {tail}") from exc

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: disconnect clients; ``immediate``: like a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def dsn(self, dbname: str = "postgres") -> str:
        """A libpq connection string (with the password: tests pass it through the environment, never a log)."""
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user={self.user} password={self.password} connect_timeout=3"

    def create_database(self, name: str) -> str:
        """Create a database and return its DSN."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # name comes from the caller's code, not user input
        return self.dsn(name)

    def destroy(self) -> None:
        """Stop the server and delete the cluster's folder."""
        with contextlib.suppress(Exception):
            if self.data.exists():
                self.stop("immediate")
        if self._own_tmp:
            shutil.rmtree(self.base, ignore_errors=True)
        else:
            shutil.rmtree(self.data, ignore_errors=True)


class S3Server:
    """moto's S3 server on a loopback port that survives ``stop()``/``start()`` cycles.

    moto keeps its buckets in process memory, so objects stay after a restart,
    like a real store coming back after a network outage.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._server: Any = None
        self.access_key = "livegate-test"
        self.secret_key = secrets.token_urlsafe(24)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        server.start()
        self._server = server

    def stop(self) -> None:
        """Stop serving and close the listening socket (clients get "connection refused")."""
        if self._server is None:
            return
        inner = getattr(self._server, "_server", None)
        self._server.stop()
        if inner is not None:
            inner.server_close()
        self._server = None

    def client_env(self) -> dict[str, str]:
        """Environment variables a Livegate process needs to use this server."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}


@contextlib.contextmanager
def local_servers(base: Path | None = None) -> Iterator[tuple[PostgresCluster, S3Server]]:
    """A started cluster and S3 server, torn down on exit."""
    cluster = PostgresCluster(base)
    s3 = S3Server()
    try:
        cluster.start()
        s3.start()
        yield cluster, s3
    finally:
        s3.stop()
        cluster.destroy()


def wait_for(predicate: Any, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate()`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
