"""Imports flow one way: shells -> engine -> answers -> evidence -> search -> index; no circles.

Every import counts, module-level, lazy (inside a function) or for type checking only: a circle that
only type hints close is still two modules that cannot be read apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Lower layers never import higher ones. A module's layer is its longest matching prefix.
LAYERS = {
    "index": 0,
    "qa.text": 1, "qa.dates": 1, "qa.rules": 1, "qa.options": 1, "qa.models": 1, "qa.errors": 1, "qa.settings": 1,
    "qa.search": 2,
    "qa.evidence": 3,
    "qa.answers": 4,
    "qa.engine": 5, "qa": 5,
    "qa.evaluation": 6, "qa.training": 6,
    "qa.shells": 7,
    "app": 8,
    "lab": 9,  # the workshop: beside the package, never installed, never imported by it
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path, packages: tuple[str, ...] = ("qa", "index", "lab"), extra: tuple[str, ...] = ("app.py",)) -> dict[str, set[str]]:
    """module -> the project modules it imports, for every .py under `packages` (and `extra` files)."""
    files = [p for pkg in packages if (root / pkg).is_dir() for p in sorted((root / pkg).rglob("*.py"))]
    files += [root / e for e in extra if (root / e).is_file()]
    modules = {module_name(p, root): p for p in files}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from . import x, from .y import z
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # `from qa import text` imports the module qa.text; `from qa.models import Answer` imports qa.models
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise KeyError(f"{module} belongs to no layer: add it to LAYERS in tests/test_imports.py")


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Imports from a lower layer into a higher one ('index.x -> qa.y')."""
    return sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets if layer(b) > layer(a))


def test_the_project_has_no_import_circles() -> None:
    assert cycles(import_graph(ROOT)) == []


def test_imports_only_go_down_the_stages_and_index_never_imports_qa() -> None:
    graph = import_graph(ROOT)
    assert upward(graph) == []
    assert not [f"{a} -> {b}" for a, targets in graph.items() if a.startswith("index")
                for b in targets if b.split(".")[0] != "index"]


def workshop_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports of the workshop (`lab`) from the product (`qa`, `index`, `app`)."""
    return sorted(f"{a} -> {b}" for a, targets in graph.items() if a.split(".")[0] != "lab"
                  for b in targets if b.split(".")[0] == "lab")


def test_the_product_never_imports_the_workshop() -> None:
    graph = import_graph(ROOT)
    assert any(a.startswith("lab.") for a in graph), "the workshop's modules are part of the graph"
    assert workshop_imports(graph) == []


def test_the_installed_packages_hold_no_workshop_code() -> None:
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    assert not [p for p in packages if p == "lab" or p.startswith("lab.") or p.endswith(".lab")]
    assert not (ROOT / "qa" / "lab").exists() or not list((ROOT / "qa" / "lab").glob("*.py"))


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("how", [
    "from qa.search.a import x\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from qa.search.a import x\n",
    "def f():\n    from qa.search import a\n",
    "from . import a\n",
])
def test_a_circle_put_back_is_found(tmp_path: Path, how: str) -> None:
    root = _tree(tmp_path, {
        "qa/__init__.py": "", "qa/search/__init__.py": "", "index/__init__.py": "",
        "qa/search/a.py": "from qa.search.b import y\nx = 1\n",
        "qa/search/b.py": how + "y = 2\n",
    })
    assert cycles(import_graph(root)) == [["qa.search.a", "qa.search.b"]]


def test_index_importing_qa_or_a_stage_importing_upwards_is_found(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "qa/__init__.py": "", "qa/search/__init__.py": "", "qa/answers/__init__.py": "", "index/__init__.py": "",
        "index/store.py": "def f():\n    from qa.search import lexicon\n",
        "qa/search/lexicon.py": "from qa.answers.composer import compose\n",
        "qa/answers/composer.py": "compose = 1\n",
    })
    assert upward(import_graph(root)) == ["index.store -> qa.search.lexicon", "qa.search.lexicon -> qa.answers.composer"]


def test_the_product_importing_the_workshop_is_found(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "qa/__init__.py": "", "qa/shells/__init__.py": "", "index/__init__.py": "", "lab/__init__.py": "",
        "qa/shells/cli.py": "def bench():\n    from lab.bench import run\n",
        "lab/bench.py": "from qa.shells import cli\nrun = 1\n",
    })
    graph = import_graph(root)
    assert workshop_imports(graph) == ["qa.shells.cli -> lab.bench"]
    assert upward(graph) == ["qa.shells.cli -> lab.bench"]
