"""Reader examples from SQuAD-format training files (SQuAD v1.1 train with SQuAD 2.0's unanswerable questions).

Every paragraph is split into sentences the way articles are (`index.sentences`). Per answerable question:
the sentence holding its answer (a positive, with the answer's span), a near miss from the same paragraph
(the non-answer sentence sharing the most IDF-weighted words with the question) and one from another paragraph
of the same article, as retrieval returns them when the gold paragraph is missing. Per unanswerable question
(written to look answerable from its paragraph): the paragraph's sentence closest to it, as a negative.
Whole titles are kept apart for calibrating the decision (`split_titles`): no example comes from them.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from index.sentences import split_sentences

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an the of in on at to for from by with and or but is are was were be been being what which who whom whose "
    "when where why how did do does done has have had it its this that these those as into than then there their "
    "they he she his her him them we you i not no yes can could would should will shall may might must about "
    "after before during over under between also such other many much some any most more one two".split())
CALIBRATION_SHARE = 0.05  # of the titles (whole titles), never trained on: the decision is fitted on them
SPLIT_SEED = 7


@dataclass(frozen=True)
class Example:
    """One (question, sentence with neighbours) pair; spans are gold answers inside the sentence."""

    question: str
    item: tuple[str, str, str]
    label: int
    spans: tuple[tuple[int, int], ...]
    kind: str  # positive, paragraph_miss, article_miss, unanswerable


@dataclass(frozen=True)
class Paragraph:
    """A paragraph cut into sentences: texts and (start, end) offsets."""

    title: str
    index: int
    texts: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    qas: tuple[dict[str, Any], ...]

    def item(self, row: int) -> tuple[str, str, str]:
        """(sentence, previous, next)."""
        before = self.texts[row - 1] if row > 0 else ""
        after = self.texts[row + 1] if row + 1 < len(self.texts) else ""
        return self.texts[row], before, after

    def row_of(self, start: int, end: int) -> int | None:
        """The sentence holding the whole span [start, end), if one does."""
        for r, (s, e) in enumerate(self.spans):
            if s <= start and end <= e:
                return r
        return None


def words(text: str) -> set[str]:
    """Lower-case content words."""
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def read_paragraphs(path: str | Path) -> Iterator[Paragraph]:
    """The paragraphs of a SQuAD-format file, split into sentences."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for entry in data["data"]:
        for i, para in enumerate(entry["paragraphs"]):
            context = str(para["context"])
            sentences = split_sentences("p", context)
            yield Paragraph(str(entry["title"]), i, tuple(s.text for s in sentences),
                            tuple((s.start, s.end) for s in sentences), tuple(para["qas"]))


def split_titles(titles: list[str], share: float = CALIBRATION_SHARE, seed: int = SPLIT_SEED) -> tuple[set[str], set[str]]:
    """(training titles, calibration titles)."""
    order = sorted(set(titles))
    random.Random(seed).shuffle(order)
    n = max(1, round(share * len(order)))
    return set(order[n:]), set(order[:n])


def _best(question: set[str], candidates: list[tuple[set[str], Any]], idf: dict[str, float]) -> Any:
    """The candidate sharing the most IDF weight with the question (None when none shares a word)."""
    best, best_score = None, 0.0
    for bag, value in candidates:
        score = sum(idf.get(w, 0.0) for w in question & bag)
        if score > best_score:
            best, best_score = value, score
    return best


def holds_answer(text: str, answers: list[str]) -> bool:
    """Whether the text holds one of the answers (case and spacing aside)."""
    low = " ".join(text.lower().split())
    return any(" ".join(a.lower().split()) in low for a in answers if a.strip())


def title_examples(paragraphs: list[Paragraph], rng: random.Random, *, paragraph_miss: float = 0.5,
                   article_miss: float = 0.5) -> list[Example]:
    """The examples of one title's paragraphs."""
    bags = [[words(t) for t in p.texts] for p in paragraphs]
    df = Counter(w for para in bags for bag in para for w in bag)
    total = sum(len(p) for p in bags) or 1
    idf = {w: math.log(1 + total / n) for w, n in df.items()}
    out: list[Example] = []
    for pi, para in enumerate(paragraphs):
        for qa in para.qas:
            question = str(qa["question"]).strip()
            q = words(question)
            if qa.get("is_impossible"):
                row = _best(q, [(bag, r) for r, bag in enumerate(bags[pi])], idf)
                if row is not None:
                    out.append(Example(question, para.item(row), 0, (), "unanswerable"))
                continue
            answers = [str(a["text"]) for a in qa.get("answers", [])]
            if not answers:
                continue
            a = qa["answers"][0]
            start, end = int(a["answer_start"]), int(a["answer_start"]) + len(str(a["text"]))
            row = para.row_of(start, end)
            if row is None:
                continue  # the answer crosses a sentence boundary: no sentence holds it
            offset = para.spans[row][0]
            out.append(Example(question, para.item(row), 1, ((start - offset, end - offset),), "positive"))
            if rng.random() < paragraph_miss:
                others = [(bag, r) for r, bag in enumerate(bags[pi]) if r != row and not holds_answer(para.texts[r], answers)]
                miss = _best(q, others, idf)
                if miss is not None:
                    out.append(Example(question, para.item(miss), 0, (), "paragraph_miss"))
            if rng.random() < article_miss:
                elsewhere: list[tuple[set[str], Any]] = [
                    (bag, (pj, r)) for pj in range(len(paragraphs)) if pj != pi
                    for r, bag in enumerate(bags[pj]) if not holds_answer(paragraphs[pj].texts[r], answers)]
                found = _best(q, elsewhere, idf)
                if found is not None:
                    pj, r = found
                    out.append(Example(question, paragraphs[pj].item(r), 0, (), "article_miss"))
    return out


def build_examples(path: str | Path, *, seed: int = 0, paragraph_miss: float = 0.5,
                   article_miss: float = 0.5) -> tuple[list[Example], set[str]]:
    """(training examples, calibration titles) of a SQuAD-format file."""
    by_title: dict[str, list[Paragraph]] = {}
    for para in read_paragraphs(path):
        by_title.setdefault(para.title, []).append(para)
    train, calibration = split_titles(list(by_title))
    rng = random.Random(seed)
    examples: list[Example] = []
    for title in sorted(train):
        examples += title_examples(by_title[title], rng, paragraph_miss=paragraph_miss, article_miss=article_miss)
    return examples, calibration


def titles_file(path: str | Path, titles: set[str], out: str | Path) -> Path:
    """A SQuAD-format file of these titles' answerable questions, to dump retrieval over (the calibration titles;
    the titles mined for near misses)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    kept = []
    for entry in data["data"]:
        if entry["title"] not in titles:
            continue
        paragraphs = [{"context": p["context"], "qas": [q for q in p["qas"] if not q.get("is_impossible")]}
                      for p in entry["paragraphs"]]
        kept.append({"title": entry["title"], "paragraphs": paragraphs})
    target = Path(out)
    target.write_text(json.dumps({"version": "calibration", "data": kept}), encoding="utf-8")
    return target
