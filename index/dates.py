"""Publication dates as real dumps give them, normalised to UTC: `2024-04-12T09:30:00Z`.

ISO 8601 with or without a zone, `2022/06/12`, RFC 2822 (`Tue, 12 Jun 2022 10:00:00 GMT`), epoch
seconds (or milliseconds), "June 12, 2022", "12 June 2022"; a date in the URL path (`/2022/06/12/`)
when the field is missing. A value that is none of these is an error naming it, never a guess; a value
in one of these shapes that names no day of the calendar (`2025-02-30`) is "no such day".
"""

from __future__ import annotations

import calendar
import email.utils
import math
import re
from datetime import UTC, datetime, timedelta, timezone

from index.errors import SourcedError

FORMAT = "%Y-%m-%dT%H:%M:%SZ"
EARLIEST, LATEST = 1800, 2200  # years a news date can have
_FORMATS = ("%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y.%m.%d", "%B %d, %Y", "%b %d, %Y",
            "%b. %d, %Y", "%B %d %Y", "%d %B %Y", "%d %b %Y", "%B %d, %Y %H:%M", "%B %d, %Y %I:%M %p",
            "%Y%m%d", "%m/%d/%Y")
_URL_DATE = re.compile(r"/((?:18|19|20|21)\d\d)[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?=/|$|[-_.])")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_FIRST = datetime(EARLIEST, 1, 1, tzinfo=UTC).timestamp()
_AFTER = datetime(LATEST + 1, 1, 1, tzinfo=UTC).timestamp()
# the shapes of a day in the formats read: 2025-02-30, 2025/02/30, February 30, 2025, 30 February 2025
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d])")
_MDY = re.compile(r"([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})\b")
_DMY = re.compile(r"(\d{1,2}) ([A-Za-z]{3,9}) (\d{4})\b")
_MONTHS = {name.lower(): i for names in (calendar.month_name, calendar.month_abbr)
           for i, name in enumerate(names) if name}


class BadDate(SourcedError, ValueError):
    """A publication date that is none of the formats read."""


def epoch_seconds(seconds: float) -> float:
    """Epoch seconds within the years a news date can have (`EARLIEST`-`LATEST`); `BadDate` otherwise (NaN,
    infinity, 1e20, the year 10000)."""
    if not math.isfinite(seconds) or not _FIRST <= seconds < _AFTER:
        raise BadDate(f"{seconds!r} is out of range as epoch seconds (years {EARLIEST}-{LATEST})")
    return seconds


def parse_date(value: str | int | float) -> datetime:
    """A publication date as an aware UTC datetime; naive times are taken as UTC. Raises `BadDate`."""
    if isinstance(value, bool):
        raise BadDate(f"{value!r} is not a date")
    if isinstance(value, (int, float)):
        return _epoch(float(value), str(value))
    text = " ".join(str(value).split())
    if not text:
        raise BadDate("the date is empty")
    if _NUMBER.fullmatch(text) and not (len(text) == 8 and text.isdigit()):  # 20220612 is a date, not seconds
        return _epoch(float(text), text)
    found = _iso(text) or _rfc2822(text) or _formats(text)
    if found is None and (impossible := _no_such_day(text)):
        raise BadDate(f"{text!r} is no such day ({impossible})")
    if found is None:
        raise BadDate(f"{text!r} is not a date in a known format (ISO 8601 such as 2024-04-12T09:30:00Z, "
                      "2024/04/12, RFC 2822, epoch seconds, or 'April 12, 2024')")
    if not EARLIEST <= found.year <= LATEST:
        raise BadDate(f"{text!r} is out of range (year {found.year})")
    return found


def normalise_date(value: str | int | float) -> str:
    """`parse_date` written as `2024-04-12T09:30:00Z`."""
    return parse_date(value).strftime(FORMAT)


def as_published(value: str | int | float) -> str:
    """`normalise_date`, but in the zone the value names when it names one other than UTC: the same moment,
    still on the day it was published where it was published. Raises `BadDate`.

    'Sun, 09 Jun 2024 22:30:00 -0400' -> `2024-06-09T22:30:00-04:00` (`2024-06-10T02:30:00Z` in UTC).
    """
    moment = parse_date(value)
    offset = _named_offset(value)
    return moment.astimezone(timezone(offset)).isoformat(timespec="seconds") if offset else moment.strftime(FORMAT)


def _named_offset(value: str | int | float) -> timedelta | None:
    """The UTC offset an ISO 8601 or RFC 2822 date names (None: it names none, or UTC)."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    try:
        given = (datetime.fromisoformat(text.replace("z", "Z")) if re.match(r"\d{4}-\d\d", text)
                 else email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None
    return given.utcoffset() or None


def date_from_url(url: str) -> str:
    """The date a URL path carries (`/2022/06/12/`), normalised; '' when it has none."""
    found = _URL_DATE.search(url.split("?", 1)[0])
    if not found:
        return ""
    try:
        return datetime(int(found[1]), int(found[2]), int(found[3]), tzinfo=UTC).strftime(FORMAT)
    except ValueError:
        return ""


def timestamp(normalised: str) -> float | None:
    """Epoch seconds of a normalised date ('' or unreadable: None)."""
    if not normalised:
        return None
    try:
        return datetime.strptime(normalised, FORMAT).replace(tzinfo=UTC).timestamp()
    except ValueError:
        try:
            return parse_date(normalised).timestamp()
        except BadDate:
            return None


def _epoch(seconds: float, text: str) -> datetime:
    if abs(seconds) >= 1e11:  # milliseconds (seconds stay below 1e11 until the year 5138)
        seconds /= 1000.0
    try:
        found = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise BadDate(f"{text!r} is out of range as epoch seconds") from None
    if not EARLIEST <= found.year <= LATEST:
        raise BadDate(f"{text!r} is out of range as epoch seconds (year {found.year})")
    return found


def _no_such_day(text: str) -> str | None:
    """Why a date in a known shape names no day of the calendar ("February 2025 has 28 days"), else None."""
    if found := _YMD.match(text):
        year, month, day = int(found[1]), int(found[2]), int(found[3])
    elif (found := _MDY.match(text)) and found[1].lower() in _MONTHS:
        year, month, day = int(found[3]), _MONTHS[found[1].lower()], int(found[2])
    elif (found := _DMY.match(text)) and found[2].lower() in _MONTHS:
        year, month, day = int(found[3]), _MONTHS[found[2].lower()], int(found[1])
    else:
        return None
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{calendar.month_name[month]} {year} has {days} days"
    return None


def _aware(found: datetime) -> datetime:
    """In UTC; `BadDate` when its zone moves it past datetime's range (9999-12-31T23:00:00-05:00)."""
    try:
        return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)
    except OverflowError:
        raise BadDate(f"'{found.isoformat()}' is out of range (year {found.year})") from None


def _iso(text: str) -> datetime | None:
    if not re.match(r"\d{4}-\d\d", text):
        return None
    try:
        return _aware(datetime.fromisoformat(text.replace("z", "Z")))
    except BadDate:
        raise
    except ValueError:
        return None


def _rfc2822(text: str) -> datetime | None:
    if not re.search(r"\d{1,2} [A-Za-z]{3} \d{4}", text):
        return None
    try:
        return _aware(email.utils.parsedate_to_datetime(text))
    except BadDate:
        raise
    except (TypeError, ValueError, IndexError):
        return None


def _formats(text: str) -> datetime | None:
    for fmt in _FORMATS:
        try:
            return _aware(datetime.strptime(text, fmt))
        except ValueError:
            continue
    return None
