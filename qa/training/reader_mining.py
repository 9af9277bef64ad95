"""The engine's own near misses over training titles, as reader examples (how reader v5 was trained).

`dump_retrieval` indexes `TITLES` training titles (never a calibration title) and asks every answerable question
as `QA.ask` does, normally and with its gold paragraph excluded. Per question: the sentence holding its answer
(a positive, with the answer's spans), the first `GOLD_OUT` sentences ranked with the gold paragraph excluded,
and the first `NORMAL` of the normal run, that hold no gold answer (negatives). These are the sentences the
decision reads when the articles do not say: on-topic, sharing the question's words, ranked first by the engine.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from qa.training.reader_corpus import Example, holds_answer, titles_file
from qa.training.reader_data import dump_retrieval, load_dump

TITLES = 120  # training titles whose retrieval is dumped (24,263 answerable questions; 12 min on 2 cores)
TITLE_SEED = 11
GOLD_OUT = 3  # negatives per question from the gold-excluded run: the decision reads the first 3 citations
NORMAL = 1  # negatives per question from the normal run (the best-ranked sentence that does not answer)
QUESTION_SEED = 5


def mining_titles(data: str | Path, calibration: set[str], n: int = TITLES, seed: int = TITLE_SEED) -> set[str]:
    """`n` training titles drawn at random, none of them a calibration title."""
    entries = json.loads(Path(data).read_text(encoding="utf-8"))["data"]
    titles = sorted({str(e["title"]) for e in entries} - calibration)
    random.Random(seed).shuffle(titles)
    return set(titles[:n])


def dump_near_misses(data: str | Path, work: Path, calibration: set[str], n: int = TITLES) -> Path:
    """The engine's retrieval over `n` training titles, dumped once into `work/near-miss-dump` (kept)."""
    out = work / "near-miss-dump"
    if not (out / "questions.jsonl").exists():
        titles = mining_titles(data, calibration, n)
        (work / "near-miss-titles.json").write_text(json.dumps(sorted(titles), indent=1) + "\n", encoding="utf-8")
        dump_retrieval(titles_file(data, titles, work / "near-miss.json"), work / "near-miss-index", out)
    return out


def near_miss_examples(dump: Path, questions: int, seed: int = QUESTION_SEED) -> list[Example]:
    """A positive and up to GOLD_OUT + NORMAL near-miss negatives for each of `questions` random dumped questions."""
    sentences, asked = load_dump(dump)
    rng = random.Random(seed)
    asked = [q for q in asked if q["gold"]]
    rng.shuffle(asked)
    out: list[Example] = []
    for q in asked[:questions]:
        row = q["gold"][0][0]
        gold_rows = {r for r, _, _ in q["gold"]}
        spans = tuple((s, e) for r, s, e in q["gold"] if r == row)
        out.append(Example(q["question"], sentences.item(row), 1, spans, "positive"))
        for ranked, keep, kind in ((q["excluded"], GOLD_OUT, "retrieval_miss"), (q["normal"], NORMAL, "retrieval_miss_normal")):
            rows = [r for r in (int(r) for r, _ in ranked) if r not in gold_rows
                    and not holds_answer(sentences.text[r], q["answers"])]
            out += [Example(q["question"], sentences.item(r), 0, (), kind) for r in rows[:keep]]
    return out
