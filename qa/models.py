"""What an answer is: text, whether it abstained, and citations to exact source sentences."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Citation:
    """Sentence `key` of an article, at `text_of(article)[start:end] == sentence`."""

    n: int
    key: str
    article_id: str
    title: str
    source: str
    sentence: str
    start: int
    end: int
    score: float
    url: str = ""
    published_at: str = ""  # ISO 8601 in the article's own zone when its date gave one (2024-06-09T22:30:00-04:00)
    dates: list[dict[str, Any]] = field(default_factory=list)  # relative dates in the sentence, resolved
    also_in: list[str] = field(default_factory=list)  # sources of the other copies of its story
    published_label: str = ""  # the day it was published, where it was published: "June 9, 2024" ('' undated)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class AnswerSpan:
    """Where a short answer lies: `text_of(article_id)[start:end] == short_answer`, inside citation `citation`."""

    article_id: str
    start: int
    end: int
    citation: int  # the n of the cited sentence holding it

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class Dropped:
    """A generated answer sentence that did not pass verification against its citations (never shown as answer)."""

    sentence: str  # without its markers
    cited: list[int]  # the sentence numbers it cited, as the model numbered its evidence
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class Attributed:
    """A generated sentence the model wrote without a citation, kept because the checker found the sentence
    that supports it (citation `citation` of the answer, added by the checker, not by the model)."""

    sentence: str
    citation: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """The reply to one question."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    short_answer: str | None = None
    retrieval_query: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    keyed: str = ""  # the answer with citation keys where `answer` has [n] (see qa.answers.citations); not in the JSON
    answerer: str = "extractive"  # or "llm": who wrote `answer`
    llm_model: str | None = None  # the LLM asked, if one was
    dropped: list[Dropped] = field(default_factory=list)  # generated sentences that failed verification
    attributed: list[Attributed] = field(default_factory=list)  # kept generated sentences cited by the checker
    warning: str | None = None  # why an LLM answer was asked for and an extractive one is given
    short_answer_span: AnswerSpan | None = None  # the short answer's offsets in its article
    answerability: float | None = None  # the reader's calibrated chance that the evidence answers (None: not read)
    as_of: str = ""  # the day the question was asked (ISO 8601, UTC)
    time: dict[str, Any] | None = None  # the question's time as read: kind, phrase, window, applied

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the shape of `qa ask --json`)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "short_answer": self.short_answer,
            "short_answer_span": self.short_answer_span.to_dict() if self.short_answer_span else None,
            "answerability": None if self.answerability is None else round(self.answerability, 4),
            "citations": [c.to_dict() for c in self.citations],
            "retrieval_query": self.retrieval_query,
            "answerer": self.answerer,
            "llm_model": self.llm_model,
            "dropped": [d.to_dict() for d in self.dropped],
            "attributed": [a.to_dict() for a in self.attributed],
            "warning": self.warning,
            "as_of": self.as_of,
            "time": self.time,
            "timings_ms": dict(self.timings_ms),
        }

    def to_json(self, **kwargs: Any) -> str:
        """Serialise to JSON."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)
