"""One segment of the derived indexes: a group of articles tokenised once, on disk, memory-mapped.

A segment holds, for its own articles, everything retrieval derives from the store: sentence and
chunk vectors and offsets, the sentence text, per-sentence words, terms, capitalised words, subject
and antecedent terms (as ids into the segment's string table), and term postings for BM25. It is
written once into a temporary directory and renamed into place with a checksum of every file in
`segment.json`; opening it checks the checksums, so a damaged file is found, never trusted.

The arrays sit in one file, `arrays.bin`, mapped once: a segment costs the process one open file (a map
holds its file open), whatever the number of arrays (one `.npy` map each cost 37). The segment's maps and
its open file go when the last retriever using it does.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import sys
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from index.errors import OUT_OF_FILES, OutOfResources, SourcedError
from index.layout import ArticleInfo, ArticleParts
from qa import text as tx
from qa.search.terms import NAMEISH, Vocabulary, antecedent_terms, subject_terms

FORMAT = 3  # 3: the arrays in one mapped file (2: a .npy file each)
ARRAYS = "arrays.bin"
_ALIGN = 64  # each array starts at a multiple of this many bytes
_READ = 1 << 24
_CSR = ("words", "terms", "caps", "subjects", "antecedents")  # per-sentence token lists, as string ids


class DamagedSegment(SourcedError):
    """A derived index file is missing or damaged (it is rebuilt from the store)."""


@dataclass(frozen=True)
class Segment:
    """The derived indexes of a group of articles, opened read-only."""

    name: str
    articles: list[ArticleInfo]
    arrays: dict[str, np.ndarray]  # memory-mapped
    strings: list[str]  # id -> token
    string_id: dict[str, int]
    vocabulary_words: list[str]
    vocabulary_stems: list[str]

    @property
    def n_sentences(self) -> int:
        """Sentence rows."""
        return len(self.arrays["sentence_index"])

    @property
    def n_chunks(self) -> int:
        """Chunk rows."""
        return len(self.arrays["chunk_first"])

    def tokens(self, kind: str, row: int) -> tuple[str, ...]:
        """A sentence's tokens of one kind ("words", "terms", "caps", "subjects", "antecedents")."""
        ptr, ids = self.arrays[f"{kind}_ptr"], self.arrays[kind]
        strings = self.strings
        return tuple([strings[i] for i in ids[ptr[row]:ptr[row + 1]].tolist()])

    def text(self, row: int) -> str:
        """A sentence's text."""
        ptr = self.arrays["text_ptr"]
        return bytes(self.arrays["text"][ptr[row]:ptr[row + 1]]).decode("utf-8")

    def postings(self, term: str, level: str = "post") -> tuple[np.ndarray, np.ndarray]:
        """Local rows holding a term, and how often each holds it: sentences ("post"), chunks
        ("chunk_post") or articles ("article_post")."""
        tid = self.string_id.get(term)
        if tid is None:
            return _NO_ROWS, _NO_TF
        ptr = self.arrays[f"{level}_ptr"]
        lo, hi = int(ptr[tid]), int(ptr[tid + 1])
        return self.arrays[f"{level}_rows"][lo:hi], self.arrays[f"{level}_tf"][lo:hi]


_NO_ROWS = np.zeros(0, np.int32)
_NO_TF = np.zeros(0, np.float32)


def build(parts: Iterable[ArticleParts], root: Path) -> str:
    """Tokenise a group of articles and write them as a new segment under `root`; return its name."""
    arrays, strings, articles, vocab = _derive(list(parts))
    name = f"seg-{uuid.uuid4().hex[:12]}"
    partial = root / f".tmp-{name}"
    partial.mkdir(parents=True)
    try:
        layout = _write_arrays(arrays, partial / ARRAYS)
        files = {ARRAYS: _checksum(partial / ARRAYS)}
        for key, values in (("strings", strings), ("vocabulary_words", vocab[0]), ("vocabulary_stems", vocab[1])):
            path = partial / f"{key}.txt"
            path.write_text("\n".join(values), encoding="utf-8")
            files[path.name] = _checksum(path)
        meta = {"format": FORMAT, "articles": [a.to_dict() for a in articles], "files": files, "arrays": layout}
        (partial / "segment.json").write_text(json.dumps(meta), encoding="utf-8")
        os.replace(partial, root / name)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return name


def open_segment(path: Path) -> Segment:
    """Open a segment, checking every file against its checksum (DamagedSegment when one fails)."""
    try:
        meta = json.loads((path / "segment.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise DamagedSegment(f"{path.name}: written by another version (format {meta.get('format')})")
        for file, expected in meta["files"].items():
            if _checksum(path / file) != list(expected):
                raise DamagedSegment(f"{path.name}/{file} fails its checksum")
        arrays = _map_arrays(path / ARRAYS, meta["arrays"])
        texts = {f[:-4]: _lines(path / f) for f in meta["files"] if f.endswith(".txt")}
        articles = [ArticleInfo(**a) for a in meta["articles"]]
    except DamagedSegment:
        raise
    except OSError as exc:
        if exc.errno in OUT_OF_FILES:  # not the file's fault: nothing is damaged, and it passes
            raise OutOfResources(f"out of open files or memory opening {path.name} ({exc.strerror})") from None
        raise DamagedSegment(f"{path.name}: {exc}") from None
    except MemoryError:
        raise OutOfResources(f"out of memory opening {path.name}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise DamagedSegment(f"{path.name}: {exc}") from None
    strings = [sys.intern(s) for s in texts["strings"]]
    return Segment(path.name, articles, arrays, strings, {s: i for i, s in enumerate(strings)},
                   texts["vocabulary_words"], texts["vocabulary_stems"])


def verify(path: Path) -> str:
    """What is wrong with a segment on disk, or "" when every file matches its checksum."""
    try:
        open_segment(path)
    except DamagedSegment as exc:
        return str(exc)
    return ""


def _write_arrays(arrays: dict[str, np.ndarray], path: Path) -> dict[str, list[Any]]:
    """The arrays one after the other in one file, each aligned; their [offset, dtype, shape] by name."""
    layout: dict[str, list[Any]] = {}
    at = 0
    with open(path, "wb") as f:
        for key, value in arrays.items():
            value = np.ascontiguousarray(value)
            pad = -at % _ALIGN
            f.write(b"\0" * pad)
            at += pad
            layout[key] = [at, value.dtype.str, list(value.shape)]
            f.write(value.tobytes())
            at += value.nbytes
    return layout


def _map_arrays(path: Path, layout: dict[str, list[Any]]) -> dict[str, np.ndarray]:
    """Read-only views of the arrays in one file, mapped once (plain ndarrays: numpy's memmap subclass costs
    microseconds per slice)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        whole: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    arrays = {}
    for key, (offset, dtype, shape) in layout.items():
        kind = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64))
        if offset + count * kind.itemsize > size:
            raise DamagedSegment(f"{path.parent.name}/{path.name} is shorter than its array '{key}'")
        view = np.frombuffer(whole, kind, count, offset) if count else np.zeros(0, kind)
        arrays[key] = view.reshape(shape)
    return arrays


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return text.split("\n") if text else []


def _checksum(path: Path) -> list[int]:
    """[size, crc32] of a file (crc32 reads at several GB/s: 250k sentences' files in about 0.2 s)."""
    crc = 0
    with open(path, "rb") as f:
        while block := f.read(_READ):
            crc = zlib.crc32(block, crc)
    return [path.stat().st_size, crc]


def _derive(parts: list[ArticleParts]) -> tuple[dict[str, np.ndarray], list[str], list[ArticleInfo],
                                                tuple[list[str], list[str]]]:
    """The arrays, string table, articles and vocabulary of a group of articles."""
    rows = _Rows()
    dim = next((p.sentence_vectors.shape[1] for p in parts if p.sentence_vectors.ndim == 2
                and p.sentence_vectors.shape[0]), 0)
    for a, part in enumerate(parts):
        local = _add_sentences(rows, a, part)
        rows.vocab_tokens.extend(tx.words(part.info.title))
        _add_chunks(rows, a, part, local)
    arrays = _arrays(rows, dim, len(parts))
    arrays.update(_all_postings(arrays, len(rows.ids)))
    strings = list(rows.ids)
    if any("\n" in s for s in strings):  # tokens are words: never, but the table is one token per line
        raise ValueError("a token holds a line break")
    return arrays, strings, [p.info for p in parts], Vocabulary.of(rows.vocab_tokens).listed()


@dataclass
class _Rows:
    """What `_derive` gathers, sentence by sentence and chunk by chunk, before it becomes arrays."""

    ids: dict[str, int] = field(default_factory=dict)  # token -> string id, in order of first use
    lists: dict[str, list[list[int]]] = field(default_factory=lambda: {k: [] for k in _CSR})  # per sentence
    s_article: list[int] = field(default_factory=list)
    s_index: list[int] = field(default_factory=list)
    s_start: list[int] = field(default_factory=list)
    s_end: list[int] = field(default_factory=list)
    s_vectors: list[Any] = field(default_factory=list)
    texts: list[bytes] = field(default_factory=list)
    c_article: list[int] = field(default_factory=list)
    c_index: list[int] = field(default_factory=list)
    c_first: list[int] = field(default_factory=list)
    c_last: list[int] = field(default_factory=list)
    c_vectors: list[Any] = field(default_factory=list)
    vocab_tokens: list[str] = field(default_factory=list)

    def intern(self, tokens: Iterable[str]) -> list[int]:
        """String ids of tokens, new tokens added to the table."""
        return [self.ids.setdefault(t, len(self.ids)) for t in tokens]


def _add_sentences(rows: _Rows, a: int, part: ArticleParts) -> dict[int, int]:
    """Tokenise article `a`'s sentences into `rows`; return its sentence indexes -> their rows in the segment."""
    local: dict[int, int] = {}
    previous: tuple[str, tuple[str, ...], frozenset[str]] | None = None
    for (index, start, end), vector in zip(part.sentences.tolist(), part.sentence_vectors):
        text = part.text[start:end]
        words = tuple(tx.words(text))
        terms = tx.terms_of(words)
        local[index] = len(rows.s_index)
        rows.s_article.append(a)
        rows.s_index.append(index)
        rows.s_start.append(start)
        rows.s_end.append(end)
        rows.s_vectors.append(vector)
        rows.texts.append(text.encode("utf-8"))
        rows.lists["words"].append(rows.intern(words))
        rows.lists["terms"].append(rows.intern(terms))
        rows.lists["caps"].append(rows.intern(w.lower() for w in NAMEISH.findall(text)))
        rows.lists["subjects"].append(rows.intern(sorted(subject_terms(words))))
        found = antecedent_terms(words, *previous) if previous is not None else frozenset()
        rows.lists["antecedents"].append(rows.intern(sorted(found)))
        previous = (text, words, frozenset(terms))
        rows.vocab_tokens.extend(words)
    return local


def _add_chunks(rows: _Rows, a: int, part: ArticleParts, local: dict[int, int]) -> None:
    """Article `a`'s chunks into `rows`, those whose first and last sentences it holds."""
    for (index, first, last), vector in zip(part.chunks.tolist(), part.chunk_vectors):
        if first in local and last in local:
            rows.c_article.append(a)
            rows.c_index.append(index)
            rows.c_first.append(local[first])
            rows.c_last.append(local[last])
            rows.c_vectors.append(vector)


def _arrays(rows: _Rows, dim: int, n_articles: int) -> dict[str, np.ndarray]:
    """The gathered rows as arrays: sentences, chunks, text, per-sentence token lists (CSR), article vectors."""
    texts = rows.texts
    arrays: dict[str, np.ndarray] = {
        "sentence_article": np.asarray(rows.s_article, np.int32),
        "sentence_index": np.asarray(rows.s_index, np.int32),
        "sentence_start": np.asarray(rows.s_start, np.int64),
        "sentence_end": np.asarray(rows.s_end, np.int64),
        "sentence_vectors": _stack(rows.s_vectors, dim),
        "chunk_article": np.asarray(rows.c_article, np.int32),
        "chunk_index": np.asarray(rows.c_index, np.int32),
        "chunk_first": np.asarray(rows.c_first, np.int32),
        "chunk_last": np.asarray(rows.c_last, np.int32),
        "chunk_vectors": _stack(rows.c_vectors, dim),
        "text": np.frombuffer(b"".join(texts), np.uint8),
        "text_ptr": np.concatenate([[0], np.cumsum([len(t) for t in texts], dtype=np.int64)]).astype(np.int64),
    }
    for kind, lists in rows.lists.items():
        arrays[kind] = np.asarray([i for r in lists for i in r], np.int32)
        arrays[f"{kind}_ptr"] = np.concatenate([[0], np.cumsum([len(r) for r in lists])]).astype(np.int64)
    arrays["article_vectors"] = _article_vectors(arrays["sentence_vectors"], arrays["sentence_article"], n_articles)
    arrays["sentence_chunks"] = _sentence_chunks(len(rows.s_index), arrays["chunk_first"], arrays["chunk_last"])
    return arrays


def _all_postings(arrays: dict[str, np.ndarray], n_strings: int) -> dict[str, np.ndarray]:
    """Term postings of sentences, chunks (a chunk's terms are its sentences') and articles."""
    n = len(arrays["sentence_index"])
    term = arrays["terms"].astype(np.int64)
    row = np.repeat(np.arange(n, dtype=np.int64), np.diff(arrays["terms_ptr"]))
    out = _postings("post", term, row, np.ones(len(term)), n_strings)
    first, second = arrays["sentence_chunks"][row, 0], arrays["sentence_chunks"][row, 1]
    has, both = first >= 0, (first >= 0) & (second != first)  # a chunk's terms are its sentences'
    out.update(_postings("chunk_post", np.concatenate([term[has], term[both]]),
                         np.concatenate([first[has], second[both]]), np.ones(int(has.sum() + both.sum())),
                         n_strings))
    out.update(_postings("article_post", term, arrays["sentence_article"][row].astype(np.int64),
                         np.ones(len(term)), n_strings))
    return out


def _stack(vectors: list[Any], dim: int) -> np.ndarray:
    if not vectors:
        return np.zeros((0, dim), np.float32)
    return np.ascontiguousarray(np.stack(vectors).astype(np.float32))


def _postings(prefix: str, terms: np.ndarray, rows: np.ndarray, counts: np.ndarray,
              n_strings: int) -> dict[str, np.ndarray]:
    """Term -> (rows, term frequency), sorted by term then row, as CSR over string ids."""
    span = int(rows.max()) + 1 if len(rows) else 1
    keys, at = np.unique(terms * span + rows, return_inverse=True)
    tf = np.bincount(at, counts, minlength=len(keys))
    term_of = keys // span
    return {
        f"{prefix}_ptr": np.concatenate([[0], np.cumsum(np.bincount(term_of, minlength=n_strings))]).astype(np.int64),
        f"{prefix}_rows": (keys % span).astype(np.int32),
        f"{prefix}_tf": tf.astype(np.float32),
    }


def _article_vectors(vectors: np.ndarray, article: np.ndarray, n_articles: int) -> np.ndarray:
    """Each article's sentence vectors summed, then scaled to unit length."""
    out = np.zeros((n_articles, vectors.shape[1]), np.float32)
    if len(vectors):
        np.add.at(out, article, vectors)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def _sentence_chunks(n: int, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """(n, 2): the (up to two) chunks holding each sentence; the second repeats the first when alone, -1 for none."""
    out = np.full((n, 2), -1, np.int64)
    for c, (a, b) in enumerate(zip(first.tolist(), last.tolist())):
        for row in range(a, b + 1):
            out[row, 0 if out[row, 0] < 0 else 1] = c
    out[:, 1] = np.where(out[:, 1] < 0, out[:, 0], out[:, 1])
    return out
