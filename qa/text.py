"""Words, stems and question types: the lexical side of retrieval and answering."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, Iterable

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

# A small English stop list (function words only: question words stay meaningful elsewhere).
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves s t don also many much does did one name named called""".split()
)

NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million billion trillion dozen dozens hundreds thousands millions billions half"
).split()
MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()

NUMBER = re.compile(
    r"(?:(?:approximately|about|around|nearly|almost|over|more than|less than|fewer than|some|roughly|"
    r"up to|at least|at most|an estimated|estimated|just over|just under)\s+)?"
    r"(?:[$€£¥]\s?)?\d(?:[\d,]*\d)?(?:\.\d+)?(?:\s?(?:%|percent|per cent|million|billion|thousand|"
    r"hundred|trillion|km|kilometres|kilometers|miles|meters|metres|kg|tons|tonnes|years|people))?"
    r"|\b(?:" + "|".join(NUMBER_WORDS) + r")(?:[\s-](?:" + "|".join(NUMBER_WORDS) + r"))*\b",
    re.IGNORECASE,
)
_MONTH_RE = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
            r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
DATE = re.compile(
    r"(?:(?:at the (?:end|start|beginning|turn) of|in (?:early|late|mid-?)|by|since|until|in|on|during)\s+)?"
    r"(?:" + _MONTH_RE + r"\s+\d{1,2}(?:st|nd|rd|th)?(?!\d)(?:,?\s+\d{4})?"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE + r"(?:,?\s+\d{4})?"
    r"|" + _MONTH_RE + r"\s+\d{4}"
    r"|(?:the\s+)?(?:\d{1,2}(?:st|nd|rd|th)\s+century|\d{4}s|\d{2}s)"
    r"|\b1[0-9]{3}\b|\b20[0-9]{2}\b"
    r"|(?:last|next|this)\s+(?:year|month|week|" + "|".join(WEEKDAYS) + r")"
    r"|\b(?:" + "|".join(w.capitalize() for w in WEEKDAYS) + r")\b)",
)
_CALENDAR = frozenset(MONTHS + WEEKDAYS)
_CAP_RUN = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+(?:of|de|la|van|von|al|bin|the)?\s*[A-Z][\w’'.-]*)*")
_DEMONYM = re.compile(r"^[A-Z][a-z]+(?:ian|ean|ien|ese|ish|an|i)$")


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-case word tokens."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball stem of one lower-case word."""
    return str(_stemmer().stemWord(word))


def terms(text: str) -> list[str]:
    """Stemmed content words: what BM25 and overlap features count."""
    return terms_of(words(text))


def terms_of(tokens: Iterable[str]) -> list[str]:
    """Stemmed content words of tokens that `words` gave."""
    return [stem(w) for w in tokens if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def question_type(question: str) -> str:
    """What kind of short answer a question wants: number, date, person, place, or other."""
    q = " ".join(words(question))
    if re.search(r"\bhow (many|much|long|old|far|big|large|tall|high|often)\b|\bwhat (number|percentage|"
                 r"proportion|amount|size|population)\b|\bhow many\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (year|date|day|month|century|decade|time|period)\b|\bwhich (year|date|"
                 r"day|month|century|decade)\b|\bin what year\b", q):
        return "date"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich (person|man|woman|leader|president|general|king)\b", q):
        return "person"
    if re.search(r"\bwhere\b|\bwhat (country|city|place|region|location|town)\b|\bwhich (country|"
                 r"city|place|region|town)\b", q):
        return "place"
    return "other"


def numbers(text: str) -> list[re.Match[str]]:
    """Number expressions (digits or words, with qualifiers like 'approximately')."""
    return [m for m in NUMBER.finditer(text) if m.group().strip()]


def dates(text: str) -> list[re.Match[str]]:
    """Date expressions: 'August 26, 2023', 'at the end of 2023', 'on Wednesday', '1990s'."""
    return list(DATE.finditer(text))


def names(text: str) -> list[tuple[int, int, str]]:
    """Runs of capitalised words (a crude name finder): (start, end, text)."""
    out = []
    for m in _CAP_RUN.finditer(text):
        start, value = m.start(), m.group().rstrip(".,’'")
        parts = value.split()
        while len(parts) > 1 and _DEMONYM.match(parts[0]):
            start += len(parts[0]) + 1
            parts = parts[1:]
            value = value[value.index(parts[0]):]
        out.append((start, start + len(value), value))
    return out


def has_type(text: str, kind: str) -> bool:
    """True when the text holds an expression of the wanted kind."""
    if kind == "number":
        return bool(numbers(text))
    if kind == "date":
        return bool(dates(text))
    if kind in ("person", "place"):
        return any(i > 0 for i, _ in enumerate(names(text))) or len(names(text)) > 0
    return False


def key_terms(question: str) -> list[str]:
    """Words of a question that name things (capitalised after the first word, or numbers)."""
    tokens = _WORD.findall(question)
    out = []
    for i, tok in enumerate(tokens):
        if tok.lower().rstrip(".") in _CALENDAR:  # 'Sept', 'Monday': dates, not names
            continue
        if tok.isdigit() or (i > 0 and tok[0].isupper() and tok.lower() not in STOPWORDS):
            out.append(strip_possessive(tok.lower().replace("’", "'")))
    return out


def fold(word: str) -> str:
    """The word without accents: 'céloron' -> 'celoron'."""
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def strip_possessive(word: str) -> str:
    """'twigg's' -> 'twigg' (a name is the same name with or without the possessive)."""
    return word[:-2] if word.endswith("'s") and len(word) > 2 else word
