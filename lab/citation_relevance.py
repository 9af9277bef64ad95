"""Which later citations bear on their question: every citation of the SQuAD-open sample read, with the ranker's
score, the reader's answerable logit and whether it holds the gold answer; then how many each threshold pair of
`qa.rules.decisions.bears_on_question` leaves out, and of those how many hold the answer.

    python -m lab citation-relevance --squad-index DIR [--limit 1000]

DIR is an index `qa eval --format squad --squad-index DIR` built (every SQuAD dev paragraph an article).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qa import QA
from qa.evaluation import metrics as m
from qa.evaluation.squad import load_squad, sample
from qa.rules.decisions import BEARS_LOGIT, BEARS_SCORE

PAIRS = [(s, g) for s in (0.05, 0.08, 0.1) for g in (-4.0, -2.0, 0.0)] + [(BEARS_SCORE, BEARS_LOGIT)]


def main() -> None:
    """Read every citation of the sample, then print what each threshold pair prunes (JSON lines)."""
    p = argparse.ArgumentParser(prog="python -m lab citation-relevance", description=__doc__.split("\n")[0])
    p.add_argument("--squad", default="../shared/eval/squad-dev-v1.1.json")
    p.add_argument("--squad-index", required=True)
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--k", type=int, default=5)
    args = p.parse_args()
    qa = QA(Path(args.squad_index))
    reader = qa.reader()
    if reader is None:
        raise SystemExit("no reader weights: nothing to measure")
    retriever = qa.retriever()
    later: list[tuple[str, dict[str, float | bool]]] = []
    for q in sample(load_squad(args.squad).questions, args.limit):
        found = retriever.retrieve(q.question, k=args.k)
        items = [(c.sentence, *retriever.neighbours(row)) for c, row in zip(found.citations, found.rows)]
        for c, reading in list(zip(found.citations, reader.read(q.question, items)))[1:]:
            later.append((q.id, {"score": c.score, "logit": reading.answerable,
                                 "gold": m.contains_answer(c.sentence, q.answers)}))
    print(json.dumps({"later_citations": len(later), "holding_the_answer": sum(bool(r["gold"]) for _, r in later)}))
    for score, logit in PAIRS:
        out = [(qid, r) for qid, r in later if r["score"] < score and r["logit"] < logit]
        print(json.dumps({"score_under": score, "logit_under": logit, "left_out": len(out),
                          "left_out_holding_the_answer": sum(bool(r["gold"]) for _, r in out)}))


if __name__ == "__main__":
    main()
