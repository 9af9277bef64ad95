"""The words of sentences as features and the key-term check read them: names, subjects, antecedents.

Shared by the segment format (which stores them per sentence) and the lexicon (which reads them back),
so neither imports the other for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from qa import text as tx

NAMEISH = re.compile(r"\b(?:[A-Z][\w'’-]+|\d[\d,.]*)")
MODALS = frozenset("will would can could may might shall should must".split())
# auxiliaries that stay beside the subject when a question is turned into a statement:
# "When was the tower built?" -> "the tower was built"; "What will the instructors do?" -> "the instructors will"
AUXILIARIES = MODALS | frozenset("is are was were has have had".split())
_VERBISH = frozenset("did do does said says became become began made took gave saw went came won".split())
# a sentence opening with one of these leans on the one before ("They ...", "The instructors ...")
_PRONOUNS = frozenset("he she it they his her its their them this these those such".split())
_DETERMINERS = frozenset("the this these those that such both".split())
PREFIX_MIN = 4  # shortest shared prefix for two words to count as variants (Niger/Nigerien)


@dataclass(frozen=True)
class Vocabulary:
    """The words of some articles, as the key-term check reads them (accents folded, possessives off)."""

    words: frozenset[str]
    stems: frozenset[str]
    by_shape: dict[tuple[str, int], list[str]]  # (first letter, length) -> words of 4+ letters

    @classmethod
    def of(cls, tokens: Iterable[str]) -> "Vocabulary":
        """From lower-case tokens (`qa.text.words`)."""
        raw = set(tokens)
        raw.update([tx.strip_possessive(w) for w in raw if w.endswith("'s")])
        raw.update([tx.fold(w) for w in raw if not w.isascii()])  # 'Céloron' is also found as 'Celoron'
        by_shape: dict[tuple[str, int], list[str]] = {}
        for w in raw:
            if len(w) >= 4:
                by_shape.setdefault((w[0], len(w)), []).append(w)
        return cls(frozenset(raw), frozenset(tx.stem(w) for w in raw), by_shape)

    @classmethod
    def merged(cls, words: Iterable[Iterable[str]], stems: Iterable[Iterable[str]]) -> "Vocabulary":
        """The union of vocabularies listed by `listed` (each word is processed alone, so the union is exact)."""
        raw = frozenset(w for ws in words for w in ws)
        by_shape: dict[tuple[str, int], list[str]] = {}
        for w in raw:
            if len(w) >= 4:
                by_shape.setdefault((w[0], len(w)), []).append(w)
        return cls(raw, frozenset(s for ss in stems for s in ss), by_shape)

    def listed(self) -> tuple[list[str], list[str]]:
        """Words and stems, sorted (what a segment stores)."""
        return sorted(self.words), sorted(self.stems)

    def knows(self, word: str) -> bool:
        """The word, its stem, its singular ('DVDs') or a word one edit away ('Hollwood', 5+ letters)."""
        if word in self.words or tx.stem(word) in self.stems:
            return True
        if len(word) > 2 and word.endswith("s") and word[:-1] in self.words:
            return True
        if len(word) < 5:
            return False
        return any(one_edit(word, other) for n in (len(word) - 1, len(word), len(word) + 1)
                   for other in self.by_shape.get((word[0], n), ()))


def antecedent_terms(words: tuple[str, ...], previous: str, previous_words: tuple[str, ...],
                previous_terms: frozenset[str]) -> frozenset[str]:
    """Terms of the previous sentence that this one's opening refers to (a crude coreference).

    "The instructors will ..." after "... 100 Russian military instructors ..." borrows the modifiers
    (100, russian, military); "He was ..." or "It was ..." borrows the previous sentence's first name
    (or, failing one, its opening words).
    """
    head = words[:3]
    if not head:
        return frozenset()
    if head[0] in _PRONOUNS and (head[0] not in _DETERMINERS or len(head) < 2):
        found = tx.names(previous)
        opening = found[0][2] if found else " ".join(previous.split()[:4])
        return frozenset(tx.terms(opening))
    if head[0] in _DETERMINERS:
        for w in head[1:3]:
            if w in tx.STOPWORDS or tx.stem(w) not in previous_terms:
                continue
            stems = [tx.stem(p) for p in previous_words]
            at = stems.index(tx.stem(w))
            modifiers = [p for p in previous_words[max(0, at - 3):at] if p not in tx.STOPWORDS]
            return frozenset(tx.stem(p) for p in modifiers) | {tx.stem(w)}
    return frozenset()


def subject_terms(words: tuple[str, ...]) -> frozenset[str]:
    """Terms of a sentence's opening up to its first verb-like word (a crude grammatical subject)."""
    opening: list[str] = []
    for w in words[:10]:
        if w in AUXILIARIES or w in _VERBISH or (len(w) > 4 and w.endswith("ed")):
            break
        opening.append(w)
    return frozenset(tx.stem(w) for w in opening if w not in tx.STOPWORDS)


def one_edit(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns `a` into `b`."""
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1])
    return a[i:] == b[i + 1:]
