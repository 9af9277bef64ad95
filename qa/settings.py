"""Shared defaults in one frozen object; environment variables only for locations and endpoints."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from index.embedder import DEFAULT_MODEL
from index.loaders import Limits
from index.onnx_embedder import cache_dir

DEFAULT_INDEX_DIR = ".sourced-index"


def index_dir(explicit: str | Path | None = None) -> Path:
    """Where the index lives: the argument, else $QA_INDEX_DIR, else ./.sourced-index."""
    return Path(explicit or os.environ.get("QA_INDEX_DIR") or DEFAULT_INDEX_DIR)


def chroma_url(explicit: str | None = None) -> str | None:
    """A Chroma server to use instead of the embedded store: the argument, else $QA_CHROMA_URL."""
    return explicit or os.environ.get("QA_CHROMA_URL") or None


def derived_dir(index: Path, chroma: str | None) -> Path:
    """Where the derived indexes live: beside an embedded store; per Chroma server in the cache directory."""
    if not chroma:
        return index / "derived"
    return cache_dir() / "derived" / hashlib.sha1(chroma.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Settings:
    """Defaults for answering; pass another to change them."""

    model: str = DEFAULT_MODEL
    encoder: str = "auto"  # "onnx-int8" (what "auto" picks for the default model), "onnx" (float32) or "torch"
    k: int = 5
    n_candidates: int = 30
    max_question_chars: int = 2000
    quote_limit: int = 2  # evidence sentences quoted in the answer text
    limits: Limits = field(default_factory=Limits)  # file, archive and record bytes; article size; files
    lock_wait_s: float = 30.0  # a second writer waits this long for the first, then gets IndexBusy
