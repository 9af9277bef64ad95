"""Articles -> sentences -> chunks -> vectors -> store, incrementally and all-or-nothing per article."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from index.chunks import make_chunks
from index.embedder import Embedder
from index.loaders import Limits, load
from index.lock import writer_lock
from index.models import Article, IngestReport, LoadProblem
from index.sentences import split_sentences
from index.store import Store

BATCH_SENTENCES = 512

Progress = Callable[[int, int], None]  # (sentences done, sentences queued so far)


def chunk_vectors(sentence_vectors: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """A chunk's vector is the normalised mean of its sentences' vectors: one encoder pass serves both."""
    if not spans:
        return np.zeros((0, sentence_vectors.shape[1] if sentence_vectors.ndim == 2 else 0), np.float32)
    out = np.stack([sentence_vectors[a : b + 1].mean(axis=0) for a, b in spans]).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)


def _write_batch(batch: list[Article], store: Store, embedder: Embedder, report: IngestReport,
                 progress: Progress | None, done: list[int], limits: Limits) -> None:
    prepared = []
    texts: list[str] = []
    for article in batch:
        sentences = split_sentences(article.id, article.text)
        if len(sentences) > limits.max_article_sentences:
            report.problems.append(LoadProblem(
                article.source or article.id,
                f"has too many sentences ({len(sentences):,}; the limit is {limits.max_article_sentences:,})",
            ))
            continue
        chunks = make_chunks(article.text, sentences)
        prepared.append((article, sentences, chunks, len(texts)))
        texts.extend(s.text for s in sentences)
    vectors = embedder.encode(texts)
    for article, sentences, chunks, offset in prepared:
        own = vectors[offset : offset + len(sentences)]
        cvec = chunk_vectors(own, [(c.first_sentence, c.last_sentence) for c in chunks])
        replaced = store.put(article, sentences, chunks, own, cvec)
        (report.replaced if replaced else report.added).append(article.id)
        report.sentences += len(sentences)
        report.chunks += len(chunks)
        done[0] += len(sentences)
        if progress:
            progress(done[0], done[1])


def ingest_articles(items: Iterable[Article | LoadProblem], store: Store, embedder: Embedder, *,
                    progress: Progress | None = None, lock_dir: Path | None = None,
                    lock_wait_s: float = 30.0, limits: Limits = Limits()) -> IngestReport:
    """Index articles (skipping unchanged ones and exact duplicates); collect problems.

    Holds the writer lock throughout: the file lock in `lock_dir` if given, else the store's own
    (a file lock beside an embedded store, a lease in a Chroma server).
    """
    report = IngestReport()
    lock = writer_lock(lock_dir, wait_s=lock_wait_s) if lock_dir is not None else store.writer_lock(wait_s=lock_wait_s)
    with lock:
        store.refresh()
        store.recover()
        known = {a.id: a.content_hash for a in store.list_articles()}
        by_hash = {h: i for i, h in known.items()}
        batch: list[Article] = []
        queued = 0
        done = [0, 0]
        for item in items:
            if isinstance(item, LoadProblem):
                report.problems.append(item)
                continue
            if known.get(item.id) == item.content_hash:
                report.unchanged.append(item.id)
                continue
            twin = by_hash.get(item.content_hash)
            if twin is not None and twin != item.id:
                report.unchanged.append(twin)
                continue
            known[item.id] = item.content_hash
            by_hash[item.content_hash] = item.id
            batch.append(item)
            queued += item.text.count(".") + 1
            done[1] += item.text.count(".") + 1
            if queued >= BATCH_SENTENCES:
                _write_batch(batch, store, embedder, report, progress, done, limits)
                batch, queued = [], 0
        if batch:
            _write_batch(batch, store, embedder, report, progress, done, limits)
    return report


def tqdm_progress(enabled: bool = True) -> tuple[Progress | None, Callable[[], None]]:
    """A progress callback drawing a tqdm bar on stderr, and a function that closes it."""
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit=" sentences", file=sys.stderr, dynamic_ncols=True, desc="ingest")

    def update(done: int, total: int) -> None:
        bar.total = max(total, done)
        bar.n = done
        bar.refresh()

    return update, bar.close


def ingest_paths(paths: list[str | Path], store: Store, embedder: Embedder, *, limits: Limits = Limits(),
                 progress: Progress | None = None, lock_dir: Path | None = None,
                 lock_wait_s: float = 30.0) -> IngestReport:
    """Load files and folders and index every article in them."""
    return ingest_articles(load(paths, limits), store, embedder, progress=progress, lock_dir=lock_dir,
                           lock_wait_s=lock_wait_s, limits=limits)
