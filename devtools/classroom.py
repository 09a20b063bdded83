"""A class of pupils drawing at once, and a teacher training, simulated over Streamlit's websocket (dev-only).

The engine of ``benchmarks/classroom_load.py`` (which documents the phases and
the figures) and of the reduced load and kill tests in ``tests/load``: a server
with a short session TTL and readable memory (``Server``), pupils that open
/draw and draw synthetic digits (``pupil``), a Train-page session that starts,
watches and stops a run (``Trainer``), the phases and their report.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.exceptions import InvalidHandshake

from devtools.appserver import ROOT, AppServer, mnist_path, train_default_model
from devtools.streamlit_client import (
    DEFAULT_TIMEOUT, SLOW_SECONDS, ProtocolError, StreamlitSession, canvas_state, slider_state,
)

SHIPPED_DEFAULT = ROOT / "shipped_models" / "digitlab-default" / "model.keras"
TRAIN_PRESET = "cnn-quick"  # the Train page's default preset
CHURN_CONCURRENCY = 10
MAX_PAGE_OPENS = 5  # per pupil: after that many failed or broken tabs it gives up


# ---- the server -----------------------------------------------------------------
def rss_mb(pid: int) -> float:
    """Resident memory of one process, from /proc (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def quick_model(folder: Path, mnist: Path, log=print) -> Path:
    """A small digitlab-default in folder (for when the shipped model is missing)."""
    log(f"no shipped model: training a quick one into {folder}")
    return train_default_model(folder, mnist, extra_args=["--epochs", "1", "--train-limit", "10000"])


class Server(AppServer):
    """The app server of the browser tests, with a short session TTL and its memory readable."""

    def __init__(self, workdir: Path, mnist: Path, shipped: Path | None, session_ttl: int, log=print,
                 extra_args: list[str] | None = None) -> None:
        super().__init__(workdir / "models", shipped_dir=shipped, mnist=mnist, log_path=workdir / "server.log",
                         extra_args=["--server.disconnectedSessionTTL", str(session_ttl), *(extra_args or [])])
        self.session_ttl = session_ttl

    def start(self, timeout: float = 120) -> None:
        super().start()
        self.wait_healthy(timeout)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss(self) -> float:
        return rss_mb(self.pid)


# ---- measurements -----------------------------------------------------------------
@dataclass
class Draw:
    client: int
    digit: int
    prediction: int | None
    answer_s: float | None
    run_s: float | None
    error: str | None = None


@dataclass
class Phase:
    name: str
    clients: int
    seconds: float
    draws: list[Draw] = field(default_factory=list)
    page_opens: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # errors outside a drawing (page open, connect)
    rss_start: float = float("nan")
    rss_peak: float = float("nan")
    rss_end: float = float("nan")
    rss_released: float = float("nan")  # after the clients left and their sessions expired
    note: str = ""

    @property
    def answers(self) -> list[Draw]:
        """Drawings that got a prediction (a late one too: it is also counted as an error)."""
        return [d for d in self.draws if d.prediction is not None]

    @property
    def error_count(self) -> int:
        return len(self.errors) + sum(1 for d in self.draws if d.error is not None)

    @property
    def wrong(self) -> int:
        return sum(1 for d in self.answers if d.prediction != d.digit)

    def latency(self, attr: str = "answer_s") -> tuple[float, float]:
        values = [getattr(d, attr) for d in self.answers if getattr(d, attr) is not None]
        if not values:
            return float("nan"), float("nan")
        return statistics.median(values), float(np.percentile(values, 95))

    def clients_with_answers(self) -> int:
        return len({d.client for d in self.answers})

    def error_kinds(self) -> dict[str, int]:
        kinds: dict[str, int] = {}
        for text in self.errors + [d.error for d in self.draws if d.error is not None]:
            kind = text.split(":", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
        return kinds

    def summary(self) -> dict[str, Any]:
        med, p95 = self.latency()
        rmed, rp95 = self.latency("run_s")
        return {
            "phase": self.name, "clients": self.clients, "seconds": self.seconds,
            "answers": len(self.answers), "clients_with_answers": self.clients_with_answers(),
            "answer_median_s": med, "answer_p95_s": p95, "run_median_s": rmed, "run_p95_s": rp95,
            "page_open_median_s": statistics.median(self.page_opens) if self.page_opens else float("nan"),
            "errors": self.error_count, "error_kinds": self.error_kinds(), "wrong": self.wrong,
            "rss_start_mb": self.rss_start, "rss_peak_mb": self.rss_peak, "rss_end_mb": self.rss_end,
            "rss_released_mb": self.rss_released, "note": self.note,
            "error_examples": (self.errors + [d.error for d in self.draws if d.error])[:5],
        }


def make_drawings(per_digit: int, seed: int = 0) -> list[list[dict]]:
    """Ready canvas states (PNG data URL + fabric JSON), per digit: built once, so clients stay cheap."""
    from mnist_core.synthetic import STYLES, sample_canvas

    rng = np.random.default_rng(seed)
    return [[canvas_state(sample_canvas(d, STYLES["large-centred"], rng)) for _ in range(per_digit)]
            for d in range(10)]


def judge(digit: int, result) -> str | None:
    """The error in a drawing's answer, if any (a wrong digit is not an error)."""
    if result.exceptions:
        return f"exception: {result.exceptions[0][:200]}"
    if result.error_alerts:
        return f"error alert: {result.error_alerts[0][:200]}"
    if result.prediction is None:
        return f"no prediction: page showed {[m[:40] for m in result.markdown[:6]]}"
    if result.answer_seconds > SLOW_SECONDS:
        return f"timeout: answer after {result.answer_seconds:.1f} s (> {SLOW_SECONDS:g} s)"
    return None


# what opening a page can raise; InvalidHandshake: the server died in the middle of the websocket handshake
OPEN_ERRORS = (ProtocolError, OSError, asyncio.TimeoutError, InvalidHandshake)


async def connect_draw(port: int) -> StreamlitSession:
    """A pupil's tab on /draw with its canvas found; closed again and raised (OPEN_ERRORS) if that fails."""
    session = StreamlitSession(port)
    try:
        await session.connect()
        result = await session.open_page("draw")
        if result.exceptions or result.error_alerts:
            raise ProtocolError(f"page error {(result.exceptions + result.error_alerts)[0][:200]}")
        session.canvas()
    except OPEN_ERRORS:
        await session.close()
        raise
    return session


async def open_draw_page(port: int, phase: Phase) -> StreamlitSession | None:
    start = time.perf_counter()
    try:
        session = await connect_draw(port)
    except OPEN_ERRORS as exc:
        phase.errors.append(f"page open: {exc}")
        return None
    seconds = time.perf_counter() - start
    phase.page_opens.append(seconds)
    if seconds > SLOW_SECONDS:
        phase.errors.append(f"timeout: page open took {seconds:.1f} s (> {SLOW_SECONDS:g} s)")
    return session


async def pupil(index: int, port: int, deadline: float, drawings: list[list[dict]], phase: Phase,
                think: tuple[float, float], max_draws: int | None = None, seed: int = 0,
                arrive_within: float = 0.0) -> None:
    """One pupil: open /draw, then draw, wait for the answer, think, until the deadline.

    A slow answer is waited for (up to DEFAULT_TIMEOUT) like a patient pupil would, and counted
    as a timeout error past SLOW_SECONDS; only a broken connection makes the pupil reload the page.
    """
    rng = np.random.default_rng(seed * 1000 + index)
    session: StreamlitSession | None = None
    done = opens = 0
    if arrive_within > 0:
        await asyncio.sleep(float(rng.uniform(0, arrive_within)))  # the class does not click at one instant
    try:
        while time.monotonic() < deadline and (max_draws is None or done < max_draws):
            if session is None:
                if opens >= MAX_PAGE_OPENS:
                    break
                opens += 1
                session = await open_draw_page(port, phase)
                if session is None:
                    await asyncio.sleep(1.0)
                    continue
            pause = float(rng.uniform(*think))
            if time.monotonic() + pause >= deadline:
                break
            await asyncio.sleep(pause)
            digit = int(rng.integers(10))
            state = drawings[digit][int(rng.integers(len(drawings[digit])))]
            try:
                result = await session.draw(state, timeout=DEFAULT_TIMEOUT)
            except ProtocolError as exc:  # disconnected or no answer at all: start over with a fresh tab
                phase.draws.append(Draw(index, digit, None, None, None, f"{exc}"))
                await session.close()
                session = None
                continue
            done += 1
            phase.draws.append(Draw(index, digit, result.prediction, result.answer_seconds, result.seconds,
                                    judge(digit, result)))
    finally:
        if session is not None:
            await session.close()


async def sample_rss(server: Server, phase: Phase, stop: asyncio.Event) -> None:
    peak = server.rss()
    while not stop.is_set():
        peak = max(peak, server.rss())
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            pass
    phase.rss_peak = max(peak, server.rss())


# ---- the Train page, driven like a teacher would -------------------------------------
class Trainer:
    """A Train-page session: start a cnn-quick run, keep its live view refreshing, stop it."""

    def __init__(self, port: int, epochs: int, images: int | None, log=print) -> None:
        self.port = port
        self.epochs = epochs
        self.images = images
        self.log = log
        self.session = StreamlitSession(port)
        self.view_times: list[float] = []
        self.errors: list[str] = []
        self.last_progress = ""

    async def open(self) -> None:
        await self.session.connect()
        await self.session.open_page("train", timeout=90)  # the first Train visit loads MNIST

    def _widget(self, key: str):
        widget = self.session.find(key=key)
        if widget is None:
            raise ProtocolError(f"Train page: no widget with key {key!r}")
        return widget

    async def start(self) -> None:
        s = self.session
        states = [slider_state(self._widget(f"train_{TRAIN_PRESET}_epochs"), self.epochs),
                  WidgetState(id=self._widget("keep_partial").id, bool_value=False)]
        if self.images:
            states.append(slider_state(self._widget(f"train_{TRAIN_PRESET}_train_limit"), self.images))
        states.append(WidgetState(id=self._widget("start_training").id, trigger_value=True))
        result = await s.rerun(states, timeout=60)
        started = any(m.startswith("#### You are training") for m in result.markdown)
        if not started:
            raise ProtocolError(f"training did not start: {(result.exceptions + result.error_alerts + result.markdown)[:4]}")
        self.last_progress = (result.progress or [""])[-1]

    async def wait_fitting(self, timeout: float = 120) -> float:
        """Refresh the live view until a batch is done (start-up: arrays, model build, first trace)."""
        s = self.session
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not s.auto_reruns:
                raise ProtocolError(f"the live view stopped refreshing; last seen: {self.last_progress!r}")
            fragment_id, interval = next(iter(s.auto_reruns.items()))
            await asyncio.sleep(interval)
            result = await s.rerun(fragment_id=fragment_id, is_auto_rerun=True, timeout=30)
            if result.progress:
                self.last_progress = result.progress[-1]
            if result.error_alerts or result.exceptions:
                raise ProtocolError(f"training failed: {(result.error_alerts + result.exceptions)[0][:300]}")
            match = re.search(r"Epoch (\d+) of \d+ · batch ([\d,]+)", self.last_progress)
            if match and (int(match.group(1)) > 1 or int(match.group(2).replace(",", "")) > 0):
                return time.monotonic() - started
        raise ProtocolError(f"no training batch done within {timeout:g} s; last seen: {self.last_progress!r}")

    async def watch(self, stop: asyncio.Event) -> None:
        """Refresh the live view fragment on its run_every interval, as the browser does."""
        s = self.session
        while not stop.is_set():
            if not s.auto_reruns:
                break
            fragment_id, interval = next(iter(s.auto_reruns.items()))
            try:
                await asyncio.wait_for(stop.wait(), interval)
                break
            except asyncio.TimeoutError:
                pass
            try:
                result = await s.rerun(fragment_id=fragment_id, is_auto_rerun=True, timeout=DEFAULT_TIMEOUT)
            except ProtocolError as exc:
                self.errors.append(f"train view: {exc}")
                break
            self.view_times.append(result.seconds)
            if result.exceptions or result.error_alerts:
                self.errors.append(f"training failed: {(result.error_alerts + result.exceptions)[0][:300]}")
            if result.progress:
                self.last_progress = result.progress[-1]

    async def stop_training(self, timeout: float = 90) -> str:
        """Press Stop in the live view, then rerun until the settings form (Start button) is back."""
        s = self.session
        result = await s.rerun(timeout=30)
        if result.error_alerts:
            self.errors.append(f"training failed: {result.error_alerts[0][:300]}")
        stop_id = next((w for w in result.widget_ids if w.endswith("-stop_training")), None)
        if stop_id is not None:
            if result.progress:
                self.last_progress = result.progress[-1]
            await s.click(s.widgets[stop_id], timeout=30)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = await s.rerun(timeout=30)
            if any(w.endswith("-start_training") for w in result.widget_ids):
                return self.last_progress
            await asyncio.sleep(2)
        raise ProtocolError(f"training still running {timeout:g} s after Stop")

    async def close(self) -> None:
        await self.session.close()


# ---- phases ------------------------------------------------------------------------
async def release_sessions(server: Server, ttl: int) -> float:
    """Wait out the disconnected-session TTL, make Streamlit expire them, and read the RSS."""
    await asyncio.sleep(ttl + 2)
    probe = StreamlitSession(server.port)
    try:
        await probe.connect()
        await asyncio.sleep(0.5)
    finally:
        await probe.close()
    await asyncio.sleep(2)
    return server.rss()


async def drawing_phase(server: Server, name: str, clients: int, seconds: float, drawings, think,
                        trainer: Trainer | None = None, seed: int = 0, ramp: float = 0.0) -> Phase:
    phase = Phase(name, clients, seconds)
    phase.rss_start = server.rss()
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server, phase, stop))
    watcher = asyncio.create_task(trainer.watch(stop)) if trainer is not None else None
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(pupil(i, server.port, deadline, drawings, phase, think, seed=seed, arrive_within=ramp)
                           for i in range(clients)))
    phase.rss_end = server.rss()
    stop.set()
    await sampler
    if watcher is not None:
        await watcher
    return phase


async def churn_phase(server: Server, sessions: int, drawings, think, seed: int = 0) -> Phase:
    phase = Phase("churn", sessions, 0)
    started = time.monotonic()
    phase.rss_start = server.rss()
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(server, phase, stop))
    gate = asyncio.Semaphore(CHURN_CONCURRENCY)
    far = time.monotonic() + 600  # a bound, not a target: each session stops after two drawings

    async def one(i: int) -> None:
        async with gate:
            await pupil(i, server.port, far, drawings, phase, (think[0] / 2, think[1] / 2), max_draws=2,
                        seed=seed + 7)

    await asyncio.gather(*(one(i) for i in range(sessions)))
    phase.seconds = time.monotonic() - started
    phase.rss_end = server.rss()
    stop.set()
    await sampler
    return phase


@dataclass
class Report:
    baseline_rss: float
    phases: list[Phase]
    model: str
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"baseline_rss_mb": self.baseline_rss, "model": self.model, "notes": self.notes,
                "phases": [p.summary() for p in self.phases]}


async def run_load(server: Server, clients: int, seconds: float, training: bool, churn: int,
                   think: tuple[float, float] = (1.0, 2.0), train_epochs: int = 20, train_images: int | None = None,
                   seed: int = 0, release_each: bool = True, ramp: float = 5.0, log=print) -> Report:
    drawings = make_drawings(per_digit=12, seed=seed)
    notes: list[str] = []
    # Warm up: the first drawing loads TensorFlow and the model, the first Train visit loads MNIST.
    warm = Phase("warm-up", 1, 0)
    await pupil(0, server.port, time.monotonic() + 120, drawings, warm, (0.1, 0.2), max_draws=3, seed=seed + 99)
    failures = [e for e in warm.errors + [d.error for d in warm.draws if d.error] if not e.startswith("timeout:")]
    if failures or not warm.answers:  # slow is fine here: the warm-up is what loads TensorFlow and the model
        raise RuntimeError(f"warm-up failed: {failures or warm.summary()['error_examples']}\n{server.log_tail()}")
    trainer = None
    if training:
        trainer = Trainer(server.port, train_epochs, train_images, log=log)
        await trainer.open()
    baseline = server.rss()
    log(f"warm: server RSS {baseline:.0f} MB")
    phases: list[Phase] = []

    log(f"phase 'no training': {clients} clients for {seconds:g} s")
    phase = await drawing_phase(server, "no training", clients, seconds, drawings, think, seed=seed, ramp=ramp)
    if release_each or not (trainer or churn):
        phase.rss_released = await release_sessions(server, server.session_ttl)
    phases.append(phase)

    if trainer is not None:
        log(f"phase 'training': starting {TRAIN_PRESET} ({train_epochs} epochs"
            f"{f', {train_images} images' if train_images else ''}) from the Train page")
        start_errors: list[str] = []
        fitting = False
        for attempt in range(2):  # a failed start is an error; one more try still measures the phase
            try:
                await trainer.start()
                startup = await trainer.wait_fitting()
            except ProtocolError as exc:
                start_errors.append(f"training start: {exc}")
                log(start_errors[-1])
                continue
            log(f"training is fitting ({trainer.last_progress}) after {startup:.1f} s of start-up")
            fitting = True
            break
        if not fitting:
            phase = Phase("training", clients, 0, errors=start_errors, note="training did not run")
            await trainer.close()
            phases.append(phase)
        else:
            log(f"phase 'training': {clients} clients for {seconds:g} s")
            phase = await drawing_phase(server, "training", clients, seconds, drawings, think, trainer=trainer,
                                        seed=seed + 1, ramp=ramp)
            try:
                progress = await trainer.stop_training()
                phase.note = f"training stopped at: {progress}"
            except ProtocolError as exc:
                phase.errors.append(f"training stop: {exc}")
            phase.errors.extend(start_errors + trainer.errors)
            if trainer.view_times:
                med = statistics.median(trainer.view_times)
                phase.note += f"; live view refreshes {len(trainer.view_times)}, median {med:.2f} s"
            await trainer.close()
            if release_each or not churn:
                phase.rss_released = await release_sessions(server, server.session_ttl)
            phases.append(phase)

    if churn:
        log(f"phase 'churn': {churn} sessions open /draw, draw twice, leave ({CHURN_CONCURRENCY} at a time)")
        phase = await churn_phase(server, churn, drawings, think, seed=seed)
        phase.rss_released = await release_sessions(server, server.session_ttl)
        phases.append(phase)
    return Report(baseline, phases, "", notes)


def print_report(report: Report, out=print) -> None:
    rows = [("phase", "clients", "secs", "answers", "median", "p95", "run p95", "errors", "wrong",
             "RSS start", "peak", "end", "released")]
    for p in report.phases:
        s = p.summary()
        rows.append((p.name, str(p.clients), f"{p.seconds:.0f}", str(s["answers"]),
                     f"{s['answer_median_s'] * 1000:.0f} ms", f"{s['answer_p95_s'] * 1000:.0f} ms",
                     f"{s['run_p95_s'] * 1000:.0f} ms", str(s["errors"]), str(s["wrong"]),
                     f"{p.rss_start:.0f} MB", f"{p.rss_peak:.0f} MB", f"{p.rss_end:.0f} MB",
                     f"{p.rss_released:.0f} MB" if p.rss_released == p.rss_released else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out("")
    out(f"model: {report.model}; server RSS after warm-up: {report.baseline_rss:.0f} MB")
    for i, row in enumerate(rows):
        out("  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            out("  ".join("-" * w for w in widths))
    out("")
    out("median/p95: drawing sent -> 'Prediction: N' received; run p95: -> script_finished (chart and picture too).")
    out("released: RSS after the clients left, their sessions expired and a probe session came and went.")
    for p in report.phases:
        s = p.summary()
        extra = []
        if s["errors"]:
            extra.append(f"errors by kind {s['error_kinds']}; e.g. {s['error_examples'][:2]}")
        if p.note:
            extra.append(p.note)
        if p.name == "churn" and p.clients:
            extra.append(f"RSS change per finished session: {(p.rss_released - p.rss_start) * 1024 / p.clients:+.0f} kB")
        if p.page_opens:
            extra.append(f"page open median {s['page_open_median_s']:.2f} s, max {max(p.page_opens):.2f} s; "
                         f"{s['clients_with_answers']} of {p.clients} clients got answers")
        for e in extra:
            out(f"  {p.name}: {e}")
    for note in report.notes:
        out(f"note: {note}")


def run(clients: int = 30, seconds: float = 60, training: bool = True, churn: int = 60, session_ttl: int = 10,
        train_epochs: int = 20, train_images: int | None = None, keep: bool = False, log=print,
        streamlit_options: list[str] | None = None, release_each: bool = True, ramp: float = 5.0) -> Report:
    """Start a server, run the phases, stop the server; returns the report (used by the CI test too)."""
    mnist = mnist_path()
    if mnist is None:
        raise SystemExit("MNIST not found: set MNIST_NPZ (the Train page needs it)")
    t0 = time.monotonic()
    plain_log = log

    def log(text: str) -> None:  # noqa: F811 - the same log, with the time since the start
        plain_log(f"[{time.monotonic() - t0:5.0f} s] {text}")

    workdir = Path(tempfile.mkdtemp(prefix="digitlab-load-"))
    shipped = None
    model = "shipped digitlab-default"
    try:
        if not SHIPPED_DEFAULT.is_file():
            shipped = quick_model(workdir / "shipped", mnist, log=log)
            model = "quick cnn-quick digitlab-default (1 epoch, 10,000 images; the shipped model is missing)"
        extra: list[str] = []
        for option in streamlit_options or []:
            key, _, value = option.partition("=")
            extra += [f"--{key.lstrip('-')}", value]
        server = Server(workdir, mnist, shipped, session_ttl, log=log, extra_args=extra)
        log(f"starting the server on 127.0.0.1:{server.port} (log {server.log_path})")
        server.start()
        try:
            report = asyncio.run(run_load(server, clients, seconds, training, churn, train_epochs=train_epochs,
                                          train_images=train_images, release_each=release_each, ramp=ramp,
                                          log=log))
        except BaseException:
            log(server.log_tail())
            raise
        finally:
            server.stop()
        report.model = model
        if extra:
            report.notes.append("what-if server: " + " ".join(extra))
        return report
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
