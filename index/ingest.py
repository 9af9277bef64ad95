"""Articles -> sentences -> chunks -> vectors -> store, incrementally and all-or-nothing per article."""

from __future__ import annotations

import sys
from concurrent.futures import Future, ThreadPoolExecutor
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

BATCH_SENTENCES = 2048  # large batches let the encoder sort by length: 512 cost 14% more

Progress = Callable[[int, int], None]  # (sentences done, sentences queued so far)


def chunk_vectors(sentence_vectors: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """A chunk's vector is the normalised mean of its sentences' vectors: one encoder pass serves both."""
    if not spans:
        return np.zeros((0, sentence_vectors.shape[1] if sentence_vectors.ndim == 2 else 0), np.float32)
    out = np.stack([sentence_vectors[a : b + 1].mean(axis=0) for a, b in spans]).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)


Prepared = list[tuple[Article, list, list, int]]


def _prepare_batch(batch: list[Article], embedder: Embedder, report: IngestReport,
                   limits: Limits) -> tuple[Prepared, np.ndarray]:
    """Split, chunk and encode a batch (the encoder's one pass over its sentences)."""
    prepared: Prepared = []
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
    return prepared, embedder.encode(texts)


def _store_batch(prepared: Prepared, vectors: np.ndarray, store: Store, report: IngestReport,
                 progress: Progress | None, done: list[int]) -> None:
    """Write a prepared batch in a few Chroma calls (each article all-or-nothing)."""
    items = []
    for article, sentences, chunks, offset in prepared:
        own = vectors[offset : offset + len(sentences)]
        cvec = chunk_vectors(own, [(c.first_sentence, c.last_sentence) for c in chunks])
        items.append((article, sentences, chunks, own, cvec))
    # readers reload once per batch, not once per article
    for (article, sentences, chunks, _, _), replaced in zip(items, store.put_many(items)):
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
        done = [0, 0]
        # One writer thread stores batch n while this thread encodes batch n + 1: ingest costs about
        # one encoder pass, not an encoder pass plus the store's writes. Writes stay in order.
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
        pending: Future[None] | None = None

        def flush(articles: list[Article]) -> None:
            nonlocal pending
            prepared, vectors = _prepare_batch(articles, embedder, report, limits)
            if pending is not None:
                pending.result()
            pending = writer.submit(_store_batch, prepared, vectors, store, report, progress, done)

        try:
            _queue(items, report, known, by_hash, done, flush)
        finally:
            try:
                if pending is not None:
                    pending.result()
            finally:
                writer.shutdown(wait=True)
    return report


def _queue(items: Iterable[Article | LoadProblem], report: IngestReport, known: dict[str, str],
           by_hash: dict[str, str], done: list[int], flush: Callable[[list[Article]], None]) -> None:
    """Skip unchanged articles and duplicates; hand the rest to `flush` in batches of about BATCH_SENTENCES."""
    batch: list[Article] = []
    queued = 0
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
            flush(list(batch))
            batch.clear()
            queued = 0
    if batch:
        flush(list(batch))


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
