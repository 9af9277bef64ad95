"""Learn the evidence scorer on SQuAD: dump candidate features once, then fit a small model on half the titles.

`qa train SQUAD_FILE --index DIR` asks every question open (over all paragraphs), records each candidate
sentence's features and whether it holds a gold answer, splits the questions by Wikipedia title (fixed
seed: `qa.evaluation.squad.split_titles`), fits on the training half and reports on the other half.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from qa.evaluation.metrics import contains_answer
from qa.evaluation.squad import Question
from qa.evidence.ranker import FEATURES, Ranker

FALSE_ABSTENTION_TARGET = 0.005  # threshold: abstain on at most this share of answerable training questions


@dataclass
class FeatureDump:
    """Candidate features of many questions, flattened; `offsets[i]:offsets[i+1]` are question i's rows."""

    features: np.ndarray  # (n_rows, n_features)
    labels: np.ndarray  # 1 when the sentence holds a gold answer
    gold_article: np.ndarray  # 1 when the sentence is in the gold paragraph
    offsets: np.ndarray  # (n_questions + 1,)
    titles: np.ndarray  # Wikipedia title of each question

    def save(self, path: str | Path) -> None:
        """Write as npz."""
        np.savez_compressed(path, features=self.features, labels=self.labels, gold_article=self.gold_article,
                            offsets=self.offsets, titles=self.titles, names=np.asarray(FEATURES))

    @classmethod
    def load(cls, path: str | Path) -> "FeatureDump":
        """Read an npz written by `save` (refused when the feature list changed)."""
        data = np.load(path, allow_pickle=False)
        if list(data["names"]) != list(FEATURES):
            raise ValueError(f"{path}: made for other features; dump again")
        return cls(data["features"], data["labels"], data["gold_article"], data["offsets"], data["titles"])

    def subset(self, keep: np.ndarray) -> "FeatureDump":
        """The questions where `keep` is True."""
        parts, labels, gold, offsets = [], [], [], [0]
        for i in np.flatnonzero(keep):
            a, b = self.offsets[i], self.offsets[i + 1]
            parts.append(self.features[a:b])
            labels.append(self.labels[a:b])
            gold.append(self.gold_article[a:b])
            offsets.append(offsets[-1] + b - a)
        width = self.features.shape[1]
        return FeatureDump(np.concatenate(parts) if parts else np.zeros((0, width), np.float32),
                           np.concatenate(labels) if labels else np.zeros(0, np.int8),
                           np.concatenate(gold) if gold else np.zeros(0, np.int8),
                           np.asarray(offsets, np.int64), self.titles[keep])


def dump_features(engine: Any, questions: list[Question], *, vectors: np.ndarray | None = None,
                  progress: Callable[[int], None] | None = None) -> FeatureDump:
    """Ask every question open and record each candidate sentence's features and labels."""
    retriever = engine.retriever()
    corpus = retriever.corpus
    if vectors is None:
        vectors = engine.embedder.encode([q.question for q in questions])
    parts, labels, gold, offsets = [], [], [], [0]
    for i, (q, vector) in enumerate(zip(questions, vectors)):
        found = retriever.candidates(q.question, vector)
        if found is None:
            offsets.append(offsets[-1])
            continue
        parts.append(found.features)
        labels.append(np.asarray([contains_answer(corpus.sentence_text[r], q.answers) for r in found.rows], np.int8))
        gold_row = corpus.article_row.get(q.article_id, -1)
        gold.append((corpus.sentence_article[found.rows] == gold_row).astype(np.int8))
        offsets.append(offsets[-1] + len(found.rows))
        if progress:
            progress(i + 1)
    return FeatureDump(np.concatenate(parts).astype(np.float32), np.concatenate(labels), np.concatenate(gold),
                       np.asarray(offsets, np.int64), np.asarray([q.title for q in questions]))


def top1_accuracy(scores: np.ndarray, dump: FeatureDump) -> dict[str, float]:
    """Share of questions whose best-scored candidate holds a gold answer, and candidate recall."""
    n = len(dump.offsets) - 1
    hit = recall = top5 = 0
    for i in range(n):
        a, b = dump.offsets[i], dump.offsets[i + 1]
        if a == b:
            continue
        order = np.argsort(-scores[a:b], kind="stable")
        lab = dump.labels[a:b]
        hit += int(lab[order[0]])
        top5 += int(lab[order[:5]].any())
        recall += int(lab.any())
    return {"questions": n, "first_holds_answer": hit / max(n, 1), "top5_holds_answer": top5 / max(n, 1),
            "candidate_recall": recall / max(n, 1)}


def _platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Platt scaling: (a, b) such that sigmoid(a * score + b) is the chance a candidate holds the answer."""
    from sklearn.linear_model import LogisticRegression

    platt = LogisticRegression(C=100.0, max_iter=1000).fit(scores[:, None], labels.astype(int))
    return float(platt.coef_[0][0]), float(platt.intercept_[0])


def fit_listwise(dump: FeatureDump, *, hidden: int = 16, epochs: int = 40, seed: int = 0, lr: float = 3e-3,
                 weight_decay: float = 1e-4) -> Ranker:
    """Fit a scorer with a listwise loss: per question, the softmax mass on answer-holding candidates.

    Ranking the right sentence first is what counts, so the loss compares a question's candidates with
    each other; a final 1-D logistic fit (Platt scaling) turns the scores into probabilities again.
    """
    import torch

    torch.manual_seed(seed)
    x = dump.features.astype(np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    xs = ((x - mean) / scale).astype(np.float32)
    spans = [(a, b) for a, b in zip(dump.offsets[:-1], dump.offsets[1:]) if b > a and dump.labels[a:b].any()]
    width = max(b - a for a, b in spans)
    feats = np.zeros((len(spans), width, xs.shape[1]), np.float32)
    valid = np.zeros((len(spans), width), bool)
    pos = np.zeros((len(spans), width), bool)
    for i, (a, b) in enumerate(spans):
        feats[i, : b - a] = xs[a:b]
        valid[i, : b - a] = True
        pos[i, : b - a] = dump.labels[a:b] > 0
    tx_, tv, tp = torch.from_numpy(feats), torch.from_numpy(valid), torch.from_numpy(pos)
    layers: list[Any] = [torch.nn.Linear(xs.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)] \
        if hidden else [torch.nn.Linear(xs.shape[1], 1)]
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    neg = torch.tensor(-1e9)
    for _ in range(epochs):
        for batch in torch.randperm(len(spans), generator=gen).split(128):
            z = model(tx_[batch]).squeeze(-1)
            all_ = torch.logsumexp(torch.where(tv[batch], z, neg), dim=1)
            good = torch.logsumexp(torch.where(tp[batch], z, neg), dim=1)
            loss = (all_ - good).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        logits = model(torch.from_numpy(xs)).squeeze(-1).numpy().astype(np.float64)
    a, b = _platt(logits, dump.labels)
    params = [p.detach().numpy().astype(np.float32) for p in model.parameters()]
    if hidden:
        w1, b1, w2, b2 = params
        return Ranker(weights=(w2[0] * a).astype(np.float32), bias=float(b2[0] * a + b), mean=mean.astype(np.float32),
                      scale=scale.astype(np.float32), hidden_w=w1, hidden_b=b1)
    w, bias = params
    return Ranker(weights=(w[0] * a).astype(np.float32), bias=float(bias[0] * a + b), mean=mean.astype(np.float32),
                  scale=scale.astype(np.float32))


# Compared by 2-fold cross-validation inside the training half (12 titles against 12): leaves 7-31, depth
# 4-unlimited, 300-800 trees scored within 0.002 of each other; the shallow, cheap one was kept.
TREE_PARAMS: dict[str, Any] = {
    "objective": "lambdarank", "num_leaves": 15, "max_depth": 6, "learning_rate": 0.05, "n_estimators": 300,
    "min_child_samples": 50, "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8,
}


def fit_trees(dump: FeatureDump, *, seed: int = 0, params: dict[str, Any] | None = None) -> Ranker:
    """Fit boosted trees with LightGBM's lambdarank (per question, rank answer-holding sentences first).

    A final 1-D logistic fit (Platt scaling) turns the summed leaves into probabilities for the
    abstention threshold. The trees are exported to plain arrays (`qa.evidence.ranker.Forest`).
    """
    import lightgbm

    from qa.evidence.ranker import Forest

    sizes = np.diff(dump.offsets)
    model = lightgbm.LGBMRanker(random_state=seed, verbose=-1, n_jobs=2, **(params or TREE_PARAMS))
    model.fit(dump.features, dump.labels, group=sizes[sizes > 0])
    forest = Forest.from_lightgbm(model.booster_.dump_model())
    a, b = _platt(forest.predict(dump.features), dump.labels)
    n = dump.features.shape[1]
    return Ranker(weights=np.asarray([a], np.float32), bias=b,
                  mean=np.zeros(n, np.float32), scale=np.ones(n, np.float32), forest=forest)


def calibrate_threshold(ranker: Ranker, dump: FeatureDump, target: float = FALSE_ABSTENTION_TARGET) -> float:
    """The top-score threshold under which at most `target` of the (answerable) questions fall."""
    scores = ranker.score(dump.features)
    tops = [float(scores[a:b].max()) for a, b in zip(dump.offsets[:-1], dump.offsets[1:]) if b > a]
    return float(np.quantile(tops, target)) if tops else ranker.threshold


def _features(engine: Any, data: Any, cache: Path | None, progress: bool) -> "FeatureDump":
    """The candidate features of every SQuAD question: from `cache` when it holds them, else dumped (and cached)."""
    from qa.evaluation.evaluation import ingest_squad

    if cache is not None and cache.exists():
        try:
            return FeatureDump.load(cache)
        except ValueError:
            pass
    ingest_squad(engine, data.articles, progress=progress)
    bar: Any = None
    if progress:
        import sys

        from tqdm import tqdm

        bar = tqdm(total=len(data.questions), unit=" questions", file=sys.stderr, desc="features")
    qcache = cache.with_suffix(".questions.npy") if cache is not None else None
    vectors = np.load(qcache) if qcache is not None and qcache.exists() else None
    if vectors is None or len(vectors) != len(data.questions):
        vectors = engine.embedder.encode([q.question for q in data.questions])
        if qcache is not None:
            np.save(qcache, vectors)
    dump = dump_features(engine, data.questions, vectors=vectors, progress=(lambda i: bar.update(1)) if bar else None)
    if bar:
        bar.close()
    if cache is not None:
        dump.save(cache)
    return dump


def train(engine: Any, squad_path: str | Path, *, features: str | Path | None = None, model: str = "trees",
          hidden: int = 0, save: bool = True,
          progress: bool = False) -> dict[str, Any]:
    """Dump (or reuse) SQuAD candidate features, fit on the training titles, report both halves.

    The shipped weights are the ones fitted on the training half only, so the test-half figures
    are honest held-out figures.
    """
    from qa.evaluation.squad import load_squad, split_titles

    data = load_squad(squad_path)
    dump = _features(engine, data, Path(features) if features else None, progress)
    train_titles, test_titles = split_titles(data.questions)
    in_train = np.asarray([t in train_titles for t in dump.titles])
    train_part, test_part = dump.subset(in_train), dump.subset(~in_train)
    if model == "trees":
        ranker = fit_trees(train_part)
        loss = f"LightGBM lambdarank {TREE_PARAMS} + Platt scaling"
    else:
        ranker = fit_listwise(train_part, hidden=hidden)
        loss = "listwise softmax + Platt scaling"
    threshold = calibrate_threshold(ranker, train_part)
    info = {"trained_on": "SQuAD v1.1 dev, questions of the training half of its Wikipedia titles",
            "train_titles": sorted(train_titles), "model": model, "hidden": hidden, "loss": loss,
            "false_abstention_target": FALSE_ABSTENTION_TARGET}
    ranker = replace(ranker, threshold=threshold, info=info)
    result = {
        "train": top1_accuracy(ranker.score(train_part.features), train_part),
        "test": top1_accuracy(ranker.score(test_part.features), test_part),
        "threshold": round(threshold, 4),
        "train_titles": len(train_titles),
        "test_titles": len(test_titles),
    }
    if save:
        ranker.save()
    return result
