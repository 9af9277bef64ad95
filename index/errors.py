"""The root of the one tree of named errors, and the index's own; each docstring is its default message.

    SourcedError
      StoreError
        ModelMismatch, IndexBusy, UnknownArticle, StoreUnavailable, UnsupportedEncoder, OutOfResources
      BadDate                        [index.dates] also a ValueError
      FileProblem                    [index.records] also a ValueError

`qa.errors` draws the whole tree, with the errors of the question-answering layer.
"""

import errno

OUT_OF_FILES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM})  # errnos of a process or machine out of room


class SourcedError(Exception):
    """Something went wrong."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or type(self).__name__).strip())


class StoreError(SourcedError):
    """The index could not be used."""


class ModelMismatch(StoreError):
    """The index was built with another embedding model; use that model or a new index directory."""


class IndexBusy(StoreError):
    """Another process is writing to this index; try again when it has finished."""


class UnknownArticle(StoreError):
    """No article with that id is in the index."""


class StoreUnavailable(StoreError):
    """The Chroma store could not be reached."""


class UnsupportedEncoder(StoreError):
    """This model cannot run on the chosen encoder; pick another encoder."""


class OutOfResources(StoreError):
    """The server ran out of open files or memory; it recovers by itself once some are free again."""
