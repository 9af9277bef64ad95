"""The per-corpus lexicon: what features read per sentence, article and term, over derived segments.

Every sentence is tokenised once, when its segment is written (`qa.search.segments`); `assemble` puts the
segments of one corpus generation together without copying them. The question side is in
`qa.evidence.features.Query`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from index.layout import Corpus
from qa import text as tx
from qa.search.bm25 import BM25, Level, idf
from qa.search.rows import RowView, StackedRows
from qa.search.terms import PREFIX_MIN, Vocabulary

if TYPE_CHECKING:
    from qa.search.segments import Segment


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
