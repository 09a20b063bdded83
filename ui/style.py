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
/* Classroom mode: readable from the back of a room */
.st-key-classroom_mode .st-key-prediction p {
  font-size: clamp(3rem, 5.2vw, 6rem);
  white-space: nowrap;
}
.st-key-classroom_mode .st-key-confidence p {
  font-size: clamp(2rem, 4.5vw, 3.2rem);
}
.st-key-classroom_mode .st-key-draw_hint p {
  font-size: clamp(2rem, 4.5vw, 3.2rem);
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
/* 28x28 digits must stay square-pixelled when the browser scales them */
img {
  image-rendering: pixelated;
}
</style>
"""


def inject() -> None:
    st.html(CSS)
