"""Questions whose right answer depends on when they are asked (`as_of`), and ones whose doesn't.

A `Fact` is a sentence that answers a question `Family` ("What did the Millbrook City Council vote
on?") in one article; a storyline gives a family several facts on different dates. A "window"
question names a period (this week, last week, yesterday, on March 12, in March 2024, since March
10); its expected articles are those of the one fact published in the period, by `as_of`. A
"latest" question names none: the newest fact published by `as_of`; of a family whose facts are one
quantity over time (`changes`), it records the value before (`changed_from`) when that differs. Periods are read as docs/time.md
says news readers mean them: "this week" is the seven days up to `as_of` (from the day a week back,
whole UTC days), "last week" the seven before those through the Sunday before `as_of`'s week; a period
ends at `as_of` at the latest. "This week" is asked on every weekday, Fridays and Mondays included. A wire
story's reprints answer as its original does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from lab.dated_text import Draft

ISO = "%Y-%m-%dT%H:%M:%SZ"
PERIODS = ("this week", "last week", "yesterday", "on", "in", "since")


@dataclass(frozen=True)
class Fact:
    """A sentence in one article that answers one question family."""

    family: str
    article: str
    published: datetime
    evidence: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Family:
    """A question asked of one storyline again and again: its "latest" wordings, its window wording."""

    name: str
    storyline: str
    latest: tuple[str, ...]
    window: str  # holds "{period}"
    periods: tuple[str, ...] = PERIODS
    ask_before: bool = False  # also ask "latest" before the first fact: nothing answers yet
    since: str = ""  # the window wording for "since ..." when the tense must change
    changes: bool = False  # its facts are one quantity over time (a toll, a count, points): the newest must win


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A UTC datetime on `day`."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _day_name(day: date) -> str:
    return f"{day:%B} {day.day}"


def period(kind: str, as_of: datetime, day: date) -> tuple[datetime, datetime, str]:
    """(start, end, words) of a period named relative to `as_of` (`day` anchors "on", "in", "since")."""
    today = as_of.date()
    monday = today - timedelta(days=today.weekday())
    if kind == "this week":  # the seven days up to as_of: a Friday's reaches back to the Friday before
        return at(today - timedelta(days=7), 0), as_of, "this week"
    if kind == "last week":  # the seven days before those, through the end of the calendar week before this one
        return at(today - timedelta(days=14), 0), at(monday, 0) - timedelta(seconds=1), "last week"
    if kind == "yesterday":
        return at(today - timedelta(days=1), 0), at(today, 0) - timedelta(seconds=1), "yesterday"
    if kind == "on":
        return at(day, 0), at(day + timedelta(days=1), 0) - timedelta(seconds=1), f"on {_day_name(day)}"
    if kind == "in":
        first = day.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        return at(first, 0), at(after, 0) - timedelta(seconds=1), f"in {day:%B %Y}"
    if kind == "since":
        return at(day, 0), as_of, f"since {_day_name(day)}"
    raise ValueError(f"unknown period {kind!r}")


class Asker:
    """Builds question records over facts, knowing each article's reprints (`members`)."""

    def __init__(self, r: random.Random, members: dict[str, list[tuple[str, datetime]]]) -> None:
        self.r = r
        self.members = members
        self.questions: list[dict[str, Any]] = []

    def _expected(self, fact: Fact, start: datetime, end: datetime) -> list[str]:
        return [aid for aid, when in self.members.get(fact.article, [(fact.article, fact.published)])
                if start <= when <= end]

    def _add(self, kind: str, text: str, as_of: datetime, fact: Fact | None, expected: list[str],
             storyline: str, **extra: Any) -> None:
        self.questions.append({
            "question": text, "as_of": as_of.strftime(ISO), "kind": kind, "storyline": storyline,
            "answerable": fact is not None, "answers": list(fact.answers) if fact else [],
            "evidence": fact.evidence if fact else "", "expect_article_ids": expected, **extra,
        })

    def _as_of(self, day: date, after: datetime) -> datetime:
        """An evening asking time on `day`, after `after`."""
        when = at(day, self.r.randint(19, 22), self.r.choice((0, 15, 30)))
        return max(when, after + timedelta(minutes=30)) if day == after.date() else when

    def windows(self, family: Family, facts: list[Fact], *, per_fact: int = 2) -> None:
        """Up to `per_fact` window questions per fact, each with exactly one fact in its period."""
        for fact in facts:
            p = fact.published
            kinds = list(family.periods)
            self.r.shuffle(kinds)
            made = 0
            for kind in kinds:
                if made >= per_fact:
                    break
                day = p.date()
                if kind == "this week":  # later that calendar week (`this_week_every_day` asks on the others)
                    sunday = day + timedelta(days=6 - day.weekday())
                    ask = day + timedelta(days=self.r.randint(0, (sunday - day).days))
                elif kind == "last week":
                    ask = day + timedelta(days=7 - day.weekday() + self.r.randint(0, 6))
                elif kind == "yesterday":
                    ask = day + timedelta(days=1)
                elif kind == "since":
                    ask = day + timedelta(days=self.r.randint(0, 5))
                    day = day - timedelta(days=self.r.randint(1, 6))
                else:
                    ask = day + timedelta(days=self.r.randint(0, 21))
                made += self._window(family, facts, fact, kind, self._as_of(ask, p), day)

    def _window(self, family: Family, facts: list[Fact], fact: Fact, kind: str, as_of: datetime, day: date) -> bool:
        """Adds the window question of `kind` asked at `as_of` when `fact` is the one fact in its period."""
        start, end, words = period(kind, as_of, day)
        end = min(end, as_of)
        if [f for f in facts if self._expected(f, start, end)] != [fact]:
            return False
        wording = family.since if kind == "since" and family.since else family.window
        self._add("window", wording.format(period=words), as_of, fact, self._expected(fact, start, end),
                  family.storyline, family=family.name, period=kind, weekday=f"{as_of:%A}",
                  window={"start": start.strftime(ISO), "end": end.strftime(ISO)})
        return True

    def this_week_every_day(self, family: Family, facts: list[Fact]) -> None:
        """"This week" asked on each of the seven days after each fact (every weekday once, a Friday and a
        Monday among them), where the fact is the family's one fact in the seven days up to then."""
        if "this week" not in family.periods:
            return
        for fact in facts:
            for later in range(1, 8):
                ask = fact.published.date() + timedelta(days=later)
                self._window(family, facts, fact, "this week", self._as_of(ask, fact.published), ask)

    def latest(self, family: Family, facts: list[Fact], *, extra: float = 0.5) -> None:
        """One "latest" question per fact (sometimes two), asked before the next fact appears."""
        ordered = sorted(facts, key=lambda f: f.published)
        if family.ask_before and ordered:
            first = ordered[0].published
            ask = first - timedelta(days=self.r.randint(2, 6))
            self._add("latest", self.r.choice(family.latest), at(ask.date(), 20), None, [], family.storyline,
                      family=family.name)
        for i, fact in enumerate(ordered):
            until = ordered[i + 1].published if i + 1 < len(ordered) else fact.published + timedelta(days=30)
            for _ in range(1 + (self.r.random() < extra)):
                span = max(1, int((until - fact.published).total_seconds() // 60) - 60)
                as_of = fact.published + timedelta(minutes=30 + self.r.randrange(span))
                as_of = as_of.replace(second=0, microsecond=0)
                before = ordered[i - 1].answers if i and family.changes else ()
                changed = {"changed_from": list(before)} if before and set(before) != set(fact.answers) else {}
                self._add("latest", self.r.choice(family.latest), as_of, fact,
                          self._expected(fact, fact.published, as_of), family.storyline, family=family.name, **changed)

    def fixed(self, kind: str, text: str, fact: Fact, storyline: str, *, days: int = 30) -> None:
        """A question whose answer does not depend on `as_of` (plain, topic, lookalike), asked some day after."""
        as_of = self._as_of(fact.published.date() + timedelta(days=self.r.randint(0, days)), fact.published)
        self._add(kind, text, as_of, fact, self._expected(fact, fact.published, as_of), storyline)


@dataclass
class Storyline:
    """What one storyline (or the filler) gives: articles, the facts in them, families, fixed questions."""

    name: str
    drafts: list[Draft] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    families: list[Family] = field(default_factory=list)
    fixed: list[tuple[str, str, Fact]] = field(default_factory=list)  # (kind, question, fact)

    def fact(self, family: str, made: Draft, evidence: str, *answers: str) -> Fact:
        """Record that `evidence` in `made` answers `family` with `answers` (each inside the evidence)."""
        bad = [a for a in answers if a not in evidence] + ([] if evidence in made.text else [evidence])
        if bad:
            raise AssertionError(f"{made.id}: {bad[0]!r} is not where it should be")
        found = Fact(family, made.id, made.published, evidence, answers)
        self.facts.append(found)
        return found

    def ask(self, kind: str, question: str, fact: Fact) -> None:
        """A question whose answer does not depend on when it is asked."""
        self.fixed.append((kind, question, fact))
