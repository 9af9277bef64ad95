"""Syndicated copies as retrieval sees them: each article's story, the copy a story is cited from, the others;
ranked hits in, one copy per story out.

Ingest gives every article a story id (`index.stories`: MinHash over its words; the id of the story's
first article, or its own). Here, per corpus generation: which live copy a story is cited from (the one
marked as the wire original, else the earliest published, else the first indexed) and the sources of its
other copies, for "also in: USA Today, Yahoo News". Filters and `as_of` come first: a story is cited from
the first of its copies they allow, and "also in" names only allowed copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from index.layout import Corpus
from qa.evidence.candidates import Hit


@dataclass(frozen=True)
class Stories:
    """Story clusters over the article rows of one corpus."""

    story: np.ndarray  # per article row: its story number
    chosen: np.ndarray  # per story number: the article row it is cited from
    members: list[list[int]]  # per story number: its live article rows, the chosen one first
    sources: list[str]
    shared: bool  # some story has two or more live copies
    _first_row: np.ndarray  # per article row: the sentence row it starts at (-1: none)
    _n_sentences: np.ndarray

    @classmethod
    def of(cls, corpus: Corpus, published: np.ndarray) -> "Stories":
        """The clusters of a corpus; `published`: epoch seconds per article row (NaN: undated)."""
        n = len(corpus.articles)
        live = corpus.article_live if corpus.article_live is not None else np.ones(n, bool)
        numbers: dict[str, int] = {}
        story = np.fromiter((numbers.setdefault(a.story or a.id, len(numbers)) for a in corpus.articles), np.int64, n)
        members: list[list[int]] = [[] for _ in numbers]
        for row in np.flatnonzero(live):
            members[story[row]].append(int(row))
        when = np.where(np.isnan(published), np.inf, published)

        def rank(row: int) -> tuple[Any, ...]:
            return (not corpus.articles[row].original, when[row], row)

        members = [sorted(m, key=rank) for m in members]
        chosen = np.array([m[0] if m else -1 for m in members], np.int64)
        first = np.full(n, -1, np.int64)
        counts = np.bincount(corpus.sentence_article, minlength=n) if len(corpus.sentence_article) else np.zeros(n)
        if len(corpus.sentence_article):
            starts = np.flatnonzero(np.r_[True, np.diff(corpus.sentence_article) != 0])
            first[corpus.sentence_article[starts]] = starts
        return cls(story, chosen, members, [a.source for a in corpus.articles], any(len(m) > 1 for m in members),
                   first, counts.astype(np.int64))

    def rows_of(self, article: int) -> range:
        """The sentence rows of an article row."""
        start = int(self._first_row[article])
        return range(start, start + int(self._n_sentences[article])) if start >= 0 else range(0)

    def also_in(self, article: int, allowed: np.ndarray | None = None) -> list[str]:
        """Sources of the other live copies of an article's story (not its own source), earliest first; only
        the `allowed` article rows (a mask: the filters and `as_of`; None: every live copy)."""
        own = self.sources[article]
        out = [self.sources[r] for r in self.members[self.story[article]]
               if r != article and (allowed is None or allowed[r])]
        return [s for s in dict.fromkeys(out) if s and s != own]

    def chosen_of(self, story: int, allowed: np.ndarray | None = None) -> int:
        """The article row a story is cited from: its chosen copy, else (when the `allowed` mask leaves it
        out) the first allowed one in the same order; -1 when none is allowed."""
        if allowed is None:
            return int(self.chosen[story])
        return next((r for r in self.members[story] if allowed[r]), -1)


def one_copy_per_story(hits: list[Hit], k: int, stories: Stories, corpus: Corpus,
                       allowed: np.ndarray | None = None) -> list[Hit]:
    """The first `k` hits with one copy cited per story: the story's chosen copy (its wire original, else
    its earliest, of the copies the `allowed` mask lets through), a copy's sentence moved to the same
    sentence of the chosen one; a sentence only a later copy has stays, from that copy, and other copies'
    sentences are then dropped."""
    if not stories.shared:
        return hits[:k]
    used: dict[int, int] = {}  # story -> the article row cited for it
    out: list[Hit] = []
    seen: set[int] = set()
    for h in hits:
        if len(out) >= k:
            break
        a = int(corpus.sentence_article[h.row])
        story = int(stories.story[a])
        copy = used.get(story, stories.chosen_of(story, allowed))
        row = h.row if a == copy else _same_sentence(h.row, copy, stories, corpus)
        if row is None:
            if story in used:
                continue  # another copy is cited for this story
            row, copy = h.row, a
        used.setdefault(story, copy)
        if row not in seen:
            seen.add(row)
            out.append(Hit(row, h.score))
    return out


def _same_sentence(row: int, article: int, stories: Stories, corpus: Corpus) -> int | None:
    """The row of `article` whose sentence is the text of sentence `row` (None when it has none)."""
    text = " ".join(corpus.sentence_text[row].split())
    for other in stories.rows_of(article):
        if " ".join(corpus.sentence_text[other].split()) == text:
            return other
    return None
