"""The evidence ranker: numpy tree evaluation matches LightGBM, weights round-trip, shipped weights load."""

from __future__ import annotations

import numpy as np
import pytest

from qa.evidence.ranker import FEATURES, WEIGHTS_FILE, Forest, Ranker
from qa.training.ranker import FeatureDump, fit_trees, top1_accuracy


def test_forest_walks_hand_made_trees() -> None:
    # tree 0: x0 <= 0.5 ? 1.0 : (x1 <= 2 ? 2.0 : 3.0); tree 1: a single leaf 0.25
    tables = [[(0, 0.5, 1, 2, 0.0), (-1, 0.0, 1, 1, 1.0), (1, 2.0, 3, 4, 0.0), (-1, 0.0, 3, 3, 2.0),
               (-1, 0.0, 4, 4, 3.0)], [(-1, 0.0, 0, 0, 0.25)]]
    forest = Forest.from_tables(tables, depth=2)
    x = np.asarray([[0.5, 9.0], [0.6, 2.0], [0.6, 2.1], [-1.0, 0.0]])
    assert forest.predict(x).tolist() == [1.25, 2.25, 3.25, 1.25]


def _synthetic_dump(n_questions: int = 120, per: int = 12, seed: int = 0) -> FeatureDump:
    rng = np.random.default_rng(seed)
    width = len(FEATURES)
    feats = rng.normal(size=(n_questions * per, width)).astype(np.float32)
    # the answer-holding sentence is the one with the largest 'overlap' plus a little 'dense_sentence'
    labels = np.zeros(n_questions * per, np.int8)
    o, d = FEATURES.index("overlap"), FEATURES.index("dense_sentence")
    for q in range(n_questions):
        block = feats[q * per:(q + 1) * per]
        labels[q * per + int(np.argmax(block[:, o] + 0.3 * block[:, d]))] = 1
    offsets = np.arange(0, n_questions * per + 1, per, dtype=np.int64)
    return FeatureDump(feats, labels, labels.copy(), offsets, np.asarray(["t"] * n_questions))


def test_numpy_forest_matches_lightgbm_and_learns() -> None:
    lightgbm = pytest.importorskip("lightgbm", reason="lightgbm is a training dependency")
    train, test = _synthetic_dump(seed=0), _synthetic_dump(seed=1)
    params = {"objective": "lambdarank", "num_leaves": 7, "n_estimators": 40, "min_child_samples": 5}
    ranker = fit_trees(train, params=params)
    assert ranker.forest is not None
    booster = lightgbm.LGBMRanker(random_state=0, verbose=-1, n_jobs=2, **params)
    booster.fit(train.features, train.labels, group=np.diff(train.offsets))
    np.testing.assert_allclose(ranker.forest.predict(test.features), booster.predict(test.features), atol=1e-6)
    # ranking by the learned score puts the answer first far more often than chance (1 in 12)
    assert top1_accuracy(ranker.score(test.features), test)["first_holds_answer"] > 0.6


def test_ranker_round_trips_through_json(tmp_path) -> None:
    ranker = fit_trees(_synthetic_dump(), params={"objective": "lambdarank", "num_leaves": 5, "n_estimators": 10,
                                                  "min_child_samples": 5})
    path = tmp_path / "weights.json"
    ranker.save(path)
    again = Ranker.load(path)
    x = _synthetic_dump(seed=3).features
    np.testing.assert_allclose(again.score(x), ranker.score(x), rtol=1e-5)


def test_shipped_weights_are_trees_made_for_these_features() -> None:
    # Ranker.load falls back to hand-set weights when the file was made for other features: that must
    # never be what ships
    ranker = Ranker.load(WEIGHTS_FILE)
    assert ranker.forest is not None, "qa/ranker_weights.json is stale: run `qa train`"
    assert int(ranker.forest.feature.max()) < len(FEATURES)
    scores = ranker.score(np.zeros((3, len(FEATURES)), np.float32))
    assert scores.shape == (3,) and np.all((scores > 0) & (scores < 1))
