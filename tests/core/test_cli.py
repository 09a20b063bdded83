import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_core.cli import main
from mnist_core.data import MnistData
from mnist_core.registry import Registry
from tests.conftest import write_npz


@pytest.fixture
def npz(tiny_npz):
    return tiny_npz


@pytest.fixture
def trained(npz, models_dir):
    assert main(["train", "--preset", "mlp-128-64", "--epochs", "2", "--name", "cli model", "--data", str(npz)]) == 0
    return "cli model"


def test_train_saves_and_prints_where(trained, models_dir, capsys):
    assert (models_dir / "cli model" / "model.keras").is_file()


def test_train_shows_a_progress_bar(npz, models_dir, capsys):
    main(["train", "--preset", "logistic", "--epochs", "1", "--name", "bar", "--data", str(npz)])
    captured = capsys.readouterr()
    assert "epoch 1/1 [" in captured.err and "saved 'bar' to" in captured.out


def test_train_settings_from_options(npz, models_dir):
    main(["train", "--preset", "mlp-128-64", "--epochs", "1", "--hidden-units", "16,8", "--batch-size", "64",
          "--no-augment", "--name", "opts", "--data", str(npz)])
    card = Registry(models_dir).card("opts")
    assert card.settings["hidden_units"] == [16, 8] and card.settings["batch_size"] == 64


def test_bad_setting_is_one_line_and_exit_1(npz, models_dir, capsys):
    assert main(["train", "--epochs", "0", "--data", str(npz)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: epochs must be between") and err.count("\n") == 1


def test_missing_dataset_is_one_line_and_exit_1(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "nope.npz")]) == 1
    assert "MNIST_NPZ" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["fly"])
    assert info.value.code == 2


def test_models_lists_the_registry(trained, capsys):
    assert main(["models"]) == 0
    assert "cli model" in capsys.readouterr().out


def test_evaluate_prints_accuracy_report_and_matrix(trained, npz, capsys):
    assert main(["evaluate", trained, "--data", str(npz)]) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out and "macro avg" in out and "true\\pred" in out


def test_evaluate_unknown_model(models_dir, capsys):
    assert main(["evaluate", "ghost"]) == 1
    assert "no model called 'ghost'" in capsys.readouterr().err


def test_predict_prints_one_json_line_per_image(trained, tmp_path, capsys):
    digit = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(digit).line([(100, 20), (100, 180)], fill=0, width=16)
    digit.save(tmp_path / "one.png")
    Image.new("L", (200, 200), 255).save(tmp_path / "blank.png")
    (tmp_path / "notes.txt").write_text("not an image")
    paths = [str(tmp_path / n) for n in ("one.png", "notes.txt", "blank.png", "missing.png")]
    assert main(["predict", *paths, "--model", trained]) == 1
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [line["path"] for line in lines] == [paths[0], paths[2]]
    assert isinstance(lines[0]["digit"], int) and len(lines[0]["probabilities"]) == 10
    assert abs(sum(lines[0]["probabilities"]) - 1) < 1e-3
    assert lines[1]["digit"] is None
    assert "notes.txt: The file is not an image" in captured.err and "missing.png" in captured.err


def test_predict_all_good_exits_0(trained, tmp_path, capsys):
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    assert main(["predict", str(tmp_path / "blank.png"), "--model", trained]) == 0


def test_presets_lists_every_network(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "mlp-128-128-dropout" in out and "Quick CNN:" in out


def test_rename_and_delete(trained, models_dir, capsys):
    assert main(["rename", trained, "renamed"]) == 0
    assert Registry(models_dir, shipped=None).names() == ["renamed"]
    assert main(["delete", "../etc"]) == 1
    assert "not a valid model name" in capsys.readouterr().err
    assert main(["delete", "renamed"]) == 0
    assert Registry(models_dir, shipped=None).names() == []
    assert main(["delete", "renamed"]) == 1


def test_shipped_model_cannot_be_deleted(capsys):
    assert main(["delete", "digitlab-default"]) == 1
    assert "ships with Digit Lab" in capsys.readouterr().err
