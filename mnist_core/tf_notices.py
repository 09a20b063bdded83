"""TensorFlow's start-up notices, kept off the terminal of someone using the command line.

TensorFlow 2.16 and later print "oneDNN custom operations are on" and a CPU-feature notice through
absl's C++ logging straight to file descriptor 2 while it is imported, twice per process, whatever
``TF_CPP_MIN_LOG_LEVEL`` says. A CLI user saw four such lines around every answer and every error
sentence. ``import_tensorflow_quietly`` captures that descriptor during the import only (nothing
else of ours is running then) and passes on every line that is not one of those notices.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

NOTICE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|I\d{4} [\d:.]+ +\d+ (port|cpu_feature_guard)\.cc:\d+\] "
    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\.)"
)


def without_notices(text: str) -> str:
    """``text`` with TensorFlow's start-up notice lines taken out; every other line as it was."""
    return "".join(line for line in text.splitlines(keepends=True) if not NOTICE.match(line))


def import_tensorflow_quietly() -> None:
    """Import TensorFlow once, its start-up notices dropped and anything else it writes passed on.

    For a process's entry point only (the CLI's ``__main__``), before any other thread runs: it swaps
    file descriptor 2 for the whole process while the import lasts.
    """
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import tensorflow  # noqa: F401  (the import is the point)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            rest = without_notices(capture.read().decode(errors="replace"))
            if rest:
                sys.stderr.write(rest)
                sys.stderr.flush()
