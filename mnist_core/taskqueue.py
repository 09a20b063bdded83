"""The queue between the web servers and the training worker: Huey.

A page enqueues one task per run, naming the run (id and key); everything
else about the run lives in the database. The queue is an SQLite file on one
machine (``SqliteHuey``: nothing to install) and Redis when servers and the
worker are on several machines (``RedisHuey``), chosen by ``DIGITLAB_QUEUE``.

On one machine the web server starts the worker itself when a run is
started (``ensure_worker``): ``python -m mnist_core worker --background``,
detached from the server so it outlives it. The worker holds an exclusive
lock on a file named after the queue for as long as it runs, so however many
servers ask, one worker per queue and machine starts; a worker started by
hand (a school server's own machine) takes the same lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from .database import database_url
from .errors import DigitLabError

QUEUE_ENV = "DIGITLAB_QUEUE"
AUTOSTART_ENV = "DIGITLAB_WORKER_AUTOSTART"
TASK_NAME = "digitlab.run"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
IDLE_EXIT_SECONDS = 1800  # a worker the app started leaves after half an hour without runs
LAUNCH_GRACE = 120.0  # seconds a launched worker has to take its lock before another launch is tried

log = logging.getLogger("digitlab.queue")


def queue_url() -> str:
    """``DIGITLAB_QUEUE``, else an SQLite queue file beside the SQLite database (or in ~/.digitlab)."""
    explicit = os.environ.get(QUEUE_ENV, "").strip()
    if explicit:
        return explicit
    from sqlalchemy.engine import make_url

    db = make_url(database_url())
    if db.get_backend_name() == "sqlite" and db.database and db.database != ":memory:":
        folder, stem = Path(db.database).expanduser().parent, Path(db.database).stem
        return f"sqlite:///{folder / (stem + '.queue.db')}"
    return f"sqlite:///{Path.home() / '.digitlab' / 'queue.db'}"


def autostart() -> bool:
    """Whether a web server starts a worker on its own machine (``DIGITLAB_WORKER_AUTOSTART``, default on)."""
    return os.environ.get(AUTOSTART_ENV, "1").strip().lower() not in ("0", "no", "false", "off")


def safe_url(url: str) -> str:
    """The queue URL without a password, for messages."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, _ = head.partition("://")
    return f"{scheme}://…@{tail}"


@functools.lru_cache(maxsize=8)
def get_queue(url: str) -> tuple[Any, Any]:
    """(Huey instance, the run task) for a queue URL; the task is registered on that instance."""
    from huey import RedisHuey, SqliteHuey

    if url.startswith(REDIS_SCHEMES):
        huey = RedisHuey("digitlab", url=url, results=False)
    elif url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):]).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("digitlab", filename=str(path), results=False, timeout=30)
    else:
        raise DigitLabError(f"{QUEUE_ENV} must be sqlite:///path/to/queue.db or redis://host:port/0, "
                            f"got {safe_url(url)!r}.")
    return huey, huey.task(name=TASK_NAME)(_execute)


def _execute(run_id: int, key: str) -> None:
    """The one task: run ``run_id`` in this worker (imported here: web servers never load the worker)."""
    from .worker import execute_run

    execute_run(run_id, key)


def enqueue(run_id: int, key: str, url: str | None = None) -> None:
    url = url or queue_url()
    _, task = get_queue(url)
    try:
        task(run_id, key)
    except Exception as exc:  # Redis down, queue file unwritable: one sentence
        raise DigitLabError(f"The training queue {safe_url(url)!r} could not take the run ({exc}).") from exc


# ---- one worker per queue and machine ----------------------------------------------
def lock_path(url: str) -> Path:
    digest = hashlib.sha1(url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"digitlab-worker-{digest}.lock"


def log_path(url: str) -> Path:
    return lock_path(url).with_suffix(".log")


@contextlib.contextmanager
def worker_lock(url: str) -> Iterator[bool]:
    """Hold the worker lock for this queue while inside; yields False if another process holds it."""
    with open(lock_path(url), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def worker_pid(url: str) -> int | None:
    """The pid of the worker holding this queue's lock on this machine, or None if none does."""
    if not worker_running(url):
        return None
    try:
        return int(lock_path(url).read_text().strip())
    except (OSError, ValueError):
        return None


def worker_running(url: str) -> bool:
    try:
        with open(lock_path(url), "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    except OSError:
        return False


def ensure_worker(url: str | None = None) -> bool:
    """Start a detached worker on this machine if none holds the queue's lock; True if one is being started.

    The launch happens on a short-lived thread, so a Start click never waits for Python to boot
    (seconds on a busy machine): the run shows as queued until the worker takes it.
    """
    url = url or queue_url()
    if not autostart() or worker_running(url) or not claim_launch(url):
        return False
    env = dict(os.environ, **{QUEUE_ENV: url})
    threading.Thread(target=_launch, args=(url, env), name="digitlab-worker-launch", daemon=True).start()
    return True


def launch_marker(url: str) -> Path:
    return lock_path(url).with_suffix(".launch")


def claim_launch(url: str) -> bool:
    """True for the one caller per LAUNCH_GRACE seconds that may launch a worker for this queue.

    A worker takes its lock only after Python has started and imported its modules (seconds, on a
    busy machine); meanwhile every page showing the queued run asks again. The marker file's
    creation (atomic) and age say whether a launch is already under way; the worker removes it.
    """
    marker = launch_marker(url)
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        return True
    except FileExistsError:
        pass
    try:
        if time.time() - marker.stat().st_mtime < LAUNCH_GRACE:
            return False
        os.utime(marker)  # a launch that never took the lock: try again
        return True
    except OSError:
        return False


def _launch(url: str, env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "mnist_core", "worker", "--background", "--if-free",
               "--idle-exit", str(IDLE_EXIT_SECONDS)]
    try:  # returns as soon as the worker has forked itself away
        subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not start the training worker: %s", exc)
        return
    log.info("started a training worker for %s (log %s)", safe_url(url), log_path(url))
