"""Hybrid retrieval: dense (Chroma) + BM25 (bm25s) candidates, fused, then every candidate sentence scored.

Candidates come from three lists fused by reciprocal rank: chunks nearest the question in
Chroma, chunks by BM25, sentences by BM25. Each sentence of a candidate chunk is then scored
on features that say whether it holds the answer (dense and lexical match of the sentence
and its context, the answer type the question wants, its article's fused rank), combined by
a linear model (`qa/ranker.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from index.store import Corpus
from qa import text as tx
from qa.ranker import FEATURES, Ranker

RRF_K = 60


class DenseSearch(Protocol):
    """Nearest chunks to a vector, as (chroma id, cosine); what `Store.query` gives."""

    def query(self, which: str, vector: np.ndarray, n: int,
              article_ids: list[str] | None = None) -> list[tuple[str, float]]: ...


@dataclass
class Lexicon:
    """Lexical indexes over one corpus generation."""

    corpus: Corpus
    sentence_terms: list[list[str]]
    sentence_term_sets: list[frozenset[str]]
    idf: dict[str, float]
    raw_words: frozenset[str]
    bm25_sentences: Any
    bm25_chunks: Any
    sentence_len: np.ndarray
    avg_len: float

    def idf_of(self, term: str) -> float:
        """IDF of a stemmed term over sentences (unknown terms get the largest)."""
        return self.idf.get(term, self.max_idf)

    def __post_init__(self) -> None:
        self.max_idf = max(self.idf.values(), default=1.0)


def build_lexicon(corpus: Corpus) -> Lexicon:
    """Tokenise every sentence and chunk once and build the BM25 indexes."""
    import bm25s

    sentence_terms = [tx.terms(t) for t in corpus.sentence_text]
    term_sets = [frozenset(t) for t in sentence_terms]
    n = max(len(sentence_terms), 1)
    df: dict[str, int] = {}
    for s in term_sets:
        for t in s:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
    raw: set[str] = set()
    for t in corpus.sentence_text:
        raw.update(tx.words(t))
    for a in corpus.articles:
        raw.update(tx.words(a.title))

    def index(docs: list[list[str]]) -> Any:
        if not docs:
            return None
        bm = bm25s.BM25()
        bm.index([d or [""] for d in docs], show_progress=False)
        return bm

    chunk_terms = [
        [t for row in range(int(f), int(l) + 1) for t in sentence_terms[row]]
        for f, l in zip(corpus.chunk_first, corpus.chunk_last)
    ]
    lengths = np.asarray([len(t) for t in sentence_terms], dtype=np.float32)
    return Lexicon(
        corpus=corpus,
        sentence_terms=sentence_terms,
        sentence_term_sets=term_sets,
        idf=idf,
        raw_words=frozenset(raw),
        bm25_sentences=index(sentence_terms),
        bm25_chunks=index(chunk_terms),
        sentence_len=lengths,
        avg_len=float(lengths.mean()) if len(lengths) else 1.0,
    )


@dataclass(frozen=True)
class Evidence:
    """A scored candidate sentence (a row of the corpus)."""

    row: int
    score: float
    features: dict[str, float] = field(default_factory=dict)


def _top(scores: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[int]:
    if allowed is not None:
        scores = np.where(allowed, scores, 0.0)
    n = min(n, len(scores))
    if n <= 0:
        return []
    idx = np.argpartition(-scores, n - 1)[:n]
    idx = idx[np.argsort(-scores[idx])]
    return [int(i) for i in idx if scores[i] > 0]


@dataclass
class Retriever:
    """Finds and scores evidence sentences for a question over one corpus generation."""

    lexicon: Lexicon
    dense: DenseSearch
    ranker: Ranker
    n_candidates: int = 30

    @property
    def corpus(self) -> Corpus:
        """The corpus searched."""
        return self.lexicon.corpus

    def missing_key_terms(self, question: str) -> list[str]:
        """Names and numbers in the question that occur nowhere in the articles."""
        return [w for w in tx.key_terms(question) if w not in self.lexicon.raw_words]

    def search(self, question: str, vector: np.ndarray, *, k: int = 5,
               article_ids: list[str] | None = None) -> list[Evidence]:
        """The `k` best evidence sentences for a question, best first."""
        corpus, lex = self.corpus, self.lexicon
        if corpus.empty or not len(corpus.sentence_ids):
            return []
        allowed_articles = None
        if article_ids is not None:
            allowed_articles = np.zeros(len(corpus.articles), dtype=bool)
            for aid in article_ids:
                if aid in corpus.article_row:
                    allowed_articles[corpus.article_row[aid]] = True
            if not allowed_articles.any():
                return []
        q_terms = list(dict.fromkeys(tx.terms(question)))
        n = self.n_candidates

        # 1. candidate lists: dense chunks (Chroma), BM25 chunks, BM25 sentences
        dense_hits = self.dense.query("chunks", vector, n, article_ids=article_ids)
        dense_chunks = [corpus.chunk_row[c] for c, _ in dense_hits if c in corpus.chunk_row]
        bm_chunks: list[int] = []
        bm_sents: list[int] = []
        chunk_bm = np.zeros(len(corpus.chunk_ids), np.float32)
        sent_bm = np.zeros(len(corpus.sentence_ids), np.float32)
        if q_terms and lex.bm25_chunks is not None:
            chunk_bm = np.asarray(lex.bm25_chunks.get_scores(q_terms), np.float32)
            sent_bm = np.asarray(lex.bm25_sentences.get_scores(q_terms), np.float32)
            chunk_ok = allowed_articles[corpus.chunk_article] if allowed_articles is not None else None
            sent_ok = allowed_articles[corpus.sentence_article] if allowed_articles is not None else None
            bm_chunks = _top(chunk_bm, n, chunk_ok)
            bm_sents = _top(sent_bm, n, sent_ok)

        # 2. fuse by reciprocal rank, per article and per sentence
        article_rrf: dict[int, float] = {}
        sentence_rrf: dict[int, float] = {}
        for ranked in (dense_chunks, bm_chunks):
            for rank, c in enumerate(ranked):
                a = int(corpus.chunk_article[c])
                article_rrf[a] = article_rrf.get(a, 0.0) + 1.0 / (RRF_K + rank)
                for row in range(int(corpus.chunk_first[c]), int(corpus.chunk_last[c]) + 1):
                    sentence_rrf[row] = sentence_rrf.get(row, 0.0) + 1.0 / (RRF_K + rank)
        for rank, row in enumerate(bm_sents):
            a = int(corpus.sentence_article[row])
            article_rrf[a] = article_rrf.get(a, 0.0) + 0.5 / (RRF_K + rank)
            sentence_rrf[row] = sentence_rrf.get(row, 0.0) + 1.0 / (RRF_K + rank)
        if not sentence_rrf:
            return []
        rows = np.fromiter(sentence_rrf.keys(), dtype=np.int64)

        # 3. features of every candidate sentence
        feats = self._features(question, q_terms, vector, rows, sentence_rrf, article_rrf, sent_bm, chunk_bm)
        scores = self.ranker.score(feats)
        order = np.argsort(-scores)[: max(k, 1)]
        return [
            Evidence(int(rows[i]), float(scores[i]), {name: float(feats[i, j]) for j, name in enumerate(FEATURES)})
            for i in order
        ]

    def _features(self, question: str, q_terms: list[str], vector: np.ndarray, rows: np.ndarray,
                  sentence_rrf: dict[int, float], article_rrf: dict[int, float],
                  sent_bm: np.ndarray, chunk_bm: np.ndarray) -> np.ndarray:
        corpus, lex = self.corpus, self.lexicon
        qtype = tx.question_type(question)
        q_idf = np.asarray([lex.idf_of(t) for t in q_terms], np.float32)
        q_mass = float(q_idf.sum()) or 1.0
        q_set = frozenset(q_terms)
        dense_s = corpus.sentence_vectors[rows] @ vector
        # dense score of the neighbourhood (previous, this, next sentence of the same article)
        art = corpus.sentence_article
        n_sent = len(corpus.sentence_ids)
        prev_rows = np.clip(rows - 1, 0, n_sent - 1)
        next_rows = np.clip(rows + 1, 0, n_sent - 1)
        same_prev = (rows > 0) & (art[prev_rows] == art[rows])
        same_next = (rows + 1 < n_sent) & (art[next_rows] == art[rows])
        ctx_vec = corpus.sentence_vectors[rows] + np.where(same_prev[:, None], corpus.sentence_vectors[prev_rows], 0) \
            + np.where(same_next[:, None], corpus.sentence_vectors[next_rows], 0)
        ctx_vec /= np.maximum(np.linalg.norm(ctx_vec, axis=1, keepdims=True), 1e-9)
        dense_ctx = ctx_vec @ vector
        best_rrf = max(article_rrf.values()) if article_rrf else 1.0
        best_srrf = max(sentence_rrf.values())
        bm_s = sent_bm[rows]
        bm_s_max = float(bm_s.max()) or 1.0
        out = np.zeros((len(rows), len(FEATURES)), np.float32)
        for i, row in enumerate(rows):
            row = int(row)
            terms = lex.sentence_term_sets[row]
            ctx_terms = set(terms)
            if same_prev[i]:
                ctx_terms |= lex.sentence_term_sets[row - 1]
            if same_next[i]:
                ctx_terms |= lex.sentence_term_sets[row + 1]
            overlap = sum(w for t, w in zip(q_terms, q_idf) if t in terms) / q_mass
            ctx_overlap = sum(w for t, w in zip(q_terms, q_idf) if t in ctx_terms) / q_mass
            novel = len(terms - q_set) / max(len(terms), 1)
            text = corpus.sentence_text[row]
            typed = 1.0 if qtype != "other" and tx.has_type(_strip_question_words(text, q_set), qtype) else 0.0
            a = int(art[row])
            out[i] = (
                dense_s[i],
                dense_ctx[i],
                bm_s[i] / bm_s_max,
                overlap,
                ctx_overlap,
                article_rrf.get(a, 0.0) / best_rrf,
                sentence_rrf.get(row, 0.0) / best_srrf,
                typed,
                novel,
                math.log1p(float(lex.sentence_len[row])),
            )
        return out


def _strip_question_words(text: str, q_terms: frozenset[str]) -> str:
    """The sentence without the words the question already has (an answer is something new)."""
    return " ".join(w for w in text.split() if tx.stem(w.strip(".,;:!?\"'“”’()").lower()) not in q_terms)
