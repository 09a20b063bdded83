"""Two `streamlit run` servers sharing the models folder, the database and the queue (Redis).

That is how a school grows past one machine: several replicas behind a load
balancer, one training worker. Here both replicas run on this machine on two
ports; the queue is Debian's redis-server on a free loopback port (skipped
without it, a failure under CI=true), the database one SQLite file.

* A run started on server A is watched and stopped on server B, in Chromium.
* Two Starts at the same moment on A and B give exactly one run: two Train-page
  sessions (Streamlit's websocket protocol, so both clicks really leave at
  once) press Start together; one trains, the other is told who trains what.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from devtools import appserver, classroom, harness
from devtools.streamlit_client import ProtocolError
from mnist_core.database import session_scope
from mnist_core.runs import RunStore
from mnist_core.tables import Run
from tests.runtools import RedisServer, wait_until

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, shipped_dir, mnist_file):
    base = tmp_path_factory.mktemp("replicas")
    with RedisServer(base / "redis") as redis:
        shared = {"DIGITLAB_DB": f"sqlite:///{base / 'class.db'}", "DIGITLAB_QUEUE": redis.url}
        servers = [appserver.AppServer(base / "models", shipped_dir=shipped_dir, mnist=mnist_file,
                                     log_path=base / f"server-{name}.log", extra_env=shared) for name in "ab"]
        try:
            for server in servers:
                server.start()
            for server in servers:
                server.wait_healthy(timeout=90)
            yield servers
        finally:
            for server in servers:
                server.stop()


@pytest.fixture
def store(replicas):
    store = RunStore(replicas[0].db_url)
    yield store
    for state in store.active():  # a failed test must not leave the run training
        store.request_stop(state.run_id)
    wait_until(lambda: not store.active(), 120, "the run to stop")


def save_failure_page(page, stem: str, server) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
    except Exception:  # the page may be gone; the log still helps
        pass
    (ARTIFACTS / f"{stem}-server.log").write_text(server.log_tail(20000))


def run_count(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Run))


def test_run_started_on_one_server_is_watched_and_stopped_on_the_other(replicas, browser, store):
    server_a, server_b = replicas
    page_a, page_b = harness.new_page(browser), harness.new_page(browser)
    try:
        harness.open_app_page(page_a, server_a.url, "/train")
        page_a.get_by_role("button", name="Start training").click()  # cnn-quick on 60,000 images: minutes
        page_a.get_by_text("You are training").first.wait_for(timeout=60_000)

        harness.open_app_page(page_b, server_b.url, "/train")
        page_b.get_by_text(" is training").first.wait_for(timeout=30_000)
        assert not page_b.get_by_text("You are training").count(), "B is another person"
        assert not page_b.get_by_role("button", name="Start training").count(), "no Start while the slot is taken"
        page_b.get_by_text("· batch").first.wait_for(timeout=120_000)  # live progress from the worker
        assert not harness.page_problems(page_b)

        page_b.get_by_role("button", name="Stop training").click()
        page_b.get_by_role("button", name="Start training").wait_for(timeout=120_000)
        state = store.latest()
        assert state.status == "stopped" and run_count(server_a.db_url) == 1, state
        outcome = page_a.locator('[data-testid="stAlertContainer"]').filter(has_text=state.message)
        outcome.first.wait_for(timeout=30_000)  # A learns how its run ended from the database
        assert not harness.page_problems(page_a) and not harness.page_problems(page_b)
    except BaseException:
        save_failure_page(page_a, "replicas-a", server_a)
        save_failure_page(page_b, "replicas-b", server_b)
        raise
    finally:
        page_a.context.close()
        page_b.context.close()


def test_two_starts_at_the_same_moment_on_two_servers_give_one_run(replicas, store):
    server_a, server_b = replicas
    before = run_count(server_a.db_url)
    trainers = [classroom.Trainer(s.port, epochs=20, images=None, log=lambda *_: None) for s in replicas]

    async def press_together() -> list:
        await asyncio.gather(*(t.open() for t in trainers))
        try:
            return await asyncio.gather(*(t.start() for t in trainers), return_exceptions=True)
        finally:
            await asyncio.gather(*(t.close() for t in trainers))

    with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright's sync API may hold this thread's loop
        outcomes = pool.submit(asyncio.run, press_together()).result()
    started = [o for o in outcomes if o is None]
    refused = [o for o in outcomes if isinstance(o, ProtocolError)]
    assert len(started) == 1 and len(refused) == 1, outcomes
    assert run_count(server_a.db_url) == before + 1
    (active,) = store.active()
    assert "A training run is already going" in str(refused[0]) and active.owner in str(refused[0])
