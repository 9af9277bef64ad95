"""Split article text into sentences with exact character offsets.

NLTK's punkt (its English parameters are bundled with llama-index-core, so nothing is
downloaded) knows that "U.S.", "Gen." and "Jan." end no sentence. Line breaks always end one:
news text puts headlines, captions and paragraphs on lines of their own.

Punkt runs with its patterns compiled by the standard library's `re` (`index/punkt.py`): no
wall-clock limit can make a result depend on machine load.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from index.models import Sentence

MAX_SENTENCE_CHARS = 1500  # longer runs (tables, run-on text) are cut at spaces
PUNKT_WINDOW = 20_000  # punkt sees at most this much at once: its regexes slow down (and time out) on huge lines
_LINE = re.compile(r"[^\n]+")
_SPACE = re.compile(r"\s")
_END = re.compile(r"[.?!][\"')\]\u2019\u201d]*\s")


def _nltk_data_dir() -> Path:
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llama-index-core is not installed; it carries the punkt data")
    return Path(next(iter(spec.submodule_search_locations))) / "_static" / "nltk_cache"


@lru_cache(maxsize=1)
def _punkt() -> Any:
    from index.punkt import untimed_punkt

    return untimed_punkt(_nltk_data_dir() / "tokenizers" / "punkt_tab" / "english")


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


def _windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut text[start:end] into pieces of at most PUNKT_WINDOW characters, preferring sentence ends,
    then white space."""
    pieces = []
    while end - start > PUNKT_WINDOW:
        limit = start + PUNKT_WINDOW
        cut = -1
        for match in _END.finditer(text, max(start, limit - PUNKT_WINDOW // 4), limit):
            cut = match.end()
        if cut <= start:
            cut = max(text.rfind(" ", start, limit), text.rfind("\t", start, limit)) + 1
        if cut <= start:
            cut = limit
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of each sentence; spans hold no outer white space."""
    tokenizer = _punkt()
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        for base, stop in _windows(text, line.start(), line.end()):
            spans.extend(_line_spans(tokenizer, text, base, stop))
    return spans


def _line_spans(tokenizer: Any, text: str, base: int, stop: int) -> list[tuple[int, int]]:
    """Punkt's sentences of text[base:stop] (one line or a window of one), trimmed and cut to size."""
    spans: list[tuple[int, int]] = []
    for s, e in tokenizer.span_tokenize(text[base:stop]):
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
