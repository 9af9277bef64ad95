"""How articles, sentences and chunks lie in Chroma, and what reading them gives back.

Ids (a sentence or chunk id names its article's content hash), the one "index a b" span field of
their metadata, and the shapes readers get: `ArticleInfo`, `ArticleParts`, `Corpus`, `Problem`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Protocol, TypeVar

import numpy as np

PREFIX = "sourced"

T_co = TypeVar("T_co", covariant=True)


class Rows(Protocol[T_co]):
    """Values by row: a list, or a view that reads them from stored segments when asked."""

    def __len__(self) -> int: ...

    def __getitem__(self, row: int, /) -> T_co: ...

    def __iter__(self) -> Iterator[T_co]: ...


class VectorRows(Protocol):
    """A matrix of row vectors: an array, or stored blocks read as one (`m[rows]`, `m @ v`, `len(m)`)."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __len__(self) -> int: ...

    def __getitem__(self, rows: Any, /) -> Any: ...

    def __matmul__(self, vector: np.ndarray, /) -> Any: ...


@dataclass(frozen=True)
class ArticleInfo:
    """An indexed article without its text."""

    id: str
    title: str
    source: str
    url: str
    published_at: str
    content_hash: str
    n_sentences: int
    n_chunks: int
    n_chars: int
    story: str = ""  # the story cluster: the id of the first article of it indexed ('' for one of its own)
    original: bool = False  # marked as the wire original of its story

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


NOTE, PROBLEM = "note", "problem"


@dataclass(frozen=True)
class Problem:
    """One thing `Store.check` (or the derived indexes' check) found.

    `kind` is "leftover" (parts of no committed article: invisible, they only take space),
    "incomplete" (a committed article misses sentences or chunks), "offsets" (a stored
    sentence is not at its offsets in the article text) or "derived" (a derived index file to
    rebuild). `visible` says whether readers see it. `severity` is PROBLEM when readers could
    see something wrong or something is lost (`qa check` exits 1), NOTE when neither (exit 0):
    leftovers of an interrupted write, which the next ingest or `--repair` removes.
    """

    kind: str
    message: str
    article_id: str = ""
    visible: bool = True
    severity: str = PROBLEM

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass
class Corpus:
    """Everything retrieval needs in memory, read from the store at one generation."""

    generation: str
    articles: list[ArticleInfo] = field(default_factory=list)
    sentence_ids: Rows[str] = field(default_factory=list)
    sentence_article: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    sentence_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    sentence_start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sentence_end: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sentence_text: Rows[str] = field(default_factory=list)
    sentence_vectors: VectorRows = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    chunk_ids: Rows[str] = field(default_factory=list)
    chunk_article: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    chunk_first: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # sentence rows
    chunk_last: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    chunk_vectors: VectorRows = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    article_live: np.ndarray | None = None  # False for rows of removed or replaced articles kept in place

    def __post_init__(self) -> None:
        live = self.article_live
        self.article_row = {a.id: i for i, a in enumerate(self.articles) if live is None or live[i]}

    @property
    def empty(self) -> bool:
        """True when nothing is indexed."""
        return not self.article_row

    def sentence_key(self, row: int) -> str:
        """Public citation key of a sentence row: `article_id:index`."""
        return f"{self.articles[self.sentence_article[row]].id}:{int(self.sentence_index[row])}"


@dataclass(frozen=True)
class ArticleParts:
    """One committed article as stored: its record, text, sentences and chunks with their vectors."""

    info: ArticleInfo
    text: str
    sentences: np.ndarray  # (n, 3): index, start, end
    sentence_vectors: np.ndarray
    chunks: np.ndarray  # (m, 3): index, first sentence index, last sentence index
    chunk_vectors: np.ndarray


def matrix(rows: list[Any]) -> np.ndarray:
    if not rows:
        return np.zeros((0, 0), np.float32)
    return np.asarray(np.stack([np.asarray(v, dtype=np.float32) for v in rows]), dtype=np.float32)


def sentence_id(article_id: str, version: str, index: int) -> str:
    """Chroma id of a sentence of one version of an article."""
    return f"{article_id}.{version}.s{index}"


def chunk_id(article_id: str, version: str, index: int) -> str:
    """Chroma id of a chunk of one version of an article."""
    return f"{article_id}.{version}.c{index}"


def span(meta: dict[str, Any], low: str, high: str) -> tuple[int, int, int]:
    """(index, start, end) of a sentence or (index, first, last) of a chunk; (-1, -1, -1) if unreadable.

    One "index a b" field, not three: Chroma keeps a row per metadata key, and three keys fewer
    make a sentence's write about 40% cheaper. Stores written before that have the three keys.
    """
    try:
        if "span" in meta:
            index, a, b = (int(x) for x in str(meta["span"]).split())
            return index, a, b
        return int(meta["index"]), int(meta[low]), int(meta[high])
    except (KeyError, TypeError, ValueError):
        return -1, -1, -1


def stacked(blocks: list[np.ndarray], dim: int) -> np.ndarray:
    """Stack per-article vector blocks into one float32 matrix."""
    blocks = [b for b in blocks if b.ndim == 2 and b.shape[0]]
    return np.concatenate(blocks).astype(np.float32) if blocks else np.zeros((0, dim), np.float32)
