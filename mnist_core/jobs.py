"""The server's single training slot.

Training takes both CPU cores for a while, so one run at a time per server:
a second Start is refused with who is training what and how far it got.
The run happens in a background thread, so pages keep answering; its state
is a snapshot any session can read to follow the run live.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable

from .data import MnistData
from .errors import DigitLabError, TrainingBusyError
from .registry import ModelCard, Registry
from .settings import TrainSettings
from .training import TrainingListener, TrainResult, train
from .workflow import evaluate_and_save

log = logging.getLogger("digitlab.training")


@dataclass(frozen=True)
class JobState:
    """An immutable snapshot of the current (or last) run."""

    status: str = "idle"  # idle, running, stopping, saving, done, stopped, failed
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

    @property
    def active(self) -> bool:
        return self.status in ("running", "stopping", "saving")

    @property
    def fraction(self) -> float:
        if not self.epochs or not self.steps:
            return 0.0
        return min(1.0, ((self.epoch - 1) + self.step / self.steps) / self.epochs)

    def describe(self) -> str:
        who = self.owner or "someone"
        return (f"{who} is training {self.preset!r} as {self.name!r}: epoch {self.epoch} of {self.epochs}, "
                f"{self.fraction:.0%} done.")


class _Listener(TrainingListener):
    def __init__(self, job: "TrainingJob") -> None:
        self.job = job

    def on_start(self, epochs: int, steps_per_epoch: int) -> None:
        self.job._update(epochs=epochs, steps=steps_per_epoch, epoch=1, step=0)

    def on_batch(self, epoch: int, step: int, steps: int, logs: dict[str, float]) -> None:
        self.job._update(epoch=epoch + 1, step=step, steps=steps, batch_logs=logs)

    def on_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        state = self.job.state
        history = {k: list(v) for k, v in state.history.items()}
        for key, value in logs.items():
            history.setdefault(key, []).append(value)
        self.job._update(history=history, epoch=epoch + 1, step=state.steps)


class TrainingJob:
    """One slot; thread-safe; shared by all sessions of a server (via Streamlit's cache_resource)."""

    def __init__(self, registry_factory: Callable[[], Registry]) -> None:
        self._lock = threading.Lock()
        self._state = JobState()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._registry_factory = registry_factory
        self._result: TrainResult | None = None

    @property
    def state(self) -> JobState:
        with self._lock:
            return self._state

    def _update(self, **changes) -> None:
        with self._lock:
            self._state = replace(self._state, **changes)

    def start(self, preset: str, settings: TrainSettings, data: MnistData, name: str, owner: str = "",
              keep_partial: bool = True) -> None:
        """Start a run in the background, or raise TrainingBusyError if one is going."""
        with self._lock:
            if self._state.active:
                raise TrainingBusyError(f"A training run is already going: {self._state.describe()}")
            self._stop = threading.Event()
            self._state = JobState(status="running", owner=owner, preset=preset, name=name,
                                   epochs=settings.epochs, epoch=1, started=time.time())
        self._thread = threading.Thread(
            target=self._run, args=(preset, settings, data, name, keep_partial, self._stop),
            name="digitlab-training", daemon=True,
        )
        self._thread.start()

    def start_work(self, work: Callable[[TrainingListener, threading.Event], ModelCard | None], *, preset: str,
                   name: str, epochs: int, owner: str = "") -> None:
        """Run other training-like work (fine-tuning) in the same slot, with progress and Stop.

        ``work(listener, stop)`` saves its own model and returns its card, or None when stopped
        before anything was worth keeping.
        """
        with self._lock:
            if self._state.active:
                raise TrainingBusyError(f"A training run is already going: {self._state.describe()}")
            self._stop = threading.Event()
            self._state = JobState(status="running", owner=owner, preset=preset, name=name, epochs=epochs,
                                   epoch=1, started=time.time())
        self._thread = threading.Thread(target=self._run_work, args=(work, self._stop),
                                        name="digitlab-training", daemon=True)
        self._thread.start()

    def _run_work(self, work: Callable[[TrainingListener, threading.Event], ModelCard | None],
                  stop: threading.Event) -> None:
        try:
            card = work(_Listener(self), stop)
        except Exception as exc:  # the same reporting as a training run
            self._failed(exc)
            return
        if card is None:
            self._update(status="stopped", finished=time.time(), message="Stopped; nothing was saved.")
            return
        self._update(status="stopped" if card.stopped_early else "done", finished=time.time(), card=card,
                     message=f"Saved {card.name!r}: test accuracy {card.test_accuracy:.2%}.")

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, DigitLabError):
            log.warning("training failed: %s", exc)
            self._update(status="failed", finished=time.time(), message=str(exc))
        else:  # never let a training bug take the server down
            log.exception("training crashed")
            self._update(status="failed", finished=time.time(),
                         message=f"Training failed: {type(exc).__name__}: {exc}")

    def stop(self) -> bool:
        """Ask the run to stop after the current batch; True if one was running."""
        with self._lock:
            if self._state.status != "running":
                return False
            self._stop.set()
            self._state = replace(self._state, status="stopping")
            return True

    def wait(self, timeout: float | None = None) -> JobState:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.state

    def _run(self, preset: str, settings: TrainSettings, data: MnistData, name: str, keep_partial: bool,
             stop: threading.Event) -> None:
        try:
            result = train(preset, settings, data, listener=_Listener(self), stop=stop)
            if result.stopped_early and (not keep_partial or result.epochs_done == 0):
                self._update(status="stopped", finished=time.time(),
                             message="Stopped; nothing was saved." if not keep_partial else
                             "Stopped before the first epoch finished; nothing was saved.")
                return
            self._update(status="saving")
            card = evaluate_and_save(result, data, self._registry_factory(), name)
            status = "stopped" if result.stopped_early else "done"
            note = f" after {result.epochs_done} of {settings.epochs} epochs" if result.stopped_early else ""
            self._update(status=status, finished=time.time(), card=card,
                         message=f"Saved {name!r}{note}: test accuracy {card.test_accuracy:.2%}.")
        except DigitLabError as exc:
            log.warning("training failed: %s", exc)
            self._update(status="failed", finished=time.time(), message=str(exc))
        except Exception as exc:  # never let a training bug take the server down
            log.exception("training crashed")
            self._update(status="failed", finished=time.time(),
                         message=f"Training failed: {type(exc).__name__}: {exc}")
