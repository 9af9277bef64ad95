"""Extractive answers: a short answer where one is evident, then the evidence quoted, each with its citation key."""

from __future__ import annotations

import re
from typing import Iterator

from qa import text as tx
from qa.answers.citations import marker
from qa.answers.phrasing import asked, not_said
from qa.answers.reading import Judgement
from qa.models import Citation
from qa.rules.decisions import abstains

ABSTAIN_TEXT = "The articles don't say."


def _proximity(sentence: str, start: int, end: int, q_terms: set[str]) -> float:
    """How close a span sits to the question's words: the sum of 1 / (1 + words between)."""
    score = 0.0
    words = [(m.start(), m.group()) for m in re.finditer(r"\S+", sentence)]
    first = next((i for i, (at, _) in enumerate(words) if at >= start), len(words))
    last = max(first, next((i for i, (at, _) in enumerate(words) if at >= end), len(words)) - 1)
    for i, (_, word) in enumerate(words):
        if first <= i <= last:
            continue
        if tx.stem(word.strip(".,;:!?\"'“”’()").lower()) in q_terms:
            gap = first - i if i < first else i - last
            score += 1.0 / (1.0 + gap)
    return score


def short_answer(question: str, sentence: str) -> str | None:
    """A number for 'how many', a date for 'when', a name for 'who'/'where' -- if the sentence has one."""
    kind = tx.question_type(question)
    q_terms = set(tx.terms(question))
    q_words = set(tx.words(question))
    spans: list[tuple[int, int, str]] = []
    if kind == "number":
        spans = [(m.start(), m.end(), m.group()) for m in tx.numbers(sentence)]
    elif kind == "date":
        spans = [(m.start(), m.end(), m.group()) for m in tx.dates(sentence)]
    elif kind in ("person", "place"):
        spans = tx.names(sentence)
    # an answer is something the question doesn't already say
    spans = [s for s in spans if not set(tx.words(s[2])) <= q_words and s[2].strip()]
    if kind in ("person", "place"):
        spans = [s for s in spans if not any(w in q_words for w in tx.words(s[2]))]
        spans = [s for s in spans if s[0] > 0 or len(s[2].split()) > 1]
    if not spans:
        return None
    multiword = 1.0 if kind == "person" else 0.0
    start, end, value = max(
        spans, key=lambda s: (multiword * (len(s[2].split()) > 1), _proximity(sentence, s[0], s[1], q_terms), -s[0])
    )
    return value.strip(" ,;:")


def _lead(judged: Judgement, citations: list[Citation]) -> str:
    """The short answer with its citation; when an older article gave another value, that value, its day and
    citation: "seven [1] (March 17, 2025; two on March 13, 2025 [2])"."""
    cited = citations[judged.citation or 0]
    if judged.older is None:
        return f"{judged.text} {marker(cited.key)}"
    older = citations[judged.older]
    return (f"{judged.text} {marker(cited.key)} ({_day(cited)}; {judged.older_text} on {_day(older)} "
            f"{marker(older.key)})")


def _day(c: Citation) -> str:
    return c.published_label or c.published_at[:10]


def compose(question: str, citations: list[Citation], quote_limit: int,
            judged: Judgement | None = None) -> tuple[str, str | None, bool]:
    """Keyed answer text (see `qa.answers.citations`), short answer and whether it abstains, from ranked
    citations (the first is the best) and, when the reader read them, its judgement.

    Read and not answered: "The articles don't say <what was asked>. The closest:" and the quotes. Read and
    answered: the reader's short answer (when it is sure of one) before the quotes. Not read: the rules
    of `short_answer` find a number, date or name.
    """
    if abstains(bool(citations), None if judged is None else judged.answered):
        if not citations:
            return ABSTAIN_TEXT, None, True
        return f"{not_said(question)} The closest:\n\n{_quoted(citations, quote_limit)}", None, True
    quoted = _quoted(citations, quote_limit)
    if judged is not None:
        if judged.text is None or judged.citation is None:
            return quoted, None, False
        return f"{_lead(judged, citations)}\n\n{quoted}", judged.text, False
    short = short_answer(question, citations[0].sentence)
    if short:
        return f"{short} {marker(citations[0].key)}\n\n{quoted}", short, False
    return quoted, None, False


def outside_window(question: str, label: str, when: str, citations: list[Citation], quote_limit: int, *,
                   newest: bool = False) -> str:
    """The keyed answer when nothing in the question's window says it and articles outside it do:
    "Nothing in the articles from 3-9 June 2024 says who ... The newest on it, from May 2024: ..." (`newest`: the
    quotes are the newest on it, else the closest)."""
    quoted = _quoted(citations, quote_limit)
    clause = asked(question)
    said = f"says {clause}" if clause else f"answers “{question.strip()}”"
    which = "The newest on it" if newest else "The closest"
    return f"Nothing in the articles from {label} {said}. {which}, from {when}:\n\n{quoted}"


def _quoted(citations: list[Citation], quote_limit: int) -> str:
    """The first `quote_limit` cited sentences, quoted, each with its citation key."""
    return " ".join(f"“{c.sentence}” {marker(c.key)}" for c in citations[:quote_limit])


def pieces(text: str, words: int = 6) -> Iterator[str]:
    """The answer text a few words at a time (how the extractive answer streams)."""
    parts = re.split(r"(\s+)", text)
    for i in range(0, len(parts), 2 * words):
        yield "".join(parts[i:i + 2 * words])
