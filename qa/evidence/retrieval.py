"""The front door for evidence: a question in, cited sentences and whether they answer it out.

Candidates come from three lists fused by reciprocal rank: chunks nearest the question (exact
cosine over the corpus's chunk vectors), chunks by BM25, sentences by BM25. Each sentence of a candidate chunk is then scored on
features that say whether it holds the answer (`qa.evidence.features`), combined by a model learned on
SQuAD (`qa.evidence.ranker`, `qa train`). The retriever also owns what decides whether to answer at all
(the ranker's threshold, names and numbers of the question found nowhere) and the resolution of
evidence rows to citations re-checked against the stored article text.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from index.layout import Corpus
from index.models import Article
from qa import text as tx
from qa.evidence.features import Pool, Query, feature_matrix
from qa.evidence.ranker import Ranker
from qa.models import Citation
from qa.search.lexicon import Lexicon
from qa.search.terms import Vocabulary

RRF_K = 60
_CACHED_TEXTS = 256  # article texts kept for citing
_CACHED_FILTERS = 32  # vocabularies of filtered article sets kept for the key-term check


class EvidenceStore(Protocol):
    """What retrieval reads from the store besides the corpus: article texts."""

    def get_articles(self, article_ids: list[str]) -> dict[str, Article]: ...


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
class Retrieval:
    """What retrieval found for a question: cited sentences, best first, or why it cannot answer."""

    citations: list[Citation]
    answerable: bool
    reason: str = ""  # why not answerable
    timings_ms: dict[str, float] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)  # per citation: its corpus row (see `Retriever.neighbours`)


def _top(scores: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[int]:
    if allowed is not None:
        scores = np.where(allowed, scores, 0.0)
    n = min(n, len(scores))
    if n <= 0:
        return []
    idx = np.argpartition(-scores, n - 1)[:n]
    idx = idx[np.argsort(-scores[idx])]
    return [int(i) for i in idx if scores[i] > 0]


def _nearest(vectors: np.ndarray, vector: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[int]:
    """Rows of the `n` vectors nearest `vector` by cosine (exact; unit rows), best first, among the allowed."""
    scores = vectors @ vector
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    n = min(n, int(np.isfinite(scores).sum()))
    if n <= 0:
        return []
    idx = np.argpartition(-scores, n - 1)[:n]
    return [int(i) for i in idx[np.argsort(-scores[idx], kind="stable")]]


@dataclass
class Retriever:
    """Finds, scores and cites evidence sentences for a question over one corpus generation."""

    lexicon: Lexicon
    store: EvidenceStore
    ranker: Ranker
    embedder: Any
    n_candidates: int = 30
    _texts: OrderedDict[str, Article] = field(default_factory=OrderedDict, repr=False)
    _vocabularies: OrderedDict[tuple[str, ...], Vocabulary] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def corpus(self) -> Corpus:
        """The corpus searched."""
        return self.lexicon.corpus

    # --- the front door --------------------------------------------------------------

    def retrieve(self, question: str, *, query: str | None = None, k: int = 5,
                 filters: dict[str, Any] | None = None) -> Retrieval:
        """Cited evidence for `question` (searched as `query`, e.g. folded with the conversation), or why not."""
        t0 = time.perf_counter()
        query = query or question
        article_ids = self.allowed(filters)
        vector = self.embedder.encode_query(query)
        t1 = time.perf_counter()
        hits = self.search(query, vector=vector, k=k, article_ids=article_ids)
        t2 = time.perf_counter()
        only_excluding = bool(filters) and set(filters) <= {"exclude_article_ids"}  # type: ignore[arg-type]
        missing = (self.missing_key_terms(question, excluded=list(filters["exclude_article_ids"]))  # type: ignore[index]
                   if only_excluding else self.missing_key_terms(question, article_ids=article_ids))
        if not hits:
            reason = "no sentence of the articles matches the question"
        elif missing:
            reason = f"not in the articles: {', '.join(missing)}"
        elif hits[0].score < self.ranker.threshold:
            reason = "no sentence scores above the abstention threshold"
        else:
            reason = ""
        cited = self.cite(hits) if not reason else []
        if not reason and not cited:
            reason = "the evidence no longer matches the stored articles"
        timings = {"embed": (t1 - t0) * 1e3, "search": (t2 - t1) * 1e3, "decide": (time.perf_counter() - t2) * 1e3}
        return Retrieval([c for _, c in cited], not reason, reason, timings, [row for row, _ in cited])

    def neighbours(self, row: int) -> tuple[str, str]:
        """The sentences before and after a sentence row in its article ('' at either end)."""
        corpus = self.corpus
        article = corpus.sentence_article[row]
        before = corpus.sentence_text[row - 1] if row > 0 and corpus.sentence_article[row - 1] == article else ""
        after = (corpus.sentence_text[row + 1]
                 if row + 1 < len(corpus.sentence_ids) and corpus.sentence_article[row + 1] == article else "")
        return before, after

    def allowed(self, filters: dict[str, Any] | None) -> list[str] | None:
        """Article ids allowed by filters {"article_ids": [...], "sources": [...], "exclude_article_ids": [...]},
        or None for all."""
        if not filters:
            return None
        allowed = None
        if filters.get("article_ids"):
            allowed = set(filters["article_ids"])
        if filters.get("sources"):
            sources = set(filters["sources"])
            by_source = {a.id for row, a in enumerate(self.corpus.articles)
                         if (a.source in sources or a.title in sources) and self.corpus.article_row.get(a.id) == row}
            allowed = by_source if allowed is None else allowed & by_source
        if filters.get("exclude_article_ids"):
            excluded = set(filters["exclude_article_ids"])
            allowed = (set(self.corpus.article_row) if allowed is None else allowed) - excluded
        return None if allowed is None else sorted(allowed)

    def search(self, question: str, *, vector: np.ndarray | None = None, k: int = 5,
               article_ids: list[str] | None = None) -> list[Hit]:
        """The `k` best evidence sentences for a question, best first (its vector computed unless given)."""
        if vector is None:
            vector = self.embedder.encode_query(question)
        found = self.candidates(question, vector, article_ids=article_ids)
        if found is None:
            return []
        scores = self.ranker.score(found.features)
        order = np.argsort(-scores, kind="stable")[: max(k, 1)]
        return [Hit(int(found.rows[i]), float(scores[i])) for i in order]

    def missing_key_terms(self, question: str, *, article_ids: list[str] | None = None,
                          excluded: list[str] | None = None) -> list[str]:
        """Names and numbers in the question that occur nowhere in the articles (or in the allowed ones, or
        outside the `excluded` ones)."""
        if excluded:
            return self._missing_outside(question, excluded)
        vocabulary = self.lexicon.vocabulary if article_ids is None else self._vocabulary(tuple(article_ids))
        return [w for w in tx.key_terms(question) if not vocabulary.knows(tx.fold(w))]

    def _missing_outside(self, question: str, excluded: list[str]) -> list[str]:
        """Key terms found in no article but the excluded ones: what they alone hold, counted by sentence
        frequency of the term's stem (an exclusion touches only the excluded articles, not the whole corpus)."""
        lex, corpus = self.lexicon, self.corpus
        rows_out = [corpus.article_row[a] for a in excluded if a in corpus.article_row]
        rows = np.flatnonzero(np.isin(corpus.sentence_article, rows_out)) if rows_out else np.zeros(0, np.int64)
        inside = Vocabulary.of([w for r in rows for w in lex.sentence_words[r]])
        missing = []
        for w in tx.key_terms(question):
            word = tx.fold(w)
            if not lex.vocabulary.knows(word):
                missing.append(w)
            elif inside.knows(word):
                stem = tx.stem(word)
                held = sum(stem in lex.sentence_term_sets[r] for r in rows)
                if lex.bm25.df(stem) <= held:  # every sentence with it is excluded (or only a variant matched)
                    missing.append(w)
        return missing

    def _vocabulary(self, article_ids: tuple[str, ...]) -> Vocabulary:
        with self._lock:
            hit = self._vocabularies.get(article_ids)
        if hit is not None:
            return hit
        lex, corpus = self.lexicon, self.corpus
        allowed = {corpus.article_row[a] for a in article_ids if a in corpus.article_row}
        rows = np.flatnonzero(np.isin(corpus.sentence_article, list(allowed)))
        vocabulary = Vocabulary.of([w for r in rows for w in lex.sentence_words[r]]
                                   + [w for a in allowed for w in tx.words(corpus.articles[a].title)])
        with self._lock:
            self._vocabularies[article_ids] = vocabulary
            while len(self._vocabularies) > _CACHED_FILTERS:
                self._vocabularies.popitem(last=False)
        return vocabulary

    # --- citations ---------------------------------------------------------------------

    def cite(self, hits: list[Hit]) -> list[tuple[int, Citation]]:
        """Hits as (row, numbered citation), each re-checked against the stored article text (others dropped)."""
        corpus = self.corpus
        ids = [corpus.articles[corpus.sentence_article[h.row]].id for h in hits]
        texts = self.texts(ids)
        out: list[tuple[int, Citation]] = []
        for h, aid in zip(hits, ids):
            art = texts.get(aid)
            start, end = int(corpus.sentence_start[h.row]), int(corpus.sentence_end[h.row])
            sentence = corpus.sentence_text[h.row]
            if art is None or art.text[start:end] != sentence:
                continue  # the store changed under us or is damaged: never cite what isn't there
            info = corpus.articles[corpus.article_row[aid]]
            out.append((h.row, Citation(
                n=len(out) + 1, key=corpus.sentence_key(h.row), article_id=aid, title=info.title,
                source=info.source, sentence=sentence, start=start, end=end, score=round(h.score, 4),
                url=info.url, published_at=info.published_at,
            )))
        return out

    def texts(self, article_ids: list[str]) -> dict[str, Article]:
        """Stored texts of these articles (of this generation), cached."""
        out: dict[str, Article] = {}
        with self._lock:
            for aid in dict.fromkeys(article_ids):
                if aid in self._texts:
                    out[aid] = self._texts[aid]
                    self._texts.move_to_end(aid)
        missing = [aid for aid in dict.fromkeys(article_ids) if aid not in out]
        if missing:
            fetched = self.store.get_articles(missing)
            with self._lock:
                for aid, art in fetched.items():
                    self._texts[aid] = out[aid] = art
                while len(self._texts) > _CACHED_TEXTS:
                    self._texts.popitem(last=False)
        return out

    # --- candidates ----------------------------------------------------------------------

    def candidates(self, question: str, vector: np.ndarray, *,
                   article_ids: list[str] | None = None) -> Candidates | None:
        """Candidate sentences of a question and their features (None when there are none)."""
        corpus, lex = self.corpus, self.lexicon
        if corpus.empty or not len(corpus.sentence_ids):
            return None
        allowed_articles = corpus.article_live  # None when every article row is live
        if article_ids is not None:
            allowed_articles = np.zeros(len(corpus.articles), dtype=bool)
            for aid in article_ids:
                if aid in corpus.article_row:
                    allowed_articles[corpus.article_row[aid]] = True
            if not allowed_articles.any():
                return None
        q = Query.of(question, lex)
        n = self.n_candidates

        # 1. candidate lists: dense chunks (exact cosine), BM25 chunks, BM25 sentences (zero where not live)
        dense_chunks = _nearest(corpus.chunk_vectors, vector, n,
                                allowed_articles[corpus.chunk_article] if allowed_articles is not None else None)
        sent_bm, chunk_bm, art_bm = lex.bm25.scores(q.terms)
        filtered = allowed_articles if article_ids is not None else None  # BM25 is already zero where not live
        chunk_ok = filtered[corpus.chunk_article] if filtered is not None else None
        sent_ok = filtered[corpus.sentence_article] if filtered is not None else None
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
            return None
        rows = np.fromiter(sentence_rrf.keys(), dtype=np.int64)
        pool = Pool(lex, rows, vector, sentence_rrf, article_rrf, sent_bm, chunk_bm, art_bm)
        return Candidates(rows, feature_matrix(q, pool))
