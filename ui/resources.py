"""Heavy things, loaded once per server and shared by every session.

Everything here is a thin ``st.cache_resource`` wrapper around mnist_core:
the dataset (55 MB, shared, never copied), the registry, loaded models with
their fast Predictor (keyed by model name and folder modification time, so a
retrained model of the same name is picked up), per-image evaluation arrays,
and the handle on the deployment's training runs (their state lives in the
database, the runs themselves in the training worker).

Paths come from the environment on every call and are part of each cache key,
so tests (and an admin changing ``DIGITLAB_MODELS``) get what they asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import streamlit as st

from mnist_core.data import MnistData, load_mnist
from mnist_core.database import database_url
from mnist_core.detector import Detector, detector_folder, load_detector
from mnist_core.errors import ModelError
from mnist_core.inspection import Inspector
from mnist_core.jobs import TrainingJob
from mnist_core.predictor import Predictor
from mnist_core.registry import ModelCard, Problem, Registry, shipped_models_dir, user_models_dir
from mnist_core.taskqueue import queue_url


# ---- paths -----------------------------------------------------------------
def models_root() -> str:
    return str(user_models_dir())


def shipped_root() -> str | None:
    """The read-only shipped models; ``DIGITLAB_SHIPPED`` overrides it ("" means none)."""
    folder = shipped_models_dir()
    return str(folder) if folder is not None else None


# ---- registry --------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _registry(root: str, shipped: str | None) -> Registry:
    registry = Registry(root, shipped=shipped)
    try:
        registry.clean_stale()  # leftovers of a crashed save, older than an hour
    except OSError:
        pass
    return registry


def get_registry() -> Registry:
    return _registry(models_root(), shipped_root())


@st.cache_resource(max_entries=4, show_spinner=False)
def _scan(root: str, shipped: str | None, listing: tuple) -> tuple[list[ModelCard], list[Problem]]:
    return _registry(root, shipped).scan()


def scan_models() -> tuple[list[ModelCard], list[Problem]]:
    """Every readable card and every broken folder. Read again only when the models folder changed
    (keyed on ``Registry.listing_version``, a few ``stat`` calls), so new models still show at once
    while the Draw page, which asks on every stroke, no longer parses and checks every card each time.
    The cards are shared between sessions: read them, never change them."""
    registry = get_registry()
    try:
        cards, problems = _scan(models_root(), shipped_root(), registry.listing_version())
    except OSError as exc:
        return [], [Problem(models_root(), f"The model folder could not be read ({exc}).")]
    return list(cards), list(problems)


def _folder_mtime(registry: Registry, name: str) -> int:
    folder = registry.folder(name)
    try:
        return max(folder.stat().st_mtime_ns, (folder / "card.json").stat().st_mtime_ns)
    except OSError as exc:
        raise ModelError(f"The model {name!r} could not be read ({exc.strerror}).") from exc


# ---- models ----------------------------------------------------------------
@st.cache_resource(max_entries=6, show_spinner="Loading the model…")
def _predictor(root: str, shipped: str | None, name: str, mtime: int, detector: str | None) -> Predictor:
    registry = _registry(root, shipped)
    predictor = Predictor.for_card(registry.load(name), registry.card(name), _detector(detector))
    predictor.reading(np.zeros((1, 28, 28, 1), np.float32))  # trace once, so the first stroke is fast
    return predictor


@st.cache_resource(show_spinner=False)
def _detector(folder: str | None) -> Detector | None:
    detector = load_detector(folder) if folder else None
    if detector is not None:
        detector.scores(np.zeros((1, 28, 28, 1), np.float32))  # trace once
    return detector


def _detector_key() -> str | None:
    folder = detector_folder()
    return str(folder) if folder is not None else None


def model_version(name: str) -> int:
    """Changes whenever the model folder called ``name`` is replaced: part of every per-model cache key."""
    return _folder_mtime(get_registry(), name)


def get_predictor(name: str) -> Predictor:
    """The loaded model for ``name``; raises ModelError with a user-facing sentence."""
    return lookup(name).predictor


@dataclass(frozen=True)
class ModelHandle:
    """One model, looked up once per script run (name → version → loaded predictor) and passed down,
    so the views below a page never look it up again; the inspector is built only if a view needs it."""

    name: str
    version: int
    predictor: Predictor

    @property
    def model(self):
        return self.predictor.model

    @property
    def inspector(self) -> Inspector:
        return _inspector(models_root(), shipped_root(), self.name, self.version)


def lookup(name: str) -> ModelHandle:
    """The model called ``name`` with its version; raises ModelError with a user-facing sentence."""
    version = model_version(name)
    return ModelHandle(name, version, _predictor(models_root(), shipped_root(), name, version, _detector_key()))


@st.cache_resource(max_entries=6, show_spinner=False)
def _inspector(root: str, shipped: str | None, name: str, mtime: int) -> Inspector:
    return Inspector(_predictor(root, shipped, name, mtime, _detector_key()).model)


def get_inspector(name: str) -> Inspector:
    """The Look-inside helper for ``name`` (its sub-models are built once per model version)."""
    return _inspector(models_root(), shipped_root(), name, model_version(name))


@st.cache_resource(max_entries=8, show_spinner=False)
def _test_probabilities(root: str, shipped: str | None, name: str, mtime: int) -> np.ndarray | None:
    arrays = _registry(root, shipped).arrays(name)
    probs = arrays.get("test_probabilities")
    if probs is None or probs.ndim != 2 or probs.shape[1] != 10:
        return None
    probs = probs.astype(np.float32)
    probs.setflags(write=False)  # shared between sessions: nobody may change it
    return probs


def get_test_probabilities(name: str) -> np.ndarray | None:
    """(N, 10) float32 test-set probabilities stored with the model, or None if missing."""
    return _test_probabilities(models_root(), shipped_root(), name, model_version(name))


# ---- dataset ---------------------------------------------------------------
@st.cache_resource(show_spinner="Loading MNIST…")
def _dataset(env_path: str | None) -> MnistData:
    data = load_mnist()
    for array in (data.x_train, data.y_train, data.x_test, data.y_test):
        array.setflags(write=False)
    return data


def get_data() -> MnistData:
    """MNIST, shared by every session; raises DatasetError (not cached, so a fix is picked up)."""
    return _dataset(os.environ.get("MNIST_NPZ"))


# ---- training --------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _training_job(db_url: str, queue: str) -> TrainingJob:
    return TrainingJob(db_url, queue)


def training_job() -> TrainingJob:
    """Start, follow and stop runs: the same runs on every server replica (they live in the database)."""
    return _training_job(database_url(), queue_url())
