"""Train page, Search mode: the form, and a tiny search through the worker with its trials table."""

from mnist_core.jobs import TrainingJob
from mnist_core.tuning import default_knobs
from tests.app.apptools import open_page, page_text
from tests.app.test_train import fresh_models, runs_env  # noqa: F401 (fixtures)

RUN_TIMEOUT = 300


def test_search_mode_shows_the_knobs_and_start_and_train_once_comes_back(app_env):
    at = open_page("train")
    assert at.radio(key="train_mode").value == "train" and at.button(key="start_training")
    at.radio(key="train_mode").set_value("search").run()
    assert not at.exception
    assert at.selectbox(key="search_preset").value == "mlp-128-64"
    knobs = at.multiselect(key="search_mlp-128-64_knobs")
    assert knobs.value == list(default_knobs("mlp-128-64"))
    assert "optimizer" in knobs.options or any("optimizer" in o for o in knobs.options)
    assert not at.button(key="start_search").disabled
    assert any(m.label == "Estimated time" for m in at.metric)
    assert not [b for b in at.button if b.key == "start_training"]

    knobs.set_value([]).run()  # nothing to search: said, and no Start
    assert any("at least one knob" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "start_search"]
    at.radio(key="train_mode").set_value("train").run()
    assert not at.exception and at.button(key="start_training")


def test_a_tiny_search_runs_and_shows_its_trials(fresh_models):
    at = open_page("train")
    at.radio(key="train_mode").set_value("search").run()
    at.selectbox(key="search_preset").set_value("logistic").run()
    at.multiselect(key="search_logistic_knobs").set_value(["learning_rate"])
    at.slider(key="search_epochs").set_value(1)
    at.slider(key="search_trials").set_value(2)
    at.text_input(key="search_name").set_value("class search").run()
    assert not at.exception and not at.error
    at.button(key="start_search").click().run()
    assert not at.exception and not at.error
    job = TrainingJob()
    assert job.state.kind == "tune"
    state = job.wait(RUN_TIMEOUT)
    assert state.status == "done", state.message
    at.run()
    assert not at.exception
    assert (fresh_models / "class search" / "card.json").is_file()
    assert "Trials finished: 2" in page_text(at)
    table = at.dataframe[0].value
    assert list(table["trial"]) == [1, 2] and "learning_rate" in table.columns
    assert at.radio(key="train_mode").value == "search", "the page comes back in Search mode"


def test_a_running_search_shows_finished_trials_live_and_stop_keeps_the_best(fresh_models, mnist):
    from mnist_core.presets import get_preset
    from mnist_core.tuning import SearchRange
    from tests.runtools import wait_until

    job = TrainingJob()
    settings = get_preset("logistic").defaults.with_changes(epochs=3)
    options = {"trials": 20, "algorithm": "random", "data": str(mnist.source),
               "knobs": {"learning_rate": SearchRange("learning_rate", 1e-3, 3e-3, log=True).to_dict()}}
    job.start_run("tune", owner="Teacher", preset="logistic", name="live search", settings=settings.to_dict(),
                  epochs=3, options=options)
    try:
        wait_until(lambda: len(job.state.history.get("trials", [])) >= 1, RUN_TIMEOUT, "the first trial")
        at = open_page("train")
        assert not at.exception
        text = page_text(at)
        assert "Teacher is searching settings for" in text and "Trials finished:" in text
        assert at.get("plotly_chart"), "the knob against accuracy chart"
        at.button(key="stop_training").click().run()
        assert not at.exception
    finally:
        job.stop()
    state = job.wait(RUN_TIMEOUT)
    assert state.status == "stopped" and state.card is not None, state.message
    assert "best: trial" in state.message and (fresh_models / "live search" / "card.json").is_file()
