"""The reader: a question and candidate sentences (each with its neighbours) in; per sentence an answer span
inside it (character offsets) and how likely the sentence answers the question at all.

A MiniLM fine-tuned on SQuAD (`qa train reader`, `qa.training.reader`), run by onnxruntime (int8 weights), tokenised by the
model's own fast tokenizer. Input of one item, at most `max_tokens` word pieces:

    [CLS] question [SEP] end of previous sentence [unused0] sentence [unused1] start of next sentence [SEP]

Spans are read only inside the marked sentence; answerability is a logit from [CLS]. Each item goes through the
model in its own call (what it reads does not depend on what else is read), and the last reads are kept, so a
sentence read twice for one question (a decision, then the check of a changed value) is read once. No torch here:
numpy, onnxruntime and `tokenizers`.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

MODEL_FILE = "reader-int8.onnx"
CONFIG_FILE = "reader.json"
TOKENIZER_FILE = "tokenizer.json"
KEPT_READS = 512  # single-sentence reads kept per reader (question, item, width): a question's sentences read again
MARKS = ("[unused0]", "[unused1]")  # before and after the sentence read (in the uncased BERT vocabulary)
_NEG = -1e4


# What a decision can read per sentence, by name (`Decision.features` picks and orders them).
FEATURES = ("reader_answerable_logit", "reader_span_logprob", "ranker_logit", "log1p_rank", "term_share")


@dataclass(frozen=True)
class Decision:
    """How reader and ranker scores combine: p(sentence holds the answer) = sigmoid(coef . features + bias).

    Features per sentence (`decision_features`, named in `features`): the reader's answerability logit, its
    span log-probability, the ranker's calibrated score as a logit, log(1 + rank), and the IDF-weighted share
    of the question's terms in the sentence or its neighbours (`qa.answers.coverage`). A question is answered
    when the best p among its first `n` cited sentences reaches `threshold`; the short answer is read from the
    first citation, or with `rerank` from the sentence with the best p. Fitted by `qa.training.reader_eval` on
    held-apart titles.
    """

    coef: tuple[float, ...] = (1.0, 0.0, 1.0, 0.0)
    bias: float = 0.0
    threshold: float = 0.5
    n: int = 3
    rerank: bool = False
    features: tuple[str, ...] = FEATURES[:4]

    def __post_init__(self) -> None:
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown or len(self.coef) != len(self.features):
            raise ValueError(f"decision: {len(self.coef)} weights for features {list(self.features)}"
                             + (f" (unknown: {unknown})" if unknown else ""))

    @property
    def reads_terms(self) -> bool:
        """Whether the decision needs the question's term share (and so the corpus's IDF)."""
        return "term_share" in self.features

    def scores(self, readings: Sequence["Reading"], ranker_scores: Sequence[float],
               term_share: Sequence[float] | None = None) -> np.ndarray:
        """p per sentence (as many as given)."""
        x = decision_features(np.asarray([r.answerable for r in readings], np.float64),
                              np.asarray([r.span_score for r in readings], np.float64),
                              np.asarray(ranker_scores, np.float64),
                              None if term_share is None else np.asarray(term_share, np.float64), self.features)
        return 1.0 / (1.0 + np.exp(-(x @ np.asarray(self.coef) + self.bias)))

    def choose(self, readings: Sequence["Reading"], ranker_scores: Sequence[float],
               term_share: Sequence[float] | None = None) -> tuple[int | None, float]:
        """(index of the sentence to answer from, or None to abstain; the best p) over the first `n`."""
        share = None if term_share is None else term_share[: self.n]
        p = self.scores(readings[: self.n], ranker_scores[: self.n], share)
        if not len(p):
            return None, 0.0
        best = float(p.max())
        if best < self.threshold:
            return None, best
        return (int(np.argmax(p)) if self.rerank else 0), best


def decision_features(answerable: np.ndarray, span: np.ndarray, ranker_p: np.ndarray,
                      term_share: np.ndarray | None = None,
                      names: Sequence[str] = FEATURES[:4]) -> np.ndarray:
    """Per sentence, in citation order, the named features (columns in the order of `names`)."""
    p = np.clip(ranker_p, 1e-6, 1 - 1e-6)
    columns = {"reader_answerable_logit": answerable, "reader_span_logprob": span,
               "ranker_logit": np.log(p / (1 - p)), "log1p_rank": np.log1p(np.arange(len(answerable)))}
    if "term_share" in names:
        if term_share is None:
            raise ValueError("the decision reads term_share: pass the question's term share per sentence")
        columns["term_share"] = term_share
    return np.column_stack([columns[name] for name in names]) if len(answerable) else np.zeros((0, len(names)))


@dataclass(frozen=True)
class ReaderConfig:
    """How items are cut into model input, and the thresholds learned with the weights."""

    max_tokens: int = 160  # whole input, special tokens included
    context_tokens: int = 24  # word pieces kept of each neighbour (the end of the previous, the start of the next)
    max_question_tokens: int = 48
    max_answer_tokens: int = 30
    model_file: str = MODEL_FILE
    decision: Decision = field(default_factory=Decision)
    info: dict[str, Any] = field(default_factory=dict)  # training settings, figures

    @classmethod
    def load(cls, path: str | Path) -> "ReaderConfig":
        """Read a `reader.json`."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if isinstance(known.get("decision"), dict):
            d = known["decision"]
            known["decision"] = Decision(**{**d, "coef": tuple(d.get("coef", Decision.coef)),
                                            "features": tuple(d.get("features", Decision.features))})
        return cls(**known)

    def save(self, path: str | Path) -> None:
        """Write as `reader.json`."""
        Path(path).write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Reading:
    """What the reader made of one sentence."""

    answerable: float  # logit that the sentence answers the question
    start: int  # answer span, character offsets within the sentence
    end: int
    span_score: float  # log p(start) + log p(end) of the span, among the sentence's word pieces
    answer: str
    alternatives: tuple[tuple[int, int, float], ...] = ()  # the best spans (start, end, span score), best first

    @property
    def probability(self) -> float:
        """sigmoid(answerable)."""
        return float(1.0 / (1.0 + np.exp(-self.answerable)))


@dataclass
class Batch:
    """Model input of several items, padded to one width, and where each item's sentence sits."""

    input_ids: np.ndarray  # (n, width) int64
    attention_mask: np.ndarray
    token_type_ids: np.ndarray
    target: np.ndarray  # (n, width) bool: word pieces of the sentence read
    char_start: np.ndarray  # (n, width) int: each sentence piece's offsets within the sentence (-1 elsewhere)
    char_end: np.ndarray
    word_first: np.ndarray  # (n, width) int: column of the first piece of the word this piece belongs to
    word_last: np.ndarray  # (n, width) int: column of its last piece

    def feeds(self) -> dict[str, np.ndarray]:
        """The three model inputs."""
        return {"input_ids": self.input_ids, "attention_mask": self.attention_mask,
                "token_type_ids": self.token_type_ids}


def load_tokenizer(path: str | Path) -> Any:
    """The fast tokenizer from a tokenizer.json, with no padding or truncation of its own."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def encode(tokenizer: Any, question: str, items: Sequence[tuple[str, str, str]], *, max_tokens: int = 160,
           context_tokens: int | Sequence[int] = 24, max_question_tokens: int = 48) -> Batch:
    """Cut (sentence, previous, next) items into model input for one question.

    Args:
        context_tokens: word pieces of each neighbour, one number for all items or one per item.
    """
    widths = [context_tokens] * len(items) if isinstance(context_tokens, int) else list(context_tokens)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    m0, m1 = (tokenizer.token_to_id(m) for m in MARKS)
    q = tokenizer.encode(question, add_special_tokens=False).ids[:max_question_tokens]
    texts = [t for s, p, n in items for t in (s, p, n)]
    enc = tokenizer.encode_batch(texts, add_special_tokens=False) if texts else []
    rows = []
    for i in range(len(items)):
        sent, prev, nxt = enc[3 * i], enc[3 * i + 1], enc[3 * i + 2]
        budget = max_tokens - len(q) - 5
        n_sent = min(len(sent.ids), max(budget, 1))
        room = max(budget - n_sent, 0)
        want = max(int(widths[i]), 0)
        left = min(want, len(prev.ids))
        right = min(want, len(nxt.ids))
        while left + right > room:  # share what room there is
            if left >= right:
                left -= 1
            else:
                right -= 1
        before = prev.ids[len(prev.ids) - left:] if left else []
        ids = [cls_id, *q, sep_id, *before, m0]
        first = len(ids)
        ids += sent.ids[:n_sent]
        ids += [m1, *nxt.ids[:right], sep_id]
        types = [0] * (len(q) + 2) + [1] * (len(ids) - len(q) - 2)
        offsets = sent.offsets[:n_sent]
        words = sent.word_ids[:n_sent]
        rows.append((ids, types, first, offsets, words))
    width = max((len(r[0]) for r in rows), default=1)
    n = len(rows)
    batch = Batch(np.zeros((n, width), np.int64), np.zeros((n, width), np.int64), np.zeros((n, width), np.int64),
                  np.zeros((n, width), bool), np.full((n, width), -1, np.int64), np.full((n, width), -1, np.int64),
                  np.tile(np.arange(width), (n, 1)), np.tile(np.arange(width), (n, 1)))
    for r, (ids, types, first, offsets, words) in enumerate(rows):
        batch.input_ids[r, : len(ids)] = ids
        batch.attention_mask[r, : len(ids)] = 1
        batch.token_type_ids[r, : len(types)] = types
        k = len(offsets)
        batch.target[r, first : first + k] = True
        batch.char_start[r, first : first + k] = [o[0] for o in offsets]
        batch.char_end[r, first : first + k] = [o[1] for o in offsets]
        j = 0
        while j < k:  # pieces of one word share their first and last column
            stop = j
            while stop + 1 < k and words[stop + 1] is not None and words[stop + 1] == words[j]:
                stop += 1
            batch.word_first[r, first + j : first + stop + 1] = first + j
            batch.word_last[r, first + j : first + stop + 1] = first + stop
            j = stop + 1
    return batch


def _log_softmax(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=-1, keepdims=True)
    return x - top - np.log(np.exp(x - top).sum(axis=-1, keepdims=True))


def best_spans(batch: Batch, start_logits: np.ndarray, end_logits: np.ndarray,
               max_answer_tokens: int = 30) -> list[tuple[int, int, float]]:
    """Per item, the best (start char, end char, log-probability) span within its sentence, widened to whole words."""
    return [found[0] for found in top_spans(batch, start_logits, end_logits, max_answer_tokens, n=1)]


def top_spans(batch: Batch, start_logits: np.ndarray, end_logits: np.ndarray, max_answer_tokens: int = 30,
              n: int = 5) -> list[list[tuple[int, int, float]]]:
    """Per item, up to `n` distinct (start char, end char, log-probability) spans, best first, widened to whole
    words (the first is `best_spans`'s)."""
    s = _log_softmax(np.where(batch.target, start_logits, _NEG))
    e = _log_softmax(np.where(batch.target, end_logits, _NEG))
    width = s.shape[1]
    i, j = np.arange(width)[:, None], np.arange(width)[None, :]
    allowed = (j >= i) & (j - i < max_answer_tokens)
    pair = np.where(allowed[None], s[:, :, None] + e[:, None, :], -np.inf)
    out = []
    for r in range(len(s)):
        flat = pair[r].ravel()
        want = min(len(flat), 4 * n)  # a few more: pieces of one word give the same span
        order = np.argpartition(-flat, want - 1)[:want] if want < len(flat) else np.arange(len(flat))
        order = order[np.argsort(-flat[order], kind="stable")]
        first = int(flat.argmax())  # on a tie, the best is argmax's (the first in reading order), as it always was
        order = np.concatenate(([first], order[order != first]))
        found: list[tuple[int, int, float]] = []
        seen: set[tuple[int, int]] = set()
        for f in order:
            if len(found) >= n or (found and not np.isfinite(flat[f])):
                break
            a, b = divmod(int(f), width)
            a, b = int(batch.word_first[r, a]), int(batch.word_last[r, b])
            chars = (int(batch.char_start[r, a]), int(batch.char_end[r, b]))
            if chars not in seen:
                seen.add(chars)
                found.append((*chars, float(flat[f])))
        out.append(found)
    return out


class Reader:
    """The reader model of a folder: `reader-int8.onnx` (or what `reader.json` names), `tokenizer.json`, `reader.json`."""

    def __init__(self, folder: str | Path, *, threads: int = 1, model_file: str | None = None) -> None:
        import onnxruntime as ort

        self.folder = Path(folder)
        self.config = ReaderConfig.load(self.folder / CONFIG_FILE)
        self.tokenizer = load_tokenizer(self.folder / TOKENIZER_FILE)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        path = self.folder / (model_file or self.config.model_file)
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._kept: OrderedDict[tuple[Any, ...], Reading] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, question: str, items: Sequence[tuple[str, str, str]], *, context_tokens: int | None = None,
             batched: bool = False) -> list[Reading]:
        """Read (sentence, previous sentence, next sentence) items for a question.

        Args:
            batched: all items in one model call (padded to the longest); by default one call per item, so that
                an item's reading does not depend on what else is read (the int8 graph scales its activations
                over the whole call) and no padding is computed.
        """
        if not items:
            return []
        if not batched:
            return [self._read_one(question, item, context_tokens) for item in items]
        return self._run(question, items, context_tokens)

    def forget(self) -> None:
        """Drop the kept reads (a benchmark's repeated question is then read afresh)."""
        with self._lock:
            self._kept.clear()

    def _read_one(self, question: str, item: tuple[str, str, str], context_tokens: int | None) -> Reading:
        """One item in its own call, or its kept reading when it was read last for the same question."""
        key = (question, *item, context_tokens)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        reading = self._run(question, [item], context_tokens)[0]
        with self._lock:
            self._kept[key] = reading
            while len(self._kept) > KEPT_READS:
                self._kept.popitem(last=False)
        return reading

    def _run(self, question: str, items: Sequence[tuple[str, str, str]], context_tokens: int | None) -> list[Reading]:
        """The items through the model in one call (padded to the longest)."""
        cfg = self.config
        batch = encode(self.tokenizer, question, items, max_tokens=cfg.max_tokens,
                       context_tokens=cfg.context_tokens if context_tokens is None else context_tokens,
                       max_question_tokens=cfg.max_question_tokens)
        start, end, answerable = self.session.run(None, batch.feeds())
        spans = top_spans(batch, start, end, cfg.max_answer_tokens)
        return [Reading(float(answerable[r]), found[0][0], found[0][1], found[0][2], items[r][0][found[0][0]:found[0][1]],
                        tuple(found)) for r, found in enumerate(spans)]
