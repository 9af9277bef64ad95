"""`Library`: the articles' side of `QA`. Takes files, uploads and removals; gives the indexed articles and a
retriever over their current generation. Only writes make an index: reading where there is none finds it empty."""

from __future__ import annotations

import logging
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

from index.embedder import make_embedder
from index.encoding import Embedder
from index.ingest import ingest_articles, ingest_paths, tqdm_progress
from index.layout import ArticleInfo, Problem
from index.loaders import parse_bytes
from index.models import Article, IngestReport, LoadProblem
from index.store import Store
from qa.errors import EmptyIndex, OutOfResources
from qa.evidence.ranker import Ranker
from qa.evidence.retrieval import Retriever
from qa.search.derived import Derived
from qa.search.lexicon import assemble
from qa.settings import Settings, chroma_url, derived_dir, index_dir

REFRESH_EVERY_S = 1.0  # how often to look for commits made by other processes


class Library:
    """The articles of an index directory (or a Chroma server): ingesting, removing, checking, listing them,
    and the retriever over their current generation (kept up to date with commits of other processes)."""

    def __init__(self, index: str | Path | None = None, *, chroma: str | None = None,
                 embedder: Embedder | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.index_dir = index_dir(index)
        self.chroma_url = chroma_url(chroma)
        self.embedder: Any = embedder or make_embedder(self.settings.model, encoder=self.settings.encoder)
        self.store = Store(self.index_dir, chroma_url=self.chroma_url, model=self.embedder.name)
        self.ranker = Ranker.load()
        self.derived = Derived(derived_dir(self.index_dir, self.chroma_url))
        self._retriever: Retriever | None = None
        self._checked_at = 0.0
        self._lock = threading.RLock()

    @property
    def exists(self) -> bool:
        """False while there is no index (an embedded one is made when the first article is added)."""
        return self.store.exists

    def no_index(self) -> EmptyIndex:
        """The error for reading where there is no index: where it looked (for local doors: HTTP answers
        never name server paths), and how to make one."""
        return EmptyIndex(f"No index at {self.index_dir.absolute()}: add articles with `qa ingest FILES` "
                          "(e.g. `qa ingest seeds/`).")

    # --- ingestion -----------------------------------------------------------------

    @property
    def _lock_dir(self) -> Path | None:
        return None if self.chroma_url else self.index_dir

    def ingest(self, paths: Sequence[str | Path], *, progress: bool = False) -> IngestReport:
        """Index files and folders; unchanged articles are skipped, edited ones replaced.

        Archives (.json, .jsonl) stream record by record under `settings.limits`; a bad record is a
        problem in the report. Ctrl+C returns the report with `interrupted` set.
        """
        update, close = tqdm_progress(progress)
        try:
            report = ingest_paths(list(paths), self.store, self.embedder, limits=self.settings.limits,
                                  progress=update, lock_dir=self._lock_dir,
                                  lock_wait_s=self.settings.lock_wait_s)
        finally:
            close()
        if progress and (report.added or report.replaced):
            print(f"indexing {report.sentences:,} new sentences for search (tokens, BM25 postings) ...",
                  file=sys.stderr, flush=True)
        self._after_write()
        return report

    def ingest_bytes(self, files: Sequence[tuple[str, bytes]]) -> IngestReport:
        """Index uploaded files given as (file name, content)."""
        items = (item for name, data in files for item in parse_bytes(name, data, limits=self.settings.limits))
        report = ingest_articles(items, self.store, self.embedder, lock_dir=self._lock_dir,
                                 lock_wait_s=self.settings.lock_wait_s, limits=self.settings.limits)
        self._after_write()
        return report

    def ingest_uploads(self, files: Sequence[tuple[str, bytes]]) -> list[IngestReport]:
        """Index uploaded files, given as (file name, content), in one commit (one writer lock, one derived
        segment, whatever their number); each file's own report, in order."""
        owner: dict[str, int] = {}  # article id -> the file it came from (a later file's copy wins)
        problem_of: dict[int, int] = {}  # id(problem) -> its file

        def items() -> Iterator[Article | LoadProblem]:
            for i, (name, data) in enumerate(files):
                for item in parse_bytes(name, data, limits=self.settings.limits):
                    if isinstance(item, Article):
                        owner[item.id] = i
                    else:
                        problem_of[id(item)] = i
                    yield item

        report = ingest_articles(items(), self.store, self.embedder, lock_dir=self._lock_dir,
                                 lock_wait_s=self.settings.lock_wait_s, limits=self.settings.limits)
        self._after_write()
        return split_report(report, len(files), owner, problem_of)

    def remove(self, article_id: str) -> None:
        """Delete one article and everything derived from it."""
        with self.store.writer_lock(wait_s=self.settings.lock_wait_s):
            self.store.remove(article_id)
        self._after_write()

    def check(self, *, repair: bool = False) -> list[Problem]:
        """Integrity problems of the index (and, with `repair`, fix what can be fixed).

        Holds the writer lock, so it never mistakes a running ingest's parts for leftovers. Where there
        is no index, there is nothing to check (and nothing is made).
        """
        if not self.exists:
            return []
        with self.store.writer_lock(wait_s=self.settings.lock_wait_s):
            problems = self.store.check(repair=repair)
        problems += self.derived.check(repair=repair)
        if repair:
            self._after_write()
        else:
            self._invalidate()
        return problems

    # --- reading ---------------------------------------------------------------------

    def articles(self) -> list[ArticleInfo]:
        """Indexed articles."""
        return self.store.list_articles()

    def article(self, article_id: str) -> Article | None:
        """One indexed article with its text."""
        return self.store.get_article(article_id)

    def _invalidate(self) -> None:
        with self._lock:
            self._checked_at = 0.0

    def _after_write(self) -> None:
        """Bring the derived indexes up to date after this process wrote, so the next reader starts fast.

        What was written is committed whatever happens here: a failure (out of files, say) is logged and the
        next reader tries again, so an ingest that indexed its articles never reports that it did not.
        """
        self._invalidate()
        try:
            self.retriever(compact=True)
        except Exception as exc:  # noqa: BLE001  also chromadb's InternalError: "hnsw segment reader: Nothing
            # found on disk", met once in 100 uploads when a read follows its commit at once (CI, 2026-12-07)
            logging.getLogger(__name__).warning("derived indexes not updated: %s: %s", type(exc).__name__, exc)

    def retriever(self, *, compact: bool = False) -> Retriever:
        """The retriever over the current generation of the store (updated when it changed).

        With `compact` (after this process wrote), small or mostly dead derived segments are re-read into few.
        """
        now = time.monotonic()
        current = self._retriever
        if current is not None and now - self._checked_at < REFRESH_EVERY_S:
            return current
        with self._lock:
            current = self._retriever
            if current is not None and time.monotonic() - self._checked_at < REFRESH_EVERY_S:
                return current
            generation = self.store.generation()
            if current is None or current.corpus.generation != generation:
                # The derived indexes are brought up to date by a delta (or read as they are) and
                # memory-mapped; the old retriever shares their segments until it is dropped. Where
                # there is no index yet, an empty lexicon: reading makes no files.
                self.store.refresh()
                lexicon = self.derived.lexicon(self.store, compact=compact) if self.exists else \
                    assemble([], [], generation)
                current = Retriever(lexicon, self.store, self.ranker, self.embedder,
                                    n_candidates=self.settings.n_candidates)
                self._retriever = current
            self._checked_at = time.monotonic()
            return current

    def health(self) -> dict[str, Any]:
        """What a question needs, tried: the retriever over the store's current generation, the store's article
        list, and room for one more open file. Raises the error a question would meet (`OutOfResources` when
        the process is out of open files or memory), so a health check fails exactly when questions would."""
        try:
            fd = os.open(os.devnull, os.O_RDONLY)
        except OSError as exc:
            raise OutOfResources(f"out of open files ({exc.strerror})") from None
        os.close(fd)
        self.retriever()
        return {"articles": len(self.articles()), "open_files": open_files(), "open_files_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}

    def _nonempty_retriever(self) -> Retriever:
        """The current retriever; `EmptyIndex` when the index holds no article (or there is no index)."""
        retriever = self.retriever()
        if retriever.corpus.empty:
            raise EmptyIndex()
        return retriever


def split_report(report: IngestReport, n_files: int, owner: dict[str, int],
                 problem_of: dict[int, int]) -> list[IngestReport]:
    """One ingest's report as one per input file: each article under the file it came from, each problem under
    the file it names (by the problem, else its article; else the first file). Each file's records are its
    outcomes and failures; sentences and chunks stay the whole ingest's, on the first file's report."""
    reports = [IngestReport(interrupted=report.interrupted, committed_at=report.committed_at) for _ in range(n_files)]
    if not reports:
        return reports
    for outcome in ("added", "replaced", "unchanged", "copies"):
        for article_id in getattr(report, outcome):
            getattr(reports[owner.get(article_id, 0)], outcome).append(article_id)
    for p in report.problems:
        at = problem_of.get(id(p), owner.get(p.article_id or "", 0))
        reports[at].problems.append(p)
        reports[at].warned += not p.failed
    for r in reports:
        r.records = len(r.added) + len(r.replaced) + len(r.unchanged) + len(r.failures)
    reports[0].sentences, reports[0].chunks = report.sentences, report.chunks
    return reports


def open_files() -> int | None:
    """How many files this process has open (None where /proc does not say)."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None
