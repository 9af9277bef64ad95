"""Shared defaults in one frozen object; environment variables only for locations and endpoints."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.encoding import DEFAULT_MODEL, cache_dir
from index.loaders import Limits

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


def llm_endpoint(url: str | None = None, model: str | None = None,
                 api_key: str | None = None) -> tuple[str | None, str | None, str | None]:
    """The LLM server (OpenAI-compatible base URL), model and key: the arguments, else $QA_LLM_URL,
    $QA_LLM_MODEL and $QA_LLM_API_KEY. No URL: no LLM."""
    env = os.environ.get
    return (url or env("QA_LLM_URL") or None, model or env("QA_LLM_MODEL") or None,
            api_key or env("QA_LLM_API_KEY") or None)


def default_encoder() -> str:
    """How the model runs unless told: $QA_ENCODER (e.g. "onnx" for float32 on a machine whose int8 kernels
    differ), else "auto"."""
    return os.environ.get("QA_ENCODER") or "auto"


ANSWERERS = ("auto", "extractive", "llm")  # auto: the LLM when one is configured


@dataclass(frozen=True)
class Settings:
    """Defaults for answering; pass another to change them."""

    model: str = DEFAULT_MODEL
    # "onnx-int8" (what "auto" picks for the default model), "onnx" (float32) or "torch"; else $QA_ENCODER
    encoder: str = field(default_factory=default_encoder)
    k: int = 5
    n_candidates: int = 30
    max_question_chars: int = 2000
    quote_limit: int = 2  # evidence sentences quoted in the answer text
    limits: Limits = field(default_factory=Limits)  # file, archive and record bytes; article size; files
    lock_wait_s: float = 30.0  # a second writer waits this long for the first, then gets IndexBusy
    answerer: str = "auto"  # one of ANSWERERS
    llm_url: str | None = None  # an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1 (else $QA_LLM_URL)
    llm_model: str | None = None  # else $QA_LLM_MODEL, else the first model the server lists
    llm_api_key: str | None = None  # else $QA_LLM_API_KEY
    llm_timeout_s: float = 30.0  # the whole generated answer; slower gives the extractive answer with a warning
    llm_max_tokens: int = 200
    llm_options: dict[str, Any] = field(default_factory=dict)  # extra request fields (e.g. llama.cpp `grammar`)
    reader: bool = True  # read the evidence: short answers and answerability (qa/answers/reader.py)
    reader_path: str | None = None  # a folder with other reader weights (default: the shipped ones)
    time: bool = True  # read time in questions ("this week", "latest") against `as_of`; off: every date is a word
    reader_threads: int = 1  # onnxruntime threads per question read (1 measured fastest with other requests)
