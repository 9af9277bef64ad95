"""Questions about the archive's own subjects on topics no article covers: they should abstain.

"What is the latest on the Port of Calder ferry service?" names a subject the archive follows week after
week and a topic whose words may well appear in other articles, but no article holds them together, so
nothing answers it. Digest, yes/no and span wordings alike: a reader that never abstains on a digest, or
that abstains on nothing the archive's subjects are named in, fails here.
"""

from __future__ import annotations

import random
import re
from datetime import datetime
from typing import Any

_CIVIC = ("bridge closure", "school board election", "airport expansion", "hospital merger", "ferry service",
          "film festival", "recycling plant", "subway line", "casino license", "curfew", "marathon", "zoo")
TOPICS = {  # subject -> topics it could plausibly have
    "Millbrook": _CIVIC, "Harlow": _CIVIC, "Port of Calder": ("ferry service", "cruise terminal", "dredging project",
                                                                "airport expansion", "film festival", "curfew"),
    "Millbrook City Council": ("curfew", "casino license", "zoo", "subway line", "recycling plant", "term limits"),
    "Millbrook Mariners": ("stadium naming rights", "ticket prices", "coach", "youth academy", "mascot"),
    "Halvorsen Robotics": ("stock split", "union election", "factory in Mexico", "data breach", "recall"),
    "Storm Ada": ("relief concert", "insurance claims", "school closures", "evacuation of Harlow"),
}
WORDINGS = (("digest", "What is the latest on the {subject} {topic}?"),
            ("digest", "What is the status of the {subject} {topic}?"),
            ("digest", "What happened with the {subject} {topic}?"),
            ("yes/no", "Is the {subject} {topic} going ahead?"),
            ("yes/no", "Has the {subject} {topic} been announced?"),
            ("span", "When was the {subject} {topic} announced?"),
            ("span", "How much will the {subject} {topic} cost?"))
_WORD = re.compile(r"[a-z0-9]+")


def _forms(text: str) -> set[str]:
    """Lower-case words of a text, a plural 's' taken off ("prices" and "price" are one)."""
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _WORD.findall(text.lower())}


def absent_questions(r: random.Random, records: list[dict[str, Any]], as_of: datetime, *,
                     n: int = 30) -> list[dict[str, Any]]:
    """Up to `n` questions (kind "absent", unanswerable) whose subject and topic no single article holds."""
    held = [_forms(f"{rec['title']} {rec['text']}") for rec in records]  # one article must hold them all
    pairs = [(subject, topic) for subject, topics in TOPICS.items() for topic in topics]
    r.shuffle(pairs)
    out: list[dict[str, Any]] = []
    for subject, topic in pairs:
        if len(out) >= n:
            break
        needed = _forms(f"{subject} {topic}")
        if any(needed <= words for words in held):
            continue  # some article holds them all: it might answer
        form, wording = r.choice(WORDINGS)
        out.append({"question": wording.format(subject=subject, topic=topic), "as_of": as_of.strftime(
            "%Y-%m-%dT%H:%M:%SZ"), "kind": "absent", "form": form, "storyline": "", "answerable": False,
            "answers": [], "evidence": "", "expect_article_ids": []})
    return out
