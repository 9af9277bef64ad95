"""Articles -> sentences -> chunks -> vectors -> store, incrementally and all-or-nothing per article.

One bad article is one `LoadProblem`, never the end of the run; a fault that still lets an article be
indexed (an unreadable date) is a warning beside it. Ctrl+C stops at a batch boundary:
the batch being written is finished, and a re-run skips everything committed.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from index.chunks import make_chunks
from index.encoding import Embedder
from index.loaders import Limits, Loader, load
from index.lock import writer_lock
from index.models import Article, IngestReport, LoadProblem
from index.sentences import split_sentences
from index.store import Store
from index.stories import joined, load_index

BATCH_SENTENCES = 4096  # large batches let the encoder sort by length and keep its workers busy


@dataclass(frozen=True)
class IngestProgress:
    """How far an ingest has got."""

    articles: int  # written (added or replaced)
    sentences: int  # written
    unchanged: int  # skipped: already indexed
    problems: int  # failed: not indexed (warnings are not counted here)
    bytes_read: int  # input bytes read so far (0 unless the items come from a `Loader`)
    bytes_total: int  # input bytes in all (0 when unknown)


Progress = Callable[[IngestProgress], None]


def chunk_vectors(sentence_vectors: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """A chunk's vector is the normalised mean of its sentences' vectors: one encoder pass serves both."""
    if not spans:
        return np.zeros((0, sentence_vectors.shape[1] if sentence_vectors.ndim == 2 else 0), np.float32)
    out = np.stack([sentence_vectors[a : b + 1].mean(axis=0) for a, b in spans]).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)


Prepared = list[tuple[Article, list, list, int]]


def article_problem(article: Article, message: str) -> LoadProblem:
    """A problem with an article, named by the file and line it came from and its id."""
    return LoadProblem(article.path or article.source or article.id, message, article.line, article.id)


def _prepare_batch(batch: list[Article], embedder: Embedder, report: IngestReport,
                   limits: Limits) -> tuple[Prepared, np.ndarray]:
    """Split, chunk and encode a batch (the encoder's one pass over its sentences)."""
    prepared: Prepared = []
    texts: list[str] = []
    for article in batch:
        try:
            sentences = split_sentences(article.id, article.text)
            if len(sentences) > limits.max_article_sentences:
                report.problems.append(article_problem(article, f"has too many sentences ({len(sentences):,}; "
                                                                f"the limit is {limits.max_article_sentences:,})"))
                continue
            chunks = make_chunks(article.text, sentences)
        except Exception as exc:  # one article's failure is its problem, not the run's
            report.problems.append(article_problem(article, f"could not be split into sentences ({_describe(exc)})"))
            continue
        prepared.append((article, sentences, chunks, len(texts)))
        texts.extend(s.text for s in sentences)
    try:
        return prepared, _encode_distinct(texts, embedder)
    except Exception as exc:  # find the article the encoder fails on; if it fails on all, it is the encoder
        return _encode_one_by_one(prepared, embedder, report, exc)


def _encode_distinct(texts: list[str], embedder: Embedder) -> np.ndarray:
    """Encode each distinct sentence once: syndicated copies in one batch repeat most of theirs."""
    row = {t: i for i, t in enumerate(dict.fromkeys(texts))}
    if len(row) == len(texts):
        return embedder.encode(texts)
    return np.asarray(embedder.encode(list(row)))[[row[t] for t in texts]]


def _encode_one_by_one(prepared: Prepared, embedder: Embedder, report: IngestReport,
                       failure: Exception) -> tuple[Prepared, np.ndarray]:
    """After a batch failed to encode: each article on its own; the ones that fail become problems."""
    kept: Prepared = []
    blocks: list[np.ndarray] = []
    offset = 0
    for article, sentences, chunks, _ in prepared:
        try:
            vectors = embedder.encode([s.text for s in sentences])
        except Exception as exc:
            report.problems.append(article_problem(article, f"could not be encoded ({_describe(exc)})"))
            continue
        kept.append((article, sentences, chunks, offset))
        blocks.append(vectors)
        offset += len(sentences)
    if prepared and not kept:
        del report.problems[-len(prepared):]
        raise failure
    return kept, np.concatenate(blocks) if blocks else np.zeros((0, embedder.dim), np.float32)


def _describe(exc: Exception) -> str:
    """An exception as one short line: its type and message."""
    message = " ".join(str(exc).split())
    message = message[:200] + "…" if len(message) > 200 else message
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _store_batch(prepared: Prepared, vectors: np.ndarray, marks: list[dict[str, Any]], store: Store,
                 report: IngestReport) -> None:
    """Write a prepared batch in a few Chroma calls (each article all-or-nothing)."""
    items = []
    for article, sentences, chunks, offset in prepared:
        own = vectors[offset : offset + len(sentences)]
        cvec = chunk_vectors(own, [(c.first_sentence, c.last_sentence) for c in chunks])
        items.append((article, sentences, chunks, own, cvec))
    # readers reload once per batch, not once per article
    for (article, sentences, chunks, _, _), mark, replaced in zip(items, marks, store.put_many(items, marks=marks)):
        (report.replaced if replaced else report.added).append(article.id)
        if joined(article.id, mark["story"]):
            report.copies.append(article.id)
        report.sentences += len(sentences)
        report.chunks += len(chunks)
    report.committed_at = time.time()


def ingest_articles(items: Iterable[Article | LoadProblem], store: Store, embedder: Embedder, *,
                    progress: Progress | None = None, lock_dir: Path | None = None,
                    lock_wait_s: float = 30.0, limits: Limits = Limits()) -> IngestReport:
    """Index articles (skipping unchanged ones), each in its story of syndicated copies; collect problems.

    Holds the writer lock throughout: the file lock in `lock_dir` if given, else the store's own
    (a file lock beside an embedded store, a lease in a Chroma server). On Ctrl+C it finishes the
    batch being written and returns a report with `interrupted` set. `progress` is called from this
    thread as items arrive and batches are written; it counts input bytes when `items` is a `Loader`.
    """
    report = IngestReport()
    lock = writer_lock(lock_dir, wait_s=lock_wait_s) if lock_dir is not None else store.writer_lock(wait_s=lock_wait_s)

    def tell() -> None:
        if progress is not None:
            progress(_snapshot(report, items))

    with lock:
        store.refresh()
        store.recover()
        signed = store.list_signed()
        known = {a.id: a.content_hash for a, _ in signed}
        # One writer thread stores batch n while this thread encodes batch n + 1: ingest costs about
        # one encoder pass, not an encoder pass plus the store's writes. Writes stay in order.
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
        pending: Future[None] | None = None

        def flush(articles: list[Article]) -> None:
            nonlocal pending
            prepared, vectors = _prepare_batch(articles, embedder, report, limits)
            marks = stories.assign_articles([p[0] for p in prepared])
            if pending is not None:
                pending.result()
            pending = writer.submit(_store_batch, prepared, vectors, marks, store, report)
            tell()

        try:
            stories = load_index(store, signed)  # from stored signatures: older texts are not read again
            _queue(items, report, known, flush, tell)
        except KeyboardInterrupt:
            report.interrupted = True  # the batch being prepared is dropped; the one being written lands
        finally:
            _finish(writer, report)
            if pending is not None:
                pending.result()  # a failed write is raised here
    try:
        tell()
    except KeyboardInterrupt:
        report.interrupted = True
    return report


def _finish(writer: ThreadPoolExecutor, report: IngestReport) -> None:
    """Wait for the batch being written, through further Ctrl+C: the lock must outlive the writer."""
    while True:
        try:
            writer.shutdown(wait=True)
            return
        except KeyboardInterrupt:
            report.interrupted = True


def _snapshot(report: IngestReport, items: Iterable[Article | LoadProblem]) -> IngestProgress:
    read, total = (items.bytes_read, items.bytes_total) if isinstance(items, Loader) else (0, 0)
    return IngestProgress(articles=len(report.added) + len(report.replaced), sentences=report.sentences,
                          unchanged=len(report.unchanged), problems=len(report.problems) - report.warned,
                          bytes_read=read, bytes_total=max(total, read))


def _queue(items: Iterable[Article | LoadProblem], report: IngestReport, known: dict[str, str],
           flush: Callable[[list[Article]], None], tell: Callable[[], None]) -> None:
    """Skip unchanged articles; hand the rest (exact copies too) to `flush` in batches of about BATCH_SENTENCES."""
    batch: list[Article] = []
    batched: set[str] = set()  # ids in `batch`: a later record with the same id goes in the next batch
    queued = 0
    for item in items:
        tell()
        if isinstance(item, LoadProblem):
            report.problems.append(item)
            if item.failed:
                report.records += 1
            else:  # a warning comes before its article, which is counted itself
                report.warned += 1
            continue
        report.records += 1
        if known.get(item.id) == item.content_hash:
            report.unchanged.append(item.id)
            continue
        known[item.id] = item.content_hash
        if item.id in batched:  # another version of an article in this batch: it replaces that one, after it
            flush(list(batch))
            batch.clear()
            batched.clear()
            queued = 0
        batch.append(item)
        batched.add(item.id)
        queued += item.text.count(".") + 1
        if queued >= BATCH_SENTENCES:
            flush(list(batch))
            batch.clear()
            batched.clear()
            queued = 0
    if batch:
        flush(list(batch))


def tqdm_progress(enabled: bool = True) -> tuple[Progress | None, Callable[[], None]]:
    """A progress callback drawing a tqdm bar on stderr, and a function that closes it.

    The bar measures input megabytes (so its rate and ETA are honest for archives of any shape) and
    shows articles and sentences written; without a byte total it shows the counts alone.
    """
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    class Bar(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, stats: str = "", **kwargs: Any) -> None:
            self.stats = stats  # before tqdm draws the first frame
            super().__init__(*args, **kwargs)

        @property
        def format_dict(self) -> dict[str, Any]:
            return {**super().format_dict, "stats": self.stats}

    bar: Any = None
    started = time.monotonic()
    drawn = 0.0
    latest: IngestProgress | None = None

    def draw() -> None:
        nonlocal bar, drawn
        assert latest is not None
        p, drawn = latest, time.monotonic()
        rate = p.sentences / max(drawn - started, 1e-9)
        extra = "".join(f", {n:,} {what}" for n, what in ((p.unchanged, "unchanged"), (p.problems, "failed")) if n)
        stats = f"{p.articles:,} articles, {p.sentences:,} sentences{extra}, {rate:,.0f} sent/s"
        if bar is None:
            bar = _bar(Bar, p.bytes_total, stats)
        bar.stats = stats
        if bar.total:
            bar.n = min(p.bytes_read, p.bytes_total) / 1e6
        bar.refresh()

    def update(p: IngestProgress) -> None:
        nonlocal latest
        latest = p
        if bar is None or time.monotonic() - drawn >= 0.2:
            draw()

    def close() -> None:
        if latest is not None:
            draw()
            bar.close()

    return update, close


def _bar(cls: Any, total_bytes: int, stats: str) -> Any:
    """A bar over input megabytes, or (without a total) the counts and the time taken."""
    if total_bytes:
        return cls(total=total_bytes / 1e6, file=sys.stderr, dynamic_ncols=True, desc="ingest", stats=stats,
                   bar_format="{desc} {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} MB [{elapsed}<{remaining}] {stats}")
    return cls(total=None, file=sys.stderr, dynamic_ncols=True, desc="ingest", stats=stats,
               bar_format="{desc} {stats} [{elapsed}]")


def ingest_paths(paths: Sequence[str | Path], store: Store, embedder: Embedder, *, limits: Limits = Limits(),
                 progress: Progress | None = None, lock_dir: Path | None = None,
                 lock_wait_s: float = 30.0) -> IngestReport:
    """Load files and folders and index every article in them (archives stream, record by record)."""
    return ingest_articles(load(paths, limits), store, embedder, progress=progress, lock_dir=lock_dir,
                           lock_wait_s=lock_wait_s, limits=limits)
