"""Fine-tune the reader on examples, resumably: a checkpoint every few minutes, picked up where it stopped.

The examples are cut into model input once (`prepare`, cached in the work folder with each example's neighbour
width drawn once), batched by length (similar lengths together: most examples are far shorter than the
maximum), and the batch order fixed by the seed, so a resumed run sees exactly the batches it had left.
"""

from __future__ import annotations

import json
import pickle
import random
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from qa.answers.reader import ReaderConfig, encode, load_tokenizer
from qa.training.reader_corpus import Example

CONTEXT_CHOICES = (0, 0, 0, 16, 32)  # neighbour word pieces, drawn per example (most reads are of the sentence alone)


def features(tokenizer: Any, ex: Example, context: int, cfg: ReaderConfig) -> tuple[Any, ...]:
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
    return (b.input_ids[0, :n].astype(np.int32), b.token_type_ids[0, :n].astype(np.int8), b.target[0, :n],
            sorted(starts), sorted(ends), ex.label)


def prepare(examples: Sequence[Example], tokenizer: Any, cfg: ReaderConfig, seed: int) -> list[tuple[Any, ...]]:
    """Model input rows of every example, each with a neighbour width drawn from CONTEXT_CHOICES."""
    rng = random.Random(seed)
    return [features(tokenizer, ex, rng.choice(CONTEXT_CHOICES), cfg) for ex in examples]


def batches(rows: Sequence[tuple[Any, ...]], size: int, epochs: int, seed: int) -> list[list[int]]:
    """Index batches of similar length for all epochs (shuffled pools of 50 batches, sorted by length inside)."""
    rng = random.Random(seed)
    out: list[list[int]] = []
    for _ in range(epochs):
        order = list(range(len(rows)))
        rng.shuffle(order)
        pool = size * 50
        epoch: list[list[int]] = []
        for i in range(0, len(order), pool):
            part = sorted(order[i : i + pool], key=lambda j: len(rows[j][0]))
            epoch += [part[k : k + size] for k in range(0, len(part), size)]
        rng.shuffle(epoch)
        out += epoch
    return out


def collate(rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """Padded tensors of one batch."""
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
        ids[i, : len(a)] = torch.from_numpy(a.astype(np.int64))
        mask[i, : len(a)] = 1
        types[i, : len(a)] = torch.from_numpy(t.astype(np.int64))
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


def loss_of(model: Any, b: dict[str, Any], span_weight: float = 1.0) -> Any:
    """Answerability BCE plus the span loss of the positives (log-likelihood of any gold start and end)."""
    import torch

    neg = torch.tensor(-1e4)
    start, end, ans = model(b["ids"], b["mask"], b["types"])
    loss = torch.nn.functional.binary_cross_entropy_with_logits(ans, b["labels"])
    pos = (b["labels"] > 0) & b["gold_s"].any(dim=1) & b["gold_e"].any(dim=1)
    if pos.any():
        t = b["target"][pos]
        span_loss: Any = 0.0
        for logits, gold in ((start[pos], b["gold_s"][pos]), (end[pos], b["gold_e"][pos])):
            masked = torch.where(t, logits, neg)
            span_loss = span_loss + (torch.logsumexp(masked, 1)
                                     - torch.logsumexp(torch.where(gold, logits, neg), 1)).mean()
        loss = loss + span_weight * 0.5 * span_loss
    return loss


def _optimiser(model: Any, lr: float, total: int, warmup: float) -> tuple[Any, Any]:
    """AdamW (no weight decay on biases, norms and embeddings) and a linear warm-up then decay over `total` steps."""
    import torch

    decay: list[Any] = []
    plain: list[Any] = []
    for name, p in model.named_parameters():
        (plain if p.ndim < 2 or "embeddings" in name else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": plain, "weight_decay": 0.0}], lr=lr)
    warm = max(1, int(warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    return opt, sched


def _resume(ckpt: Path, model: Any, opt: Any, sched: Any, total: int, log: Any) -> tuple[int, float, list[float]]:
    """(step, seconds spent, losses) of the checkpoint, its state loaded into model, optimiser and schedule;
    (0, 0.0, []) when there is none."""
    import torch

    if not ckpt.exists():
        return 0, 0.0, []
    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    if state["total"] != total:
        raise SystemExit(f"{ckpt}: a checkpoint of another run ({state['total']} batches, not {total})")
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    sched.load_state_dict(state["sched"])
    torch.set_rng_state(state["rng"])
    print(f"resumed at batch {state['step']}/{total} ({state['seconds'] / 60:.0f} min spent)", file=log, flush=True)
    return state["step"], state["seconds"], state["losses"]


def _start(folder: Path, init: Path | None) -> Any:
    """The reader net, with a finished run's weights when `init` names its checkpoint, or a shipped reader's
    (a folder with its int8 graph, dequantised) when the checkpoint is gone."""
    import torch

    from qa.answers.reader import MODEL_FILE
    from qa.training.reader_export import weights_of

    model = reader_net(folder)
    if init is not None and init.is_dir():
        state = {k: torch.from_numpy(v) for k, v in weights_of(init / MODEL_FILE).items()}
        model.load_state_dict(state, strict=False)  # the pooler is not in the graph (no output reads it)
    elif init is not None:
        model.load_state_dict(torch.load(init, map_location="cpu", weights_only=False)["model"])
    return model


def train(rows: Sequence[tuple[Any, ...]], folder: Path, work: Path, *, epochs: int = 1, batch: int = 32,
          lr: float = 8e-5, seed: int = 0, threads: int = 2, warmup: float = 0.06, every_seconds: float = 600,
          log: Any = sys.stderr, stop_after: float | None = None, bf16: bool = True,
          init: Path | None = None) -> tuple[Any, dict[str, Any]]:
    """Fine-tune, checkpointing to `work/checkpoint.pt`; resumes from it when present.

    With `bf16` the forward pass runs under bfloat16 autocast (the weights and the optimiser stay float32):
    1.7x the examples a second of float32 on this machine's CPU (39 against 23 at 2 threads). With `init` (a
    finished run's checkpoint) it starts from its weights, a fresh optimiser and schedule: how a run on the
    examples another left out continues it. Returns (model, record); the model is None when `stop_after`
    seconds ran out before the last batch.
    """
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = _start(folder, init)
    order = batches(rows, batch, epochs, seed)
    total = len(order)
    opt, sched = _optimiser(model, lr, total, warmup)
    ckpt = work / ("checkpoint.pt" if init is None else "checkpoint-continued.pt")  # the first run's stays
    step, spent, losses = _resume(ckpt, model, opt, sched, total, log)

    def save() -> None:
        tmp = ckpt.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "step": step, "total": total, "seconds": spent, "losses": losses,
                    "rng": torch.get_rng_state()}, tmp)
        tmp.replace(ckpt)

    model.train()
    t0 = last = time.perf_counter()
    base = spent
    while step < total:
        b = collate([rows[i] for i in order[step]])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_of(model, b)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        losses.append(round(loss.item(), 4))
        spent = base + time.perf_counter() - t0
        if step % 100 == 0:
            print(f"batch {step}/{total} loss {np.mean(losses[-100:]):.3f} ({spent / 60:.1f} min)", file=log,
                  flush=True)
        if time.perf_counter() - last > every_seconds:
            save()
            last = time.perf_counter()
        if stop_after is not None and time.perf_counter() - t0 > stop_after and step < total:
            save()
            print(f"stopped at batch {step}/{total}; run again to resume", file=log, flush=True)
            return None, {}
    save()
    model.eval()
    return model, {"epochs": epochs, "batch": batch, "lr": lr, "seed": seed, "threads": threads,
                   "examples": len(rows), "positives": int(sum(r[5] for r in rows)), "batches": total,
                   "train_seconds": round(spent, 1), "bf16": bf16, "context_choices": list(CONTEXT_CHOICES), "warmup": warmup}


def load_rows(work: Path, examples_fn: Any, tokenizer_path: Path, cfg: ReaderConfig, seed: int, *,
              name: str = "rows") -> list[Any]:
    """The prepared rows, cached in `work/{name}.pkl` (built with `examples_fn()` the first time; their kinds
    counted in `work/examples.json`, or `work/{name}-examples.json` for another name)."""
    cache = work / f"{name}.pkl"
    if cache.exists():
        with cache.open("rb") as fh:
            return pickle.load(fh)
    examples = examples_fn()
    rows = prepare(examples, load_tokenizer(tokenizer_path), cfg, seed)
    kinds: dict[str, int] = {}
    for ex in examples:
        kinds[ex.kind] = kinds.get(ex.kind, 0) + 1
    (work / ("examples.json" if name == "rows" else f"{name}-examples.json")).write_text(json.dumps({"examples": len(examples), "kinds": kinds}, indent=1) + "\n")
    tmp = cache.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(rows, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(cache)
    return rows
