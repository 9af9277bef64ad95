"""Citations: scored sentence rows in, numbered `Citation`s out, each re-checked against the stored article text
at its offsets (a row whose text the store no longer has is dropped); and the sentences around a cited one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from index.layout import Corpus
from index.models import Article
from qa.dates import resolve_mentions
from qa.dates.calendar import own_time
from qa.dates.labels import day_text
from qa.evidence.candidates import Hit
from qa.evidence.stories import Stories
from qa.models import Citation

CACHED_TEXTS = 256  # article texts kept for citing


class EvidenceStore(Protocol):
    """What retrieval reads from the store besides the corpus: article texts."""

    def get_articles(self, article_ids: list[str]) -> dict[str, Article]: ...


class ArticleTexts:
    """Stored texts of the articles of one generation, the last `size` used kept (thread-safe)."""

    def __init__(self, store: EvidenceStore, size: int = CACHED_TEXTS) -> None:
        self.store, self.size = store, size
        self._cache: OrderedDict[str, Article] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, article_ids: list[str]) -> dict[str, Article]:
        """Stored texts of these articles (those the store has)."""
        out: dict[str, Article] = {}
        with self._lock:
            for aid in dict.fromkeys(article_ids):
                if aid in self._cache:
                    out[aid] = self._cache[aid]
                    self._cache.move_to_end(aid)
        missing = [aid for aid in dict.fromkeys(article_ids) if aid not in out]
        if missing:
            fetched = self.store.get_articles(missing)
            with self._lock:
                for aid, art in fetched.items():
                    self._cache[aid] = out[aid] = art
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return out


def cite(hits: list[Hit], corpus: Corpus, texts: ArticleTexts, published: np.ndarray,
         stories: Stories, *, allowed: np.ndarray | None = None) -> list[tuple[int, Citation]]:
    """Hits as (row, numbered citation), each re-checked against the stored article text (others dropped).

    Args:
        published: epoch seconds per article row (NaN: undated), to date the sentence's relative dates.
        allowed: the article rows the filters and `as_of` allow (None: every live one): "also in" names no other.
    """
    ids = [corpus.articles[corpus.sentence_article[h.row]].id for h in hits]
    stored = texts.get(ids)
    out: list[tuple[int, Citation]] = []
    for h, aid in zip(hits, ids):
        art = stored.get(aid)
        start, end = int(corpus.sentence_start[h.row]), int(corpus.sentence_end[h.row])
        sentence = corpus.sentence_text[h.row]
        if art is None or art.text[start:end] != sentence:
            continue  # the store changed under us or is damaged: never cite what isn't there
        row = corpus.article_row[aid]
        info = corpus.articles[row]
        when = _published(info.published_at, published[row])
        out.append((h.row, Citation(
            n=len(out) + 1, key=corpus.sentence_key(h.row), article_id=aid, title=info.title,
            source=info.source, sentence=sentence, start=start, end=end, score=round(h.score, 4),
            url=info.url, published_at=info.published_at,
            dates=_dates(sentence, when),
            also_in=stories.also_in(row, allowed),
            published_label=day_text(when.date()) if when else "",
        )))
    return out


def neighbours(corpus: Corpus, row: int) -> tuple[str, str]:
    """The sentences before and after a sentence row in its article ('' at either end)."""
    article = corpus.sentence_article[row]
    before = corpus.sentence_text[row - 1] if row > 0 and corpus.sentence_article[row - 1] == article else ""
    after = (corpus.sentence_text[row + 1]
             if row + 1 < len(corpus.sentence_ids) and corpus.sentence_article[row + 1] == article else "")
    return before, after


def _published(stored: str, published: float) -> datetime | None:
    """An article's publication time in its own zone (UTC when its date named none; None when undated)."""
    if published != published:  # NaN: undated
        return None
    return own_time(stored) or datetime.fromtimestamp(published, tz=UTC)


def _dates(sentence: str, when: datetime | None) -> list[dict[str, Any]]:
    """The relative dates of a sentence resolved against its article's publication day, the day it was where it
    was published ('tonight' in a Sunday 22:30 -04:00 story is Sunday), none when undated."""
    if when is None:
        return []
    return [{"start": m.start, "end": m.end, "text": m.text, "date": m.date_text}
            for m in resolve_mentions(sentence, when.replace(tzinfo=None))]  # naive: the day its clock shows
