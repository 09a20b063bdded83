"""Dev-only code that the tests and the benchmarks share; the app never imports it.

- ``appserver``: ``streamlit run app.py`` on a free loopback port (``AppServer``), MNIST and the default model.
- ``harness``: Chromium through Playwright, the in-page tracker, pen paths drawn with real mouse strokes.
- ``streamlit_client``: a websocket client that speaks Streamlit's browser protocol (one tab, no rendering).
- ``classroom``: pupils drawing and a teacher training at once, over that client (the load benchmark's engine).
- ``labelling``: pupils labelling their drawings, over that client.
- ``tempfolder``: one temp folder for a benchmark and the processes it starts, removed at the end.
"""
