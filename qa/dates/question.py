"""Time in a question: a window of publication dates ('last week'), a wish for recent news ('latest'), or neither.

A small grammar, rule by rule: each rule finds its phrase and turns it into a period of whole UTC days
relative to `as_of`, or into "recent", or rejects it as a lookalike ('Sunday Times', 'May I').
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from index.dates import FORMAT
from qa.dates.calendar import midnight, utc
from qa.dates.grammar import RULES, Window
from qa.dates.labels import window_label

_AHEAD = re.compile(r"\b(?:will|won['’]t|shall|going to|expected to|scheduled|planned|upcoming|set to)\b|['’]ll\b",
                    re.IGNORECASE)


@dataclass(frozen=True)
class TimeIntent:
    """What a question says about time: a window of publication dates, a wish for recent news, or nothing."""

    kind: str = "none"  # "window" | "recent" | "none"
    phrase: str = ""  # the question's words that said it, e.g. "this week"
    start: int = 0  # offsets of phrase in the question
    end: int = 0
    after: datetime | None = None  # window start, inclusive, aware UTC (None: open, 'before 2005')
    before: datetime | None = None  # window end, exclusive (None: open, up to now)
    label: str = ""  # "3-9 June 2024", "March 2024", "since 1 May 2024"
    question: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, dates as '2024-06-03T00:00:00Z' (the question itself left out)."""
        return {"kind": self.kind, "phrase": self.phrase, "start": self.start, "end": self.end,
                "after": self.after.strftime(FORMAT) if self.after else None,
                "before": self.before.strftime(FORMAT) if self.before else None, "label": self.label}

    @property
    def rest(self) -> str:
        """The question without the phrase, for retrieval: 'What did the Fed do last week?' -> '... do?'."""
        if not self.phrase:
            return self.question
        text = " ".join((self.question[:self.start] + " " + self.question[self.end:]).split())
        return re.sub(r"\s+([?.!,;:])", r"\1", text)

    def admits(self, published: datetime) -> bool:
        """True when a publication date falls in the window (always, unless the kind is "window")."""
        moment = utc(published)
        return self.kind != "window" or ((self.after is None or moment >= self.after)
                                         and (self.before is None or moment < self.before))


def read_time(question: str, as_of: datetime) -> TimeIntent:
    """The time a question asks about, relative to `as_of` (naive: taken as UTC)."""
    today = utc(as_of).date()
    ahead = bool(_AHEAD.search(question))
    windows: list[tuple[int, int, Window]] = []
    recent: list[tuple[int, int]] = []
    for pattern, rule in RULES:
        for match in pattern.finditer(question):
            found = rule(match, today, ahead)
            if isinstance(found, tuple) and (found[0] is None or found[0] <= today):  # a date wholly ahead is a topic, not a window
                windows.append((match.start(), -match.end(), found))
            elif found == "recent":
                recent.append((match.start(), -match.end()))
    if windows:
        start, minus_end, (first, last) = min(windows, key=lambda w: (w[0], w[1]))
        return TimeIntent("window", question[start:-minus_end], start, -minus_end, midnight(first) if first else None,
                          midnight(last) if last else None, window_label(first, last), question)
    if recent:
        start, minus_end = min(recent)
        return TimeIntent("recent", question[start:-minus_end], start, -minus_end, question=question)
    return TimeIntent(question=question)
