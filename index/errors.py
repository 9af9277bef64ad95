"""Named errors of ingestion and the store; each docstring is its message."""


class IndexError_(Exception):
    """The index could not be used."""


class ModelMismatch(IndexError_):
    """The index was built with another embedding model; use that model or a new index directory."""


class IndexBusy(IndexError_):
    """Another process is writing to this index; try again when it has finished."""


class UnknownArticle(IndexError_):
    """No article with that id is in the index."""


class StoreUnavailable(IndexError_):
    """The Chroma store could not be reached."""


class UnsupportedEncoder(IndexError_):
    """This model cannot run on the chosen encoder; pick another encoder."""
