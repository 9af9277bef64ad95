"""How much of the question a cited sentence and its neighbours hold, by the words themselves.

The reader's decision reads this beside the reader and the ranker: the IDF-weighted share of the
question's terms found in the sentence or its neighbours (the ranker's `context_overlap`). The ranker
orders sentences within one question and does not say how well the best of them covers it; a near miss
(the right article, another paragraph) often lacks a rare term the question turns on.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from qa import text as tx

Idf = Callable[[str], float]  # IDF of a stemmed term over the corpus (`Lexicon.idf_of`)


def term_share(question: str, items: Sequence[tuple[str, str, str]], idf: Idf | None) -> np.ndarray:
    """Per (sentence, previous, next) item: the IDF-weighted share of the question's terms in any of the three
    (1 when the question has none; with no `idf`, every term weighs 1)."""
    terms = list(dict.fromkeys(tx.terms(question)))
    weight = np.asarray([idf(t) if idf else 1.0 for t in terms], np.float64)
    total = float(weight.sum())
    out = np.ones(len(items))
    if not terms or total <= 0:
        return out
    for i, item in enumerate(items):
        held = set(tx.terms(" ".join(item)))
        out[i] = sum(w for t, w in zip(terms, weight) if t in held) / total
    return out


def corpus_idf(sentences: Sequence[str]) -> Idf:
    """`Lexicon.idf_of` computed from sentence texts (BM25's IDF over sentences; unknown terms get the largest)."""
    from qa.search.bm25 import idf

    df: dict[str, int] = {}
    for text in sentences:
        for term in set(tx.terms(text)):
            df[term] = df.get(term, 0) + 1
    n = max(len(sentences), 1)
    largest = idf(min(df.values(), default=1), n)
    return lambda term: idf(df[term], n) if term in df else largest
