import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_core.cli import main
from mnist_core.registry import Registry
from tests.runtools import save_npz


@pytest.fixture
def npz(tiny_npz):
    return tiny_npz


TRAIN_CLI_MODEL = ["train", "--preset", "mlp-128-64", "--epochs", "2", "--name", "cli model"]


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory, tiny_data) -> Path:
    """A registry holding "cli model", trained by the CLI once for this file (each test gets a copy)."""
    folder = tmp_path_factory.mktemp("cli-trained")
    npz = save_npz(tiny_data, folder / "tiny.npz")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIGITLAB_MODELS", str(folder / "models"))
        patch.setenv("DIGITLAB_DB", f"sqlite:///{folder / 'class.db'}")
        assert main([*TRAIN_CLI_MODEL, "--data", str(npz)]) == 0
    return folder / "models"


@pytest.fixture
def trained(trained_once, models_dir):
    """This test's own copy of the registry with "cli model" in it (tests rename, delete and break it)."""
    shutil.copytree(trained_once, models_dir)
    return "cli model"


def test_train_saves_and_prints_where(npz, models_dir, capsys):
    assert main([*TRAIN_CLI_MODEL, "--data", str(npz)]) == 0
    assert (models_dir / "cli model" / "model.keras").is_file()
    assert f"saved 'cli model' to {models_dir / 'cli model'}" in capsys.readouterr().out


def test_train_shows_a_progress_bar(npz, models_dir, capsys):
    main(["train", "--preset", "logistic", "--epochs", "1", "--name", "bar", "--data", str(npz)])
    captured = capsys.readouterr()
    assert "epoch 1/1 [" in captured.err and "saved 'bar' to" in captured.out


def test_train_settings_from_options(npz, models_dir):
    main(["train", "--preset", "mlp-128-64", "--epochs", "1", "--hidden-units", "16,8", "--batch-size", "64",
          "--no-augment", "--name", "opts", "--data", str(npz)])
    card = Registry(models_dir).card("opts")
    assert card.settings["hidden_units"] == [16, 8] and card.settings["batch_size"] == 64


@pytest.mark.parametrize("setting, share, wrong", [("box_fraction", "0.5", "2"), ("coarse_fraction", "0.25", "-1"),
                                                   ("tablet_fraction", "0.05", "1.5"),
                                                   ("joined_fraction", "0.05", "3")])
def test_train_takes_copies_from_the_command_line(npz, models_dir, capsys, setting, share, wrong):
    """Stretched copies (--box-fraction), copies made as coarse as optdigits (--coarse-fraction), digits
    recorded as tablet trajectories (--tablet-fraction) and digits drawn fast and joined (--joined-fraction)."""
    flag = "--" + setting.replace("_", "-")
    assert main(["train", "--preset", "mlp-128-64", "--epochs", "1", flag, share, "--name", "copied",
                 "--data", str(npz)]) == 0
    assert Registry(models_dir).card("copied").settings[setting] == float(share)
    capsys.readouterr()
    assert main(["train", "--preset", "mlp-128-64", flag, wrong, "--name", "never", "--data", str(npz)]) == 1
    assert capsys.readouterr().err == f"error: {setting} must be between 0 and 1, got {float(wrong)}.\n"
    assert not (models_dir / "never").exists()


def test_usps_copies_without_usps_is_one_line_and_nothing_written(npz, models_dir, capsys):
    assert main(["train", "--preset", "mlp-128-64", "--usps-copies", "3", "--name", "never", "--data", str(npz)]) == 1
    assert capsys.readouterr().err == ("error: usps_copies shows USPS's training rows more than once, so it needs "
                                       "usps_train.\n")
    assert not (models_dir / "never").exists()


def test_bad_setting_is_one_line_and_exit_1(npz, models_dir, capsys):
    assert main(["train", "--epochs", "0", "--data", str(npz)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: epochs must be between") and err.count("\n") == 1


@pytest.mark.parametrize("flags, message", [
    (["--preset", "cnn-quick", "--dropout", "0.85"], "error: dropout must be between 0 and 0.8, got 0.85.\n"),
    (["--preset", "mlp-128-64", "--hidden-units", "64,64,64,64,64"], "error: hidden_units takes 0 to 4 layers, got 5.\n"),
    (["--preset", "logistic", "--dropout", "0.2"], "error: Logistic baseline has no dropout setting.\n"),
    (["--preset", "cnn-accurate", "--activation", "tanh"], "error: Accurate CNN (default) has no activation setting.\n"),
    (["--preset", "cnn-quick", "--train-limit", "500"], "error: train_limit must be between 1000 and 60000, got 500.\n"),
])
def test_train_flags_are_checked_against_the_presets_knob_bounds(npz, models_dir, capsys, flags, message):
    """The same bounds as the Train page's knobs (mnist_core/presets.py); one sentence, nothing trained or written."""
    assert main(["train", *flags, "--name", "never", "--data", str(npz)]) == 1
    assert capsys.readouterr().err == message
    assert not (models_dir / "never").exists()


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


def test_models_lists_broken_models_and_still_works(trained, models_dir, capsys):
    import json as _json

    for name in ("bad card", "truncated"):
        shutil.copytree(models_dir / trained, models_dir / name)
    card = _json.loads((models_dir / "bad card" / "card.json").read_text())
    card["metrics"]["test_accuracy"] = "ninety"
    (models_dir / "bad card" / "card.json").write_text(_json.dumps(card))
    model = models_dir / "truncated" / "model.keras"
    model.write_bytes(model.read_bytes()[:1000])
    assert main(["models"]) == 0
    captured = capsys.readouterr()
    assert trained in captured.out and "bad card" not in captured.out and "truncated " not in captured.out
    broken = captured.err.splitlines()
    assert len(broken) == 2 and all(line.startswith("broken, skipped:") for line in broken)
    assert "metrics.test_accuracy" in captured.err and "truncated" in captured.err
    assert main(["predict", "x.png", "--model", "truncated"]) == 1  # not offered for use either
    assert "truncated" in capsys.readouterr().err


def _png_bytes(image: Image.Image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_predict_the_readmes_bad_inputs_each_get_one_line(trained, tmp_path, capsys):
    """README's list of bad inputs, through the CLI: no digit, or one sentence; never a traceback."""
    from tests.core.test_preprocessing import bomb_png

    dot = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(dot).ellipse([95, 95, 105, 105], fill=0)
    good = _png_bytes(Image.new("L", (200, 200), 255))
    sixteen = np.full((120, 120), 60000, np.uint16)
    sixteen[20:100, 55:65] = 2000
    files = {
        "dot.png": (_png_bytes(dot), "none"), "solid.png": (_png_bytes(Image.new("L", (200, 200), 0)), "none"),
        "strip.png": (_png_bytes(Image.new("L", (10000, 10), 255)), "none"),
        "sixteen.png": (_png_bytes(Image.fromarray(sixteen)), "digit"),
        "half.png": (good[: len(good) // 2], "error"), "bomb.png": (bomb_png(), "error"),
        "huge.png": (bomb_png(6300, 6300), "error"), "empty.png": (b"", "error"),
    }
    for name, (data, _) in files.items():
        (tmp_path / name).write_bytes(data)
    assert main(["predict", *(str(tmp_path / n) for n in files), "--model", trained]) == 1
    captured = capsys.readouterr()
    lines = {Path(line["path"]).name: line for line in map(json.loads, captured.out.splitlines())}
    errors = captured.err.splitlines()
    for name, (_, want) in files.items():
        if want == "error":
            assert name not in lines and sum(e.startswith(str(tmp_path / name) + ":") for e in errors) == 1
        else:
            assert (lines[name]["digit"] is None) == (want == "none"), name
    assert "Traceback" not in captured.err and len(errors) == 4


@pytest.mark.parametrize("command", [["train", "--preset", "logistic", "--epochs", "1"],
                                     ["average", "a", "b"], ["train-detector", "--epochs", "1"]])
def test_an_output_folder_that_cannot_be_written_is_one_line_before_any_work(tmp_path, capsys, command):
    plain = tmp_path / "notes.txt"
    plain.write_text("not a folder")
    args = [*command, "--output", str(plain / "out"), "--data", str(tmp_path / "none.npz")]
    assert main(args if command[0] == "train-detector" else [*args, "--name", "m"]) == 1
    err = capsys.readouterr().err
    assert "is not a writable folder" in err and err.count("\n") == 1, err


@pytest.mark.parametrize("name", ["../escape", "<b>bold</b>", "a/b"])
def test_train_refuses_a_bad_name_before_training(models_dir, tmp_path, capsys, name):
    assert main(["train", "--name", name, "--data", str(tmp_path / "none.npz")]) == 1
    err = capsys.readouterr().err
    assert "not a valid model name" in err and err.count("\n") == 1
def test_predict_says_why_no_digit_was_named(trained, tmp_path, monkeypatch, capsys):
    from tests.core.test_detector import constant_detector

    constant_detector(0.02, threshold=0.5).save(tmp_path / "declines-all")
    monkeypatch.setenv("DIGITLAB_DETECTOR", str(tmp_path / "declines-all"))
    scribble = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(scribble).line([(20, 20), (180, 180)], fill=0, width=14)
    ImageDraw.Draw(scribble).line([(180, 20), (20, 180)], fill=0, width=14)
    scribble.save(tmp_path / "x.png")
    Image.new("L", (200, 200), 255).save(tmp_path / "blank.png")
    assert main(["predict", str(tmp_path / "x.png"), str(tmp_path / "blank.png"), "--model", trained]) == 0
    declined, empty = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert declined["digit"] is None and declined["reason"] == "not a digit"
    assert len(declined["probabilities"]) == 10 and abs(sum(declined["probabilities"]) - 1) < 1e-3
    assert declined["digit_score"] == pytest.approx(0.02, abs=1e-3)
    assert empty == {"path": str(tmp_path / "blank.png"), "digit": None, "probabilities": [0.0] * 10,
                     "reason": "empty"}


def test_predict_names_a_digit_without_a_reason(trained, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DIGITLAB_DETECTOR", "")
    digit = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(digit).line([(100, 20), (100, 180)], fill=0, width=16)
    digit.save(tmp_path / "one.png")
    assert main(["predict", str(tmp_path / "one.png"), "--model", trained]) == 0
    line = json.loads(capsys.readouterr().out)
    assert set(line) == {"path", "digit", "probabilities"} and isinstance(line["digit"], int)


def test_train_continues_from_another_model(npz, models_dir, trained):
    assert main(["train", "--preset", "mlp-128-64", "--epochs", "1", "--from", trained, "--name", "continued",
                 "--data", str(npz)]) == 0
    card = Registry(models_dir).card("continued")
    assert card.settings["start_from"] == trained and card.temperature > 0
    assert card.calibration["temperature"] == pytest.approx(card.temperature, abs=1e-3)


def test_train_from_a_different_network_is_one_sentence(npz, models_dir, trained, capsys):
    assert main(["train", "--preset", "cnn-quick", "--epochs", "1", "--from", trained, "--data", str(npz)]) == 1
    assert "cannot continue from it" in capsys.readouterr().err


def test_predict_calls_grainy_blank_paper_empty_and_reads_faint_pencil(trained, tmp_path, monkeypatch, capsys):
    """A photo of blank grainy paper used to get a digit (its grain passed for ink); a faint pencil line was empty."""
    monkeypatch.setenv("DIGITLAB_DETECTOR", "")
    rng = np.random.default_rng(0)
    blank = np.clip(0.85 + rng.normal(0, 0.07, (200, 200)), 0, 1)
    Image.fromarray((blank * 255).astype(np.uint8)).save(tmp_path / "blank.jpg", quality=70)
    faint = np.clip(0.9 + rng.normal(0, 0.02, (200, 200)), 0, 1)
    faint[30:170, 94:106] -= 0.1  # a 1 in light pencil
    Image.fromarray((faint * 255).astype(np.uint8)).save(tmp_path / "faint.png")
    assert main(["predict", str(tmp_path / "blank.jpg"), str(tmp_path / "faint.png"), "--model", trained]) == 0
    blank_line, faint_line = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert blank_line["digit"] is None and blank_line["reason"] == "empty", blank_line
    assert faint_line["digit"] is not None and "reason" not in faint_line, faint_line


@pytest.mark.parametrize("usps_found", [True, False])
def test_train_detector_says_when_it_trains_without_usps(npz, tmp_path, monkeypatch, capsys, usps_found):
    """USPS's rows train the detector and help choose its threshold; without them it is another detector."""
    import mnist_core.detector as detector
    import mnist_core.usps as usps

    class Trained:
        threshold, card = 0.01, {"trained_on": "2 digits, 2 generated non-digits"}

        def save(self, folder):
            return Path(folder)

    monkeypatch.setattr(detector, "train_detector", lambda *args, **kwargs: Trained())
    monkeypatch.setattr(usps, "find_usps", lambda: tmp_path / "usps.npz" if usps_found else None)
    assert main(["train-detector", "--epochs", "1", "--data", str(npz), "--output", str(tmp_path / "det")]) == 0
    said = capsys.readouterr()
    assert "saved the detector" in said.out
    if usps_found:
        assert "USPS" not in said.err
    else:
        assert "USPS is not available (set USPS_NPZ=/path/to/usps.npz)" in said.err
