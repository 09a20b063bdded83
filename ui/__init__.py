"""Streamlit helpers shared by Digit Lab's pages (the engine itself is mnist_core)."""
