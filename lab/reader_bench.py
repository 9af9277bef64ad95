"""What reading adds to a question: `python -m lab bench --reader`, the same questions asked with and without the reader.

Both sides run in one process over one SQuAD index, question by question, alternating which goes first
(so load on the machine falls on both alike); the figure is the median of the per-question differences
of the whole `ask`, and the median of the reader's own time (`timings_ms["read"]`), over several runs.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any


def cpu_name() -> str:
    """The CPU's model name and its vector instructions that matter for int8 (AVX-512 VNNI or AVX2 only)."""
    try:
        info = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown CPU"
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Model name")), "")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("Flags")), [])
    isa = "AVX-512 VNNI" if "avx512_vnni" in flags else "AVX2 only" if "avx2" in flags else "no AVX2"
    return f"{name or 'unknown CPU'} ({isa})"


def run_reader_bench(squad_file: str | Path, *, questions: int = 200, runs: int = 3,
                     squad_index: str | Path | None = None, reader_path: str | Path | None = None,
                     log: Any = print) -> dict[str, Any]:
    """Median added latency of reading, per question, against the same engine with the reader off (the reader in
    `reader_path`, else the shipped one)."""
    from lab.bench import _machine
    from qa.engine import QA
    from qa.evaluation.evaluation import ingest_squad
    from qa.evaluation.squad import load_squad, sample
    from qa.settings import Settings

    data = load_squad(squad_file)
    asked = [q.question for q in sample(data.questions, questions)]
    with tempfile.TemporaryDirectory(prefix="sourced-reader-bench-") as tmp:
        engine = QA(squad_index or Path(tmp) / "index",
                    settings=Settings(reader_path=None if reader_path is None else str(reader_path)))
        log(f"indexing {len(data.articles)} SQuAD paragraphs ...")
        ingest_squad(engine, data.articles)
        plain = QA(engine.index_dir, embedder=engine.embedder, settings=replace(engine.settings, reader=False))
        for e in (engine, plain):  # load everything before the clock starts
            e.ask("warm up")
        reader = engine.reader()
        medians: list[dict[str, float]] = []
        for run in range(runs):
            added, reads, with_reader, without = [], [], [], []
            for i, question in enumerate(asked):
                pair = (engine, plain) if (i + run) % 2 == 0 else (plain, engine)
                times = {}
                if reader is not None:
                    reader.forget()  # an earlier run's reads of this question are not kept: each run reads afresh
                for e in pair:
                    start = time.perf_counter()
                    answer = e.ask(question)
                    times[e is engine] = (time.perf_counter() - start) * 1e3
                    if e is engine:
                        reads.append(answer.timings_ms.get("read", 0.0))
                added.append(times[True] - times[False])
                with_reader.append(times[True])
                without.append(times[False])
            medians.append({"added_ms": statistics.median(added), "read_ms": statistics.median(reads),
                            "with_reader_ms": statistics.median(with_reader),
                            "without_reader_ms": statistics.median(without)})
            log(f"run {run + 1}: reading adds {medians[-1]['added_ms']:.1f} ms a question "
                f"(the reader itself {medians[-1]['read_ms']:.1f} ms)")
    return {
        "questions": len(asked), "runs": runs, "cpu": cpu_name(), **_machine(),
        "sentences_read": reader.config.decision.n if reader else 0,
        "context_tokens": reader.config.context_tokens if reader else 0,
        **{key: round(statistics.median(m[key] for m in medians), 2) for key in medians[0]},
        "per_run": medians,
        "goal_ms": 25.0,
    }


def format_reader_bench(result: dict[str, Any]) -> str:
    """The reader bench as lines of text."""
    return "\n".join([
        f"reader: {result['sentences_read']} sentences read per question, {result['context_tokens']} word pieces "
        f"of context each side; {result['questions']} SQuAD questions x {result['runs']} runs on {result['cpu']}, "
        f"{result['cpus']} cores, {result['date']}",
        f"median per question: {result['without_reader_ms']:.1f} ms without the reader, "
        f"{result['with_reader_ms']:.1f} ms with it",
        f"reading adds {result['added_ms']:.1f} ms (median of the runs' medians; goal <= {result['goal_ms']:g} ms); "
        f"the reader itself {result['read_ms']:.1f} ms",
    ])
