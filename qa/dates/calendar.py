"""Calendar arithmetic both sides share: UTC days, Monday weeks, months, their words, names that look like days;
an article's publication time in its own zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

MONTH_NUMBERS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
MONTH_NAMES = ("January February March April May June July August September October November "
               "December").split()
WEEKDAY_NUMBERS = {name: n for n, name in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3, "few": 3, "several": 5,
}

MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
         r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?")
WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
COUNT = r"(?:\d{1,3}|a couple of|a couple|couple of|a few|few|several|an?|one|two|three|four|five|six|seven|" \
        r"eight|nine|ten|eleven|twelve|fifteen|twenty|thirty)"
UNIT = r"(?:day|week|month|year)s?"

# Capitalised words that may stand before a weekday without making a name of it ("On Monday", "Last Friday").
_NOT_NAMES = frozenset("on last next this past coming since by until till from before after through that early late "
                       "and or but the what when did was is".split())
_EVERY = re.compile(r"\b(?:every|each|most|some|all|alternate|other)\s+$", re.IGNORECASE)
_CAPITAL_BEFORE = re.compile(r"([A-Z][\w'’-]*)\s+$")
_CAPITAL_AFTER = re.compile(r"^\s+[A-Z][a-z]")


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime (a naive one is taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def own_time(published_at: str) -> datetime | None:
    """A stored publication date in the zone it was published in ('2024-06-09T22:30:00-04:00' stays at -04:00;
    'Z' or no zone: UTC); None when it is not ISO 8601."""
    try:
        moment = datetime.fromisoformat(published_at.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def midnight(day: date) -> datetime:
    """The start of a day, aware UTC."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def month_start(year: int, month: int) -> date:
    """The first day of a month; months past 12 or below 1 roll into the next or previous years."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, 1)


def week_start(day: date) -> date:
    """The Monday of the week (Monday to Sunday) a day falls in."""
    return day - timedelta(days=day.weekday())


def shift(day: date, count: int, unit: str) -> date:
    """A day moved by `count` days, weeks, months or years (months clamp to the month's last day)."""
    unit = unit.rstrip("s")
    if unit == "day":
        return day + timedelta(days=count)
    if unit == "week":
        return day + timedelta(weeks=count)
    months = count * (12 if unit == "year" else 1)
    first = month_start(day.year, day.month + months)
    last = (month_start(first.year, first.month + 1) - timedelta(days=1)).day
    return first.replace(day=min(day.day, last))


def period(day: date, unit: str) -> tuple[date, date]:
    """The calendar day, week, month or year holding a day: (first day, the day after the last)."""
    unit = unit.rstrip("s")
    if unit == "day":
        return day, day + timedelta(days=1)
    if unit == "week":
        return week_start(day), week_start(day) + timedelta(weeks=1)
    if unit == "month":
        return month_start(day.year, day.month), month_start(day.year, day.month + 1)
    return date(day.year, 1, 1), date(day.year + 1, 1, 1)


def count_of(word: str) -> int:
    """'3' -> 3, 'two' -> 2, 'a few' -> 3."""
    word = " ".join(word.lower().split())
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def month_of(word: str) -> int:
    """'Sept.' -> 9."""
    return MONTH_NUMBERS[word.lower().rstrip(".")]


def weekday_on_or_before(day: date, weekday: int) -> date:
    """The latest day on or before `day` that falls on `weekday` (0 = Monday)."""
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def weekday_on_or_after(day: date, weekday: int) -> date:
    """The earliest day on or after `day` that falls on `weekday`."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def day_in_year(year: int, month: int, day: int) -> date | None:
    """The date, or None when it does not exist (February 30)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def is_day_name(text: str, start: int, end: int) -> bool:
    """True when the weekday at text[start:end] is part of a name or a habit, not a date.

    'Good Friday', 'Super Tuesday', 'the Sunday Times', 'Monday Night Football', 'every Sunday'.
    """
    before, after = text[:start], text[end:]
    if _EVERY.search(before):
        return True
    capital = _CAPITAL_BEFORE.search(before)
    if capital and capital.group(1).lower() not in _NOT_NAMES:
        return True  # 'Good Friday', 'Black Friday'; a capitalised 'On' or 'Last' still leads a date
    led = re.search(r"\b(?:on|last|next|this|past|coming|since|by|until|till|from|before|after|through|that)\s+$",
                    before, re.IGNORECASE)
    return bool(not led and _CAPITAL_AFTER.match(after) and not after.lstrip().startswith(("I ", "I'")))
