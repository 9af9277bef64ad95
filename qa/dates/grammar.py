"""The rules that find time in a question, one per kind of phrase, each giving a window, "recent" or a lookalike.

A rule reads its match against `today` (the UTC day of `as_of`) and `ahead` (the question looks to the
future: 'will', 'planned'), and gives (first day, the day after the last; None: up to now), "recent",
or None for a phrase that only looks like time.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Callable

from qa.dates.calendar import (
    COUNT,
    UNIT,
    WEEKDAY,
    WEEKDAY_NUMBERS,
    count_of,
    day_in_year,
    is_day_name,
    month_start,
    period,
    shift,
)
from qa.dates.phrases import (
    DAY,
    MONTH_YEAR,
    YEAR,
    day_period,
    month_period,
    past_month,
    past_week,
    week_before,
    week_day,
    weekday_period,
)

Window = tuple[date | None, date | None]
Found = Window | str | None
Rule = Callable[[re.Match[str], date, bool], Found]

RULES: list[tuple[re.Pattern[str], Rule]] = []
ATOM = (rf"(?:{DAY}|{MONTH_YEAR}|{YEAR}|(?:last\s+)?{WEEKDAY}|today|yesterday|(?:last|this)\s+(?:week|month|year)|"
        rf"{COUNT}\s+{UNIT}\s+ago)")
_FUNCTION = frozenset("and or in when while did was were is are has have had for to at on the what who how that "
                      "which with by".split())
_PARTS = {"early": (1, 5), "mid": (5, 9), "late": (9, 13)}  # a year's months: [first, after-last)
_ROUGHLY = frozenset({"a few", "few", "several", "a couple", "a couple of", "couple of"})
_PAST = re.compile(r"\b(?:was|were|did|had|happened|went|said|took)\b", re.IGNORECASE)
_HABIT = re.compile(r"\b(?:annually|every|each\s+year|usually|typically|generally|normally|often|traditionally)\b",
                    re.IGNORECASE)
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # northern: first of three months
_QUARTERS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_TENTHS = {"early": (1, 11), "mid": (11, 21), "late": (21, 32)}  # a month's days


def rule(pattern: str) -> Callable[[Rule], Rule]:
    """Adds a rule to the grammar: its pattern (case-insensitive) and what a match means."""
    def add(read: Rule) -> Rule:
        RULES.append((re.compile(pattern, re.IGNORECASE), read))
        return read
    return add


def atom(text: str, today: date, ahead: bool = False, year: int | None = None) -> tuple[date, date] | None:
    """One date expression ('May 1', 'March 2024', '2022', 'Monday', 'last week', '3 days ago') as its period."""
    text = " ".join(text.split())
    found = day_period(text, today, ahead=ahead, year=year) or month_period(text, today, ahead=ahead, year=year)
    if found:
        return found
    if re.fullmatch(YEAR, text):
        return period(date(int(text), 1, 1), "year")
    last, _, name = text.lower().rpartition(" ")
    if name in WEEKDAY_NUMBERS and last in ("", "last"):
        return week_day(name, today, -1) if last else weekday_period(name, today)
    if text.lower() in ("today", "yesterday"):
        return period(today - timedelta(days=int(text.lower() == "yesterday")), "day")
    relative = re.fullmatch(rf"(last|this)\s+(week|month|year)|({COUNT})\s+({UNIT})\s+ago", text, re.IGNORECASE)
    if relative and relative[2]:
        return news_period(relative[1], relative[2], today)
    if relative:
        return period(shift(today, -count_of(relative[3]), relative[4]), relative[4])
    return None


def news_period(which: str, unit: str, today: date) -> tuple[date, date]:
    """'this week', 'last week', 'this month' as a news reader means them (docs/time.md): the past seven days,
    the seven before those (through the calendar week before this one), the past month; 'last month' and
    years are calendar periods."""
    which, unit = which.lower(), unit.lower()
    if unit == "week":
        return past_week(today) if which == "this" else week_before(today)
    if unit == "month" and which == "this":
        return past_month(today)
    return period(shift(today, -int(which == "last"), unit), unit)


def yearless(question: str) -> bool:
    """True when a date without its year cannot take as_of's: a habit ('every June') or a year said apart ('in 1880')."""
    return bool(_HABIT.search(question) or re.search(rf"\b{YEAR}\b", question))


def counted(text: str, end: int) -> bool:
    """True when the number ending at `end` counts things ('from 1500 to 2000 troops', 'in 1500 years')."""
    after = re.match(r"\s+([a-z]+)", text[end:])
    return bool(after and after.group(1) not in _FUNCTION)


@rule(rf"\b(?:between|from)\s+(?P<a>{ATOM})\s*(?:and|to|until|till|through|-|–)\s*"
      rf"(?P<b>{ATOM}|\d{{1,2}}(?:st|nd|rd|th)?(?![\d/-]))")
def _between(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'between May 1 and May 5', 'from April to May', 'between 2020 and 2022': first to last, inclusive."""
    if counted(m.string, m.end()):
        return None
    a, number = atom(m["a"], today), m["b"].rstrip("stndrh")
    if a and number.isdigit() and (a[1] - a[0]).days == 1:  # 'between May 1 and 5': the first's month
        day = day_in_year(a[0].year, a[0].month, int(number))
        b = period(day, "day") if day else None
    else:
        b = atom(m["b"], today)
    if a is None or b is None:
        return None
    if a[0] >= b[1]:  # 'between May 1 and May 5, 2023': the first takes the second's year
        a = atom(m["a"], today, year=b[0].year) or a
    return (a[0], b[1]) if a[0] < b[1] else None


@rule(rf"\b(?:ever\s+)?since\s+(?P<a>{ATOM})")
def _since(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'since May', 'since 2022', 'since last week': open, from the period's first day on."""
    found = None if counted(m.string, m.end()) else atom(m["a"], today)
    return (found[0], None) if found else None


@rule(rf"\b(?P<w>before|prior\s+to|until|till|up\s+to|after)\s+(?P<a>{ATOM})")
def _before_after(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'before October 2005' (up to its start), 'until 2020' (to its end), 'after May 1' (from its end on)."""
    found = None if counted(m.string, m.end()) else atom(m["a"], today)
    if found is None:
        return None
    word = m["w"].lower()
    return (found[1], None) if word == "after" else (None, found[0] if word.startswith(("before", "prior")) else found[1])


@rule(rf"\b(?:(?:in|over|during|within|for|from)\s+)?(?P<the>the\s+)?(?P<w>past|last|previous|this\s+past)\s+"
      rf"(?:(?P<n>{COUNT})\s+)?(?P<unit>{UNIT}|hours?)\b(?!\s+of\b)")
def _rolling(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'in the past 3 days', 'over the last six months': up to the end of today; 'last week': `news_period`."""
    unit = m["unit"].lower()
    if m["n"] is None and unit.endswith("s"):
        return "recent"  # 'in the past weeks'
    if m["n"] is None and (m["w"].lower() == "previous" or (m["w"].lower() == "last" and not m["the"])):
        return news_period("last", unit, today)  # 'last week', 'the previous month'
    n = count_of(m["n"] or "1")
    if unit.startswith("hour"):  # 'the past 24 hours': the days they touch
        return today - timedelta(days=max(1, -(-n // 24))), today + timedelta(days=1)
    return shift(today, -n, unit), today + timedelta(days=1)


@rule(rf"\b(?:about\s+|around\s+|some\s+)?(?P<n>{COUNT})\s+(?P<unit>{UNIT})\s+ago\b")
def _ago(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'5 days ago', 'two weeks ago': the day, week, month or year that held it."""
    n, unit = count_of(m["n"]), m["unit"].lower()
    if " ".join(m["n"].lower().split()) in _ROUGHLY:  # 'a few days ago': from twice that long ago to now
        return shift(today, -2 * n, unit), today + timedelta(days=1)
    return period(shift(today, -n, unit), unit)


@rule(r"\b(?:(?P<mod>earlier|so\s+far|later)\s+)?(?:(?:in|during|for|over)\s+)?(?:this|the\s+current)\s+"
      r"(?P<unit>week|month|year)\b")
def _this(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'this week', 'earlier this week': the past seven days; 'this month': the past month (`news_period`);
    'this year' the calendar year, 'so far this year' up to today."""
    mod, unit = (m["mod"] or "").lower(), m["unit"].lower()
    if mod == "later":
        return "recent"
    if unit != "year":
        return news_period("this", unit, today)
    first, after_last = period(today, unit)
    return (first, today + timedelta(days=1)) if mod else (first, after_last)


@rule(r"\b(?:next|this\s+coming|the\s+coming)\s+(?:week|month|year|weekend|few\s+(?:days|weeks|months))\b|"
      r"\btomorrow\b|\blater\s+today\b")
def _next(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'next week', 'tomorrow': what is coming is news published lately."""
    return "recent"  # news about what is coming is news published lately


@rule(r"\b(?:(?:earlier|later)\s+)?(?P<w>today|tonight|this\s+(?:morning|afternoon|evening)|yesterday|last\s+night|"
      r"the\s+day\s+before\s+yesterday)(?:['’]s)?\b")
def _day_word(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'today', 'yesterday', 'this morning', 'last night', 'the day before yesterday'."""
    word = m["w"].lower()
    if m["w"][0].isupper() and m.start("w") > 0 and not re.search(r"[\"'“‘(]\s*$", m.string[:m.start("w")]):
        return None  # 'USA Today', 'the Tonight Show'
    if word == "today" and not _PAST.search(m.string):
        return "recent"  # 'What is it known as today?': nowadays
    back = 2 if word.startswith("the day") else int(word in ("yesterday", "last night"))
    return period(today - timedelta(days=back), "day")


@rule(r"\b(?:(?:over|during|on|at|from)\s+)?(?P<w>the|this|last|this\s+past|past)\s+weekend\b")
def _weekend(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'over the weekend': the latest Saturday and Sunday not after today."""
    saturday = today - timedelta(days=(today.weekday() - 5) % 7)
    word = " ".join(m["w"].lower().split())
    if word == "this" and today.weekday() < 5 and (ahead or not _PAST.search(m.string)):
        return "recent"  # 'this weekend' on a weekday is the coming one, unless the question looks back
    if word == "last" and today.weekday() >= 5:
        saturday -= timedelta(weeks=1)
    return saturday, saturday + timedelta(days=2)


@rule(rf"\b(?:(?P<mod>on|last|this\s+past|past|this|next|this\s+coming|coming)\s+)?(?P<wd>{WEEKDAY})(?:['’]s)?"
      r"(?:\s+(?:morning|afternoon|evening|night))?\b")
def _weekday(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'on Monday', 'Monday's': the latest one not after today; 'last Monday': last week's."""
    mod = " ".join((m["mod"] or "").lower().split())
    if is_day_name(m.string, m.start("wd"), m.end("wd")):
        return None
    if mod in ("next", "this coming", "coming"):
        return "recent"
    if mod in ("this", "last"):  # the Monday of this week, of last week
        found = week_day(m["wd"], today, -int(mod == "last"))
    else:
        found = weekday_period(m["wd"], today, ahead=ahead)
    return found if found[0] <= today else "recent"


@rule(rf"\b(?:on\s+)?(?P<a>{DAY})(?![\d/-])")
def _day(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'on June 3', '3rd of June 2024', '2024-06-03': that day (a yearless one not in a habit: 'every June 3')."""
    if not re.search(r"\d{4}", m["a"]) and yearless(m.string):
        return None
    return day_period(m["a"], today, ahead=ahead)


@rule(rf"(?:\b(?P<prep>in|during|throughout|over|last|this|in\s+early|in\s+late|in\s+mid|early|late|mid)[\s-]+|"
      rf"(?<!the\s)\b(?=\w+\.?,?\s+\d{{4}}))(?P<a>{MONTH_YEAR})(?!\s*\d{{1,2}}\b)(?![\w-])")
def _month(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'in March', 'in March 2024', 'last March', 'in early March'; a bare 'March 2024' unless after 'the'."""
    prep = " ".join((m["prep"] or "").lower().split()).replace("in ", "")
    found = month_period(m["a"], today, ahead=ahead and prep != "last")
    if found is None or (not prep and counted(m.string, m.end())):
        return None
    if not re.search(r"\d{4}", m["a"]) and yearless(m.string):
        return None  # 'takes place annually in June', 'in June/July 1754'

    if prep == "last" and found[0] <= today < found[1]:  # 'last March' said in March: a year ago
        found = month_period(m["a"], today, year=today.year - 1)
    if prep == "this" and found:
        found = month_period(m["a"], today, year=today.year)
    if found and prep in _TENTHS:  # 'in early March': its first ten days
        first, after = _TENTHS[prep]
        return found[0] + timedelta(days=first - 1), min(found[0] + timedelta(days=after - 1), found[1])
    return found


@rule(rf"\b(?P<prep>in|during|throughout|over|in\s+early|in\s+late|in\s+mid|early|late|mid)[\s-]+(?P<y>{YEAR})\b"
      r"(?![/-]\d|s\b|['’]s\b)")
def _year(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'in 2023', 'during 2023', 'in late 2023' (early, mid, late: thirds of the year)."""
    if counted(m.string, m.end()):
        return None  # 'in 1500 years'
    year, prep = int(m["y"]), " ".join(m["prep"].lower().split()).replace("in ", "")
    first, after = _PARTS.get(prep, (1, 13))
    return month_start(year, first), month_start(year, after)


@rule(r"\b(?:(?:in|during|over)\s+)?(?:(?P<last>last|this\s+past|this)\s+|the\s+)?"
      rf"(?:Q(?P<q>[1-4])|(?P<nth>first|second|third|fourth)\s+quarter)(?:\s+(?:of\s+)?(?P<y>{YEAR}))?\b")
def _quarter(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'Q1 2024', 'in the third quarter': three months."""
    quarter = _QUARTERS[(m["q"] or m["nth"]).lower()]
    if m["nth"] and not m["y"]:
        return None  # 'in the fourth quarter' of a game, 'a third quarter of voters'
    year = int(m["y"]) if m["y"] else today.year
    if not m["y"] and month_start(year, 3 * quarter - 2) > today:
        year -= 1  # 'in Q3' said in June: last year's
    if (m["last"] or "").lower() == "last" and not m["y"] and month_start(year, 3 * quarter + 1) > today:
        year -= 1
    return month_start(year, 3 * quarter - 2), month_start(year, 3 * quarter + 1)


@rule(rf"\b(?:(?:in|during|over)\s+the\s+|(?P<last>last|this\s+past|this)\s+|(?P<the>the\s+)|(?:in|during)\s+)"
      rf"(?P<s>spring|summer|autumn|fall|winter)(?:\s+(?:of\s+)?(?P<y>{YEAR})\b)?")
def _season(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'last summer', 'in the summer of 2023' (northern meteorological seasons; winter starts in December)."""
    if (m["s"][0].isupper() and m.start("s") > 0) or not (m["y"] or m["last"]):
        return None  # 'the Arab Spring', 'the fall of Kabul', 'leaves turn in the fall'
    first_month = _SEASONS[m["s"].lower()]
    year = int(m["y"]) if m["y"] else today.year
    if not m["y"]:
        while month_start(year, first_month) > today:
            year -= 1
        if (m["last"] or "").lower() == "last" and today < month_start(year, first_month + 3):
            year -= 1  # 'last summer' said in June: the summer before this one
    return month_start(year, first_month), month_start(year, first_month + 3)


_RECENT = (r"\b(?:latest|most\s+recent|recent(?:ly)?|newest|currently|current|nowadays|right\s+now|now|lately|still|"
           r"so\s+far|as\s+of\s+(?:now|today|yet)|up[\s-]to[\s-]date|these\s+days|at\s+the\s+moment|at\s+present|"
           r"presently|upcoming|to\s+date(?=\s*(?:[?.!,]|$))|anymore)\b")
_NOT_RECENT = {  # (before, after) that make the word something else: 'electric current', 'now known as', 'still life'
    "current": (r"(?:electric(?:al)?|alternating|direct|ocean|rip|jet|gulf|strong|tidal)\s+$",
                r"^(?:\s+(?:accounts?|of|in|on|and|is|was|flows?|through)\b|\s*[?.!,]|$)"),
    "now": (r"\bfrom\s+$", r"^[\s-]+(?:known|called|named|defunct|famous|part|home|extinct)\b"),
    "still": (r"\b(?:stands?|stood|standing|sit|sat|keep|kept|hold|held|stay|stayed|lie|lay)\s+$",
              r"^\s+(?:life|lifes|water|waters|image|images|photo|photos|photograph)\b"),
    "latest": (r"\bat\s+the\s+$", r"^(?!)"),
    "so far": (r"(?!)", r"^\s+(?:as|from|away|beyond|ahead|apart)\b"),
}


@rule(_RECENT)
def _recent(m: re.Match[str], today: date, ahead: bool) -> Found:
    """'latest', 'current', 'now', 'still', 'so far': recent news wanted (not 'electric current', 'now known as')."""
    before, after = _NOT_RECENT.get(" ".join(m.group().lower().split()), (r"(?!)", r"^(?!)"))
    if re.search(before, m.string[:m.start()], re.IGNORECASE) or re.search(after, m.string[m.end():], re.IGNORECASE):
        return None
    return "recent"
