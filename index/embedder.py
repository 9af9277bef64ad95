"""Text -> unit vectors. The real embedder loads sentence-transformers lazily and offline."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from index.encoding import DEFAULT_MODEL, ENCODERS, QueryCache, resolve_model
from index.errors import UnsupportedEncoder

QUERY_THREADS = 1  # torch threads for one query's forward pass (see `_encode_one`)
_QUERY_LOCK = threading.Lock()


class SentenceTransformerEmbedder:
    """sentence-transformers model, loaded on first use, with a small query cache."""

    def __init__(self, model: str | None = None, *, batch_size: int = 64, cache_size: int = 2048) -> None:
        self.name = model or DEFAULT_MODEL
        self.batch_size = batch_size
        self.queries = QueryCache(cache_size)
        self._model: Any = None
        self._lock = threading.Lock()
        self._dim: int | None = None

    @property
    def model(self) -> Any:
        """The loaded SentenceTransformer (loads it once)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()
                    hf_logging.set_verbosity_error()

                    self._model = SentenceTransformer(resolve_model(self.name), device="cpu")
        return self._model

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Vector size."""
        if self._dim is None:
            getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
            self._dim = int(getter())
        return self._dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed many texts (ingestion): one batched pass, rows normalised."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def _encode_one(self, text: str) -> np.ndarray:
        """One text through tokenizer and transformer directly (mean pooling, normalised): the same vector
        as `encode`, without its batching overhead. Falls back to `encode` for other pipelines."""
        model = self.model
        modules = [type(m).__name__ for m in model]
        mean = False
        if len(modules) == 3:
            config = model[1].get_config_dict()
            mean = config.get("pooling_mode") == "mean" or bool(config.get("pooling_mode_mean_tokens"))
        if modules != ["Transformer", "Pooling", "Normalize"] or not mean:
            return self.encode([text])[0]
        import torch

        tokenizer, transformer = model.tokenizer, model[0].auto_model
        # One short text gains little from several threads and loses much when the cores are busy
        # (measured: median 13 ms vs 30 ms, p95 25 ms vs 330 ms on 2 loaded cores), so queries run on one.
        with _QUERY_LOCK, torch.inference_mode():
            threads = torch.get_num_threads()
            torch.set_num_threads(QUERY_THREADS)
            try:
                batch = tokenizer([text], return_tensors="pt", truncation=True, max_length=model.max_seq_length)
                hidden = transformer(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=1)
            finally:
                torch.set_num_threads(threads)
        return np.asarray(pooled[0].numpy(), dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one question, cached: repeated questions cost nothing."""
        return self.queries.get(text, self._encode_one)


def make_embedder(model: str | None = None, *, encoder: str = "auto") -> Any:
    """The embedder for a model: onnxruntime with int8 weights by default ("auto"), else as asked.

    "auto" uses `OnnxEmbedder` (int8) for a local sentence-transformers folder of the usual
    Transformer -> mean Pooling -> Normalize shape, and sentence-transformers on torch otherwise.
    "onnx" is the same graph with float32 weights (the torch vectors, about half the speed of int8).
    """
    if encoder not in ENCODERS:
        raise UnsupportedEncoder(f"unknown encoder '{encoder}'; choose one of {', '.join(ENCODERS)}")
    if encoder != "torch":
        from index.onnx_embedder import OnnxEmbedder, supported

        if supported(Path(resolve_model(model))):
            return OnnxEmbedder(model, quantize=encoder != "onnx")
        if encoder != "auto":
            raise UnsupportedEncoder(f"the {encoder} encoder needs a local sentence-transformers folder with mean pooling; "
                             f"'{model}' is not one (use the torch encoder)")
    return SentenceTransformerEmbedder(model)

