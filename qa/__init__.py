"""Sourced: answers from news articles, every one citing exact source sentences.

    import qa
    qa.ingest(["seeds/"])
    print(qa.ask("How many US troops are in Agadez?").answer)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from index.layout import ArticleInfo
from index.models import Article, IngestReport
from qa.errors import EmptyIndex, EmptyQuestion, QAError, QuestionTooLong, UnknownArticle
from qa.models import Answer, Citation
from qa.settings import Settings

__all__ = [
    "QA", "Answer", "Article", "ArticleInfo", "Citation", "EmptyIndex", "EmptyQuestion", "IngestReport",
    "QAError", "QuestionTooLong", "Settings", "UnknownArticle", "ask", "ingest",
]

_default: Any = None


def __getattr__(name: str) -> Any:
    if name == "QA":  # imported lazily: `import qa` stays fast
        from qa.engine import QA

        return QA
    raise AttributeError(name)


def _engine(index: str | Path | None) -> Any:
    global _default
    from qa.engine import QA

    if index is not None:
        return QA(index)
    if _default is None:
        _default = QA()
    return _default


def ask(question: str, *, k: int | None = None, history: Sequence[object] | None = None,
        filters: dict[str, Any] | None = None, index: str | Path | None = None) -> Answer:
    """Answer `question` from the index ($QA_INDEX_DIR or ./.sourced-index)."""
    return _engine(index).ask(question, k=k, history=history, filters=filters)


def ingest(paths: Sequence[str | Path], *, index: str | Path | None = None) -> IngestReport:
    """Index article files and folders."""
    return _engine(index).ingest(paths)
