"""The project's layout rules: how imports work and who may import whom.

Every entry point runs from the repository's root (`streamlit run app.py`, `python -m pytest`,
`python -m benchmarks.NAME`, `python -m mnist_core`), so Python itself puts the root on sys.path and no file
edits it. The dev-only code the tests and the benchmarks share lives in `devtools/`; the app never imports it.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def python_files(*folders: str) -> list[Path]:
    return sorted(f for folder in folders for f in (ROOT / folder).rglob("*.py"))


def imported_packages(path: Path) -> set[str]:
    """The top-level names a file imports (absolute imports only)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def importers(files: list[Path], package: str) -> list[str]:
    return [str(f.relative_to(ROOT)) for f in files if package in imported_packages(f)]


def test_no_file_edits_sys_path():
    files = [ROOT / "app.py", *python_files("mnist_core", "ui", "pages", "devtools", "benchmarks", "tests")]
    offenders = [str(f.relative_to(ROOT)) for f in files if re.search(r"sys\.path\.(insert|append)", f.read_text())]
    assert offenders == []


def test_tests_and_benchmarks_do_not_import_each_other():
    assert importers(python_files("benchmarks", "devtools"), "tests") == []
    assert importers(python_files("tests", "devtools"), "benchmarks") == []


def test_the_app_never_imports_dev_code():
    app = [ROOT / "app.py", *python_files("mnist_core", "ui", "pages")]
    for dev in ("devtools", "tests", "benchmarks"):
        assert importers(app, dev) == [], dev


def pins(lines: list[str]) -> dict[str, str]:
    """{name: version} of `name==version` lines (extras and comments dropped)."""
    out = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out[re.sub(r"\[.*\]", "", name).strip().lower()] = version.strip()
    return out


def test_pyproject_pins_match_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    required = pins((ROOT / "requirements.txt").read_text().splitlines())
    assert declared == required, "pyproject.toml and requirements.txt must pin the same packages"


def test_pyproject_packages_hold_every_app_module_and_the_migrations():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    include = setuptools["packages"]["find"]["include"]
    for folder in {f.parent for f in python_files("mnist_core", "ui")}:
        dotted = ".".join(folder.relative_to(ROOT).parts)
        assert any(re.fullmatch(p.replace(".", r"\.").replace("*", ".*"), dotted) for p in include), dotted
    data = setuptools["package-data"]["mnist_core.migrations"]
    assert all((ROOT / "mnist_core" / "migrations" / name).is_file() for name in data)
    non_python = {f.name for f in (ROOT / "mnist_core").rglob("*") if f.is_file()
                  and f.suffix not in {".py", ".pyc"}}
    assert non_python <= set(data), "a file mnist_core reads at run time is missing from package-data"
