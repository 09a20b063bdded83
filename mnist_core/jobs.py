"""The deployment's training slots, as the pages see them.

A run is started here (a row in the database, a task on the queue), executed
by the training worker (mnist_core/worker.py), and followed through the
database: every page on every server replica reads the same live state, and
Stop works from any of them. By default one run goes at a time per
deployment (``DIGITLAB_WORKERS`` raises that); a Start with every slot taken
is refused with who is training what and how far it got.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .data import MnistData
from .errors import DigitLabError
from .runs import JobState, RunStore
from .settings import TrainSettings
from .taskqueue import enqueue, ensure_worker

__all__ = ["JobState", "TrainingJob"]
WAIT_POLL = 0.2


class TrainingJob:
    """Start, follow and stop runs; holds no state of its own, so every server and session may have one."""

    def __init__(self, db_url: str | None = None, queue: str | None = None, store: RunStore | None = None) -> None:
        self.store = store or RunStore(db_url)
        self.queue = queue

    # ---- what the pages show ------------------------------------------------------------
    @property
    def state(self) -> JobState:
        """The oldest active run, else the newest finished one, else "idle"."""
        active = self.store.active()
        return active[0] if active else (self.store.latest() or JobState())

    def state_for(self, owner: str) -> JobState:
        """The run to show this person: their own active run; any active run when every slot is taken;
        else their newest run; else the newest run of anyone (the page shows that one only just after)."""
        active = self.store.active()
        if any(s.status == "queued" for s in active):
            ensure_worker(self.queue)  # a worker that left (idle, crashed) comes back for a waiting run
        mine = [s for s in active if s.owner == owner]
        if mine:
            return mine[0]
        if active and len(active) >= self.store.slots:
            return active[0]
        return self.store.latest(owner) or self.store.latest() or JobState()

    def others(self, owner: str) -> list[JobState]:
        """Active runs of other people (shown beside the form when a slot is still free)."""
        return [s for s in self.store.active() if s.owner != owner]

    # ---- actions -------------------------------------------------------------------------
    def start(self, preset: str, settings: TrainSettings, data: MnistData, name: str, owner: str = "",
              keep_partial: bool = True) -> JobState:
        """Queue a training run, or raise TrainingBusyError naming who trains what."""
        options = {"keep_partial": bool(keep_partial), "data": data_file(data)}
        return self.start_run("train", owner=owner, preset=preset, name=name, settings=settings.to_dict(),
                              epochs=settings.epochs, options=options)

    def start_run(self, kind: str, *, owner: str, preset: str, name: str, settings: dict[str, Any],
                  epochs: int, options: dict[str, Any] | None = None) -> JobState:
        """Queue a run of any kind registered in mnist_core.runkinds.KINDS (train, finetune, tune)."""
        from .runkinds import KINDS

        if kind not in KINDS:
            raise DigitLabError(f"Digit Lab cannot run {kind!r}; it knows {', '.join(sorted(KINDS))}.")
        state, key = self.store.create(kind, owner, preset, name, settings, dict(options or {}), epochs)
        ensure_worker(self.queue)  # on one machine, the first Start brings the worker up
        try:
            enqueue(state.run_id, key, self.queue)
        except DigitLabError as exc:
            self.store.finish(state.run_id, "failed", str(exc))
            raise
        return state

    def stop(self, run_id: int | None = None) -> bool:
        """Ask a run (by default the oldest running one) to stop after its current batch; True if it was going."""
        if run_id is None:
            running = [s for s in self.store.active() if s.status in ("queued", "running")]
            if not running:
                return False
            run_id = running[0].run_id
        return self.store.request_stop(run_id)

    def wait(self, timeout: float | None = None, run_id: int | None = None) -> JobState:
        """Poll until the run (by default the newest) is finished or ``timeout`` seconds passed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self.store.get(run_id) if run_id else self.store.latest()
            state = state or JobState()
            if not state.active or (deadline is not None and time.monotonic() >= deadline):
                return state
            time.sleep(WAIT_POLL)


def data_file(data: MnistData) -> str | None:
    """The dataset file the page loaded, so the worker trains on the same data when it can read it."""
    try:
        return str(Path(data.source).resolve()) if Path(data.source).is_file() else None
    except (OSError, ValueError):
        return None
