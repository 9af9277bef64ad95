"""Every named error of Sourced, under the one root `SourcedError`; each docstring is its default message.

Catch `SourcedError` for any failure the library names. The tree (a class's module in brackets when it is
not this one or `index.errors`, whose errors are re-exported here):

    SourcedError
      StoreError                     the index could not be used
        ModelMismatch
        IndexBusy
        UnknownArticle
        StoreUnavailable
        UnsupportedEncoder
        OutOfResources
      QAError                        the question could not be answered
        EmptyQuestion
        InvalidQuestion
        QuestionTooLong
        UnknownAnswerer
        InvalidFilter
        EmptyIndex
      BadDate                        [index.dates] also a ValueError; becomes InvalidFilter or a load problem
      FileProblem                    [index.records] also a ValueError; becomes a load problem
      DamagedSegment                 [qa.search.segments] a derived index file is rebuilt
      LLMFailed                      [qa.answers.generate] the engine answers extractively instead

The last four live beside the code that raises them and are caught there or one layer up (only a segment
damaged while it is being written reaches a caller, as DamagedSegment). Outside the tree on purpose:
`ApiError` [qa.shells.http_errors], the HTTP shell's own refusal carrying its status, which the /v1 routes
tell apart from a `SourcedError`; `BodyTooLarge` [qa.shells.guard], the guard's signal to itself that a request
body passed its limit (answered 413 before any route sees it).
"""

from index.errors import (
    IndexBusy,
    ModelMismatch,
    OutOfResources,
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
    "EmptyIndex", "EmptyQuestion", "IndexBusy", "InvalidFilter", "InvalidQuestion", "ModelMismatch", "OutOfResources", "QAError", "QuestionTooLong",
    "SourcedError", "StoreError", "StoreUnavailable", "UnknownAnswerer", "UnknownArticle", "UnsupportedEncoder",
]
