"""A reproducible synthetic news archive, shaped like a real one: multi-paragraph articles of varied
length (median about 6,000 characters), a few 50,000-character live blogs of short timestamped
updates, datelines, quotes, abbreviations ("U.S.", "Gen.", "Jan."), numbers, and JSONL records
with the extra fields newsroom dumps carry. The text is nonsense but its shape is news's:
sentence lengths, line structure and punctuation are what splitting, encoding and storage cost.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Iterator

_PEOPLE = [
    "President Joe Biden", "Gen. Mark Milley", "Dr. Anthony Fauci", "Sen. Joe Manchin", "Rep. Nancy Pelosi",
    "Gov. Ron DeSantis", "Secretary of State Antony Blinken", "Mr. Zelensky", "Prof. Maria Lopez",
    "Chief Justice John Roberts", "Mayor Eric Adams", "Lt. Col. Sarah Kim", "Ms. Hannah Okafor",
    "the company's chief executive, Tim Cook", "a spokesperson for the Pentagon", "police Capt. James Rivera",
]
_PLACES = [
    "the U.S.", "Washington, D.C.", "Kyiv", "St. Louis", "the U.K.", "Niamey", "Agadez", "Ft. Worth", "the E.U.",
    "Mariupol", "Beijing", "New York", "Los Angeles", "Texas", "Florida", "Brussels", "Taipei", "Johannesburg",
]
_VERBS = [
    "said", "told reporters", "announced", "warned", "confirmed", "wrote on Twitter", "said in a statement",
    "told CNN", "argued", "acknowledged", "insisted", "said on Monday", "told USA TODAY",
]
_CLAIMS = [
    "talks would resume on Jan. 12", "about 1,100 troops remain stationed there", "the plan would cost $3.2 billion",
    "the vote was delayed until Feb. 3, 2022", "inflation rose 7.5% in the year to December",
    "no decision had been made", "at least 40 people were killed in the attack", "shares fell 4.1% on Tuesday",
    "the bill would pass the Senate by the end of the month", "the investigation was still under way",
    "the storm had knocked out power to 250,000 homes", "the new season would premiere in the fall",
    "the ceasefire had largely held overnight", "officials had underestimated the cost of the program",
    "prices at the pump averaged $4.33 a gallon", "the team had signed a two-year contract worth $18 million",
]
_SUBJECTS = [
    "The U.S. military", "Officials in the region", "The Federal Reserve", "Investigators", "Local residents",
    "The company", "Health authorities", "Lawmakers on both sides", "The state's attorney general",
    "Analysts at Goldman Sachs", "Emergency crews", "The network", "Ukrainian forces", "Protesters",
]
_ACTIONS = [
    "have struggled to keep up with demand", "moved quickly to contain the damage",
    "expect the numbers to rise in the coming weeks", "declined to comment on the report",
    "were preparing for a long legal fight", "have repeatedly denied the allegations",
    "said the decision came after months of negotiations", "plan to review the policy next year",
    "were not immediately available for comment", "have called for an independent inquiry",
]
_TAILS = [
    "according to a statement released late on Monday", "the Associated Press reported",
    "citing two people familiar with the matter", "in an interview with NPR",
    "at a news conference in the capital", "according to data from the U.S. Census Bureau",
    "a week after the announcement", "despite growing pressure from within the party",
]
_SECTIONS = ["politics", "world", "business", "health", "sport", "entertainment", "tech", "us"]
_SOURCES = ["CNN", "USA TODAY"]


def _sentence(r: random.Random) -> str:
    k = r.random()
    if k < 0.25:
        return f"{r.choice(_PEOPLE)} {r.choice(_VERBS)} that {r.choice(_CLAIMS)}."
    if k < 0.4:
        return f"\u201cWe are not going to stop until {r.choice(_CLAIMS)},\u201d {r.choice(_PEOPLE)} {r.choice(_VERBS)}."
    if k < 0.47:
        return f"Will {r.choice(_PLACES)} be next?"
    if k < 0.75:
        return f"{r.choice(_SUBJECTS)} in {r.choice(_PLACES)} {r.choice(_ACTIONS)}, {r.choice(_TAILS)}."
    if k < 0.8:
        return f"{r.choice(_SUBJECTS)} {r.choice(_ACTIONS)} after {r.choice(_CLAIMS).replace('would', 'might')}."
    if k < 0.95:
        return (f"{r.choice(_SUBJECTS)} in {r.choice(_PLACES)} {r.choice(_ACTIONS)} on Wednesday, {r.choice(_TAILS)}, "
                f"while {r.choice(_PEOPLE)} {r.choice(_VERBS)} that {r.choice(_CLAIMS)} and that {r.choice(_CLAIMS)}.")
    return f"Read more: https://www.example.com/{r.choice(_SECTIONS)}/2022/{r.randint(1, 12):02d}/story-{r.randint(1, 9999)}"


def _paragraph(r: random.Random) -> str:
    return " ".join(_sentence(r) for _ in range(r.choice((1, 1, 2, 2, 2, 3, 3, 4))))


def article_text(r: random.Random, chars: int) -> str:
    """A news story of about `chars` characters: a dateline, then paragraphs a line each."""
    lines = [f"{r.choice(['WASHINGTON', 'KYIV, Ukraine', 'NEW YORK', 'NIAMEY, Niger', 'LONDON'])} \u2014 {_sentence(r)}"]
    size = len(lines[0])
    while size < chars:
        lines.append(_paragraph(r))
        size += len(lines[-1]) + 1
    return "\n".join(lines)


def live_blog_text(r: random.Random, chars: int = 50_000) -> str:
    """A live blog of about `chars` characters: timestamp lines and short updates."""
    lines: list[str] = []
    size = 0
    while size < chars:
        if r.random() < 0.3:
            line = f"{r.randint(1, 12)}:{r.randint(0, 59):02d} p.m. ET, March {r.randint(1, 28)}, 2022"
        else:
            line = " ".join(_sentence(r) for _ in range(r.randint(1, 3)))
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def records(n: int, *, seed: int = 7, live_blog_share: float = 0.01) -> Iterator[dict[str, Any]]:
    """`n` JSONL-ready article records with extra fields, reproducible from `seed`."""
    r = random.Random(seed)
    for i in range(n):
        blog = r.random() < live_blog_share
        chars = 50_000 if blog else int(min(40_000, max(600, r.lognormvariate(8.7, 0.8))))
        text = live_blog_text(r, chars) if blog else article_text(r, chars)
        source = r.choice(_SOURCES)
        section = r.choice(_SECTIONS)
        yield {
            "id": f"{source.split()[0].lower()}-{seed}-{i:06d}",
            "url": f"https://www.example.com/2022/{r.randint(1, 12):02d}/{r.randint(1, 28):02d}/{section}/story-{i}",
            "title": ("Live updates: " if blog else "") + _sentence(r).rstrip(".?"),
            "text": text,
            "source": source,
            "published_at": f"2022-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:00:00Z",
            "authors": [f"Reporter {r.randint(1, 300)}"],
            "section": section,
            "tags": r.sample(_SECTIONS, 2),
            "word_count": len(text.split()),
        }


def write_jsonl(path: str | Path, n: int, *, seed: int = 7, live_blog_share: float = 0.01) -> Path:
    """Write `n` records to a JSONL file; returns its path."""
    path = Path(path)
    with path.open("w", encoding="utf-8") as out:
        for record in records(n, seed=seed, live_blog_share=live_blog_share):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
