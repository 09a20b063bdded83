"""TensorFlow Lite export: conversion, the parity check, file writing and the `export` command."""

import shutil

import numpy as np
import pytest

from mnist_core.cli import main
from mnist_core.errors import ModelError
from mnist_core.export import (TfliteRunner, check_writable, export_tflite, format_parity, interpreter_class,
                               representative_images, write_file)
from mnist_core.presets import get_preset
from mnist_core.registry import SHIPPED_DIR, Registry
from mnist_core.training import train
from mnist_core.workflow import train_and_save


@pytest.fixture(scope="module")
def tiny_model(tiny_data):
    settings = get_preset("mlp-128-64").defaults.with_changes(epochs=3, hidden_units=[32], batch_size=64)
    return train("mlp-128-64", settings, tiny_data).model


@pytest.fixture
def npz(tiny_npz):
    return tiny_npz


@pytest.fixture(scope="module")
def saved_once(tmp_path_factory, tiny_data):
    """A registry with "tiny export" in it, trained once for this file."""
    root = tmp_path_factory.mktemp("export-models")
    settings = get_preset("logistic").defaults.with_changes(epochs=2)
    train_and_save("logistic", settings, tiny_data, Registry(root), "tiny export")
    return root


@pytest.fixture
def saved(saved_once, models_dir):
    """This test's own copy of that registry, as the CLI finds it (DIGITLAB_MODELS)."""
    shutil.copytree(saved_once, models_dir)
    return "tiny export"


def test_litert_interpreter_is_used():
    assert interpreter_class()[1] == "LiteRT"


def test_float_tflite_answers_like_keras(tiny_model, tiny_data):
    exported = export_tflite(tiny_model, tiny_data)
    report = exported.report
    assert report.variant == "float" and report.images == len(tiny_data.y_test)
    assert report.agreement >= 0.999 and report.accuracy_gap_points <= 0.1 and report.meets_goal
    assert report.size_bytes == len(exported.content) > 1000 and report.latency_ms > 0
    keras_probs = tiny_model(tiny_data.x_test[:5, ..., None].astype(np.float32) / 255).numpy()
    runner = TfliteRunner(exported.content)
    tflite = np.array([runner.probabilities(x[..., None].astype(np.float32) / 255) for x in tiny_data.x_test[:5]])
    np.testing.assert_allclose(tflite, keras_probs, atol=1e-5)


def test_int8_tflite_is_full_integer_smaller_and_close(tiny_model, tiny_data):
    float_size = len(export_tflite(tiny_model, tiny_data.subset(test=50)).content)
    exported = export_tflite(tiny_model, tiny_data, int8=True)
    runner = TfliteRunner(exported.content)
    assert runner.input["dtype"] == np.int8 and runner.output["dtype"] == np.int8
    assert len(exported.content) < float_size / 2
    assert exported.report.variant == "int8" and exported.report.agreement >= 0.95


def test_progress_is_reported_up_to_done(tiny_model, tiny_data):
    seen = []
    export_tflite(tiny_model, tiny_data.subset(test=100), progress=lambda f, text: seen.append((f, text)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) > 3


def test_representative_images_come_from_train_and_are_fixed(tiny_data):
    first = representative_images(tiny_data, count=50)
    assert first.shape == (50, 28, 28) and np.array_equal(first, representative_images(tiny_data, count=50))
    train_rows = {row.tobytes() for row in tiny_data.x_train}
    assert all(image.tobytes() in train_rows for image in first)


def test_parity_table_names_the_goal(tiny_model, tiny_data):
    report = export_tflite(tiny_model, tiny_data.subset(test=100)).report
    table = format_parity([report])
    assert "float" in table and "met" in table and "LiteRT" in table


def test_write_file_is_atomic_and_refuses_bad_places(tmp_path):
    target = write_file(tmp_path / "m.tflite", b"abc")
    assert target.read_bytes() == b"abc" and [p.name for p in tmp_path.iterdir()] == ["m.tflite"]
    with pytest.raises(ModelError, match="does not exist"):
        check_writable(tmp_path / "nope" / "m.tflite")
    with pytest.raises(ModelError, match="is a folder"):
        check_writable(tmp_path)


def test_cli_export_tflite_prints_the_parity_table(saved, npz, tmp_path, capsys):
    out = tmp_path / "digits.tflite"
    assert main(["export", saved, "--format", "tflite", "--out", str(out), "--data", str(npz)]) == 0
    printed = capsys.readouterr().out
    assert "agree" in printed and "float" in printed and f"wrote {out}" in printed
    assert out.stat().st_size > 1000


def test_cli_export_int8_and_keras(saved, npz, tmp_path, models_dir, capsys):
    assert main(["export", saved, "--int8", "--out", str(tmp_path / "q.tflite"), "--data", str(npz)]) == 0
    assert "int8" in capsys.readouterr().out
    assert main(["export", saved, "--format", "keras", "--out", str(tmp_path / "m.keras")]) == 0
    assert (tmp_path / "m.keras").read_bytes() == (models_dir / saved / "model.keras").read_bytes()


@pytest.mark.parametrize("args, message", [
    (["export", "no such model", "--out", "x.tflite"], "There is no model called"),
    (["export", "tiny export", "--out", "/nonexistent-folder/x.tflite"], "does not exist"),
    (["export", "tiny export", "--format", "keras", "--int8", "--out", "x.keras"], "--int8 applies"),
])
def test_cli_export_errors_are_one_sentence(saved, tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not list(tmp_path.glob("x.*"))


def test_shipped_model_meets_the_parity_goals(real_data):
    """The real check, on 2,000 MNIST test images: float and int8 TFLite answer like Keras."""
    model = Registry(SHIPPED_DIR / ".none", shipped=SHIPPED_DIR).load("digitlab-default")
    subset = real_data.subset(test=2000)
    for int8 in (False, True):
        report = export_tflite(model, subset, int8=int8).report
        assert report.meets_goal, format_parity([report])
