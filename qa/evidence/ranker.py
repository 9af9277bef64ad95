"""The evidence scorer: a small model over sentence features; weights ship in `ranker_weights.json`.

The weights are learned by `qa train` on SQuAD questions of half of the dev set's Wikipedia titles
(see `qa/train.py`). Two model kinds:

- boosted trees (the default; LightGBM's lambdarank at training time, evaluated here with numpy, so
  answering needs no LightGBM): score = sigmoid(a * sum of tree leaves + b);
- logistic regression, optionally with one small hidden layer: score = sigmoid(w . h + b),
  h = relu(W1 x' + b1) (or h = x'), x' = standardised features.

Plain JSON, no pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from qa.evidence.features import FEATURES

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
_PREDICT_BATCH = 4096


@dataclass(frozen=True)
class Forest:
    """Regression trees as padded arrays, one row per tree; a leaf has feature -1.

    A row goes left at a node when `x[feature] <= threshold` (LightGBM's numerical split).
    """

    feature: np.ndarray  # (n_trees, n_nodes) int
    threshold: np.ndarray  # (n_trees, n_nodes) float64
    left: np.ndarray  # (n_trees, n_nodes) int
    right: np.ndarray  # (n_trees, n_nodes) int
    value: np.ndarray  # (n_trees, n_nodes) float64 leaf values
    depth: int

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Sum of the leaves each row reaches, one per tree."""
        if len(x) > _PREDICT_BATCH:  # bound the (rows x trees) work arrays
            return np.concatenate([self.predict(x[i:i + _PREDICT_BATCH]) for i in range(0, len(x), _PREDICT_BATCH)])
        x = np.nan_to_num(np.asarray(x, np.float64))
        n_rows, n_features = x.shape
        n_trees = self.feature.shape[0]
        feature, threshold, children, value, base = self._flat
        flat_x = x.ravel()
        row_base = (np.arange(n_rows) * n_features)[:, None]
        node = np.broadcast_to(base.T, (n_rows, n_trees)).copy()
        for _ in range(self.depth):
            go_right = flat_x[row_base + feature[node]] > threshold[node]
            node = children[2 * node + go_right]
        return value[node].sum(axis=1)

    @cached_property
    def _flat(self) -> tuple[np.ndarray, ...]:
        """Flat node ids (tree * width + node); a leaf points at itself and never moves."""
        n_trees, width = self.feature.shape
        inner = self.feature >= 0
        base = (np.arange(n_trees) * width)[:, None]
        children = np.stack([(self.left + base).ravel(), (self.right + base).ravel()], axis=1).ravel()
        return (np.where(inner, self.feature, 0).ravel(), np.where(inner, self.threshold, np.inf).ravel(),
                children, self.value.ravel(), base)

    @classmethod
    def from_lightgbm(cls, dumped: dict[str, Any]) -> "Forest":
        """From `Booster.dump_model()` (numerical splits only)."""
        tables: list[list[tuple[int, float, int, int, float]]] = []
        depth = 0
        for info in dumped["tree_info"]:
            table: list[tuple[int, float, int, int, float]] = []

            def add(node: dict[str, Any], level: int, table: list[tuple[int, float, int, int, float]]) -> int:
                nonlocal depth
                depth = max(depth, level)
                at = len(table)
                if "leaf_value" in node or "split_feature" not in node:
                    table.append((-1, 0.0, at, at, float(node.get("leaf_value", 0.0))))
                    return at
                if node.get("decision_type", "<=") != "<=":
                    raise ValueError("only numerical '<=' splits are supported")
                table.append((0, 0.0, 0, 0, 0.0))
                left = add(node["left_child"], level + 1, table)
                right = add(node["right_child"], level + 1, table)
                table[at] = (int(node["split_feature"]), float(node["threshold"]), left, right, 0.0)
                return at

            add(info["tree_structure"], 0, table)
            tables.append(table)
        return cls.from_tables(tables, depth)

    @classmethod
    def from_tables(cls, tables: list[list[tuple[int, float, int, int, float]]], depth: int) -> "Forest":
        """From per-tree node tables of (feature, threshold, left, right, value)."""
        width = max((len(t) for t in tables), default=1)
        arrays = np.zeros((5, len(tables), width), np.float64)
        arrays[0] = -1
        for i, table in enumerate(tables):
            if table:
                arrays[:, i, : len(table)] = np.asarray(table, np.float64).T
        return cls(arrays[0].astype(np.int64), arrays[1], arrays[2].astype(np.int64), arrays[3].astype(np.int64),
                   arrays[4], depth + 1)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: per tree, its node table."""
        tables = []
        for i in range(self.feature.shape[0]):
            n = int(max(self.left[i].max(), self.right[i].max())) + 1  # every node but the root is a child
            tables.append([[int(self.feature[i, j]), float(self.threshold[i, j]), int(self.left[i, j]),
                            int(self.right[i, j]), round(float(self.value[i, j]), 7)] for j in range(n)])
        return {"depth": self.depth - 1, "trees": tables}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Forest":
        """Read what `to_dict` wrote."""
        return cls.from_tables([[tuple(node) for node in tree] for tree in data["trees"]],  # type: ignore[misc]
                               int(data["depth"]))


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
    forest: Forest | None = None  # boosted trees over the raw features; `weights[0]`, `bias` scale their sum

    def score(self, features: np.ndarray) -> np.ndarray:
        """Probability-like score per row of `features`."""
        if self.forest is not None:
            z = self.forest.predict(features) * float(self.weights[0]) + self.bias
            return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
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
        if self.forest is not None:
            out["weights"] = [round(float(v), 6) for v in self.weights]
            out["forest"] = self.forest.to_dict()
        elif self.hidden_w is not None and self.hidden_b is not None:
            out["hidden"] = {"w": self.hidden_w.round(6).tolist(), "b": self.hidden_b.round(6).tolist()}
            out["weights"] = [round(float(v), 6) for v in self.weights]
        else:
            out["weights"] = {f: round(float(v), 6) for f, v in zip(FEATURES, self.weights)}
        out["info"] = self.info
        return out

    def save(self, path: Path = WEIGHTS_FILE) -> None:
        """Write the weights as JSON."""
        data = self.to_dict()
        text = json.dumps(data, separators=(",", ":")) if self.forest else json.dumps(data, indent=1)  # trees: compact
        path.write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "Ranker":
        """Learned weights if shipped (and made for these features), else the hand-set ones."""
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            if list(data.get("features", FEATURES)) == list(FEATURES):
                hidden = data.get("hidden")
                weights = data["weights"]
                forest = Forest.from_dict(data["forest"]) if "forest" in data else None
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
                    forest=forest,
                )
        n = len(FEATURES)
        return cls(
            weights=np.asarray([_DEFAULT.get(f, 0.0) for f in FEATURES], np.float32),
            bias=_DEFAULT["bias"],
            mean=np.zeros(n, np.float32),
            scale=np.ones(n, np.float32),
        )
