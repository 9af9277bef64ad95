"""Checking a generated answer against the sentences it cites, one answer sentence (claim) at a time.

A claim is kept only when all of these hold (otherwise it is dropped with the first reason that fails):

1. it carries at least one `[n]` marker, and every marker names one of the sentences the model was given;
2. every number in it (digits or number words, by value: "1,100" == "1100") is in a cited sentence;
3. every month and weekday in it is in a cited sentence (years are numbers);
4. every name in it (a capitalised word not opening the claim) is in a cited sentence, or is a word of the
   question found in the cited sentences' neighbours (the question's own framing, e.g. "US" for a sentence
   that says "American" in an article about the US);
5. a negation in it ("not", "never", "no", "n't") is in a cited sentence;
6. most of its content words (stems; `SUPPORT` of them) are in the cited sentences, where a word the
   question uses also counts when the neighbours have it; and most of the words it adds to the question
   are in the cited sentences themselves (a short wrong answer can't hide among the question's words).
   A claim with nothing to check ("Yes.") is dropped.

It checks what a claim says against what its citations say, word for word: a faithful paraphrase in other
words is dropped (precision over recall: what survives is shown as verified). With the reader (`read`), rules 4
and 6 are also met when the reader, reading a cited sentence for the question, answers with words the claim
states beyond the question's (`reader_confirms`): the claim then says what the sentence answers, in the
question's words. Rules 1-3 and 5 always hold. Its precision and recall are measured on SQuAD by
`python -m lab bench --checker` (see docs/llm-answerer.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from index.sentences import sentence_spans
from qa import text as tx

SUPPORT = 0.6  # share of a claim's content words that must be in its cited sentences
_MARKERS = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_MARKER_RUN = r"(?:[ \t]*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+"
_END_THEN_MARKERS = re.compile(r"([.!?])(" + _MARKER_RUN + r")")  # "Agadez. [1]" -> "Agadez [1]."
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATIONS = frozenset({"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without"})
_WORD_VALUES = {w: v for v, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_WORD_VALUES.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                     "ninety": 90, "hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9,
                     "dozen": 12})
_CALENDAR = frozenset(tx.MONTHS + tx.WEEKDAYS) - {"may"}  # "may" is mostly the verb


@dataclass(frozen=True)
class Claim:
    """One sentence of a generated answer: its text without markers, and the sentence numbers it cites."""

    text: str
    markers: tuple[int, ...]
    raw: str  # as the model wrote it


def claims(answer: str) -> list[Claim]:
    """The sentences of a generated answer with their `[n]` markers.

    A marker after the full stop counts for the sentence before it; markers opening a line (the model
    echoing the evidence's "[n] sentence" layout) count for the sentence after them.
    """
    text = _END_THEN_MARKERS.sub(lambda m: f"{m.group(2)}{m.group(1)}", answer.strip())
    out: list[Claim] = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line).strip()  # list bullets
        leading: tuple[int, ...] = ()
        for start, end in sentence_spans(line):
            piece = line[start:end]
            markers = _numbers_in(piece)
            bare = re.sub(r"\s+([.,;:!?])", r"\1", _MARKERS.sub(" ", piece))
            bare = re.sub(r"\s{2,}", " ", bare).strip()
            if not tx.words(bare):  # markers alone: they open the line, or close the sentence before
                if out and start > 0:
                    last = out[-1]
                    out[-1] = Claim(last.text, tuple(dict.fromkeys(last.markers + markers)), f"{last.raw} {piece}")
                else:
                    leading += markers
                continue
            if leading:
                markers, leading = leading + markers, ()
            out.append(Claim(bare, tuple(dict.fromkeys(markers)), piece))
    return out


def _numbers_in(piece: str) -> tuple[int, ...]:
    return tuple(int(n) for group in _MARKERS.findall(piece) for n in re.split(r"[,;]", group))


def number_values(text: str) -> set[str]:
    """The numbers a text states, normalised: '1,100' and '1100' -> '1100'; 'five' -> '5'."""
    values = {m.group().replace(",", "").rstrip(".") for m in _DIGITS.finditer(text)}
    values |= {str(_WORD_VALUES[w]) for w in tx.words(text) if w in _WORD_VALUES}
    return values


def _names(claim: str) -> list[str]:
    """Capitalised words after the first word, lower-cased: what the claim names."""
    tokens = re.findall(r"[^\W_]+(?:['’][^\W_]+)*", claim)
    return [tx.strip_possessive(t.lower().replace("’", "'")) for i, t in enumerate(tokens)
            if i > 0 and t[0].isupper() and t.lower() not in tx.STOPWORDS and t.lower() not in _CALENDAR]


def _negations(text: str) -> list[str]:
    return sorted({w for w in tx.words(text) if w in _NEGATIONS or w.endswith("n't")})


def _words(text: str) -> set[str]:
    return {tx.fold(tx.strip_possessive(w)) for w in tx.words(text)}


ReadAnswer = Callable[[int], "str | None"]  # evidence sentence n (1-based) -> the reader's short answer from it, if any


def check(claim: Claim, evidence: list[str], *, question: str = "", context: list[str] | None = None,
          read: ReadAnswer | None = None) -> str | None:
    """Why `claim` is not supported by the evidence sentences it cites (1-based), or None when it is.

    Args:
        evidence: the numbered sentences the model was given, in order.
        question: the question asked (its words may be supported by the neighbours; see the module doc).
        context: for each evidence sentence, its neighbouring sentences (same order as `evidence`).
        read: the reader's short answer to the question from evidence sentence n, when it reads one there. A
            claim stating it may use the question's words where the sentence says it otherwise (rules 4 and 6);
            what it adds to the question must still be in the cited sentence.
    """
    reason = _check(claim, evidence, question, context)
    if reason is None or read is None or not reader_confirms(claim, question, [read(n) for n in claim.markers]):
        return reason
    return _check(claim, evidence, question, context, vouched=True)


def reader_confirms(claim: Claim, question: str, answers: list[str | None]) -> bool:
    """Whether one of the reader's answers from the cited sentences is stated by the claim, and says something
    the question does not (its words are the claim's, its content words not all the question's)."""
    said, asked = _words(claim.text), _words(question)
    for answer in answers:
        words = _words(answer or "")
        content = {w for w in words if w not in tx.STOPWORDS}
        if content and words <= said and not content <= asked:
            return True
    return False


def _check(claim: Claim, evidence: list[str], question: str, context: list[str] | None, *,
           vouched: bool = False) -> str | None:
    """`check` by the words (`vouched`: the reader reads a cited sentence as answering the question with what the
    claim states, so the question's own words count as the sentence's)."""
    if not claim.markers:
        return "no citation"
    unknown = [n for n in claim.markers if not 1 <= n <= len(evidence)]
    if unknown:
        return f"cites [{unknown[0]}], which is not one of the {len(evidence)} sentences given"
    cited = " ".join(evidence[n - 1] for n in claim.markers)
    around = " ".join((context or [""] * len(evidence))[n - 1] for n in claim.markers)
    said = tx.words(claim.text)
    cited_words, asked = _words(cited), _words(question)

    stated, values = number_values(cited), number_values(claim.text)
    missing = [m.group() for m in _DIGITS.finditer(claim.text) if number_values(m.group()) - stated]
    missing += [w for w in said if w in _WORD_VALUES and str(_WORD_VALUES[w]) not in stated]
    if missing:
        return f"the number {missing[0]} is not in the cited sentence"
    dated = [w for w in said if w in _CALENDAR and w not in cited_words]
    if dated:
        return f"the date word '{dated[0]}' is not in the cited sentence"
    around_words = _words(around) | cited_words
    for name in _names(claim.text):
        if tx.fold(name) not in cited_words and not (name in asked and (vouched or tx.fold(name) in around_words)):
            return f"the name '{name}' is not in the cited sentence"
    negated = _negations(claim.text)
    if negated and not _negations(cited):
        return f"'{negated[0]}' (a negation) is not in the cited sentence"
    terms = set(tx.terms_of(said)) - values
    if not terms and not values:
        return "nothing in it can be checked against the cited sentence"
    if terms:
        cited_terms, around_terms, asked_terms = set(tx.terms(cited)), set(tx.terms(around)), set(tx.terms(question))
        new = terms - asked_terms  # what the claim adds to the question must be in the cited sentences
        found = {t for t in terms if t in cited_terms or (t in asked_terms and (vouched or t in around_terms))}
        if len(found) < SUPPORT * len(terms) or len(found & new) < SUPPORT * len(new):
            absent = sorted(terms - found)
            return (f"{len(terms) - len(found)} of its {len(terms)} content words are not in the cited sentence "
                    f"({', '.join(absent[:4])})")
    return None
