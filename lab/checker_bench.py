"""How well `qa.answers.verify.check` tells supported claims from unsupported ones, measured on SQuAD.

SQuAD gives, for each question, the paragraph and the answer; the sentence holding the answer is the
evidence. From each question three cited claims are made, with the question's words and an answer:

- supported: the question stated with its gold answer ("How many ... in Agadez approximately 1,100."),
  citing the sentence that holds the answer;
- wrong answer: the same with another question's answer of the same kind (a number for a number, a
  name for a name), citing the same sentence;
- wrong sentence: the supported claim citing the paragraph's sentence most like the question that does
  not hold the answer.

Precision is the share of accepted claims that are supported ones; recall the share of supported claims
accepted. The claims are built, not written by a model: the figures say what the checker does with
claims worded like the question and its sources, not how a given LLM words them.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from index.sentences import sentence_spans
from qa import text as tx
from qa.answers.verify import Claim, check
from qa.evaluation.squad import load_squad, sample

_KINDS = ("citation", "number", "date word", "name", "negation", "content words", "nothing")


def _claim(question: str, answer: str) -> Claim:
    text = f"{question.rstrip(' ?')} {answer}."
    return Claim(text, (1,), text)


def _cases(path: str, limit: int) -> list[dict[str, Any]]:
    data = load_squad(path)
    texts = {a.id: a.text for a in data.articles}
    questions = sample([q for q in data.questions if q.answerable], limit)
    by_kind: dict[str, list[str]] = defaultdict(list)
    for q in questions:
        by_kind[tx.question_type(q.question)].append(q.answers[0])
    rng = random.Random(5)
    cases = []
    for q in questions:
        text = texts[q.article_id]
        spans = sentence_spans(text)
        sentences = [text[s:e] for s, e in spans]
        gold = next((i for i, s in enumerate(sentences) if q.answers[0] in s), None)
        if gold is None:
            continue  # the answer crosses a sentence boundary
        around = [" ".join(sentences[max(0, i - 1):i] + sentences[i + 1:i + 2]) for i in range(len(sentences))]
        answer = q.answers[0]
        cases.append({"kind": "supported", "claim": _claim(q.question, answer), "evidence": sentences[gold],
                      "context": around[gold], "question": q.question})
        others = [a for a in by_kind[tx.question_type(q.question)] if a not in sentences[gold]]
        if others:
            cases.append({"kind": "wrong answer", "claim": _claim(q.question, rng.choice(others)),
                          "evidence": sentences[gold], "context": around[gold], "question": q.question})
        terms = set(tx.terms(q.question))
        rest = [i for i, s in enumerate(sentences) if not any(a in s for a in q.answers)]
        if rest:
            near = max(rest, key=lambda i: (len(terms & set(tx.terms(sentences[i]))), -abs(i - gold)))
            cases.append({"kind": "wrong sentence", "claim": _claim(q.question, answer), "evidence": sentences[near],
                          "context": around[near], "question": q.question})
    return cases


def run_checker_bench(path: str, *, limit: int = 2000, reader: Any = None) -> dict[str, Any]:
    """Precision and recall of the checker on claims built from `limit` SQuAD questions (with `reader`, a claim
    stating the reader's answer from its sentence may word the question's part otherwise, as the engine's)."""
    from qa.answers.reading import reader_answer

    accepted: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    reasons: dict[str, int] = defaultdict(int)
    for case in _cases(path, limit):
        read = None if reader is None else (lambda n, c=case: reader_answer(reader, c["question"], (c["evidence"], "", "")))
        reason = check(case["claim"], [case["evidence"]], question=case["question"], context=[case["context"]],
                       read=read)
        total[case["kind"]] += 1
        if reason is None:
            accepted[case["kind"]] += 1
        elif case["kind"] == "supported":
            reasons[next((k for k in _KINDS if k in reason), reason)] += 1
    kept = sum(accepted.values())
    return {
        "questions": limit,
        "claims": dict(total),
        "accepted": dict(accepted),
        "precision": round(accepted["supported"] / kept, 4) if kept else None,
        "recall": round(accepted["supported"] / total["supported"], 4) if total["supported"] else None,
        "false_accept_rate": {k: round(accepted[k] / total[k], 4) for k in ("wrong answer", "wrong sentence")
                              if total[k]},
        "supported_but_dropped_because": dict(sorted(reasons.items(), key=lambda kv: -kv[1])[:6]),
    }


def format_checker_bench(found: dict[str, Any]) -> str:
    """The figures as a short table."""
    lines = [f"claims from {found['questions']} SQuAD questions: " +
             ", ".join(f"{n} {k}" for k, n in found["claims"].items()),
             f"precision (accepted claims that are supported)   {found['precision']:.3f}",
             f"recall (supported claims accepted)               {found['recall']:.3f}"]
    for kind, rate in found["false_accept_rate"].items():
        lines.append(f"accepted though {kind:<33}{rate:.3f}")
    lines.append("supported claims dropped because: " +
                 "; ".join(f"{k} ({n})" for k, n in found["supported_but_dropped_because"].items()))
    return "\n".join(lines)
