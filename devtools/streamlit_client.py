"""A small Streamlit websocket client that speaks the browser's protocol, for load tests.

One ``StreamlitSession`` is one browser tab, minus the rendering: it opens
``ws://HOST:PORT/_stcore/stream`` like Streamlit's frontend does (subprotocol
list ``["streamlit", <xsrf token or placeholder>]``, binary protobuf frames),
asks for a page by its url_path, and reads the ForwardMsgs the server sends
back (new_session, session_status_changed, navigation, delta, script_finished
...). Widgets are found in the deltas, and a "user action" is a ``rerun_script``
BackMsg whose ClientState carries the new widget values, exactly what the
frontend's WidgetStateManager sends.

Drawing on streamlit-drawable-canvas (a components-v2 "bidi" component) is,
seen from the server, one ``WidgetState`` for the component's element id with
``json_value`` = the JSON of the component's whole state dict; the canvas's
frontend calls ``setStateValue("drawing", {"raw": <fabric json>, "data":
<PNG data URL>})``, which the Streamlit frontend merges into the previous state
(``{...old, drawing: new}``) and sends with ``fromUser``, i.e. a rerun of the
fragment the canvas lives in (``ClientState.fragment_id``).

Only the standard library, ``websockets`` (installed with Streamlit, which
uses it itself) and Streamlit's own protobuf classes are used.

    python -m devtools.streamlit_client --port 8501 [--page draw] [--draws 3]

runs one session step by step against a running app and prints every
ForwardMsg it gets: the way to check the client against a new Streamlit.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

CANVAS_COMPONENT = "streamlit-drawable-canvas.streamlit_drawable_canvas"
PREDICTION = re.compile(r"^\s*Prediction:\s*(\d)\s*$")
FINISHED_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
COMPILE_ERROR = ForwardMsg.ScriptFinishedStatus.FINISHED_WITH_COMPILE_ERROR
SLOW_SECONDS = 10.0  # an answer later than this counts as a timeout error (the client still waits for it)
DEFAULT_TIMEOUT = 60.0  # a patient user: after this long without script_finished the client gives up
MAX_FRAME = 64 * 1024 * 1024  # Streamlit's own default cap for a ForwardMsg is 200 MB; pages here are small


class ProtocolError(RuntimeError):
    """The server said something a browser would show as broken (or said nothing in time)."""


@dataclass
class Widget:
    """A widget element seen in a delta: enough to send it a value later."""

    id: str
    kind: str  # the Element oneof name: "slider", "button", "bidi_component", ...
    label: str
    fragment_id: str
    proto: Any = None

    @property
    def key(self) -> str:
        """The user key for keyed widgets ("$$ID-<hash>-<key>"), else ""."""
        if self.id.startswith("$$ID-"):
            return self.id.split("-", 2)[2] if self.id.count("-") >= 2 else ""
        return ""


@dataclass
class RunResult:
    """What one script (or fragment) run sent back."""

    seconds: float  # from sending the rerun to its final script_finished
    answer_seconds: float | None  # from sending to the first "Prediction: N" delta
    prediction: int | None
    markdown: list[str] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)
    widget_ids: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    error_alerts: list[str] = field(default_factory=list)
    finished_status: int | None = None
    messages: int = 0


@dataclass
class _PendingRun:
    started: float
    done: asyncio.Event
    result: RunResult


def fabric_path(image: np.ndarray, step: int = 7) -> dict[str, Any]:
    """A plausible Fabric.js freedraw JSON for a drawing: one path through the ink.

    The server never reads the path (the Draw page uses only the PNG), but the
    real frontend sends one with every stroke, so the message size should be
    realistic: a greedy nearest-neighbour walk through ink points on a grid.
    """
    alpha_or_dark = image[..., 3] > 0 if image.shape[-1] == 4 else np.ones(image.shape[:2], bool)
    ink = (image[..., :3].mean(axis=-1) < 128) & alpha_or_dark
    ys, xs = np.nonzero(ink[::step, ::step])
    points = list(zip((xs * step).tolist(), (ys * step).tolist()))
    path: list[list[Any]] = []
    if points:
        current = points.pop(0)
        path.append(["M", current[0], current[1]])
        while points:
            arr = np.asarray(points)
            i = int(np.argmin(((arr - current) ** 2).sum(axis=1)))
            nxt = points.pop(i)
            path.append(["Q", current[0], current[1], (current[0] + nxt[0]) / 2, (current[1] + nxt[1]) / 2])
            current = nxt
        path.append(["L", current[0], current[1]])
    xs_all = [p[1] for p in path] or [0]
    ys_all = [p[2] for p in path] or [0]
    obj = {
        "type": "path", "version": "5.3.0", "originX": "left", "originY": "top",
        "left": min(xs_all), "top": min(ys_all), "width": max(xs_all) - min(xs_all),
        "height": max(ys_all) - min(ys_all), "fill": None, "stroke": "#000000", "strokeWidth": 20,
        "strokeLineCap": "round", "strokeLineJoin": "round", "scaleX": 1, "scaleY": 1, "angle": 0,
        "opacity": 1, "visible": True, "path": path,
    }
    return {"version": "5.3.0", "objects": [obj], "background": "#FFFFFF"}


def png_data_url(image: np.ndarray) -> str:
    """RGBA uint8 array -> "data:image/png;base64,...", as canvas.toDataURL() gives."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8), "RGBA").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def canvas_state(image: np.ndarray) -> dict[str, Any]:
    """The drawable canvas's component state after a stroke (state keys "drawing", "backgroundFit")."""
    return {"drawing": {"raw": fabric_path(image), "data": png_data_url(image)}}


class StreamlitSession:
    """One browser-like session of a Streamlit app over its websocket."""

    def __init__(self, port: int, host: str = "127.0.0.1", *, verbose: bool = False,
                 on_message: Callable[[ForwardMsg], None] | None = None) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("this load client only talks to a server on this machine")
        self.url = f"ws://{host}:{port}/_stcore/stream"
        self.verbose = verbose
        self.on_message = on_message
        self.ws: ClientConnection | None = None
        self.page_script_hash = ""
        self.main_script_hash = ""
        self.widgets: dict[str, Widget] = {}
        self.values: dict[str, WidgetState] = {}  # what the "frontend" currently holds, per widget id
        self.closed_reason: str | None = None
        self.page_not_found = False
        self.received = 0
        self.auto_reruns: dict[str, float] = {}  # fragment id -> interval (st.fragment(run_every=...))
        self._pending: _PendingRun | None = None
        self._reader: asyncio.Task | None = None

    # ---- connection ---------------------------------------------------------
    async def connect(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Open the websocket (a busy server can take a while to answer the handshake)."""
        # The frontend sends ["streamlit", xsrf-or-placeholder(, session id to resume)]; the server
        # selects the first entry. XSRF only guards the auth cookie, which this app does not use.
        self.ws = await connect(
            self.url, subprotocols=["streamlit", "PLACEHOLDER_AUTH_TOKEN"], max_size=MAX_FRAME,
            open_timeout=timeout, proxy=None, ping_interval=None,
            user_agent_header="digitlab-loadtest",
        )
        self._reader = asyncio.create_task(self._read_loop(), name="st-reader")

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 5)
            except (asyncio.TimeoutError, ConnectionClosed, OSError):
                pass
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass

    async def __aenter__(self) -> "StreamlitSession":
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # ---- receiving ----------------------------------------------------------
    async def _read_loop(self) -> None:
        assert self.ws is not None
        try:
            async for frame in self.ws:
                if isinstance(frame, str):
                    raise ProtocolError("text frame from the server")
                msg = ForwardMsg()
                msg.ParseFromString(frame)
                self.received += 1
                self._handle(msg)
        except ConnectionClosed as exc:
            self.closed_reason = f"connection closed ({exc.rcvd.code if exc.rcvd else 'no close frame'})"
        except Exception as exc:  # a parse error is a protocol failure, reported to the waiting run
            self.closed_reason = f"reader failed: {exc!r}"
        else:
            self.closed_reason = self.closed_reason or "connection closed"
        finally:
            if self._pending is not None:
                self._pending.done.set()

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        pending = self._pending
        if pending is not None:
            pending.result.messages += 1
        if self.verbose:
            print(f"  <- {describe(msg)}")
        if self.on_message is not None:
            self.on_message(msg)
        if kind == "new_session":
            if msg.new_session.page_script_hash:
                self.page_script_hash = msg.new_session.page_script_hash
            self.main_script_hash = msg.new_session.main_script_hash
        elif kind == "navigation":
            if msg.navigation.page_script_hash:
                self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self.auto_reruns.pop(fid, None)
        elif kind == "page_not_found":
            self.page_not_found = True
            if pending is not None:
                pending.result.error_alerts.append(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "delta":
            self._handle_delta(msg)
        elif kind == "script_finished":
            if pending is not None and msg.script_finished != FINISHED_FOR_RERUN:
                pending.result.finished_status = msg.script_finished
                pending.result.seconds = time.perf_counter() - pending.started
                pending.done.set()

    def _handle_delta(self, msg: ForwardMsg) -> None:
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind is None:
            return
        el = getattr(element, kind)
        pending = self._pending
        if kind == "markdown":
            body = el.body
            if pending is not None:
                pending.result.markdown.append(body)
                match = PREDICTION.match(body)
                if match and pending.result.answer_seconds is None:
                    pending.result.answer_seconds = time.perf_counter() - pending.started
                    pending.result.prediction = int(match.group(1))
        elif kind == "progress":
            if pending is not None:
                pending.result.progress.append(el.text)
        elif kind == "exception":
            if pending is not None:
                pending.result.exceptions.append(f"{el.type}: {el.message}")
        elif kind == "alert":
            if pending is not None and el.format == el.ERROR:
                pending.result.error_alerts.append(el.body)
        wid = getattr(el, "id", "") if kind not in ("markdown", "alert", "exception") else ""
        if isinstance(wid, str) and wid:
            label = getattr(el, "label", "") or getattr(el, "component_name", "")
            self.widgets[wid] = Widget(wid, kind, label if isinstance(label, str) else "", delta.fragment_id, el)
            if pending is not None:
                pending.result.widget_ids.append(wid)

    # ---- asking -------------------------------------------------------------
    def find(self, *, kind: str | None = None, key: str | None = None, label: str | None = None,
             component: str | None = None) -> Widget | None:
        for widget in self.widgets.values():
            if kind is not None and widget.kind != kind:
                continue
            if key is not None and widget.key != key:
                continue
            if label is not None and widget.label != label:
                continue
            if component is not None and getattr(widget.proto, "component_name", None) != component:
                continue
            return widget
        return None

    async def rerun(self, widget_states: list[WidgetState] | None = None, *, page_name: str = "",
                    fragment_id: str = "", is_auto_rerun: bool = False,
                    timeout: float = DEFAULT_TIMEOUT) -> RunResult:
        """Send one rerun_script and wait for its final script_finished (ignoring st.rerun hops).

        Raises ProtocolError when the connection closes or nothing finishes within ``timeout``;
        a slow but finished run is returned with its times, for the caller to judge.
        """
        if self.ws is None:
            raise ProtocolError("not connected")
        if self.closed_reason:
            raise ProtocolError(self.closed_reason)
        for state in widget_states or []:
            self.values[state.id] = state
        if not fragment_id:
            self.auto_reruns.clear()  # a full run re-registers the fragments that still exist
        back = BackMsg()
        client = back.rerun_script
        client.query_string = ""
        client.page_script_hash = "" if page_name else self.page_script_hash
        client.page_name = page_name
        client.fragment_id = fragment_id
        client.is_auto_rerun = is_auto_rerun
        states = WidgetStates()
        for state in self.values.values():
            states.widgets.append(state)
        client.widget_states.CopyFrom(states)
        info = client.context_info
        info.timezone = "UTC"
        info.timezone_offset = 0
        info.locale = "en-US"
        info.url = self.url.replace("ws://", "http://").replace("/_stcore/stream", "/" + page_name)
        info.is_embedded = False
        info.color_scheme = "light"
        pending = _PendingRun(time.perf_counter(), asyncio.Event(), RunResult(0.0, None, None))
        self._pending = pending
        try:
            await self.ws.send(back.SerializeToString())
            try:
                await asyncio.wait_for(pending.done.wait(), timeout)
            except asyncio.TimeoutError:
                raise ProtocolError(f"no script_finished within {timeout:g} s") from None
            if pending.result.finished_status is None:
                raise ProtocolError(self.closed_reason or "run ended without script_finished")
            if pending.result.finished_status == COMPILE_ERROR:
                pending.result.exceptions.append("script compile error")
            return pending.result
        finally:
            self._pending = None
            # Trigger values (buttons, component events) last one run, like in the frontend.
            for wid in [w for w, s in self.values.items() if s.WhichOneof("value") in
                        ("trigger_value", "json_trigger_value", "string_trigger_value")]:
                del self.values[wid]

    async def open_page(self, url_path: str, timeout: float = DEFAULT_TIMEOUT) -> RunResult:
        """What a browser does on first load of /url_path."""
        result = await self.rerun(page_name=url_path, timeout=timeout)
        if self.page_not_found:
            raise ProtocolError(f"page {url_path!r} not found")
        return result

    # ---- widget helpers -------------------------------------------------------
    def canvas(self) -> Widget:
        widget = self.find(kind="bidi_component", component=CANVAS_COMPONENT)
        if widget is None:
            raise ProtocolError("no drawable canvas in the page's deltas")
        return widget

    async def draw(self, image: np.ndarray | dict[str, Any], timeout: float = DEFAULT_TIMEOUT) -> RunResult:
        """One stroke's worth of canvas update: the fragment rerun the frontend sends on mouse-up.

        ``image`` is an RGBA canvas array, or a ready ``canvas_state(image)`` dict (cheaper in a load loop).
        """
        canvas = self.canvas()
        old = self.values.get(canvas.id)
        state_dict = json.loads(old.json_value) if old is not None else {}
        state_dict.update(image if isinstance(image, dict) else canvas_state(image))
        state = WidgetState(id=canvas.id, json_value=json.dumps(state_dict))
        return await self.rerun([state], fragment_id=canvas.fragment_id, timeout=timeout)

    async def click(self, widget: Widget, timeout: float = DEFAULT_TIMEOUT) -> RunResult:
        return await self.rerun([WidgetState(id=widget.id, trigger_value=True)],
                                fragment_id=widget.fragment_id, timeout=timeout)


def slider_state(widget: Widget, value: float) -> WidgetState:
    state = WidgetState(id=widget.id)
    state.double_array_value.data.append(float(value))
    return state


def describe(msg: ForwardMsg) -> str:
    """One line per ForwardMsg, for the step-by-step check."""
    kind = msg.WhichOneof("type")
    if kind == "delta":
        delta = msg.delta
        dk = delta.WhichOneof("type")
        extra = ""
        if dk == "new_element":
            ek = delta.new_element.WhichOneof("type")
            el = getattr(delta.new_element, ek) if ek else None
            text = getattr(el, "body", "") or getattr(el, "label", "") or getattr(el, "component_name", "")
            wid = getattr(el, "id", "")
            extra = f" {ek}"
            if text:
                extra += f" {str(text)[:60]!r}"
            if isinstance(wid, str) and wid:
                extra += f" id={wid[:60]}"
        elif dk == "add_block":
            extra = " block"
        frag = f" fragment={delta.fragment_id}" if delta.fragment_id else ""
        path = list(msg.metadata.delta_path)
        return f"delta {dk}{extra} path={path}{frag}"
    if kind == "new_session":
        return f"new_session page_script_hash={msg.new_session.page_script_hash}"
    if kind == "script_finished":
        return f"script_finished {ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)}"
    if kind == "session_status_changed":
        return f"session_status_changed running={msg.session_status_changed.script_is_running}"
    if kind == "navigation":
        return f"navigation pages={[p.url_pathname for p in msg.navigation.app_pages]}"
    return kind or "?"


async def _demo(port: int, page: str, draws: int) -> None:
    from mnist_core.synthetic import STYLES, sample_canvas

    rng = np.random.default_rng(0)
    async with StreamlitSession(port, verbose=True) as session:
        print(f"-> rerun_script page_name={page!r}")
        result = await session.open_page(page)
        print(f"page ran in {result.seconds * 1000:.0f} ms; widgets: "
              f"{[(w.kind, w.key or w.label) for w in session.widgets.values()]}")
        if page != "draw":
            return
        for i in range(draws):
            digit = int(rng.integers(10))
            print(f"-> rerun_script fragment_id={session.canvas().fragment_id} canvas drawing of a {digit}")
            result = await session.draw(sample_canvas(digit, STYLES["large-centred"], rng))
            print(f"drew {digit}: prediction {result.prediction} after "
                  f"{(result.answer_seconds or float('nan')) * 1000:.0f} ms, run {result.seconds * 1000:.0f} ms, "
                  f"exceptions {result.exceptions}, error alerts {result.error_alerts}")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--page", default="draw")
    parser.add_argument("--draws", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(_demo(args.port, args.page, args.draws))
