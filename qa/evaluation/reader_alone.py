"""The reader judged apart from retrieval: each SQuAD question with its gold paragraph given.

Every sentence of the gold paragraph is read (with its neighbours, as the engine reads citations); the
sentence the reader finds likeliest to answer (answerability logit plus span log-probability) gives the
short answer, its best span kept by the same rules the engine applies (`qa.rules.decisions`): a number with
its qualifier, the thing a "which X" asks for whole, never the question's own words, the kind of thing asked.
EM and F1 over every answerable question (no span counts 0), as SQuAD scores readers; a reader change can be
judged here before retrieval.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from index.sentences import split_sentences
from qa.answers.reader import Reader
from qa.evaluation import metrics as m
from qa.evaluation.squad import load_squad, sample
from qa.rules.decisions import is_short_answer, trim_answer, widen_to_asked


def short_answer(reader: Reader, question: str, paragraph: str, *, context_tokens: int | None = None) -> str | None:
    """The reader's short answer from a paragraph (None when no span of it is a short answer)."""
    texts = [s.text for s in split_sentences("p", paragraph)]
    if not texts:
        return None
    items = [(t, texts[i - 1] if i else "", texts[i + 1] if i + 1 < len(texts) else "") for i, t in enumerate(texts)]
    readings = reader.read(question, items, context_tokens=context_tokens)
    i = max(range(len(readings)), key=lambda j: readings[j].answerable + readings[j].span_score)
    for start, end, _ in readings[i].alternatives or ((readings[i].start, readings[i].end, 0.0),):
        _, _, text = trim_answer(texts[i], widen_to_asked(question, texts[i], start), end)
        if text and is_short_answer(question, text):
            return text
    return None


def evaluate_reader_alone(reader: Reader, squad_path: str | Path, *, limit: int | None = None) -> dict[str, Any]:
    """EM, F1 and questions a second of the reader over SQuAD with the gold paragraph given."""
    data = load_squad(squad_path)
    texts = {a.id: a.text for a in data.articles}
    questions = [q for q in sample(data.questions, limit) if q.answerable]
    em = f1 = 0.0
    t0 = time.perf_counter()
    for q in questions:
        found = short_answer(reader, q.question, texts[q.article_id])
        if found:
            em += m.exact_match(found, q.answers)
            f1 += m.f1_score(found, q.answers)
    n = max(1, len(questions))
    return {"questions": len(questions), "em": round(em / n, 4), "f1": round(f1 / n, 4),
            "questions_per_s": round(len(questions) / max(time.perf_counter() - t0, 1e-9), 1)}
