"""Score the reader end to end on SQuAD-open from the retrieval dump (`qa.training.reader_data`).

For each question the top N cited sentences (the ranker's order, as `QA.ask` cites them) are read; a small
logistic model fitted on the calibration titles (training half, never trained on) turns the reader's
answerability logit, its span score, the ranker's calibrated score and the share of the question's terms
in the sentence and its neighbours into p(sentence holds the answer); the question is answered when the
best p over the N sentences clears a threshold chosen on the calibration titles for a stated false-abstention
rate (counting the abstentions retrieval makes before reading: a missing name, the ranker's threshold). The short answer is the span of the first citation
("first") or of the sentence with the best p ("rerank"). Reported on the held-out half of the titles:
EM / F1 over all answerable questions (abstaining scores 0), false-abstention rate on the normal run,
abstention recall with each question's gold paragraph excluded, and reading latency.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from qa.answers.coverage import Idf, corpus_idf, term_share
from qa.answers.reader import FEATURES, Decision, Reader, decision_features
from qa.evaluation import metrics as m
from qa.training.reader_data import Sentences

# of the calibration titles' answerable questions, all abstentions counted: with reader v5, 7.5% there gave 7.4% on
# SQuAD dev's held-out half (v4 at 7%: 7.5%) and 8% gave 7.9%, at the goal's edge (docs/reader.md)
FALSE_ABSTENTION_TARGET = 0.075
DEPTH = 3  # sentences read per question and run (N is taken from these)
# each sentence is read in its own model call, as the engine reads it: int8 dynamic quantisation scales activations
# over the whole call, so a sentence read beside others would score slightly differently
RUNS = ("normal", "excluded")
BASE = FEATURES[:4]  # the previous release's decision: reader and ranker only
FEATURE_SETS = {"reader+ranker": BASE, "reader+ranker+terms": BASE + ("term_share",)}


def read_questions(reader: Reader, sentences: Sentences, questions: list[dict[str, Any]], *, depth: int = DEPTH,
                   context_tokens: int | None = None) -> list[dict[str, Any]]:
    """Per question and run: the reader's output on its top `depth` sentences, with the ranker's score and label."""
    out = []
    for q in questions:
        row: dict[str, Any] = {"q": q}
        for run in RUNS:
            cands = q[run][:depth]
            items = [sentences.item(r) for r, _ in cands]
            readings = reader.read(q["question"], items, context_tokens=context_tokens)
            row[run] = {
                "a": np.asarray([x.answerable for x in readings], np.float64),
                "span": np.asarray([x.span_score for x in readings], np.float64),
                "rank_p": np.asarray([s for _, s in cands], np.float64),
                "answer": [x.answer for x in readings],
                "holds": np.asarray([m.contains_answer(sentences.text[r], q["answers"]) for r, _ in cands], bool),
            }
        out.append(row)
    return out


def add_term_share(rows: list[dict[str, Any]], sentences: Sentences, idf: Idf) -> None:
    """Each run's term share per candidate (what `qa.answers.reading.judge` computes), kept in the row."""
    for r in rows:
        for run in RUNS:
            cands = r["q"][run][: len(r[run]["a"])]
            r[run]["share"] = term_share(r["q"]["question"], [sentences.item(row) for row, _ in cands], idf)


def features(run: dict[str, Any], names: Sequence[str] = BASE) -> np.ndarray:
    """Per candidate, the named decision features (`qa.answers.reader.FEATURES`)."""
    return decision_features(run["a"], run["span"], run["rank_p"], run.get("share"), names)


class Combiner:
    """p(sentence holds the answer) from the named `features`, fitted by logistic regression."""

    def __init__(self, coef: np.ndarray, bias: float, names: Sequence[str]) -> None:
        self.coef, self.bias, self.names = coef, bias, tuple(names)

    @classmethod
    def fit(cls, rows: list[dict[str, Any]], n: int, names: Sequence[str] = BASE) -> "Combiner":
        """Fit on the top `n` candidates of both runs of these questions."""
        from sklearn.linear_model import LogisticRegression

        x = np.concatenate([features(r[run], names)[:n] for r in rows for run in RUNS])
        y = np.concatenate([r[run]["holds"][:n] for r in rows for run in RUNS]).astype(int)
        lr = LogisticRegression(C=10.0, max_iter=2000).fit(x, y)
        return cls(lr.coef_[0], float(lr.intercept_[0]), names)

    def p(self, run: dict[str, Any], n: int) -> np.ndarray:
        """Scores of the top `n` candidates."""
        x = features(run, self.names)[:n]
        return 1.0 / (1.0 + np.exp(-(x @ self.coef + self.bias)))

    def decision(self, threshold: float, n: int, rerank: bool) -> Decision:
        """As shipped in reader.json."""
        return Decision(tuple(round(float(c), 6) for c in self.coef), round(self.bias, 6), round(threshold, 6), n,
                        rerank, self.names)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the feature names used and their weights."""
        return {"features": list(self.names), "coef": [round(float(c), 5) for c in self.coef],
                "bias": round(self.bias, 5)}


class QuestionScorer:
    """p(answer the question) from the first `n` sentences' features at once, fitted by logistic regression
    on the calibration titles: normal runs answer (1), gold-excluded runs abstain (0)."""

    def __init__(self, coef: np.ndarray, bias: float, n: int) -> None:
        self.coef, self.bias, self.n = coef, bias, n

    @staticmethod
    def flat(run: dict[str, Any], n: int) -> np.ndarray:
        """The first `n` sentences' (answerability, span, ranker logit), padded as if unanswerable."""
        x = features(run)[:n, :3]
        out = np.tile(np.asarray([-10.0, -10.0, -14.0]), (n, 1))
        out[: len(x)] = x
        return out.ravel()

    @classmethod
    def fit(cls, rows: list[dict[str, Any]], n: int) -> "QuestionScorer":
        """Fit on both runs of these questions."""
        from sklearn.linear_model import LogisticRegression

        x = np.asarray([cls.flat(r[run], n) for r in rows for run in RUNS])
        y = np.asarray([run == "normal" for _ in rows for run in RUNS], int)
        lr = LogisticRegression(C=1.0, max_iter=5000).fit(x, y)
        return cls(lr.coef_[0], float(lr.intercept_[0]), n)

    def p(self, run: dict[str, Any]) -> float:
        """p(answer) of one run."""
        return float(1.0 / (1.0 + np.exp(-(self.flat(run, self.n) @ self.coef + self.bias))))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready weights (per sentence: answerability, span, ranker logit)."""
        return {"coef": [round(float(c), 5) for c in self.coef], "bias": round(self.bias, 5), "n": self.n}


def decide(rows: list[dict[str, Any]], combiner: Combiner, n: int, threshold: float | None, *,
           rerank: bool, scorer: QuestionScorer | None = None) -> dict[str, Any]:
    """Answers and abstentions of every question on both runs; threshold None = answer all.

    Whether to answer: the best p among the first `n` sentences, or with `scorer` its question-level p.
    """
    out: dict[str, Any] = {run: [] for run in RUNS}
    for r in rows:
        for run in RUNS:
            c = r[run]
            if not len(c["a"]):
                out[run].append((0.0, None, False, False))
                continue
            p = combiner.p(c, n)
            pick = int(np.argmax(p)) if rerank else 0
            best = float(p.max()) if scorer is None else scorer.p(c)
            answered = threshold is None or best >= threshold
            # retrieval abstains before reading: a name found nowhere else, or the ranker's threshold
            missing = bool(r["q"]["missing" if run == "normal" else "missing_excluded"]) \
                or float(c["rank_p"][0]) < r["q"].get("threshold", 0.0)
            out[run].append((-1.0 if missing else best, c["answer"][pick] if answered and not missing else None,
                             bool(c["holds"][pick]), answered))
    return out


def scores(rows: list[dict[str, Any]], decided: dict[str, Any]) -> dict[str, float]:
    """EM, F1 over all answerable questions; answer-holding pick; false abstention; abstention recall."""
    em = f1 = holds = false = 0.0
    for r, (_, answer, held, _) in zip(rows, decided["normal"]):
        golds = r["q"]["answers"]
        holds += held
        if answer is None:
            false += 1
            continue
        em += m.exact_match(answer, golds)
        f1 += m.f1_score(answer, golds)
    recall = sum(answer is None for _, answer, _, _ in decided["excluded"])
    by_score = sum(not answered for _, _, _, answered in decided["excluded"])
    n = max(len(rows), 1)
    return {"answer_em": round(em / n, 4), "answer_f1": round(f1 / n, 4), "picked_holds_answer": round(holds / n, 4),
            "false_abstention_rate": round(false / n, 4), "abstention_recall": round(recall / n, 4),
            "abstention_recall_score_only": round(by_score / n, 4)}


def threshold_for(rows: list[dict[str, Any]], combiner: Combiner, n: int, target: float, *, rerank: bool,
                  scorer: QuestionScorer | None = None) -> float:
    """The best-p threshold under which `target` of these (answerable, normal run) questions fall, those
    retrieval abstains on anyway (best p counted as -1) included."""
    best = [b for b, _, _, _ in decide(rows, combiner, n, None, rerank=rerank, scorer=scorer)["normal"]]
    return float(np.quantile(best, target))


def sentence_em(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The reader's span on the first citation, when that sentence holds the answer (reading alone)."""
    hits = [(m.exact_match(r["normal"]["answer"][0], r["q"]["answers"]), m.f1_score(r["normal"]["answer"][0],
             r["q"]["answers"])) for r in rows if len(r["normal"]["holds"]) and r["normal"]["holds"][0]]
    if not hits:
        return {}
    return {"n": len(hits), "em": round(float(np.mean([h[0] for h in hits])), 4),
            "f1": round(float(np.mean([h[1] for h in hits])), 4)}


def baseline(rows: list[dict[str, Any]], sentences: Sentences) -> dict[str, float]:
    """Today's rule-based short answer on the first citation (`qa.answers.composer.compose`), scored the same way."""
    from qa.answers.composer import compose
    from qa.models import Citation

    em = f1 = 0.0
    for r in rows:
        q = r["q"]
        top = q["normal"][:5]
        if not top or top[0][1] < q["threshold"] or q["missing"]:
            continue
        cites = [Citation(n=i + 1, key=str(row), article_id="", title="", source="", sentence=sentences.text[row],
                          start=0, end=0, score=s) for i, (row, s) in enumerate(top)]
        _, short, _ = compose(q["question"], cites, 2)
        if short:
            em += m.exact_match(short, q["answers"])
            f1 += m.f1_score(short, q["answers"])
    n = max(len(rows), 1)
    return {"answer_em": round(em / n, 4), "answer_f1": round(f1 / n, 4)}


def grid(cal: list[dict[str, Any]], test: list[dict[str, Any]], *, ns: Sequence[int] = (1, 2, 3, 5),
         target: float = FALSE_ABSTENTION_TARGET) -> list[dict[str, Any]]:
    """Held-out scores for each feature set, N and strategy, combiner and threshold fitted on the calibration
    rows (the question-level scorer only for the reader+ranker features, as before)."""
    out = []
    for set_name, names in FEATURE_SETS.items():
        for n in ns:
            combiner = Combiner.fit(cal, n, names)
            question = QuestionScorer.fit(cal, n) if names == BASE else None
            for scorer in (None, question) if question is not None else (None,):
                for rerank in (False, True):
                    thr = threshold_for(cal, combiner, n, target, rerank=rerank, scorer=scorer)
                    on_cal = decide(cal, combiner, n, thr, rerank=rerank, scorer=scorer)
                    on_test = decide(test, combiner, n, thr, rerank=rerank, scorer=scorer)
                    out.append({"features": set_name, "n": n,
                                "strategy": ("rerank" if rerank else "first") + ("" if scorer is None else "+q"),
                                "threshold": round(thr, 4), "target": target, "combiner": combiner.to_dict(),
                                "question_scorer": None if scorer is None else scorer.to_dict(),
                                "calibration": scores(cal, on_cal), "held_out": scores(test, on_test)})
    return out


def latency(reader: Reader, sentences: Sentences, questions: list[dict[str, Any]], *, ns: Sequence[int] = (1, 2, 3, 5),
            context_tokens: Sequence[int] = (0, 16, 24), sample: int = 300, batched: bool = True) -> dict[str, Any]:
    """Median and p95 ms of `reader.read` per question, for N sentences and neighbour widths."""
    picked = questions[:: max(1, len(questions) // sample)][:sample]
    for q in picked[:20]:  # warm up
        reader.read(q["question"], [sentences.item(r) for r, _ in q["normal"][:3]])
    out: dict[str, Any] = {}
    for width in context_tokens:
        for n in ns:
            times = []
            for q in picked:
                items = [sentences.item(r) for r, _ in q["normal"][:n]]
                t0 = time.perf_counter()
                reader.read(q["question"], items, context_tokens=width, batched=batched)
                times.append((time.perf_counter() - t0) * 1e3)
            times.sort()
            out[f"n{n}_ctx{width}"] = {"p50_ms": round(statistics.median(times), 2),
                                       "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2)}
    return out


def cached_reads(folder: Path, model_file: str, width: int, sentences: Sentences, questions: list[dict[str, Any]],
                 cache: Path, *, threads: int = 1, depth: int = DEPTH, idf: Idf | None = None) -> list[dict[str, Any]]:
    """`read_questions` with the reader of `folder` / `model_file` at a neighbour width, cached as a pickle;
    then each candidate's term share under `idf` (default: computed from `sentences`, as the engine's lexicon)."""
    import pickle

    if cache.exists():
        rows: list[dict[str, Any]] = pickle.loads(cache.read_bytes())
        by_id = {q["id"]: q for q in questions}
        rows = [{**r, "q": by_id[r["q"]]} for r in rows if r["q"] in by_id]
    else:
        reader = Reader(folder, threads=threads, model_file=model_file)
        t0 = time.perf_counter()
        rows = read_questions(reader, sentences, questions, context_tokens=width, depth=depth)
        seconds = time.perf_counter() - t0
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps([{**r, "q": r["q"]["id"], "seconds": seconds} for r in rows]))
    add_term_share(rows, sentences, idf or corpus_idf(sentences.text))
    return rows


def evaluate(folder: Path, sentences: Sentences, questions: list[dict[str, Any]], cal_t: set[str], test_t: set[str],
             *, configs: Sequence[tuple[str, int, int]] = (("reader-int8.onnx", 0, DEPTH),), threads: int = 1,
             cache_dir: Path | None = None, limit: int | None = None,
             target: float = FALSE_ABSTENTION_TARGET) -> dict[str, Any]:
    """Per (model file, neighbour width): the grid of features x N x strategy on the held-out half, thresholds
    for `target` false abstention on the calibration titles; and the rules' baseline."""
    cal_q = [q for q in questions if q["title"] in cal_t][:limit]
    test_q = [q for q in questions if q["title"] in test_t][:limit]
    cache_dir = cache_dir or folder / "reads"
    idf = corpus_idf(sentences.text)
    result: dict[str, Any] = {"questions": {"calibration": len(cal_q), "held_out": len(test_q)},
                              "false_abstention_target": target}
    for model_file, width, depth in configs:
        name = f"{folder.name}-{Path(model_file).stem}-ctx{width}-depth{depth}-each"
        t0 = time.perf_counter()
        cal = cached_reads(folder, model_file, width, sentences, cal_q, cache_dir / f"{name}-cal.pkl", threads=threads,
                           depth=depth, idf=idf)
        test = cached_reads(folder, model_file, width, sentences, test_q, cache_dir / f"{name}-test.pkl",
                            threads=threads, depth=depth, idf=idf)
        result[name] = {"seconds": round(time.perf_counter() - t0, 1), "sentence_em": sentence_em(test),
                        "grid": grid(cal, test, ns=[n for n in (1, 2, 3, 5) if n <= depth], target=target)}
        if "baseline_rules" not in result:
            result["baseline_rules"] = {"held_out": baseline(test, sentences)}
    return result


def table(result: dict[str, Any]) -> str:
    """The held-out grid as a markdown table (one row per model, width, features, N and strategy)."""
    lines = ["| reader | features | N | pick | EM | F1 | false abst. | abst. recall (+key terms) | recall, score only | "
             "picked sentence holds answer | calib. EM |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, part in result.items():
        if not isinstance(part, dict) or "grid" not in part:
            continue
        for g in part["grid"]:
            h, c = g["held_out"], g["calibration"]
            lines.append(f"| {name} | {g['features']} | {g['n']} | {g['strategy']} | {h['answer_em']:.3f} | "
                         f"{h['answer_f1']:.3f} | "
                         f"{h['false_abstention_rate']:.3f} | {h['abstention_recall']:.3f} | "
                         f"{h['abstention_recall_score_only']:.3f} | {h['picked_holds_answer']:.3f} | "
                         f"{c['answer_em']:.3f} |")
    return "\n".join(lines)


def _config(text: str) -> tuple[str, int, int]:
    """MODEL_FILE:WIDTH[:DEPTH] -> (model file, neighbour width, depth)."""
    parts = text.split(":")
    if len(parts) == 2:
        parts.append(str(DEPTH))
    return parts[0], int(parts[1]), int(parts[2])


def _ship(args: Any, folder: Path, work: Path, sentences: Sentences, cal_questions: list[dict[str, Any]],
          config: tuple[str, int, int], result: dict[str, Any]) -> dict[str, Any]:
    """Fit the decision `args.ship` names on the calibration questions and write it into the folder's
    reader.json; what was written."""
    n, strategy = args.ship.split(":")
    model_file, width, depth = config
    name = f"{folder.name}-{Path(model_file).stem}-ctx{width}-depth{depth}-each"
    cal_q = cal_questions[: args.limit]
    cache = Path(args.cache) if args.cache else work / "reads"
    cal = cached_reads(folder, model_file, width, sentences, cal_q, cache / f"{name}-cal.pkl", depth=depth)
    combiner = Combiner.fit(cal, int(n), FEATURE_SETS[args.features])
    rerank = strategy == "rerank"
    thr = threshold_for(cal, combiner, int(n), args.target, rerank=rerank)
    from dataclasses import replace

    from qa.answers.reader import CONFIG_FILE, ReaderConfig

    cfg = ReaderConfig.load(folder / CONFIG_FILE)
    row = next((g for g in result.get(name, {}).get("grid", []) if g["n"] == int(n)
                and g["strategy"] == strategy and g["features"] == args.features), None)
    info = {**cfg.info, "evaluation": {"config": name, **(row or {}),
                                       "baseline_rules": result.get("baseline_rules")}}
    cfg = replace(cfg, context_tokens=width, decision=combiner.decision(thr, int(n), rerank), info=info)
    cfg.save(folder / CONFIG_FILE)
    return {"decision": combiner.decision(thr, int(n), rerank).__dict__, "context_tokens": width}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: score readers (cached reads), optionally time them."""
    import argparse
    import json

    from qa.training.reader_data import load_dump, split

    p = argparse.ArgumentParser(prog="python -m qa.training.reader_eval", description=__doc__.split("\n")[0])
    p.add_argument("reader", help="reader folder (reader.json, tokenizer.json, ONNX files)")
    p.add_argument("--work", required=True, help="holds dump/ and reads/ (as written by qa train reader)")
    p.add_argument("--config", action="append", default=[], help="MODEL_FILE:WIDTH[:DEPTH], repeatable "
                   f"(default reader-int8.onnx:0:{DEPTH}); DEPTH = sentences read per question and run")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--latency", action="store_true", help="time reading instead of scoring")
    p.add_argument("--out", default=None, help="write the JSON result here too")
    p.add_argument("--cache", default=None, help="folder for cached reads (default WORK/reads)")
    p.add_argument("--limit", type=int, default=None, help="first N questions of each part only (a smoke run)")
    p.add_argument("--target", type=float, default=FALSE_ABSTENTION_TARGET,
                   help="false abstention on the calibration titles the threshold is chosen for (default %(default)s)")
    p.add_argument("--ship", default=None, metavar="N:STRATEGY",
                   help="write this decision (e.g. 3:first), fitted on the calibration titles with the first "
                        "--config, and its neighbour width into the folder's reader.json")
    p.add_argument("--features", default="reader+ranker+terms", choices=sorted(FEATURE_SETS),
                   help="with --ship: the decision's features (default %(default)s)")
    args = p.parse_args(argv)
    work = Path(args.work)
    sentences, questions = load_dump(work / "dump")
    _, cal_t, test_t = split(questions)
    folder = Path(args.reader)
    configs = [_config(c) for c in args.config] or [("reader-int8.onnx", 0, DEPTH)]
    if args.latency:
        test_q = [q for q in questions if q["title"] in test_t][: args.limit or None]
        result: dict[str, Any] = {}
        for model_file, _, _ in configs:
            reader = Reader(folder, threads=args.threads, model_file=model_file)
            for batched in (True, False):
                key = f"{model_file}-threads{args.threads}-{'one call' if batched else 'call per sentence'}"
                result[key] = latency(reader, sentences, test_q, batched=batched)
    else:
        result = evaluate(folder, sentences, questions, cal_t, test_t, configs=configs, threads=args.threads,
                          cache_dir=Path(args.cache) if args.cache else work / "reads", limit=args.limit,
                          target=args.target)
    if args.ship:
        result["shipped"] = _ship(args, folder, work, sentences, [q for q in questions if q["title"] in cal_t],
                                  configs[0], result)
    text = json.dumps(result, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)
    if not args.latency:
        print(table(result), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
