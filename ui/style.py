"""A little CSS for projector-sized answers; theme-neutral (inherits the theme's text colour).

Keyed containers (``st.container(key="prediction")``) get the class
``st-key-prediction``, which is what these rules target: no user text is
ever written as HTML.
"""

import streamlit as st

CSS = """
<style>
.st-key-prediction p {
  font-size: clamp(2.6rem, 7vw, 4.8rem);
  font-weight: 800;
  line-height: 1.05;
  margin: 0;
  letter-spacing: -0.01em;
}
.st-key-confidence p {
  font-size: clamp(1.4rem, 3vw, 2rem);
  font-weight: 600;
  margin: 0;
  opacity: 0.85;
}
.st-key-draw_hint p {
  font-size: clamp(1.4rem, 3.2vw, 2.2rem);
  font-weight: 700;
  line-height: 1.2;
}
.st-key-draw_hint [data-testid="stCaptionContainer"] p {
  font-size: 1rem;
  font-weight: 400;
}
.st-key-hero p {
  font-size: 1.2rem;
}
[data-testid="stMainBlockContainer"] {
  padding-top: 4.5rem !important;
  padding-bottom: 3rem !important;
}
.st-key-canvas_box {
  padding-top: 2.6rem !important;  /* room for the canvas's floating toolbar */
}
[data-testid="stPageLink"] p {
  font-size: 1.1rem;
  font-weight: 600;
}
[data-testid="stImageCaption"] {
  font-size: 0.95rem !important;
}
/* Classroom mode: readable from the back of a room. ui/browser.py puts the class on the body element,
   so the canvas's place in the page never changes. */
body.dl-classroom .st-key-prediction p {
  font-size: clamp(3rem, 5.2vw, 6rem);
  white-space: nowrap;
}
body.dl-classroom .st-key-confidence p,
body.dl-classroom .st-key-draw_hint p {
  font-size: clamp(2rem, 4.5vw, 3.2rem);
}
body.dl-classroom .st-key-draw_hint [data-testid="stCaptionContainer"] p {
  font-size: 1.2rem;
}
body.dl-classroom [data-testid="stMainBlockContainer"] {
  padding: 4rem 1.5rem 1.5rem !important;
}
body.dl-classroom .st-key-draw_title h1 {
  font-size: 1.8rem;
  padding: 0;
}
body.dl-classroom .stButton button p {
  font-size: 1.3rem;
}
/* Desktop and phone: the Draw page uses the width it measured (ui/layout.py's SIDE_PAD) */
@media (min-width: 640px) {
  body.dl-draw [data-testid="stMainBlockContainer"] {
    padding-left: 2rem;
    padding-right: 2rem;
  }
}
@media (max-width: 639px) {
  [data-testid="stMainBlockContainer"] {
    padding-left: 1rem !important;
    padding-right: 1rem !important;
  }
  .st-key-draw_title h1 {
    font-size: 1.8rem;
    padding: 0;
  }
}
.st-key-draw_title h1 {
  padding-bottom: 0;
}
/* Phones: every page one tap away (ui/widgets.py's phone_nav), the icons big enough for a finger */
.st-key-phone_nav {
  display: none !important;
}
@media (max-width: 639px) {
  .st-key-phone_nav {
    display: flex !important;
    justify-content: space-between;
    flex-wrap: nowrap;
  }
  .st-key-phone_nav [data-testid="stPageLink"] p {
    display: none;
  }
  .st-key-phone_nav [data-testid="stPageLink"] a {
    font-size: 1.5rem;
    padding: 0.1rem 0.3rem;
  }
  [data-testid="stMainBlockContainer"] {
    padding-top: 3.9rem !important;
  }
}
/* A file the uploader refuses (wrong type) gets the uploader's own message, with no rerun:
   the message about the previous file must not stay beside it */
body.dl-upload-refused .st-key-draw_upload_error {
  display: none;
}
/* The viewport probe (ui/browser.py) draws nothing */
.st-key-dl_probe_box {
  display: none;
}
/* While a stroke is drawn and just after it, the answer may still change: say so, softly.
   The text stays in place; only its look changes (ui/browser.py sets these classes). */
.st-key-prediction p {
  transition: opacity 0.3s;
}
body.dl-drawing .st-key-prediction p,
body.dl-settling .st-key-prediction p {
  opacity: 0.5;
  transition: opacity 0.1s;
}
body.dl-drawing .st-key-confidence p::after,
body.dl-settling .st-key-confidence p::after {
  content: " · still drawing?";
  font-size: 0.6em;
  font-weight: 500;
  opacity: 0.8;
}
/* Draw page feedback: big enough for a finger on a phone */
.st-key-feedback button {
  min-height: 3rem;
  min-width: 3rem;
  font-size: 1.3rem;
  font-weight: 700;
}
.st-key-digitlab_identity {
  display: none;
}
/* Hidden blocks must not cost the page its 1rem gaps either: their wrappers go too (scoped :has, cheap) */
[data-testid="stLayoutWrapper"]:has(> .st-key-digitlab_identity),
[data-testid="stLayoutWrapper"]:has(> .st-key-phone_nav) {
  display: none;
}
@media (max-width: 639px) {
  [data-testid="stLayoutWrapper"]:has(> .st-key-phone_nav) {
    display: block;
  }
}
/* The Draw page's probability bars (ui/bars.py): plain boxes, cheap to redraw on every stroke */
.dl-bars {
  display: flex;
  gap: 0.35em;
  align-items: stretch;
}
.dl-bar {
  flex: 1;
  display: flex;
  flex-direction: column;
  min-width: 0;
}
.dl-track {
  flex: 1;
  display: flex;
  flex-direction: column;
  justify-content: flex-end;
  padding-top: 1.4em;
  border-bottom: 1px solid rgba(128, 128, 128, 0.6);
  background: linear-gradient(to top, rgba(128, 128, 128, 0.18) 1px, transparent 1px) content-box;
  background-size: 100% 25%;
  background-position: bottom;
}
.dl-fill {
  position: relative;
  border-radius: 2px 2px 0 0;
}
.dl-pct {
  position: absolute;
  bottom: 100%;
  left: -0.5em;
  right: -0.5em;
  text-align: center;
  white-space: nowrap;
  line-height: 1.3;
}
.dl-digit {
  text-align: center;
  font-size: 1.3em;
  line-height: 1.3;
}
/* 28x28 digits must stay square-pixelled when the browser scales them */
img {
  image-rendering: pixelated;
}
</style>
"""


def inject() -> None:
    """Add the CSS to the page. Never write a "<" in it, even in a comment: the browser-side HTML
    sanitiser drops a style element whose text looks like markup, and every rule with it."""
    st.html(CSS)
