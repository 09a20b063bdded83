"""Peak memory of reading one upload, from its bytes to the network's 28x28 input.

    python -m benchmarks.upload_memory

Each case runs in a fresh process: it warms up on a normal canvas drawing,
resets the kernel's peak-RSS mark (``/proc/self/clear_refs``), reads the file
the way the Draw page and `predict` do (open_image, then preprocess), and
prints how far the peak resident memory (VmHWM) rose above the resident memory
just before, plus numpy's traced peak (Pillow's own buffers are not traced). "float first" runs
the same largest image through the float path (what the code did before it
shrank in Pillow) for comparison.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from devtools.tempfolder import own_temp_folder
from mnist_core.errors import ImageError
from mnist_core.preprocessing import MAX_UPLOAD_PIXELS, open_image, preprocess

ROOT = Path(__file__).resolve().parents[1]  # the child runs as `python -m benchmarks.upload_memory` from here

LARGEST = (4080, 3060)  # 12.5 megapixels: the largest size accepted


def digit_page(size: tuple[int, int], mode: str) -> Image.Image:
    """A '7' on a page of this size, drawn in proportion."""
    width, height = size
    image = Image.new("RGBA", size, (255, 255, 255, 255))
    points = [(0.38 * width, 0.17 * height), (0.62 * width, 0.17 * height), (0.42 * width, 0.83 * height)]
    ImageDraw.Draw(image).line(points, fill=(0, 0, 0, 255), width=max(3, height // 25))
    return image if mode == "RGBA" else image.convert(mode)


def encode(image: Image.Image, kind: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **({"quality": 90} if kind == "JPEG" else {}))
    return buffer.getvalue()


CASES = {
    "canvas 280x280 PNG (normal)": lambda: encode(digit_page((280, 280), "RGBA"), "PNG"),
    "12.5 MP RGBA PNG (largest accepted)": lambda: encode(digit_page(LARGEST, "RGBA"), "PNG"),
    "12.5 MP palette PNG": lambda: encode(digit_page(LARGEST, "P"), "PNG"),
    "12.5 MP 16-bit grey PNG": lambda: encode(Image.fromarray(
        np.asarray(digit_page(LARGEST, "L")).astype(np.uint16) * 257), "PNG"),
    "12.2 MP phone photo JPEG": lambda: encode(digit_page((4032, 3024), "RGB"), "JPEG"),
    "6300x6300 RGBA PNG (the issue's file)": lambda: encode(digit_page((6300, 6300), "RGBA"), "PNG"),
}
FLOAT_FIRST = "12.5 MP RGBA PNG, float first (before)"


def _status_mb(field: str) -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1)) / 1024


def reset_peak() -> float:
    """Reset the peak-RSS mark to the current RSS (Linux 4.0+); the current RSS in MB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def measure(path: Path, float_first: bool) -> dict:
    """Run in a fresh process: peak memory rise while reading this file."""
    preprocess(np.asarray(digit_page((280, 280), "RGBA")))  # warm: imports, first allocations
    data = path.read_bytes()
    base = reset_peak()
    tracemalloc.start()
    try:
        if float_first:
            image = Image.open(io.BytesIO(data))
            image.load()
            result = preprocess(np.asarray(image).astype(np.float32) / 255.0)
        else:
            result = preprocess(open_image(data))
        outcome = "no digit" if result.is_empty else "digit"
    except ImageError as exc:
        outcome = f"refused: {exc}"
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rise_mb": _status_mb("VmHWM") - base, "numpy_mb": traced / 1e6, "outcome": outcome,
            "file_kb": len(data) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--float-first", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child), args.float_first)))
        return

    print(f"pixel limit {MAX_UPLOAD_PIXELS / 1e6:.1f} MP; peak memory above a warm process, one process per case\n")
    print(f"{'upload':<42} {'file':>8} {'peak RSS rise':>14} {'numpy peak':>11}  outcome")
    with tempfile.TemporaryDirectory() as folder:
        runs = [(name, make, False) for name, make in CASES.items()]
        runs.insert(2, (FLOAT_FIRST, CASES["12.5 MP RGBA PNG (largest accepted)"], True))
        for name, make, float_first in runs:
            path = Path(folder) / "upload"
            path.write_bytes(make())
            command = [sys.executable, "-m", "benchmarks.upload_memory", "--child", str(path)] + (["--float-first"] if float_first else [])
            result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True,
                                               cwd=ROOT).stdout)
            print(f"{name:<42} {result['file_kb']:>6.0f} kB {result['rise_mb']:>11.1f} MB "
                  f"{result['numpy_mb']:>8.1f} MB  {result['outcome'][:60]}")


if __name__ == "__main__":
    with own_temp_folder():  # servers' and workers' temp files, removed at the end
        main()
