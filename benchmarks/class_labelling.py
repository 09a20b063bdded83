"""Thirty pupils drawing and labelling for a minute: every labelled drawing stored exactly once.

    nice -n 10 python -m benchmarks.class_labelling [--clients 30] [--seconds 60]

Starts its own server (as benchmarks/classroom_load.py does, with its own
temporary class database), then runs websocket pupils (devtools/streamlit_client.py):
each opens /draw, draws a synthetic digit, waits for "Prediction: N", taps
"✓ Right" when it is right or the true digit under "✗ Wrong, it is …" when it
is not (as a pupil would), thinks 1-2 s, and draws the next one. Some pupils
tap twice (a double tap must not store twice).

Prints: answers, answer latency median and p95 (goal p95 <= 1 s), taps,
drawings expected in the database and found there (goal: equal, each one
once, with the right label), errors, and the server's CPU time per labelled
drawing (from /proc: what the labelling costs the server, and far less
sensitive than the latency to other work on a shared machine).

The pupils behave like the browser: after a run, the widget states of
elements that are gone (the canvas a tap replaced) are dropped, as
Streamlit's frontend does (WidgetStateManager.removeInactive). --keep-stale
keeps sending them, as this benchmark's first version did, to show what
that cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

from devtools.appserver import mnist_path
from devtools.classroom import SHIPPED_DEFAULT, Server, quick_model
from devtools.labelling import cpu_seconds, run_class, stored
from devtools.tempfolder import own_temp_folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--keep-stale", action="store_true",
                        help="keep sending the widget states of replaced canvases (the first version's client)")
    args = parser.parse_args()
    mnist = mnist_path()
    if mnist is None:
        raise SystemExit("set MNIST_NPZ")
    workdir = Path(tempfile.mkdtemp(prefix="digitlab-labelling-"))
    try:
        shipped = None if SHIPPED_DEFAULT.is_file() else quick_model(workdir / "shipped", mnist)
        server = Server(workdir, mnist, shipped, session_ttl=10)
        server.start()
        try:
            cpu_before = cpu_seconds(server.pid)
            tally = asyncio.run(run_class(server, args.clients, args.seconds, args.keep_stale))
            server_cpu = cpu_seconds(server.pid) - cpu_before
        finally:
            server.stop()
        db_url = server.db_url  # the server's own database
        rows = stored(db_url, len(tally.expected))
        labels_expected = sorted(tally.expected.values())
        labels_found = sorted(r.label for r in rows)
        p95 = float(np.percentile(tally.answers, 95)) if tally.answers else float("nan")
        median = statistics.median(tally.answers) if tally.answers else float("nan")
        print(f"{args.clients} pupils for {args.seconds:.0f} s: {len(tally.answers)} answers, "
              f"median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
        print(f"taps: {tally.taps} labelled drawings ({tally.double_taps} tapped twice); "
              f"stored: {len(rows)} (expected {len(tally.expected)}), labels match: {labels_expected == labels_found}")
        print(f"errors: {len(tally.errors)} {tally.errors[:5]}")
        per_drawing = server_cpu / max(1, tally.taps)
        print(f"server CPU: {server_cpu:.1f} s, {per_drawing * 1000:.0f} ms per labelled drawing "
              f"(answer + tap + save); load average at the end {os.getloadavg()[0]:.1f}"
              + ("; stale canvas states kept (--keep-stale)" if args.keep_stale else ""))
        ok = len(rows) == len(tally.expected) and labels_expected == labels_found and not tally.errors and p95 <= 1.0
        print(f"goal (each labelled drawing stored exactly once, p95 <= 1 s, no errors): {'met' if ok else 'NOT met'}")
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    with own_temp_folder():  # servers' and workers' temp files, removed at the end
        sys.exit(main())
