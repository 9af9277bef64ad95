"""What a filter costs: `python -m lab bench --filters`, the same questions asked unfiltered and filtered, in one process.

Over an index of synthetic dated news (`lab.archive`, about `--sentences` sentences), each question
is asked four ways, alternating which goes first: unfiltered; with a date window never used before;
with a source filter never used before; with a list of 3,000 article ids never used before. Every
filtered ask is a first time, so nothing it builds is cached. The figure is each way's median and its
ratio to the unfiltered median, over several runs.

The index is embedded by a hashing embedder of the real model's width (384), questions too: what a filter
costs does not depend on what the vectors say, and a real 300k-sentence ingest takes half an hour on these
cores. `--scale-index DIR` keeps the bench's index for the next run.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path
from typing import Any, Callable

from lab.hash_embedder import HashEmbedder
from lab.scale_bench import SENTENCES_PER_ARTICLE

Log = Callable[[str], None]
QUESTIONS = ("What did the council decide about the new budget?", "How many people were hurt in the storm?",
             "Who won the election for mayor?", "What did the company report about its earnings?",
             "Why did the workers go on strike?", "What did the minister say about inflation?",
             "How much will the new bridge cost?", "When will the stadium open?",
             "What did police say about the crash?", "Which team won the championship game?")
ID_LIST = 3000


def run_filter_bench(*, sentences: int = 300_000, runs: int = 3, index: str | Path | None = None,
                     questions: int = 10, log: Log = print) -> dict[str, Any]:
    """Median cost of a question unfiltered and with a new date window, source filter or 3,000-id list."""
    import tempfile

    from lab.archive import write_jsonl
    from lab.bench import _machine
    from qa.engine import QA

    with tempfile.TemporaryDirectory(prefix="sourced-filters-") as tmp:
        path = Path(index) if index else Path(tmp) / "index"
        engine = QA(path, embedder=HashEmbedder())
        if not engine.articles():
            n = max(10, round(sentences / SENTENCES_PER_ARTICLE))
            log(f"building an index of {n:,} synthetic articles (about {sentences:,} sentences) ...")
            t0 = time.perf_counter()
            engine.ingest([write_jsonl(Path(tmp) / "archive.jsonl", n)])
            log(f"  built in {time.perf_counter() - t0:.0f} s")
        result = _measure(engine, runs=runs, questions=questions, log=log)
        result.update(machine=_machine(), index_sentences=sum(a.n_sentences for a in engine.articles()),
                      embedder=getattr(engine.embedder, "name", ""))
        return result


def _measure(engine: Any, *, runs: int, questions: int, log: Log) -> dict[str, Any]:
    infos = engine.articles()
    ids = [a.id for a in infos]
    sources = sorted({a.source for a in infos})
    dated = sorted(a.published_at for a in infos if a.published_at)
    rng = random.Random(0)
    engine.ask(QUESTIONS[0])  # load everything once: what is timed is the question, not the start
    engine.ask(QUESTIONS[1], filters={"sources": [sources[0]]})  # and the first filter's one-time set-up
    ways = ("unfiltered", "new_date_window", "new_source_filter", "new_id_list_3000")
    medians: dict[str, list[float]] = {w: [] for w in ways}
    used: set[tuple[str, ...]] = set()

    def fresh(make: Callable[[], tuple[str, ...]]) -> tuple[str, ...]:
        for _ in range(1000):
            key = make()
            if key not in used:
                used.add(key)
                return key
        raise RuntimeError("no unused filter left")

    for run in range(runs):
        times: dict[str, list[float]] = {w: [] for w in ways}
        for i in range(questions):
            q = f"{QUESTIONS[i % len(QUESTIONS)]} ({run}.{i})"
            start = fresh(lambda: (rng.choice(dated)[:10],))[0]
            window = {"published_after": start, "published_before": _days_later(start, 7)}
            # a set of sources never asked before (a name no article has makes it new when the few real
            # sources have run out of subsets)
            nowhere = f"Nowhere Gazette {run}.{i}"
            picked = fresh(lambda nowhere=nowhere: (*sorted(rng.sample(sources, rng.randint(1, max(1, len(sources) - 1)))), nowhere))
            some = fresh(lambda: tuple(rng.sample(ids, min(ID_LIST, len(ids)))))
            asks = [("unfiltered", None), ("new_date_window", window), ("new_source_filter", {"sources": list(picked)}),
                    ("new_id_list_3000", {"article_ids": list(some)})]
            if i % 2:
                asks.reverse()  # load on the machine falls on every way alike
            for way, filters in asks:
                t0 = time.perf_counter()
                engine.ask(q, filters=filters)
                times[way].append((time.perf_counter() - t0) * 1e3)
        for way in ways:
            medians[way].append(statistics.median(times[way]))
        log(f"run {run + 1}: " + ", ".join(f"{w} {statistics.median(times[w]):.1f} ms" for w in ways))
    base = statistics.median(medians["unfiltered"])
    return {"questions": questions, "runs": runs,
            "median_ms": {w: round(statistics.median(v), 1) for w, v in medians.items()},
            "ratio_to_unfiltered": {w: round(statistics.median(v) / base, 2) for w, v in medians.items()}}


def _days_later(day: str, days: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()
