"""Reading the evidence: does it answer the question, and with which words of which cited sentence.

The reader (`qa.answers.reader`) reads the first few cited sentences, each with its neighbours; its
answerability and span scores are combined with the ranker's calibrated score and the share of the
question's terms the sentence and its neighbours hold (`Decision`, fitted on the ranker's training half). The question is answered when the best combined score clears the threshold; the
short answer is the reader's span in the chosen sentence, given only when the span itself is confident. A
count or price question ("How many ...", "How much did it cost?") with no confident span is not answered
when what was read holds no amount of that kind. A digest or yes/no question that one cited article holds
every topic word of is answered though no span was found. Those rules are named in `qa.rules.decisions`.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from index.dates import BadDate, parse_date
from qa.answers.coverage import Idf, term_share
from qa.answers.reader import Reader, Reading
from qa.models import Citation
from qa.rules.decisions import (
    NotHeld,
    amount_missing,
    is_short_answer,
    newest_value,
    off_topic,
    span_is_sure,
    topic_held,
    trim_answer,
)
from qa.rules.decisions import widen_number as widen  # noqa: F401  (the name tests and callers know)

WEIGHTS = Path(__file__).with_name("reader_weights")  # reader-int8.onnx, tokenizer.json, reader.json
_LOCK = threading.Lock()
_LOADED: dict[tuple[str, int], Reader] = {}


@dataclass(frozen=True)
class Judgement:
    """What reading decided: answered or not (`p`: the combined score), and the short answer if one is sure."""

    answered: bool
    p: float
    citation: int | None = None  # index into the citations of the sentence holding the short answer
    start: int = 0  # the short answer's offsets within that sentence
    end: int = 0
    text: str | None = None
    older: int | None = None  # an older article's citation giving another value ("two" before "seven"), if any
    older_text: str | None = None
    logits: tuple[float, ...] = ()  # the reader's answerable logit of each citation read, in order


def load_reader(folder: str | Path | None = None, *, threads: int = 1) -> Reader | None:
    """The shipped reader (or one in `folder`), loaded once per process; None when its weights are absent."""
    path = Path(folder) if folder else WEIGHTS
    key = (str(path), threads)
    with _LOCK:
        if key not in _LOADED:
            if not (path / "reader.json").is_file():
                return None
            _LOADED[key] = Reader(path, threads=threads)
        return _LOADED[key]


def judge(reader: Reader, question: str, citations: Sequence[Citation],
          context: Sequence[tuple[str, str]], *, idf: Idf | None = None,
          not_held: NotHeld | None = None) -> Judgement:
    """Read the first `decision.n` citations (with their neighbours) and decide.

    Args:
        idf: the corpus's IDF of a stemmed term (`Lexicon.idf_of`), for a decision that reads the term share.
        not_held: the words an article lacks (`Retriever.not_held`); with it, a digest or yes/no question one
            cited article holds every topic word of is answered though no span was found.
    """
    judged = _read(reader, question, citations, context, idf)
    if not_held is None:
        return judged
    shown = citations[: reader.config.decision.n]
    held = topic_held(question, [c.article_id for c in shown], not_held)
    if not judged.answered and held:
        return Judgement(True, judged.p, logits=judged.logits)  # no span to miss, and one cited article holds all of its topic
    if judged.answered and off_topic(question, held, quoted_only=judged.text is None):
        return Judgement(False, judged.p, logits=judged.logits)  # none of the cited articles is on its topic
    return judged


def _read(reader: Reader, question: str, citations: Sequence[Citation], context: Sequence[tuple[str, str]],
          idf: Idf | None) -> Judgement:
    """The reader's decision: answered or not, and the short answer's span when one is sure."""
    decision = reader.config.decision
    shown = list(citations[: decision.n])
    items = [(c.sentence, *(context[i] if i < len(context) else ("", ""))) for i, c in enumerate(shown)]
    readings = reader.read(question, items)
    share = list(term_share(question, items, idf)) if decision.reads_terms else None
    judged = _decide(reader, question, shown, readings, share)
    return replace(judged, logits=tuple(r.answerable for r in readings))


def _decide(reader: Reader, question: str, shown: Sequence[Citation], readings: Sequence[Reading],
            share: list[float] | None) -> Judgement:
    """The decision over the readings of the citations `shown`, and the short answer when one is sure."""
    decision = reader.config.decision
    choice, p = decision.choose(readings, [c.score for c in shown], share)
    if choice is None:
        return Judgement(False, p)
    sentence = shown[choice].sentence
    min_p = reader.config.info.get("span_min_p", 0.0)
    found = _short_answer(question, sentence, readings[choice], min_p)
    if found is None:  # answered, but no span is a sure short answer: the sentences are quoted
        if amount_missing(question, [c.sentence for c in shown]):
            return Judgement(False, p)
        return Judgement(True, p)
    # every sentence read that answers, with its short answer: by the decision, or by the reader alone (a later
    # report's paraphrase, "the death toll rose to seven", lacks the question's words the decision weighs)
    answers = {choice: found}
    for k, pk in enumerate(decision.scores(readings[: decision.n], [c.score for c in shown], share)):
        if k != choice and (pk >= decision.threshold or readings[k].answerable > 0):
            other = _short_answer(question, shown[k].sentence, readings[k], min_p)
            if other is not None:
                answers[k] = other
    ks = sorted(answers)
    changed = newest_value([(published_time(shown[k].published_at), answers[k][2]) for k in ks])
    if changed is None:
        return Judgement(True, p, choice, *found)
    newest, older = ks[changed[0]], ks[changed[1]]
    return Judgement(True, p, newest, *answers[newest], older=older, older_text=answers[older][2])


def published_time(published_at: str) -> float:
    """Unix time of a citation's `published_at` (read by the ingest's own `parse_date`); NaN when undated."""
    try:
        return parse_date(published_at).timestamp() if published_at else math.nan
    except BadDate:
        return math.nan


def _short_answer(question: str, sentence: str, reading: Reading, min_p: float) -> tuple[int, int, str] | None:
    """(start, end, text) of the best of the reader's spans that is sure and is a short answer, if one is."""
    for start, end, score in reading.alternatives or ((reading.start, reading.end, reading.span_score),):
        if not span_is_sure(score, start, end, min_p):
            return None  # the rest are less sure still
        start, end, text = trim_answer(sentence, start, end)
        if text is not None and is_short_answer(question, text):
            return start, end, text
    return None
