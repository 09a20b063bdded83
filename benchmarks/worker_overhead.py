"""Training throughput in the training worker vs a plain model.fit, measured in the same run.

    python -m benchmarks.worker_overhead [--train-limit 20000] [--epochs 2] [--repeats 3]

Starts a real worker (`python -m mnist_core worker`, with its own temporary
database, SQLite queue and model folder) and, for the quick CNN and the
notebook's 128-128-dropout MLP, trains the same settings twice per repeat:
once as a run through the queue and the worker (Start as a page does it;
its card's training seconds are the model.fit time inside the worker, with
the progress reporter, the heartbeat thread and the stop-flag polling
running), once as a plain Keras model.fit in this process. Repeats alternate
the order; the best time of each is compared. Both run at this process's
CPU priority (the worker's own extra niceness is set to 0 here: on a machine
without a web server to yield to, it changes nothing but the noise).
Goal: throughput ratio >= 0.95 (overhead <= 5%).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from benchmarks.training_overhead import PRESETS, best_times, options, ratio_line
from devtools.tempfolder import own_temp_folder


def start_worker(workdir: Path) -> subprocess.Popen:
    env = {**os.environ, "DIGITLAB_DB": os.environ["DIGITLAB_DB"], "DIGITLAB_QUEUE": os.environ["DIGITLAB_QUEUE"],
           "DIGITLAB_MODELS": os.environ["DIGITLAB_MODELS"], "DIGITLAB_SHIPPED": "", "DIGITLAB_WORKER_NICE": "0",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    log = open(workdir / "worker.log", "wb")
    return subprocess.Popen([sys.executable, "-m", "mnist_core", "worker"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def worker_fit(job, totals: list[float]):
    """A trainer for best_times: one run through the queue and the worker; its model.fit seconds."""

    def fit(name: str, settings, data) -> float:
        started = time.perf_counter()
        state = job.start(name, settings, data, f"{name} {len(totals)}", owner="benchmark")
        final = job.wait(3600, run_id=state.run_id)
        if final.status != "done" or final.card is None:
            raise SystemExit(f"the worker's run ended {final.status}: {final.message}")
        totals.append(time.perf_counter() - started)
        return final.card.train_seconds

    return fit


def own_session() -> None:
    """Put this process in a session (so a scheduler autogroup) of its own, as the worker is: otherwise, on
    Linux with autogroups, the plain fits share their CPU with the terminal's other jobs and the worker not."""
    try:
        os.setsid()
    except OSError:
        print("note: could not leave the terminal's session (run `setsid python -m benchmarks.worker_overhead` "
              "for a fair comparison on a busy machine)", flush=True)


def main() -> int:
    args = options(__doc__)
    own_session()
    workdir = Path(tempfile.mkdtemp(prefix="digitlab-worker-bench-"))
    os.environ.update(DIGITLAB_DB=f"sqlite:///{workdir / 'runs.db'}",
                      DIGITLAB_QUEUE=f"sqlite:///{workdir / 'queue.db'}",
                      DIGITLAB_MODELS=str(workdir / "models"), DIGITLAB_SHIPPED="", DIGITLAB_WORKER_AUTOSTART="0")
    from mnist_core.data import load_mnist
    from mnist_core.jobs import TrainingJob
    from mnist_core.presets import get_preset

    data = load_mnist()
    worker = start_worker(workdir)
    try:
        job = TrainingJob()
        for name in PRESETS:
            settings = get_preset(name).defaults.with_changes(epochs=args.epochs, train_limit=args.train_limit)
            totals: list[float] = []
            plain, in_worker = best_times(name, settings, data, worker_fit(job, totals), args.repeats)
            print(ratio_line(name, plain, in_worker, "in the worker")
                  + f"   Start -> saved, best {min(totals):.1f}s", flush=True)
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    with own_temp_folder():  # servers' and workers' temp files, removed at the end
        sys.exit(main())
