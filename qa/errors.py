"""Named errors of the question-answering layer, under the one root `SourcedError`; each docstring is its message."""

from index.errors import (
    IndexBusy,
    ModelMismatch,
    SourcedError,
    StoreError,
    StoreUnavailable,
    UnknownArticle,
    UnsupportedEncoder,
)


class QAError(SourcedError):
    """The question could not be answered."""


class EmptyQuestion(QAError):
    """The question is empty; ask something."""


class InvalidQuestion(QAError):
    """The question holds characters that are not valid text (lone surrogates)."""


class QuestionTooLong(QAError):
    """The question is too long."""


class UnknownAnswerer(QAError):
    """The answerer must be one of: auto, extractive, llm."""


class InvalidFilter(QAError):
    """A filter is not of the form expected."""


class EmptyIndex(QAError):
    """The index holds no articles yet: run `qa ingest seeds/` (or any folder of articles) first."""


__all__ = [
    "EmptyIndex", "EmptyQuestion", "IndexBusy", "InvalidFilter", "InvalidQuestion", "ModelMismatch", "QAError", "QuestionTooLong",
    "SourcedError", "StoreError", "StoreUnavailable", "UnknownAnswerer", "UnknownArticle", "UnsupportedEncoder",
]
