"""One date expression read into the calendar period it names: 'June 3', '3rd of June 2024', 'March', '2023';
and the periods news readers mean by 'this week', 'last week', 'this month', relative to the day asked.

A date without its year is the nearest one not after the reference day (or not before it, when the
speaker looks ahead). Both the question's windows and the article's mentions read dates through here.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Callable

from index.dates import BadDate, parse_date
from qa.dates.calendar import (
    MONTH,
    WEEKDAY,
    WEEKDAY_NUMBERS,
    day_in_year,
    month_of,
    month_start,
    period,
    shift,
    week_start,
    weekday_on_or_after,
    weekday_on_or_before,
)

Period = tuple[date, date]  # first day, the day after the last

_ORDINAL = r"(?:st|nd|rd|th)?"
MONTH_DAY = rf"{MONTH}\s+\d{{1,2}}{_ORDINAL}(?!\d)(?:,?\s+\d{{4}})?"
DAY_MONTH = rf"(?:the\s+)?\d{{1,2}}{_ORDINAL}\s+(?:of\s+)?{MONTH}(?:,?\s+\d{{4}})?"
NUMERIC_DAY = r"\d{4}-\d\d-\d\d|\d{1,2}/\d{1,2}/\d{4}"
DAY = rf"(?:{WEEKDAY},?\s+)?(?:{MONTH_DAY}|{DAY_MONTH}|{NUMERIC_DAY})"
MONTH_YEAR = rf"{MONTH}(?:,?\s+(?:of\s+)?\d{{4}})?"
YEAR = r"(?:1\d{3}|2[01]\d\d)"

_MONTH_DAY = re.compile(rf"(?:{WEEKDAY},?\s+)?(?P<m>{MONTH})\s+(?P<d>\d{{1,2}}){_ORDINAL}(?:,?\s+(?P<y>\d{{4}}))?",
                        re.IGNORECASE)
_DAY_MONTH = re.compile(rf"(?:{WEEKDAY},?\s+)?(?:the\s+)?(?P<d>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<m>{MONTH})"
                        rf"(?:,?\s+(?P<y>\d{{4}}))?", re.IGNORECASE)
_NUMERIC = re.compile(rf"(?:{WEEKDAY},?\s+)?(?P<n>{NUMERIC_DAY})", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"(?P<m>{MONTH})(?:,?\s+(?:of\s+)?(?P<y>\d{{4}}))?", re.IGNORECASE)
_WORDS = frozenset({"may", "march", "mar"})


def is_month_word(text: str) -> bool:
    """True for a month name that is also an English word written in lower case ('may', 'march')."""
    return text.rstrip(".").lower() in _WORDS and not text[0].isupper()


def day_period(text: str, today: date, *, ahead: bool = False, year: int | None = None) -> Period | None:
    """A day date ('June 3', '3rd of June 2024', '2024-06-03') as the one-day period it names.

    Without a year it is the latest such day on or before `today` (`ahead`: the earliest on or after it),
    unless `year` is given. None when the text is not such a date, names a day that does not exist, or
    its month is a lower-case word ('may 5').
    """
    text = " ".join(text.split())
    found = _MONTH_DAY.fullmatch(text) or _DAY_MONTH.fullmatch(text)
    if found is None:
        numeric = _NUMERIC.fullmatch(text)
        if numeric is None:
            return None
        try:
            day = parse_date(numeric["n"]).date()
        except BadDate:
            return None
        return period(day, "day")
    if is_month_word(found["m"]):
        return None
    month, number = month_of(found["m"]), int(found["d"])
    if found["y"] or year is not None:
        fixed = day_in_year(int(found["y"] or year or 0), month, number)
        return None if fixed is None else period(fixed, "day")
    return _nearest(today, ahead, lambda y: day_in_year(y, month, number))


def month_period(text: str, today: date, *, ahead: bool = False, year: int | None = None) -> Period | None:
    """A month, with or without its year ('March', 'March 2024', 'Sept.'), as its period."""
    found = _MONTH_YEAR.fullmatch(" ".join(text.split()))
    if found is None or is_month_word(found["m"]):
        return None
    month = month_of(found["m"])
    if found["y"] or year is not None:
        return period(month_start(int(found["y"] or year or 0), month), "month")
    first = _nearest(today.replace(day=1), ahead, lambda y: date(y, month, 1))
    return None if first is None else period(first[0], "month")


def weekday_period(name: str, today: date, *, ahead: bool = False) -> Period:
    """The named weekday nearest `today`: on or before it (`ahead`: on or after it)."""
    number = WEEKDAY_NUMBERS[name.lower()]
    return period((weekday_on_or_after if ahead else weekday_on_or_before)(today, number), "day")


def week_day(name: str, today: date, weeks: int) -> Period:
    """The named weekday of the week `weeks` from today's: -1 is 'last Monday', 0 'this Monday', 1 'next Monday'."""
    return period(week_start(today) + timedelta(weeks=weeks, days=WEEKDAY_NUMBERS[name.lower()]), "day")


def past_week(today: date) -> Period:
    """'this week', 'the past week': the seven days back from `as_of`, by the whole days they touch (today's too)."""
    return today - timedelta(days=7), today + timedelta(days=1)


def week_before(today: date) -> Period:
    """'last week': the seven days before `past_week`, through the end of the calendar week before today's.

    Asked on a Friday it is the Friday two weeks back to Sunday; asked on a Monday, the fortnight to
    yesterday, so the week just ended (what a Monday reader calls last week) is in it too.
    """
    return today - timedelta(days=14), week_start(today)


def past_month(today: date) -> Period:
    """'this month', 'the past month': a month back from `as_of` to today (the calendar month so far is in it)."""
    return shift(today, -1, "month"), today + timedelta(days=1)


def _nearest(today: date, ahead: bool, make: Callable[[int], date | None]) -> Period | None:
    """The day `make(year)` nearest `today` on its side (February 29 may be up to eight years away)."""
    step = 1 if ahead else -1
    for y in range(today.year, today.year + 9 * step, step):
        day = make(y)
        if day is not None and (day >= today if ahead else day <= today):
            return period(day, "day")
    return None
