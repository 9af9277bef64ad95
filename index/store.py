"""The store: articles, sentences and chunks in Chroma, the single source of truth.

Three collections. `sentences` and `chunks` carry our vectors (Chroma never embeds);
`articles` holds each article's full text and metadata and is the commit record: an
article's sentences and chunks are written first, under ids that include the article's
content hash, and become visible only when its article record (naming that hash) is
written. A crash at any point leaves either the old version or the new one whole.
Leftovers of an interrupted write are invisible and `check(repair=True)` deletes them.

The articles collection's metadata holds a `generation` token that every commit changes, so
readers in other processes (app servers sharing a Chroma server) know when to reload, and a
`pending` mark set while an article is being written: a writer killed between its commit and
the generation change leaves the mark, and the next writer announces the commit for it.
"""

from __future__ import annotations

import os
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urlparse

import numpy as np

from index.errors import ModelMismatch, StoreUnavailable, UnknownArticle
from index.lock import lease_lock, open_lock, writer_lock
from index.models import Article, Chunk, Sentence

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

PREFIX = "sourced"
_PAGE = 2000


@dataclass(frozen=True)
class ArticleInfo:
    """An indexed article without its text."""

    id: str
    title: str
    source: str
    url: str
    published_at: str
    content_hash: str
    n_sentences: int
    n_chunks: int
    n_chars: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Problem:
    """One thing `Store.check` found wrong.

    `kind` is "leftover" (parts of no committed article: invisible, they only take space),
    "incomplete" (a committed article misses sentences or chunks) or "offsets" (a stored
    sentence is not at its offsets in the article text). `visible` says whether readers see it.
    """

    kind: str
    message: str
    article_id: str = ""
    visible: bool = True

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass
class Corpus:
    """Everything retrieval needs in memory, read from the store at one generation."""

    generation: str
    articles: list[ArticleInfo] = field(default_factory=list)
    sentence_ids: list[str] = field(default_factory=list)
    sentence_article: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    sentence_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    sentence_start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sentence_end: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sentence_text: list[str] = field(default_factory=list)
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    chunk_ids: list[str] = field(default_factory=list)
    chunk_article: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    chunk_first: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # sentence rows
    chunk_last: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    chunk_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    article_live: np.ndarray | None = None  # False for rows of removed or replaced articles kept in place

    def __post_init__(self) -> None:
        live = self.article_live
        self.article_row = {a.id: i for i, a in enumerate(self.articles) if live is None or live[i]}

    @property
    def empty(self) -> bool:
        """True when nothing is indexed."""
        return not self.article_row

    def sentence_key(self, row: int) -> str:
        """Public citation key of a sentence row: `article_id:index`."""
        return f"{self.articles[self.sentence_article[row]].id}:{int(self.sentence_index[row])}"


@dataclass(frozen=True)
class ArticleParts:
    """One committed article as stored: its record, text, sentences and chunks with their vectors."""

    info: ArticleInfo
    text: str
    sentences: np.ndarray  # (n, 3): index, start, end
    sentence_vectors: np.ndarray
    chunks: np.ndarray  # (m, 3): index, first sentence index, last sentence index
    chunk_vectors: np.ndarray


def _matrix(rows: list[Any]) -> np.ndarray:
    if not rows:
        return np.zeros((0, 0), np.float32)
    return np.asarray(np.stack([np.asarray(v, dtype=np.float32) for v in rows]), dtype=np.float32)


def sentence_id(article_id: str, version: str, index: int) -> str:
    """Chroma id of a sentence of one version of an article."""
    return f"{article_id}.{version}.s{index}"


def chunk_id(article_id: str, version: str, index: int) -> str:
    """Chroma id of a chunk of one version of an article."""
    return f"{article_id}.{version}.c{index}"


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
    return chromadb.PersistentClient(path=str(path / "chroma"), settings=settings)


def _span(meta: dict[str, Any], low: str, high: str) -> tuple[int, int, int]:
    """(index, start, end) of a sentence or (index, first, last) of a chunk; (-1, -1, -1) if unreadable.

    One "index a b" field, not three: Chroma keeps a row per metadata key, and three keys fewer
    make a sentence's write about 40% cheaper. Stores written before that have the three keys.
    """
    try:
        if "span" in meta:
            index, a, b = (int(x) for x in str(meta["span"]).split())
            return index, a, b
        return int(meta["index"]), int(meta[low]), int(meta[high])
    except (KeyError, TypeError, ValueError):
        return -1, -1, -1


def _rows(blocks: list[np.ndarray], dim: int) -> np.ndarray:
    """Stack per-article vector blocks into one float32 matrix."""
    blocks = [b for b in blocks if b.ndim == 2 and b.shape[0]]
    return np.concatenate(blocks).astype(np.float32) if blocks else np.zeros((0, dim), np.float32)


class Store:
    """Articles, sentences and chunks in Chroma (embedded on disk, or a Chroma server)."""

    def __init__(self, path: str | Path | None = None, *, chroma_url: str | None = None,
                 model: str = "", dim: int = 0) -> None:
        self.path = Path(path) if path is not None else None
        self.chroma_url = chroma_url
        with open_lock(self.path) if (self.path is not None and not chroma_url) else nullcontext():
            self._client = _client(self.path, chroma_url)
            try:
                self._open_collections(model, dim)
            except Exception as exc:
                if chroma_url:
                    raise StoreUnavailable(f"Chroma server at {chroma_url} could not be reached: {exc}") from None
                raise
        meta = self.articles_col.metadata or {}
        self._seen = str(meta.get("generation", "0"))  # the generation our client state reflects
        self._pending = ""  # the pending mark of our own write in progress
        if model and meta.get("model") and meta["model"] != model:
            raise ModelMismatch(
                f"this index was built with the embedding model '{meta['model']}', not '{model}'; "
                "use that model or another index directory"
            )
        if model and not meta.get("model"):
            self._set_meta(model=model, dim=dim)
        self.model = str((self.articles_col.metadata or {}).get("model") or model)

    def _open_collections(self, model: str = "", dim: int = 0) -> None:
        cosine = {"hnsw": {"space": "cosine"}}
        self.articles_col = self._client.get_or_create_collection(
            f"{PREFIX}-articles", embedding_function=None, metadata={"model": model or "", "dim": dim}
        )
        # Sentence vectors are read back whole (`load_corpus`), never searched in Chroma: a sparse
        # graph makes their writes about 30% cheaper. (Applies to new stores; old ones keep theirs.)
        sparse = {"hnsw": {"space": "cosine", "ef_construction": 16, "max_neighbors": 4}}
        self.sentences_col = self._client.get_or_create_collection(
            f"{PREFIX}-sentences", embedding_function=None, configuration=sparse
        )
        self.chunks_col = self._client.get_or_create_collection(
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
        col = self._client.get_collection(f"{PREFIX}-articles", embedding_function=None)
        meta = col.metadata or {}
        generation = str(meta.get("generation", "0"))
        if generation == self._seen and meta.get("pending", "") in ("", self._pending):
            return False  # nothing new, or only our own write in progress
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
        self._seen = generation
        return True

    # --- generation: changes whenever committed content changes -------------------

    def _set_meta(self, **values: Any) -> None:
        meta = dict(self.articles_col.metadata or {})
        meta.update(values)
        self.articles_col.modify(metadata=meta)

    def generation(self) -> str:
        """Token that changes on every commit, here or in another process sharing the store."""
        col = self._client.get_collection(f"{PREFIX}-articles", embedding_function=None)
        return str((col.metadata or {}).get("generation", "0"))

    def _bump(self) -> None:
        generation = uuid.uuid4().hex
        self._set_meta(generation=generation, pending="")
        self._seen, self._pending = generation, ""

    def announce(self) -> None:
        """Change the generation, so readers everywhere reload what was committed."""
        self._bump()

    def recover(self) -> bool:
        """Announce a commit whose writer died before changing the generation; True if there was one.

        Call it holding the writer lock (a live writer's mark is not a leftover).
        """
        col = self._client.get_collection(f"{PREFIX}-articles", embedding_function=None)
        if (col.metadata or {}).get("pending"):
            self._bump()
            return True
        return False

    def writer_lock(self, *, wait_s: float = 30.0) -> Any:
        """The lock every writer holds: a file lock beside an embedded store, a lease in a Chroma server."""
        if self.chroma_url or self.path is None:
            locks = self._client.get_or_create_collection(f"{PREFIX}-locks", embedding_function=None)
            return lease_lock(locks, wait_s=wait_s)
        return writer_lock(self.path, wait_s=wait_s)

    # --- reading ------------------------------------------------------------------

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
        )

    def list_articles(self) -> list[ArticleInfo]:
        """Committed articles, sorted by title."""
        rows = self._all(self.articles_col, ["metadatas"])
        return sorted((self._info(r["id"], r["metadatas"]) for r in rows), key=lambda a: (a.title, a.id))

    def count(self) -> int:
        """Number of committed articles."""
        return int(self.articles_col.count())

    def get_info(self, article_id: str) -> ArticleInfo | None:
        """Metadata of one article, or None."""
        got = self.articles_col.get(ids=[article_id], include=["metadatas"])
        if not got["ids"]:
            return None
        return self._info(got["ids"][0], got["metadatas"][0])

    def get_article(self, article_id: str) -> Article | None:
        """One committed article with its text, or None."""
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
        )

    def get_articles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        """Several committed articles by id (unknown ids are left out)."""
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return {}
        got = self.articles_col.get(ids=ids, include=["metadatas", "documents"])
        out = {}
        for id_, meta, doc in zip(got["ids"], got["metadatas"], got["documents"]):
            out[id_] = Article(id_, str(meta.get("title", "")), doc or "", str(meta.get("source", "")),
                               str(meta.get("url", "")), str(meta.get("published_at", "")),
                               str(meta.get("content_hash", "")))
        return out

    def load_corpus(self) -> Corpus:
        """Read all committed sentences and chunks (with vectors) into memory."""
        self.refresh()
        generation = self.generation()
        infos = self.list_articles()
        version = {a.id: a.content_hash for a in infos}
        row_of = {a.id: i for i, a in enumerate(infos)}
        texts = {r["id"]: r["documents"] or "" for r in self._all(self.articles_col, ["documents"])}
        sentences = []
        for r in self._all(self.sentences_col, ["metadatas", "embeddings"]):
            m = r["metadatas"]
            aid = m.get("article_id")
            if aid in version and m.get("version") == version[aid]:
                index, start, end = _span(m, "start", "end")
                sentences.append((row_of[aid], index, start, end, texts.get(aid, "")[start:end],
                                  r["embeddings"], r["id"]))
        sentences.sort(key=lambda s: (s[0], s[1]))
        sentence_ids = [s[6] for s in sentences]
        srow = {(s[0], s[1]): i for i, s in enumerate(sentences)}
        chunks = []
        for r in self._all(self.chunks_col, ["metadatas", "embeddings"]):
            m = r["metadatas"]
            aid = m.get("article_id")
            if aid in version and m.get("version") == version[aid]:
                a = row_of[aid]
                index, first_index, last_index = _span(m, "first", "last")
                first, last = srow.get((a, first_index)), srow.get((a, last_index))
                if first is not None and last is not None:
                    chunks.append((a, index, first, last, r["embeddings"], r["id"]))
        chunks.sort(key=lambda c: (c[0], c[1]))

        return Corpus(
            generation=generation,
            articles=infos,
            sentence_ids=sentence_ids,
            sentence_article=np.asarray([s[0] for s in sentences], np.int32),
            sentence_index=np.asarray([s[1] for s in sentences], np.int32),
            sentence_start=np.asarray([s[2] for s in sentences], np.int64),
            sentence_end=np.asarray([s[3] for s in sentences], np.int64),
            sentence_text=[s[4] for s in sentences],
            sentence_vectors=_matrix([s[5] for s in sentences]),
            chunk_ids=[c[5] for c in chunks],
            chunk_article=np.asarray([c[0] for c in chunks], np.int32),
            chunk_first=np.asarray([c[2] for c in chunks], np.int32),
            chunk_last=np.asarray([c[3] for c in chunks], np.int32),
            chunk_vectors=_matrix([c[4] for c in chunks]),
        )

    def read_parts(self, article_ids: list[str]) -> list[ArticleParts]:
        """Committed articles with their sentences and chunks (offsets and vectors), in the order asked.

        Only parts of each article's committed version are returned; ids not committed are left out.
        What derived indexes are built from, a group of articles at a time.
        """
        infos = {}
        got = self.articles_col.get(ids=list(article_ids), include=["metadatas", "documents"])
        texts = {}
        for id_, meta, doc in zip(got["ids"], got["metadatas"], got["documents"]):
            infos[id_] = self._info(id_, meta or {})
            texts[id_] = doc or ""
        if not infos:
            return []
        where = {"article_id": {"$in": list(infos)}}
        sentences: dict[str, list[tuple[int, int, int, Any]]] = {aid: [] for aid in infos}
        chunks: dict[str, list[tuple[int, int, int, Any]]] = {aid: [] for aid in infos}
        for col, into, low, high in ((self.sentences_col, sentences, "start", "end"),
                                     (self.chunks_col, chunks, "first", "last")):
            for r in self._all(col, ["metadatas", "embeddings"], where=where):
                m = r["metadatas"] or {}
                aid = m.get("article_id")
                if aid in infos and m.get("version") == infos[aid].content_hash:
                    into[aid].append((*_span(m, low, high), r["embeddings"]))
        out = []
        for aid in article_ids:
            if aid not in infos:
                continue
            s = sorted(sentences[aid], key=lambda x: x[0])
            c = sorted(chunks[aid], key=lambda x: x[0])
            out.append(ArticleParts(
                infos[aid], texts[aid], np.asarray([x[:3] for x in s], np.int64).reshape(-1, 3),
                _matrix([x[3] for x in s]), np.asarray([x[:3] for x in c], np.int64).reshape(-1, 3),
                _matrix([x[3] for x in c])))
        return out

    def query(self, which: str, vector: np.ndarray, n: int,
              article_ids: list[str] | None = None) -> list[tuple[str, float]]:
        """Nearest `n` sentences or chunks to `vector`: (chroma id, cosine similarity)."""
        col = self.sentences_col if which == "sentences" else self.chunks_col
        total = col.count()
        if total == 0:
            return []
        where = None
        if article_ids is not None:
            if not article_ids:
                return []
            where = {"article_id": {"$in": list(article_ids)}}
        got = col.query(query_embeddings=[vector.tolist()], n_results=min(n, total), where=where,
                        include=["distances"])
        return [(id_, 1.0 - float(d)) for id_, d in zip(got["ids"][0], got["distances"][0])]

    # --- writing ------------------------------------------------------------------

    def _upsert(self, col: Any, ids: list[str], vectors: np.ndarray, metas: list[dict[str, Any]]) -> None:
        """Vectors and offsets only: a sentence's or chunk's text is its article's text[start:end],
        stored once in the article record (Chroma indexes every document for full-text search)."""
        step = max(1, min(self._client.get_max_batch_size(), 1000))
        for i in range(0, len(ids), step):
            col.upsert(ids=ids[i : i + step], embeddings=vectors[i : i + step], metadatas=metas[i : i + step])

    def put(self, article: Article, sentences: list[Sentence], chunks: list[Chunk],
            sentence_vectors: np.ndarray, chunk_vectors: np.ndarray, *, announce: bool = True) -> str | None:
        """Write one article whole; return the content hash it replaced, if any.

        With `announce=False` the generation is left alone (call `announce()` after a batch): app
        servers then reload their corpus once per batch rather than once per article.
        """
        return self.put_many([(article, sentences, chunks, sentence_vectors, chunk_vectors)], announce=announce)[0]

    def put_many(self, items: list[tuple[Article, list[Sentence], list[Chunk], np.ndarray, np.ndarray]], *,
                 announce: bool = True) -> list[str | None]:
        """Write several articles, each whole; return per article the content hash it replaced, if any.

        All parts of all articles go first, then all article records in one upsert: each record is
        its article's commit point, so a crash leaves every article old-or-new, never half. A batch
        costs a handful of Chroma calls instead of a handful per article.
        """
        if not items:
            return []
        got = self.articles_col.get(ids=[a.id for a, *_ in items], include=["metadatas"])
        previous = {id_: str((m or {}).get("content_hash", "")) for id_, m in zip(got["ids"], got["metadatas"])}
        self._pending = f"batch.{len(items)}.{uuid.uuid4().hex[:8]}"
        self._set_meta(pending=self._pending)
        s_ids: list[str] = []
        s_meta: list[dict[str, Any]] = []
        c_ids: list[str] = []
        c_meta: list[dict[str, Any]] = []
        for article, sentences, chunks, _, _ in items:
            version = article.content_hash
            s_ids += [sentence_id(article.id, version, s.index) for s in sentences]
            s_meta += [{"article_id": article.id, "version": version, "span": f"{s.index} {s.start} {s.end}"}
                       for s in sentences]
            c_ids += [chunk_id(article.id, version, c.index) for c in chunks]
            c_meta += [{"article_id": article.id, "version": version,
                        "span": f"{c.index} {c.first_sentence} {c.last_sentence}"} for c in chunks]
        dim = next((v.shape[1] for *_, v, _ in items if v.ndim == 2 and v.shape[0]), 0)
        self._upsert(self.sentences_col, s_ids, _rows([it[3] for it in items], dim), s_meta)
        self._upsert(self.chunks_col, c_ids, _rows([it[4] for it in items], dim), c_meta)
        records = [
            {"title": a.title, "source": a.source, "url": a.url, "published_at": a.published_at,
             "content_hash": a.content_hash, "n_sentences": len(ss), "n_chunks": len(cs), "n_chars": len(a.text)}
            for a, ss, cs, _, _ in items
        ]
        # The commit point: from here on readers see the new versions.
        self.articles_col.upsert(ids=[a.id for a, *_ in items], embeddings=[[1.0]] * len(items),
                                 documents=[a.text for a, *_ in items], metadatas=records)
        if announce:
            self._bump()
        replaced: list[str | None] = []
        for article, *_ in items:
            old = previous.get(article.id)
            if old is not None and old != article.content_hash:
                self._delete_parts(article.id, keep_version=article.content_hash)
                replaced.append(old)
            else:
                replaced.append(None)
        return replaced

    def _delete_parts(self, article_id: str, keep_version: str | None = None) -> None:
        where: dict[str, Any] = {"article_id": article_id}
        if keep_version is not None:
            where = {"$and": [{"article_id": article_id}, {"version": {"$ne": keep_version}}]}
        self.sentences_col.delete(where=where)
        self.chunks_col.delete(where=where)

    def remove(self, article_id: str) -> None:
        """Delete one article: its record first (it vanishes at once), then its parts."""
        self.refresh()
        if self.get_info(article_id) is None:
            raise UnknownArticle(f"no article with id '{article_id}' is in the index (see `qa list`)")
        self._pending = f"{article_id}.removed.{uuid.uuid4().hex[:8]}"
        self._set_meta(pending=self._pending)
        self.articles_col.delete(ids=[article_id])
        self._bump()
        self._delete_parts(article_id)

    def check(self, *, repair: bool = False) -> list[Problem]:
        """Problems that break the all-or-nothing rule or the offsets; with `repair`, fix them.

        Repair deletes leftovers and removes damaged articles (re-ingest them). Run it holding the
        writer lock: a live writer's parts look like leftovers until it commits.
        """
        self.refresh()
        problems: list[Problem] = []
        infos = {a.id: a for a in self.list_articles()}
        sentences: dict[str, list[tuple[int, int, int]]] = {}
        chunks: dict[str, list[tuple[int, int, int]]] = {}
        orphans: dict[str, list[str]] = {"sentences": [], "chunks": []}
        for r in self._all(self.sentences_col, ["metadatas"]):
            m = r["metadatas"] or {}
            info = infos.get(str(m.get("article_id")))
            if info is None or info.content_hash != m.get("version"):
                orphans["sentences"].append(r["id"])
                continue
            sentences.setdefault(info.id, []).append(_span(m, "start", "end"))
        for r in self._all(self.chunks_col, ["metadatas"]):
            m = r["metadatas"] or {}
            info = infos.get(str(m.get("article_id")))
            if info is None or info.content_hash != m.get("version"):
                orphans["chunks"].append(r["id"])
                continue
            chunks.setdefault(info.id, []).append(_span(m, "first", "last"))
        for name, ids in orphans.items():
            if ids:
                problems.append(Problem("leftover", f"{len(ids)} {name} belong to no committed article "
                                        "(an interrupted write; invisible to readers)", visible=False))
        damaged: list[str] = []
        ids = sorted(infos)
        for i in range(0, len(ids), 100):
            for aid, article in self.get_articles(ids[i : i + 100]).items():
                problem = self._check_article(infos[aid], article.text, sorted(sentences.get(aid, [])),
                                              sorted(chunks.get(aid, [])))
                if problem is not None:
                    problems.append(problem)
                    damaged.append(aid)
        if repair:
            for name, col in (("sentences", self.sentences_col), ("chunks", self.chunks_col)):
                found = orphans[name]
                for i in range(0, len(found), 1000):
                    col.delete(ids=found[i : i + 1000])
            for aid in damaged:
                self.remove(aid)
            if not self.recover() and any(orphans.values()):
                self._bump()
        return problems

    @staticmethod
    def _check_article(info: ArticleInfo, text: str, sentences: list[tuple[int, int, int]],
                       chunks: list[tuple[int, int, int]]) -> Problem | None:
        """The one problem of a committed article, or None when it is whole and its offsets hold."""
        where = f"article {info.id} ('{info.title}')"
        if [s[0] for s in sentences] != list(range(info.n_sentences)) or \
                [c[0] for c in chunks] != list(range(info.n_chunks)):
            return Problem("incomplete", f"{where} has {len(sentences)}/{info.n_sentences} sentences and "
                           f"{len(chunks)}/{info.n_chunks} chunks; repair removes it, then re-ingest it", info.id)
        for index, start, end in sentences:
            if not 0 <= start < end <= len(text) or not text[start:end].strip():
                return Problem("offsets", f"{where}: sentence {index} is not at characters {start}-{end} of "
                               "the stored text; repair removes it, then re-ingest it", info.id)
        for index, first, last in chunks:
            if not 0 <= first <= last < info.n_sentences:
                return Problem("incomplete", f"{where}: chunk {index} spans sentences {first}-{last} of "
                               f"{info.n_sentences}; repair removes it, then re-ingest it", info.id)
        return None
