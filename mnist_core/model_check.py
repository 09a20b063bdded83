"""A cheap health check of a ``model.keras`` file, run when the registry is listed.

Loading a model takes a second or more, far too slow for every page run, and
a truncated or hostile file must not be listed as a healthy model with its
card's accuracy. A ``.keras`` file is a zip of ``config.json``,
``metadata.json`` and ``model.weights.h5``, so without Keras we can check:

* the zip opens (a truncated file has lost its central directory at the end)
  and every member's CRC matches (a damaged middle), which reads the file once:
  about 2 ms for the 1.9 MB shipped model;
* the three members are there and ``config.json`` is a JSON object;
* the config asks for nothing Keras's safe mode refuses (Python lambdas,
  ``Lambda`` layers, ``TFSMLayer``), so such a file is reported, not offered.

The result is cached per (path, size, modification time): a saved model is
never changed in place (a save replaces the whole folder), so the check runs
once per model version and process. What this cannot see (weights that do not
fit the architecture, say) is caught when the model is loaded: the registry then
records the failure beside the model (see ``LOAD_FAILED_FILE``) and lists it as
broken from then on, in every process.
"""

from __future__ import annotations

import json
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

MEMBERS = ("config.json", "metadata.json", "model.weights.h5")
UNSAFE_CLASSES = {"__lambda__", "Lambda", "TFSMLayer"}
MAX_CONFIG_BYTES = 5_000_000


def model_file_problem(path: Path) -> str | None:
    """Why this model file cannot be used (one phrase), or None if it looks sound."""
    try:
        stat = path.stat()
    except OSError as exc:
        return f"its model file cannot be read ({exc.strerror})"
    return _cached_problem(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=256)
def _cached_problem(path: str, size: int, mtime_ns: int) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = [m for m in MEMBERS if m not in names]
            if missing:
                return f"its model file lacks {', '.join(missing)}"
            if archive.getinfo("config.json").file_size > MAX_CONFIG_BYTES:
                return "its model file has an implausibly large config"
            damaged = archive.testzip()
            if damaged is not None:
                return f"its model file is damaged ({damaged} fails its checksum)"
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
        return "its model file is truncated or not a Keras file"
    except (OSError, ValueError, RuntimeError, NotImplementedError) as exc:
        return f"its model file cannot be read ({type(exc).__name__})"
    if not isinstance(config, dict):
        return "its model file has no model configuration"
    unsafe = _unsafe_class(config)
    if unsafe:
        return f"its model file holds a {unsafe}, which safe loading refuses (it could run code)"
    return None


def _unsafe_class(node: Any, depth: int = 0) -> str | None:
    """The first class name in the config that Keras's safe mode would refuse to build."""
    if depth > 200:
        return "config nested too deeply"
    if isinstance(node, dict):
        name = node.get("class_name")
        if isinstance(name, str) and name in UNSAFE_CLASSES:
            return name
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _unsafe_class(child, depth + 1)
        if found:
            return found
    return None
