"""Evaluation metrics: SQuAD's answer normalisation, EM/F1, hit@k, MRR, abstention, percentiles."""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from typing import Iterable, Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = frozenset(string.punctuation)


def squad_normalize(text: str) -> str:
    """SQuAD's official normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals a normalised gold answer."""
    p = squad_normalize(prediction)
    return float(any(p == squad_normalize(g) for g in golds))


def _f1(prediction: str, gold: str) -> float:
    p, g = squad_normalize(prediction).split(), squad_normalize(gold).split()
    common = Counter(p) & Counter(g)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def f1_score(prediction: str, golds: Sequence[str]) -> float:
    """Best token F1 of the prediction against any gold answer (SQuAD's definition)."""
    return max((_f1(prediction, g) for g in golds), default=0.0)


def plain_normalize(text: str) -> str:
    """Case- and whitespace-normalised text (how 'the sentence contains the answer' is checked)."""
    return " ".join(text.lower().split())


def contains_answer(sentence: str, golds: Iterable[str]) -> bool:
    """True when the sentence holds one of the gold answers (case and whitespace normalised)."""
    s = plain_normalize(sentence)
    return any(plain_normalize(g) in s for g in golds if g.strip())


def hit_at(rank: int | None, k: int) -> float:
    """1.0 when a 1-based rank is within the top k."""
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None, k: int = 10) -> float:
    """1/rank within the top k, else 0 (MRR@k per question)."""
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def first_rank(ranked: Sequence[str], gold: str) -> int | None:
    """1-based position of `gold` among distinct items of `ranked`, or None."""
    for i, item in enumerate(dict.fromkeys(ranked), start=1):
        if item == gold:
            return i
    return None


def abstention(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Precision and recall of abstaining on unanswerable questions; false-abstention rate on answerable ones."""
    tp = sum(a and not ok for a, ok in zip(abstained, answerable))
    n_abstain = sum(abstained)
    n_unanswerable = sum(not ok for ok in answerable)
    n_answerable = len(answerable) - n_unanswerable
    false = sum(a and ok for a, ok in zip(abstained, answerable))
    return {
        "abstention_precision": tp / n_abstain if n_abstain else None,
        "abstention_recall": tp / n_unanswerable if n_unanswerable else None,
        "false_abstention_rate": false / n_answerable if n_answerable else None,
    }


def percentiles(values: Sequence[float], points: Sequence[int] = (50, 95, 99)) -> dict[str, float]:
    """Nearest-rank percentiles, e.g. {'p50': ..., 'p95': ..., 'p99': ...}."""
    if not values:
        return {f"p{p}": 0.0 for p in points}
    ordered = sorted(values)
    out = {}
    for p in points:
        i = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
        out[f"p{p}"] = round(float(ordered[i]), 2)
    return out


def mean(values: Iterable[float]) -> float | None:
    """Arithmetic mean, or None for no values."""
    vals = list(values)
    return sum(vals) / len(vals) if vals else None
