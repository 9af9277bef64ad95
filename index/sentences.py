"""Split article text into sentences with exact character offsets.

NLTK's punkt (bundled with llama-index-core, so nothing is downloaded) knows that
"U.S.", "Gen." and "Jan." end no sentence. Line breaks always end one: news text puts
headlines, captions and paragraphs on lines of their own.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from index.models import Sentence

MAX_SENTENCE_CHARS = 1500  # longer runs (tables, run-on text) are cut at spaces
_LINE = re.compile(r"[^\n]+")
_SPACE = re.compile(r"\s")


def _nltk_data_dir() -> Path:
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llama-index-core is not installed; it carries the punkt data")
    return Path(next(iter(spec.submodule_search_locations))) / "_static" / "nltk_cache"


@lru_cache(maxsize=1)
def _punkt() -> Any:
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    data = str(_nltk_data_dir())
    if data not in nltk.data.path:
        nltk.data.path.insert(0, data)
    return PunktTokenizer("english")


def _cut_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a span longer than MAX_SENTENCE_CHARS at the last space before the limit."""
    spans = []
    while end - start > MAX_SENTENCE_CHARS:
        window = text[start : start + MAX_SENTENCE_CHARS]
        cut = max(window.rfind(" "), window.rfind("\t"))
        stop = start + (cut if cut > 0 else MAX_SENTENCE_CHARS)
        spans.append((start, stop))
        start = stop
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        spans.append((start, end))
    return spans


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of each sentence; spans hold no outer white space."""
    tokenizer = _punkt()
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        base = line.start()
        for s, e in tokenizer.span_tokenize(line.group()):
            start, end = base + s, base + e
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                spans.extend(_cut_long(text, start, end))
    return spans


def split_sentences(article_id: str, text: str) -> list[Sentence]:
    """Split `text` into `Sentence`s such that `text[s.start:s.end] == s.text`."""
    return [
        Sentence(article_id, i, start, end, text[start:end])
        for i, (start, end) in enumerate(sentence_spans(text))
    ]


def has_words(text: str) -> bool:
    """True when text holds something besides white space and punctuation."""
    return any(ch.isalnum() for ch in text) and not _SPACE.fullmatch(text)
