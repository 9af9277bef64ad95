"""Functions you can read in one sitting: none in `qa/` or `index/` over 60 lines (docstring included)."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

LIMIT = 60


def long_functions(root=ROOT, packages=("qa", "index")) -> list[str]:  # type: ignore[no-untyped-def]
    """'path:function (lines)' of every function longer than LIMIT."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                    if lines > LIMIT:
                        found.append(f"{path.relative_to(root)}:{node.name} ({lines})")
    return found


def test_no_function_in_the_product_is_over_60_lines() -> None:
    assert long_functions() == []


def test_a_long_function_is_found(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "qa").mkdir()
    (tmp_path / "qa" / "long.py").write_text("def f():\n" + "    x = 1\n" * LIMIT, encoding="utf-8")
    assert long_functions(tmp_path, ("qa",)) == ["qa/long.py:f (61)"]
