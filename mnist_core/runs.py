"""Run state in the database: what every server replica and the worker agree on.

A run is one row of the ``runs`` table (mnist_core/tables.py). Pages create it
(queued), the worker claims it (running), writes its progress and a heartbeat,
and finishes it (done, stopped, failed); any page may ask it to stop. Starting
is atomic: an active run holds one of N slots, and the slot column is UNIQUE,
so two Starts at the same moment on two servers give one run per free slot.

Nothing stays "running" forever: a run whose heartbeat is older than
``DIGITLAB_RUN_TIMEOUT`` seconds (or whose worker process on this machine is
gone) is marked failed by whoever looks at it next.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .database import session_scope
from .errors import DigitLabError, ModelError, TrainingBusyError
from .registry import ModelCard
from .tables import Run

SLOTS_ENV = "DIGITLAB_WORKERS"
TIMEOUT_ENV = "DIGITLAB_RUN_TIMEOUT"
DEFAULT_TIMEOUT = 30.0  # seconds without a heartbeat before a run counts as lost
QUEUE_WAIT = 180.0  # seconds a queued run may wait for a worker (its start-up loads TensorFlow)
ACTIVE = ("queued", "running", "stopping", "saving")
WORKING = ("running", "stopping", "saving")  # claimed by a worker
FINISHED = ("done", "stopped", "failed")
START_ATTEMPTS = 8


@dataclass(frozen=True)
class JobState:
    """An immutable snapshot of one run (or of no run: status "idle")."""

    status: str = "idle"  # idle, queued, running, stopping, saving, done, stopped, failed
    owner: str = ""
    preset: str = ""
    name: str = ""
    epochs: int = 0
    epoch: int = 0  # 1-based epoch in progress
    step: int = 0
    steps: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    batch_logs: dict[str, float] = field(default_factory=dict)
    started: float = 0.0
    finished: float = 0.0
    message: str = ""
    card: ModelCard | None = None
    run_id: int = 0
    kind: str = "train"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def fraction(self) -> float:
        if not self.epochs or not self.steps:
            return 0.0
        return min(1.0, max(0.0, ((self.epoch - 1) + self.step / self.steps) / self.epochs))

    def describe(self, viewer: str | None = None) -> str:
        """One sentence on who is doing what, for people: the network's title, not its internal name, and
        "You are …" when ``viewer`` owns the run ("Visitor 28f1 is …" for everyone else)."""
        from .presets import PRESETS  # lazily: Keras is not needed to read a run

        mine = bool(viewer) and viewer == self.owner
        who = "You are" if mine else f"{self.owner or 'Someone'} is"
        network = PRESETS[self.preset].title if self.preset in PRESETS else self.preset
        named = f"{network} as “{self.name}”"
        doing = "searching settings for" if self.kind == "tune" else "training"
        if self.status == "queued":
            return f"{who} {doing} {named}: waiting for the training worker to start it."
        trial = self.history.get("trial") if self.kind == "tune" else None
        if isinstance(trial, dict):
            return f"{who} {doing} {named}: trial {trial.get('number')} of {trial.get('total')}."
        return f"{who} {doing} {named}: epoch {self.epoch} of {self.epochs}, {self.fraction:.0%} done."


def configured_slots() -> int:
    """How many runs may go at once in this deployment (``DIGITLAB_WORKERS``, default 1)."""
    return _positive(SLOTS_ENV, 1, int)


def configured_timeout() -> float:
    return _positive(TIMEOUT_ENV, DEFAULT_TIMEOUT, float)


def _positive(name: str, default, kind):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise DigitLabError(f"{name} must be a positive number, got {raw!r}.") from None
    if value <= 0:
        raise DigitLabError(f"{name} must be a positive number, got {raw!r}.")
    return value


def this_host() -> str:
    return socket.gethostname()


def worker_id() -> str:
    """host:pid of this process: who is running a run, and whether it is still alive."""
    return f"{this_host()}:{os.getpid()}"


def pid_alive(pid: int) -> bool:
    """True if a process with this id runs here (a zombie, killed but not reaped, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not Path("/proc").is_dir()


def worker_gone(worker: str) -> bool:
    """True only when the worker ran on this machine and its process is not there any more."""
    host, _, pid = worker.rpartition(":")
    return bool(host) and host == this_host() and pid.isdigit() and not pid_alive(int(pid))


def state_of(run: Run) -> JobState:
    card = None
    if run.card:
        try:
            card = ModelCard.from_json(json.dumps(run.card))
        except (ValueError, TypeError):
            card = None
    return JobState(
        status=run.status, owner=run.owner, preset=run.preset, name=run.name, epochs=run.epochs,
        epoch=run.epoch, step=run.step, steps=run.steps, history=dict(run.history or {}),
        batch_logs=dict(run.batch_logs or {}), started=run.queued_at, finished=run.finished_at or 0.0,
        message=run.message, card=card, run_id=run.id, kind=run.kind,
    )


@dataclass(frozen=True)
class RunOrder:
    """What a worker needs to execute a claimed run."""

    run_id: int
    kind: str
    owner: str
    preset: str
    name: str
    settings: dict[str, Any]
    options: dict[str, Any]


def busy_message(states: Iterable[JobState]) -> str:
    described = " ".join(s.describe() for s in states)
    return f"A training run is already going: {described}"


class RunStore:
    """The runs table, seen from a page or from the worker. Cheap to create: it holds no connection."""

    def __init__(self, url: str | None = None, slots: int | None = None, timeout: float | None = None,
                 queue_wait: float = QUEUE_WAIT) -> None:
        self.url = url
        self.slots = slots or configured_slots()
        self.timeout = timeout or configured_timeout()
        self.queue_wait = queue_wait

    # ---- pages ------------------------------------------------------------------
    def create(self, kind: str, owner: str, preset: str, name: str, settings: dict[str, Any],
               options: dict[str, Any], epochs: int) -> tuple[JobState, str]:
        """A queued run in a free slot and its key, or TrainingBusyError naming who trains what."""
        for _ in range(START_ATTEMPTS):
            try:
                with session_scope(self.url) as session:
                    self._expire_stale(session)
                    rows = self._active_rows(session)  # one read: the message names the runs that took the slots
                    active = [state_of(r) for r in rows]
                    free = sorted(set(range(self.slots)) - {r.slot for r in rows})
                    if not free:
                        raise TrainingBusyError(busy_message(active))
                    if any(s.name == name for s in active):
                        raise ModelError(f"A model called {name!r} is being trained right now: choose another name.")
                    now = time.time()
                    run = Run(key=uuid.uuid4().hex, kind=kind, status="queued", slot=free[0], owner=owner,
                              preset=preset, name=name, settings=settings, options=options, message="",
                              epochs=epochs, epoch=1, step=0, steps=0, history={}, batch_logs={}, card=None,
                              stop_requested=False, worker="", queued_at=now, heartbeat_at=now)
                    session.add(run)
                    session.flush()
                    return state_of(run), run.key
            except IntegrityError:  # another server took that slot a moment ago: look again
                time.sleep(0.05)
        with session_scope(self.url) as session:
            raise TrainingBusyError(busy_message(self._active(session)))

    def get(self, run_id: int) -> JobState | None:
        with session_scope(self.url) as session:
            self._expire_stale(session)
            run = session.get(Run, run_id)
            return state_of(run) if run is not None else None

    def active(self) -> list[JobState]:
        """Every active run, oldest first (stale ones are marked failed on the way)."""
        with session_scope(self.url) as session:
            return self._active(session)

    def latest(self, owner: str | None = None) -> JobState | None:
        """The newest run (of ``owner``, if given), active or finished."""
        with session_scope(self.url) as session:
            self._expire_stale(session)
            query = sa.select(Run).order_by(Run.id.desc()).limit(1)
            if owner is not None:
                query = query.where(Run.owner == owner)
            run = session.scalars(query).first()
            return state_of(run) if run is not None else None

    def transfer_owner(self, old: str, new: str) -> int:
        """Runs of ``old`` become ``new``'s: a tab that learnt its browser's real id keeps its runs."""
        if not old or old == new:
            return 0
        with session_scope(self.url) as session:
            return int(session.execute(sa.update(Run).where(Run.owner == old).values(owner=new)).rowcount or 0)

    def request_stop(self, run_id: int) -> bool:
        """Ask a run to stop after its current batch; a queued run stops at once. True if it was running."""
        now = time.time()
        with session_scope(self.url) as session:
            cancelled = session.execute(
                sa.update(Run).where(Run.id == run_id, Run.status == "queued").values(
                    status="stopped", slot=None, finished_at=now, stop_requested=True,
                    message="Stopped before it started; nothing was saved.")).rowcount
            if cancelled:
                return True
            return bool(session.execute(
                sa.update(Run).where(Run.id == run_id, Run.status == "running").values(
                    status="stopping", stop_requested=True)).rowcount)

    # ---- the worker ---------------------------------------------------------------
    def claim(self, run_id: int, key: str, worker: str) -> RunOrder | None:
        """Take a queued run for this worker; None if it was stopped, expired or is not ours."""
        now = time.time()
        with session_scope(self.url) as session:
            taken = session.execute(
                sa.update(Run).where(Run.id == run_id, Run.key == key, Run.status == "queued").values(
                    status="running", worker=worker, started_at=now, heartbeat_at=now)).rowcount
            if not taken:
                return None
            run = session.get(Run, run_id)
            return RunOrder(run.id, run.kind, run.owner, run.preset, run.name, dict(run.settings or {}),
                            dict(run.options or {}))

    def report(self, run_id: int, progress: dict[str, Any] | None = None, beat: bool = True) -> tuple[str, bool]:
        """Write the heartbeat and progress (if given, or ``beat``); return the run's status and its stop flag."""
        with session_scope(self.url) as session:
            if progress or beat:
                values = {"heartbeat_at": time.time(), **(progress or {})}
                session.execute(sa.update(Run).where(Run.id == run_id, Run.status.in_(WORKING)).values(**values))
            row = session.execute(sa.select(Run.status, Run.stop_requested).where(Run.id == run_id)).first()
        return (row[0], bool(row[1])) if row is not None else ("gone", True)

    def mark_saving(self, run_id: int) -> bool:
        """The run is writing its model; False if it is no longer this worker's to save."""
        with session_scope(self.url) as session:
            return bool(session.execute(
                sa.update(Run).where(Run.id == run_id, Run.status.in_(("running", "stopping"))).values(
                    status="saving", heartbeat_at=time.time())).rowcount)

    def finish(self, run_id: int, status: str, message: str, card: ModelCard | None = None,
               progress: dict[str, Any] | None = None) -> bool:
        """Record the outcome and free the slot; False if the run had already been finished by someone."""
        assert status in FINISHED
        values: dict[str, Any] = {"status": status, "message": message, "slot": None, "finished_at": time.time(),
                                  **(progress or {})}
        if card is not None:
            values["card"] = json.loads(card.to_json())
        with session_scope(self.url) as session:
            return bool(session.execute(
                sa.update(Run).where(Run.id == run_id, Run.status.in_(ACTIVE)).values(**values)).rowcount)

    def fail_orphans(self, host: str | None = None) -> int:
        """Mark failed the active runs of workers on this machine that are gone (a restarted worker calls it)."""
        with session_scope(self.url) as session:
            rows = self._active_rows(session)
            lost = [r for r in rows if r.worker and worker_gone(r.worker)]
            for run in lost:
                self._fail(session, run, "The training worker stopped in the middle of this run "
                                         "(it was killed or restarted); nothing was saved.")
            return len(lost)

    def fail_worker_runs(self, worker: str, message: str) -> int:
        """Mark failed every active run of one worker (it is shutting down)."""
        with session_scope(self.url) as session:
            rows = [r for r in self._active_rows(session) if r.worker == worker]
            for run in rows:
                self._fail(session, run, message)
            return len(rows)

    # ---- internals ------------------------------------------------------------------
    def _active_rows(self, session) -> list[Run]:
        return list(session.scalars(sa.select(Run).where(Run.slot.is_not(None)).order_by(Run.id)))

    def _active(self, session) -> list[JobState]:
        self._expire_stale(session)
        return [state_of(r) for r in self._active_rows(session)]

    def _expire_stale(self, session) -> None:
        """Fail the active runs nobody is looking after any more (a cheap read when all is well)."""
        now = time.time()
        for run in self._active_rows(session):
            reason = self._lost(run, now)
            if reason:
                self._fail(session, run, reason)

    def _lost(self, run: Run, now: float) -> str | None:
        if run.status == "queued":
            if now - run.heartbeat_at > self.queue_wait:
                return (f"No training worker took this run within {self.queue_wait:.0f} seconds; "
                        "start one with `python -m mnist_core worker`.")
            return None
        if run.worker and worker_gone(run.worker):
            return "The training worker stopped in the middle of this run (it was killed); nothing was saved."
        if now - run.heartbeat_at > self.timeout:
            return (f"The training worker stopped answering for {now - run.heartbeat_at:.0f} seconds "
                    "(it was killed or its machine went away); nothing was saved.")
        return None

    def _fail(self, session, run: Run, message: str) -> None:
        session.execute(sa.update(Run).where(Run.id == run.id, Run.status.in_(ACTIVE)).values(
            status="failed", message=message, slot=None, finished_at=time.time()))
        session.refresh(run)
