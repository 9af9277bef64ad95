"""The front door for evidence: a question in, cited sentences and whether they answer it out.

`Retriever.retrieve` names its stages: the filters as allowed article rows (`filters`), candidates from
three lists fused by reciprocal rank (`candidates`), each scored on features that say whether it holds the
answer (`features`) by a model learned on SQuAD (`ranker`, `qa train`), one copy cited per story
(`stories`), the decision whether to answer at all (the ranker's threshold; names and numbers of the
question found nowhere, `key_terms`), and citations re-checked against the stored article text (`cite`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Sequence

import numpy as np

from index.layout import Corpus
from index.models import Article
from qa import text as tx
from qa.evidence.candidates import Candidates, Hit, candidates
from qa.evidence.cite import ArticleTexts, EvidenceStore, cite, neighbours
from qa.evidence.filters import allowed_articles, article_mask, check_filters, publication_times
from qa.evidence.key_terms import KeyTerms
from qa.evidence.ranker import Ranker
from qa.evidence.recency import Recency
from qa.evidence.stories import Stories, one_copy_per_story
from qa.models import Citation
from qa.rules.decisions import citations_reason, evidence_reason, wants_span
from qa.search.lexicon import Lexicon


@dataclass(frozen=True)
class Retrieval:
    """What retrieval found for a question: cited sentences, best first, or why it cannot answer."""

    citations: list[Citation]
    answerable: bool
    reason: str = ""  # why not answerable
    timings_ms: dict[str, float] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)  # per citation: its corpus row (see `Retriever.contexts`)
    closest: list[Citation] = field(default_factory=list)  # when not answerable: the best sentences anyway


@dataclass
class Retriever:
    """Finds, scores and cites evidence sentences for a question over one corpus generation."""

    lexicon: Lexicon
    store: EvidenceStore
    ranker: Ranker
    embedder: Any
    n_candidates: int = 30
    _texts: ArticleTexts = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._texts = ArticleTexts(self.store)

    @property
    def corpus(self) -> Corpus:
        """The corpus searched."""
        return self.lexicon.corpus

    # --- the front door --------------------------------------------------------------

    def retrieve(self, question: str, *, query: str | None = None, k: int = 5,
                 filters: dict[str, Any] | None = None, as_of: float | None = None,
                 recency: Recency | None = None, unnamed: Sequence[str] = ()) -> Retrieval:
        """Cited evidence for `question` (searched as `query`, e.g. folded with the conversation), or why not.

        `as_of` (epoch seconds): articles published later are not searched (undated ones are). `recency`,
        for questions that want the newest (`qa.evidence.recency`), re-scores candidates by their age.
        `unnamed`: key terms the articles may leave unsaid (`TimePlan.period_terms`), not required of them.
        """
        t0 = time.perf_counter()
        query = query or question
        allowed = self.allowed(filters, as_of=as_of)
        vector = self.embedder.encode_query(query)
        t1 = time.perf_counter()
        hits = self.search(query, vector=vector, k=k, allowed=allowed, recency=recency)
        t2 = time.perf_counter()
        reason = self._abstention(question, hits, filters, as_of=as_of, allowed=allowed, unnamed=unnamed)
        cited = self.cite(hits, allowed=allowed) if not reason else []
        reason = citations_reason(reason, len(cited))
        timings = {"embed": (t1 - t0) * 1e3, "search": (t2 - t1) * 1e3, "decide": (time.perf_counter() - t2) * 1e3}
        return Retrieval([c for _, c in cited], not reason, reason, timings, [row for row, _ in cited],
                         [c for _, c in self.cite(hits[:k], allowed=allowed)] if reason and hits else [])

    def _abstention(self, question: str, hits: list[Hit], filters: dict[str, Any] | None, *,
                    as_of: float | None, allowed: np.ndarray | None, unnamed: Sequence[str] = ()) -> str:
        """Why the hits do not answer the question ('' when they may)."""
        if filters and set(filters) <= {"exclude_article_ids"} and not self._cuts(as_of):  # only excluding
            missing = self.missing_key_terms(question, excluded=list(filters["exclude_article_ids"]))
        else:
            missing = self.missing_key_terms(question, allowed=allowed)
        missing = [w for w in missing if w not in unnamed]
        best = max((h.score for h in hits), default=0.0)
        return evidence_reason(bool(hits), missing, best, self.ranker.threshold, wants_span=wants_span(question))

    # --- what the engine reads of a retrieval ------------------------------------------

    def contexts(self, found: Retrieval, n: int | None = None) -> list[tuple[str, str]]:
        """The sentences before and after each of the first `n` citations (all when None), in their articles."""
        return [self.neighbours(row) for row in found.rows[:n]]

    def neighbours(self, row: int) -> tuple[str, str]:
        """The sentences before and after a sentence row in its article ('' at either end)."""
        return neighbours(self.corpus, row)

    def published_at(self, article_id: str) -> float:
        """Publication time of a live article, epoch seconds (NaN when undated)."""
        return float(self.published[self.corpus.article_row[article_id]])

    def texts(self, article_ids: list[str]) -> dict[str, Article]:
        """Stored texts of these articles (of this generation), cached."""
        return self._texts.get(article_ids)

    # --- filters and publication times ---------------------------------------------------

    def allowed(self, filters: dict[str, Any] | None, *, as_of: float | None = None) -> np.ndarray | None:
        """Article rows allowed by `filters` (see `FILTERS`) and published by `as_of`, as a mask (None: all live)."""
        cutoff = as_of if self._cuts(as_of) else None
        return allowed_articles(self.corpus, check_filters(filters), self.published, cutoff=cutoff)

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

    # --- candidates, ranked, one copy per story -------------------------------------------

    def search(self, question: str, *, vector: np.ndarray | None = None, k: int = 5,
               article_ids: list[str] | None = None, allowed: np.ndarray | None = None,
               recency: Recency | None = None) -> list[Hit]:
        """The `k` best evidence sentences for a question, best first (its vector computed unless given); of a
        story's copies, the one cited is one the `allowed` rows (or `article_ids`) hold."""
        if vector is None:
            vector = self.embedder.encode_query(question)
        if article_ids is not None:
            allowed = self._live_of(article_ids)
        found = self.candidates(question, vector, allowed=allowed)
        if found is None:
            return []
        scores = self.ranker.score(found.features)
        ranked = scores  # the order; a hit keeps the ranker's score, which the abstention threshold reads
        if recency is not None:
            ranked = recency.rescore(scores, self._ages_on_subject(question, found.rows))
        order = np.argsort(-ranked, kind="stable")
        hits = [Hit(int(found.rows[i]), float(scores[i])) for i in order]
        return one_copy_per_story(hits, max(k, 1), self.stories, self.corpus, allowed)

    def _ages_on_subject(self, question: str, rows: np.ndarray) -> np.ndarray:
        """The publication times recency reads for candidate sentence rows: an article that lacks one of the names
        the question asks about counts as the oldest (NaN), so a newer article about something else ("The Cascade
        League season runs through October" for "Who runs Halvorsen Robotics now?") is not put first for its
        age. Unchanged when the question names nothing or no candidate's article holds all of it."""
        articles = self.corpus.sentence_article[rows]
        times = self.published[articles]
        names = [w for w in tx.key_terms(question) if not w.isdigit()]
        on_subject = self._key_terms.holding(names, len(self.corpus.articles)) if names else None
        if on_subject is None or not on_subject[articles].any():
            return times
        return np.where(on_subject[articles], times, np.nan)

    def candidates(self, question: str, vector: np.ndarray, *, article_ids: list[str] | None = None,
                   allowed: np.ndarray | None = None) -> Candidates | None:
        """Candidate sentences of a question and their features (None when there are none), among the
        `allowed` article rows or the live ones of `article_ids` (`qa.evidence.candidates`)."""
        if article_ids is not None:
            allowed = self._live_of(article_ids)
        return candidates(self.lexicon, question, vector, n=self.n_candidates, allowed=allowed)

    def _live_of(self, article_ids: list[str]) -> np.ndarray:
        """The live article rows of these ids, as a mask."""
        live = self.corpus.article_live
        return article_mask(self.corpus, article_ids) & (live if live is not None else True)

    @cached_property
    def stories(self) -> Stories:
        """Story clusters of the live articles (`index.stories`)."""
        return Stories.of(self.corpus, self.published)

    # --- key terms the articles lack ---------------------------------------------------------

    def missing_key_terms(self, question: str, *, article_ids: list[str] | None = None,
                          excluded: list[str] | None = None, allowed: np.ndarray | None = None) -> list[str]:
        """Names and numbers in the question that occur nowhere in the articles (or in the allowed ones, or
        outside the `excluded` ones)."""
        if excluded:
            return self._key_terms.missing_outside(question, excluded)
        if article_ids is not None:
            allowed = article_mask(self.corpus, article_ids)
        return self._key_terms.missing(question, allowed=allowed)

    def not_held(self, words: Sequence[str], article_ids: Sequence[str]) -> list[str]:
        """The words none of these articles holds (as `Vocabulary.knows` matches: stem, singular, one edit)."""
        return self._key_terms.not_held(words, article_mask(self.corpus, article_ids))

    @cached_property
    def _key_terms(self) -> KeyTerms:
        """The key-term checks over this lexicon (their title index built once)."""
        return KeyTerms(self.lexicon)

    # --- citations ---------------------------------------------------------------------------

    def cite(self, hits: list[Hit], *, allowed: np.ndarray | None = None) -> list[tuple[int, Citation]]:
        """Hits as (row, numbered citation), each re-checked against the stored article text (others dropped);
        "also in" names only the `allowed` copies."""
        return cite(hits, self.corpus, self._texts, self.published, self.stories, allowed=allowed)
