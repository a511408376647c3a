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


# The stages of dms/, lowest first: a module of one stage imports only its own stage and the
# stages before it (docs/architecture.md, "Which package may import which").
LAYERS = (
    "core", "sources", "perception", "classifier", "telemetry", "fusion", "rules", "events",
    "recorder", "store", "report", "pipeline", "scoring", "fleet", "commands",
)


def module_files(package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of `package` (a package is its __init__)."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of `modules` it imports (at any depth, lazy ones included; `from a
    import b` counts as importing a.b when that is a module)."""
    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets.add(node.module)
                targets.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_of_dms_belongs_to_a_stage():
    stages = {name.split(".")[1] for name in module_files("dms") if name != "dms"}
    assert stages == set(LAYERS)


def test_each_stage_imports_only_the_stages_below_it():
    graph = import_graph(module_files("dms"))
    breaches = []
    for name, targets in graph.items():
        if name == "dms":
            continue
        own = LAYERS.index(name.split(".")[1])
        for target in sorted(targets):
            if target != "dms" and LAYERS.index(target.split(".")[1]) > own:
                breaches.append(f"{name} imports {target}, a later stage")
    assert not breaches, "\n".join(breaches)


@pytest.mark.parametrize("package", ["dms", "models", "ui"])
def test_no_import_circles_not_even_through_lazy_imports(package):
    """An import inside a function still closes a circle: no such circle anywhere."""
    assert circles(import_graph(module_files(package))) == []


def test_the_circle_finder_sees_a_lazy_circle(tmp_path):
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def f():\n    import a\n")
    modules = {"a": tmp_path / "a.py", "b": tmp_path / "b.py"}
    assert circles(import_graph(modules)) == [["a", "b"]]
