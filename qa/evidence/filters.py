"""What a question may be limited to: article ids, sources, publication dates. Checked once, named when wrong."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from index.dates import BadDate, parse_date, timestamp
from qa.errors import InvalidFilter

LISTS = ("article_ids", "sources", "exclude_article_ids")
DATES = ("published_after", "published_before")  # inclusive, exclusive; an undated article is in no window
FILTERS = LISTS + DATES


def check_filters(filters: dict[str, Any] | None) -> dict[str, Any]:
    """Filters with dates as epoch seconds; `InvalidFilter` naming the field that is wrong."""
    if not filters:
        return {}
    if not isinstance(filters, dict):
        raise InvalidFilter("The filters must be an object such as {\"sources\": [\"Reuters\"]}.")
    out: dict[str, Any] = {}
    for name, value in filters.items():
        if name not in FILTERS:
            raise InvalidFilter(f"Unknown filter '{name}'; use {', '.join(FILTERS)}.")
        if value is None or value == [] or value == "":
            continue
        if name in LISTS:
            if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
                raise InvalidFilter(f"Filter '{name}' must be a list of strings.")
            out[name] = list(value)
        else:
            out[name] = as_time(value, name)
    if out.get("published_after", -np.inf) >= out.get("published_before", np.inf):
        raise InvalidFilter("Filter 'published_after' must be earlier than 'published_before'.")
    return out


def as_time(value: Any, name: str) -> float:
    """A date given as a filter or `as_of` (ISO 8601, '2024/04/12', 'April 12, 2024', epoch seconds), as epoch
    seconds; `InvalidFilter` naming `name` when it is none of these."""
    if isinstance(value, float) and np.isfinite(value):
        return value
    try:
        return parse_date(value).timestamp()
    except BadDate as exc:
        raise InvalidFilter(f"'{name}': {exc}.") from None


def publication_times(published: Sequence[str]) -> np.ndarray:
    """Epoch seconds of normalised publication dates (NaN where undated or unreadable), vectorised."""
    out = np.full(len(published), np.nan)
    if not len(published):
        return out
    text = np.array([p[:-1] if p.endswith("Z") else "NaT" for p in published])
    try:
        parsed = text.astype("datetime64[s]")
    except ValueError:  # a store written before dates were normalised: one by one
        return np.array([timestamp(p) if p else np.nan for p in published], dtype=np.float64)
    ok = ~np.isnat(parsed)
    out[ok] = parsed[ok].astype(np.int64).astype(np.float64)
    rest = [i for i, p in enumerate(published) if p and not ok[i]]
    for i in rest:
        t = timestamp(published[i])
        out[i] = np.nan if t is None else t
    return out
