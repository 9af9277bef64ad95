"""`python -m lab bench --archive`: ingest a realistic news archive and compare with plain sentence-transformers.

The archive is `lab.archive`'s (fixed seed): multi-paragraph articles of varied length and a few
50,000-character live blogs, as one JSONL file with the extra fields newsroom dumps carry. Each
run, in the same process on the same sentences, alternating:

- plain sentence-transformers: `SentenceTransformer(path).encode(sentences)` with its defaults;
- ours: `QA(fresh index).ingest([archive.jsonl])`, the whole product path (read, split, encode,
  store in Chroma), encoder processes started included.

Figures are medians over the runs. Splitting is timed on its own, and the two encoders' vectors
are compared on a sample (mean cosine), as are their question-encoding times.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from lab.archive import records, write_jsonl

Log = Callable[[str], None]
QUESTIONS = [
    "How many US troops are in Agadez?", "When will the talks resume?", "What did the Federal Reserve say?",
    "How much would the plan cost?", "Who declined to comment on the report?", "Where was the news conference?",
    "How many homes lost power in the storm?", "What did Gen. Mark Milley tell reporters?",
    "How much did shares fall on Tuesday?", "When was the vote delayed until?",
]


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def _query_ms(embedder: Any, questions: list[str], repeats: int = 5) -> float:
    """Median milliseconds to encode one question (no cache: each call encodes)."""
    encode = embedder._encode_one
    encode(questions[0])
    times = []
    for _ in range(repeats):
        for q in questions:
            t0 = time.perf_counter()
            encode(q)
            times.append((time.perf_counter() - t0) * 1e3)
    return round(_median(times), 2)


def run_archive_bench(*, articles: int = 200, runs: int = 3, seed: int = 7, log: Log | None = None,
                      workdir: str | Path | None = None) -> dict[str, Any]:
    """Median-of-`runs` ingest figures for ours and plain sentence-transformers on one archive."""
    from sentence_transformers import SentenceTransformer

    from index.embedder import SentenceTransformerEmbedder, make_embedder
    from index.encoding import resolve_model
    from index.sentences import split_sentences
    from lab.bench import _machine
    from qa.engine import QA

    say = log or (lambda _msg: None)
    with tempfile.TemporaryDirectory(prefix="sourced-archive-") as tmp:
        work = Path(workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        path = work / "archive.jsonl"
        write_jsonl(path, articles, seed=seed)
        texts = [(r["id"], r["text"]) for r in records(articles, seed=seed)]
        chars = sum(len(t) for _, t in texts)
        live_blogs = sum(len(t) >= 40_000 for _, t in texts)
        say(f"archive: {articles} articles ({live_blogs} live blogs), {path.stat().st_size / 1e6:.1f} MB")

        split_s = []
        for _ in range(runs):
            t0 = time.perf_counter()
            sentences = [s.text for aid, text in texts for s in split_sentences(aid, text)]
            split_s.append(time.perf_counter() - t0)

        plain = SentenceTransformer(resolve_model(None), device="cpu")
        plain.encode(sentences[:64])  # warm up
        plain_s, ours_s, reference = [], [], None
        for run in range(runs):
            say(f"run {run + 1}/{runs}: plain sentence-transformers on {len(sentences):,} sentences")
            t0 = time.perf_counter()
            vectors = plain.encode(sentences)
            plain_s.append(time.perf_counter() - t0)
            reference = vectors if reference is None else reference
            say(f"run {run + 1}/{runs}: ours, qa ingest of the JSONL file")
            engine = QA(work / f"index-{run}")
            t0 = time.perf_counter()
            report = engine.ingest([path])
            ours_s.append(time.perf_counter() - t0)
            if report.problems or report.sentences != len(sentences):
                raise RuntimeError(f"the archive did not ingest whole: {len(report.problems)} problems, "
                                   f"{report.sentences} of {len(sentences)} sentences")
            getattr(engine.embedder, "close", lambda: None)()
            del engine

        say("vectors and question encoding, ours vs torch")
        ours_encoder = make_embedder()
        quantize = getattr(ours_encoder, "quantize", None)
        label = "torch" if quantize is None else "onnx-int8" if quantize else "onnx"
        torch_encoder = SentenceTransformerEmbedder()
        sample = np.random.default_rng(seed).choice(len(sentences), size=min(2000, len(sentences)), replace=False)
        ours_vectors = ours_encoder.encode([sentences[i] for i in sample])
        assert reference is not None
        ref = reference[sample] / np.linalg.norm(reference[sample], axis=1, keepdims=True)
        cosine = (ours_vectors * ref).sum(axis=1)
        query = {"torch_ms": _query_ms(torch_encoder, QUESTIONS), "ours_ms": _query_ms(ours_encoder, QUESTIONS)}
        getattr(ours_encoder, "close", lambda: None)()

    n = len(sentences)
    plain_rate, ours_rate = n / _median(plain_s), n / _median(ours_s)
    return {
        "articles": articles,
        "live_blogs": live_blogs,
        "sentences": n,
        "chars": chars,
        "runs": runs,
        "encoder": label,
        "sentence_transformers_sentences_per_s": round(plain_rate, 1),
        "ours_sentences_per_s": round(ours_rate, 1),
        "ingest_ratio_vs_sentence_transformers": round(ours_rate / plain_rate, 2),
        "splitting_chars_per_s": round(chars / _median(split_s)),
        "splitting_share_of_ingest": round(_median(split_s) / _median(ours_s), 4),
        "minutes_per_1000_articles": round(_median(ours_s) / articles * 1000 / 60, 2),
        "vectors_mean_cosine_vs_torch": round(float(cosine.mean()), 4),
        "vectors_min_cosine_vs_torch": round(float(cosine.min()), 4),
        "question_encoding_ms": query,
        "seconds": {"ours": [round(s, 2) for s in ours_s], "sentence_transformers": [round(s, 2) for s in plain_s],
                    "splitting": [round(s, 3) for s in split_s]},
        "torch_threads": _torch_threads(),
        "machine": _machine(),
    }


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def format_archive_bench(result: dict[str, Any]) -> str:
    """The archive bench as a few terminal lines."""
    q = result["question_encoding_ms"]
    return "\n".join([
        f"archive: {result['articles']} articles ({result['live_blogs']} live blogs), {result['sentences']:,} "
        f"sentences, {result['chars']:,} characters; median of {result['runs']} runs",
        f"ingest sentences/s: ours {result['ours_sentences_per_s']:.0f} (whole qa ingest, {result['encoder']}), "
        f"plain sentence-transformers {result['sentence_transformers_sentences_per_s']:.0f} (encode only) "
        f"-> ratio {result['ingest_ratio_vs_sentence_transformers']:.2f}",
        f"splitting: {result['splitting_chars_per_s'] / 1e6:.1f}M chars/s, "
        f"{result['splitting_share_of_ingest'] * 100:.1f}% of ingest time",
        f"end to end: {result['minutes_per_1000_articles']:.2f} minutes per 1,000 articles",
        f"vectors vs torch: mean cosine {result['vectors_mean_cosine_vs_torch']:.4f} "
        f"(min {result['vectors_min_cosine_vs_torch']:.4f})",
        f"question encoding: torch {q['torch_ms']:.1f} ms, ours {q['ours_ms']:.1f} ms (median)",
    ])

