"""The store: articles, sentences and chunks in Chroma, the single source of truth.

Three collections. `sentences` and `chunks` carry our vectors (Chroma never embeds); `articles`
holds each article's full text and metadata and is the commit record. In four files along the seams:
`index.layout` (ids, metadata, the shapes read back), `index.chroma` (the client, collections,
generation token, locks, article records), `index.commit` (writes and the integrity check) and this
one, the reading side retrieval builds on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from index.chroma import lost_segment
from index.commit import Commits
from index.layout import ArticleParts, Corpus, matrix, span


class Store(Commits):
    """Articles, sentences and chunks in Chroma (embedded on disk, or a Chroma server).

    `Collections` opens Chroma and reads article records, `Commits` writes and checks; this is the
    reading side retrieval builds on: the whole corpus, or some articles' parts, at their offsets.
    """

    def load_corpus(self) -> Corpus:
        """Read all committed sentences and chunks (with vectors) into memory."""
        if not self.exists:
            return Corpus(self.generation())
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
                index, start, end = span(m, "start", "end")
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
                index, first_index, last_index = span(m, "first", "last")
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
            sentence_vectors=matrix([s[5] for s in sentences]),
            chunk_ids=[c[5] for c in chunks],
            chunk_article=np.asarray([c[0] for c in chunks], np.int32),
            chunk_first=np.asarray([c[2] for c in chunks], np.int32),
            chunk_last=np.asarray([c[3] for c in chunks], np.int32),
            chunk_vectors=matrix([c[4] for c in chunks]),
        )

    def read_parts(self, article_ids: list[str]) -> list[ArticleParts]:
        """Committed articles with their sentences and chunks (offsets and vectors), in the order asked.

        Only parts of each article's committed version are returned; ids not committed are left out.
        What derived indexes are built from, a group of articles at a time. A view of the store that lost a
        vector segment (`lost_segment`) is opened afresh and read again, once.
        """
        try:
            return self._read_parts(article_ids)
        except Exception as exc:  # chromadb's InternalError, among others
            if not lost_segment(exc) or self.chroma_url or self.path is None:
                raise
            self.reopen()
            return self._read_parts(article_ids)

    def _read_parts(self, article_ids: list[str]) -> list[ArticleParts]:
        """`read_parts`, read once."""
        if not self.exists:
            return []
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
                aid = str(m.get("article_id", ""))
                if aid in infos and m.get("version") == infos[aid].content_hash:
                    into[aid].append((*span(m, low, high), r["embeddings"]))
        out = []
        for aid in article_ids:
            if aid not in infos:
                continue
            s = sorted(sentences[aid], key=lambda x: x[0])
            c = sorted(chunks[aid], key=lambda x: x[0])
            out.append(ArticleParts(
                infos[aid], texts[aid], np.asarray([x[:3] for x in s], np.int64).reshape(-1, 3),
                matrix([x[3] for x in s]), np.asarray([x[:3] for x in c], np.int64).reshape(-1, 3),
                matrix([x[3] for x in c])))
        return out

    def query(self, which: str, vector: np.ndarray, n: int,
              article_ids: list[str] | None = None) -> list[tuple[str, float]]:
        """Nearest `n` sentences or chunks to `vector`: (chroma id, cosine similarity)."""
        if not self.exists:
            return []
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
