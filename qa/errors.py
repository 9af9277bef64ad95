"""Named errors of the question-answering layer; each docstring is its message."""

from index.errors import IndexBusy, IndexError_, ModelMismatch, StoreUnavailable, UnknownArticle


class QAError(Exception):
    """The question could not be answered."""


class EmptyQuestion(QAError):
    """The question is empty; ask something."""


class QuestionTooLong(QAError):
    """The question is too long."""


class EmptyIndex(QAError):
    """The index holds no articles yet: run `qa ingest seeds/` (or any folder of articles) first."""


__all__ = [
    "EmptyIndex", "EmptyQuestion", "IndexBusy", "IndexError_", "ModelMismatch", "QAError",
    "QuestionTooLong", "StoreUnavailable", "UnknownArticle",
]
