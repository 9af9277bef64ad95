"""A dated synthetic news archive whose right answers depend on when the question is asked.

The same entities recur across weeks with different facts: the Millbrook City Council votes on
something else every other Tuesday, the Millbrook Mariners play every Saturday, Halvorsen Robotics
reports two quarters and changes chief executive, the Port of Calder strike moves from a vote to a
walkout to a deal, and Storm Ada's death toll rises day by day (a live blog, then a wire story a
day). Wire stories are reprinted by 2-5 outlets with small edits; some events are covered by two
reporters in distinct stories. Filler news fills the span, and scales the archive to thousands.

Questions carry `as_of` (the asking date: later articles don't count) and a kind: "window" (names a
period), "latest" (the newest answer), "plain" (no time), "topic" (a date is the subject),
"lookalike" (words that look like dates: "May I", "march on", "Sunday Herald").

    python -m lab.dated_archive OUT_DIR [--seed N] [--articles N] [--weeks N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from lab.dated_absent import absent_questions
from lab.dated_filler import Filler
from lab.dated_questions import Asker, Storyline, at
from lab.dated_storm import storm
from lab.dated_storylines import company, council, strike, team
from lab.dated_text import Draft
from lab.dated_wire import syndicate

START = date(2024, 3, 4)
FILLER_ARTICLES = 160
FILLER_QUESTIONS = {"plain": 16, "topic": 8, "lookalike": 10}  # at most, about filler facts, first told first
_WIRE_SHARE, _PAIR_SHARE, _FACT_SHARE = 0.12, 0.05, 0.6


@dataclass(frozen=True)
class DatedArchive:
    """Articles (JSONL records), questions, and the syndication ground truth."""

    articles: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    stories: dict[str, str]  # reprint id -> its wire original's id
    distinct: list[tuple[str, str]]  # two reporters' stories on one event: never one story

    def write(self, folder: str | Path) -> Path:
        """Write articles.jsonl, questions.jsonl and stories.json (copies, distinct pairs) into `folder`."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for name, rows in (("articles.jsonl", self.articles), ("questions.jsonl", self.questions)):
            with (out / name).open("w", encoding="utf-8") as f:
                f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        ground = {"copies": self.stories, "distinct": [list(p) for p in self.distinct]}
        (out / "stories.json").write_text(json.dumps(ground, indent=1) + "\n", encoding="utf-8")
        return out


def _id_maker() -> Callable[[str, datetime], str]:
    """Article ids: the source, the day, a running number."""
    counter = itertools.count(1)

    def ids(source: str, when: datetime) -> str:
        return f"{re.sub(r'[^a-z]+', '', source.lower())[:12]}-{when:%Y%m%d}-{next(counter):05d}"

    return ids


def generate(*, seed: int = 0, weeks: int = 12, start: date = START, filler_articles: int = FILLER_ARTICLES,
             articles: int | None = None) -> DatedArchive:
    """The archive for `seed`: storylines over `weeks` weeks from `start`, their reprints, and filler.

    Args:
        filler_articles: filler articles, reprints and distinct pairs included.
        articles: instead, the total wanted; the filler makes up what the storylines leave.
    """
    if not 8 <= weeks <= 16:
        raise ValueError(f"weeks must be from 8 to 16 (what the storylines are written for), not {weeks}")
    ids = _id_maker()
    told: list[Storyline] = [make(random.Random(f"{seed}:{make.__name__}"), start, weeks, ids)
                             for make in (council, team, company, strike, storm)]
    r = random.Random(f"{seed}:wire")
    drafts: list[Draft] = []
    copies: dict[str, list[Draft]] = {}
    for line in told:
        for made in line.drafts:
            drafts.append(made)
            if made.original:
                copies[made.id] = syndicate(r, made, ids, copies=r.randint(2, 5), same_day=True)
                drafts += copies[made.id]
    budget = filler_articles if articles is None else articles - len(drafts)
    if budget < 0:
        raise ValueError(f"the storylines alone have {len(drafts)} articles; ask for at least that many")
    filler = Filler(random.Random(f"{seed}:filler"), start, weeks * 7, ids)
    distinct: list[tuple[str, str]] = []
    made_filler = 0
    while made_filler < budget:
        if budget - made_filler >= 2 and filler.r.random() < _PAIR_SHARE:
            a, b = filler.pair()
            distinct.append((a.id, b.id))
            drafts += [a, b]
            made_filler += 2
            continue
        wire = filler.r.random() < _WIRE_SHARE and budget - made_filler >= 3  # room for two reprints
        made = filler.article(wire=wire, with_fact=filler.r.random() < _FACT_SHARE)
        drafts.append(made)
        made_filler += 1
        if wire:
            room = min(r.randint(2, 5), budget - made_filler)
            copies[made.id] = syndicate(r, made, ids, copies=room, same_day=False)
            drafts += copies[made.id]
            made_filler += room
    members = {d.id: [(d.id, d.published)] + [(c.id, c.published) for c in copies.get(d.id, [])] for d in drafts}
    asker = Asker(random.Random(f"{seed}:questions"), members)
    every_day = Asker(random.Random(f"{seed}:weekdays"), members)  # apart, so the other questions stay as they were
    for line in told:
        for family in line.families:
            facts = [f for f in line.facts if f.family == family.name]
            asker.windows(family, facts)
            asker.latest(family, facts)
            every_day.this_week_every_day(family, facts)
        for kind, question, fact in line.fixed:
            asker.fixed(kind, question, fact, line.name)
    quota = dict(FILLER_QUESTIONS)
    for kind, question, fact in filler.told.fixed:
        if quota[kind] > 0:
            quota[kind] -= 1
            asker.fixed(kind, question, fact, "filler")
    drafts.sort(key=lambda d: (d.published, d.id))
    records = [d.record() for d in drafts]
    end = at(start + timedelta(days=weeks * 7), 20)  # every article out by then
    asked = asker.questions + absent_questions(random.Random(f"{seed}:absent"), records, end) + every_day.questions
    questions = [{"id": f"dq-{i:04d}", **q} for i, q in enumerate(asked, start=1)]
    stories = {c.id: original for original, made in copies.items() for c in made}
    return DatedArchive(records, questions, stories, distinct)


def main(argv: list[str] | None = None) -> None:
    """`python -m lab.dated_archive OUT_DIR`: write the archive and say what is in it."""
    parser = argparse.ArgumentParser(prog="python -m lab dated-archive", description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--articles", type=int, default=None, help="total articles (default: "
                        f"the storylines and {FILLER_ARTICLES} filler articles)")
    args = parser.parse_args(argv)
    try:
        archive = generate(seed=args.seed, weeks=args.weeks, articles=args.articles)
    except ValueError as exc:
        parser.error(str(exc))
    out = archive.write(args.out_dir)
    kinds: dict[str, int] = {}
    for q in archive.questions:
        kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
    print(f"{out}: {len(archive.articles)} articles ({len(archive.stories)} reprints, {len(archive.distinct)} "
          f"distinct pairs), {len(archive.questions)} questions ({', '.join(f'{k} {n}' for k, n in kinds.items())})")


if __name__ == "__main__":
    main()
