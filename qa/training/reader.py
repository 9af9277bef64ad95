"""Train the reader from SQuAD-format training data, resumably, and export the int8 ONNX Sourced ships.

    python -m qa.training.reader ../shared/train/squad2-style-train-silver.json --work DIR --out DIR

Builds the examples (`qa.training.reader_corpus`), trains with checkpoints (`qa.training.reader_trainer`; run
it again after a stop and it resumes), writes `reader-int8.onnx`, the tokenizer and `reader.json` to `--out`,
then fits the decision (`calibrate`): the calibration titles (never trained on) are indexed and every question
asked as the engine asks it, normally and with its gold paragraph excluded (`qa.training.reader_data`); how
reader, ranker and term share combine, and the threshold for a stated false-abstention rate, are fitted there.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from qa.answers.reader import MODEL_FILE, ReaderConfig
from qa.training.reader_corpus import build_examples
from qa.training.reader_trainer import load_rows, train


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


SPAN_MIN_P = 0.1  # p(start)·p(end) under which the span is not shown (the sentence is quoted instead)
NEAR_MISS_MIX = 16_000  # examples of the other kinds a --near-misses run keeps beside them (reader v5)
READS = 3  # cited sentences the decision reads: 2 -> 3 took the calibration titles' gold-out abstentions 0.595 ->
# 0.622 and F1 0.670 -> 0.682 at the same 7.5% false abstentions (5-fold by title); 4 adds 0.006 (docs/reader.md)


def calibrate(folder: Path, work: Path, data: str | Path, *, n: int = READS, width: int = 0, threads: int = 1,
              target: float | None = None) -> dict[str, Any]:
    """Fit the decision of the reader in `folder`, reading its first `n` cited sentences, on the calibration titles
    and write it into its reader.json (the calibration index and reads are kept in `work`)."""
    from qa.answers.reader import CONFIG_FILE
    from qa.training.reader_corpus import titles_file
    from qa.training.reader_data import dump_retrieval, load_dump
    from qa.training.reader_eval import (
        FALSE_ABSTENTION_TARGET,
        FEATURE_SETS,
        Combiner,
        cached_reads,
        decide,
        scores,
        threshold_for,
    )

    target = FALSE_ABSTENTION_TARGET if target is None else target
    if not (work / "dump" / "questions.jsonl").exists():
        titles = set(json.loads((work / "calibration_titles.json").read_text(encoding="utf-8")))
        dump_retrieval(titles_file(data, titles, work / "calibration.json"), work / "cal-index", work / "dump")
    sentences, questions = load_dump(work / "dump")
    cal = cached_reads(folder, MODEL_FILE, width, sentences, questions,
                       work / "reads" / f"{folder.name}-cal-ctx{width}-depth{n}-each.pkl", threads=threads, depth=n)
    combiner = Combiner.fit(cal, n, FEATURE_SETS["reader+ranker+terms"])
    threshold = threshold_for(cal, combiner, n, target, rerank=True)
    fitted = scores(cal, decide(cal, combiner, n, threshold, rerank=True))
    cfg = ReaderConfig.load(folder / CONFIG_FILE)
    info = {**cfg.info, "span_min_p": SPAN_MIN_P,
            "calibration": {"questions": len(cal), "false_abstention_target": target, **fitted}}
    replace(cfg, context_tokens=width, decision=combiner.decision(threshold, n, True), info=info).save(
        folder / CONFIG_FILE)
    return fitted


def near_miss_rows(work: Path, data: str | Path, questions: int, cfg: ReaderConfig, folder: Path) -> list[Any]:
    """Model input rows of `questions` questions' near misses (`reader_mining`), cached in `work`."""
    from qa.training.reader_mining import dump_near_misses, near_miss_examples
    from qa.training.reader_trainer import load_rows

    def examples() -> list[Any]:
        calibration = set(json.loads((work / "calibration_titles.json").read_text(encoding="utf-8")))
        return near_miss_examples(dump_near_misses(data, work, calibration), questions)

    return load_rows(work, examples, folder / "tokenizer.json", cfg, seed=5, name=f"near-miss-rows-{questions}")


def chosen_rows(rows: list[Any], args: argparse.Namespace, work: Path, cfg: ReaderConfig, folder: Path) -> list[Any]:
    """The rows a run trains on: the near misses and a mix of the others, a `--limit` sample, or the `--rest`."""
    if args.near_misses:
        return near_miss_rows(work, args.data, args.near_misses, cfg, folder) + random.Random(6).sample(
            rows, min(args.mix, len(rows)))
    if args.limit and args.limit < len(rows):
        return random.Random(1).sample(rows, args.limit)
    if args.rest and args.rest < len(rows):
        taken = set(random.Random(1).sample(range(len(rows)), args.rest))
        return [r for i, r in enumerate(rows) if i not in taken]
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: examples (cached), train (resumable), export."""
    from index.encoding import packaged_model_path
    from qa.training.reader_export import export, ship

    p = argparse.ArgumentParser(prog="python -m qa.training.reader", description=__doc__.split("\n")[0])
    p.add_argument("data", help="SQuAD-format training file (e.g. ../shared/train/squad2-style-train-silver.json)")
    p.add_argument("--work", required=True, help="examples, checkpoint, float32 model (kept to resume)")
    p.add_argument("--out", required=True, help="folder for the shipped reader")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=8e-5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=None, help="train on a random sample of this many examples")
    p.add_argument("--rest", type=int, default=None, metavar="N",
                   help="train on the examples a `--limit N` run left out (to continue that run with --init)")
    p.add_argument("--init", default=None, metavar="CHECKPOINT",
                   help="start from the model weights of this finished run's checkpoint (fresh optimiser)")
    p.add_argument("--stop-after", type=float, default=None, help="stop (checkpointed) after this many minutes")
    p.add_argument("--near-misses", type=int, default=None, metavar="N",
                   help="train on N questions' near misses of the engine's retrieval over training titles "
                   "(qa.training.reader_mining) and --mix of the other examples, instead of the other examples")
    p.add_argument("--mix", type=int, default=NEAR_MISS_MIX, help="examples of the other kinds beside --near-misses")
    p.add_argument("--read", type=int, default=READS, help="cited sentences the decision reads (default %(default)s)")
    args = p.parse_args(argv)
    work, out = Path(args.work), Path(args.out)
    work.mkdir(parents=True, exist_ok=True)
    folder = Path(packaged_model_path())
    cfg = ReaderConfig()
    t0 = time.perf_counter()
    calibration: set[str] = set()

    def examples() -> list:
        found, cal = build_examples(args.data)
        calibration.update(cal)
        (work / "calibration_titles.json").write_text(json.dumps(sorted(cal), indent=1) + "\n")
        return found

    rows = chosen_rows(load_rows(work, examples, folder / "tokenizer.json", cfg, seed=0), args, work, cfg, folder)
    print(f"{len(rows)} examples ready in {time.perf_counter() - t0:.0f} s", flush=True)
    model, info = train(rows, folder, work, epochs=args.epochs, batch=args.batch, lr=args.lr, threads=args.threads,
                        stop_after=None if args.stop_after is None else args.stop_after * 60,
                        init=None if args.init is None else Path(args.init))
    if model is None:
        return 3
    info.update(cpu=cpu_name(), data=Path(args.data).name, init=args.init, rest=args.rest, limit=args.limit,
                near_misses=args.near_misses, mix=args.mix if args.near_misses else None,
                calibration_titles=json.loads((work / "calibration_titles.json").read_text()))
    plain, int8 = export(model, work / "onnx")
    assert int8 is not None
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(int8, out / MODEL_FILE)
    ship(out, folder, replace(cfg, info={"training": info}))
    (work / "training.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    print(f"trained in {info['train_seconds'] / 60:.0f} min on {info['cpu']}; reader in {out}", flush=True)
    fitted = calibrate(out, work, args.data, n=args.read, threads=args.threads)
    print(f"decision fitted on the calibration titles: {json.dumps(fitted)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
