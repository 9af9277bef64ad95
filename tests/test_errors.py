"""Every exception class in `qa` and `index` is under the one root and drawn where `qa.errors` draws the tree."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

import qa.errors
from index.errors import SourcedError
from tests.conftest import ROOT
from tests.test_imports import module_name

# Errors that stand outside the tree on purpose (and are named so in qa.errors' docstring).
OUTSIDE = {"qa.shells.http_errors.ApiError", "qa.shells.guard.BodyTooLarge"}  # the HTTP shell's refusal with its own status; /v1 tells it apart
HOME = ("qa.errors", "index.errors")  # modules a drawn class lives in when the drawing names none
_NODE = re.compile(r"^    ( *)([A-Z]\w*)(?:\s+\[([\w.]+)\])?")


def defined_errors() -> dict[str, type[BaseException]]:
    """'module.Class' -> the class, for every exception class defined in a module of qa/ or index/."""
    found: dict[str, type[BaseException]] = {}
    for path in sorted([*(ROOT / "qa").rglob("*.py"), *(ROOT / "index").rglob("*.py")]):
        module = importlib.import_module(module_name(path, ROOT))
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = cls
    return found


def drawn_tree() -> list[tuple[str, str | None, str | None]]:
    """(class, its parent as drawn, its module in brackets) for each line of the tree in qa.errors' docstring."""
    doc = qa.errors.__doc__ or ""
    out: list[tuple[str, str | None, str | None]] = []
    parents: list[str] = []
    for line in doc.splitlines():
        node = _NODE.match(line)
        if node is None:
            continue
        depth, name, home = len(node[1]) // 2, node[2], node[3]
        assert len(node[1]) % 2 == 0 and depth <= len(parents), f"misdrawn line: {line!r}"
        del parents[depth:]
        out.append((name, parents[-1] if parents else None, home))
        parents.append(name)
    return out


@pytest.fixture(scope="module")
def errors() -> dict[str, type[BaseException]]:
    return defined_errors()


def test_the_walk_finds_the_errors_defined_outside_the_errors_modules(errors: dict[str, type[BaseException]]) -> None:
    for known in ("index.dates.BadDate", "index.records.FileProblem", "qa.search.segments.DamagedSegment",
                  "qa.answers.generate.LLMFailed", "qa.errors.QAError", "index.errors.StoreError"):
        assert known in errors


def test_every_error_is_under_the_root(errors: dict[str, type[BaseException]]) -> None:
    outside = sorted(path for path, cls in errors.items() if not issubclass(cls, SourcedError))
    assert outside == sorted(OUTSIDE), "put a new error under SourcedError (qa/errors.py draws the tree)"


def test_errors_that_were_value_errors_still_are() -> None:
    from index.dates import BadDate
    from index.records import FileProblem

    assert issubclass(BadDate, ValueError) and issubclass(FileProblem, ValueError)
    assert str(BadDate("'x' is not a date")) == "'x' is not a date"


def test_the_docstring_draws_every_error_once_with_its_true_parent(errors: dict[str, type[BaseException]]) -> None:
    tree = drawn_tree()
    names = [name for name, _, _ in tree]
    assert len(names) == len(set(names)), "a class is drawn twice"
    by_name = {path.rpartition(".")[2]: cls for path, cls in errors.items() if issubclass(cls, SourcedError)}
    assert len(by_name) == len([c for c in errors.values() if issubclass(c, SourcedError)]), "two errors share a name"
    assert sorted(names) == sorted(by_name), "qa/errors.py's docstring must draw every SourcedError"
    for name, parent, home in tree:
        cls = by_name[name]
        assert (cls.__module__ == home) if home else (cls.__module__ in HOME), f"{name} lives in {cls.__module__}"
        if parent is None:
            assert cls is SourcedError
        else:
            assert by_name[parent] in cls.__bases__, f"{name} is drawn under {parent}, its bases are {cls.__bases__}"


def test_the_docstring_names_the_errors_outside_the_tree() -> None:
    doc = qa.errors.__doc__ or ""
    for path in OUTSIDE:
        module, _, name = path.rpartition(".")
        assert re.search(rf"`{name}` \[{re.escape(module)}\]", doc), f"say in qa/errors.py why {path} is outside"
