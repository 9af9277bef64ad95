"""The per-corpus lexicon: what features read per sentence, article and term, over derived segments.

Every sentence is tokenised once, when its segment is written (`qa.segments`); `assemble` puts the
segments of one corpus generation together without copying them. The question side is in
`qa.features.Query`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from index.store import Corpus
from qa import text as tx
from qa.bm25 import BM25, Level, idf
from qa.rows import RowView, StackedRows

if TYPE_CHECKING:
    from qa.segments import Segment

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

    @classmethod
    def merged(cls, words: Iterable[Iterable[str]], stems: Iterable[Iterable[str]]) -> "Vocabulary":
        """The union of vocabularies listed by `listed` (each word is processed alone, so the union is exact)."""
        raw = frozenset(w for ws in words for w in ws)
        by_shape: dict[tuple[str, int], list[str]] = {}
        for w in raw:
            if len(w) >= 4:
                by_shape.setdefault((w[0], len(w)), []).append(w)
        return cls(raw, frozenset(s for ss in stems for s in ss), by_shape)

    def listed(self) -> tuple[list[str], list[str]]:
        """Words and stems, sorted (what a segment stores)."""
        return sorted(self.words), sorted(self.stems)

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
    """What features read per sentence, article and term, over the live rows of a set of segments.

    Per-sentence tokens are decoded from the memory-mapped segments when read (features read about
    150 candidate rows a question); nothing here is proportional to the corpus but a few integer
    arrays, the vocabulary and the article list.
    """

    corpus: Corpus
    segments: list[Segment]
    bm25: BM25
    sentence_words: RowView[tuple[str, ...]]  # per row: lower-case words
    sentence_terms: RowView[tuple[str, ...]]  # per row: stemmed terms, in order
    sentence_term_sets: RowView[frozenset[str]]
    sentence_caps: RowView[tuple[str, ...]]  # per row: capitalised words and numbers, lower-cased
    subjects: RowView[frozenset[str]]  # per row: terms of its opening, before a verb
    antecedents: RowView[frozenset[str]]  # per row: terms its opening refers to (`.get(row)`: None when none)
    title_terms: list[frozenset[str]]
    article_vectors: StackedRows
    sentence_chunks: np.ndarray  # (n_sentences, 2): the (up to two) chunks holding each sentence
    sentence_len: np.ndarray  # terms per sentence
    vocabulary: Vocabulary
    sorted_words: list[str]  # corpus words of 4+ letters, sorted (prefix search)
    max_idf: float

    def idf_of(self, term: str) -> float:
        """IDF of a stemmed term over the live sentences (unknown terms get the largest)."""
        df = self.bm25.df(term)
        return idf(df, max(self.bm25.sentences.n, 1)) if df else self.max_idf


def assemble(segments: list[Segment], dead: list[set[int]], generation: str) -> Lexicon:
    """The corpus and lexicon over segments, less the articles marked dead (local article rows per segment)."""
    art_off = _offsets([len(s.articles) for s in segments])
    s_off = _offsets([s.n_sentences for s in segments])
    c_off = _offsets([s.n_chunks for s in segments])
    dim = next((int(s.arrays["sentence_vectors"].shape[1]) for s in segments if s.n_sentences), 0)

    def cat(name: str, shift: np.ndarray | None = None, dtype: type = np.int32) -> np.ndarray:
        parts = [np.asarray(s.arrays[name]) + (int(shift[i]) if shift is not None else 0)
                 for i, s in enumerate(segments)]
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    articles = [a for s in segments for a in s.articles]
    live = np.ones(len(articles), bool)
    for i, rows in enumerate(dead):
        live[[int(art_off[i]) + r for r in rows]] = False
    sentence_article = cat("sentence_article", art_off)
    chunk_article = cat("chunk_article", art_off)
    pairs = [np.where(np.asarray(s.arrays["sentence_chunks"]) < 0, -1,
                      np.asarray(s.arrays["sentence_chunks"]) + int(c_off[i])) for i, s in enumerate(segments)]
    sentence_chunks = np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)
    n_terms = np.concatenate([np.diff(np.asarray(s.arrays["terms_ptr"])) for s in segments]) \
        if segments else np.zeros(0, np.int64)
    chunk_first, chunk_last = cat("chunk_first", s_off), cat("chunk_last", s_off)
    cum = np.concatenate([[0], np.cumsum(n_terms)])
    chunk_len = cum[chunk_last + 1] - cum[chunk_first] if len(chunk_first) else np.zeros(0, np.int64)
    art_len = np.bincount(sentence_article, n_terms, minlength=len(articles)) if len(articles) else np.zeros(0)
    sentence_live = live[sentence_article] if len(sentence_article) else np.zeros(0, bool)

    def ids(kind: str) -> Callable[[int, int], str]:
        def read(seg: int, row: int) -> str:
            s = segments[seg]
            a = s.articles[int(s.arrays[f"{kind}_article"][row])]
            index = s.arrays[f"{kind}_index"][row]
            return f"{a.id}.{a.content_hash}.{kind[0]}{int(index)}"
        return read

    corpus = Corpus(
        generation=generation, articles=articles, article_live=None if live.all() else live,
        sentence_ids=RowView(s_off, ids("sentence")),
        sentence_article=sentence_article,
        sentence_index=cat("sentence_index"),
        sentence_start=cat("sentence_start", dtype=np.int64),
        sentence_end=cat("sentence_end", dtype=np.int64),
        sentence_text=RowView(s_off, lambda seg, row: segments[seg].text(row)),
        sentence_vectors=StackedRows([s.arrays["sentence_vectors"] for s in segments], dim),
        chunk_ids=RowView(c_off, ids("chunk")),
        chunk_article=chunk_article, chunk_first=chunk_first, chunk_last=chunk_last,
        chunk_vectors=StackedRows([s.arrays["chunk_vectors"] for s in segments], dim),
    )

    def tokens(kind: str, as_set: bool = False) -> RowView[Any]:
        if as_set:
            return RowView(s_off, lambda seg, row: frozenset(segments[seg].tokens(kind, row)))
        return RowView(s_off, lambda seg, row: segments[seg].tokens(kind, row))

    chunk_live = live[chunk_article] if len(chunk_article) else np.zeros(0, bool)
    bm25 = BM25(segments, Level("post", s_off, np.maximum(n_terms, 1), sentence_live),
                Level("chunk_post", c_off, np.maximum(chunk_len, 1), chunk_live),
                Level("article_post", art_off, np.maximum(art_len, 1), live))
    vocabulary = Vocabulary.merged([s.vocabulary_words for s in segments], [s.vocabulary_stems for s in segments])
    min_df = min((_rarest(s.arrays["post_ptr"]) for s in segments if s.n_sentences), default=1)
    terms = tokens("terms")
    return Lexicon(
        corpus=corpus, segments=segments, bm25=bm25, sentence_words=tokens("words"), sentence_terms=terms,
        sentence_term_sets=RowView(s_off, lambda seg, row: frozenset(terms[s_off[seg] + row])),
        sentence_caps=tokens("caps"), subjects=tokens("subjects", True), antecedents=tokens("antecedents", True),
        title_terms=[frozenset(tx.terms(a.title)) for a in articles],
        article_vectors=StackedRows([s.arrays["article_vectors"] for s in segments], dim),
        sentence_chunks=sentence_chunks, sentence_len=n_terms.astype(np.float32),
        vocabulary=vocabulary, sorted_words=sorted(w for w in vocabulary.words if len(w) >= PREFIX_MIN),
        max_idf=idf(min_df, max(bm25.sentences.n, 1)),
    )


def _rarest(ptr: np.ndarray) -> int:
    """The smallest document frequency among a segment's terms (postings CSR pointers)."""
    df = np.diff(np.asarray(ptr))
    return int(df[df > 0].min()) if (df > 0).any() else 1


def _offsets(sizes: list[int]) -> np.ndarray:
    return np.cumsum([0] + sizes).astype(np.int64)


def antecedent_terms(words: tuple[str, ...], previous: str, previous_words: tuple[str, ...],
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


def subject_terms(words: tuple[str, ...]) -> frozenset[str]:
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
