"""The disk cache of arrays every training process makes: read back by the next process, never wrong, never an error."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_core import diskcache
from mnist_core.diskcache import cached_arrays


class Maker:
    """Counts how often the arrays were really made."""

    def __init__(self, value: int = 7) -> None:
        self.calls, self.value = 0, value

    def __call__(self):
        self.calls += 1
        return np.full((3, 28, 28), self.value, np.uint8), np.arange(3, dtype=np.uint8)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_next_process_reads_what_the_first_made(folder):
    make = Maker()
    images, labels = cached_arrays("set", "key", make)
    again_images, again_labels = cached_arrays("set", "key", make)  # no memory between calls: as a new process
    assert make.calls == 1 and len(list(folder.glob("set-*.npz"))) == 1
    assert np.array_equal(images, again_images) and np.array_equal(labels, again_labels)
    for array in (images, labels, again_images, again_labels):
        assert not array.flags.writeable


def test_another_key_or_another_version_of_the_code_is_made_again(folder, monkeypatch):
    make = Maker()
    cached_arrays("set", "key", make)
    cached_arrays("set", "other key", make)
    assert make.calls == 2
    monkeypatch.setattr(diskcache, "code_version", lambda: "the generator changed")
    assert cached_arrays("set", "key", Maker(9))[0][0, 0, 0] == 9


def test_a_damaged_file_is_made_again_and_replaced(folder):
    cached_arrays("set", "key", Maker())
    (stored,) = folder.glob("set-*.npz")
    stored.write_bytes(stored.read_bytes()[:100])
    make = Maker()
    assert cached_arrays("set", "key", make)[0][0, 0, 0] == 7 and make.calls == 1
    assert cached_arrays("set", "key", make)[0].shape == (3, 28, 28) and make.calls == 1


def test_no_cache_when_the_setting_is_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_CACHE", "")
    make = Maker()
    cached_arrays("set", "key", make)
    cached_arrays("set", "key", make)
    assert make.calls == 2 and not any(tmp_path.iterdir())


def test_a_cache_folder_that_cannot_be_made_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("DIGITLAB_CACHE", str(blocked / "cache"))
    images, _ = cached_arrays("set", "key", Maker())
    assert images.shape == (3, 28, 28) and not images.flags.writeable


def test_the_default_folder_is_beside_the_models(monkeypatch, tmp_path):
    monkeypatch.delenv("DIGITLAB_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert diskcache.cache_folder() == tmp_path / ".digitlab" / "cache"
