"""Server-side timestamps for benchmarks/browser_latency.py (benchmark only; never loaded by the app).

The benchmark puts this folder on PYTHONPATH of the servers it starts and sets
DIGITLAB_TRACE_FILE; Python then imports this module at start-up, and in the
`streamlit run` process (only there) it wraps a few of Streamlit's internals
and of the app's functions to append "event epoch_ms [detail]" lines to that
file. It patches Streamlit, not the app's code, so a baseline checkout is
measured exactly the same way. Events:

  recv        a rerun request (BackMsg) reached the server's event loop
  start/end   the script (or fragment) run began / ended in the script thread
  exec        widget callbacks done, the page's own code begins
  enq:answer  the delta holding "Prediction: N" was queued for the browser
  out:answer  ... and handed to the websocket (out:chart for the Plotly chart,
              enq:last / out:last for the run's last delta)
  fn:NAME     seconds spent in one of the app functions in TIMED (detail: ms)
"""

from __future__ import annotations

import os
import sys
import threading
import time

TRACE = os.environ.get("DIGITLAB_TRACE_FILE")
# app functions to time, "module:attribute[.method]"; missing ones (another version) are skipped
TIMED = [
    "ui.resources:scan_models", "ui.resources:get_predictor", "ui.resources:model_version",
    "mnist_core.preprocessing:preprocess", "mnist_core.predictor:Predictor.read_steps",
    "mnist_core.preprocessing:open_image", "streamlit_drawable_canvas:st_canvas", "ui.widgets:not_a_digit_text",
    "ui.widgets:probability_chart", "ui.widgets:answer_text", "ui.widgets:resolve_active",
    "ui.widgets:model_picker", "ui.widgets:digit_image", "ui.feedback:feedback", "ui.feedback:answer_for",
    "ui.drawing:drawing_canvas", "ui.drawing:latest_image", "ui.browser:viewport", "ui.layout:draw_layout",
    "ui.bars:bars_html", "ui.resources:lookup",
]
_lock = threading.Lock()


def _write(event: str, detail: str = "") -> None:
    line = f"{event} {time.time() * 1000:.2f} {detail}\n"
    with _lock, open(TRACE, "a") as handle:
        handle.write(line)


def _kind(msg) -> str | None:
    """'answer' / 'chart' for the deltas the benchmark follows, else None."""
    if not msg.HasField("delta") or not msg.delta.HasField("new_element"):
        return None
    element = msg.delta.new_element
    which = element.WhichOneof("type")
    if which == "markdown" and "Prediction:" in element.markdown.body:
        return "answer"
    if which == "plotly_chart":
        return "chart"
    if which == "html" and "dl-bars" in element.html.body:  # ui/bars.py
        return "chart"
    return None


def _wrap(owner, name: str, label: str) -> None:
    original = getattr(owner, name)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            _write(f"fn:{label}", f"{(time.perf_counter() - started) * 1000:.2f}")

    timed.__wrapped__ = original
    setattr(owner, name, timed)


def _install() -> None:
    from streamlit.runtime import app_session, runtime
    from streamlit.runtime.scriptrunner import script_runner

    handle = app_session.AppSession.handle_backmsg

    def handle_backmsg(self, msg):
        if msg.WhichOneof("type") == "rerun_script":
            _write("recv", msg.rerun_script.fragment_id or "-")
        return handle(self, msg)

    app_session.AppSession.handle_backmsg = handle_backmsg

    run = script_runner.ScriptRunner._run_script

    profile_path = os.environ.get("DIGITLAB_TRACE_PROFILE")  # also: cProfile of the fragment runs
    profiler = None
    if profile_path:
        import cProfile
        profiler = cProfile.Profile()

    def run_script(self, rerun_data):
        _write("start", rerun_data.fragment_id or "-")
        _patch_app()
        if profiler is not None and rerun_data.fragment_id_queue:
            profiler.enable()
        try:
            return run(self, rerun_data)
        finally:
            if profiler is not None and rerun_data.fragment_id_queue:
                profiler.disable()
                profiler.dump_stats(profile_path)
            _write("end")

    script_runner.ScriptRunner._run_script = run_script

    from streamlit.runtime.scriptrunner_utils import script_run_context

    on_start = script_run_context.ScriptRunContext.on_script_start

    def on_script_start(self):
        _write("exec")  # widget callbacks done: the page's own code starts
        return on_start(self)

    script_run_context.ScriptRunContext.on_script_start = on_script_start

    enqueue = app_session.AppSession._enqueue_forward_msg

    def enqueue_forward_msg(self, msg):
        kind = _kind(msg)
        if kind:
            _write(f"enq:{kind}")
        elif msg.HasField("delta"):
            delta = msg.delta
            which = delta.WhichOneof("type")
            detail = delta.new_element.WhichOneof("type") if which == "new_element" else which
            if which == "add_block":
                detail += f"/{delta.add_block.WhichOneof('type')}"
            detail += " " + ".".join(map(str, msg.metadata.delta_path))
            _write("enq:last", detail)
        return enqueue(self, msg)

    app_session.AppSession._enqueue_forward_msg = enqueue_forward_msg

    send = runtime.Runtime._send_message

    def send_message(self, session_info, msg):
        result = send(self, session_info, msg)
        kind = _kind(msg)
        _write(f"out:{kind}" if kind else ("out:last" if msg.HasField("delta") else "out:other"))
        return result

    runtime.Runtime._send_message = send_message


_patched: set[str] = set()


def _patch_app() -> None:
    """Wrap the app's functions once their modules are imported (the first run imports them)."""
    for spec in TIMED:
        if spec in _patched:
            continue
        module_name, attr = spec.split(":")
        module = sys.modules.get(module_name)
        if module is None:
            continue
        owner, name = module, attr
        if "." in attr:
            cls, name = attr.split(".")
            owner = getattr(module, cls, None)
        if owner is not None and hasattr(owner, name):
            _wrap(owner, name, attr)
        _patched.add(spec)


if TRACE and "streamlit" in sys.orig_argv[:3]:
    try:
        _install()
    except Exception as exc:  # noqa: BLE001 - a benchmark aid must never stop the server
        print(f"server_trace: not installed ({exc})", file=sys.stderr)
