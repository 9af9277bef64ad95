"""Generated news for the story-cluster tests: long articles, syndicated copies with small edits, and
distinct stories about the same event (the same names and numbers, other words).

Words come from a Zipf-weighted vocabulary: real function words ("the", "of", "said") are most of the
text, as in English, so common short phrases recur across unrelated articles the way they do in news.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_FUNCTION = (
    "the of and to a in that is for on it with as was at by he she they from this be are have has had not but "
    "or an were which their its who been would will more after also about than into over two new one last year "
    "said says told could other some when what there all up out only first his her our them we most people "
    "state officials government city police week since before while under against during between"
).split()
_SYLLABLES = ("ka ri to me sa lo vin dor el an ta mo ren bel cor dis fa ga hu in jo lu mar nel "
              "os pra qui ros sel tur ul ver wen yo zan ber cal den fir gol har ist kel lam").split()
_SOURCES = ("Associated Press", "USA Today", "Yahoo News", "The Daily Ledger", "Metro Herald", "Valley Times",
            "Coastal Post", "Evening Star", "Northern Courier", "Capital Gazette")
_DATELINES = ("WASHINGTON (AP) —", "NEW YORK (AP) —", "LONDON (Reuters) -", "CHICAGO —", "PARIS (AFP) —",
              "NAIROBI, Kenya (AP) —", "TOKYO —")
_FIRST = ("Maria", "James", "Amina", "Kenji", "Olga", "Samuel", "Priya", "Lucas", "Fatima", "Noah", "Elena", "Omar")
_LAST = ("Alvarez", "Okafor", "Tanaka", "Novak", "Haddad", "Fischer", "Moreau", "Kowalski", "Reyes", "Lindqvist")
_PLACES = ("Marlow County", "Port Esker", "Lake Varna", "the Tessin Valley", "Brightwater", "New Halden")


def _vocabulary(r: random.Random, n: int = 4000) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(r.choice(_SYLLABLES) for _ in range(r.choice((2, 2, 3, 3, 4)))))
    return sorted(words)


@dataclass
class Event:
    """The facts two reporters share: names, a place, numbers."""

    people: list[str]
    place: str
    numbers: list[str]
    day: str


class Newsroom:
    """A reproducible source of articles, copies and same-event stories."""

    def __init__(self, seed: int = 7) -> None:
        self.r = random.Random(seed)
        self.words = _function_weighted(_vocabulary(self.r))
        self.weights = [1.0 / (i + 1) ** 0.9 for i in range(len(self.words))]

    def _words(self, n: int) -> list[str]:
        return self.r.choices(self.words, weights=self.weights, k=n)

    def event(self) -> Event:
        """Names, a place and numbers a story is about."""
        r = self.r
        people = [f"{r.choice(_FIRST)} {r.choice(_LAST)}" for _ in range(r.randint(2, 3))]
        numbers = [f"{r.randint(2, 990):,}", f"${r.randint(1, 900)} million", f"{r.randint(3, 60)}%"]
        return Event(people, r.choice(_PLACES), numbers, r.choice(("Monday", "Tuesday", "Friday", "Sunday")))

    def sentence(self, event: Event) -> str:
        """A sentence of 8-30 words with one or two of the event's facts in it."""
        words = self._words(self.r.randint(8, 30))
        facts = [*event.people, event.place, *event.numbers, event.day]
        for _ in range(self.r.choice((1, 1, 2))):
            words.insert(self.r.randrange(len(words) + 1), self.r.choice(facts))
        text = " ".join(words)
        if self.r.random() < 0.2:
            text = f"\u201c{text},\u201d {self.r.choice(event.people)} said"
        return text[0].upper() + text[1:] + "."

    def story(self, event: Event, n_sentences: int) -> str:
        """A multi-paragraph text of `n_sentences` sentences about `event`."""
        sentences = [self.sentence(event) for _ in range(n_sentences)]
        return wrap(sentences, self.r)

    def article(self, i: int, *, sentences: tuple[int, int] = (8, 40)) -> dict:
        """One original article as a JSONL record."""
        event = self.event()
        n = self.r.randint(*sentences)
        return {"id": f"a{i}", "title": f"{event.people[0]} in {event.place}", "text": self.story(event, n),
                "source": self.r.choice(_SOURCES), "published_at": f"2024-03-{self.r.randint(1, 28):02d}T10:00:00Z",
                "event": event}

    def copy(self, original: dict, tag: str) -> dict:
        """A syndicated copy: a new headline, a dateline, a credit line, a few words changed, a sentence
        dropped, the paragraphs wrapped anew (each edit with some chance; at least two of them)."""
        r = self.r
        sentences = split(original["text"])
        edits = r.sample(("dateline", "credit", "words", "drop", "wrap", "headline"), r.randint(2, 6))
        if "drop" in edits and len(sentences) > 3:
            del sentences[r.randrange(1, len(sentences))]
        if "words" in edits:
            for _ in range(r.randint(2, 5)):
                k = r.randrange(len(sentences))
                words = sentences[k].split()
                words[r.randrange(len(words))] = r.choice(self.words[:300])
                sentences[k] = " ".join(words)
        if "credit" in edits:
            sentences.append(f"Staff writer {r.choice(_FIRST)} {r.choice(_LAST)} contributed to this report.")
        if "dateline" in edits:
            sentences[0] = f"{r.choice(_DATELINES)} {sentences[0]}"
        text = wrap(sentences, r) if "wrap" in edits else "\n\n".join(
            " ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))
        title = f"{r.choice(('Report:', 'Update:', 'Watch:'))} {original['title']}" if "headline" in edits \
            else original["title"]
        day = min(28, int(original["published_at"][8:10]) + r.randint(0, 2))
        return {"id": f"{original['id']}-{tag}", "title": title, "text": text,
                "source": r.choice([s for s in _SOURCES if s != original["source"]]),
                "published_at": f"2024-03-{day:02d}T{r.randint(11, 23)}:00:00Z"}

    def rival(self, original: dict, tag: str) -> dict:
        """Another reporter's story of the same event: its names and numbers, other words, and one to three
        of the original's sentences word for word (the statement both quote)."""
        event: Event = original["event"]
        theirs = split(original["text"])
        sentences = split(self.story(event, max(8, len(theirs) + self.r.randint(-3, 3))))
        for quoted in self.r.sample(theirs, self.r.randint(1, 3)):
            sentences.insert(self.r.randrange(len(sentences) + 1), quoted)
        return {"id": f"{original['id']}-{tag}", "title": f"{event.place}: {event.people[-1]} speaks",
                "text": wrap(sentences, self.r), "source": self.r.choice(_SOURCES),
                "published_at": original["published_at"]}


def _function_weighted(vocabulary: list[str]) -> list[str]:
    """Function words first (the most frequent under Zipf weights), then the rest of the vocabulary."""
    return [*_FUNCTION, *vocabulary]


def wrap(sentences: list[str], r: random.Random) -> str:
    """Sentences into paragraphs of 1-4, separated by blank lines."""
    paragraphs, i = [], 0
    while i < len(sentences):
        k = r.randint(1, 4)
        paragraphs.append(" ".join(sentences[i : i + k]))
        i += k
    return "\n\n".join(paragraphs)


def split(text: str) -> list[str]:
    """The generator's sentences back (they end in '.' and never hold one inside)."""
    flat = " ".join(text.split())
    return [s.strip() + "." for s in flat.split(".") if s.strip()]


def record(item: dict) -> dict:
    """A JSONL-ready record (without the generator's own fields)."""
    return {k: v for k, v in item.items() if k != "event"}
