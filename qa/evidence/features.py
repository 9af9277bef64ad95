"""Candidate-sentence features for the ranker: one short function per family, each returning named columns.

`FEATURES` is the column order the ranker's weights were fitted on (`qa train`); `feature_matrix`
stacks the families' columns in that order. The question is tokenised once (`Query`); what each
sentence contributes was tokenised once per corpus (`qa.search.lexicon.Lexicon`).
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from qa import text as tx
from qa.search.lexicon import Lexicon
from qa.search.terms import AUXILIARIES, MODALS, PREFIX_MIN

# The ranker's input columns, in the order its weights were fitted on (append only; `qa train` refits).
FEATURES = (
    "dense_sentence", "dense_context", "dense_neighbours", "dense_chunk", "dense_article", "dense_gap",
    "dense_context_gap", "dense_rank", "bm25_sentence", "bm25_chunk", "bm25_sentence_log", "overlap", "overlap_gap",
    "overlap_rank", "context_overlap", "article_overlap", "title_overlap", "bigram_overlap", "article_rrf",
    "sentence_rrf", "answer_type", "wants_type", "novelty", "log_length", "position", "n_candidates",
    "max_idf_match", "question_terms", "art_max_dense", "art_max_overlap", "art_max_bm25", "art_candidates",
    "dense_art_gap", "overlap_art_gap", "art_dense_rank", "art_overlap_rank", "dense_article_rank", "prev_overlap",
    "next_overlap", "raw_bigram", "raw_trigram", "term_density", "new_names", "has_digit", "has_year",
    "bm25_article", "modal_match", "statement_pair", "soft_overlap", "resolved_overlap", "resolved_gap",
    "refers_back", "subject_overlap", "asks_what", "asks_which", "asks_who", "asks_when", "asks_where", "asks_how",
    "asks_why",
)

Columns = dict[str, np.ndarray]
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"\b(?:1\d{3}|20\d{2})s?\b")
_QUESTION_WORDS = ("what", "which", "who", "when", "where", "how", "why")
_PREFIX_RATIO = 0.6  # a word variant's shorter word is at least this share of the longer
_NUMBER_WORDS = frozenset(tx.NUMBER_WORDS)
_DATE_WORDS = frozenset(tx.MONTHS + tx.WEEKDAYS + ["century", "decade"])


@dataclass(frozen=True)
class Query:
    """The question side of the features, tokenised once."""

    text: str
    kind: str  # the answer type it wants (`qa.text.question_type`)
    terms: list[str]  # distinct stemmed terms, in order
    idf: np.ndarray
    mass: float  # sum of the terms' IDF (1 when none)
    weight: dict[str, float]  # term -> IDF
    words: list[str]  # lower-case words
    word_set: frozenset[str]

    @classmethod
    def of(cls, question: str, lex: Lexicon) -> "Query":
        """Tokenise a question against a corpus's IDF."""
        terms = list(dict.fromkeys(tx.terms(question)))
        idf = np.asarray([lex.idf_of(t) for t in terms], np.float32)
        words = tx.words(question)
        return cls(question, tx.question_type(question), terms, idf, float(idf.sum()) or 1.0,
                   dict(zip(terms, idf)), words, frozenset(words))

    def overlap(self, terms: frozenset[str] | set[str]) -> float:
        """IDF-weighted share of the question's terms found in `terms`."""
        return sum(w for t, w in self.weight.items() if t in terms) / self.mass


@dataclass(frozen=True)
class Pool:
    """The candidate sentences of one question: where they sit, and the retrieval scores the features read."""

    lex: Lexicon
    rows: np.ndarray
    vector: np.ndarray  # the question's
    sentence_rrf: dict[int, float]
    article_rrf: dict[int, float]
    sentence_bm25: np.ndarray  # over all sentences
    chunk_bm25: np.ndarray  # over all chunks
    article_bm25: np.ndarray  # over all articles

    @property
    def arts(self) -> np.ndarray:
        """Article row of each candidate."""
        return self.lex.corpus.sentence_article[self.rows]

    def neighbours(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Previous and next rows, and whether each is in the same article."""
        art, n = self.lex.corpus.sentence_article, len(self.lex.corpus.sentence_ids)
        rows = self.rows
        prev_rows, next_rows = np.clip(rows - 1, 0, n - 1), np.clip(rows + 1, 0, n - 1)
        same_prev = (rows > 0) & (art[prev_rows] == art[rows])
        same_next = (rows + 1 < n) & (art[next_rows] == art[rows])
        return prev_rows, next_rows, same_prev, same_next

    def chunks(self) -> tuple[np.ndarray, np.ndarray]:
        """The (up to two) chunks of each candidate (0 where none) and whether it has one."""
        chunks = self.lex.sentence_chunks[self.rows]
        return np.where(chunks < 0, 0, chunks), chunks[:, 0] >= 0


def rank_score(values: np.ndarray) -> np.ndarray:
    """1 / (1 + rank) of each value among all (rank 0 = largest)."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), np.float32)
    ranks[order] = np.arange(len(values), dtype=np.float32)
    return 1.0 / (1.0 + ranks)


def dense(q: Query, c: Pool) -> Columns:
    """Cosine of the question to the sentence, its neighbourhood, its chunks and its article."""
    corpus, vector, rows = c.lex.corpus, c.vector, c.rows
    vecs = corpus.sentence_vectors
    prev_rows, next_rows, same_prev, same_next = c.neighbours()
    dense_s = vecs[rows] @ vector
    ctx_vec = vecs[rows] + np.where(same_prev[:, None], vecs[prev_rows], 0) \
        + np.where(same_next[:, None], vecs[next_rows], 0)
    ctx_vec /= np.maximum(np.linalg.norm(ctx_vec, axis=1, keepdims=True), 1e-9)
    dense_ctx = ctx_vec @ vector
    dense_prev = np.where(same_prev, vecs[prev_rows] @ vector, 0.0)
    dense_next = np.where(same_next, vecs[next_rows] @ vector, 0.0)
    safe, has_chunk = c.chunks()
    dense_chunk = np.where(has_chunk, np.maximum(corpus.chunk_vectors[safe[:, 0]] @ vector,
                                                 corpus.chunk_vectors[safe[:, 1]] @ vector), 0.0)
    return {
        "dense_sentence": dense_s,
        "dense_context": dense_ctx,
        "dense_neighbours": np.maximum(dense_prev, dense_next),
        "dense_chunk": dense_chunk,
        "dense_article": c.lex.article_vectors[c.arts] @ vector,
        "dense_gap": dense_s - dense_s.max(),
        "dense_context_gap": dense_ctx - dense_ctx.max(),
        "dense_rank": rank_score(dense_s),
    }


def bm25(q: Query, c: Pool) -> Columns:
    """BM25 of the sentence, its best chunk and its article, scaled by the best candidate's."""
    safe, has_chunk = c.chunks()
    bm_chunk = np.where(has_chunk, np.maximum(c.chunk_bm25[safe[:, 0]], c.chunk_bm25[safe[:, 1]]), 0.0)
    bm_s = c.sentence_bm25[c.rows]
    article = c.article_bm25[c.arts]
    return {
        "bm25_sentence": bm_s / (float(bm_s.max()) or 1.0),
        "bm25_chunk": bm_chunk / (float(bm_chunk.max()) or 1.0),
        "bm25_sentence_log": np.log1p(bm_s),
        "bm25_article": article / (float(article.max()) or 1.0),
    }


def overlap(q: Query, c: Pool) -> Columns:
    """IDF-weighted term overlap of the sentence, its neighbours, its title; bigrams; novelty."""
    lex, rows, m = c.lex, c.rows, len(c.rows)
    _, _, same_prev, same_next = c.neighbours()
    q_set, q_bigrams = frozenset(q.terms), _bigrams(q.terms)
    q_top = float(q.idf.max()) if len(q.idf) else 1.0
    own, context, title, bigram, novel, max_idf, prev, nxt = np.zeros((8, m), np.float32)
    titles: dict[int, float] = {}
    for i, row in enumerate(rows.tolist()):
        terms = lex.sentence_term_sets[row]
        around = set(terms)
        if same_prev[i]:
            around |= lex.sentence_term_sets[row - 1]
            prev[i] = q.overlap(lex.sentence_term_sets[row - 1])
        if same_next[i]:
            around |= lex.sentence_term_sets[row + 1]
            nxt[i] = q.overlap(lex.sentence_term_sets[row + 1])
        own[i] = q.overlap(terms)
        context[i] = q.overlap(around)
        a = int(lex.corpus.sentence_article[row])
        if a not in titles:
            titles[a] = q.overlap(lex.title_terms[a])
        title[i] = titles[a]
        if q_bigrams:
            bigram[i] = len(q_bigrams & _bigrams(lex.sentence_terms[row])) / len(q_bigrams)
        novel[i] = len(terms - q_set) / max(len(terms), 1)
        max_idf[i] = max((w for t, w in q.weight.items() if t in terms), default=0.0) / q_top
    return {
        "overlap": own,
        "overlap_gap": own - own.max(),
        "context_overlap": context,
        "title_overlap": title,
        "bigram_overlap": bigram,
        "novelty": novel,
        "max_idf_match": max_idf,
        "prev_overlap": prev,
        "next_overlap": nxt,
    }


def phrasing(q: Query, c: Pool) -> Columns:
    """The question's word pairs and triples, its statement form, its modal, and how close its terms sit."""
    lex, m = c.lex, len(c.rows)
    q_bi, q_tri = set(zip(q.words, q.words[1:])), set(zip(q.words, q.words[1:], q.words[2:]))
    q_modals = q.word_set & MODALS
    statement = _statement_pairs(q.words)
    raw_bigram, raw_trigram, density, modal, pair = np.zeros((5, m), np.float32)
    for i, row in enumerate(c.rows.tolist()):
        s_words = lex.sentence_words[row]
        if q_bi:
            raw_bigram[i] = len(q_bi.intersection(zip(s_words, s_words[1:]))) / len(q_bi)
        if q_tri:
            raw_trigram[i] = len(q_tri.intersection(zip(s_words, s_words[1:], s_words[2:]))) / len(q_tri)
        positions = [j for j, t in enumerate(lex.sentence_terms[row]) if t in q.weight]
        if len(positions) > 1:
            density[i] = len({lex.sentence_terms[row][j] for j in positions}) / (positions[-1] - positions[0] + 1)
        if q_modals and not q_modals.isdisjoint(s_words):
            modal[i] = 1.0
        if statement and not statement.isdisjoint(zip(s_words, s_words[1:])):
            pair[i] = 1.0
    return {"raw_bigram": raw_bigram, "raw_trigram": raw_trigram, "term_density": density,
            "modal_match": modal, "statement_pair": pair}


def answer_shape(q: Query, c: Pool) -> Columns:
    """Does the sentence hold what the question asks for: the wanted type, new names, numbers, years."""
    lex, m = c.lex, len(c.rows)
    typed, names, digit, year = np.zeros((4, m), np.float32)
    for i, row in enumerate(c.rows.tolist()):
        if q.kind != "other":
            typed[i] = 1.0 if _has_new_type(row, q.kind, q.word_set, lex) else 0.0
        names[i] = sum(1 for w in lex.sentence_caps[row][1:] if w not in q.word_set)
        novel_digits = [w for w in lex.sentence_words[row] if w not in q.word_set and _DIGIT.search(w)]
        digit[i] = 1.0 if novel_digits else 0.0
        year[i] = 1.0 if any(_YEAR.fullmatch(w) for w in novel_digits) else 0.0
    return {
        "answer_type": typed,
        "wants_type": np.full(m, 1.0 if q.kind != "other" else 0.0, np.float32),
        "new_names": np.log1p(names),
        "has_digit": digit,
        "has_year": year,
        "log_length": np.log1p(lex.sentence_len[c.rows]),
        "position": np.log1p(lex.corpus.sentence_index[c.rows].astype(np.float32)),
    }


def reference(q: Query, c: Pool) -> Columns:
    """Overlap counting word variants (Russia/Russian), after a crude coreference step, and of the subject."""
    lex, m = c.lex, len(c.rows)
    _, _, same_prev, _ = c.neighbours()
    variants = _variants(q.words, lex)

    def soft(terms: frozenset[str] | set[str]) -> float:
        return sum(w for t, w in q.weight.items()
                   if t in terms or (t in variants and not variants[t].isdisjoint(terms))) / q.mass

    soft_overlap, resolved, refers, subject = np.zeros((4, m), np.float32)
    for i, row in enumerate(c.rows.tolist()):
        terms = lex.sentence_term_sets[row]
        soft_overlap[i] = soft(terms)
        borrowed = lex.antecedents.get(row) if same_prev[i] else None
        subject[i] = soft(lex.subjects[row] | borrowed if borrowed else lex.subjects[row])
        if borrowed:
            refers[i] = 1.0
            resolved[i] = soft(terms | borrowed)
        else:
            resolved[i] = soft_overlap[i]
    return {"soft_overlap": soft_overlap, "resolved_overlap": resolved, "resolved_gap": resolved - resolved.max(),
            "refers_back": refers, "subject_overlap": subject}


def fusion(q: Query, c: Pool) -> Columns:
    """Reciprocal-rank fusion scores, and what kind of question it is."""
    m = len(c.rows)
    best_article = max(c.article_rrf.values()) if c.article_rrf else 1.0
    best_sentence = max(c.sentence_rrf.values())
    return {
        "article_rrf": np.asarray([c.article_rrf.get(int(a), 0.0) for a in c.arts], np.float32) / best_article,
        "sentence_rrf": np.asarray([c.sentence_rrf.get(int(r), 0.0) for r in c.rows], np.float32) / best_sentence,
        "n_candidates": np.full(m, math.log(m), np.float32),
        "question_terms": np.full(m, math.log1p(len(q.terms)), np.float32),
        **{f"asks_{w}": np.full(m, 1.0 if w in q.word_set else 0.0, np.float32) for w in _QUESTION_WORDS},
    }


def per_article(cols: Columns, c: Pool) -> Columns:
    """The same signals aggregated over each article's candidates (which article, then which sentence), and ranks."""
    _, inv = np.unique(c.arts, return_inverse=True)
    n_art = int(inv.max()) + 1

    def art_max(values: np.ndarray) -> np.ndarray:
        out = np.full(n_art, -np.inf, np.float32)
        np.maximum.at(out, inv, values.astype(np.float32))
        return out[inv]

    dense_s, own, dense_art = cols["dense_sentence"], cols["overlap"], cols["dense_article"]
    art_dense, art_overlap = art_max(dense_s), art_max(own)
    return {
        "overlap_rank": rank_score(own + 1e-3 * dense_s),
        "art_max_dense": art_dense,
        "art_max_overlap": art_overlap,
        "article_overlap": art_overlap,  # the same column as art_max_overlap: drop one at a retrain
        "art_max_bm25": art_max(cols["bm25_sentence"]),
        "art_candidates": np.log1p(np.bincount(inv, minlength=n_art)[inv].astype(np.float32)),
        "dense_art_gap": dense_s - art_dense,
        "overlap_art_gap": own - art_overlap,
        "art_dense_rank": rank_score(art_dense + 1e-4 * dense_art),
        "art_overlap_rank": rank_score(art_overlap + 1e-4 * art_dense),
        "dense_article_rank": rank_score(dense_art),
    }


FAMILIES: tuple[Callable[[Query, Pool], Columns], ...] = (dense, bm25, overlap, phrasing, answer_shape,
                                                                 reference, fusion)


def feature_matrix(q: Query, c: Pool) -> np.ndarray:
    """One row per candidate, one column per name in `FEATURES`."""
    cols: Columns = {}
    for family in FAMILIES:
        cols.update(family(q, c))
    cols.update(per_article(cols, c))
    return np.stack([np.asarray(cols[name], np.float32) for name in FEATURES], axis=1)


def _bigrams(terms: list[str]) -> set[tuple[str, str]]:
    return set(zip(terms, terms[1:]))


def _statement_pairs(q_words: list[str]) -> set[tuple[str, str]]:
    """(word, auxiliary) pairs the question would have as a statement: subject words before its auxiliary."""
    at = next((i for i, w in enumerate(q_words[:4]) if w in AUXILIARIES), -1)
    if at < 0:
        return set()
    aux = q_words[at]
    return {(w, aux) for w in q_words[at + 1:] if w not in tx.STOPWORDS}


def _variants(words: list[str], lex: Lexicon) -> dict[str, frozenset[str]]:
    """Stems of corpus words sharing a long prefix with a question word (Russia/Russian, Niger/Nigerien)."""
    out: dict[str, frozenset[str]] = {}
    for w in dict.fromkeys(words):
        if len(w) < PREFIX_MIN or w in tx.STOPWORDS:
            continue
        own = tx.stem(w)
        found = {w[:n] for n in range(max(PREFIX_MIN, math.ceil(len(w) * _PREFIX_RATIO)), len(w))
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
