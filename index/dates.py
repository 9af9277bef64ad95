"""Publication dates as real dumps give them, normalised to UTC: `2024-04-12T09:30:00Z`.

ISO 8601 with or without a zone, `2022/06/12`, RFC 2822 (`Tue, 12 Jun 2022 10:00:00 GMT`), epoch
seconds (or milliseconds), "June 12, 2022", "12 June 2022"; a date in the URL path (`/2022/06/12/`)
when the field is missing. A value that is none of these is an error naming it, never a guess.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime

from index.errors import SourcedError

FORMAT = "%Y-%m-%dT%H:%M:%SZ"
EARLIEST, LATEST = 1800, 2200  # years a news date can have
_FORMATS = ("%Y/%m/%d", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y.%m.%d", "%B %d, %Y", "%b %d, %Y",
            "%b. %d, %Y", "%B %d %Y", "%d %B %Y", "%d %b %Y", "%B %d, %Y %H:%M", "%B %d, %Y %I:%M %p",
            "%Y%m%d", "%m/%d/%Y")
_URL_DATE = re.compile(r"/((?:18|19|20|21)\d\d)[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?=/|$|[-_.])")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class BadDate(SourcedError, ValueError):
    """A publication date that is none of the formats read."""


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
    if found is None:
        raise BadDate(f"{text!r} is not a date in a known format (ISO 8601 such as 2024-04-12T09:30:00Z, "
                      "2024/04/12, RFC 2822, epoch seconds, or 'April 12, 2024')")
    if not EARLIEST <= found.year <= LATEST:
        raise BadDate(f"{text!r} is out of range (year {found.year})")
    return found


def normalise_date(value: str | int | float) -> str:
    """`parse_date` written as `2024-04-12T09:30:00Z`."""
    return parse_date(value).strftime(FORMAT)


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


def _aware(found: datetime) -> datetime:
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def _iso(text: str) -> datetime | None:
    if not re.match(r"\d{4}-\d\d", text):
        return None
    try:
        return _aware(datetime.fromisoformat(text.replace("z", "Z")))
    except ValueError:
        return None


def _rfc2822(text: str) -> datetime | None:
    if not re.search(r"\d{1,2} [A-Za-z]{3} \d{4}", text):
        return None
    try:
        return _aware(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _formats(text: str) -> datetime | None:
    for fmt in _FORMATS:
        try:
            return _aware(datetime.strptime(text, fmt))
        except ValueError:
            continue
    return None
