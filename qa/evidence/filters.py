"""What a question may be limited to: article ids, sources, publication dates. Checked once, named when wrong;
then applied to a corpus's article rows as a mask."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from index.dates import timestamp
from index.layout import Corpus
from qa.errors import InvalidFilter
from qa.options import as_time

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


def allowed_articles(corpus: Corpus, filters: dict[str, Any], published: np.ndarray, *,
                     cutoff: float | None = None) -> np.ndarray | None:
    """Article rows allowed by checked `filters` and published by `cutoff`, as a mask (None: every live one).

    Args:
        published: epoch seconds per article row (NaN: undated; in no date window, never cut off).

    Its cost is one pass over the article list (thousands of rows), never over the sentences.
    """
    n = len(corpus.articles)
    masks: list[np.ndarray] = []
    if filters.get("article_ids"):
        masks.append(article_mask(corpus, filters["article_ids"]))
    if filters.get("sources"):
        sources = set(filters["sources"])
        masks.append(np.fromiter((a.source in sources or a.title in sources for a in corpus.articles), bool, n))
    if filters.get("exclude_article_ids"):
        masks.append(~article_mask(corpus, filters["exclude_article_ids"]))
    if "published_after" in filters:  # an undated article is in no window
        masks.append(published >= filters["published_after"])
    if "published_before" in filters:
        masks.append(published < filters["published_before"])
    if cutoff is not None:
        masks.append(~(published > cutoff))  # NaN (undated) compares False: kept
    if not masks:
        return None
    mask = masks[0]
    for other in masks[1:]:
        mask = mask & other
    return mask & corpus.article_live if corpus.article_live is not None else mask


def article_mask(corpus: Corpus, article_ids: Iterable[str]) -> np.ndarray:
    """The article rows of these ids (unknown ids left out), as a mask."""
    rows = np.zeros(len(corpus.articles), bool)
    rows[[corpus.article_row[a] for a in article_ids if a in corpus.article_row]] = True
    return rows
