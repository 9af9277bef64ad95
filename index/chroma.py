"""The Chroma side of the store: the client, its three collections, the generation token and the locks.

The articles collection's metadata holds a `generation` token that every commit changes, so
readers in other processes (app servers sharing a Chroma server) know when to reload, and a
`pending` mark set while an article is being written: a writer killed between its commit and
the generation change leaves the mark, and the next writer announces the commit for it.

An embedded store that is not on disk yet is made by its first write, never by a reader: until
then every read finds an empty index (`exists` is False), so asking or listing creates nothing.
"""

from __future__ import annotations

import os
import threading
import uuid
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urlparse

from index.errors import OUT_OF_FILES, ModelMismatch, OutOfResources, StoreUnavailable
from index.layout import PREFIX, ArticleInfo
from index.lock import lease_lock, open_lock, writer_lock
from index.models import Article

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

_PAGE = 2000


def _client(path: Path | None, chroma_url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        parsed = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        try:
            return chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=settings,
            )
        except Exception as exc:  # chromadb raises several kinds here
            raise StoreUnavailable(f"Chroma server at {chroma_url} could not be reached: {exc}") from None
    assert path is not None
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path / "chroma"), settings=settings)
    except BaseException as exc:  # out of files, chromadb's Rust side panics (a BaseException), not an OSError
        if not _out_of_files(exc):
            raise
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(path / "chroma"), None)  # half started: not reused
        raise OutOfResources(f"out of open files or memory opening the store ({exc})") from None


def lost_segment(exc: BaseException) -> bool:
    """chromadb's "Error creating hnsw segment reader: Nothing found on disk": this process's view of an
    embedded store lost track of a vector segment (seen in a server taking uploads into a store its first upload
    made: every later read failed the same way); a fresh view reads it."""
    return "Nothing found on disk" in str(exc)


def _out_of_files(exc: BaseException) -> bool:
    """True when `exc` says the process or machine ran out of open files or memory."""
    if isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno in OUT_OF_FILES):
        return True
    text = str(exc)
    return "Too many open files" in text or "code: 24," in text or "code: 23," in text


class Collections:
    """Chroma (embedded on disk, or a server) with the articles, sentences and chunks collections."""

    def __init__(self, path: str | Path | None = None, *, chroma_url: str | None = None,
                 model: str = "", dim: int = 0) -> None:
        self.path = Path(path) if path is not None else None
        self.chroma_url = chroma_url
        self.model = model
        self._dim = dim
        self._client: Any = None  # opened now if the store exists, else by the first write
        self._seen = "0"  # the generation our client state reflects
        self._pending = ""  # the pending mark of our own write in progress
        self._opening = threading.Lock()  # threads of an app server may make the first use together
        if self.exists:
            self._open()

    @property
    def exists(self) -> bool:
        """True when there is a store to read: a Chroma server, or an embedded one on disk (made by its first write)."""
        return self._client is not None or bool(self.chroma_url) or self._on_disk()

    def _on_disk(self) -> bool:
        return self.path is not None and (self.path / "chroma").is_dir()

    @property
    def articles_col(self) -> Any:
        """The articles collection (the commit records); the first use makes a store not yet on disk."""
        return self._opened()._articles

    @property
    def sentences_col(self) -> Any:
        """The sentences collection (vectors and offsets)."""
        return self._opened()._sentences

    @property
    def chunks_col(self) -> Any:
        """The chunks collection (vectors and sentence spans)."""
        return self._opened()._chunks

    def _opened(self) -> Collections:
        if self._client is None:
            with self._opening:
                if self._client is None:
                    self._open()
        return self

    def _open(self) -> None:
        """Open Chroma and the collections (making them if need be); check the embedding model."""
        model, dim, chroma_url = self.model, self._dim, self.chroma_url
        with open_lock(self.path) if (self.path is not None and not chroma_url) else nullcontext():
            self._client = _client(self.path, chroma_url)
            try:
                self._open_collections(model, dim)
            except Exception as exc:
                if chroma_url:
                    raise StoreUnavailable(f"Chroma server at {chroma_url} could not be reached: {exc}") from None
                raise
        meta = self._articles.metadata or {}
        self._seen = str(meta.get("generation", "0"))
        if model and meta.get("model") and meta["model"] != model:
            self._client = None  # not opened: every use raises this again
            raise ModelMismatch(
                f"this index was built with the embedding model '{meta['model']}', not '{model}'; "
                "use that model or another index directory"
            )
        if model and not meta.get("model"):
            self._set_meta(model=model, dim=dim)
        self.model = str((self._articles.metadata or {}).get("model") or model)

    def _open_collections(self, model: str = "", dim: int = 0) -> None:
        cosine = {"hnsw": {"space": "cosine"}}
        self._articles = self._client.get_or_create_collection(
            f"{PREFIX}-articles", embedding_function=None, metadata={"model": model or "", "dim": dim}
        )
        # Sentence vectors are read back whole (`load_corpus`), never searched in Chroma: a sparse
        # graph makes their writes about 30% cheaper. (Applies to new stores; old ones keep theirs.)
        sparse = {"hnsw": {"space": "cosine", "ef_construction": 16, "max_neighbors": 4}}
        self._sentences = self._client.get_or_create_collection(
            f"{PREFIX}-sentences", embedding_function=None, configuration=sparse
        )
        self._chunks = self._client.get_or_create_collection(
            f"{PREFIX}-chunks", embedding_function=None, configuration=cosine
        )

    def refresh(self) -> bool:
        """Embedded store only: reopen Chroma if another process wrote since we looked; True if reopened.

        An embedded Chroma client keeps its vector index in memory and does not notice another
        process's writes (reads then fail with "Error finding id", and a write from the stale view
        could overwrite the other's index files). Readers call this when the generation changed;
        writers call it after taking the writer lock. A Chroma server has no such problem.
        """
        if self.chroma_url or self.path is None:
            return False
        if self._client is None:  # not on disk when we looked: another process may have made it since
            if not self._on_disk():
                return False
            self._opened()
            return True
        col = self._client.get_collection(f"{PREFIX}-articles", embedding_function=None)
        meta = col.metadata or {}
        generation = str(meta.get("generation", "0"))
        if generation == self._seen and meta.get("pending", "") in ("", self._pending):
            return False  # nothing new, or only our own write in progress
        self.reopen()
        self._seen = generation
        return True

    def reopen(self) -> None:
        """Embedded store only: drop this process's shared Chroma state for the path and open it afresh."""
        if self.chroma_url or self.path is None or self._client is None:
            return
        try:  # chromadb shares one client state per path in a process: drop it to get a fresh one
            from chromadb.api.shared_system_client import SharedSystemClient

            identifier = self._client._identifier
            SharedSystemClient._identifier_to_system.pop(identifier, None)
            SharedSystemClient._identifier_to_refcount.pop(identifier, None)
        except (ImportError, AttributeError):  # pragma: no cover - another chromadb layout
            pass
        # The old state is not stopped: threads of this process may still be reading through it, and
        # it is freed with its last client (measured: file handles stay flat, about 0.3 MB per reopen).
        self._client = _client(self.path, None)
        self._open_collections()

    # --- generation: changes whenever committed content changes -------------------

    def _set_meta(self, **values: Any) -> None:
        meta = dict(self.articles_col.metadata or {})
        meta.update(values)
        self.articles_col.modify(metadata=meta)

    def generation(self) -> str:
        """Token that changes on every commit, here or in another process sharing the store."""
        if not self.exists:
            return "0"
        col = self._opened()._client.get_collection(f"{PREFIX}-articles", embedding_function=None)
        return str((col.metadata or {}).get("generation", "0"))

    def _bump(self, *, keep_pending: bool = False) -> None:
        """A new generation; with `keep_pending`, our mark stays until `_clear_pending` (deletes still to do)."""
        generation = uuid.uuid4().hex
        self._set_meta(generation=generation, pending=self._pending if keep_pending else "")
        self._seen = generation
        if not keep_pending:
            self._pending = ""

    def _clear_pending(self) -> None:
        self._set_meta(pending="")
        self._pending = ""

    def announce(self) -> None:
        """Change the generation, so readers everywhere reload what was committed."""
        self._bump()

    def recover(self) -> bool:
        """Announce a commit whose writer died before changing the generation; True if there was one.

        Call it holding the writer lock (a live writer's mark is not a leftover).
        """
        if not self.exists:
            return False
        col = self._opened()._client.get_collection(f"{PREFIX}-articles", embedding_function=None)
        if (col.metadata or {}).get("pending"):
            self._bump()
            return True
        return False

    def writer_lock(self, *, wait_s: float = 30.0) -> Any:
        """The lock every writer holds: a file lock beside an embedded store, a lease in a Chroma server."""
        if self.chroma_url or self.path is None:
            locks = self._opened()._client.get_or_create_collection(f"{PREFIX}-locks", embedding_function=None)
            return lease_lock(locks, wait_s=wait_s)
        return writer_lock(self.path, wait_s=wait_s)

    # --- article records -----------------------------------------------------------

    def _all(self, col: Any, include: list[str], where: dict[str, Any] | None = None) -> Iterator[dict]:
        offset = 0
        while True:
            page = col.get(include=include, where=where, limit=_PAGE, offset=offset)
            ids = page["ids"]
            if not ids:
                return
            for i, id_ in enumerate(ids):
                row: dict[str, Any] = {"id": id_}
                for key in include:
                    values = page.get(key)
                    row[key] = values[i] if values is not None else None
                yield row
            if len(ids) < _PAGE:
                return
            offset += len(ids)

    @staticmethod
    def _info(id_: str, meta: dict[str, Any]) -> ArticleInfo:
        return ArticleInfo(
            id=id_,
            title=str(meta.get("title", "")),
            source=str(meta.get("source", "")),
            url=str(meta.get("url", "")),
            published_at=str(meta.get("published_at", "")),
            content_hash=str(meta.get("content_hash", "")),
            n_sentences=int(meta.get("n_sentences", 0)),
            n_chunks=int(meta.get("n_chunks", 0)),
            n_chars=int(meta.get("n_chars", 0)),
            story=str(meta.get("story") or id_),  # records written before stories: a story of its own
            original=meta.get("original") is True,
        )

    def list_articles(self) -> list[ArticleInfo]:
        """Committed articles, sorted by title."""
        return [info for info, _ in self.list_signed()]

    def list_signed(self) -> list[tuple[ArticleInfo, object]]:
        """Committed articles with their stored story signatures (None when absent), sorted by title."""
        if not self.exists:
            return []
        rows = ((self._info(r["id"], r["metadatas"] or {}), (r["metadatas"] or {}).get("minhash"))
                for r in self._all(self.articles_col, ["metadatas"]))
        return sorted(rows, key=lambda pair: (pair[0].title, pair[0].id))

    def mark(self, marks: dict[str, dict[str, Any]]) -> None:
        """Add fields to committed article records (the signature an older record lacks).

        Announced like a commit, so embedded clients in other processes reopen before they write.
        """
        if not marks:
            return
        self._pending = f"marks.{len(marks)}.{uuid.uuid4().hex[:8]}"
        self._set_meta(pending=self._pending)
        ids = list(marks)
        step = max(1, min(self._client.get_max_batch_size(), 1000))
        for i in range(0, len(ids), step):
            self.articles_col.update(ids=ids[i : i + step], metadatas=[marks[x] for x in ids[i : i + step]])
        self._bump()

    def count(self) -> int:
        """Number of committed articles."""
        if not self.exists:
            return 0
        return int(self.articles_col.count())

    def get_info(self, article_id: str) -> ArticleInfo | None:
        """Metadata of one article, or None."""
        if not self.exists:
            return None
        got = self.articles_col.get(ids=[article_id], include=["metadatas"])
        if not got["ids"]:
            return None
        return self._info(got["ids"][0], got["metadatas"][0])

    def get_article(self, article_id: str) -> Article | None:
        """One committed article with its text, or None."""
        if not self.exists:
            return None
        got = self.articles_col.get(ids=[article_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        meta = got["metadatas"][0]
        return Article(
            id=article_id,
            title=str(meta.get("title", "")),
            text=got["documents"][0] or "",
            source=str(meta.get("source", "")),
            url=str(meta.get("url", "")),
            published_at=str(meta.get("published_at", "")),
            content_hash=str(meta.get("content_hash", "")),
            original=meta.get("original") is True,
        )

    def get_articles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        """Several committed articles by id (unknown ids are left out)."""
        ids = list(dict.fromkeys(article_ids))
        if not ids or not self.exists:
            return {}
        got = self.articles_col.get(ids=ids, include=["metadatas", "documents"])
        out = {}
        for id_, meta, doc in zip(got["ids"], got["metadatas"], got["documents"]):
            out[id_] = Article(id_, str(meta.get("title", "")), doc or "", str(meta.get("source", "")),
                               str(meta.get("url", "")), str(meta.get("published_at", "")),
                               str(meta.get("content_hash", "")), original=meta.get("original") is True)
        return out
