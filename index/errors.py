"""One tree of named errors for both packages; each docstring is its default message."""


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
