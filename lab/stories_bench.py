"""`python -m lab bench --stories`: a dated archive with syndicated copies, ingested whole and asked its questions.

The archive is `lab.dated_archive`'s (seed 0, `--articles` articles: recurring storylines, wire stories
reprinted by 2-5 outlets with small edits, distinct stories on the same event). One real `qa ingest`
with the default encoder; beside it, in the same process, the two costs syndication and dates add to an
ingest, timed alone over the same articles: reading every publication date, and giving every article its
MinHash signature and story (`index.stories`). Then every question is asked as of its day, and the bench
counts how the stories came out against the generator's ground truth and what the answers cite.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

Log = Callable[[str], None]


def run_stories_bench(*, articles: int = 4000, seed: int = 0, log: Log = print) -> dict[str, Any]:
    """Ingest the dated archive, time dates and stories apart, ask its questions; the figures."""
    from index.dates import normalise_date
    from index.loaders import load
    from index.models import Article
    from index.stories import StoryIndex
    from lab.bench import _machine
    from lab.dated_archive import generate
    from qa.engine import QA

    archive = generate(seed=seed, articles=articles)
    with tempfile.TemporaryDirectory(prefix="sourced-stories-") as tmp:
        archive.write(Path(tmp) / "archive")
        path = Path(tmp) / "archive" / "articles.jsonl"
        loaded = [a for a in load([path]) if isinstance(a, Article)]
        t0 = time.perf_counter()
        for record in archive.articles:
            normalise_date(record["published_at"])
        dates_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        StoryIndex().assign_articles(loaded)
        stories_s = time.perf_counter() - t0
        log(f"ingesting {len(loaded):,} articles with the real model ...")
        engine = QA(Path(tmp) / "index")
        t0 = time.perf_counter()
        report = engine.ingest([path])
        ingest_s = time.perf_counter() - t0
        infos = {a.id: a for a in engine.articles()}
        copies = archive.stories
        root = {**{a: a for a in infos}, **copies}
        joined = sum(1 for c, o in copies.items() if (infos[c].story or c) == (infos[o].story or o))
        members: dict[str, set[str]] = {}
        for a in infos.values():
            members.setdefault(a.story or a.id, set()).add(root[a.id])
        merged = sum(1 for m in members.values() if len(m) > 1)
        log(f"asking {len(archive.questions)} questions ...")
        two_copies = five_one_story = also_in = 0
        for q in archive.questions:
            answer = engine.ask(q["question"], as_of=q["as_of"])
            by_story: dict[str, set[str]] = {}
            for c in answer.citations:
                by_story.setdefault(infos[c.article_id].story or c.article_id, set()).add(c.article_id)
            two_copies += any(len(ids) > 1 for ids in by_story.values())
            five_one_story += len(answer.citations) >= 5 and len(by_story) == 1
            also_in += any(c.also_in for c in answer.citations)
        getattr(engine.embedder, "close", lambda: None)()
    return {
        "articles": len(loaded), "sentences": report.sentences, "copies": len(copies),
        "copies_with_their_original": joined, "copies_with_their_original_share": round(joined / max(len(copies), 1), 4),
        "stories_merging_distinct_originals": merged, "distinct_pairs": len(archive.distinct),
        "questions": len(archive.questions), "answers_citing_two_copies_of_a_story": two_copies,
        "answers_with_five_citations_of_one_story": five_one_story, "answers_listing_also_in": also_in,
        "ingest_s": round(ingest_s, 1),
        "date_parsing_ms_per_article": round(dates_s / len(loaded) * 1e3, 3),
        "stories_ms_per_article": round(stories_s / len(loaded) * 1e3, 3),
        "date_parsing_share_of_ingest": round(dates_s / ingest_s, 5),
        "stories_share_of_ingest": round(stories_s / ingest_s, 4),
        "machine": _machine(),
    }


def format_stories_bench(result: dict[str, Any]) -> str:
    """The stories bench as JSON lines a person can read."""
    return json.dumps(result, indent=2)
