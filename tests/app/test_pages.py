"""Home, Evaluate, Mistakes and Dataset pages, plus the missing-dataset and no-model paths."""

import json
import shutil

import pytest

from mnist_core.tensorboard_logs import LOGS_FOLDER
from tests.app.apptools import LOGISTIC, QUICK, REPO, open_page, page_text
from ui import navigation

PAGES = [page.name for page in navigation.PAGES]


def _plotly(at, key):
    """The figure JSON of the st.plotly_chart with this key."""
    for element in at.get("plotly_chart"):
        proto = element.proto
        if key in proto.id:
            return json.loads(proto.spec)
    raise AssertionError(f"no plotly chart with key {key!r}")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(app_env, page):
    at = open_page(page)
    assert not at.exception, at.exception
    assert at.title, "every page has a title"


def test_navigation_url_paths():
    """The pages keep the agreed URLs, and each one's script is there."""
    assert [page.url_path for page in navigation.PAGES] == [
        "", "draw", "train", "evaluate", "mistakes", "dataset", "look_inside", "class"]
    assert all((REPO / page.script).is_file() for page in navigation.PAGES)


def test_a_page_added_to_the_list_is_in_the_navigation_on_home_and_linkable(app_env, tmp_path, monkeypatch):
    """ui/navigation.PAGES is the one place: the top bar, the phone's icons and Home's cards follow it."""
    script = tmp_path / "quiz.py"
    script.write_text("import streamlit as st\n\nst.title('Quiz time')\n")
    quiz = navigation.AppPage("quiz", "Quiz", "❓", "Test yourself.", file=str(script))
    monkeypatch.setattr(navigation, "PAGES", [*navigation.PAGES, quiz])
    at = open_page("home")
    assert not at.exception, at.exception
    links = [(link.label, link.proto.page) for link in at.page_link]
    assert links.count(("Quiz", "quiz")) == 2, links  # the phone's row of page icons and Home's card
    assert "Test yourself." in page_text(at)
    assert navigation.page("quiz").script == str(script)  # what widgets.link("quiz", ...) links to


def test_home_shows_active_model_and_links(app_env):
    at = open_page("home")
    text = page_text(at)
    assert "Digit Lab" in at.title[0].value
    assert "Active model" in text
    assert any(m.label == "Test accuracy" for m in at.metric)
    labels = {link.label for link in at.page_link}
    assert {"Draw", "Train", "Evaluate", "Mistakes", "Dataset"} <= labels


def test_active_model_is_shared_between_pages(app_env):
    at = open_page("evaluate")
    at.selectbox(key="pick_evaluate").set_value(LOGISTIC).run()
    assert at.session_state["model_name"] == LOGISTIC
    at.switch_page("pages/mistakes.py").run()
    assert at.selectbox(key="pick_mistakes").value == LOGISTIC
    at.selectbox(key="pick_mistakes").set_value(QUICK).run()
    at.switch_page("pages/draw.py").run()
    assert at.selectbox(key="pick_draw").value == QUICK
    at.switch_page("pages/home.py").run()
    assert f"### {QUICK}" in page_text(at)


def test_evaluate_counts_and_normalised(app_env):
    at = open_page("evaluate")
    at.selectbox(key="pick_evaluate").set_value(QUICK).run()
    labels = [m.label for m in at.metric]
    for label in ("Test accuracy", "Test loss", "Train accuracy", "Train loss"):
        assert label in labels
    counts = _plotly(at, "eval_confusion")["data"][0]["text"]
    assert not any("%" in cell for row in counts for cell in row)
    at.segmented_control(key="eval_mode").set_value("Row-normalised (%)").run()
    assert not at.exception
    shares = _plotly(at, "eval_confusion")["data"][0]["text"]
    assert any("%" in cell for row in shares for cell in row)
    assert shares != counts


def test_evaluate_cell_selection_shows_images(app_env):
    at = open_page("evaluate")
    at.selectbox(key="pick_evaluate").set_value(QUICK).run()
    at.selectbox(key="eval_true").set_value(3)
    at.selectbox(key="eval_pred").set_value(3).run()
    assert not at.exception
    assert "test images of a 3 correctly recognised" in page_text(at)
    grid = _plotly(at, "eval_cell_images")["data"][1]
    assert grid["customdata"] == list(range(len(grid["text"]))) and "% sure it is a 3" in grid["text"][0]


def test_evaluate_report_and_compare(app_env):
    at = open_page("evaluate")
    at.selectbox(key="pick_evaluate").set_value(QUICK).run()
    assert at.dataframe, "classification report table"
    assert at.selectbox(key="eval_other").value == LOGISTIC
    deltas = [m for m in at.metric if m.delta]
    assert len(deltas) == 4
    figure = _plotly(at, "cmp_per_digit")
    assert {trace["name"] for trace in figure["data"]} == {QUICK, LOGISTIC}


def test_mistakes_filters_change_grid(app_env):
    at = open_page("mistakes")
    at.selectbox(key="pick_mistakes").set_value(LOGISTIC).run()
    grid = at.image[0]
    assert len(grid.value) == 20  # default "how many"
    at.slider(key="mis_limit").set_value(5).run()
    assert len(at.image[0].value) == 5
    at.slider(key="mis_limit").set_value(50).run()
    unfiltered = at.image[0].captions
    assert len(unfiltered) == 50
    assert not all(c.startswith("4 →") for c in unfiltered)
    at.selectbox(key="mis_true").set_value(4).run()
    assert not at.exception
    filtered = at.image[0].captions if at.image else []
    assert filtered and all(c.startswith("4 →") for c in filtered)
    at.selectbox(key="mis_pred").set_value(9).run()
    assert all(c.startswith("4 → 9") for c in (at.image[0].captions if at.image else []))
    # choosing one shows its probabilities
    if at.selectbox(key="mis_pick").options:
        assert _plotly(at, "mis_bars")["data"][0]["type"] == "bar"


def test_mistakes_empty_filter_is_friendly(app_env):
    at = open_page("mistakes")
    at.selectbox(key="mis_true").set_value(1)
    at.selectbox(key="mis_pred").set_value(1).run()  # a digit is never a mistake for itself
    assert not at.exception
    assert "No mistakes match" in page_text(at)


def test_dataset_counts(app_env, mnist):
    at = open_page("dataset")
    values = {m.label: m.value for m in at.metric}
    assert values["Training images"] == f"{len(mnist.y_train):,}"
    assert values["Test images"] == f"{len(mnist.y_test):,}"
    figure = _plotly(at, "dataset_counts")
    assert [trace["name"] for trace in figure["data"]] == ["train", "test"]
    assert sum(figure["data"][0]["y"]) == len(mnist.y_train)
    assert len([img for img in at.image]) == 10  # one row of examples per digit
    seed = at.session_state["dataset_seed"]
    at.button(key="dataset_shuffle").click().run()
    assert at.session_state["dataset_seed"] != seed


@pytest.mark.parametrize("page", PAGES)
def test_missing_dataset_is_explained(monkeypatch, trained_models, page):
    monkeypatch.setenv("MNIST_NPZ", "/nonexistent/mnist.npz")
    monkeypatch.setenv("DIGITLAB_MODELS", str(trained_models))
    monkeypatch.setenv("DIGITLAB_SHIPPED", "")
    at = open_page(page)
    assert not at.exception, at.exception
    if page in ("train", "evaluate", "mistakes", "dataset"):
        errors = " ".join(e.value for e in at.error)
        assert "MNIST dataset is not available" in errors
        assert "MNIST_NPZ" in page_text(at)


@pytest.mark.parametrize("page", ["home", "evaluate", "mistakes"])
def test_no_models_is_friendly(empty_models, page):
    at = open_page(page)
    assert not at.exception
    assert "No model yet" in page_text(at)
    assert any(link.label == "Train a model" for link in at.page_link)


def test_an_average_of_runs_says_so_on_its_card_and_why_it_has_no_curves(copied_models):
    path = copied_models / LOGISTIC / "card.json"  # the newest, so the active one
    card = json.loads(path.read_text())
    card["settings"]["averaged_from"] = ["run 1", "run 2", "run 3"]
    card["history"] = {}
    path.write_text(json.dumps(card))
    shutil.rmtree(path.parent / LOGS_FOLDER, ignore_errors=True)  # an average is saved without logs of its own
    at = open_page("home")
    assert not at.exception
    assert any("the weights of 3 training runs averaged" in c.value for c in at.caption)
    for page in ("evaluate", "look_inside"):  # no curves, and the reason why
        at = open_page(page)
        assert not at.exception
        assert any("the mean of 3 training runs' weights, so it has no training curves" in i.value for i in at.info)
        if page == "evaluate":
            assert any("an average of runs, which has no TensorBoard logs" in c.value for c in at.caption)


def test_unreadable_model_folder_is_a_warning(copied_models):
    (copied_models / "half-copied").mkdir()
    at = open_page("home")
    assert not at.exception
    assert any("could not be read" in w.value for w in at.warning)


def test_home_renames_and_deletes_trained_models(copied_models):
    at = open_page("home")
    at.selectbox(key="manage_pick").set_value(LOGISTIC).run()
    at.text_input(key="manage_new_name").set_value("../escape").run()
    at.button(key="manage_rename").click().run()
    assert "not a valid model name" in page_text(at)
    at.text_input(key="manage_new_name").set_value("baseline").run()
    at.button(key="manage_rename").click().run()
    assert not at.exception
    assert (copied_models / "baseline").is_dir() and not (copied_models / LOGISTIC).exists()
    at.selectbox(key="manage_pick").set_value("baseline").run()
    assert at.button(key="manage_delete").disabled  # nothing is deleted without the tick
    at.checkbox(key="manage_confirm").check().run()
    at.button(key="manage_delete").click().run()
    assert not at.exception and not (copied_models / "baseline").exists()
    assert "Deleted 'baseline'" in page_text(at)
