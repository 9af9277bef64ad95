"""A question's time applied to its evidence: the window as date filters, recency as age features.

`plan` turns the question's `TimeIntent` (qa.dates) into what retrieval reads: the filters of a window
(only when the window overlaps the archive: "in 1066" over news of 2024 is a topic, not a filter), the
`Recency` features of a "latest" question, and the question without its time words for searching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from qa import text as tx
from qa.dates import TimeIntent
from qa.dates.labels import DAY, day, iso, month  # noqa: F401  (re-exported: window.day, ...)
from qa.evidence.recency import Recency


@dataclass(frozen=True)
class TimePlan:
    """How one question's time is applied."""

    intent: TimeIntent
    filters: dict[str, Any] = field(default_factory=dict)  # the window's published_after / published_before
    recency: Recency | None = None
    question: str = ""  # what is searched and read (the time words out when the window applies)
    note: str = ""  # why a window was not applied
    # the numbers of a window read as a topic that articles published within a year after it may report on
    # without naming them: "2023" of "in the fourth quarter of 2023" asked of articles from March 2024
    period_terms: tuple[str, ...] = ()

    @property
    def windowed(self) -> bool:
        """True when the window filters the evidence."""
        return bool(self.filters)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the answer's `time`)."""
        return {**self.intent.to_dict(), "applied": self.windowed or self.recency is not None,
                **({"note": self.note} if self.note else {})}


YEAR = 365 * DAY

# "Who is the chief executive?", "How many people has the storm killed?": about the state of things as of
# the day asked, as "latest" is, though no word says so
_PRESENT = re.compile(r"^\s*(?:who|what|which|where|how many|how much)\b[^?]{0,40}?\b(is|are|has|have)\b",
                      re.IGNORECASE)


def plan(question: str, intent: TimeIntent, as_of: float, dated: tuple[float, float] | None,
         filters: dict[str, Any]) -> TimePlan:
    """What a question's time does over an archive whose articles are dated from `dated[0]` to `dated[1]`."""
    if intent.kind == "none":
        present = _PRESENT.match(question)
        if present is None or dated is None:
            return TimePlan(intent, question=question)
        intent = replace(intent, kind="recent", phrase=present[1], start=present.start(1), end=present.end(1),
                         label="the present tense: as of the day asked", question=question)
    if dated is None:
        return TimePlan(intent, question=question, note="the articles carry no dates")
    if intent.kind == "recent":
        return TimePlan(intent, recency=Recency.load(as_of), question=question)
    after = intent.after.timestamp() if intent.after else None
    before = intent.before.timestamp() if intent.before else None
    if before is not None and before <= dated[0]:
        reported = tuple(w for w in tx.key_terms(intent.phrase) if w.isdigit()) if dated[0] - before <= YEAR else ()
        return TimePlan(intent, question=question, note="the window ends before the earliest article: a topic",
                        period_terms=reported)
    window: dict[str, Any] = {}
    if after is not None:
        window["published_after"] = max(after, filters.get("published_after", after))
    if before is not None:
        window["published_before"] = min(before, filters.get("published_before", before))
    rest = intent.rest.strip() or question
    return TimePlan(intent, window, question=rest)


