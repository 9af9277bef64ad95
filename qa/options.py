"""The options of a question, defined once: every door (`qa.ask`, `QA.ask`, `QA.search`, the CLI, the HTTP and
OpenAI APIs, MCP, llama-index) takes these, by these names, within these bounds.

`AskArgs` types them as keyword arguments (`**options: Unpack[AskArgs]`); `AskOptions` holds them checked.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Mapping, Sequence, TypedDict

from index.dates import BadDate, epoch_seconds, parse_date
from qa.errors import EmptyQuestion, InvalidFilter, InvalidQuestion, QuestionTooLong

MIN_K = 1
MAX_K = 20  # the most sentences a question may cite
K_HELP = f"Most sentences cited, {MIN_K}-{MAX_K} (default 5); only those bearing on the question are."
USE_TIME_HELP = ("Read time in the question ('this week', 'latest', 'in March'; the default). Off: date words are "
                 "plain words; as_of still bounds what is searched.")
AsOf = datetime | str | float | None


class AskArgs(TypedDict, total=False):
    """The options as keyword arguments (see `AskOptions` for what each means)."""

    k: int | None
    history: Sequence[object] | None
    filters: Mapping[str, Any] | None
    answerer: str | None
    as_of: AsOf
    use_time: bool | None


@dataclass(frozen=True)
class AskOptions:
    """How to answer one question.

    Attributes:
        k: how many sentences to cite at most (`MIN_K`-`MAX_K`; None: `Settings.k`).
        history: earlier turns of the conversation (strings, or {"role", "content"} messages).
        filters: {"article_ids", "sources", "exclude_article_ids": [...], "published_after",
            "published_before": a date} (see `qa.evidence.filters`).
        answerer: "extractive", "llm" or "auto" (None: `Settings.answerer`).
        as_of: the day the question is asked (None: now); later articles are not searched.
        use_time: read time in the question ("this week", "latest"; None: `Settings.time`). Off, date words are
            plain words; `as_of` still bounds what is searched.
    """

    k: int | None = None
    history: Sequence[object] | None = None
    filters: Mapping[str, Any] | None = None
    answerer: str | None = None
    as_of: AsOf = None
    use_time: bool | None = None

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> "AskOptions":
        """From keyword arguments; a `TypeError` names an option that doesn't exist."""
        unknown = sorted(set(options) - NAMES)
        if unknown:
            raise TypeError(f"unknown option(s): {', '.join(unknown)} (known: {', '.join(sorted(NAMES))})")
        return cls(**options)

    def bounded_k(self, default: int) -> int:
        """`k` (or `default`) within `MIN_K`..`MAX_K`."""
        return max(MIN_K, min(int(self.k or default), MAX_K))


NAMES = frozenset(f.name for f in fields(AskOptions))


def as_time(value: Any, name: str) -> float:
    """A date given as a filter or `as_of` (ISO 8601, '2024/04/12', 'April 12, 2024', epoch seconds), as epoch
    seconds; `InvalidFilter` naming `name` when it is none of these."""
    try:
        if isinstance(value, float):  # epoch seconds as they are (no milliseconds guessed), within news years
            return epoch_seconds(value)
        return parse_date(value).timestamp()
    except BadDate as exc:
        raise InvalidFilter(f"'{name}': {exc}.") from None


def as_of_time(as_of: AsOf, now: float) -> float:
    """`as_of` as epoch seconds (`now` when not given); `InvalidFilter` naming it when it is not a date."""
    if as_of is None or as_of == "":
        return now
    if isinstance(as_of, datetime):
        return as_time((as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)).timestamp(), "as_of")
    return as_time(as_of, "as_of")


def checked_question(question: object, limit: int) -> str:
    """The question stripped, or the named error of what is wrong with it."""
    if not isinstance(question, str) or not question.strip():
        raise EmptyQuestion()
    question = question.strip()
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidQuestion() from None
    if len(question) > limit:
        raise QuestionTooLong(f"The question is too long ({len(question):,} characters; the limit is {limit:,}).")
    return question
