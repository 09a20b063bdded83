"""The class's drawings store, on SQLite and PostgreSQL: add, filter, stats, delete, export, import."""

from __future__ import annotations

import io

import numpy as np
import pytest

from mnist_core import drawings
from mnist_core.drawings import DrawingsError, Filter, NewDrawing


def _drawing(label: int, predicted: int | None = None, model: str = "m", key: str | None = None,
             browser: str = "b1", seed: int = 0) -> NewDrawing:
    pixels = np.random.default_rng(seed).random((28, 28)).astype(np.float32)
    probs = None if predicted is None else np.eye(10)[predicted] * 0.9 + 0.01
    return NewDrawing(label=label, pixels=pixels, predicted=predicted, probabilities=probs, model_name=model,
                      model_version="v1", browser=browser, client_key=key)


def test_add_is_idempotent_by_client_key(db_url):
    first = drawings.add(_drawing(3, 5, key="tap-1"), db_url)
    again = drawings.add(_drawing(3, 5, key="tap-1", seed=9), db_url)  # a rerun or a double tap
    assert first == again
    assert drawings.count(url=db_url) == 1
    other = drawings.add(_drawing(3, 5, key="tap-2"), db_url)
    assert other != first and drawings.count(url=db_url) == 2


def test_stored_drawing_reads_back_what_was_saved(db_url):
    item = _drawing(7, 1, key="k")
    drawing_id = drawings.add(item, db_url)
    [stored] = drawings.query(url=db_url)
    assert stored.id == drawing_id and stored.label == 7 and stored.predicted == 1 and stored.wrong
    assert stored.pixels.dtype == np.uint8 and stored.pixels.shape == (28, 28)
    assert np.array_equal(stored.pixels, np.round(item.pixels * 255).astype(np.uint8))
    assert stored.probabilities == pytest.approx(list(item.probabilities), abs=1e-6)
    assert stored.model_name == "m" and stored.model_version == "v1" and stored.browser == "b1"


def test_filters_by_digit_wrong_and_model(db_url):
    drawings.add(_drawing(1, 1, model="a"), db_url)
    drawings.add(_drawing(1, 7, model="a"), db_url)
    drawings.add(_drawing(7, 7, model="b"), db_url)
    drawings.add(_drawing(2, None, model="b"), db_url)  # the model declined ("not a digit"): a miss, so wrong
    assert [d.label for d in drawings.query(Filter(digit=1), url=db_url)] == [1, 1]
    assert [(d.label, d.predicted) for d in drawings.query(Filter(wrong_only=True), url=db_url)] == [(2, None), (1, 7)]
    assert {d.label for d in drawings.query(Filter(model_name="b"), url=db_url)} == {7, 2}
    assert drawings.count(Filter(digit=1, wrong_only=True, model_name="a"), url=db_url) == 1


def test_stats_count_per_digit_wrong_and_model(db_url):
    for label, predicted, model, browser in [(1, 1, "a", "x"), (1, 7, "a", "y"), (7, 7, "b", "x"), (9, 3, "b", "")]:
        drawings.add(_drawing(label, predicted, model=model, browser=browser), db_url)
    stats = drawings.stats(db_url)
    assert stats.total == 4 and stats.per_digit[1] == 2 and stats.per_digit[9] == 1
    assert stats.wrong == 2 and stats.browsers == 2
    assert stats.per_model == {"a": (2, 1), "b": (2, 1)}


def test_one_definition_of_wrong_for_declined_and_imported_drawings(db_url):
    """Declined by a model and labelled with a digit: a miss everywhere. Imported without a model: neither."""
    drawings.add(_drawing(4, 4, model="a"), db_url)
    drawings.add(_drawing(5, None, model="a", seed=1), db_url)  # "not a digit", the pupil says 5
    drawings.import_arrays(np.zeros((1, 28, 28), np.uint8), np.array([6]), db_url)  # no model at all
    by_label = {d.label: d for d in drawings.query(url=db_url)}
    assert not by_label[4].wrong and by_label[4].right and by_label[4].answered
    assert by_label[5].wrong and not by_label[5].right and by_label[5].answered
    assert not by_label[6].wrong and not by_label[6].right and not by_label[6].answered
    assert [d.label for d in drawings.query(Filter(wrong_only=True), url=db_url)] == [5]
    assert drawings.count(Filter(wrong_only=True), url=db_url) == 1
    stats = drawings.stats(db_url)
    assert stats.total == 3 and stats.wrong == 1
    assert stats.per_model == {"a": (2, 1)}  # the imported drawing counts for no model's accuracy


def test_delete_removes_only_the_chosen(db_url):
    ids = [drawings.add(_drawing(d), db_url) for d in range(4)]
    assert drawings.delete([ids[0], ids[2], 999_999], db_url) == 2
    assert sorted(d.id for d in drawings.query(url=db_url)) == [ids[1], ids[3]]
    assert drawings.delete([], db_url) == 0


@pytest.mark.parametrize("label", [-1, 10, 3.5, "seven", None, True])
def test_bad_labels_are_refused_with_a_sentence(sqlite_url, label):
    with pytest.raises(DrawingsError, match="not a digit"):
        drawings.add(NewDrawing(label=label, pixels=np.zeros((28, 28))), sqlite_url)
    assert drawings.count(url=sqlite_url) == 0


def test_bad_pixels_are_refused(sqlite_url):
    with pytest.raises(DrawingsError, match="28x28"):
        drawings.add(NewDrawing(label=1, pixels=np.zeros((10, 10))), sqlite_url)
    with pytest.raises(DrawingsError, match="finite"):
        drawings.add(NewDrawing(label=1, pixels=np.full((28, 28), np.nan)), sqlite_url)


def test_canvas_png_is_size_capped():
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 256, (560, 560, 4), dtype=np.uint8)  # incompressible: worst case
    png = drawings.cap_png(noisy)
    assert png is None or len(png) <= drawings.PNG_MAX_BYTES
    canvas = np.full((280, 280, 4), 255, np.uint8)
    canvas[100:180, 130:150] = (0, 0, 0, 255)
    small = drawings.cap_png(canvas)
    from PIL import Image

    picture = Image.open(io.BytesIO(small))
    assert max(picture.size) <= drawings.PNG_MAX_SIDE and len(small) <= drawings.PNG_MAX_BYTES


@pytest.mark.parametrize("kind", ["npz", "csv"])
def test_export_and_import_round_trip(db_url, tmp_path, kind):
    originals = [_drawing(d % 10, (d + 1) % 10, seed=d) for d in range(12)]
    drawings.add_many(originals, db_url)
    path = tmp_path / f"class.{kind}"
    assert drawings.export(path, url=db_url) == 12
    if kind == "npz":
        with np.load(path) as archive:  # MNIST's layout
            assert archive["x"].dtype == np.uint8 and archive["x"].shape == (12, 28, 28)
            assert archive["y"].tolist() == [d % 10 for d in range(12)]
    x_before, y_before, _ = drawings.arrays(url=db_url)

    other = f"sqlite:///{tmp_path}/other.db"
    assert drawings.import_file(path, other) == (12, 0)
    x_after, y_after, _ = drawings.arrays(url=other)
    assert np.array_equal(x_before, x_after) and np.array_equal(y_before, y_after)
    assert drawings.import_file(path, other) == (0, 12)  # importing the same file again adds nothing
    assert drawings.count(url=other) == 12


def test_import_reads_keras_mnist_layout(sqlite_url, tmp_path):
    from tests.conftest import write_npz

    path = write_npz(tmp_path / "mnist-like.npz")
    added, again = drawings.import_file(path, sqlite_url)
    assert added + again == 70 and drawings.count(url=sqlite_url) == added  # random pixels: a repeat is unlikely


@pytest.mark.parametrize("content, message", [
    (b"not a zip", "not a readable npz"),
    (None, "neither x and y"),
])
def test_bad_npz_is_refused_and_changes_nothing(sqlite_url, tmp_path, content, message):
    path = tmp_path / "bad.npz"
    if content is None:
        np.savez(path, a=np.zeros(3))
    else:
        path.write_bytes(content)
    with pytest.raises(DrawingsError, match=message):
        drawings.import_file(path, sqlite_url)
    assert drawings.count(url=sqlite_url) == 0


def test_bad_rows_in_an_import_change_nothing(sqlite_url, tmp_path):
    path = tmp_path / "labels.npz"
    np.savez(path, x=np.zeros((3, 28, 28), np.uint8), y=np.array([1, 2, 12]))
    with pytest.raises(DrawingsError, match="digit from 0 to 9"):
        drawings.import_file(path, sqlite_url)
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("label,foo\n1,2\n")
    with pytest.raises(DrawingsError, match="pixel0"):
        drawings.import_file(csv_path, sqlite_url)
    with pytest.raises(DrawingsError, match=".npz or .csv"):
        drawings.import_file(tmp_path / "x.txt", sqlite_url, data=b"")
    assert drawings.count(url=sqlite_url) == 0
