"""The evidence scorer: a small model over sentence features; weights ship in `ranker_weights.json`.

The weights are learned by `qa train` on SQuAD questions of half of the dev set's Wikipedia titles
(see `qa/train.py`). The model is logistic regression, optionally with one small hidden layer:
score = sigmoid(w . h + b), h = relu(W1 x' + b1) (or h = x' without a hidden layer), x' = standardised
features. Plain JSON, no pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FEATURES = (
    "dense_sentence",
    "dense_context",
    "dense_neighbours",
    "dense_chunk",
    "dense_article",
    "dense_gap",
    "dense_context_gap",
    "dense_rank",
    "bm25_sentence",
    "bm25_chunk",
    "bm25_sentence_log",
    "overlap",
    "overlap_gap",
    "overlap_rank",
    "context_overlap",
    "article_overlap",
    "title_overlap",
    "bigram_overlap",
    "article_rrf",
    "sentence_rrf",
    "answer_type",
    "wants_type",
    "novelty",
    "log_length",
    "position",
    "n_candidates",
    "max_idf_match",
    "question_terms",
    "art_max_dense",
    "art_max_overlap",
    "art_max_bm25",
    "art_candidates",
    "dense_art_gap",
    "overlap_art_gap",
    "art_dense_rank",
    "art_overlap_rank",
    "dense_article_rank",
    "prev_overlap",
    "next_overlap",
    "raw_bigram",
    "raw_trigram",
    "term_density",
    "new_names",
    "has_digit",
    "has_year",
    "bm25_article",
    "asks_what",
    "asks_which",
    "asks_who",
    "asks_when",
    "asks_where",
    "asks_how",
    "asks_why",
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
}
DEFAULT_THRESHOLD = 0.2


@dataclass(frozen=True)
class Ranker:
    """Probability that a sentence holds the answer, from its standardised features."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float = DEFAULT_THRESHOLD  # below this the best sentence is not evidence: abstain
    hidden_w: np.ndarray | None = None  # (n_hidden, n_features)
    hidden_b: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def score(self, features: np.ndarray) -> np.ndarray:
        """Probability-like score per row of `features`."""
        x = (features - self.mean) / self.scale
        if self.hidden_w is not None and self.hidden_b is not None:
            x = np.maximum(x @ self.hidden_w.T + self.hidden_b, 0.0)
        z = x @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what `load` reads)."""
        out: dict[str, Any] = {
            "features": list(FEATURES),
            "mean": {f: float(v) for f, v in zip(FEATURES, self.mean)},
            "scale": {f: float(v) for f, v in zip(FEATURES, self.scale)},
            "bias": float(self.bias),
            "threshold": float(self.threshold),
        }
        if self.hidden_w is not None and self.hidden_b is not None:
            out["hidden"] = {"w": self.hidden_w.round(6).tolist(), "b": self.hidden_b.round(6).tolist()}
            out["weights"] = [round(float(v), 6) for v in self.weights]
        else:
            out["weights"] = {f: round(float(v), 6) for f, v in zip(FEATURES, self.weights)}
        out["info"] = self.info
        return out

    def save(self, path: Path = WEIGHTS_FILE) -> None:
        """Write the weights as JSON."""
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "Ranker":
        """Learned weights if shipped (and made for these features), else the hand-set ones."""
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            if list(data.get("features", FEATURES)) == list(FEATURES):
                hidden = data.get("hidden")
                weights = data["weights"]
                return cls(
                    weights=np.asarray(weights if isinstance(weights, list) else [weights[f] for f in FEATURES],
                                       np.float32),
                    bias=float(data["bias"]),
                    mean=np.asarray([data["mean"][f] for f in FEATURES], np.float32),
                    scale=np.asarray([data["scale"][f] for f in FEATURES], np.float32),
                    threshold=float(data.get("threshold", DEFAULT_THRESHOLD)),
                    hidden_w=np.asarray(hidden["w"], np.float32) if hidden else None,
                    hidden_b=np.asarray(hidden["b"], np.float32) if hidden else None,
                    info=dict(data.get("info", {})),
                )
        n = len(FEATURES)
        return cls(
            weights=np.asarray([_DEFAULT.get(f, 0.0) for f in FEATURES], np.float32),
            bias=_DEFAULT["bias"],
            mean=np.zeros(n, np.float32),
            scale=np.ones(n, np.float32),
        )
