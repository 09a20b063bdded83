"""The training worker: ``python -m mnist_core worker``.

A separate process, at a lower CPU priority than the web servers, that takes
runs from the queue (Huey's consumer, one thread per slot) and executes them
through the kind registry (mnist_core/runkinds.py). While a run goes, a side
thread writes its progress to the database at most once a second, beats its
heartbeat, and reads the stop flag every half second: the training loop itself
never waits for the database, so it trains as fast as a plain ``model.fit``.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import Any

from .errors import DigitLabError
from .runs import WORKING, RunStore, configured_slots, worker_id
from .taskqueue import get_queue, launch_marker, log_path, queue_url, safe_url, worker_lock, worker_pid

NICE_ENV = "DIGITLAB_WORKER_NICE"
DEFAULT_NICE = 10
POLL_SECONDS = 0.5  # the stop flag is read this often
WRITE_SECONDS = 1.0  # progress written at most this often
BEAT_SECONDS = 2.0  # the heartbeat written at least this often (with the progress, or alone)

log = logging.getLogger("digitlab.worker")


class Reporter:
    """A TrainingListener that keeps the run's progress in memory; a side thread carries it to the database."""

    def __init__(self, store: RunStore, run_id: int, poll: float = POLL_SECONDS, write: float = WRITE_SECONDS):
        self.store, self.run_id, self.poll, self.write = store, run_id, poll, write
        self.stop = threading.Event()  # set when someone pressed Stop (or the run was given up)
        self.lost = threading.Event()  # set when the run is no longer this worker's
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._progress: dict[str, Any] = {}
        self._dirty = False
        self._written = float("-inf")  # the first progress goes out at once
        self._thread = threading.Thread(target=self._loop, name=f"digitlab-run-{run_id}", daemon=True)

    # ---- the training thread's side: memory only --------------------------------------
    def _set(self, **changes: Any) -> None:
        with self._lock:
            self._progress.update(changes)
            self._dirty = True

    def on_start(self, epochs: int, steps_per_epoch: int) -> None:
        self._set(epochs=epochs, steps=steps_per_epoch, epoch=1, step=0)

    def on_batch(self, epoch: int, step: int, steps: int, logs: dict[str, float]) -> None:
        self._set(epoch=epoch + 1, step=step, steps=steps, batch_logs=dict(logs))

    def on_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        with self._lock:
            history = {k: list(v) if isinstance(v, list) else v for k, v in self._progress.get("history", {}).items()}
        for key, value in logs.items():
            history.setdefault(key, []).append(value)
        with self._lock:
            self._progress.update(history=history, epoch=epoch + 1, step=self._progress.get("steps", 0))
            self._dirty = True

    # a search (mnist_core.tuning) also reports its trials: the finished ones go into the history under
    # "trials" (pages show them live), the curves restart with each trial
    def on_trial_start(self, number: int, total: int, values: dict[str, Any]) -> None:
        with self._lock:
            trials = list(self._progress.get("history", {}).get("trials", []))
            trial = {"number": number, "total": total, "values": dict(values)}
            self._progress.update(history={"trials": trials, "trial": trial}, epoch=1, step=0)
            self._dirty = True

    def on_trial_end(self, record: Any) -> None:
        with self._lock:
            history = dict(self._progress.get("history", {}))
            history["trials"] = [*history.get("trials", []), record.to_dict()]
            self._progress["history"] = history
            self._dirty = True

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._progress)

    # ---- the side thread: the database -------------------------------------------------
    def __enter__(self) -> "Reporter":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(10)

    def _loop(self) -> None:
        while not self._done.wait(self.poll):
            self.beat()

    def beat(self) -> None:
        """One tick: write progress (at most every ``write`` s) or a bare heartbeat (every BEAT_SECONDS),
        and read the stop flag (every tick: a one-row SELECT)."""
        now = time.monotonic()
        progress = None
        with self._lock:
            if self._dirty and now - self._written >= self.write:
                progress, self._dirty = dict(self._progress), False
        beat = progress is not None or now - self._written >= BEAT_SECONDS
        if beat:
            self._written = now
        try:
            status, stop_requested = self.store.report(self.run_id, progress, beat=beat)
        except Exception as exc:  # the database away for a moment: keep training, try again
            log.warning("run %s: could not report progress: %s", self.run_id, exc)
            return
        if status not in WORKING:
            self.lost.set()
        if stop_requested or self.lost.is_set():
            self.stop.set()


def execute_run(run_id: int, key: str, store: RunStore | None = None) -> None:
    """Claim one queued run, execute its kind, record the outcome. Never raises: failures are recorded."""
    from .runkinds import KINDS, RunContext, RunOutcome

    store = store or RunStore()
    order = store.claim(run_id, key, worker_id())
    if order is None:
        log.info("run %s: not queued any more (stopped, expired or unknown); skipped", run_id)
        return
    log.info("run %s: %s %r as %r for %r", run_id, order.kind, order.preset, order.name, order.owner)
    kind = KINDS.get(order.kind)
    with Reporter(store, run_id) as reporter:
        try:
            if kind is None:
                raise DigitLabError(f"This worker cannot run {order.kind!r} runs: update it and restart it.")
            context = RunContext(order, reporter, reporter.stop,
                                 begin_saving=lambda: not reporter.lost.is_set() and store.mark_saving(run_id))
            outcome = kind(context)
        except DigitLabError as exc:
            log.warning("run %s failed: %s", run_id, exc)
            outcome = RunOutcome("failed", str(exc))
        except Exception as exc:  # a bug in one run must not take the worker down
            log.exception("run %s crashed", run_id)
            outcome = RunOutcome("failed", f"Training failed: {type(exc).__name__}: {exc}")
    if not store.finish(run_id, outcome.status, outcome.message, outcome.card, reporter.snapshot()):
        log.warning("run %s had already been finished elsewhere; its outcome %r is dropped", run_id, outcome.status)
    else:
        log.info("run %s: %s: %s", run_id, outcome.status, outcome.message)


def nice_level() -> int:
    raw = os.environ.get(NICE_ENV, "").strip()
    try:
        return max(0, min(19, int(raw))) if raw else DEFAULT_NICE
    except ValueError:
        raise DigitLabError(f"{NICE_ENV} must be a whole number from 0 to 19, got {raw!r}.") from None


def lower_priority(nice: int) -> None:
    """``os.nice`` for this process, and the same for its scheduler autogroup where Linux has one.

    With autogroups on (the default on desktop and many server kernels) the CPU is first shared
    fairly between sessions, and a process's nice value only counts inside its own session: a
    worker in its own session at nice 10 would still take half the machine from the web server.
    Raising the autogroup's nice value (allowed without privileges) makes the whole worker yield.
    Only a session leader does it (the detached worker, a systemd service): a worker run from a
    terminal must not slow down the terminal's whole session.
    """
    os.nice(nice)
    autogroup = "/proc/self/autogroup"
    if nice and os.getsid(0) == os.getpid() and os.path.exists(autogroup):
        try:
            with open(autogroup, "w") as handle:
                handle.write(str(nice))
        except OSError as exc:
            log.info("could not lower the worker's autogroup priority: %s", exc)


def daemonize(log_file: str) -> None:
    """Fork away from the caller (a web server) into a session of its own, so the worker outlives it,
    is never its zombie (the launcher exits at once) and has its own scheduler autogroup."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(null)
    os.close(out)


def make_consumer(url: str, slots: int):
    """Huey's consumer for the queue: one thread per slot, polling an SQLite queue at least every second."""
    huey, _ = get_queue(url)
    return huey.create_consumer(workers=slots, worker_type="thread", periodic=False, initial_delay=0.1,
                                backoff=1.15, max_delay=1.0, check_worker_health=True)


def exit_when_idle(store: RunStore, idle: float, since: float) -> None:
    """Interrupt this worker (gracefully, as Ctrl-C does) once no run has been queued or active for ``idle`` s.

    Workers the app starts by itself use it, so a machine whose servers are gone is not left with a
    TensorFlow process forever; the next Start starts a new one.
    """
    check = max(0.5, min(60.0, idle / 4))
    while True:
        time.sleep(check)
        try:
            if store.active():
                since = time.time()
                continue
            latest = store.latest()
        except Exception as exc:  # the database away for a moment: not a reason to leave
            log.warning("idle check failed: %s", exc)
            continue
        last = max(since, (latest.finished or latest.started) if latest else 0.0)
        if time.time() - last >= idle:
            log.info("no run for %.0f s: the worker exits (the next Start starts a new one)", idle)
            os.kill(os.getpid(), signal.SIGINT)
            return


def run_worker(background: bool = False, if_free: bool = False, idle_exit: float = 0.0) -> int:
    """The worker's main: one per queue and machine, niced, marking lost runs failed on the way in and out."""
    url = queue_url()
    get_queue(url)  # a bad DIGITLAB_QUEUE is reported here, before forking
    slots = configured_slots()
    nice = nice_level()
    if background:
        daemonize(str(log_path(url)))
    with worker_lock(url) as held:
        if not held:
            if if_free:
                return 0
            raise DigitLabError(f"A Digit Lab worker is already running for this queue on this machine "
                                f"(pid {worker_pid(url)}).")
        launch_marker(url).unlink(missing_ok=True)  # launched: the next one may be started when this one ends
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                            stream=sys.stderr, force=True)
        lower_priority(nice)
        from . import training  # noqa: F401 - load TensorFlow now, not when the first run waits for it

        store = RunStore()
        lost = store.fail_orphans()
        log.info("worker %s: queue %s, %d slot(s), nice %d; %d lost run(s) marked failed",
                 worker_id(), safe_url(url), slots, os.nice(0), lost)
        if idle_exit > 0:
            threading.Thread(target=exit_when_idle, args=(store, idle_exit, time.time()), daemon=True,
                             name="digitlab-idle-exit").start()
        try:
            make_consumer(url, slots).run()
        finally:
            store.fail_worker_runs(worker_id(), "The training worker was shut down during this run; "
                                                "nothing was saved.")
    return 0
