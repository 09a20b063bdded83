import json
import os
import re

import numpy as np
import pytest

from mnist_core import registry as reg
from mnist_core.errors import ModelError
from mnist_core.presets import build_model
from mnist_core.registry import ModelCard, Registry, check_name, now_iso


def make_card(name="m", accuracy=0.9):
    return ModelCard(name=name, preset="mlp-128-64", settings={"epochs": 1}, history={"loss": [1.0, 0.5]},
                     metrics={"test_accuracy": accuracy}, dataset="abc", created=now_iso(), train_seconds=1.0,
                     epochs_done=2)


def entries(registry) -> list[str]:
    """What is in the registry folder, apart from the lock file that makes saves exclusive."""
    return sorted(p.name for p in registry.root.iterdir() if p.name != reg.LOCK_FILE)


@pytest.fixture
def registry(tmp_path):
    return Registry(tmp_path / "models", shipped=tmp_path / "shipped")


@pytest.fixture(scope="module")
def model():
    return build_model("mlp-128-64")


def test_save_list_load_round_trip(registry, model):
    path = registry.save("first", model, make_card(), {"test_probabilities": np.zeros((3, 10), np.float16)})
    assert sorted(p.name for p in path.iterdir()) == ["card.json", "evaluation.npz", "model.keras"]
    cards = registry.list()
    assert [c.name for c in cards] == ["first"] and cards[0].parameters == model.count_params()
    loaded = registry.load("first")
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-6)
    assert registry.arrays("first")["test_probabilities"].shape == (3, 10)


def test_saved_model_has_no_optimizer_state(registry, tiny_data):
    from mnist_core.training import train
    from mnist_core.presets import get_preset

    result = train("mlp-128-64", get_preset("mlp-128-64").defaults.with_changes(epochs=1), tiny_data)
    bare = registry.save("bare", build_model("mlp-128-64"), make_card()) / "model.keras"
    trained = registry.save("trained", result.model, make_card()) / "model.keras"
    assert trained.stat().st_size < bare.stat().st_size * 1.2


@pytest.mark.parametrize("name", ["../evil", "a/b", "..", ".hidden", "", " ", "x" * 65, "na\x00me", "C:\\x", "~root"])
def test_path_tricks_and_odd_names_are_refused(registry, model, name):
    with pytest.raises(ModelError, match="not a valid model name"):
        registry.save(name, model, make_card())
    assert not (registry.root.parent / "evil").exists()


def test_names_are_trimmed_and_allow_spaces():
    assert check_name("  my model 2.0_final-b ") == "my model 2.0_final-b"


def test_existing_name_is_not_overwritten_by_accident(registry, model):
    registry.save("m", model, make_card(accuracy=0.1))
    with pytest.raises(ModelError, match="already exists"):
        registry.save("m", model, make_card(accuracy=0.2))
    registry.save("m", model, make_card(accuracy=0.3), overwrite=True)
    assert registry.card("m").test_accuracy == 0.3
    assert entries(registry) == ["m"]


def test_crash_while_saving_leaves_nothing_behind(registry, model, monkeypatch):
    registry.save("kept", model, make_card(accuracy=0.5))

    def explode(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(reg.np, "savez_compressed", explode)
    with pytest.raises(OSError):
        registry.save("half", model, make_card(), {"a": np.zeros(2)})
    with pytest.raises(OSError):
        registry.save("kept", model, make_card(accuracy=0.9), {"a": np.zeros(2)}, overwrite=True)
    assert entries(registry) == ["kept"]
    assert registry.card("kept").test_accuracy == 0.5


def test_leftover_temp_folder_from_a_killed_process_is_invisible_and_cleaned(registry, model):
    registry.save("ok", model, make_card())
    stale = registry.root / ".tmp-deadbeef"
    stale.mkdir()
    (stale / "model.keras").write_bytes(b"half")
    assert registry.names() == ["ok"]
    os.utime(stale, (0, 0))
    assert registry.clean_stale() == 1 and not stale.exists()


def test_corrupt_card_is_reported_and_skipped(registry, model):
    registry.save("good", model, make_card())
    registry.save("bad", model, make_card())
    (registry.root / "bad" / "card.json").write_text("{not json")
    cards, problems = registry.scan()
    assert [c.name for c in cards] == ["good"]
    assert len(problems) == 1 and "corrupt" in problems[0].reason


def test_foreign_folder_is_reported(registry, model):
    registry.save("good", model, make_card())
    (registry.root / "holiday photos").mkdir()
    (registry.root / "other").mkdir()
    (registry.root / "other" / "card.json").write_text(json.dumps({"hello": 1}))
    (registry.root / "other" / "model.keras").write_bytes(b"x")
    cards, problems = registry.scan()
    assert [c.name for c in cards] == ["good"] and len(problems) == 2


def test_corrupt_model_file_fails_with_a_clear_error(registry, model):
    registry.save("broken", model, make_card())
    (registry.root / "broken" / "model.keras").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ModelError, match="cannot be used: its model file is truncated"):
        registry.load("broken")


def test_rename_and_delete(registry, model):
    registry.save("old", model, make_card())
    registry.save("other", model, make_card())
    with pytest.raises(ModelError, match="already exists"):
        registry.rename("old", "other")
    with pytest.raises(ModelError, match="valid"):
        registry.rename("old", "../x")
    registry.rename("old", "new name")
    assert sorted(registry.names()) == ["new name", "other"]
    assert registry.card("new name").name == "new name"
    registry.delete("new name")
    assert registry.names() == ["other"]
    with pytest.raises(ModelError, match="no model called"):
        registry.load("new name")


def test_shipped_models_are_listed_first_and_read_only(tmp_path, model):
    shipped = Registry(tmp_path / "shipped", shipped=None)
    shipped.save("digitlab-default", model, make_card(accuracy=0.99))
    registry = Registry(tmp_path / "user", shipped=tmp_path / "shipped")
    registry.save("mine", model, make_card())
    cards = registry.list()
    assert [c.name for c in cards] == ["digitlab-default", "mine"] and cards[0].shipped
    for action in (lambda: registry.delete("digitlab-default"),
                   lambda: registry.rename("digitlab-default", "x"),
                   lambda: registry.save("digitlab-default", model, make_card())):
        with pytest.raises(ModelError):
            action()
    assert registry.load("digitlab-default") is not None


def test_missing_arrays_give_an_empty_dict(registry, model):
    registry.save("plain", model, make_card())
    assert registry.arrays("plain") == {}


# ---- cards are checked field by field; model files are checked when listed ----------------------
BAD_FIELDS = [
    ("metrics", {"test_accuracy": "ninety"}, "metrics.test_accuracy"),
    ("metrics", {"test_accuracy": 1.5}, "metrics.test_accuracy"),
    ("metrics", {"test_accuracy": float("nan")}, "metrics.test_accuracy"),
    ("metrics", {"test_loss": -1}, "metrics.test_loss"),
    ("metrics", {"confusion": [[1, 2], [3, 4]]}, "metrics.confusion"),
    ("metrics", {"report": {"0": {"precision": "high"}}}, "metrics.report.0.precision"),
    ("metrics", "excellent", "metrics"),
    ("history", {"loss": ["low", "lower"]}, "history.loss"),
    ("history", {"loss": 0.5}, "history.loss"),
    ("history", [1, 2], "history"),
    ("name", 42, "name"),
    ("preset", None, "preset"),
    ("settings", ["epochs"], "settings"),
    ("created", "yesterday", "created"),
    ("train_seconds", "long", "train_seconds"),
    ("train_seconds", -5, "train_seconds"),
    ("epochs_done", "3", "epochs_done"),
    ("epochs_done", True, "epochs_done"),
    ("parameters", 1.5, "parameters"),
    ("stopped_early", "no", "stopped_early"),
]


def rewrite_card(folder, **changes):
    data = json.loads((folder / "card.json").read_text())
    data.update(changes)
    (folder / "card.json").write_text(json.dumps(data))


@pytest.mark.parametrize("field, value, named", BAD_FIELDS)
def test_a_card_with_a_bad_field_is_a_problem_not_a_crash(registry, model, field, value, named):
    registry.save("good", model, make_card())
    registry.save("bad", model, make_card())
    rewrite_card(registry.root / "bad", **{field: value})
    cards, problems = registry.scan()
    assert [c.name for c in cards] == ["good"]
    assert len(problems) == 1 and problems[0].folder.endswith("bad") and named in problems[0].reason
    with pytest.raises(ModelError):
        registry.card("bad")


def test_a_card_missing_a_field_is_a_problem(registry, model):
    registry.save("bad", model, make_card())
    data = json.loads((registry.root / "bad" / "card.json").read_text())
    del data["created"]
    (registry.root / "bad" / "card.json").write_text(json.dumps(data))
    cards, problems = registry.scan()
    assert cards == [] and "created" in problems[0].reason


def test_sound_cards_with_nan_history_and_no_metrics_are_kept(registry, model):
    """A diverged run records NaN losses honestly; an unscored model has no metrics: both are fine."""
    registry.save("diverged", model, make_card())
    rewrite_card(registry.root / "diverged", history={"loss": [1.0, float("nan")]}, metrics={})
    cards, problems = registry.scan()
    assert [c.name for c in cards] == ["diverged"] and problems == []
    assert cards[0].test_accuracy is None


def damage(path, how):
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        path.write_bytes(b"garbage, not a keras file")
    else:  # a flipped byte in the middle of the weights: the zip still opens, a checksum does not match
        middle = bytearray(data)
        middle[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(middle))


@pytest.mark.parametrize("how, reason", [("truncated", "truncated"), ("garbage", "truncated"),
                                         ("flipped", "damaged|truncated")])
def test_a_damaged_model_file_is_listed_as_broken(registry, model, how, reason):
    registry.save("good", model, make_card())
    registry.save("broken", model, make_card())
    damage(registry.root / "broken" / "model.keras", how)
    cards, problems = registry.scan()
    assert [c.name for c in cards] == ["good"]
    assert len(problems) == 1 and re.search(reason, problems[0].reason), problems


def test_a_model_that_safe_mode_refuses_is_listed_as_broken(registry, model):
    import keras

    risky = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(10)])
    registry.save("good", model, make_card())
    registry.save("risky", model, make_card())
    risky.save(registry.root / "risky" / "model.keras")
    with pytest.raises(ModelError, match="could not be loaded"):
        reg.load_model_file(registry.root / "risky" / "model.keras")  # what safe mode says
    cards, problems = registry.scan()
    assert [c.name for c in cards] == ["good"]
    assert "safe loading refuses" in problems[0].reason


def test_a_model_that_fails_to_load_is_remembered_as_broken(registry, model, tmp_path):
    """A file that passes the cheap check (a sound zip) but does not load is listed as broken afterwards."""
    import zipfile

    registry.save("odd", model, make_card())
    path = registry.root / "odd" / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps({"class_name": "NoSuchLayer", "config": {}}))
        archive.writestr("metadata.json", "{}")
        archive.writestr("model.weights.h5", b"")
    assert registry.names() == ["odd"]  # the cheap check cannot tell
    with pytest.raises(ModelError, match="could not be loaded"):
        registry.load("odd")
    cards, problems = Registry(registry.root, shipped=None).scan()  # any process, any registry object
    assert cards == [] and "failed to load" in problems[0].reason
    registry.save("odd", model, make_card(), overwrite=True)  # replacing the model clears the record
    assert registry.names() == ["odd"]


def test_cards_written_before_extra_and_top_errors_were_dropped_still_load(registry, model, tiny_data):
    """Older versions wrote settings.extra and metrics.top_errors into every card; nothing reads them now."""
    from mnist_core.evaluation import Evaluation, evaluate
    from mnist_core.predictor import Predictor
    from mnist_core.settings import TrainSettings

    evaluation, _ = evaluate(Predictor(model), tiny_data)
    assert "top_errors" not in evaluation.to_dict() and "extra" not in TrainSettings().to_dict()
    registry.save("old", model, make_card("old"))
    metrics = {**evaluation.to_dict(), "top_errors": [{"index": 3, "label": 5, "predicted": 3, "confidence": 0.9}]}
    rewrite_card(registry.root / "old", settings={**TrainSettings().to_dict(), "extra": {}}, metrics=metrics)
    cards, problems = registry.scan()
    assert [c.name for c in cards] == ["old"] and problems == []
    assert Evaluation.from_dict(cards[0].metrics) == evaluation
    assert TrainSettings.from_dict(cards[0].settings) == TrainSettings()


def test_the_listing_version_changes_with_everything_a_scan_reads(registry, model):
    """Pages cache the scan on ``listing_version``: every change a scan would see must change it."""
    seen = [registry.listing_version()]

    def changed() -> bool:
        now = registry.listing_version()
        fresh = now not in seen
        seen.append(now)
        return fresh

    assert registry.listing_version() == seen[0]  # nothing changed, nothing to read again
    registry.save("first", model, make_card("first"))
    assert changed()
    registry.save("second", model, make_card("second"))
    assert changed()
    registry.rename("second", "third")
    assert changed()
    card = registry.folder("first") / reg.CARD_FILE
    card.write_text(card.read_text().replace('"epochs_done": 2', '"epochs_done": 3'))  # edited in place
    assert changed()
    with open(registry.folder("first") / reg.MODEL_FILE, "r+b") as handle:  # damaged in place, same size
        handle.seek(10)
        handle.write(b"\0\0\0\0")
    os.utime(registry.folder("first") / reg.MODEL_FILE, ns=(1, 1))
    assert changed()
    reg._record_load_failure(registry.folder("third"), RuntimeError("no"))
    assert changed()
    registry.delete("third")
    assert changed()


def test_a_folder_that_cannot_hold_models_is_one_sentence_before_and_at_save(tmp_path, model):
    """`--output` under a plain file: refused before any slow work, and `save` itself says so too."""
    plain = tmp_path / "notes.txt"
    plain.write_text("not a folder")
    registry = Registry(plain / "models", shipped=None)
    with pytest.raises(ModelError, match="Cannot save models in .*notes.txt is not a writable folder"):
        registry.check_writable()
    with pytest.raises(ModelError, match="Cannot save models in"):
        registry.save("first", model, make_card())
    assert plain.read_text() == "not a folder"
    Registry(tmp_path / "new" / "models", shipped=None).check_writable()  # a folder still to be made is fine
    assert not (tmp_path / "new").exists()  # and checking it makes nothing
