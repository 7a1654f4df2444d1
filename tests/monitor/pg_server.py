"""A throwaway PostgreSQL server for tests: a cluster in a temporary directory, on a free
loopback port, run as a non-root user, stopped (and its directory removed) afterwards.

The binaries come from PATH or Debian's /usr/lib/postgresql/*/bin (`apt-get install
postgresql`; .ci/run installs it). Where they are missing the tests that need the server fail,
except when PE_SKIP_POSTGRES=1 is set (for a developer's machine without PostgreSQL).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SKIP_ENV = "PE_SKIP_POSTGRES"


def pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields the URL of a fresh server's ``postgres`` database (superuser ``pe``, trust)."""
    binaries = pg_bin()
    if binaries is None:
        message = ("PostgreSQL's binaries (initdb, pg_ctl) were not found: apt-get install "
                   f"postgresql (or set {SKIP_ENV}=1 to skip these tests on this machine)")
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(message)
        pytest.fail(message)
    root = Path(tempfile.mkdtemp(prefix="pe-pg-"))
    data = root / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    log = root / "server.log"

    def run(*args: str, timeout: float = 60) -> None:
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=timeout,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr or done.stdout}")

    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", "pe", "--auth=trust",
            "--no-sync", "-E", "UTF8")
        options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c max_connections=40")
        run(str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w",
            "-t", "60", "start")
        try:
            yield f"postgresql://pe@127.0.0.1:{port}/postgres"
        finally:
            run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server: str) -> str:
    """A new, empty database on the server; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + f"/{name}"
