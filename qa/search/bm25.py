"""BM25 of sentences, chunks and articles from postings stored per segment, summed over segments.

The same scores bm25s's default ("lucene") gives for the three indexes retrieval used to build at
every start-up: idf = log(1 + (N - df + 0.5) / (df + 0.5)), tf / (tf + k1 * (1 - b + b * len /
avg_len)), an empty document counting length 1. A chunk's terms are its sentences', an article's
likewise; each segment stores postings at all three levels for its own rows, so a commit only
adds its own segment. Statistics (N, df, average length) count live rows only: a removed or
replaced article's rows stay on disk until the segments are rebuilt, but count nowhere.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from qa.search.segments import Segment

K1, B = 1.5, 0.75
_CACHED_TERMS = 4096
_EMPTY = (np.zeros(0, np.int64), np.zeros(0, np.float32))


@dataclass
class Level:
    """One kind of document (sentences, chunks or articles): where each segment's rows start, their
    lengths, which are live, and the name of their postings in a segment."""

    postings: str
    offsets: np.ndarray  # first global row of each segment
    lengths: np.ndarray  # tokens per document, at least 1
    live: np.ndarray  # bool

    def __post_init__(self) -> None:
        self.n = int(self.live.sum())
        self.avg = float(self.lengths[self.live].mean()) if self.n else 1.0


@dataclass
class BM25:
    """BM25 over the live rows of a set of segments (global row numbers)."""

    segments: list["Segment"]
    sentences: Level
    chunks: Level
    articles: Level
    _cache: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=OrderedDict,
                                                                                repr=False)

    def postings(self, term: str, level: Level) -> tuple[np.ndarray, np.ndarray]:
        """Live global rows of a level holding a term, and its frequency in each (cached per term)."""
        key = (level.postings, term)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        rows, tfs = [], []
        for offset, segment in zip(level.offsets.tolist(), self.segments):
            r, tf = segment.postings(term, level.postings)
            if len(r):
                rows.append(r.astype(np.int64) + offset)
                tfs.append(tf)
        found = _EMPTY
        if rows:
            r, tf = np.concatenate(rows), np.concatenate(tfs)
            keep = level.live[r]
            found = (r, tf) if keep.all() else (r[keep], tf[keep])
        self._cache[key] = found
        while len(self._cache) > _CACHED_TERMS:
            self._cache.popitem(last=False)
        return found

    def df(self, term: str) -> int:
        """Live sentences holding a term."""
        return len(self.postings(term, self.sentences)[0])

    def scores(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """BM25 of every sentence, chunk and article for a query's terms (zero where a row is not live)."""
        out = []
        for level in (self.sentences, self.chunks, self.articles):
            scores = np.zeros(len(level.lengths), np.float32)
            for term in terms:
                rows, tf = self.postings(term, level)
                if len(rows):
                    weight = np.float32(idf(len(rows), level.n))
                    tf64 = tf.astype(np.float64)
                    tfc = tf64 / (K1 * ((1 - B) + B * level.lengths[rows] / level.avg) + tf64)
                    scores[rows] += (weight * tfc).astype(np.float32)  # float32 per document and term, as bm25s
            out.append(scores)
        return out[0], out[1], out[2]


def idf(df: int, n: int) -> float:
    """Lucene's BM25 IDF."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))
