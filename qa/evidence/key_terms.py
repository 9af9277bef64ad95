"""Key terms the articles lack: a question's names and numbers (or a reader's words) and the article rows allowed
in, the ones no allowed article holds. A question naming what the articles never mention is not answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np

from qa import text as tx
from qa.search.lexicon import Lexicon
from qa.search.terms import Vocabulary, one_edit


@dataclass
class KeyTerms:
    """Which words the articles of one lexicon hold, as `Vocabulary.knows` matches them."""

    lexicon: Lexicon

    def missing(self, question: str, *, allowed: np.ndarray | None = None) -> list[str]:
        """Names and numbers in the question that occur nowhere in the articles (or in the allowed ones)."""
        vocabulary = self.lexicon.vocabulary
        known = [w for w in tx.key_terms(question) if vocabulary.knows(tx.fold(w))]
        missing = [w for w in tx.key_terms(question) if w not in known]
        if allowed is not None:
            missing += [w for w in known if not self.held_by(tx.fold(w), allowed)]
        return [w for w in tx.key_terms(question) if w in missing]

    def not_held(self, words: Sequence[str], allowed: np.ndarray) -> list[str]:
        """The words no allowed article holds (as `Vocabulary.knows` matches: stem, singular, one edit)."""
        vocabulary = self.lexicon.vocabulary
        return [w for w in words if not vocabulary.knows(tx.fold(w)) or not self.held_by(tx.fold(w), allowed)]

    def missing_outside(self, question: str, excluded: list[str]) -> list[str]:
        """Key terms found in no article but the excluded ones: what they alone hold, counted by sentence
        frequency of the term's stem (an exclusion touches only the excluded articles, not the whole corpus)."""
        lex = self.lexicon
        corpus = lex.corpus
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

    def holding(self, words: Sequence[str], n_articles: int) -> np.ndarray:
        """Per article row, whether it holds every one of the words (as `held_by` matches them)."""
        out = np.ones(n_articles, bool)
        for word in words:
            rows = self._rows_holding(tx.fold(word))
            if rows is not None:
                held = np.zeros(n_articles, bool)
                held[rows] = True
                out &= held
        return out

    def held_by(self, word: str, allowed: np.ndarray) -> bool:
        """Whether an allowed article holds the word as `Vocabulary.knows` matches it (itself, its stem, its
        singular, a word one edit away), read from the term postings of articles and titles: a filter costs
        what the question's few terms touch, not a pass over the filtered sentences."""
        rows = self._rows_holding(word)
        return rows is None or bool(allowed[rows].any())

    def _rows_holding(self, word: str) -> np.ndarray | None:
        """The article rows whose text or title holds a form of the word; None when no form of it is in the
        postings (one they cannot name, accents folded: not called missing)."""
        lex = self.lexicon
        found = [np.concatenate([lex.bm25.postings(stem, lex.bm25.articles)[0].astype(np.int64),
                                 np.asarray(self._titles.get(stem, ()), np.int64)])
                 for stem in {tx.stem(f) for f in self._forms(word)}]
        rows = np.concatenate(found) if found else np.zeros(0, np.int64)
        return rows if len(rows) else None

    def _forms(self, word: str) -> set[str]:
        """The word, its singular, and the known words one edit away (for words of five letters or more)."""
        vocabulary = self.lexicon.vocabulary
        forms = {word}
        if len(word) > 2 and word.endswith("s"):
            forms.add(word[:-1])
        if len(word) >= 5:
            forms.update(o for n in (len(word) - 1, len(word), len(word) + 1)
                         for o in vocabulary.by_shape.get((word[0], n), ()) if one_edit(word, o))
        return forms

    @cached_property
    def _titles(self) -> dict[str, list[int]]:
        """Article rows by the terms of their titles."""
        out: dict[str, list[int]] = {}
        for row, terms in enumerate(self.lexicon.title_terms):
            for term in terms:
                out.setdefault(term, []).append(row)
        return out
