"""A tiny same-origin component that tells the server about the browser, and tidies the canvas.

Streamlit cannot tell a script how big the browser window is, and the canvas
component needs a size in pixels. This component (Streamlit's components v2:
plain JavaScript running in the page itself, no iframe) does three small jobs:

* reports the viewport (width, height, touch screen) once, and again after a
  resize, only when it differs from what the server already knows; it also
  keeps it in a cookie, so a reload lays the page out right on its first run;
* shows the canvas toolbar's Undo and Redo all the time, with words, and hides
  the tools that do nothing useful for drawing a digit (edit, bring forward,
  send backward, the "send now" arrow); the toolbar lives in the canvas's
  shadow root, where the page's CSS cannot reach, so a style element is put
  into each canvas's shadow root;
* marks <body> with the page's mode (``dl-draw``, ``dl-classroom``) and with
  ``dl-upload-refused`` while the uploader shows a file it refused;
* marks the page while a stroke is being drawn and for ``SETTLE_MS`` after it
  (classes ``dl-drawing`` / ``dl-settling`` on <body>), so ui/style.py can show
  that the answer may still change. The answer itself is never held back.
"""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from .layout import Viewport, parse_viewport

COOKIE = "digitlab_viewport"
SETTLE_MS = 1200  # the canvas sends 200 ms after a stroke; the answer shows ~100 ms later, provisional

TOOLBAR_CSS = """
.dc-toolbar { opacity: 1 !important; top: -2.75rem !important; transition: none !important; }
.dc-toolbar-card { box-shadow: none !important; padding: 0 !important; gap: .35rem; }
.dc-toolbar-separator, .dc-toolbar-contextual,
.dc-icon-button[title="Update the app with this drawing"], .dc-icon-button[title="Edit"],
.dc-icon-button[title="Reset canvas & history"] { display: none !important; }
.dc-icon-button { padding: .35rem .6rem !important; font: 600 0.95rem/1 sans-serif; gap: .35rem;
  border: 1px solid color-mix(in srgb, var(--st-text-color, #31333f) 25%, transparent) !important; }
.dc-icon-button svg { width: 1.1rem !important; height: 1.1rem !important; }
.dc-icon-button[title="Undo"]::after { content: "Undo"; }
.dc-icon-button[title="Redo"]::after { content: "Redo"; }
"""

PROBE_JS = """
export default function ({ data, setStateValue }) {
  const w = window;
  const measure = () => ({ width: w.innerWidth, height: w.innerHeight,
                           touch: w.matchMedia('(pointer: coarse)').matches });
  const same = (a, b) => !!a && !!b && a.width === b.width && a.height === b.height && !!a.touch === !!b.touch;
  const remember = (v) => {
    document.cookie = `${data.cookie}=${v.width}x${v.height}${v.touch ? 't' : ''}; path=/; max-age=31536000; SameSite=Lax`;
  };
  // Styling the canvases and watching the uploader is done on this component's own runs (its data
  // changes with the canvas round and the mode), a few times while the page settles: a MutationObserver
  // on the whole page would run on every change Streamlit makes, answers included, and slow them down.
  const body = document.body.classList;
  const tidy = () => {
    for (const box of document.querySelectorAll('[class*="st-key-canvas_box"]')) {
      for (const el of box.querySelectorAll('*')) {
        const root = el.shadowRoot;
        if (root && !root.querySelector('style[data-digitlab]')) {
          const style = document.createElement('style');
          style.setAttribute('data-digitlab', '');
          style.textContent = data.toolbarCss;
          root.appendChild(style);
        }
      }
    }
    const uploader = document.querySelector('.st-key-draw_upload');
    if (uploader && !uploader.__digitlabWatched) {
      uploader.__digitlabWatched = true;
      const check = () => body.toggle('dl-upload-refused',
        !!uploader.querySelector('[data-testid="stFileChipIconError"]'));
      new MutationObserver(check).observe(uploader, { childList: true, subtree: true });
      check();
    }
  };
  for (const ms of [0, 100, 300, 1000, 2500]) setTimeout(tidy, ms);
  if (!w.__digitlabProbe) {
    const P = w.__digitlabProbe = { known: null, report: null, timer: null, settle: null };
    w.addEventListener('resize', () => {
      clearTimeout(P.timer);
      P.timer = setTimeout(() => {
        const v = measure();
        remember(v);
        if (P.report && !same(v, P.known)) { P.known = v; P.report(v); }
      }, 300);
    });
    const onCanvas = (e) => e.composedPath().some((n) => n.classList && n.classList.contains('upper-canvas'));
    document.addEventListener('pointerdown', (e) => {
      if (!onCanvas(e)) return;
      clearTimeout(P.settle);
      body.remove('dl-settling');
      body.add('dl-drawing');
    }, true);
    const lift = () => {
      if (!body.contains('dl-drawing')) return;
      body.remove('dl-drawing');
      body.add('dl-settling');
      clearTimeout(P.settle);
      P.settle = setTimeout(() => body.remove('dl-settling'), data.settleMs);
    };
    document.addEventListener('pointerup', lift, true);
    document.addEventListener('pointercancel', lift, true);
  }
  const P = w.__digitlabProbe;
  const marks = document.body.classList;
  marks.toggle('dl-classroom', !!data.classroom);
  marks.toggle('dl-draw', data.page === 'draw');
  P.report = (v) => setStateValue('viewport', v);
  P.known = data.known;
  const v = measure();
  remember(v);
  if (!same(v, data.known)) { P.known = v; setStateValue('viewport', v); }
  return () => { P.report = null; marks.remove('dl-classroom', 'dl-draw'); };
}
"""

_probe = st.components.v2.component("digitlab_probe", js=PROBE_JS)


def viewport(page: str = "", classroom: bool = False) -> Viewport | None:
    """The browser's viewport as last reported (None until the browser has told us, e.g. in AppTest).

    Also marks <body> with the classes ui/style.py keys on: ``dl-draw`` on the Draw page and
    ``dl-classroom`` in classroom mode (plain classes: ``body:has(...)`` rules made the browser
    restyle the whole page on every change, which slowed every answer down)."""
    ss = st.session_state
    known = ss.get("dl_viewport") or parse_viewport(st.context.cookies.get(COOKIE, ""))
    with st.container(key="dl_probe_box"):  # hidden by ui/style.py: it draws nothing
        result = _probe(
            data={"known": asdict(known) if known else None, "cookie": COOKIE, "toolbarCss": TOOLBAR_CSS,
                  "settleMs": SETTLE_MS, "page": page, "classroom": classroom,
                  # a new canvas or a new upload: style it, watch the uploader
                  "canvases": [ss.get("canvas_round"), ss.get("inside_canvas_round")],
                  "upload": ss.get("draw_upload") is not None},
            key="dl_probe", default={"viewport": None}, on_viewport_change=lambda: None,
        )
    reported = parse_viewport((result or {}).get("viewport"))
    if reported is not None:
        ss.dl_viewport = reported
    return reported or known
