"""The per-corpus lexicon: what features read per sentence, article and term, over derived segments.

Every sentence is tokenised once, when its segment is written (`qa.search.segments`); `assemble` puts the
segments of one corpus generation together without copying them. The question side is in
`qa.evidence.features.Query`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from index.layout import ArticleInfo, Corpus
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
    articles = [a for s in segments for a in s.articles]
    live = _live(len(articles), art_off, dead)
    corpus = _corpus(segments, generation, articles, live, (art_off, s_off, c_off), dim)
    n_terms = np.concatenate([np.diff(np.asarray(s.arrays["terms_ptr"])) for s in segments]) \
        if segments else np.zeros(0, np.int64)
    bm25 = _bm25(segments, corpus, live, n_terms, (art_off, s_off, c_off))
    vocabulary = Vocabulary.merged([s.vocabulary_words for s in segments], [s.vocabulary_stems for s in segments])
    min_df = min((_rarest(s.arrays["post_ptr"]) for s in segments if s.n_sentences), default=1)
    terms = _tokens(segments, s_off, "terms")
    return Lexicon(
        corpus=corpus, segments=segments, bm25=bm25, sentence_words=_tokens(segments, s_off, "words"),
        sentence_terms=terms, sentence_term_sets=RowView(s_off, lambda seg, row: frozenset(terms[s_off[seg] + row])),
        sentence_caps=_tokens(segments, s_off, "caps"), subjects=_tokens(segments, s_off, "subjects", True),
        antecedents=_tokens(segments, s_off, "antecedents", True),
        title_terms=[frozenset(tx.terms(a.title)) for a in articles],
        article_vectors=StackedRows([s.arrays["article_vectors"] for s in segments], dim),
        sentence_chunks=_sentence_chunks(segments, c_off), sentence_len=n_terms.astype(np.float32),
        vocabulary=vocabulary, sorted_words=sorted(w for w in vocabulary.words if len(w) >= PREFIX_MIN),
        max_idf=idf(min_df, max(bm25.sentences.n, 1)),
    )


def _live(n_articles: int, art_off: np.ndarray, dead: list[set[int]]) -> np.ndarray:
    """Per global article row: False for the rows marked dead in their segment."""
    live = np.ones(n_articles, bool)
    for i, rows in enumerate(dead):
        live[[int(art_off[i]) + r for r in rows]] = False
    return live


def _corpus(segments: list[Segment], generation: str, articles: list[ArticleInfo], live: np.ndarray,
            offsets: tuple[np.ndarray, np.ndarray, np.ndarray], dim: int) -> Corpus:
    """The segments' articles, sentences and chunks as one corpus, at global rows (`offsets`: articles,
    sentences, chunks)."""
    art_off, s_off, c_off = offsets
    return Corpus(
        generation=generation, articles=articles, article_live=None if live.all() else live,
        sentence_ids=RowView(s_off, _ids(segments, "sentence")),
        sentence_article=_cat(segments, "sentence_article", art_off),
        sentence_index=_cat(segments, "sentence_index"),
        sentence_start=_cat(segments, "sentence_start", dtype=np.int64),
        sentence_end=_cat(segments, "sentence_end", dtype=np.int64),
        sentence_text=RowView(s_off, lambda seg, row: segments[seg].text(row)),
        sentence_vectors=StackedRows([s.arrays["sentence_vectors"] for s in segments], dim),
        chunk_ids=RowView(c_off, _ids(segments, "chunk")),
        chunk_article=_cat(segments, "chunk_article", art_off),
        chunk_first=_cat(segments, "chunk_first", s_off), chunk_last=_cat(segments, "chunk_last", s_off),
        chunk_vectors=StackedRows([s.arrays["chunk_vectors"] for s in segments], dim),
    )


def _bm25(segments: list[Segment], corpus: Corpus, live: np.ndarray, n_terms: np.ndarray,
          offsets: tuple[np.ndarray, np.ndarray, np.ndarray]) -> BM25:
    """BM25 over the live sentences, chunks and articles; a chunk's or article's length is its sentences' terms."""
    art_off, s_off, c_off = offsets
    sentence_article, chunk_article = corpus.sentence_article, corpus.chunk_article
    chunk_first, chunk_last = corpus.chunk_first, corpus.chunk_last
    cum = np.concatenate([[0], np.cumsum(n_terms)])
    chunk_len = cum[chunk_last + 1] - cum[chunk_first] if len(chunk_first) else np.zeros(0, np.int64)
    art_len = np.bincount(sentence_article, n_terms, minlength=len(live)) if len(live) else np.zeros(0)
    sentence_live = live[sentence_article] if len(sentence_article) else np.zeros(0, bool)
    chunk_live = live[chunk_article] if len(chunk_article) else np.zeros(0, bool)
    return BM25(segments, Level("post", s_off, np.maximum(n_terms, 1), sentence_live),
                Level("chunk_post", c_off, np.maximum(chunk_len, 1), chunk_live),
                Level("article_post", art_off, np.maximum(art_len, 1), live))


def _cat(segments: list[Segment], name: str, shift: np.ndarray | None = None, dtype: type = np.int32) -> np.ndarray:
    """One array of every segment, concatenated, each segment's values shifted by its offset in `shift`."""
    parts = [np.asarray(s.arrays[name]) + (int(shift[i]) if shift is not None else 0)
             for i, s in enumerate(segments)]
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def _sentence_chunks(segments: list[Segment], c_off: np.ndarray) -> np.ndarray:
    """(n_sentences, 2): the global rows of the (up to two) chunks holding each sentence, -1 for none."""
    pairs = [np.where(np.asarray(s.arrays["sentence_chunks"]) < 0, -1,
                      np.asarray(s.arrays["sentence_chunks"]) + int(c_off[i])) for i, s in enumerate(segments)]
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)


def _ids(segments: list[Segment], kind: str) -> Callable[[int, int], str]:
    """Reads the stored id of a segment's sentence or chunk row (`kind`: "sentence" or "chunk")."""
    def read(seg: int, row: int) -> str:
        s = segments[seg]
        a = s.articles[int(s.arrays[f"{kind}_article"][row])]
        index = s.arrays[f"{kind}_index"][row]
        return f"{a.id}.{a.content_hash}.{kind[0]}{int(index)}"
    return read


def _tokens(segments: list[Segment], s_off: np.ndarray, kind: str, as_set: bool = False) -> RowView[Any]:
    """Per global sentence row: its tokens of one kind, decoded from its segment when read."""
    if as_set:
        return RowView(s_off, lambda seg, row: frozenset(segments[seg].tokens(kind, row)))
    return RowView(s_off, lambda seg, row: segments[seg].tokens(kind, row))


def _rarest(ptr: np.ndarray) -> int:
    """The smallest document frequency among a segment's terms (postings CSR pointers)."""
    df = np.diff(np.asarray(ptr))
    return int(df[df > 0].min()) if (df > 0).any() else 1


def _offsets(sizes: list[int]) -> np.ndarray:
    return np.cumsum([0] + sizes).astype(np.int64)
