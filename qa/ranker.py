"""A linear model over evidence features; weights ship in `ranker_weights.json` (see `qa train`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES = (
    "dense_sentence",
    "dense_context",
    "bm25_sentence",
    "overlap",
    "context_overlap",
    "article_rrf",
    "sentence_rrf",
    "answer_type",
    "novelty",
    "log_length",
)
WEIGHTS_FILE = Path(__file__).with_name("ranker_weights.json")

# Hand-set starting point, used when no learned weights ship.
_DEFAULT = {
    "bias": -4.0,
    "dense_sentence": 3.0,
    "dense_context": 1.0,
    "bm25_sentence": 1.0,
    "overlap": 2.5,
    "context_overlap": 0.5,
    "article_rrf": 1.0,
    "sentence_rrf": 0.5,
    "answer_type": 0.8,
    "novelty": 0.3,
    "log_length": 0.0,
}


@dataclass(frozen=True)
class Ranker:
    """score = sigmoid(bias + w . standardised features): the probability a sentence answers."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float = 0.2  # below this the best sentence is not evidence: abstain

    def score(self, features: np.ndarray) -> np.ndarray:
        """Probability-like score per row of `features`."""
        z = ((features - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "Ranker":
        """Learned weights if shipped, else the hand-set ones."""
        if path.exists():
            data = json.loads(path.read_text())
            return cls(
                weights=np.asarray([data["weights"][f] for f in FEATURES], np.float32),
                bias=float(data["bias"]),
                mean=np.asarray([data["mean"][f] for f in FEATURES], np.float32),
                scale=np.asarray([data["scale"][f] for f in FEATURES], np.float32),
                threshold=float(data.get("threshold", 0.2)),
            )
        n = len(FEATURES)
        return cls(
            weights=np.asarray([_DEFAULT[f] for f in FEATURES], np.float32),
            bias=_DEFAULT["bias"],
            mean=np.zeros(n, np.float32),
            scale=np.ones(n, np.float32),
        )
