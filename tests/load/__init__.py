"""Load tests: many websocket clients against a real `streamlit run` server."""
