"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl in a temporary folder, a free port.

The cluster listens on 127.0.0.1 and on a unix socket inside its own folder, and
is stopped and removed afterwards. PostgreSQL refuses to run as root, so as root
the cluster belongs to the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

BINARIES = ("initdb", "pg_ctl")
SHARED_TEMP = "/tmp"  # world-writable on every POSIX system; the cluster's folder is removed afterwards


def _find(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).is_file():
            return str(folder / name)
    return None


def missing() -> str | None:
    """Why a cluster cannot be started here, or None."""
    for name in BINARIES:
        if _find(name) is None:
            return f"{name} is not installed (Debian package postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to own the cluster"
        if shutil.which("runuser") is None:
            return "running as root without runuser"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(command: list[str], user: str | None) -> None:
    if user:
        command = ["runuser", "-u", user, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr or result.stdout}")


@contextlib.contextmanager
def cluster() -> Iterator[str]:
    """Yield a SQLAlchemy URL to a fresh, empty database; remove everything afterwards."""
    user = "postgres" if os.geteuid() == 0 else None
    # the postgres user must reach the folder: pytest's temp folder, where tests keep the rest, is private to root
    folder = Path(tempfile.mkdtemp(prefix="digitlab-pg-", dir=SHARED_TEMP if user else None))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    data, socket_dir, port = folder / "data", folder, _free_port()
    name = pwd.getpwuid(os.geteuid()).pw_name if user is None else user
    try:
        _run([_find("initdb"), "-D", str(data), "-A", "trust", "-U", name, "--no-sync", "-E", "UTF8"], user)
        options = f"-h 127.0.0.1 -p {port} -k {socket_dir} -c fsync=off -c max_connections=100"
        _run([_find("pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "-t", "60",
              "start"], user)
        try:
            yield f"postgresql+psycopg://{name}@127.0.0.1:{port}/postgres"
        finally:
            _run([_find("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], user)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
