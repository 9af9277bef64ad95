"""Reading the evidence: does it answer the question, and with which words of which cited sentence.

The reader (`qa.answers.reader`) reads the first few cited sentences, each with its neighbours; its
answerability and span scores are combined with the ranker's calibrated score and the share of the
question's terms the sentence and its neighbours hold (`Decision`, fitted on the ranker's training half). The question is answered when the best combined score clears the threshold; the
short answer is the reader's span in the chosen sentence, given only when the span itself is confident. A
count or price question ("How many ...", "How much did it cost?") with no confident span is not answered
when what was read holds no amount of that kind (`question_form.amount_wanted`). A digest or yes/no question
that one cited article holds every topic word of is answered though no span was found (`question_form`).
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from qa.answers.coverage import Idf, term_share
from qa.answers.question_form import amount_wanted, holds_amount, question_form, topic_words
from qa.answers.reader import Reader
from qa.models import Citation

WEIGHTS = Path(__file__).with_name("reader_weights")  # reader-int8.onnx, tokenizer.json, reader.json
# words that belong to a number's answer: "approximately 1,100", not "1,100"
_APPROXIMATE = re.compile(r"(?:\b(?:approximately|about|around|nearly|almost|roughly|some|over|under|only|"
                          r"more than|less than|fewer than|up to|at least|at most|as many as|as much as)\s+)+$",
                          re.IGNORECASE)
NotHeld = Callable[[Sequence[str], Sequence[str]], list[str]]  # (words, article ids) -> the words not held
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


def widen(sentence: str, start: int, end: int) -> int:
    """The start of a number answer together with the words that qualify it ("approximately 1,100")."""
    if not sentence[start:end][:1].isdigit() and not re.match(r"(?i)(?:one|two|three|four|five|six|seven|eight|"
                                                             r"nine|ten|hundreds|thousands|dozens)\b",
                                                             sentence[start:end]):
        return start
    found = _APPROXIMATE.search(sentence[:start])
    return found.start() if found else start


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
    if judged.answered or not_held is None or question_form(question) == "span":
        return judged
    topic = topic_words(question)  # no span to miss: is its topic there?
    shown = citations[: reader.config.decision.n]
    if topic and any(not not_held(topic, [c.article_id]) for c in shown):
        return Judgement(True, judged.p)  # one cited article holds all of it
    return judged


def _read(reader: Reader, question: str, citations: Sequence[Citation], context: Sequence[tuple[str, str]],
          idf: Idf | None) -> Judgement:
    """The reader's decision: answered or not, and the short answer's span when one is sure."""
    decision = reader.config.decision
    shown = list(citations[: decision.n])
    items = [(c.sentence, *(context[i] if i < len(context) else ("", ""))) for i, c in enumerate(shown)]
    readings = reader.read(question, items)
    share = list(term_share(question, items, idf)) if decision.reads_terms else None
    choice, p = decision.choose(readings, [c.score for c in shown], share)
    if choice is None:
        return Judgement(False, p)
    reading = readings[choice]
    confident = math.exp(reading.span_score) >= reader.config.info.get("span_min_p", 0.0)
    if not confident or reading.end <= reading.start:
        wanted = amount_wanted(question)
        if wanted and not any(holds_amount(c.sentence, wanted) for c in shown):
            return Judgement(False, p)  # a count or a price asked, and none in what was read
        return Judgement(True, p)
    sentence = shown[choice].sentence
    start = widen(sentence, reading.start, reading.end)
    text = sentence[start:reading.end].strip(" ,;:")
    start = sentence.index(text, start) if text else start
    return Judgement(True, p, choice, start, start + len(text), text or None)
