"""The real app as a child process, for the tests and the benchmarks (dev-only).

``AppServer`` runs ``streamlit run app.py`` in its own process group on a free
loopback port, with its own models folder, database and training queue;
``stop()`` ends the group and the training worker it started. Also: finding
MNIST and the shipped default model, and training a stand-in when it is missing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Sequence

from mnist_core.data import find_dataset

ROOT = Path(__file__).resolve().parents[1]  # the repository: the app that AppServer runs
DEFAULT_MODEL = "digitlab-default"


# ---- data and models ----------------------------------------------------------
def mnist_path() -> Path | None:
    """The real MNIST file, found the way the app finds it (no download)."""
    return find_dataset()


def has_default_model(folder: Path | str | None) -> bool:
    return bool(folder) and (Path(folder) / DEFAULT_MODEL / "model.keras").is_file()


def find_shipped() -> Path | None:
    """A shipped-models folder holding the default model: $DIGITLAB_SHIPPED, else shipped_models/."""
    env = os.environ.get("DIGITLAB_SHIPPED")
    for candidate in ([Path(env)] if env else []) + [ROOT / "shipped_models"]:
        if has_default_model(candidate):
            return candidate
    return None


def train_default_model(folder: Path, mnist: Path, log: Path | None = None, extra_args: Sequence[str] = ()) -> Path:
    """Train the quick CNN as ``digitlab-default`` into ``folder`` (about a minute); returns ``folder``.

    ``extra_args`` go to ``mnist_core train`` (e.g. fewer epochs for a benchmark's stand-in model)."""
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "mnist_core", "--models-dir", str(folder), "train",
           "--preset", "cnn-quick", "--name", DEFAULT_MODEL, "--data", str(mnist), *extra_args]
    env = dict(os.environ, DIGITLAB_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="2")
    out = open(log, "w") if log else subprocess.DEVNULL
    try:
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=True, timeout=900)
    finally:
        if log:
            out.close()
    if not has_default_model(folder):
        raise RuntimeError(f"training the fallback default model did not produce {folder / DEFAULT_MODEL}")
    return folder


# ---- the server -----------------------------------------------------------------
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")
_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_worker(queue_url: str, timeout: float = 10.0) -> None:
    """SIGKILL the detached training worker of a queue, if one runs on this machine."""
    from mnist_core.taskqueue import worker_pid

    pid = worker_pid(queue_url)
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while worker_pid(queue_url) == pid and time.monotonic() < deadline:
        time.sleep(0.05)


class AppServer:
    """``streamlit run app.py`` on a free loopback port; ``stop()`` kills its whole process group."""

    def __init__(self, models_dir: Path | str, shipped_dir: Path | str | None = None,
                 mnist: Path | str | None = None, log_path: Path | str | None = None,
                 extra_env: dict[str, str] | None = None, extra_args: Sequence[str] = (),
                 root: Path | str | None = None) -> None:
        self.root = Path(root) if root else ROOT  # the app to run (another checkout, for a benchmark baseline)
        self.models_dir = Path(models_dir)
        self.shipped_dir = shipped_dir
        self.mnist = mnist
        self.log_path = Path(log_path) if log_path else self.models_dir.parent / "streamlit-server.log"
        self.extra_env = extra_env or {}
        self.extra_args = list(extra_args)  # more `streamlit run` options, e.g. "--runner.postScriptGC=false"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self._log = None
        self.launched_at: float | None = None
        # The database and training queue; servers given the same ones share runs (and one worker).
        base = self.models_dir.parent
        self.db_url = self.extra_env.get("DIGITLAB_DB") or f"sqlite:///{base / 'digitlab.db'}"
        self.queue_url = self.extra_env.get("DIGITLAB_QUEUE") or f"sqlite:///{base / 'queue.db'}"

    def start(self) -> "AppServer":
        self.models_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}  # loopback only
        env.update(DIGITLAB_MODELS=str(self.models_dir), DIGITLAB_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="2",
                   PYTHONUNBUFFERED="1")
        env.pop("DIGITLAB_TEACHER_KEY", None)  # one-person mode unless a test asks for a class
        if self.shipped_dir is not None:
            env["DIGITLAB_SHIPPED"] = str(self.shipped_dir)
        if self.mnist is not None:
            env["MNIST_NPZ"] = str(self.mnist)
        env.update(DIGITLAB_DB=self.db_url, DIGITLAB_QUEUE=self.queue_url,  # drawings, runs, worker: ours alone
                   DIGITLAB_WORKER_AUTOSTART="1")  # the test process itself never starts one
        env.update(self.extra_env)
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py",
               "--server.headless", "true", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", *self.extra_args]
        self._log = open(self.log_path, "w")
        self.launched_at = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def wait_healthy(self, timeout: float = 60.0) -> float:
        """Block until ``/_stcore/health`` answers; returns the seconds since launch."""
        assert self.proc is not None and self.launched_at is not None, "start() first"
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with _LOOPBACK.open(f"{self.url}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.launched_at
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"streamlit did not answer /_stcore/health within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self._log is not None:
            self._log.close()
            self._log = None
        stop_worker(self.queue_url)  # the training worker outlives its server on purpose; not a test's

    def worker_pid(self) -> int | None:
        """The training worker this server started (it runs detached), if it runs."""
        from mnist_core.taskqueue import worker_pid

        return worker_pid(self.queue_url)

    def __enter__(self) -> "AppServer":
        self.start()
        try:
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
