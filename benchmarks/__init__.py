"""One command each, printing figures: run from the repository's root as ``python -m benchmarks.NAME``."""
