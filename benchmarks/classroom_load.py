"""Classroom load: many pupils drawing at once, with and without a training run.

    python -m benchmarks.classroom_load [--clients 30] [--seconds 60] [--no-training] [--churn 60]

Starts its own server (`streamlit run app.py` on a free loopback port, with
MNIST_NPZ and a temporary DIGITLAB_MODELS), then runs websocket clients that
speak Streamlit's browser protocol (devtools/streamlit_client.py). Each
client opens /draw and, until the phase ends, "draws" a new synthetic digit
(mnist_core.synthetic, 280x280 RGBA PNG, as the canvas sends it), waits for
the answer, then thinks for 1-2 s (closed loop: a slow answer delays the next
drawing, like a real pupil). Pupils arrive within the first --ramp seconds.
A slow answer is waited for (up to 60 s) and counted as a timeout error when
it takes more than 10 s; only a broken connection makes a pupil reload.

Phases:
  no training  N clients for D seconds.
  training     the same while a Train-page client runs cnn-quick on all 60,000
               images (started and stopped through the Train page's own widgets;
               that client also refreshes the live view every second, as a browser
               does). The run executes in the training worker the server starts
               (a separate, niced process); the RSS figures are the web server's.
               Skipped with --no-training.
  churn        --churn short sessions (10 at a time) open /draw, draw twice, leave.

Reported per phase: answers, answer latency (rerun sent -> "Prediction: N"
delta) median and p95, full run time (-> script_finished), errors (exceptions,
error alerts, disconnects, answers or page opens slower than 10 s, no
prediction), wrong
answers (prediction != digit drawn; counted apart from errors), and the
server's RSS (/proc/PID/status VmRSS) at start, peak and end, then after the
clients left and their sessions expired.

Streamlit keeps a disconnected session for `server.disconnectedSessionTTL`
seconds (default 120, at most 128 sessions) so a reconnecting tab finds it;
to see within a short run that finished sessions are released, the server
here runs with --session-ttl seconds (default 10), and after waiting that
long one probe session connects and leaves, which is what makes Streamlit's
TTL cache drop the expired ones. File watching is off (`--server.fileWatcherType
none`), as on a deployed server.

What-if switch, to measure a fix before making it: --streamlit-option
KEY=VALUE passes any Streamlit option to the server (runner.postScriptGC=true
shows what the garbage collection after every script run cost).

Goal: p95 <= 1 s, zero errors, memory bounded (no growth per finished session).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from devtools.classroom import print_report, run
from devtools.tempfolder import own_temp_folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=30, help="concurrent drawing sessions (default 30)")
    parser.add_argument("--seconds", type=float, default=60, help="length of each drawing phase (default 60)")
    parser.add_argument("--no-training", action="store_true", help="skip the phase with a training run going")
    parser.add_argument("--churn", type=int, default=60, help="short sessions in the churn phase (0: skip)")
    parser.add_argument("--session-ttl", type=int, default=10,
                        help="server.disconnectedSessionTTL for the server under test (default 10 s)")
    parser.add_argument("--train-epochs", type=int, default=20,
                        help="epochs set on the Train page (the run is stopped when the phase ends)")
    parser.add_argument("--streamlit-option", action="append", default=[], metavar="KEY=VALUE",
                        help="what-if: pass a Streamlit option to the server, e.g. runner.postScriptGC=true")
    parser.add_argument("--ramp", type=float, default=5.0,
                        help="clients open the page at random moments within this many seconds (default 5)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (server log, models)")
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0 or args.seconds > 1800 or args.clients > 200:
        parser.error("use 1..200 clients and 0..1800 seconds")
    with own_temp_folder(keep=args.keep) as folder:  # the server's and worker's temp files, removed unless --keep
        report = run(args.clients, args.seconds, not args.no_training, max(0, min(args.churn, 1000)),
                     args.session_ttl, args.train_epochs, keep=args.keep, streamlit_options=args.streamlit_option,
                     release_each=True, ramp=max(0.0, min(args.ramp, 60.0)))
    if args.keep:
        print(f"kept: {folder}")
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=2))
    bad = [p for p in report.phases if p.error_count]
    slow = [p for p in report.phases if p.name != "churn" and not p.latency()[1] <= 1.0]
    print(f"goal (p95 <= 1 s, zero errors): {'met' if not bad and not slow else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
