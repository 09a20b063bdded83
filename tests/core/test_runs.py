"""The run store: atomic starts in N slots, the stop flag, heartbeats, lost runs."""

from __future__ import annotations

import threading
import time

import pytest

from mnist_core.errors import ModelError, TrainingBusyError
from mnist_core.runs import RunStore, pid_alive, this_host


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path}/runs.db"


def create(store: RunStore, name: str = "net", owner: str = "Ms Smith"):
    return store.create("train", owner, "cnn-quick", name, {"epochs": 4}, {"keep_partial": True}, 4)


def dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not pid_alive(proc.pid)
    return proc.pid


def test_starts_at_the_same_moment_give_one_run_per_slot(url):
    for slots in (1, 2):
        stores = [RunStore(url, slots=slots) for _ in range(8)]
        barrier = threading.Barrier(len(stores))
        outcomes: list[object] = [None] * len(stores)

        def start(i: int) -> None:
            barrier.wait()
            try:
                outcomes[i] = create(stores[i], name=f"net {slots} {i}", owner=f"pupil {i}")[0]
            except TrainingBusyError as exc:
                outcomes[i] = exc

        threads = [threading.Thread(target=start, args=(i,)) for i in range(len(stores))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        started = [o for o in outcomes if not isinstance(o, Exception)]
        refused = [o for o in outcomes if isinstance(o, TrainingBusyError)]
        assert len(started) == slots and len(refused) == len(stores) - slots, outcomes
        winner = started[0]
        assert winner.owner in str(refused[0]) and "Quick CNN" in str(refused[0])
        assert sorted(s.run_id for s in RunStore(url, slots=slots).active()) == sorted(s.run_id for s in started)
        for state in started:
            RunStore(url).request_stop(state.run_id)  # queued: stopped at once, slot free again


def test_busy_message_names_who_trains_what_and_how_far(url):
    store = RunStore(url)
    state, key = create(store)
    store.claim(state.run_id, key, "elsewhere:1")
    store.report(state.run_id, {"epochs": 4, "epoch": 2, "step": 50, "steps": 100})
    with pytest.raises(TrainingBusyError) as info:
        create(store, name="second", owner="Tom")
    message = str(info.value)
    assert "Ms Smith is training Quick CNN" in message and "epoch 2 of 4" in message and "38%" in message


def test_a_name_being_trained_cannot_be_started_twice(url):
    store = RunStore(url, slots=2)
    create(store, name="same")
    with pytest.raises(ModelError, match="being trained"):
        create(store, name="same", owner="Tom")


def test_stop_flag_reaches_the_worker_and_a_queued_run_stops_at_once(url):
    store = RunStore(url)
    queued, _ = create(store)
    assert store.request_stop(queued.run_id)
    state = store.get(queued.run_id)
    assert state.status == "stopped" and "nothing was saved" in state.message and not store.active()

    running, key = create(store, name="second")
    assert store.claim(running.run_id, key, "elsewhere:1") is not None
    assert store.report(running.run_id) == ("running", False)
    assert store.request_stop(running.run_id)
    assert store.get(running.run_id).status == "stopping"
    assert store.report(running.run_id) == ("stopping", True)
    assert store.request_stop(running.run_id) is False  # already stopping
    assert store.finish(running.run_id, "stopped", "Stopped; nothing was saved.")
    assert not store.active()


def test_claim_needs_the_right_key_and_a_queued_run(url):
    store = RunStore(url)
    state, key = create(store)
    assert store.claim(state.run_id, "wrong key", "w:1") is None
    order = store.claim(state.run_id, key, "w:1")
    assert order.preset == "cnn-quick" and order.options == {"keep_partial": True}
    assert store.claim(state.run_id, key, "w:2") is None  # a second worker does not run it again


def test_silent_worker_is_declared_lost_by_whoever_looks(url):
    store = RunStore(url, timeout=0.5)
    state, key = create(store)
    store.claim(state.run_id, key, "another-machine:1")
    store.report(state.run_id, {"epoch": 1, "step": 3, "steps": 10})
    assert RunStore(url, timeout=0.5).active()[0].status == "running"
    time.sleep(0.8)
    assert RunStore(url, timeout=0.5).active() == []  # a page on another replica looked
    lost = store.get(state.run_id)
    assert lost.status == "failed" and "stopped answering" in lost.message and lost.finished
    assert store.report(state.run_id) == ("failed", False)  # the worker learns it lost the run
    assert not store.finish(state.run_id, "done", "Saved")  # and cannot record an outcome any more
    create(store, name="next")  # the slot is free


def test_run_of_a_dead_worker_on_this_machine_fails_at_once(url):
    store = RunStore(url)
    state, key = create(store)
    store.claim(state.run_id, key, f"{this_host()}:{dead_pid()}")
    assert store.active() == []
    assert "killed" in store.get(state.run_id).message


def test_restarted_worker_marks_its_predecessors_runs_failed(url):
    store = RunStore(url, timeout=3600)
    state, key = create(store)
    store.claim(state.run_id, key, f"{this_host()}:{dead_pid()}")
    assert store.fail_orphans() == 1
    assert store.get(state.run_id).status == "failed"


def test_queued_run_nobody_takes_fails_with_a_hint(url):
    store = RunStore(url, queue_wait=0.3)
    state, _ = create(store)
    time.sleep(0.5)
    assert store.active() == []
    assert "python -m mnist_core worker" in store.get(state.run_id).message


def test_latest_per_owner_and_overall(url):
    store = RunStore(url, slots=2)
    mine, _ = create(store, name="a", owner="me")
    theirs, _ = create(store, name="b", owner="you")
    assert store.latest("me").run_id == mine.run_id
    assert store.latest().run_id == theirs.run_id
    assert store.latest("nobody") is None


def test_bad_slot_setting_is_one_sentence(monkeypatch):
    from mnist_core.errors import DigitLabError

    monkeypatch.setenv("DIGITLAB_WORKERS", "many")
    with pytest.raises(DigitLabError, match="DIGITLAB_WORKERS must be a positive number"):
        RunStore("sqlite://")


def test_transfer_owner_moves_only_that_owners_runs(url):
    store = RunStore(url, slots=2)
    create(store, "a", owner="Visitor 111111")
    create(store, "b", owner="Visitor 222222")
    assert store.transfer_owner("Visitor 111111", "Visitor 333333") == 1
    assert store.latest("Visitor 333333").name == "a" and store.latest("Visitor 111111") is None
    assert store.latest("Visitor 222222").name == "b"
    assert store.transfer_owner("", "Visitor 333333") == 0 and store.transfer_owner("x", "x") == 0
