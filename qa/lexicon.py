"""The per-corpus lexicon: every sentence tokenised once, IDF, BM25 indexes, and what features read per row.

Built once per corpus generation (`build_lexicon`); the question side is in `qa.features.Query`.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from index.store import Corpus
from qa import text as tx

NAMEISH = re.compile(r"\b(?:[A-Z][\w'’-]+|\d[\d,.]*)")
MODALS = frozenset("will would can could may might shall should must".split())
# auxiliaries that stay beside the subject when a question is turned into a statement:
# "When was the tower built?" -> "the tower was built"; "What will the instructors do?" -> "the instructors will"
AUXILIARIES = MODALS | frozenset("is are was were has have had".split())
_VERBISH = frozenset("did do does said says became become began made took gave saw went came won".split())
# a sentence opening with one of these leans on the one before ("They ...", "The instructors ...")
_PRONOUNS = frozenset("he she it they his her its their them this these those such".split())
_DETERMINERS = frozenset("the this these those that such both".split())
PREFIX_MIN = 4  # shortest shared prefix for two words to count as variants (Niger/Nigerien)


@dataclass(frozen=True)
class Vocabulary:
    """The words of some articles, as the key-term check reads them (accents folded, possessives off)."""

    words: frozenset[str]
    stems: frozenset[str]
    by_shape: dict[tuple[str, int], list[str]]  # (first letter, length) -> words of 4+ letters

    @classmethod
    def of(cls, tokens: Iterable[str]) -> "Vocabulary":
        """From lower-case tokens (`qa.text.words`)."""
        raw = set(tokens)
        raw.update([tx.strip_possessive(w) for w in raw if w.endswith("'s")])
        raw.update([tx.fold(w) for w in raw if not w.isascii()])  # 'Céloron' is also found as 'Celoron'
        by_shape: dict[tuple[str, int], list[str]] = {}
        for w in raw:
            if len(w) >= 4:
                by_shape.setdefault((w[0], len(w)), []).append(w)
        return cls(frozenset(raw), frozenset(tx.stem(w) for w in raw), by_shape)

    def knows(self, word: str) -> bool:
        """The word, its stem, its singular ('DVDs') or a word one edit away ('Hollwood', 5+ letters)."""
        if word in self.words or tx.stem(word) in self.stems:
            return True
        if len(word) > 2 and word.endswith("s") and word[:-1] in self.words:
            return True
        if len(word) < 5:
            return False
        return any(_one_edit(word, other) for n in (len(word) - 1, len(word), len(word) + 1)
                   for other in self.by_shape.get((word[0], n), ()))


@dataclass
class Lexicon:
    """Lexical indexes and per-article aggregates over one corpus generation."""

    corpus: Corpus
    sentence_terms: list[list[str]]
    sentence_term_sets: list[frozenset[str]]
    idf: dict[str, float]
    bm25_sentences: Any
    bm25_chunks: Any
    sentence_len: np.ndarray
    avg_len: float
    title_terms: list[frozenset[str]]
    article_vectors: np.ndarray
    sentence_chunks: np.ndarray  # (n_sentences, 2): the (up to two) chunks holding each sentence
    bm25_articles: Any = None
    vocabulary: Vocabulary = field(default_factory=lambda: Vocabulary.of(()))
    antecedents: dict[int, frozenset[str]] = field(default_factory=dict)  # row -> terms its opening refers to
    subjects: list[frozenset[str]] = field(default_factory=list)  # per row: terms of its opening, before a verb
    sentence_words: list[tuple[str, ...]] = field(default_factory=list)  # per row: lower-case words (interned)
    sentence_caps: list[tuple[str, ...]] = field(default_factory=list)  # per row: capitalised words and numbers
    sorted_words: list[str] = field(default_factory=list)  # corpus words of 4+ letters, sorted (prefix search)

    def idf_of(self, term: str) -> float:
        """IDF of a stemmed term over sentences (unknown terms get the largest)."""
        return self.idf.get(term, self.max_idf)

    def __post_init__(self) -> None:
        self.max_idf = max(self.idf.values(), default=1.0)


def _normalised(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def build_lexicon(corpus: Corpus) -> Lexicon:
    """Tokenise every sentence and chunk once and build the BM25 indexes."""
    import bm25s

    sentence_words = [tuple(sys.intern(w) for w in tx.words(t)) for t in corpus.sentence_text]
    sentence_terms = [tx.terms_of(ws) for ws in sentence_words]
    term_sets = [frozenset(t) for t in sentence_terms]
    n = max(len(sentence_terms), 1)
    df: dict[str, int] = {}
    for s in term_sets:
        for t in s:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
    sentence_caps = [tuple(sys.intern(w.lower()) for w in NAMEISH.findall(t)) for t in corpus.sentence_text]
    vocabulary = Vocabulary.of([w for ws in sentence_words for w in ws]
                               + [w for a in corpus.articles for w in tx.words(a.title)])

    def index(docs: list[list[str]]) -> Any:
        if not docs:
            return None
        bm = bm25s.BM25()
        bm.index([d or [""] for d in docs], show_progress=False)
        return bm

    chunk_terms = [
        [t for row in range(int(first), int(last) + 1) for t in sentence_terms[row]]
        for first, last in zip(corpus.chunk_first, corpus.chunk_last)
    ]
    lengths = np.asarray([len(t) for t in sentence_terms], dtype=np.float32)
    n_articles = len(corpus.articles)
    article_docs: list[list[str]] = [[] for _ in range(n_articles)]
    for row, terms in enumerate(sentence_terms):
        article_docs[int(corpus.sentence_article[row])].extend(terms)
    dim = corpus.sentence_vectors.shape[1] if corpus.sentence_vectors.ndim == 2 else 0
    article_vectors = np.zeros((n_articles, dim), np.float32)
    if len(corpus.sentence_ids):
        np.add.at(article_vectors, corpus.sentence_article, corpus.sentence_vectors)
    sentence_chunks = np.full((len(corpus.sentence_ids), 2), -1, np.int64)
    for c, (first, last) in enumerate(zip(corpus.chunk_first, corpus.chunk_last)):
        for row in range(int(first), int(last) + 1):
            slot = 0 if sentence_chunks[row, 0] < 0 else 1
            sentence_chunks[row, slot] = c
    sentence_chunks[:, 1] = np.where(sentence_chunks[:, 1] < 0, sentence_chunks[:, 0], sentence_chunks[:, 1])
    antecedents: dict[int, frozenset[str]] = {}
    for row in range(1, len(corpus.sentence_ids)):
        if corpus.sentence_article[row] == corpus.sentence_article[row - 1]:
            found = _antecedent(sentence_words[row], corpus.sentence_text[row - 1], sentence_words[row - 1],
                                term_sets[row - 1])
            if found:
                antecedents[row] = found
    return Lexicon(
        corpus=corpus,
        sentence_terms=sentence_terms,
        sentence_term_sets=term_sets,
        idf=idf,
        bm25_sentences=index(sentence_terms),
        bm25_chunks=index(chunk_terms),
        sentence_len=lengths,
        avg_len=float(lengths.mean()) if len(lengths) else 1.0,
        title_terms=[frozenset(tx.terms(a.title)) for a in corpus.articles],
        article_vectors=_normalised(article_vectors),
        sentence_chunks=sentence_chunks,
        bm25_articles=index(article_docs),
        vocabulary=vocabulary,
        antecedents=antecedents,
        subjects=[_subject_terms(ws) for ws in sentence_words],
        sentence_words=sentence_words,
        sentence_caps=sentence_caps,
        sorted_words=sorted(w for w in vocabulary.words if len(w) >= PREFIX_MIN),
    )


def _antecedent(words: tuple[str, ...], previous: str, previous_words: tuple[str, ...],
                previous_terms: frozenset[str]) -> frozenset[str]:
    """Terms of the previous sentence that this one's opening refers to (a crude coreference).

    "The instructors will ..." after "... 100 Russian military instructors ..." borrows the modifiers
    (100, russian, military); "He was ..." or "It was ..." borrows the previous sentence's first name
    (or, failing one, its opening words).
    """
    head = words[:3]
    if not head:
        return frozenset()
    if head[0] in _PRONOUNS and (head[0] not in _DETERMINERS or len(head) < 2):
        found = tx.names(previous)
        opening = found[0][2] if found else " ".join(previous.split()[:4])
        return frozenset(tx.terms(opening))
    if head[0] in _DETERMINERS:
        for w in head[1:3]:
            if w in tx.STOPWORDS or tx.stem(w) not in previous_terms:
                continue
            stems = [tx.stem(p) for p in previous_words]
            at = stems.index(tx.stem(w))
            modifiers = [p for p in previous_words[max(0, at - 3):at] if p not in tx.STOPWORDS]
            return frozenset(tx.stem(p) for p in modifiers) | {tx.stem(w)}
    return frozenset()


def _subject_terms(words: tuple[str, ...]) -> frozenset[str]:
    """Terms of a sentence's opening up to its first verb-like word (a crude grammatical subject)."""
    opening: list[str] = []
    for w in words[:10]:
        if w in AUXILIARIES or w in _VERBISH or (len(w) > 4 and w.endswith("ed")):
            break
        opening.append(w)
    return frozenset(tx.stem(w) for w in opening if w not in tx.STOPWORDS)


def _one_edit(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns `a` into `b`."""
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1])
    return a[i:] == b[i + 1:]
