"""Throwaway PostgreSQL and Redis for the production-shape tests, on free loopback ports in a
temporary folder, stopped (and the folder removed) however the tests end.

Debian's packages are expected (`make services` installs them): PostgreSQL's server binaries live
in `pg_config --bindir`, not on PATH, and initdb refuses to run as root, so as root the server runs
as the `postgres` user.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import psycopg
import redis

from bench.harness import free_port, stop_group

DATABASE_USER = "pushdeck"
MISSING = "the production-shape tests need Debian's postgresql and redis-server: run `make services`"


def _pg_bindir():
    try:
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(bindir.stdout.strip())
    return path if (path / "initdb").exists() else None


def available():
    return _pg_bindir() is not None and shutil.which("redis-server") is not None


class Service:
    """A server (or a worker) in its own process group, so that stopping it stops every process it
    forked; started at once, and back when ready() says so."""

    def __init__(self, name, command, folder, ready, stop_signal=signal.SIGTERM, env=None, cwd=None):
        self.name, self.command, self.ready, self.stop_signal = name, command, ready, stop_signal
        self.env, self.cwd = env, cwd
        self.log = folder / f"{name}.log"
        self.popen = None
        self.start()

    def start(self, timeout=30):
        with self.log.open("ab") as output:
            self.popen = subprocess.Popen(
                self.command, stdout=output, stderr=output, start_new_session=True, env=self.env, cwd=self.cwd
            )
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} was not ready after {timeout} s")
            time.sleep(0.1)

    def stop(self):
        stop_group(self.popen, self.stop_signal, timeout=15)

    def restart(self):
        self.stop()
        self.start()


def _start_postgres(folder):
    bindir = _pg_bindir()
    # initdb and postgres refuse to run as root.
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_owner:
        shutil.chown(folder, "postgres")
    data, port = folder / "postgres", free_port()
    subprocess.run(
        [*as_owner, bindir / "initdb", "-D", data, "-U", DATABASE_USER, "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    pg_isready = [bindir / "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)]
    server = Service(
        "postgres",
        [
            *as_owner,
            *(bindir / "postgres", "-D", data, "-p", str(port), "-k", folder),
            *("-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off"),
        ],
        folder,
        ready=lambda: subprocess.run(pg_isready, check=False).returncode == 0,
        # SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
        stop_signal=signal.SIGINT,
    )
    return server, f"postgres://{DATABASE_USER}@127.0.0.1:{port}"


def _start_redis(folder):
    port = free_port()
    url = f"redis://127.0.0.1:{port}"
    server = Service(
        "redis",
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", folder),
            *("--save", "", "--appendonly", "no"),
        ],
        folder,
        ready=lambda: _answers_ping(url),
    )
    return server, url


def _answers_ping(url):
    try:
        return redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.ConnectionError:
        return False


@contextlib.contextmanager
def postgres_and_redis():
    """Yields the two servers: .postgres_url (no database name), .redis_url, and each Service."""
    folder = Path(tempfile.mkdtemp(prefix="pushdeck-services-"))
    started = {}
    try:
        for name, start in (("postgres", _start_postgres), ("redis", _start_redis)):
            started[name] = start(folder)
        yield SimpleNamespace(
            postgres=started["postgres"][0],
            postgres_url=started["postgres"][1],
            redis=started["redis"][0],
            redis_url=started["redis"][1],
        )
    finally:
        for server, _ in reversed(started.values()):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server_url, name):
    """A new, empty database on the throwaway server; its URL."""
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"
