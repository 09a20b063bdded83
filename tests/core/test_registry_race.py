"""Two real processes save (or train) under one name at the same moment: exactly one gets the name.

Each child slows its model write down with a barrier: it finishes writing only
when both children have written, so both have passed the early "is the name
free?" check before either renames into place. That is the race the issue
reported (both printed "saved 'same'"; the first model was gone), hit every time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_core import registry as reg
from mnist_core.presets import build_model
from mnist_core.registry import ModelCard, Registry, now_iso

ROOT = Path(__file__).resolve().parents[2]

BARRIER_HOOK = """
import os, sys, time
from pathlib import Path
from mnist_core import registry as reg

_write = reg._save_inference_model

def _write_then_wait(model, path):  # the slow write: wait until the other process has written too
    _write(model, path)
    barrier = Path(os.environ["RACE_BARRIER"])
    (barrier / str(os.getpid())).touch()
    deadline = time.time() + 90
    while len(os.listdir(barrier)) < 2 and time.time() < deadline:
        time.sleep(0.01)

reg._save_inference_model = _write_then_wait
"""

SAVE_CHILD = BARRIER_HOOK + """
import json
from mnist_core.presets import build_model
from mnist_core.registry import ModelCard, Registry, now_iso

root, accuracy, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
card = ModelCard("same", "logistic", {}, {}, {"test_accuracy": accuracy}, "x", now_iso(), 1.0, 1)
options = {"rename_if_taken": True} if mode == "keep" else {}
try:
    path = Registry(root, shipped=None).save("same", build_model("logistic"), card, **options)
    print(json.dumps({"saved": path.name}))
except Exception as exc:
    print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
"""

CLI_CHILD = BARRIER_HOOK + """
from mnist_core.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_together(commands: list[list[str]], barrier: Path) -> list[subprocess.CompletedProcess]:
    barrier.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RACE_BARRIER": str(barrier)}
    procs = [subprocess.Popen([sys.executable, *cmd], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for cmd in commands]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    assert len(os.listdir(barrier)) == 2, "both processes reached the write: the race was really run"
    return done


def last_json(process: subprocess.CompletedProcess) -> dict:
    assert process.returncode == 0, process.stderr[-2000:]
    return json.loads(process.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_two_processes_saving_one_name_exactly_one_wins(tmp_path):
    root = tmp_path / "models"
    results = [last_json(p) for p in run_together(
        [["-c", SAVE_CHILD, str(root), accuracy, "plain"] for accuracy in ("0.1", "0.2")], tmp_path / "barrier")]
    winners = [i for i, r in enumerate(results) if r.get("saved") == "same"]
    losers = [r for r in results if "error" in r]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "already exists" in losers[0]["error"]
    registry = Registry(root, shipped=None)
    assert registry.names() == ["same"]
    assert registry.card("same").test_accuracy == (0.1, 0.2)[winners[0]]  # the winner's model, not replaced
    assert not [p for p in root.iterdir() if p.name.startswith(".tmp-")], "the loser cleaned up"


@pytest.mark.slow
def test_the_loser_keeps_its_model_under_a_free_name(tmp_path):
    root = tmp_path / "models"
    results = [last_json(p) for p in run_together(
        [["-c", SAVE_CHILD, str(root), accuracy, "keep"] for accuracy in ("0.1", "0.2")], tmp_path / "barrier")]
    assert sorted(r["saved"] for r in results) == ["same", "same (2)"], results
    registry = Registry(root, shipped=None)
    cards, problems = registry.scan()
    assert problems == [] and sorted(c.name for c in cards) == ["same", "same (2)"]
    for result, accuracy in zip(results, (0.1, 0.2)):
        assert registry.card(result["saved"]).test_accuracy == accuracy
        registry.load(result["saved"])


@pytest.mark.slow
def test_two_cli_trainings_under_one_name_both_keep_their_model(tmp_path, tiny_npz):
    root = tmp_path / "models"
    command = ["-c", CLI_CHILD, "--models-dir", str(root), "train", "--preset", "logistic", "--epochs", "1",
               "--name", "same", "--data", str(tiny_npz)]
    runs = run_together([command, command], tmp_path / "barrier")
    for run in runs:
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    outputs = sorted((run.stdout for run in runs), key=len)
    assert "saved 'same' to" in outputs[0] and "was taken" not in outputs[0]
    assert "saved 'same (2)' to" in outputs[1]
    assert "'same' was taken by another model" in outputs[1]  # says why, in one sentence
    assert sorted(Registry(root, shipped=None).names()) == ["same", "same (2)"]


def test_a_taken_name_is_refused_before_training(tmp_path, capsys):
    from mnist_core.cli import main

    root = tmp_path / "models"
    Registry(root, shipped=None).save("mine", build_model("logistic"), card_with(0.5))
    code = main(["--models-dir", str(root), "train", "--preset", "logistic", "--name", "mine",
                 "--data", str(tmp_path / "no-dataset-needed.npz")])
    assert code == 1
    assert "already exists" in capsys.readouterr().err  # not the missing dataset: nothing was loaded


def card_with(accuracy: float) -> ModelCard:
    return ModelCard("x", "logistic", {}, {}, {"test_accuracy": accuracy}, "x", now_iso(), 1.0, 1)


@pytest.mark.parametrize("appears", ["a whole model", "an empty folder"])
def test_rename_never_overwrites_a_name_that_appeared_meanwhile(tmp_path, monkeypatch, appears):
    """At the last instant before the rename itself, 'new' appears (another process saved it)."""
    import shutil

    registry = Registry(tmp_path / "models", shipped=None)
    model = build_model("logistic")
    registry.save("old", model, card_with(0.1))
    registry.save("donor", model, card_with(0.2))
    target = registry.root / "new"

    def appear(destination) -> None:
        if Path(os.fsdecode(destination)) == target and not target.exists():
            if appears == "a whole model":
                shutil.copytree(registry.root / "donor", target)
            else:
                target.mkdir()

    if getattr(reg, "_RENAMEAT2", None) is not None:  # the atomic no-replace rename
        real_renameat2 = reg._RENAMEAT2

        def racing_renameat2(src_dir, source, dst_dir, destination, flags):
            appear(destination)
            return real_renameat2(src_dir, source, dst_dir, destination, flags)
        monkeypatch.setattr(reg, "_RENAMEAT2", racing_renameat2)
    else:
        real_rename = os.rename

        def racing_rename(source, destination):
            appear(destination)
            return real_rename(source, destination)
        monkeypatch.setattr(reg.os, "rename", racing_rename)
    with pytest.raises(reg.ModelError, match="already exists"):
        registry.rename("old", "new")
    monkeypatch.undo()
    assert (registry.root / "old" / "model.keras").is_file(), "the model being renamed is still there"
    if appears == "a whole model":
        assert registry.card("new").test_accuracy == 0.2  # and the one that appeared is untouched
    else:
        assert list(target.iterdir()) == []


def test_free_names_stay_valid():
    assert reg.numbered_name("same", 2) == "same (2)"
    long = "x" * 64
    assert len(reg.numbered_name(long, 12)) == 64 and reg.check_name(reg.numbered_name(long, 12))
