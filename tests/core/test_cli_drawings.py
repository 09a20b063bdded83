"""``python -m mnist_core drawings ...``: the same store as the app, through DIGITLAB_DB."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mnist_core import drawings
from mnist_core.cli import main
from mnist_core.preprocessing import open_image, preprocess


@pytest.fixture
def images(tmp_path, tiny_data):
    paths = []
    for i in range(3):
        path = tmp_path / f"digit{i}.png"
        Image.fromarray(255 - tiny_data.x_test[i]).resize((200, 200)).save(path)
        paths.append(str(path))
    return paths


def test_add_uses_the_draw_pages_preprocessing_and_is_idempotent(sqlite_url, images, capsys):
    assert main(["drawings", "add", "--digit", "4", *images]) == 0
    assert "added 3 drawings of 4" in capsys.readouterr().out
    stored = sorted(drawings.query(url=sqlite_url, with_png=True), key=lambda d: d.id)
    expected = preprocess(open_image(open(images[0], "rb").read())).centred
    assert np.array_equal(stored[0].pixels, drawings.to_uint8(expected))
    assert all(d.label == 4 and d.source == "cli" and d.image_png for d in stored)
    assert main(["drawings", "add", "--digit", "4", images[0]]) == 0
    assert "already stored" in capsys.readouterr().out and drawings.count(url=sqlite_url) == 3


def test_add_reports_each_bad_file_and_keeps_the_good(sqlite_url, images, tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    blank = tmp_path / "blank.png"
    Image.new("L", (100, 100), 255).save(blank)
    assert main(["drawings", "add", "--digit", "1", str(bad), images[0], str(blank)]) == 1
    err = capsys.readouterr().err
    assert "bad.png: The file is not an image" in err and "blank.png: no digit found" in err
    assert "Traceback" not in err and drawings.count(url=sqlite_url) == 1


def test_list_stats_export_import_delete(sqlite_url, images, tmp_path, capsys):
    main(["drawings", "add", "--digit", "2", *images[:2]])
    main(["drawings", "add", "--digit", "5", images[2]])
    capsys.readouterr()
    assert main(["drawings", "list", "--digit", "2"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 3 and all(" 2 " in line for line in listing[1:])
    assert main(["drawings", "stats"]) == 0
    assert "3 drawings" in capsys.readouterr().out
    out = tmp_path / "class.npz"
    assert main(["drawings", "export", "--out", str(out)]) == 0
    csv = tmp_path / "class.data"
    assert main(["drawings", "export", "--out", str(csv), "--format", "csv"]) == 0
    assert csv.read_text().startswith("id,label,")
    ids = [d.id for d in drawings.query(url=sqlite_url)]
    assert main(["drawings", "delete", *map(str, ids)]) == 0
    assert drawings.count(url=sqlite_url) == 0
    assert main(["drawings", "import", str(out)]) == 0
    assert drawings.count(url=sqlite_url) == 3
    assert main(["drawings", "delete", "424242"]) == 1
    assert "not there" in capsys.readouterr().out


def test_errors_are_one_sentence(sqlite_url, tmp_path, capsys):
    assert main(["drawings", "export", "--out", str(tmp_path / "x.txt")]) == 1
    assert main(["drawings", "import", str(tmp_path / "missing.npz")]) == 1
    assert main(["drawings", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "stats"]) == 1
    err = capsys.readouterr().err
    assert "use a name ending in .npz or .csv" in err and "missing.npz" in err
    assert "database could not be used" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exit_info:
        main(["drawings", "add", "--digit", "12", "x.png"])
    assert exit_info.value.code == 2


def test_list_and_stats_count_a_declined_drawing_as_a_miss(sqlite_url, capsys):
    """The CLI shares the store's one definition of "wrong": declined is a miss, no model is neither."""
    pixels = np.zeros((28, 28), np.uint8)
    drawings.add(drawings.NewDrawing(label=3, pixels=pixels, predicted=None, model_name="m", client_key="a"))
    drawings.add(drawings.NewDrawing(label=4, pixels=pixels + 1, predicted=4, model_name="m", client_key="b"))
    drawings.import_arrays(pixels[None] + 2, np.array([6]))
    assert main(["drawings", "list", "--wrong"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert len(rows) == 1 and "not a digit" in rows[0] and " 3 " in rows[0]
    assert main(["drawings", "stats"]) == 0
    out = capsys.readouterr().out
    assert "got 1 wrong of 2 it answered" in out and "1/2 right" in out
