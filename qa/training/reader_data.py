"""SQuAD retrieval dumped once for the reader: every question's ranked candidate sentences, normal and with its
gold paragraph excluded, and where its gold answers sit (sentence row, character span inside it).

`dump_retrieval` builds the SQuAD index with the project's engine, asks every question open the way `QA.ask`
does (same query vector, candidates, ranker, stable order), and writes two JSON-lines files: `sentences.jsonl`
(one row per corpus sentence) and `questions.jsonl`. Training and evaluation then run without retrieval.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DEPTH = 10  # ranked candidate sentences kept per question and run


@dataclass(frozen=True)
class Sentences:
    """The corpus sentences by row: text and article id (rows of one article are consecutive)."""

    text: list[str]
    article: list[str]

    def neighbours(self, row: int) -> tuple[str, str]:
        """The sentences before and after a row in its article ('' at either end)."""
        before = self.text[row - 1] if row > 0 and self.article[row - 1] == self.article[row] else ""
        after = self.text[row + 1] if row + 1 < len(self.text) and self.article[row + 1] == self.article[row] else ""
        return before, after

    def item(self, row: int) -> tuple[str, str, str]:
        """(sentence, previous, next): what the reader reads."""
        return (self.text[row], *self.neighbours(row))


def _gold_offsets(squad_path: str | Path) -> dict[str, list[tuple[str, int]]]:
    """Question id -> its gold answers as (text, start in the stripped paragraph text)."""
    data = json.loads(Path(squad_path).read_text(encoding="utf-8"))
    out: dict[str, list[tuple[str, int]]] = {}
    for entry in data["data"]:
        for para in entry["paragraphs"]:
            context = str(para["context"])
            shift = len(context) - len(context.lstrip())
            for qa in para["qas"]:
                out[str(qa["id"])] = [(str(a["text"]), int(a["answer_start"]) - shift)
                                      for a in qa.get("answers", []) if str(a["text"]).strip()]
    return out


def _gold_spans(answers: list[tuple[str, int]], text: str, starts: np.ndarray, ends: np.ndarray,
                rows: np.ndarray) -> list[list[int]]:
    """[row, start, end] of each gold answer that lies inside one sentence of the paragraph (char offsets in it)."""
    spans: list[list[int]] = []
    for answer, at in answers:
        if text[at : at + len(answer)] != answer:  # offsets off: take the occurrence nearest the given start
            found = [i for i in range(len(text)) if text.startswith(answer, i)]
            if not found:
                continue
            at = min(found, key=lambda i: abs(i - at))
        stop = at + len(answer)
        for r, s, e in zip(rows, starts, ends):
            if s <= at and stop <= e:
                span = [int(r), int(at - s), int(stop - s)]
                if span not in spans:
                    spans.append(span)
                break
    return spans


def _write_sentences(corpus: Any, path: Path) -> dict[int, list[int]]:
    """Write every corpus sentence (row, article id, text) as JSON lines; each article's sentence rows."""
    article_rows: dict[int, list[int]] = {}
    with path.open("w", encoding="utf-8") as fh:
        for row, text in enumerate(corpus.sentence_text):
            fh.write(json.dumps({"row": row, "article": corpus.articles[corpus.sentence_article[row]].id,
                                 "text": text}, ensure_ascii=False) + "\n")
            article_rows.setdefault(int(corpus.sentence_article[row]), []).append(row)
    return article_rows


def dump_retrieval(squad_path: str | Path, index_dir: str | Path, out_dir: str | Path, *, depth: int = DEPTH,
                   progress: bool = True, check: int = 50) -> Path:
    """Index SQuAD (once), rank every question's candidates, write sentences.jsonl and questions.jsonl;
    `check`: for this many questions, compare the dumped top 5 with `QA.ask(question, k=5)`'s citations."""
    from index.onnx_embedder import OnnxEmbedder
    from qa.engine import QA
    from qa.evaluation.evaluation import ingest_squad
    from qa.evaluation.squad import load_squad

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = load_squad(squad_path)
    golds = _gold_offsets(squad_path)
    embedder: Any = OnnxEmbedder(workers=1)
    engine = QA(index_dir, embedder=embedder)
    ingest_squad(engine, data.articles, progress=progress)
    retriever = engine.retriever()
    corpus = retriever.corpus
    texts = {a.id: a.text for a in data.articles}
    all_ids = [a.id for a in corpus.articles if a.id in corpus.article_row]
    known = KeyTerms(retriever)
    article_rows = _write_sentences(corpus, out / "sentences.jsonl")
    mismatches = 0
    bar: Any = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(data.questions), unit=" questions", file=sys.stderr, desc="retrieve")
    with (out / "questions.jsonl").open("w", encoding="utf-8") as fh:
        for i, q in enumerate(data.questions):
            vector = engine.embedder.encode_query(q.question)
            found = retriever.candidates(q.question, vector)
            gold_row = corpus.article_row.get(q.article_id, -1)
            normal: list[list[float]] = []
            if found is not None:
                scores = engine.ranker.score(found.features)
                order = np.argsort(-scores, kind="stable")[:depth]
                normal = [[int(found.rows[j]), round(float(scores[j]), 5)] for j in order]
            excluded = excluded_run(engine, retriever, q.question, vector, q.article_id, all_ids, depth)
            rows = np.asarray(article_rows.get(gold_row, []), np.int64)
            spans = _gold_spans(golds.get(q.id, []), texts.get(q.article_id, ""), corpus.sentence_start[rows],
                                corpus.sentence_end[rows], rows) if len(rows) else []
            if i < check:
                cited = [c.key for c in engine.ask(q.question, k=5).citations]
                mismatches += cited != [corpus.sentence_key(int(r)) for r, _ in normal[: len(cited)]]
            fh.write(json.dumps({"id": q.id, "question": q.question, "title": q.title, "article": q.article_id,
                                 "answers": list(q.answers), "gold": spans, "normal": normal, "excluded": excluded,
                                 "missing": retriever.missing_key_terms(q.question),
                                 "missing_excluded": known.missing(q.question, q.article_id),
                                 "threshold": engine.ranker.threshold}, ensure_ascii=False) + "\n")
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    if check:
        print(f"dump check: {mismatches} of {min(check, len(data.questions))} questions cite other sentences "
              "through QA.ask than dumped", file=sys.stderr)
    return out


def excluded_run(engine: Any, retriever: Any, question: str, vector: np.ndarray, gold: str, all_ids: list[str],
                 depth: int) -> list[list[float]]:
    """The ranked top `depth` [row, score] with the gold paragraph filtered out before retrieval.

    As `QA.ask(question, filters={"article_ids": all but gold})` ranks them: candidates, their features (ranks,
    fusion, article aggregates) and scores are computed without the gold paragraph. (Dropping its sentences
    after ranking leaves features computed with it present, which makes near misses look worse than they
    are: on the held-out half the ranker's threshold for 5% false abstention then abstains on 0.86 of
    the questions instead of 0.45.)
    """
    found = retriever.candidates(question, vector, article_ids=[a for a in all_ids if a != gold])
    if found is None:
        return []
    scores = engine.ranker.score(found.features)
    order = np.argsort(-scores, kind="stable")[:depth]
    return [[int(found.rows[j]), round(float(scores[j]), 5)] for j in order]


class KeyTerms:
    """`Retriever.missing_key_terms` over every article but one, without building a vocabulary per question.

    A vocabulary knows a word when one of its articles' vocabularies does, so per-article vocabularies and a
    word -> articles index answer "known outside the gold paragraph?" exactly.
    """

    def __init__(self, retriever: Any) -> None:
        from qa import text as tx
        from qa.search.terms import Vocabulary

        corpus, lex = retriever.corpus, retriever.lexicon
        rows_of: dict[int, list[int]] = {}
        for row, a in enumerate(corpus.sentence_article):
            rows_of.setdefault(int(a), []).append(row)
        self.vocab: dict[str, Any] = {}
        self.word_in: dict[str, set[str]] = {}
        self.stem_in: dict[str, set[str]] = {}
        for a, rows in rows_of.items():
            aid = corpus.articles[a].id
            v = Vocabulary.of([w for r in rows for w in lex.sentence_words[r]]
                              + list(tx.words(corpus.articles[a].title)))
            self.vocab[aid] = v
            for w in v.words:
                self.word_in.setdefault(w, set()).add(aid)
            for st in v.stems:
                self.stem_in.setdefault(st, set()).add(aid)
        self.full = retriever.lexicon.vocabulary

    def missing(self, question: str, gold: str) -> list[str]:
        """Key terms of the question known to no article but `gold`."""
        from qa import text as tx

        out = []
        for term in tx.key_terms(question):
            word = tx.fold(term)
            if not self.full.knows(word):
                out.append(term)
                continue
            quick = (self.word_in.get(word, set()) | self.stem_in.get(tx.stem(word), set())
                     | (self.word_in.get(word[:-1], set()) if len(word) > 2 and word.endswith("s") else set()))
            if quick - {gold}:
                continue
            if not any(v.knows(word) for aid, v in self.vocab.items() if aid != gold):
                out.append(term)
        return out


def redo_excluded(dump_dir: str | Path, index_dir: str | Path, *, depth: int = DEPTH, progress: bool = True,
                  check: int = 10) -> None:
    """Rewrite a dump's gold-excluded runs with `excluded_run` (the older post-hoc runs kept as `excluded_posthoc`)."""
    from index.onnx_embedder import OnnxEmbedder
    from qa.engine import QA

    embedder: Any = OnnxEmbedder(workers=1)
    engine = QA(index_dir, embedder=embedder)
    retriever = engine.retriever()
    corpus = retriever.corpus
    all_ids = [a.id for a in corpus.articles if a.id in corpus.article_row]
    known = KeyTerms(retriever)
    path = Path(dump_dir) / "questions.jsonl"
    questions = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    bar: Any = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(questions), unit=" questions", file=sys.stderr, desc="excluded")
    mismatches = 0
    for i, q in enumerate(questions):
        vector = engine.embedder.encode_query(q["question"])
        q.setdefault("excluded_posthoc", q["excluded"])
        q["excluded"] = excluded_run(engine, retriever, q["question"], vector, q["article"], all_ids, depth)
        q["missing_excluded"] = known.missing(q["question"], q["article"])
        if i < check:  # the system asked with the same filter cites the same sentences and misses the same terms
            ids = [a for a in all_ids if a != q["article"]]
            answer = engine.ask(q["question"], k=5, filters={"article_ids": ids})
            cited = [c.key for c in answer.citations]
            mismatches += cited != [corpus.sentence_key(int(r)) for r, _ in q["excluded"][: len(cited)]]
            mismatches += retriever.missing_key_terms(q["question"], article_ids=ids) != q["missing_excluded"]
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if check:
        print(f"excluded check: {mismatches} mismatches in {check} questions", file=sys.stderr)
    partial = path.with_suffix(".partial")
    partial.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    partial.replace(path)


def load_dump(directory: str | Path) -> tuple[Sentences, list[dict[str, Any]]]:
    """The sentences and questions written by `dump_retrieval`."""
    d = Path(directory)
    text, article = [], []
    with (d / "sentences.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            text.append(row["text"])
            article.append(row["article"])
    with (d / "questions.jsonl").open(encoding="utf-8") as fh:
        questions = [json.loads(line) for line in fh if line.strip()]
    return Sentences(text, article), questions


CALIBRATION_SHARE = 0.2  # of the training half's questions (whole titles) kept out of fitting, for thresholds
CALIBRATION_SEED = 11


def split(questions: list[dict[str, Any]]) -> tuple[set[str], set[str], set[str]]:
    """Titles: (fit, calibration, held out). Fit + calibration = the ranker's training half."""
    from types import SimpleNamespace

    from qa.evaluation.squad import split_titles

    train, test = split_titles([SimpleNamespace(title=q["title"]) for q in questions])  # type: ignore[misc]
    counts = Counter(q["title"] for q in questions if q["title"] in train)
    order = sorted(train)
    random.Random(CALIBRATION_SEED).shuffle(order)
    calibration: set[str] = set()
    total = sum(counts.values())
    for title in order:
        if sum(counts[t] for t in calibration) >= CALIBRATION_SHARE * total:
            break
        calibration.add(title)
    return train - calibration, calibration, test
