"""Syndication: a wire original reprinted by other outlets with the small edits real reprints carry
(another headline, an "(AP)" dateline, a trailing paragraph, a few words changed, a sentence dropped),
the same day or a day later. Sentences questions quote are never edited."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Callable

from lab.dated_text import Draft, person, town

WIRE = "Associated Press"
REPRINTERS = ["USA Today", "Yahoo News", "The Seattle Times", "ABC News", "Boston Herald", "Star Tribune",
              "SFGATE", "Houston Chronicle", "The Denver Post", "MSN"]
_SWAPS = [(r"\babout (?=\d)", "roughly "), (r"\bmore than (?=\d)", "over "), (r"\bofficials\b", "authorities"),
          (r"\bbegan\b", "started"), (r"\bresidents\b", "locals"), (r"\bbecause of\b", "due to"),
          (r"\bsaid on (?=[A-Z])", "said "), (r" percent\b", "%"), (r"\bnearly\b", "almost"),
          (r"\btold reporters\b", "said"), (r"\bpeople\b", "residents"), (r"\bSeveral\b", "A number of"),
          (r"\bon social media\b", "online"), (r"\bwarned\b", "cautioned"), (r"\bheavily\b", "a lot")]
_TITLE_SWAPS = [(r"\brises\b", "climbs"), (r"\bnames\b", "taps"), (r"\bto cut\b", "will cut"),
                (r"\bposts\b", "reports"), (r"\bclimbs\b", "rises"), (r"\bslams\b", "batters")]
_TITLE_TAILS = [", officials say", ": What we know", " | {source}", " - {source}", ", AP reports"]
_TRAILERS = [
    "Associated Press writer {who} in {where} contributed to this report.",
    "Copyright {year} The Associated Press. All rights reserved. This material may not be published, broadcast, "
    "rewritten or redistributed without permission.",
    "This story has been updated with additional details.",
    "Follow {source} for more coverage of this story.",
    "{source} staff contributed to this report.",
]
_DATELINE = re.compile(r"^([A-Z][A-Z .,'-]+(?:, [A-Z][A-Za-z. ]+)?) \u2014 ")
Ids = Callable[[str, datetime], str]


def _swap_words(r: random.Random, paras: list[list[str]], keep: frozenset[str], n: int) -> None:
    """Change up to `n` words or phrases in sentences no question quotes (never the lead)."""
    spots = [(i, j) for i, p in enumerate(paras) for j, s in enumerate(p) if i and s not in keep]
    r.shuffle(spots)
    done = 0
    for i, j in spots:
        sentence = paras[i][j]
        for old, new in r.sample(_SWAPS, len(_SWAPS)):
            changed = re.sub(old, new, sentence, count=1)
            if changed != sentence:
                paras[i][j] = changed
                done += 1
                break
        if done >= n:
            return


def _drop_sentence(r: random.Random, paras: list[list[str]], keep: frozenset[str]) -> None:
    """Drop one sentence no question quotes (not the lead); an emptied paragraph goes too."""
    spots = [(i, j) for i, p in enumerate(paras) for j, s in enumerate(p) if i and s not in keep]
    if spots:
        i, j = r.choice(spots)
        del paras[i][j]
        if not paras[i]:
            del paras[i]


def _dateline(paras: list[list[str]]) -> None:
    """Mark the dateline as the wire's: "CITY, State (AP) \u2014 ", or prefix "(AP) \u2014 "."""
    lead = paras[0][0]
    found = _DATELINE.match(lead)
    paras[0][0] = f"{found.group(1)} (AP) \u2014 {lead[found.end():]}" if found else f"(AP) \u2014 {lead}"


def reprint(r: random.Random, original: Draft, source: str, published: datetime, new_id: str) -> Draft:
    """One reprint of `original` by `source`: another headline and two to four small edits."""
    paras = [list(p) for p in original.paragraphs]
    keep = original.protected
    edits = r.sample(["dateline", "trailer", "words", "drop", "drop2"], r.randint(2, 4))
    if "dateline" in edits:
        _dateline(paras)
    if "words" in edits:
        _swap_words(r, paras, keep, r.randint(1, 4))
    for name in ("drop", "drop2"):
        if name in edits:
            _drop_sentence(r, paras, keep)
    if "trailer" in edits:
        where = town(r)[0]
        paras.append([r.choice(_TRAILERS).format(who=person(r), where=where, source=source, year=published.year)])
    title = original.title + r.choice(_TITLE_TAILS).format(source=source)
    if r.random() < 0.5:
        for old, new in _TITLE_SWAPS:
            if re.search(old, original.title):
                title = re.sub(old, new, original.title, count=1)
                break
    return replace(original, id=new_id, title=title, source=source, published=published,
                   paragraphs=tuple(tuple(p) for p in paras), original=False)


def syndicate(r: random.Random, original: Draft, ids: Ids, *, copies: int, same_day: bool) -> list[Draft]:
    """`copies` reprints by different outlets, published hours later (the same day when `same_day`)."""
    out = []
    for source in r.sample(REPRINTERS, copies):
        if same_day:
            room = max(0, 23 - original.published.hour)
            when = original.published + timedelta(hours=r.randint(0, room), minutes=r.choice((5, 20, 40)))
            when = min(when, original.published.replace(hour=23, minute=50))
        else:
            when = original.published + timedelta(hours=r.randint(1, 30))
        out.append(reprint(r, original, source, when, ids(source, when)))
    return out
