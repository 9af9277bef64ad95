"""Relative dates in an article's sentence ('on Wednesday', 'last month'), resolved against its publication date.

The rule: a weekday is the nearest one on or before the publication day
(a Thursday story's 'on Thursday' is that day), or on or after it when the sentence looks ahead
before the mention ('will', 'is due to', 'scheduled', 'would'). 'last Monday' and 'next Monday' are
the Mondays of the week before and the week after; 'this Monday' is the one of the publication's week.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable

from qa.dates.calendar import COUNT, MONTH, UNIT, WEEKDAY, count_of, is_day_name, period, shift, utc
from qa.dates.labels import day_text, period_text
from qa.dates.phrases import week_day, weekday_period

Reader = Callable[[re.Match[str], date, bool], "str | None"]
_READERS: list[tuple[re.Pattern[str], Reader]] = []
_AHEAD = re.compile(r"\b(?:will|won['’]t|shall|would|scheduled|slated|planned|plans?\s+to|intends?\s+to|"
                    r"set\s+(?:to|for)|expected\s+to|going\s+to|upcoming|due\s+(?:on|for|to\s+(?:be|start|begin|"
                    r"end|take|hold|meet|vote|arrive|leave|return|open|close|finish|sign|announce|visit)))\b|['’]ll\b",
                    re.IGNORECASE)
_DATED = re.compile(rf"^,?\s*\(?\s*(?:{MONTH}\s+\d|\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH})", re.IGNORECASE)
_PART = r"(?:\s+(?:morning|afternoon|evening|night))?"


@dataclass(frozen=True)
class Mention:
    """A relative date at sentence[start:end] == text, and the date it means: 'April 10, 2024'."""

    start: int
    end: int
    text: str
    date_text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def resolve_mentions(sentence: str, published: datetime) -> list[Mention]:
    """The sentence's relative dates, left to right, each resolved against the publication date (UTC)."""
    day = utc(published).date()
    found: list[tuple[int, int, str]] = []
    for pattern, read in _READERS:
        for match in pattern.finditer(sentence):
            ahead = bool(_AHEAD.search(sentence[:match.start("m")]))
            date_text = read(match, day, ahead)
            if date_text and not _DATED.match(sentence[match.end("m"):]):
                found.append((match.start("m"), match.end("m"), date_text))
    kept: list[Mention] = []
    for start, end, date_text in sorted(found, key=lambda f: (f[0], -f[1])):
        if not kept or start >= kept[-1].end:
            kept.append(Mention(start, end, sentence[start:end], date_text))
    return kept


def annotate(sentence: str, published: datetime) -> str:
    """The sentence with each relative date followed by the date it means: 'on Wednesday (April 10, 2024)'."""
    out, at = [], 0
    for mention in resolve_mentions(sentence, published):
        out += [sentence[at:mention.end], f" ({mention.date_text})"]
        at = mention.end
    return "".join(out) + sentence[at:]


def reader(pattern: str) -> Callable[[Reader], Reader]:
    """Adds a reader: its pattern (case-insensitive; group `m` is the mention) and the date a match means."""
    def add(read: Reader) -> Reader:
        _READERS.append((re.compile(pattern, re.IGNORECASE), read))
        return read
    return add


@reader(rf"\b(?P<m>(?P<w>today|tonight|this\s+(?:morning|afternoon|evening)|yesterday|last\s+night|tomorrow|"
        rf"the\s+day\s+(?:before\s+yesterday|after\s+tomorrow))(?:['’]s)?{_PART})\b")
def _day_word(m: re.Match[str], day: date, ahead: bool) -> str | None:
    """'yesterday', 'today', 'tonight', 'this morning', 'last night', 'tomorrow': that day."""
    word = " ".join(m["w"].lower().split())
    if m["w"][0].isupper() and m.start() > 0 and not re.search(r"[\"'“‘(]\s*$", m.string[:m.start()]):
        return None  # 'USA Today', 'the Today programme', 'The Tonight Show'
    steps = {"yesterday": -1, "last night": -1, "tomorrow": 1, "the day before yesterday": -2,
             "the day after tomorrow": 2}
    return day_text(day + timedelta(days=steps.get(word, 0)))


@reader(r"\b(?P<m>(?:(?:earlier|later)\s+)?(?P<w>last|next|this|this\s+coming|the\s+coming)\s+"
        r"(?P<unit>week|month|year))\b")
def _unit(m: re.Match[str], day: date, ahead: bool) -> str | None:
    """'last week', 'this month', 'next year': the week (by its Monday), month or year."""
    step = {"last": -1, "this": 0}.get(m["w"].lower(), 1)
    unit = m["unit"].lower()
    return period_text(period(shift(day, step, unit), unit)[0], unit)


@reader(rf"\b(?:(?P<lead>on|by|until|till|since|from|before|after)\s+)?(?P<m>(?:(?P<w>last|next|this\s+coming|"
        rf"this\s+past|this|coming)\s+)?(?P<d>{WEEKDAY})(?:['’]s)?{_PART})\b")
def _weekday(m: re.Match[str], day: date, ahead: bool) -> str | None:
    """'on Wednesday', 'Wednesday night', 'last Tuesday', 'next Tuesday', 'this coming Monday'."""
    if is_day_name(m.string, m.start("d"), m.end("d")):
        return None
    word = " ".join((m["w"] or "").lower().split())
    if word in ("last", "next", "this"):
        first = week_day(m["d"], day, {"last": -1, "this": 0, "next": 1}[word])[0]
    elif word == "this past":  # never the publication day itself
        first = weekday_period(m["d"], day - timedelta(days=1))[0]
    elif word:  # 'this coming', 'coming'
        first = weekday_period(m["d"], day + timedelta(days=1), ahead=True)[0]
    else:
        first = weekday_period(m["d"], day, ahead=ahead)[0]
    return day_text(first)


@reader(rf"\b(?P<m>(?P<n>{COUNT})\s+(?P<unit>{UNIT})\s+ago)\b")
def _ago(m: re.Match[str], day: date, ahead: bool) -> str | None:
    """'three days ago', 'two weeks ago': the day, week, month or year (not 'a few days ago')."""
    if m["n"].lower().replace("a ", "").strip() in ("few", "couple", "couple of", "several"):
        return None  # 'a few days ago' names no day
    unit = m["unit"].lower().rstrip("s")
    return period_text(period(shift(day, -count_of(m["n"]), unit), unit)[0], unit)
