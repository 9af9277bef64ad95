"""`python -m lab train-recency`: the weights of the age features for "latest" questions, fitted on generated archives.

For the "latest" questions of dated archives generated with training seeds (`lab.dated_archive`; the
evaluation uses seed 0, never these), each question's candidates are scored once by the ranker; then a
grid of (age weight, behind-the-newest weight) is searched for the pair whose rescored first candidate
is most often from one of the articles that answer it as of its day, ties going to the smaller weights.
The pair is written to `qa/evidence/recency_weights.json` with what it was fitted on.
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import numpy as np

from qa.evidence.recency import WEIGHTS_FILE, Recency, _weights
from qa.options import as_time

GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
TRAIN_SEEDS = (1, 2, 3)


def train_recency(*, seeds: tuple[int, ...] = TRAIN_SEEDS, out: Path = WEIGHTS_FILE, embedder: Any = None,
                  log: Callable[[str], None] = print) -> dict[str, Any]:
    """Fit and write the recency weights; returns what was written."""
    from lab.dated_archive import generate
    from qa.engine import QA

    t0 = time.perf_counter()
    cases: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = []  # scores, published, right, as_of
    for seed in seeds:
        archive = generate(seed=seed)
        with tempfile.TemporaryDirectory(prefix="sourced-recency-") as tmp:
            archive.write(Path(tmp) / "archive")
            engine = QA(Path(tmp) / "index", embedder=embedder)
            engine.ingest([Path(tmp) / "archive" / "articles.jsonl"])
            retriever = engine.retriever()
            corpus = retriever.corpus
            for q in archive.questions:
                if q["kind"] != "latest":
                    continue
                as_of = as_time(q["as_of"], "as_of")
                allowed = retriever.allowed({}, as_of=as_of)
                found = retriever.candidates(q["question"], engine.embedder.encode_query(q["question"]),
                                             allowed=allowed)
                if found is None:
                    continue
                articles = corpus.sentence_article[found.rows]
                right = np.isin([corpus.articles[a].id for a in articles], q["expect_article_ids"])
                cases.append((retriever.ranker.score(found.features), retriever.published[articles], right, as_of))
        log(f"seed {seed}: {len(cases)} latest questions so far")
    scored = {(a, b): _accuracy(cases, a, b) for a in GRID for b in GRID}
    best = max(scored, key=lambda ab: (scored[ab], -ab[0] - ab[1]))
    result = {"age_weight": best[0], "behind_weight": best[1],
              "fitted_on": f"'latest' questions of generated dated archives, seeds {list(seeds)} "
                           "(lab.dated_archive); evaluation uses seed 0",
              "questions": len(cases), "first_right_share": round(scored[best], 4),
              "without_recency_share": round(scored[(0.0, 0.0)], 4),
              "seconds": round(time.perf_counter() - t0, 1), "trained_at": datetime.now().isoformat(timespec="seconds")}
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    _weights.cache_clear()  # this process reads the new weights from now on
    log(f"wrote {out}: {result}")
    return result


def _accuracy(cases: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]], age: float, behind: float) -> float:
    """Share of cases whose best rescored candidate is from a right article."""
    if not cases:
        return 0.0
    hits = 0
    for scores, published, right, as_of in cases:
        ranked = Recency(as_of, age, behind).rescore(scores, published)
        hits += bool(right[int(np.argmax(ranked))])
    return hits / len(cases)
