"""Candidate sentences: a question, its vector and the article rows allowed in, the sentences worth scoring out,
with their feature rows. Three lists (chunks nearest by cosine, chunks by BM25, sentences by BM25), each
filtered before it takes its top rows, fused by reciprocal rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.layout import VectorRows
from qa.evidence.features import Pool, Query, feature_matrix
from qa.search.lexicon import Lexicon

RRF_K = 60


@dataclass(frozen=True)
class Hit:
    """A scored candidate sentence (a row of the corpus)."""

    row: int
    score: float


@dataclass(frozen=True)
class Candidates:
    """Every candidate sentence of one question with its feature row."""

    rows: np.ndarray
    features: np.ndarray


@dataclass(frozen=True)
class Lists:
    """The three ranked lists fusion reads, and the BM25 scores of every sentence, chunk and article."""

    dense_chunks: list[int]
    bm25_chunks: list[int]
    bm25_sentences: list[int]
    sentence_bm25: np.ndarray
    chunk_bm25: np.ndarray
    article_bm25: np.ndarray


def candidates(lex: Lexicon, question: str, vector: np.ndarray, *, n: int,
               allowed: np.ndarray | None = None) -> Candidates | None:
    """Candidate sentences of a question and their features (None when there are none).

    A filter (`allowed` article rows) applies before each list takes its top `n` rows, so a narrow filter
    still gets its full share of candidates."""
    corpus = lex.corpus
    if corpus.empty or not len(corpus.sentence_ids):
        return None
    if allowed is not None and not allowed.any():
        return None
    q = Query.of(question, lex)
    lists = ranked_lists(lex, q, vector, n, allowed)
    sentence_rrf, article_rrf = fuse(lex, lists)
    if not sentence_rrf:
        return None
    rows = np.fromiter(sentence_rrf.keys(), dtype=np.int64)
    pool = Pool(lex, rows, vector, sentence_rrf, article_rrf, lists.sentence_bm25, lists.chunk_bm25,
                lists.article_bm25)
    return Candidates(rows, feature_matrix(q, pool))


def ranked_lists(lex: Lexicon, q: Query, vector: np.ndarray, n: int, allowed: np.ndarray | None) -> Lists:
    """Dense chunks (exact cosine), BM25 chunks, BM25 sentences: the top `n` of each among the allowed article
    rows, or the live ones (BM25 is already zero where not live, so it is masked only by a filter)."""
    corpus = lex.corpus
    within = allowed if allowed is not None else corpus.article_live  # None when every article row is live
    dense_chunks = _nearest(corpus.chunk_vectors, vector, n,
                            within[corpus.chunk_article] if within is not None else None)
    sent_bm, chunk_bm, art_bm = lex.bm25.scores(q.terms)
    chunk_ok = allowed[corpus.chunk_article] if allowed is not None else None
    sent_ok = allowed[corpus.sentence_article] if allowed is not None else None
    return Lists(dense_chunks, _top(chunk_bm, n, chunk_ok), _top(sent_bm, n, sent_ok), sent_bm, chunk_bm, art_bm)


def fuse(lex: Lexicon, lists: Lists) -> tuple[dict[int, float], dict[int, float]]:
    """Reciprocal-rank fusion of the lists: (per sentence row, per article row); a chunk counts for each of its
    sentences and its article, a BM25 sentence for itself and half for its article."""
    corpus = lex.corpus
    article_rrf: dict[int, float] = {}
    sentence_rrf: dict[int, float] = {}
    for ranked in (lists.dense_chunks, lists.bm25_chunks):
        for rank, c in enumerate(ranked):
            a = int(corpus.chunk_article[c])
            article_rrf[a] = article_rrf.get(a, 0.0) + 1.0 / (RRF_K + rank)
            for row in range(int(corpus.chunk_first[c]), int(corpus.chunk_last[c]) + 1):
                sentence_rrf[row] = sentence_rrf.get(row, 0.0) + 1.0 / (RRF_K + rank)
    for rank, row in enumerate(lists.bm25_sentences):
        a = int(corpus.sentence_article[row])
        article_rrf[a] = article_rrf.get(a, 0.0) + 0.5 / (RRF_K + rank)
        sentence_rrf[row] = sentence_rrf.get(row, 0.0) + 1.0 / (RRF_K + rank)
    return sentence_rrf, article_rrf


def _top(scores: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[int]:
    """Rows of the `n` highest positive scores, best first, among the allowed."""
    if allowed is not None:
        scores = np.where(allowed, scores, 0.0)
    n = min(n, len(scores))
    if n <= 0:
        return []
    idx = np.argpartition(-scores, n - 1)[:n]
    idx = idx[np.argsort(-scores[idx])]
    return [int(i) for i in idx if scores[i] > 0]


def _nearest(vectors: VectorRows, vector: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[int]:
    """Rows of the `n` vectors nearest `vector` by cosine (exact; unit rows), best first, among the allowed."""
    scores = vectors @ vector
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    n = min(n, int(np.isfinite(scores).sum()))
    if n <= 0:
        return []
    idx = np.argpartition(-scores, n - 1)[:n]
    return [int(i) for i in idx[np.argsort(-scores[idx], kind="stable")]]
