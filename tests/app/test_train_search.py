"""Train page, Search mode: the form, and a tiny search through the worker with its trials table."""

import re

from mnist_core.jobs import TrainingJob
from mnist_core.registry import Registry
from mnist_core.tuning import default_knobs
from tests.app.apptools import open_page, page_text
from tests.app.test_train import fresh_models, queued_run, runs_env  # noqa: F401 (fixtures)

RUN_TIMEOUT = 300


def errors(at) -> list[str]:
    return [e.value.replace("\\", "") for e in at.error]  # without markdown escapes


def test_search_mode_shows_the_knobs_and_start_and_train_once_comes_back(app_env):
    at = open_page("train")
    assert at.radio(key="train_mode").value == "train" and at.button(key="start_training")
    at.radio(key="train_mode").set_value("search").run()
    assert not at.exception
    assert at.selectbox(key="search_preset").value == "mlp-128-64"
    knobs = at.multiselect(key="search_mlp-128-64_knobs")
    assert knobs.value == list(default_knobs("mlp-128-64"))
    assert "Optimizer" in knobs.options and "Units, first hidden layer" in knobs.options
    assert at.select_slider(key="search_mlp-128-64_learning_rate_range").value == (3e-4, 3e-3)
    assert at.multiselect(key="search_mlp-128-64_batch_size_range").value == [64, 128, 256]
    assert not at.button(key="start_search").disabled
    assert any(m.label == "Estimated time" for m in at.metric)
    assert not [b for b in at.button if b.key == "start_training"]

    knobs.set_value([]).run()  # nothing to search: said, and no Start
    assert any("at least one knob" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "start_search"]
    at.radio(key="train_mode").set_value("train").run()
    assert not at.exception and at.button(key="start_training")


def test_search_ranges_can_be_narrowed_and_bad_ones_get_one_sentence(app_env):
    at = open_page("train")
    at.radio(key="train_mode").set_value("search").run()
    at.multiselect(key="search_mlp-128-64_knobs").set_value(["learning_rate", "optimizer", "dropout"]).run()
    assert not at.exception and not at.error
    assert at.multiselect(key="search_mlp-128-64_optimizer_range").value == ["adam", "sgd", "rmsprop"]
    dropout = at.slider(key="search_mlp-128-64_dropout_range")
    assert (dropout.min, dropout.max) == (0.0, 0.8), "inside the knob's own bounds (presets.py)"

    at.select_slider(key="search_mlp-128-64_learning_rate_range").set_value((1e-3, 1e-3)).run()
    assert errors(at) == ["Learning rate: pick two different ends for the range to search."]
    assert not [b for b in at.button if b.key == "start_search"]
    at.select_slider(key="search_mlp-128-64_learning_rate_range").set_value((1e-3, 5e-3)).run()
    at.multiselect(key="search_mlp-128-64_optimizer_range").set_value([]).run()
    assert errors(at) == ["Optimizer: pick at least one value to try."]
    at.multiselect(key="search_mlp-128-64_optimizer_range").set_value(["adam"]).run()
    assert not at.error and at.button(key="start_search")

    at.selectbox(key="search_preset").set_value("logistic").run()  # another network, its own ranges
    at.selectbox(key="search_preset").set_value("mlp-128-64").run()
    assert at.select_slider(key="search_mlp-128-64_learning_rate_range").value == (1e-3, 5e-3)
    assert at.multiselect(key="search_mlp-128-64_optimizer_range").value == ["adam"]


def test_a_long_search_asks_first(app_env):
    at = open_page("train")
    at.radio(key="train_mode").set_value("search").run()
    at.selectbox(key="search_preset").set_value("cnn-quick").run()
    at.number_input(key="search_minutes").set_value(120)
    at.slider(key="search_trials").set_value(20).run()
    at.button(key="start_search").click().run()
    assert not at.exception
    question = " ".join(w.value for w in at.warning)
    assert re.fullmatch(r"This search is estimated at about \d+ minutes\. Start anyway\?", question), question
    assert not TrainingJob().state.active
    at.button(key="search_long_cancel").click().run()
    assert at.button(key="start_search") and not at.warning


def logistic_rate_search():
    """The Search form for the logistic baseline's learning rate, narrowed to 1e-3..2e-3 (not yet sent)."""
    at = open_page("train")
    at.radio(key="train_mode").set_value("search").run()
    at.selectbox(key="search_preset").set_value("logistic").run()
    at.multiselect(key="search_logistic_knobs").set_value(["learning_rate"]).run()
    at.select_slider(key="search_logistic_learning_rate_range").set_value((1e-3, 2e-3))
    return at


def test_a_tiny_search_runs_and_shows_its_trials(fresh_models):
    at = logistic_rate_search()
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
    card = Registry(fresh_models).card("class search")
    rates = [t["values"]["learning_rate"] for t in card.search["trials"]]
    assert all(1e-3 <= r <= 2e-3 for r in rates), f"the narrowed range was used: {rates}"
    assert at.radio(key="train_mode").value == "search", "the page comes back in Search mode"


def test_a_range_changed_in_the_same_message_as_start_is_the_one_searched(app_env, runs_env):
    at = logistic_rate_search()  # the range is sent with the click, not in a run before it
    at.slider(key="search_trials").set_value(2)
    at.button(key="start_search").click().run()
    assert not at.exception and not at.error
    run = queued_run(runs_env)
    assert run.options["trials"] == 2
    assert (run.options["knobs"]["learning_rate"]["low"], run.options["knobs"]["learning_rate"]["high"]) == (1e-3, 2e-3)


def test_a_bad_search_name_sent_with_the_click_is_said_once(app_env, runs_env):
    at = logistic_rate_search()
    at.text_input(key="search_name").set_value("a/b")
    at.button(key="start_search").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "is not a valid model name" in at.error[0].value, [e.value for e in at.error]


def test_a_running_search_shows_finished_trials_live_and_stop_keeps_the_best(fresh_models, mnist):
    from mnist_core.presets import get_preset
    from mnist_core.tuning import SearchRange
    from tests.runtools import wait_until

    job = TrainingJob()
    settings = get_preset("logistic").defaults.with_changes(epochs=3, train_limit=10_000)  # trials of seconds
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
