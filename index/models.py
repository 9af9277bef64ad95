"""Frozen records that travel between ingestion, the store and retrieval."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Article:
    """One news article: its text is what every offset points into."""

    id: str
    title: str
    text: str
    source: str
    url: str = ""
    published_at: str = ""
    content_hash: str = ""
    original: bool = False  # marked as the wire original of a story its copies reprint
    # where it was read from, for naming it in problems; neither compared nor stored
    path: str = field(default="", compare=False, repr=False)
    line: int | None = field(default=None, compare=False, repr=False)  # JSONL line or JSON list item
    date_problem: str = field(default="", compare=False, repr=False)  # the given date could not be read


@dataclass(frozen=True)
class Sentence:
    """A sentence at `article.text[start:end]`."""

    article_id: str
    index: int
    start: int
    end: int
    text: str

    @property
    def key(self) -> str:
        """Stable citation key, e.g. `3f2a9c:7`."""
        return f"{self.article_id}:{self.index}"


@dataclass(frozen=True)
class Chunk:
    """A run of consecutive sentences of one article, embedded as one vector."""

    article_id: str
    index: int
    first_sentence: int
    last_sentence: int  # inclusive
    text: str

    @property
    def sentence_indexes(self) -> range:
        """Indexes of the sentences this chunk holds."""
        return range(self.first_sentence, self.last_sentence + 1)

    @property
    def sentence_keys(self) -> list[str]:
        """Citation keys of the sentences this chunk holds."""
        return [f"{self.article_id}:{i}" for i in self.sentence_indexes]


@dataclass(frozen=True)
class LoadProblem:
    """An input that could not become an article (an "error"), or a fault of one that is indexed all the same
    (a "warning": an unreadable date, say), with where it came from."""

    path: str
    message: str
    line: int | None = None  # JSONL line or JSON list item
    article_id: str | None = None  # the id the input gives the article, when known
    severity: str = "error"  # "error": not indexed; "warning": indexed, with the fault the message names

    @property
    def failed(self) -> bool:
        """True when the input was not indexed."""
        return self.severity != "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        if self.article_id:
            where += f" (id {self.article_id})"
        return f"{where}: {self.message}"


@dataclass
class IngestReport:
    """What one ingest call did (filled in as it goes).

    Every record read (an archive's line or item; any other file is one) ends as exactly one of added,
    replaced, unchanged or failed, so they add up to `records` unless the run was interrupted.
    Warnings are counted apart: their articles are indexed.
    """

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)  # of those written, the ones that joined an indexed story
    problems: list[LoadProblem] = field(default_factory=list)  # failures and warnings, in the order found
    records: int = 0  # records (and files that are not archives) read
    warned: int = 0  # how many of `problems` are warnings, counted as they arrive (for progress bars)
    sentences: int = 0
    chunks: int = 0
    interrupted: bool = False  # stopped by Ctrl+C at a batch boundary: what was written is whole
    committed_at: float = 0.0  # Unix time of the last commit (0 when nothing was written)

    @property
    def failures(self) -> list[LoadProblem]:
        """The problems of records that were not indexed."""
        return [p for p in self.problems if p.failed]

    @property
    def warnings(self) -> list[LoadProblem]:
        """The problems of records indexed all the same."""
        return [p for p in self.problems if not p.failed]

    @property
    def ok(self) -> bool:
        """True when every record was indexed (warnings or not) and the run was not interrupted."""
        return not self.failures and not self.interrupted

    def counts(self) -> dict[str, int]:
        """Records read, and what became of them; warnings apart."""
        return {"records": self.records, "added": len(self.added), "replaced": len(self.replaced),
                "unchanged": len(self.unchanged), "failed": len(self.failures), "warnings": len(self.warnings)}

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form: `problems` are the failures, `warnings` the faults of indexed articles."""
        return {"counts": self.counts(), "added": self.added, "replaced": self.replaced, "unchanged": self.unchanged,
                "copies": self.copies, "problems": [str(p) for p in self.failures],
                "warnings": [str(p) for p in self.warnings], "sentences": self.sentences, "chunks": self.chunks,
                "interrupted": self.interrupted, "committed_at": self.committed_at}
