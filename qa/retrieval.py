"""Hybrid retrieval: dense (Chroma) + BM25 (bm25s) candidates, fused, then every candidate sentence scored.

Candidates come from three lists fused by reciprocal rank: chunks nearest the question in
Chroma, chunks by BM25, sentences by BM25. Each sentence of a candidate chunk is then scored
on features that say whether it holds the answer (dense and lexical match of the sentence,
its neighbours, its chunk, its article and title; the answer type the question wants; its
ranks among the candidates), combined by a model learned on SQuAD (`qa/ranker.py`, `qa train`).
"""

from __future__ import annotations

import bisect
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol

import numpy as np

from index.store import Corpus
from qa import text as tx
from qa.ranker import FEATURES, Ranker

RRF_K = 60
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"\b(?:1\d{3}|20\d{2})s?\b")
_QUESTION_WORDS = ("what", "which", "who", "when", "where", "how", "why")
_NAMEISH = re.compile(r"\b(?:[A-Z][\w'’-]+|\d[\d,.]*)")
_MODALS = frozenset("will would can could may might shall should must".split())
# auxiliaries that stay beside the subject when a question is turned into a statement:
# "When was the tower built?" -> "the tower was built"; "What will the instructors do?" -> "the instructors will"
_AUXILIARIES = _MODALS | frozenset("is are was were has have had".split())
_VERBISH = frozenset("did do does said says became become began made took gave saw went came won".split())
# a sentence opening with one of these leans on the one before ("They ...", "The instructors ...")
_PRONOUNS = frozenset("he she it they his her its their them this these those such".split())
_DETERMINERS = frozenset("the this these those that such both".split())
_PREFIX_MIN = 4  # shortest shared prefix for two words to count as variants (Niger/Nigerien)
_PREFIX_RATIO = 0.6  # and the shorter word is at least this share of the longer


class DenseSearch(Protocol):
    """Nearest chunks to a vector, as (chroma id, cosine); what `Store.query` gives."""

    def query(self, which: str, vector: np.ndarray, n: int,
              article_ids: list[str] | None = None) -> list[tuple[str, float]]: ...


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
    sentence_caps = [tuple(sys.intern(w.lower()) for w in _NAMEISH.findall(t)) for t in corpus.sentence_text]
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
        sorted_words=sorted(w for w in vocabulary.words if len(w) >= _PREFIX_MIN),
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
        if w in _AUXILIARIES or w in _VERBISH or (len(w) > 4 and w.endswith("ed")):
            break
        opening.append(w)
    return frozenset(tx.stem(w) for w in opening if w not in tx.STOPWORDS)


def _statement_pairs(q_words: list[str]) -> set[tuple[str, str]]:
    """(word, auxiliary) pairs the question would have as a statement: subject words before its auxiliary."""
    at = next((i for i, w in enumerate(q_words[:4]) if w in _AUXILIARIES), -1)
    if at < 0:
        return set()
    aux = q_words[at]
    return {(w, aux) for w in q_words[at + 1:] if w not in tx.STOPWORDS}


def _variants(words: list[str], lex: Lexicon) -> dict[str, frozenset[str]]:
    """Stems of corpus words sharing a long prefix with a question word (Russia/Russian, Niger/Nigerien)."""
    out: dict[str, frozenset[str]] = {}
    for w in dict.fromkeys(words):
        if len(w) < _PREFIX_MIN or w in tx.STOPWORDS:
            continue
        own = tx.stem(w)
        found = {w[:n] for n in range(max(_PREFIX_MIN, math.ceil(len(w) * _PREFIX_RATIO)), len(w))
                 if w[:n] in lex.vocabulary.words}
        lo = bisect.bisect_right(lex.sorted_words, w)
        hi = bisect.bisect_left(lex.sorted_words, w + "\uffff")
        longest = int(len(w) / _PREFIX_RATIO)
        found.update(o for o in lex.sorted_words[lo:min(hi, lo + 50)] if len(o) <= longest)
        found = {tx.stem(o) for o in found}
        found.discard(own)
        if found:
            out[own] = frozenset(found)
    return out


@dataclass(frozen=True)
class Evidence:
    """A scored candidate sentence (a row of the corpus)."""

    row: int
    score: float
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidates:
    """Every candidate sentence of one question with its feature row."""

    rows: np.ndarray
    features: np.ndarray


def _top(scores: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[int]:
    if allowed is not None:
        scores = np.where(allowed, scores, 0.0)
    n = min(n, len(scores))
    if n <= 0:
        return []
    idx = np.argpartition(-scores, n - 1)[:n]
    idx = idx[np.argsort(-scores[idx])]
    return [int(i) for i in idx if scores[i] > 0]


def _rank_score(values: np.ndarray) -> np.ndarray:
    """1 / (1 + rank) of each value among all (rank 0 = largest)."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), np.float32)
    ranks[order] = np.arange(len(values), dtype=np.float32)
    return 1.0 / (1.0 + ranks)


def _bigrams(terms: list[str]) -> set[tuple[str, str]]:
    return set(zip(terms, terms[1:]))


@dataclass
class Retriever:
    """Finds and scores evidence sentences for a question over one corpus generation."""

    lexicon: Lexicon
    dense: DenseSearch
    ranker: Ranker
    n_candidates: int = 30

    @property
    def corpus(self) -> Corpus:
        """The corpus searched."""
        return self.lexicon.corpus

    def missing_key_terms(self, question: str, *, article_ids: list[str] | None = None) -> list[str]:
        """Names and numbers in the question that occur nowhere in the articles (or in the allowed ones)."""
        lex, corpus = self.lexicon, self.corpus
        vocabulary = lex.vocabulary
        if article_ids is not None:
            allowed = {corpus.article_row[a] for a in article_ids if a in corpus.article_row}
            rows = np.flatnonzero(np.isin(corpus.sentence_article, list(allowed)))
            vocabulary = Vocabulary.of([w for r in rows for w in lex.sentence_words[r]]
                                       + [w for a in allowed for w in tx.words(corpus.articles[a].title)])
        return [w for w in tx.key_terms(question) if not vocabulary.knows(tx.fold(w))]

    def search(self, question: str, vector: np.ndarray, *, k: int = 5,
               article_ids: list[str] | None = None) -> list[Evidence]:
        """The `k` best evidence sentences for a question, best first."""
        found = self.candidates(question, vector, article_ids=article_ids)
        if found is None:
            return []
        scores = self.ranker.score(found.features)
        order = np.argsort(-scores, kind="stable")[: max(k, 1)]
        return [
            Evidence(int(found.rows[i]), float(scores[i]),
                     {name: float(found.features[i, j]) for j, name in enumerate(FEATURES)})
            for i in order
        ]

    def candidates(self, question: str, vector: np.ndarray, *,
                   article_ids: list[str] | None = None) -> Candidates | None:
        """Candidate sentences of a question and their features (None when there are none)."""
        corpus, lex = self.corpus, self.lexicon
        if corpus.empty or not len(corpus.sentence_ids):
            return None
        allowed_articles = None
        if article_ids is not None:
            allowed_articles = np.zeros(len(corpus.articles), dtype=bool)
            for aid in article_ids:
                if aid in corpus.article_row:
                    allowed_articles[corpus.article_row[aid]] = True
            if not allowed_articles.any():
                return None
        q_terms = list(dict.fromkeys(tx.terms(question)))
        n = self.n_candidates

        # 1. candidate lists: dense chunks (Chroma), BM25 chunks, BM25 sentences
        dense_hits = self.dense.query("chunks", vector, n, article_ids=article_ids)
        dense_chunks = [corpus.chunk_row[c] for c, _ in dense_hits if c in corpus.chunk_row]
        bm_chunks: list[int] = []
        bm_sents: list[int] = []
        chunk_bm = np.zeros(len(corpus.chunk_ids), np.float32)
        sent_bm = np.zeros(len(corpus.sentence_ids), np.float32)
        if q_terms and lex.bm25_chunks is not None:
            chunk_bm = np.asarray(lex.bm25_chunks.get_scores(q_terms), np.float32)
            sent_bm = np.asarray(lex.bm25_sentences.get_scores(q_terms), np.float32)
            chunk_ok = allowed_articles[corpus.chunk_article] if allowed_articles is not None else None
            sent_ok = allowed_articles[corpus.sentence_article] if allowed_articles is not None else None
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
        art_bm = np.zeros(len(corpus.articles), np.float32)
        if q_terms and lex.bm25_articles is not None:
            art_bm = np.asarray(lex.bm25_articles.get_scores(q_terms), np.float32)
        feats = self._features(question, q_terms, vector, rows, sentence_rrf, article_rrf, sent_bm, chunk_bm, art_bm)
        return Candidates(rows, feats)

    def _features(self, question: str, q_terms: list[str], vector: np.ndarray, rows: np.ndarray,
                  sentence_rrf: dict[int, float], article_rrf: dict[int, float],
                  sent_bm: np.ndarray, chunk_bm: np.ndarray, article_bm: np.ndarray) -> np.ndarray:
        corpus, lex = self.corpus, self.lexicon
        qtype = tx.question_type(question)
        q_idf = np.asarray([lex.idf_of(t) for t in q_terms], np.float32)
        q_mass = float(q_idf.sum()) or 1.0
        q_set = frozenset(q_terms)
        q_words = tx.words(question)
        q_word_set = frozenset(q_words)
        q_bigrams = _bigrams(q_terms)
        vecs = corpus.sentence_vectors
        dense_s = vecs[rows] @ vector
        # dense score of the neighbourhood (previous, this, next sentence of the same article)
        art = corpus.sentence_article
        n_sent = len(corpus.sentence_ids)
        prev_rows = np.clip(rows - 1, 0, n_sent - 1)
        next_rows = np.clip(rows + 1, 0, n_sent - 1)
        same_prev = (rows > 0) & (art[prev_rows] == art[rows])
        same_next = (rows + 1 < n_sent) & (art[next_rows] == art[rows])
        ctx_vec = vecs[rows] + np.where(same_prev[:, None], vecs[prev_rows], 0) \
            + np.where(same_next[:, None], vecs[next_rows], 0)
        ctx_vec /= np.maximum(np.linalg.norm(ctx_vec, axis=1, keepdims=True), 1e-9)
        dense_ctx = ctx_vec @ vector
        dense_prev = np.where(same_prev, vecs[prev_rows] @ vector, 0.0)
        dense_next = np.where(same_next, vecs[next_rows] @ vector, 0.0)
        chunks = lex.sentence_chunks[rows]
        has_chunk = chunks[:, 0] >= 0
        safe = np.where(chunks < 0, 0, chunks)
        dense_chunk = np.where(has_chunk, np.maximum(corpus.chunk_vectors[safe[:, 0]] @ vector,
                                                     corpus.chunk_vectors[safe[:, 1]] @ vector), 0.0)
        bm_chunk = np.where(has_chunk, np.maximum(chunk_bm[safe[:, 0]], chunk_bm[safe[:, 1]]), 0.0)
        arts = art[rows]
        dense_art = lex.article_vectors[arts] @ vector
        best_rrf = max(article_rrf.values()) if article_rrf else 1.0
        best_srrf = max(sentence_rrf.values())
        bm_s = sent_bm[rows]
        bm_s_max = float(bm_s.max()) or 1.0
        bm_c_max = float(bm_chunk.max()) or 1.0
        m = len(rows)
        overlap, ctx_overlap, title_overlap, bigram, typed, novel = np.zeros((6, m), np.float32)
        title_cache: dict[int, float] = {}
        for i, row in enumerate(rows):
            row = int(row)
            terms = lex.sentence_term_sets[row]
            ctx_terms = set(terms)
            if same_prev[i]:
                ctx_terms |= lex.sentence_term_sets[row - 1]
            if same_next[i]:
                ctx_terms |= lex.sentence_term_sets[row + 1]
            overlap[i] = sum(w for t, w in zip(q_terms, q_idf) if t in terms) / q_mass
            ctx_overlap[i] = sum(w for t, w in zip(q_terms, q_idf) if t in ctx_terms) / q_mass
            a = int(art[row])
            if a not in title_cache:
                title_cache[a] = sum(w for t, w in zip(q_terms, q_idf) if t in lex.title_terms[a]) / q_mass
            title_overlap[i] = title_cache[a]
            if q_bigrams:
                bigram[i] = len(q_bigrams & _bigrams(lex.sentence_terms[row])) / len(q_bigrams)
            novel[i] = len(terms - q_set) / max(len(terms), 1)
            if qtype != "other":
                typed[i] = 1.0 if _has_new_type(row, qtype, q_word_set, lex) else 0.0
        (max_idf, prev_overlap, next_overlap, raw_bigram, raw_trigram, density, new_names, has_digit,
         has_year) = np.zeros((9, m), np.float32)
        q_top = float(q_idf.max()) if len(q_idf) else 1.0
        q_weight = dict(zip(q_terms, q_idf))
        q_bi, q_tri = set(zip(q_words, q_words[1:])), set(zip(q_words, q_words[1:], q_words[2:]))
        q_modals = q_word_set & _MODALS
        statement = _statement_pairs(q_words)
        aux_pair = np.zeros(m, np.float32)
        variants = _variants(q_words, lex)
        modal, soft_overlap, resolved_overlap, refers, subject = np.zeros((5, m), np.float32)

        def soft_match(terms: frozenset[str] | set[str]) -> float:
            return sum(w for t, w in q_weight.items()
                       if t in terms or (t in variants and not variants[t].isdisjoint(terms))) / q_mass
        for i, row in enumerate(rows):
            row = int(row)
            terms = lex.sentence_term_sets[row]
            max_idf[i] = max((w for t, w in zip(q_terms, q_idf) if t in terms), default=0.0) / q_top
            if same_prev[i]:
                prev_overlap[i] = sum(w for t, w in q_weight.items() if t in lex.sentence_term_sets[row - 1]) / q_mass
            if same_next[i]:
                next_overlap[i] = sum(w for t, w in q_weight.items() if t in lex.sentence_term_sets[row + 1]) / q_mass
            s_words = lex.sentence_words[row]
            if q_bi:
                raw_bigram[i] = len(q_bi.intersection(zip(s_words, s_words[1:]))) / len(q_bi)
            if q_tri:
                raw_trigram[i] = len(q_tri.intersection(zip(s_words, s_words[1:], s_words[2:]))) / len(q_tri)
            positions = [j for j, t in enumerate(lex.sentence_terms[row]) if t in q_weight]
            if len(positions) > 1:
                density[i] = len({lex.sentence_terms[row][j] for j in positions}) / (positions[-1] - positions[0] + 1)
            caps = lex.sentence_caps[row]
            new_names[i] = sum(1 for w in caps[1:] if w not in q_word_set)
            novel_digits = [w for w in s_words if w not in q_word_set and _DIGIT.search(w)]
            has_digit[i] = 1.0 if novel_digits else 0.0
            has_year[i] = 1.0 if any(_YEAR.fullmatch(w) for w in novel_digits) else 0.0
            if q_modals and not q_modals.isdisjoint(s_words):
                modal[i] = 1.0
            if statement and not statement.isdisjoint(zip(s_words, s_words[1:])):
                aux_pair[i] = 1.0
            soft_overlap[i] = soft_match(terms)
            borrowed = lex.antecedents.get(row) if same_prev[i] else None
            subject[i] = soft_match(lex.subjects[row] | borrowed if borrowed else lex.subjects[row])
            if borrowed:
                refers[i] = 1.0
                resolved_overlap[i] = soft_match(terms | borrowed)
            else:
                resolved_overlap[i] = soft_overlap[i]
        # the same signals aggregated over each article's candidates: which article, then which sentence
        _, inv = np.unique(arts, return_inverse=True)
        n_art = int(inv.max()) + 1

        def art_max(values: np.ndarray) -> np.ndarray:
            out = np.full(n_art, -np.inf, np.float32)
            np.maximum.at(out, inv, values.astype(np.float32))
            return out[inv]

        art_dense = art_max(dense_s)
        art_overlap = art_max(overlap)
        art_bm = art_max(bm_s / bm_s_max)
        art_count = np.bincount(inv, minlength=n_art)[inv].astype(np.float32)
        a_rrf = np.asarray([article_rrf.get(int(a), 0.0) for a in arts], np.float32) / best_rrf
        s_rrf = np.asarray([sentence_rrf.get(int(r), 0.0) for r in rows], np.float32) / best_srrf
        cols = {
            "dense_sentence": dense_s,
            "dense_context": dense_ctx,
            "dense_neighbours": np.maximum(dense_prev, dense_next),
            "dense_chunk": dense_chunk,
            "dense_article": dense_art,
            "dense_gap": dense_s - dense_s.max(),
            "dense_context_gap": dense_ctx - dense_ctx.max(),
            "dense_rank": _rank_score(dense_s),
            "bm25_sentence": bm_s / bm_s_max,
            "bm25_chunk": bm_chunk / bm_c_max,
            "bm25_sentence_log": np.log1p(bm_s),
            "overlap": overlap,
            "overlap_gap": overlap - overlap.max(),
            "overlap_rank": _rank_score(overlap + 1e-3 * dense_s),
            "context_overlap": ctx_overlap,
            "article_overlap": art_overlap,  # the same column as art_max_overlap; drop both-but-one at the next retrain
            "title_overlap": title_overlap,
            "bigram_overlap": bigram,
            "article_rrf": a_rrf,
            "sentence_rrf": s_rrf,
            "answer_type": typed,
            "wants_type": np.full(m, 1.0 if qtype != "other" else 0.0, np.float32),
            "novelty": novel,
            "log_length": np.log1p(lex.sentence_len[rows]),
            "position": np.log1p(corpus.sentence_index[rows].astype(np.float32)),
            "n_candidates": np.full(m, math.log(m), np.float32),
            "max_idf_match": max_idf,
            "question_terms": np.full(m, math.log1p(len(q_terms)), np.float32),
            "art_max_dense": art_dense,
            "art_max_overlap": art_overlap,
            "art_max_bm25": art_bm,
            "art_candidates": np.log1p(art_count),
            "dense_art_gap": dense_s - art_dense,
            "overlap_art_gap": overlap - art_overlap,
            "art_dense_rank": _rank_score(art_dense + 1e-4 * dense_art),
            "art_overlap_rank": _rank_score(art_overlap + 1e-4 * art_dense),
            "dense_article_rank": _rank_score(dense_art),
            "prev_overlap": prev_overlap,
            "next_overlap": next_overlap,
            "raw_bigram": raw_bigram,
            "raw_trigram": raw_trigram,
            "term_density": density,
            "new_names": np.log1p(new_names),
            "has_digit": has_digit,
            "has_year": has_year,
            "bm25_article": article_bm[arts] / (float(article_bm[arts].max()) or 1.0),
            "modal_match": modal,
            "statement_pair": aux_pair,
            "soft_overlap": soft_overlap,
            "resolved_overlap": resolved_overlap,
            "resolved_gap": resolved_overlap - resolved_overlap.max(),
            "refers_back": refers,
            "subject_overlap": subject,
            **{f"asks_{w}": np.full(m, 1.0 if w in q_word_set else 0.0, np.float32) for w in _QUESTION_WORDS},
        }
        return np.stack([np.asarray(cols[name], np.float32) for name in FEATURES], axis=1)


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


_NUMBER_WORDS = frozenset(tx.NUMBER_WORDS)
_DATE_WORDS = frozenset(tx.MONTHS + tx.WEEKDAYS + ["century", "decade"])


def _has_new_type(row: int, kind: str, q_words: frozenset[str], lex: Lexicon) -> bool:
    """True when the sentence holds an expression of the wanted kind made of words the question lacks."""
    new = [w for w in lex.sentence_words[row] if w not in q_words]
    if kind == "number":
        return any(w in _NUMBER_WORDS or _DIGIT.search(w) for w in new)
    if kind == "date":
        if not any(w in _DATE_WORDS or _DIGIT.search(w) for w in new):
            return False
        return bool(tx.dates(" ".join(w for w in lex.corpus.sentence_text[row].split()
                                      if w.strip(".,;:!?\"'“”’()").lower() not in q_words)))
    return any(w not in q_words and not w[0].isdigit() for w in lex.sentence_caps[row])
