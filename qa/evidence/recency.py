"""Questions that want the newest ("latest", "current", "still"): the ranker's score with the article's age.

Two features join the ranker's logit when a question wants recency and gives no period: the article's
age relative to `as_of` (log days) and how far it lies behind the newest candidate article (log days).
Their weights are fitted on generated dated archives (`python -m lab train-recency`), not set by hand; an undated
article counts as the oldest candidate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

WEIGHTS_FILE = Path(__file__).with_name("recency_weights.json")
DAY = 86400.0


@lru_cache(maxsize=4)
def _weights(path: Path) -> tuple[float, float]:
    """(age weight, behind weight) from a weights file; the question path must not read it every time."""
    weights = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return float(weights.get("age_weight", 0.0)), float(weights.get("behind_weight", 0.0))


@dataclass(frozen=True)
class Recency:
    """Age features and their weights, for one question asked `as_of` (epoch seconds)."""

    as_of: float
    age_weight: float
    behind_weight: float

    @classmethod
    def load(cls, as_of: float, path: Path = WEIGHTS_FILE) -> "Recency":
        """The shipped weights (zero, i.e. no effect, when none ship), read once per process."""
        age, behind = _weights(path)
        return cls(as_of, age, behind)

    def features(self, published: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(log1p age in days, log1p days behind the newest) of candidates published at these times."""
        times = np.asarray(published, np.float64)
        dated = ~np.isnan(times)
        oldest = times[dated].min() if dated.any() else self.as_of
        times = np.where(dated, times, oldest)
        age = np.log1p(np.maximum(self.as_of - times, 0.0) / DAY)
        behind = np.log1p(np.maximum(times.max() - times, 0.0) / DAY) if len(times) else age
        return age, behind

    def rescore(self, scores: np.ndarray, published: np.ndarray) -> np.ndarray:
        """Ranker scores (probabilities) moved by the age features, still in (0, 1)."""
        if not len(scores) or (self.age_weight == 0 and self.behind_weight == 0):
            return scores
        age, behind = self.features(published)
        p = np.clip(scores.astype(np.float64), 1e-6, 1 - 1e-6)
        logit = np.log(p / (1 - p)) - self.age_weight * age - self.behind_weight * behind
        return (1 / (1 + np.exp(-logit))).astype(scores.dtype)
