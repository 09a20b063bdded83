"""The app's pages, listed once: app.py's navigation, Home's "Explore" cards and every in-page link read this.

Adding a page: write ``pages/NAME.py`` (call ``ensure_app()`` first, as the others do) and add one ``AppPage``
here; the top bar, the phone's row of icons, Home's card and ``widgets.link("NAME", ...)`` follow.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

HOME = "home"


@dataclass(frozen=True)
class AppPage:
    name: str  # the address /NAME (Home: /), the file pages/NAME.py, and the key for widgets.link
    title: str
    icon: str
    blurb: str  # one line on Home's card for the page
    file: str | None = None  # the script, when it is not pages/NAME.py

    @property
    def script(self) -> str:
        return self.file or f"pages/{self.name}.py"

    @property
    def url_path(self) -> str:
        return "" if self.name == HOME else self.name


PAGES: list[AppPage] = [
    AppPage(HOME, "Home", "🏠", "What Digit Lab is, the active model, and the way to every page."),
    AppPage("draw", "Draw", "✏️", "Draw a digit and see the network's guess, live."),
    AppPage("train", "Train", "🏋️", "Pick a network, set its knobs, and train it."),
    AppPage("evaluate", "Evaluate", "📊", "Accuracy, confusion matrix, and model comparisons."),
    AppPage("mistakes", "Mistakes", "🔍", "The test digits the model got most confidently wrong."),
    AppPage("dataset", "Dataset", "🗂️", "What MNIST looks like, digit by digit."),
    AppPage("look_inside", "Look inside", "🔬", "Saliency, weights and activations: how the network decides."),
    AppPage("class", "Class", "🏫",
            "The class's labelled drawings, how each model reads them, teaching it our handwriting."),
]


def page(name: str) -> AppPage:
    """The page called ``name``; a KeyError names a page that is not in PAGES."""
    for entry in PAGES:
        if entry.name == name:
            return entry
    raise KeyError(f"no page {name!r} in ui/navigation.py's PAGES")


def streamlit_pages() -> list[st.Page]:
    """PAGES as st.navigation takes them, Home first and the default."""
    return [st.Page(p.script, title=p.title, icon=p.icon, url_path=p.url_path, default=p.name == HOME)
            for p in PAGES]
