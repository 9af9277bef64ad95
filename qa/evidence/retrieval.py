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
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Protocol, Sequence

import numpy as np

from index.layout import Corpus
from index.models import Article
from qa import text as tx
from qa.dates import resolve_mentions
from qa.evidence.features import Pool, Query, feature_matrix
from qa.evidence.filters import check_filters, publication_times
from qa.evidence.ranker import Ranker
from qa.evidence.recency import Recency
from qa.evidence.stories import Stories
from qa.models import Citation
from qa.search.lexicon import Lexicon
from qa.search.terms import Vocabulary, one_edit

RRF_K = 60
_CACHED_TEXTS = 256  # article texts kept for citing


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
    closest: list[Citation] = field(default_factory=list)  # when not answerable: the best sentences anyway


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


def _dates(sentence: str, published: float) -> list[dict[str, Any]]:
    """The relative dates of a sentence resolved against its article's publication time (none when undated)."""
    if published != published:  # NaN: undated
        return []
    when = datetime.fromtimestamp(published, tz=UTC)
    return [{"start": m.start, "end": m.end, "text": m.text, "date": m.date_text}
            for m in resolve_mentions(sentence, when)]


@dataclass
class Retriever:
    """Finds, scores and cites evidence sentences for a question over one corpus generation."""

    lexicon: Lexicon
    store: EvidenceStore
    ranker: Ranker
    embedder: Any
    n_candidates: int = 30
    _texts: OrderedDict[str, Article] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def corpus(self) -> Corpus:
        """The corpus searched."""
        return self.lexicon.corpus

    # --- the front door --------------------------------------------------------------

    def retrieve(self, question: str, *, query: str | None = None, k: int = 5,
                 filters: dict[str, Any] | None = None, as_of: float | None = None,
                 recency: Recency | None = None) -> Retrieval:
        """Cited evidence for `question` (searched as `query`, e.g. folded with the conversation), or why not.

        `as_of` (epoch seconds): articles published later are not searched (undated ones are). `recency`,
        for questions that want the newest (`qa.evidence.recency`), re-scores candidates by their age.
        """
        t0 = time.perf_counter()
        query = query or question
        allowed = self.allowed(filters, as_of=as_of)
        vector = self.embedder.encode_query(query)
        t1 = time.perf_counter()
        hits = self.search(query, vector=vector, k=k, allowed=allowed, recency=recency)
        t2 = time.perf_counter()
        only_excluding = bool(filters) and set(filters) <= {"exclude_article_ids"} and not self._cuts(as_of)
        missing = (self.missing_key_terms(question, excluded=list(filters["exclude_article_ids"]))  # type: ignore[index]
                   if only_excluding else self.missing_key_terms(question, allowed=allowed))
        if not hits:
            reason = "no sentence of the articles matches the question"
        elif missing:
            reason = f"not in the articles: {', '.join(missing)}"
        elif max(h.score for h in hits) < self.ranker.threshold:  # (recency may put a newer one first)
            reason = "no sentence scores above the abstention threshold"
        else:
            reason = ""
        cited = self.cite(hits) if not reason else []
        if not reason and not cited:
            reason = "the evidence no longer matches the stored articles"
        timings = {"embed": (t1 - t0) * 1e3, "search": (t2 - t1) * 1e3, "decide": (time.perf_counter() - t2) * 1e3}
        return Retrieval([c for _, c in cited], not reason, reason, timings, [row for row, _ in cited],
                         [c for _, c in self.cite(hits[:k])] if reason and hits else [])

    def neighbours(self, row: int) -> tuple[str, str]:
        """The sentences before and after a sentence row in its article ('' at either end)."""
        corpus = self.corpus
        article = corpus.sentence_article[row]
        before = corpus.sentence_text[row - 1] if row > 0 and corpus.sentence_article[row - 1] == article else ""
        after = (corpus.sentence_text[row + 1]
                 if row + 1 < len(corpus.sentence_ids) and corpus.sentence_article[row + 1] == article else "")
        return before, after

    def allowed(self, filters: dict[str, Any] | None, *, as_of: float | None = None) -> np.ndarray | None:
        """Article rows allowed by `filters` (see `FILTERS`) and published by `as_of`, as a mask (None: all live).

        Its cost is one pass over the article list (thousands of rows), never over the sentences.
        """
        corpus = self.corpus
        n = len(corpus.articles)
        mask: np.ndarray | None = None

        def narrow(rows: np.ndarray) -> None:
            nonlocal mask
            mask = rows if mask is None else mask & rows

        filters = check_filters(filters)
        if filters.get("article_ids"):
            rows = np.zeros(n, bool)
            rows[[corpus.article_row[a] for a in filters["article_ids"] if a in corpus.article_row]] = True
            narrow(rows)
        if filters.get("sources"):
            sources = set(filters["sources"])
            narrow(np.fromiter((a.source in sources or a.title in sources for a in corpus.articles), bool, n))
        if filters.get("exclude_article_ids"):
            rows = np.ones(n, bool)
            rows[[corpus.article_row[a] for a in filters["exclude_article_ids"] if a in corpus.article_row]] = False
            narrow(rows)
        published = self.published
        if "published_after" in filters:  # an undated article is in no window
            narrow(published >= filters["published_after"])
        if "published_before" in filters:
            narrow(published < filters["published_before"])
        if self._cuts(as_of):
            narrow(~(published > as_of))  # NaN (undated) compares False: kept
        if mask is None:
            return None
        if corpus.article_live is not None:
            mask = mask & corpus.article_live
        return mask

    def _cuts(self, as_of: float | None) -> bool:
        """Whether `as_of` leaves articles out (some is published after it)."""
        return as_of is not None and self.dated is not None and self.dated[1] > as_of

    @cached_property
    def published(self) -> np.ndarray:
        """Publication time of each article row, epoch seconds (NaN when undated)."""
        return publication_times([a.published_at for a in self.corpus.articles])

    @cached_property
    def dated(self) -> tuple[float, float] | None:
        """The earliest and latest publication times of the live articles (None when none is dated)."""
        times = self.published if self.corpus.article_live is None else self.published[self.corpus.article_live]
        times = times[~np.isnan(times)]
        return (float(times.min()), float(times.max())) if len(times) else None

    def search(self, question: str, *, vector: np.ndarray | None = None, k: int = 5,
               article_ids: list[str] | None = None, allowed: np.ndarray | None = None,
               recency: Recency | None = None) -> list[Hit]:
        """The `k` best evidence sentences for a question, best first (its vector computed unless given)."""
        if vector is None:
            vector = self.embedder.encode_query(question)
        found = self.candidates(question, vector, article_ids=article_ids, allowed=allowed)
        if found is None:
            return []
        scores = self.ranker.score(found.features)
        ranked = scores  # the order; a hit keeps the ranker's score, which the abstention threshold reads
        if recency is not None:
            ranked = recency.rescore(scores, self.published[self.corpus.sentence_article[found.rows]])
        order = np.argsort(-ranked, kind="stable")
        return self.one_copy_per_story([Hit(int(found.rows[i]), float(scores[i])) for i in order], max(k, 1))

    # --- syndicated copies -----------------------------------------------------------------

    def one_copy_per_story(self, hits: list[Hit], k: int) -> list[Hit]:
        """The first `k` hits with one copy cited per story: the story's chosen copy (its wire original, else
        its earliest), a copy's sentence moved to the same sentence of the chosen one; a sentence only a
        later copy has stays, from that copy, and other copies' sentences are then dropped."""
        stories = self.stories
        if not stories.shared:
            return hits[:k]
        corpus = self.corpus
        used: dict[int, int] = {}  # story -> the article row cited for it
        out: list[Hit] = []
        seen: set[int] = set()
        for h in hits:
            if len(out) >= k:
                break
            a = int(corpus.sentence_article[h.row])
            story = int(stories.story[a])
            copy = used.get(story, int(stories.chosen[story]))
            row = h.row if a == copy else self._same_sentence(h.row, copy)
            if row is None:
                if story in used:
                    continue  # another copy is cited for this story
                row, copy = h.row, a
            used.setdefault(story, copy)
            if row not in seen:
                seen.add(row)
                out.append(Hit(row, h.score))
        return out

    def _same_sentence(self, row: int, article: int) -> int | None:
        """The row of `article` whose sentence is the text of sentence `row` (None when it has none)."""
        corpus = self.corpus
        text = " ".join(corpus.sentence_text[row].split())
        for other in self.stories.rows_of(article):
            if " ".join(corpus.sentence_text[other].split()) == text:
                return other
        return None

    @cached_property
    def stories(self) -> Stories:
        """Story clusters of the live articles (`index.stories`)."""
        return Stories.of(self.corpus, self.published)

    def missing_key_terms(self, question: str, *, article_ids: list[str] | None = None,
                          excluded: list[str] | None = None, allowed: np.ndarray | None = None) -> list[str]:
        """Names and numbers in the question that occur nowhere in the articles (or in the allowed ones, or
        outside the `excluded` ones)."""
        if excluded:
            return self._missing_outside(question, excluded)
        if article_ids is not None:
            allowed = self._mask(article_ids)
        vocabulary = self.lexicon.vocabulary
        known = [w for w in tx.key_terms(question) if vocabulary.knows(tx.fold(w))]
        missing = [w for w in tx.key_terms(question) if w not in known]
        if allowed is not None:
            missing += [w for w in known if not self._held_by(tx.fold(w), allowed)]
        return [w for w in tx.key_terms(question) if w in missing]

    def not_held(self, words: Sequence[str], article_ids: Sequence[str]) -> list[str]:
        """The words none of these articles holds (as `Vocabulary.knows` matches: stem, singular, one edit)."""
        allowed, vocabulary = self._mask(list(article_ids)), self.lexicon.vocabulary
        return [w for w in words if not vocabulary.knows(tx.fold(w)) or not self._held_by(tx.fold(w), allowed)]

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

    def _held_by(self, word: str, allowed: np.ndarray) -> bool:
        """Whether an allowed article holds the word as `Vocabulary.knows` matches it (itself, its stem, its
        singular, a word one edit away), read from the term postings of articles and titles: a filter costs
        what the question's few terms touch, not a pass over the filtered sentences."""
        lex = self.lexicon
        vocabulary = lex.vocabulary
        forms = {word}
        if len(word) > 2 and word.endswith("s"):
            forms.add(word[:-1])
        if len(word) >= 5:
            forms.update(o for n in (len(word) - 1, len(word), len(word) + 1)
                         for o in vocabulary.by_shape.get((word[0], n), ()) if one_edit(word, o))
        seen = False
        for stem in {tx.stem(f) for f in forms}:
            rows = lex.bm25.postings(stem, lex.bm25.articles)[0]
            titled = self._titles.get(stem, ())
            seen = seen or len(rows) > 0 or len(titled) > 0
            if (len(rows) and allowed[rows].any()) or any(allowed[r] for r in titled):
                return True
        return not seen  # a form the postings cannot name (accents folded): not called missing

    @cached_property
    def _titles(self) -> dict[str, list[int]]:
        """Article rows by the terms of their titles."""
        out: dict[str, list[int]] = {}
        for row, terms in enumerate(self.lexicon.title_terms):
            for term in terms:
                out.setdefault(term, []).append(row)
        return out

    def _mask(self, article_ids: list[str]) -> np.ndarray:
        rows = np.zeros(len(self.corpus.articles), bool)
        rows[[self.corpus.article_row[a] for a in article_ids if a in self.corpus.article_row]] = True
        return rows

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
            published = self.published[corpus.article_row[aid]]
            out.append((h.row, Citation(
                n=len(out) + 1, key=corpus.sentence_key(h.row), article_id=aid, title=info.title,
                source=info.source, sentence=sentence, start=start, end=end, score=round(h.score, 4),
                url=info.url, published_at=info.published_at,
                dates=_dates(sentence, published),
                also_in=self.stories.also_in(corpus.article_row[aid]),
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

    def candidates(self, question: str, vector: np.ndarray, *, article_ids: list[str] | None = None,
                   allowed: np.ndarray | None = None) -> Candidates | None:
        """Candidate sentences of a question and their features (None when there are none).

        A filter (`allowed` article rows, or `article_ids`) applies before each list takes its top rows,
        so a narrow filter still gets its full share of candidates."""
        corpus, lex = self.corpus, self.lexicon
        if corpus.empty or not len(corpus.sentence_ids):
            return None
        if article_ids is not None:
            allowed = self._mask(article_ids) & (corpus.article_live if corpus.article_live is not None else True)
        filtering = allowed is not None
        allowed_articles = allowed if filtering else corpus.article_live  # None when every article row is live
        if filtering and not allowed_articles.any():
            return None
        q = Query.of(question, lex)
        n = self.n_candidates

        # 1. candidate lists: dense chunks (exact cosine), BM25 chunks, BM25 sentences (zero where not live)
        dense_chunks = _nearest(corpus.chunk_vectors, vector, n,
                                allowed_articles[corpus.chunk_article] if allowed_articles is not None else None)
        sent_bm, chunk_bm, art_bm = lex.bm25.scores(q.terms)
        filtered = allowed_articles if filtering else None  # BM25 is already zero where not live
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
