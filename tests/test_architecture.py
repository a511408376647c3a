"""The package boundaries of docs/architecture.md, read from the source's import statements."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT = {"PyQt5", "PyQt6", "PySide2", "PySide6", "pyqtgraph", "sip"}

# package -> the top-level modules its code must never import
FORBIDDEN = {
    "dms": QT | {"ui", "main"},
    "models": QT | {"ui", "main", "dms"},
}


def imported_modules(path: Path) -> set[str]:
    """Every module named by an import statement in `path` (at any depth, lazy ones included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_stay_inside_its_boundary(package):
    breaches = []
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    for path in files:
        for name in imported_modules(path):
            if name.split(".")[0] in FORBIDDEN[package]:
                breaches.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not breaches, "\n".join(breaches)


def test_the_reader_sees_lazy_imports(tmp_path):
    """A lazy import inside a function counts too: the check is not fooled by indentation."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from PyQt5.QtCore import QTimer\n    import ui.app\n")
    assert imported_modules(module) == {"PyQt5.QtCore", "ui.app"}


def test_the_event_log_loads_nothing_of_the_report():
    """Logging a drive (the analysis process, the GUI) must not pay for plotting and templates."""
    code = "import sys, dms.store; print(sorted({'matplotlib', 'jinja2', 'dms.report'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_analysis_stack_loads_matplotlib_only_through_mediapipe():
    """Building and running an analysis (recipe, pipeline, store, drive) loads no plotting or
    templates; `import mediapipe` (0.10.21) does, through its drawing utilities: the known limit
    written down in docs/architecture.md. When a MediaPipe upgrade drops it, this test says so."""
    code = (
        "import sys, dms.pipeline.build, dms.store, dms.pipeline.recipe, dms.pipeline.drive\n"
        "heavy = {'matplotlib', 'jinja2', 'mediapipe'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
        "import dms.perception.cues\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "['matplotlib', 'mediapipe']"]
