"""Sourced: answers from news articles, every one citing exact source sentences.

    import qa
    qa.ingest(["seeds/"])
    print(qa.ask("How many US troops are in Agadez?").answer)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from typing_extensions import Unpack

from index.layout import ArticleInfo
from index.models import Article, IngestReport
from qa.errors import EmptyIndex, EmptyQuestion, QAError, QuestionTooLong, UnknownArticle
from qa.models import Answer, Citation
from qa.options import AskArgs
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.evidence.retrieval import Retrieval

__all__ = [
    "QA", "Answer", "Article", "ArticleInfo", "Citation", "EmptyIndex", "EmptyQuestion", "IngestReport",
    "QAError", "QuestionTooLong", "Settings", "UnknownArticle", "as_query_engine", "as_retriever", "ask", "ingest",
    "retrieve",
]

_default: Any = None


def __getattr__(name: str) -> Any:
    if name == "QA":  # imported lazily: `import qa` stays fast
        from qa.engine import QA

        return QA
    raise AttributeError(name)


def _engine(index: str | Path | None, engine: Any = None) -> Any:
    global _default
    from qa.engine import QA

    if engine is not None:
        return engine
    if index is not None:
        return QA(index)
    if _default is None:
        _default = QA()
    return _default


def ask(question: str, *, index: str | Path | None = None, **options: Unpack[AskArgs]) -> Answer:
    """Answer `question` from the index ($QA_INDEX_DIR or ./.sourced-index).

    Options, as every door takes them (`qa.options.AskOptions`): k, history, filters, answerer, as_of, use_time.
    """
    return _engine(index).ask(question, **options)


def retrieve(question: str, *, index: str | Path | None = None, **options: Unpack[AskArgs]) -> Retrieval:
    """The cited evidence for `question` and whether it answers, with no answer composed (options as `ask`;
    `QA.search`). Not named `search`: `qa.search` is the package of the derived search index."""
    return _engine(index).search(question, **options)


def ingest(paths: Sequence[str | Path], *, index: str | Path | None = None) -> IngestReport:
    """Index article files and folders."""
    return _engine(index).ingest(paths)


def as_retriever(*, k: int | None = None, filters: dict[str, Any] | None = None, as_of: Any = None,
                 use_time: bool | None = None, index: str | Path | None = None, engine: Any = None) -> Any:
    """A llama-index `BaseRetriever` whose nodes are the sentences Sourced cites (see `qa.llamaindex`).

    `engine`: a `QA` to use (default: one over `index`); `retrieve(query, sources=[...], ...)` takes the
    filters of `ask` too.
    """
    from qa.llamaindex import SourcedRetriever

    return SourcedRetriever(_engine(index, engine), k=k, filters=filters, as_of=as_of, use_time=use_time)


def as_query_engine(*, k: int | None = None, filters: dict[str, Any] | None = None, as_of: Any = None,
                    answerer: str | None = None, use_time: bool | None = None, index: str | Path | None = None,
                    engine: Any = None) -> Any:
    """A llama-index query engine: `query(q)` gives the answer text, its citations as `source_nodes`."""
    from qa.llamaindex import SourcedQueryEngine

    return SourcedQueryEngine(_engine(index, engine), k=k, filters=filters, as_of=as_of, answerer=answerer,
                              use_time=use_time)
