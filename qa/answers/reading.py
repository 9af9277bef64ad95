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
from typing import Callable, Sequence

import numpy as np

from index.dates import BadDate, parse_date
from qa.answers.coverage import Idf, term_share
from qa.answers.reader import Reader, Reading
from qa.models import Citation
from qa.rules.decisions import (
    BEARS_LOGIT,
    NotHeld,
    amount_missing,
    holds_number,
    is_short_answer,
    is_value,
    newest_value,
    number_of,
    off_topic,
    reported_before,
    reported_change,
    reports_value,
    same_form,
    same_measure,
    span_is_sure,
    subject_absent,
    topic_held,
    trim_answer,
    updates,
    widen_to_asked,
)
from qa.rules.decisions import widen_number as widen  # noqa: F401  (the name tests and callers know)
from qa.text import key_terms

SameSubject = Callable[[Citation], bool]
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
    logits: tuple[float, ...] = ()  # the reader's answerable logit of each citation read, in order (if known)


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
          not_held: NotHeld | None = None, latest: bool = False) -> Judgement:
    """Read the first `decision.n` citations (with their neighbours) and decide (`latest`: the question asks for
    the newest, which wins among the answers read).

    Args:
        idf: the corpus's IDF of a stemmed term (`Lexicon.idf_of`), for a decision that reads the term share.
        not_held: the words an article lacks (`Retriever.not_held`); with it, a digest or yes/no question one
            cited article holds every topic word of is answered though no span was found.
    """
    judged = _read(reader, question, citations, context, idf, _same_subject(question, not_held), latest)
    if not_held is None:
        return judged
    shown = citations[: reader.config.decision.n]
    held = topic_held(question, [c.article_id for c in shown], not_held)
    if not judged.answered and held:
        return Judgement(True, judged.p, logits=judged.logits)  # no span to miss, and one cited article holds all of its topic
    if judged.answered and off_topic(question, held, quoted_only=judged.text is None):
        return Judgement(False, judged.p, logits=judged.logits)  # none of the cited articles is on its topic
    if judged.answered and subject_absent(question, [c.article_id for c in shown], not_held):
        return Judgement(False, judged.p, logits=judged.logits)  # nor on the named thing it asks about
    return judged


def _read(reader: Reader, question: str, citations: Sequence[Citation], context: Sequence[tuple[str, str]],
          idf: Idf | None, same: SameSubject, latest: bool = False) -> Judgement:
    """The reader's decision: answered or not, and the short answer's span when one is sure."""
    decision = reader.config.decision
    shown = list(citations[: decision.n])
    items = [(c.sentence, *(context[i] if i < len(context) else ("", ""))) for i, c in enumerate(shown)]
    readings = reader.read(question, items)
    share = list(term_share(question, items, idf)) if decision.reads_terms else None
    judged = _decide(reader, question, shown, readings, share, same, latest)
    return replace(judged, logits=tuple(r.answerable for r in readings))


def _decide(reader: Reader, question: str, shown: Sequence[Citation], readings: Sequence[Reading],
            share: list[float] | None, same: SameSubject, latest: bool = False) -> Judgement:
    """The decision over the readings of the citations `shown`, and the short answer when one is sure; another
    value is weighed only from an article on the same subject (`same`)."""
    decision = reader.config.decision
    choice, p = decision.choose(readings, [c.score for c in shown], share)
    if choice is None:
        return Judgement(False, p)
    min_p = reader.config.info.get("span_min_p", 0.0)
    found = _short_answer(question, shown[choice].sentence, readings[choice], min_p)
    p_all = decision.scores(readings[: decision.n], [c.score for c in shown], share)  # each sentence alone
    if found is None:  # the next sentence the decision accepts may hold what the chosen one lacks ("16", not "1-1")
        for k in sorted(range(len(p_all)), key=lambda k: -p_all[k]):
            if k != choice and p_all[k] >= decision.threshold and same(shown[k]):
                found = _short_answer(question, shown[k].sentence, readings[k], min_p)
                if found is not None:
                    choice = k
                    break
    if found is None:  # answered, but no span is a sure short answer: the sentences are quoted
        if amount_missing(question, [c.sentence for c in shown]):
            return Judgement(False, p)
        return Judgement(True, p)
    # every sentence read that answers, with its short answer: by the decision, or by the reader alone (a later
    # report's paraphrase, "the death toll rose to seven", lacks the question's words the decision weighs)
    others = [k for k in range(len(p_all)) if k != choice and same(shown[k])]
    answers = {choice: found, **_same_measure_answers(question, shown, readings, p_all, others, choice, found[1],
                                                      decision.threshold, min_p)}
    if latest:
        answers.update(_newer_reports(question, shown, readings, others, choice, found[2], min_p))
    changed = _newest(shown, answers, latest=latest)
    if changed is None:
        return Judgement(True, p, choice, *found)
    newest, older = changed
    return Judgement(True, p, newest, *answers[newest], older=older,
                     older_text=None if older is None else answers[older][2])


def judge_changes(reader: Reader, question: str, citations: Sequence[Citation],
                  context: Sequence[tuple[str, str]], judged: Judgement, *, idf: Idf | None = None,
                  not_held: NotHeld | None = None) -> Judgement:
    """A number answered from dated articles, checked against the citations the decision did not read: those of
    other days that hold a number are read, and the newest value wins with the one before it named
    (`newest_value`), as among the sentences read ("25 (April 19; 18 on April 18)", not "... 14 on April 17").
    Only articles that hold the question's names count (`not_held`: the Brenton library's cost is no answer
    about the Pinecrest library's). Undated citations, or an answer with no number, are left as they were."""
    n = reader.config.decision.n
    if judged.text is None or judged.citation is None or len(citations) <= n or not is_value(judged.text):
        return judged
    times = [published_time(c.published_at) for c in citations]
    same = _same_subject(question, not_held)
    rest = [i for i in range(n, len(citations)) if times[i] == times[i] and times[i] != times[judged.citation]
            and holds_number(citations[i].sentence) and same(citations[i])]
    if not rest:
        return judged
    items = [(c.sentence, *(context[i] if i < len(context) else ("", ""))) for i, c in enumerate(citations)]
    read = dict(zip(rest, reader.read(question, [items[i] for i in rest])))
    decision = reader.config.decision
    idle = Reading(0.0, 0, 0, 0.0, "")  # the rows not read here: their scores are not looked at
    readings = [read.get(i, idle) for i in range(len(citations))]
    share = list(term_share(question, items, idf)) if decision.reads_terms else None
    p = decision.scores(readings, [c.score for c in citations], share)  # each row alone, at its rank
    min_p = reader.config.info.get("span_min_p", 0.0)
    answers: dict[int, tuple[int, int, str]] = {judged.citation: (judged.start, judged.end, judged.text)}
    if judged.older is not None and judged.older_text is not None:
        answers[judged.older] = (0, 0, judged.older_text)
    answers.update(_same_measure_answers(question, citations, readings, p, rest, judged.citation, judged.end,
                                         decision.threshold, min_p))  # as among the sentences the decision read
    changed = _newest(citations, answers)
    if changed is None:
        return judged
    newest, older = changed
    if older is None:
        return judged
    return replace(judged, citation=newest, start=answers[newest][0], end=answers[newest][1],
                   text=answers[newest][2], older=older, older_text=answers[older][2])


def _same_measure_answers(question: str, citations: Sequence[Citation], readings: Sequence[Reading],
                          p: Sequence[float] | np.ndarray, others: Sequence[int], chosen: int, end: int, threshold: float,
                          min_p: float) -> dict[int, tuple[int, int, str]]:
    """The short answers of the `others` read beside the chosen sentence (whose answer ends at `end`) that give
    another value of the same measure: each accepted by the decision (`p` at `threshold`) or by the reader alone."""
    found = {}
    for k in others:
        other = _other_answer(question, citations[k].sentence, readings[k], p[k] >= threshold, min_p)
        if other is not None and same_measure(question, citations[chosen].sentence, end, citations[k].sentence,
                                              other[1]):
            found[k] = other
    return found


def _newer_reports(question: str, citations: Sequence[Citation], readings: Sequence[Reading], others: Sequence[int],
                   chosen: int, answer: str, min_p: float) -> dict[int, tuple[int, int, str]]:
    """For a question asking for the latest: the short answers of the `others` read from newer articles than the
    chosen one's that report the same kind of thing (`same_form`: "beat the Hollister Rangers 3-2" beside "beat
    the Bayview Pilots 2-1") and that the reader does not call unrelated. The decision may weigh an older report
    higher (its words, its rank); the question asks for the newest."""
    t = published_time(citations[chosen].published_at)
    found = {}
    for k in others:
        if not published_time(citations[k].published_at) > t or readings[k].answerable < BEARS_LOGIT:
            continue
        other = _short_answer(question, citations[k].sentence, readings[k], min_p)
        if other is not None and same_form(answer, other[2]):
            found[k] = other
    return found


def _newest(citations: Sequence[Citation], answers: dict[int, tuple[int, int, str]], *,
            latest: bool = False) -> tuple[int, int | None] | None:
    """(newest, older) citation indexes among the short answers read (`answers`: index -> (start, end, text)), by
    `newest_value` over their articles' days; None when they agree or are undated."""
    ks = sorted(answers)
    changed = newest_value([(published_time(citations[k].published_at), answers[k][2]) for k in ks], latest=latest)
    if changed is None:
        return None
    return ks[changed[0]], None if changed[1] is None else ks[changed[1]]


def follow_updates(question: str, citations: Sequence[Citation], judged: Judgement, *,
                   not_held: NotHeld | None = None) -> Judgement:
    """A number answer followed through the newer citations that report it changed: "rose to 9, up from 2"
    updates an answer of 2, and "rose to 11, up from 9" that one, whatever the reader made of their wording; the
    value each replaces is named. Only articles on the question's subject count (`not_held`)."""
    if judged.text is None or judged.citation is None or not is_value(judged.text):
        return judged
    times = [published_time(c.published_at) for c in citations]
    same = _same_subject(question, not_held)
    for _ in range(len(citations)):  # each step moves to a newer article
        at, value = judged.citation, judged.text
        steps = [(times[i], i, found) for i, c in enumerate(citations)
                 if times[i] > times[at] and (found := updates(value, c.sentence)) is not None and same(c)
                 and same_measure(question, citations[at].sentence, judged.end, c.sentence, found[1])]
        if not steps:
            break
        _, i, (start, end) = min(steps)  # the next report after the answer's
        start, end, text = trim_answer(citations[i].sentence, start, end)
        if text is None:
            break
        judged = replace(judged, citation=i, start=start, end=end, text=text, older=at, older_text=value)
    return judged


def name_reported_before(question: str, citations: Sequence[Citation], judged: Judgement, *,
                         not_held: NotHeld | None = None) -> Judgement:
    """A number answer whose own sentence gives the value before ("rose to 14, up from 11") names the citation
    that reported that value, from an article older than the answer's and newer than the one named so far."""
    if judged.text is None or judged.citation is None:
        return judged
    was = reported_before(citations[judged.citation].sentence, judged.start, judged.end)
    if was is None or (judged.older_text is not None and number_of(judged.older_text) == number_of(was)):
        return judged
    times = [published_time(c.published_at) for c in citations]
    since = -math.inf if judged.older is None else times[judged.older]
    same = _same_subject(question, not_held)
    found = [(i, span) for i, c in enumerate(citations)
             if since < times[i] < times[judged.citation] and (span := reports_value(c.sentence, was)) is not None
             and same(c)]
    if not found:
        return judged
    i, (start, end) = max(found, key=lambda f: (times[f[0]], -f[0]))  # the newest, the first cited of those
    return replace(judged, older=i, older_text=citations[i].sentence[start:end])


def _same_subject(question: str, not_held: NotHeld | None) -> SameSubject:
    """Whether a citation's article holds every name and number of the question (all do without `not_held`)."""
    names = key_terms(question)
    if not names or not_held is None:
        return lambda c: True
    return lambda c: not not_held(names, [c.article_id])


def published_time(published_at: str) -> float:
    """Unix time of a citation's `published_at` (read by the ingest's own `parse_date`); NaN when undated."""
    try:
        return parse_date(published_at).timestamp() if published_at else math.nan
    except BadDate:
        return math.nan


def _other_answer(question: str, sentence: str, reading: Reading, accepted: bool,
                  min_p: float) -> tuple[int, int, str] | None:
    """The short answer of a sentence read beside the chosen one, weighed as another value of what was asked: when
    the decision `accepted` it, the reader calls it answerable, or it is the value a reported change gives ("the
    death toll rose to 14, up from 11": a later value of the quantity, in words the reader may not take for
    the question's: logit -0.45 for "How many people has Storm Ada killed?") and the reader does not call it
    unrelated (`BEARS_LOGIT`: -3.9 for "How many customers are still without power?")."""
    if accepted or reading.answerable > 0:
        return _short_answer(question, sentence, reading, min_p)
    if reading.answerable < BEARS_LOGIT:
        return None
    found = _short_answer(question, sentence, reading, min_p)
    return found if found is not None and reported_change(sentence, found[0], found[1]) else None


def _short_answer(question: str, sentence: str, reading: Reading, min_p: float) -> tuple[int, int, str] | None:
    """(start, end, text) of the best of the reader's spans that is sure and is a short answer, if one is."""
    for start, end, score in reading.alternatives or ((reading.start, reading.end, reading.span_score),):
        if not span_is_sure(score, start, end, min_p):
            return None  # the rest are less sure still
        start, end, text = trim_answer(sentence, widen_to_asked(question, sentence, start), end)
        if text is not None and is_short_answer(question, text):
            return start, end, text
    return None


def reader_answer(reader: Reader, question: str, item: tuple[str, str, str]) -> str | None:
    """The reader's short answer to the question from one sentence (with its neighbours), when the reader alone
    calls the sentence answering (answerable logit above 0) and its span is a sure short answer; else None."""
    reading = reader.read(question, [item])[0]
    if reading.answerable <= 0:
        return None
    found = _short_answer(question, item[0], reading, reader.config.info.get("span_min_p", 0.0))
    return None if found is None else found[2]
