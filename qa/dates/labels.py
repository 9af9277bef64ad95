"""Periods written for people: a question's window ('3-9 June 2024') and an article's date ('April 10, 2024')."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from qa.dates.calendar import MONTH_NAMES, month_start


def window_label(first: date | None, after_last: date | None) -> str:
    """'12 June 2024', '3-9 June 2024', '29 April - 5 May 2024', 'March 2024', 'March-May 2024', 'since 1 May 2024'."""
    if first is None:
        return f"before {_day(after_last)}" if after_last else ""
    if after_last is None:
        return f"since {_day(first)}"
    last = after_last - timedelta(days=1)
    if first.month == first.day == 1 and after_last.month == after_last.day == 1:
        return str(first.year) if last.year == first.year else f"{first.year}-{last.year}"
    if first.day == 1 and after_last.day == 1:
        if month_start(first.year, first.month + 1) == after_last:
            return f"{MONTH_NAMES[first.month - 1]} {first.year}"
        if first.year == last.year:
            return f"{MONTH_NAMES[first.month - 1]}-{MONTH_NAMES[last.month - 1]} {first.year}"
        return f"{MONTH_NAMES[first.month - 1]} {first.year} - {MONTH_NAMES[last.month - 1]} {last.year}"
    if first == last:
        return _day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}-{last.day} {MONTH_NAMES[first.month - 1]} {first.year}"
    if first.year == last.year:
        return f"{first.day} {MONTH_NAMES[first.month - 1]} - {_day(last)}"
    return f"{_day(first)} - {_day(last)}"


def day_text(day: date) -> str:
    """'April 10, 2024': how an article's resolved day is shown."""
    return f"{MONTH_NAMES[day.month - 1]} {day.day}, {day.year}"


def period_text(first: date, unit: str) -> str:
    """An article's resolved period: 'April 10, 2024', 'the week of April 1, 2024', 'March 2024', '2025'."""
    if unit == "day":
        return day_text(first)
    if unit == "week":
        return f"the week of {day_text(first)}"
    if unit == "month":
        return f"{MONTH_NAMES[first.month - 1]} {first.year}"
    return str(first.year)


def _day(day: date) -> str:
    """'3 June 2024'."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


DAY = 86400.0  # seconds


def iso(t: float) -> str:
    """'2024-04-10T09:30:00Z' of epoch seconds."""
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day(t: float) -> str:
    """'April 10, 2024' of epoch seconds (UTC)."""
    d = datetime.fromtimestamp(t, tz=UTC)
    return f"{d:%B} {d.day}, {d.year}"


def month(t: float) -> str:
    """'April 2024' of epoch seconds (UTC)."""
    return f"{datetime.fromtimestamp(t, tz=UTC):%B %Y}"
