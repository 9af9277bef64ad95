"""Every rule that decides answer, quote or abstain, and what the reply says about time: one named function each.

The stages measure (retrieval's ranker scores and missing key terms, the reader's scores); these functions
decide. They take plain values, so every stage can call them and a test can call them alone. In the order a
question meets them:

| rule | decides | applied in |
|---|---|---|
| `evidence_reason` | retrieval: nothing matches, a key term is in no article, or no sentence clears the ranker's threshold (span questions only: `wants_span`) | `qa.evidence.retrieval` |
| `citations_reason` | retrieval: the evidence no longer matches the stored articles | `qa.evidence.retrieval` |
| `span_is_sure` | reading: the reader's span is shown as the short answer | `qa.answers.reading` |
| `echoes_question` | reading: a span made only of the question's words is no answer (unless offered: "X or Y?") | `qa.answers.reading` |
| `is_short_answer` | reading: the first of the reader's best spans that neither echoes nor misfits is shown | `qa.answers.reading` |
| `wants_clause` | reading: a digest, a yes/no question or "What did X decide?" gets a clause or the sentence, never a fragment | `qa.answers.reading` |
| `fits_question` | reading: a count wants a number, a price money, a time a date, a place no date, a "which company" a name | `qa.answers.reading` |
| `amount_missing` | reading: a count or price asked, and none in what was read: abstain | `qa.answers.reading` |
| `topic_held` | reading: a digest or yes/no question, or "What did X announce / decide ...?", whose topic a cited article holds is answered | `qa.answers.reading` |
| `off_topic` | reading: a yes/no question, or a digest with only quotes, none of whose cited articles holds every word of its topic: abstain | `qa.answers.reading` |
| `newest_value`, `is_value` | reading: the answers read give different values from different days: the newest article's is the answer, the one before named ("latest" questions: the newest answer whatever it is) | `qa.answers.reading` |
| `value_changes`, `updates`, `reported_before`, `reports_value` | revision: a newer report that gives the answer as the value before ("rose to 11, up from 9") updates it; an answer that says "up from 11" names the report of 11 | `qa.answers.reading`, `qa.answers.revision` |
| `same_measure`, `unit_of` | reading: a value of another measure ("26 shots", "16 points") is no other value of what was asked | `qa.answers.reading` |
| `same_form` | reading: for a "latest" question, a newer sentence read that reports the same kind of thing ("beat ... 3-2" beside "beat ... 2-1") and that the reader does not call unrelated is the answer | `qa.answers.reading` |
| `holds_number` | revision: a number answer from a dated article is checked against the later citations and the earlier reports | `qa.answers.revision` |
| `bears_on_question`, `repeated_sentences` | revision: a later citation the ranker and the reader both call unrelated, or a repeat, is not cited | `qa.answers.revision` |
| `widen_number`, `widen_to_asked`, `trim_answer` | reading: a number keeps the words that qualify it; a "which agreement" answer starts at "an agreement with ...", not mid-phrase; the span's edges | `qa.answers.reading` |
| `evidence_answers` | engine: whether what was read answers (retrieval and reader agree) | `qa.engine` |
| `search_outside_window` | engine: nothing in the question's window answers, so look outside it | `qa.engine` |
| `search_without_recency` | engine: a "latest" question the newest-first evidence does not answer is searched by relevance alone | `qa.engine` |
| `keep_short_answer` | engine: a short answer is shown only at offsets found in its article | `qa.engine` |
| `newest_reference` | engine: outside the window, "newest" is measured from the archive's end when it ends before the day asked | `qa.engine` |
| `as_of_prefix` | engine: a "latest" answer from evidence older than a day says how old | `qa.engine` |
| `abstains` | composing: the reply says "The articles don't say" | `qa.answers.composer` |
"""

from __future__ import annotations

import math
import re
from typing import Callable, Sequence

from qa import text as tx
from qa.dates.labels import DAY, day
from qa.rules.question_form import (
    amount_wanted,
    asks_what_was_done,
    holds_amount,
    is_choice,
    named_subject,
    question_form,
    topic_words,
)

NotHeld = Callable[[Sequence[str], Sequence[str]], list[str]]  # (words, article ids) -> the words not held
# words that belong to a number's answer: "approximately 1,100", not "1,100"
_APPROXIMATE = re.compile(r"(?:\b(?:approximately|about|around|nearly|almost|roughly|some|over|under|only|"
                          r"more than|less than|fewer than|up to|at least|at most|as many as|as much as)\s+)+$",
                          re.IGNORECASE)
# "which company / country / show ...": the answer is a name
_NAMED = re.compile(r"^(?:which|what)\s+(?!kind\b|type\b|sort\b)(?:\w+\s+){0,2}?(?:company|companies|firm|"
                    r"country|countries|nation|city|team|club|show|series|film|movie|band|school|university|"
                    r"college|party|newspaper|brand|airline|league|channel|magazine|website)\b")
_DIGIT = re.compile(r"\d")
_NUMBER_WORD = re.compile(r"(?i)(?:one|two|three|four|five|six|seven|eight|nine|ten|hundreds|thousands|dozens)\b")


def evidence_reason(has_candidates: bool, missing: Sequence[str], best_score: float, threshold: float, *,
                    wants_span: bool = True) -> str:
    """Why retrieval's evidence cannot answer ('' when it may). The ranker's threshold (it learned what holds a
    SQuAD span) decides only for questions that want a span; a digest or yes/no question whose names are all
    in the articles is left to the reader and `topic_held`."""
    if not has_candidates:
        return "no sentence of the articles matches the question"
    if missing:
        return f"not in the articles: {', '.join(missing)}"
    if best_score < threshold and wants_span:  # (recency may put a newer one first)
        return "no sentence scores above the abstention threshold"
    return ""


def wants_span(question: str) -> bool:
    """The question asks for words of a sentence (not a digest of what happened, not yes or no)."""
    return question_form(question) == "span"


def citations_reason(reason: str, cited: int) -> str:
    """`reason`, or why evidence that passed has no citation left (its article changed under the search)."""
    if not reason and not cited:
        return "the evidence no longer matches the stored articles"
    return reason


def span_is_sure(span_score: float, start: int, end: int, min_p: float) -> bool:
    """The reader's span is shown as the short answer: p(start)·p(end) reaches `min_p` and it is not empty."""
    return math.exp(span_score) >= min_p and end > start


def echoes_question(question: str, span: str) -> bool:
    """The span says nothing the question doesn't ("Which company" for "Which company ...?", "the direction" for
    "What direction ...?"), and the question does not offer it as a choice ("Was it a success or a failure?")."""
    said = set(tx.words(question))
    content = [w for w in tx.words(span) if w not in tx.STOPWORDS]
    return bool(tx.words(span)) and set(content) <= said and not is_choice(question)


def fits_question(question: str, span: str) -> bool:
    """The span is the kind of thing the question's first words ask for: an amount for "how many / how much" (money
    when a price is asked), a time for "what year / what date", not a date for "where" or "who", a name for "which
    company / show ..."."""
    asked = _asks(question)
    if asked == "amount" and amount_wanted(question) == "price":  # "How much will it cost?": "25" is no price
        return holds_amount(span, "price")
    if asked == "amount" and _SCORE.match(span.strip()) and not _TALLIED.search(question):
        return False  # "How many points do they have?": "1-1" is a result, not a count (a vote's "7-2" is one)
    if asked == "amount":
        return holds_amount(span, "count") or bool(set(tx.words(span)) & _QUANTITY_WORDS)
    if asked == "time":
        return bool(_DIGIT.search(span) or tx.dates(span) or set(tx.words(span)) & _TIME_WORDS)
    if asked in ("place", "person") and _is_time(span):
        return False
    if asked == "name":
        return any(w[:1].isupper() or w[:1].isdigit() for w in span.split())
    return True


_SCORE = re.compile(r"^\d+\s*[-–]\s*\d+$")  # a result or a tally: "1-1", "3–2"
_TALLIED = re.compile(r"\b(?:votes?|voted|voting|margin|score|scored|tally)\b", re.IGNORECASE)


def _asks(question: str) -> str:
    """What the question's leading words ask for: amount, time, place, person, name, or other."""
    q = " ".join(tx.words(question))
    if _LEAD_AMOUNT.match(q):
        return "amount"
    if _LEAD_TIME.match(q):
        return "time"
    if q.startswith("where "):
        return "place"
    if q.startswith(("who ", "whom ")):
        return "person"
    if _NAMED.match(q):
        return "name"
    return "other"


_LEAD_AMOUNT = re.compile(r"^(?:in )?how (?:many|much)\b")
# "what year ...", and "when" about one event ("When did they arrive?"); not a condition ("When does it happen?")
_LEAD_TIME = re.compile(r"^(?:(?:in |on |by |since |until )?(?:what|which) (?:year|date|day|month|century|decade)\b"
                        r"|when (?:did|was|were|will|had)\b)")


def is_short_answer(question: str, span: str) -> bool:
    """A span the reply may give as the short answer: not the question's own words, the kind of thing asked,
    and for a question that wants what happened, a clause rather than a fragment (a digest's, one that says
    what was done or is: "is back for the first time since 1999", not "the first time since 1999")."""
    if echoes_question(question, span) or not fits_question(question, span):
        return False
    if not wants_clause(question):
        return True
    return len(span.split()) >= CLAUSE_WORDS and (question_form(question) != "digest" or says_what_happened(span))


_VERB = re.compile(r"(?i)\b(?:\w{2,}(?:ed|ing)|is|are|was|were|be|been|being|has|have|had|will|would|can|could|may|"
                   r"might|must|shall|should|do|does|did|said|says|say|won|wins|win|lost|loses|lose|beat|beats|drew|"
                   r"draws|made|makes|took|takes|gave|gives|went|goes|came|comes|ran|runs|met|meets|set|sets|put|puts|"
                   r"cut|cuts|hit|hits|left|leaves|kept|keeps|held|holds|told|tells|sold|sells|paid|pays|began|begins|"
                   r"fell|falls|rose|rises|grew|grows|saw|sees|got|gets|found|finds|became|becomes|agreed|agrees|"
                   r"voted|votes|approve|approves|remain|remains|stands|stood|struck|strikes|walked|plans|hopes|"
                   r"faces|reopens|reopen|closed|closes|opens|ends|ended|continues|returned|returns)\b")


def says_what_happened(span: str) -> bool:
    """Whether a span holds a word that says what was done or is (a verb, as far as its form tells: "voted", "is
    back", "walked off the job"); "the first time since 1999" or "increase modest" holds none."""
    return bool(_VERB.search(span))


CLAUSE_WORDS = 3  # "voted 5-2 to approve protected bike lanes", not "increase modest"
_WHAT_DID = re.compile(r"^\s*what\s+(?:did|does|do|has|have|had|will|would)\s+.+?\s+(?:decide|decided|announce|"
                       r"agree|approve|vote|rule|conclude|propose)\b", re.IGNORECASE)
_HAPPENED_TO = re.compile(r"\bhappen(?:ed|s|ing)?\s+to\b", re.IGNORECASE)  # "What happened to the rate?": a change


def wants_clause(question: str) -> bool:
    """A digest ("What happened at the summit?", "the latest on ...", "How did the Foxes do?"), a yes/no question
    ("Is the zoo going ahead?": "July" is no answer) or "What did the council decide?": what was done or said,
    which a two-word fragment does not tell. "What happened to X?"
    asks for a change ("fell"), which one word can tell."""
    if _HAPPENED_TO.search(question):
        return False
    form = question_form(question)
    return form == "digest" or (form == "yes/no" and not is_choice(question)) or bool(_WHAT_DID.match(question))


def _is_time(span: str) -> bool:
    """A span that is only a date or a time of day ("Thursday", "on March 3", "last week")."""
    found = tx.dates(span)
    return bool(found) and sum(len(m.group()) for m in found) >= len(span.strip(" ,.;:")) - 3


_TIME_WORDS = frozenset("""today yesterday tomorrow tonight morning afternoon evening night week weekend month year
    decade century centuries spring summer autumn fall winter ago earlier later recently currently now then first
    second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth
    sixteenth seventeenth eighteenth nineteenth twentieth period era age ages antiquity times reign dynasty war""".split())
_QUANTITY_WORDS = frozenset("little lot lots plenty enough none nothing small large half quarter".split())


def amount_missing(question: str, sentences: Sequence[str]) -> bool:
    """A count or a price is asked ("How many ...", "How much did it cost?") and no sentence read holds one."""
    wanted = amount_wanted(question)
    return wanted is not None and not any(holds_amount(s, wanted) for s in sentences)


def topic_held(question: str, article_ids: Sequence[str], not_held: NotHeld) -> bool:
    """A digest or yes/no question (no span to find), or one asking what its subject did ("What did Halvorsen
    Robotics announce this week?"), one of whose cited articles holds every word of its topic."""
    if question_form(question) == "span" and not asks_what_was_done(question):
        return False
    return _held_whole(topic_words(question), article_ids, not_held)


def _held_whole(words: Sequence[str], article_ids: Sequence[str], not_held: NotHeld) -> bool:
    """Some words, all of them held by one of these articles (none: not held)."""
    return bool(words) and any(not not_held(words, [a]) for a in article_ids)


def subject_absent(question: str, article_ids: Sequence[str], not_held: NotHeld) -> bool:
    """A passive question about a named thing (`named_subject`: "When was the Port of Calder ferry service
    announced?") none of whose cited articles holds every word of it: an article on the port's strike tells
    nothing of when a ferry service was announced."""
    subject = named_subject(question)
    return bool(subject) and not _held_whole(subject, article_ids, not_held)


def off_topic(question: str, held: bool, *, quoted_only: bool) -> bool:
    """A yes/no question, or a digest with only quotes to give (`quoted_only`), none of whose cited articles holds
    every word of its topic (`held`: `topic_held`): "Is the Millbrook zoo going ahead?" over the council's budget,
    "What is the status of the Harlow film festival?" over an arts festival. A digest the reader found a clause
    for stands: its topic may be paraphrased ("the labor dispute" for "the strike")."""
    form = question_form(question)
    if form == "span" or not topic_words(question) or held:
        return False
    return form == "yes/no" and not is_choice(question) or quoted_only


def newest_value(values: Sequence[tuple[float, str]], *, latest: bool = False) -> tuple[int, int | None] | None:
    """(newest, older) among (publication time, short answer) of the sentences read that answer, when they give
    different values on different days ("rose to seven" on March 17, "two" on March 13): the newest article's
    value wins and the most recent different one is named. None when they agree, are undated, or are no values
    (`is_value`). A question asking for the `latest` takes the newest answer whatever it is ("What did the
    council vote on most recently?", or the same value again), naming an older one only when both are values."""
    dated = sorted(((t, i) for i, (t, text) in enumerate(values) if t == t and (latest or is_value(text))),
                   reverse=True)
    if len(dated) < 2:
        return None
    newest_t, newest = dated[0]
    for t, i in dated[1:]:
        if t < newest_t and _value(values[i][1]) != _value(values[newest][1]):
            return newest, i if is_value(values[i][1]) and is_value(values[newest][1]) else None
    return (newest, None) if latest else None  # the same value again: the newest report says it


def same_form(answer: str, other: str) -> bool:
    """Two answers that report the same kind of thing, as far as their words tell: the same first word that is
    not a function word ("beat the Bayview Pilots 2-1", "beat the Hollister Rangers 3-2"; "voted to ...") or both
    a result ("lost 2-1 ...", "beat ... 3-2"). For a question asking for the latest, the newer of them answers."""
    first = [next((tx.stem(w) for w in tx.words(t) if w not in tx.STOPWORDS), None) for t in (answer, other)]
    if first[0] is not None and first[0] == first[1]:
        return True
    return all(_RESULT.search(t) for t in (answer, other))


_RESULT = re.compile(r"\b\d{1,3}\s*[-–]\s*\d{1,3}\b")  # "2-1", "3–2": a game's result or a vote's tally


VALUE_WORDS = 5  # "a 6 percent raise", "About 127,700", "$1.30 billion": a value; a longer answer is a clause


def is_value(text: str) -> bool:
    """A short answer that is a value a later report may revise (a number, in at most `VALUE_WORDS` words), not
    a clause that holds one ("ratify a four-year contract with the police union" is another decision)."""
    return holds_number(text) and len(text.split()) <= VALUE_WORDS


_CHANGE_VERB = (r"(?:rose|rises|risen|climbed|climbs|increased|increases|jumped|jumps|grew|grown|soared|surged|"
                r"fell|falls|fallen|dropped|drops|declined|declines|decreased|decreases|slipped|slid|reached|"
                r"reaches|hit|stood|stands|revised|raised|lowered|cut|swelled|doubled)")
_NUM = r"(?:[$£€]\s?)?(?:\d(?:[\d,.]*\d)?|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds?|thousands?|dozens?)\b)"
_CHANGED_TO = re.compile(rf"(?i)\b{_CHANGE_VERB}\b(?:\W+\w+){{0,4}}?\W+(?<!\bup\s)(?:to|at)\s+(?:about\s+|at\s+least\s+|"
                         rf"nearly\s+|more\s+than\s+)?(?P<to>{_NUM})|"
                         rf"\bfrom\s+(?P<from2>{_NUM})[^.;]{{0,40}}?\bto\s+(?P<to2>{_NUM})|"
                         rf"(?P<to3>{_NUM})[^.;]{{0,60}}?,\s+(?:up|down)\s+from\s+(?P<from3>{_NUM})")
_FROM = re.compile(rf"(?i)\bfrom\s+(?P<from>{_NUM})")
_FROM_AFTER = re.compile(rf"(?i)[^.;]{{0,60}}?\bfrom\s+(?P<from>{_NUM})")
_WORD_NUMBERS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}


def value_changes(sentence: str) -> list[tuple[str | None, int, int]]:
    """(the value before, or None if not given; the start and end of the value now) for each change a sentence
    reports: "the death toll rose to 9, up from 2" -> ("2", 9's offsets); "fell from 45,300 to 27,500"; "9 dead,
    up from 2". A report of a change gives a later value of the quantity it names, though it may lack the
    question's words ("How many has Storm Ada killed?")."""
    out: list[tuple[str | None, int, int]] = []
    for found in _CHANGED_TO.finditer(sentence):
        if found.group("to") is not None:
            within = _FROM.search(sentence, found.start(), found.start("to"))
            after = within or _FROM_AFTER.match(sentence, found.end("to"))
            out.append((after.group("from") if after else None, found.start("to"), found.end("to")))
        else:
            to, before = ("to2", "from2") if found.group("to2") is not None else ("to3", "from3")
            out.append((found.group(before), found.start(to), found.end(to)))
    return out


def number_of(text: str) -> float | None:
    """The first number a value holds, as a number ("at least 2" -> 2, "About 127,700" -> 127700, "two" -> 2)."""
    found = re.search(r"\d(?:[\d,]*\d)?(?:\.\d+)?|\b(?:" + "|".join(_WORD_NUMBERS) + r")\b", text.lower())
    if found is None:
        return None
    word = found.group()
    return float(_WORD_NUMBERS[word]) if word in _WORD_NUMBERS else float(word.replace(",", ""))


def reported_before(sentence: str, start: int, end: int) -> str | None:
    """The value before that `sentence` gives for the value at `start:end` ("rose to 14, up from 11" -> "11"),
    if it reports one."""
    return next((before for before, s, e in value_changes(sentence) if s < end and start < e), None)


def reported_change(sentence: str, start: int, end: int) -> bool:
    """Whether the value at `start:end` is what a change the sentence reports came to ("rose to 14, up from 11";
    "rose to 9 on Monday")."""
    return any(s < end and start < e for _, s, e in value_changes(sentence))


def reports_value(sentence: str, value: str) -> tuple[int, int] | None:
    """The offsets of `value` in `sentence` when the sentence reports a change to it ("rose to 11, up from 9"
    reports 11), else None."""
    wanted = number_of(value)
    return next(((s, e) for _, s, e in value_changes(sentence) if number_of(sentence[s:e]) == wanted), None)


_UNIT = re.compile(r"\s*(?:[%]|(?:percent|per cent)\b|(?:million|billion|thousand|hundred)\s+)?\s*([^\W\d_]+)")


def unit_of(sentence: str, end: int) -> str | None:
    """The word a number at `sentence[...:end]` counts ("16 points" -> "point", "2 deaths" -> "death"), stemmed;
    None when a plain word follows ("rose to 9 on Monday") or none does."""
    found = _UNIT.match(sentence, end)
    if found is None or found.group(1).lower() in tx.STOPWORDS:
        return None
    return tx.stem(found.group(1).lower())


def same_measure(question: str, sentence: str, end: int, other: str, other_end: int) -> bool:
    """Whether two values count the same thing, as far as their words tell: the word a value counts, unless the
    question says it ("How many points"), must be in the other value's sentence ("26 shots" is no value of "16
    points"; "45,300" customers without power is no toll of "at least 2 deaths"). A value with no word of its own
    ("rose to 9 on Monday") may be either."""
    asked = set(tx.terms(question))
    for unit, elsewhere in ((unit_of(sentence, end), other), (unit_of(other, other_end), sentence)):
        if unit is not None and unit not in asked and unit not in tx.terms(elsewhere):
            return False
    return True


def updates(value: str, sentence: str) -> tuple[int, int] | None:
    """The offsets of the value `sentence` reports `value` changed to ("rose to 11 on Tuesday, up from 9" updates
    "9"), if it reports one: a newer report that gives the answer as the value before is the same quantity."""
    was = number_of(value)
    if was is None:
        return None
    for before, start, end in value_changes(sentence):
        if before is not None and number_of(before) == was and number_of(sentence[start:end]) != was:
            return start, end
    return None


def holds_number(text: str) -> bool:
    """Whether a text holds a number, in digits or words ("7", "seven", "dozens")."""
    return bool(_DIGIT.search(text) or _A_NUMBER_WORD.search(text))


_A_NUMBER_WORD = re.compile(r"(?i)\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                            r"forty|fifty|hundred|hundreds|thousand|thousands|million|dozen|dozens)\b")


def _value(text: str) -> str:
    """A short answer compared as a value: lower case, without the words that qualify a number."""
    return " ".join(w for w in tx.words(text) if w not in _QUALIFIERS)


_QUALIFIERS = frozenset("approximately about around nearly almost roughly some over under only at least most".split())


def widen_number(sentence: str, start: int, end: int) -> int:
    """The start of a number answer together with the words that qualify it ("approximately 1,100")."""
    if not sentence[start:end][:1].isdigit() and not _NUMBER_WORD.match(sentence[start:end]):
        return start
    found = _APPROXIMATE.search(sentence[:start])
    return found.start() if found else start


def widen_to_asked(question: str, sentence: str, start: int) -> int:
    """The start of a span that completes the thing a "which / what X" question asks for: "an agreement with the
    US that ..." for "Which agreement ...?", not "the US that ..." (the reader's span starts after "an agreement
    with", the head the question names)."""
    asked = _ASKED_NOUN.match(question)
    if asked is None:
        return start
    found = _HEAD_BEFORE.search(sentence[:start])
    if found is None or tx.stem(found.group("noun").lower()) != tx.stem(asked.group(1).lower()):
        return start
    return found.start()


_ASKED_NOUN = re.compile(r"(?i)^\s*(?:which|what)\s+(?!(?:is|was|are|were|do|does|did|has|have|had|will|would|can|"
                         r"could|should|kind|type|sort)\b)([a-z]{3,})\b")
_HEAD_BEFORE = re.compile(r"(?i)\b(?:an?|the|its|their|his|her)\s+(?:[a-z-]+\s+)?(?P<noun>[a-z]{3,})\s+"
                          r"(?:with|between|among|for|on|over|against|to)\s+$")


def trim_answer(sentence: str, start: int, end: int) -> tuple[int, int, str | None]:
    """The short answer's (start, end, text) in its sentence: widened to a number's qualifiers, no edge punctuation."""
    start = widen_number(sentence, start, end)
    text = sentence[start:end].strip(" ,;:")
    start = sentence.index(text, start) if text else start
    return start, start + len(text), text or None


def evidence_answers(answerable: bool, read_answered: bool | None) -> bool:
    """Retrieval found evidence and the reader (when it read) says it answers."""
    return answerable and (read_answered is None or read_answered)


def search_outside_window(windowed: bool, answered_inside: bool) -> bool:
    """The question has a time window and nothing in it answers: search without the window."""
    return windowed and not answered_inside


def search_without_recency(wants_newest: bool, windowed: bool, answered: bool) -> bool:
    """A question asking for the latest, with no window, that the newest-first evidence does not answer: search by
    relevance alone. Age may push the one report that says it (a quarter's revenue, weeks old) below newer
    articles that do not; the answer then says how old it is ("As of March 14, 2024: ...")."""
    return wants_newest and not windowed and not answered


def keep_short_answer(short: str | None, found_at_offsets: bool) -> bool:
    """Never show a short answer that is not at its offsets in the stored article."""
    return not short or found_at_offsets


def as_of_prefix(cited_times: Sequence[float], asked_at: float, *, answer_from: float | None = None) -> str | None:
    """"As of April 10, 2024 (the newest article cited): " for a "latest" answer whose newest dated evidence is
    more than a day older than the question; with `answer_from` (the time of the article the short answer comes
    from), that article's day: "As of April 10, 2024: ". None when it is recent or undated."""
    if answer_from is not None and answer_from == answer_from:  # NaN: undated
        return None if answer_from >= asked_at - DAY else f"As of {day(answer_from)}: "
    dated = [t for t in cited_times if t == t]
    if not dated or max(dated) >= asked_at - DAY:
        return None
    return f"As of {day(max(dated))} (the newest article cited): "


def newest_reference(asked_at: float, dated: tuple[float, float] | None) -> float:
    """The day "newest" is measured from outside a question's window: the day asked, or the archive's newest
    article when the archive ends before it (an archive years old still has a newest article on a topic)."""
    return asked_at if dated is None else min(asked_at, dated[1])


BEARS_SCORE = 0.08  # the ranker's score from which a cited sentence bears on the question
BEARS_LOGIT = -2.0  # the reader's answerable logit from which it does
# Measured on the 1,000-question SQuAD sample (docs/reader.md): of the 3,972 citations after the first,
# both say "unrelated" of 540 (14%); 20 of the 543 holding the answer, in questions where another citation holds
# it too: no question loses its answer from the citations.


def bears_on_question(score: float, logit: float) -> bool:
    """A cited sentence bears on the question unless the ranker (`score`) and the reader (`logit`, answerable)
    both say it does not: "k" citations is a maximum, never filled with football results under a council answer.
    The first citation, and those the answer is read from, are always kept (`QA._relevant`)."""
    return score >= BEARS_SCORE or logit >= BEARS_LOGIT


def repeated_sentences(sentences: Sequence[str], keep: set[int]) -> set[int]:
    """The positions of cited sentences that repeat an earlier one word for word (a wire's stock opening line in
    two of its stories), but for those in `keep`: a second copy says nothing more."""
    seen: set[str] = set()
    out: set[int] = set()
    for i, sentence in enumerate(sentences):
        words = " ".join(tx.words(sentence))
        if words in seen and i not in keep:
            out.add(i)
        seen.add(words)
    return out


def abstains(has_citations: bool, read_answered: bool | None) -> bool:
    """The reply says the articles don't say: no citations, or the reader read them and found no answer."""
    return not has_citations or read_answered is False
