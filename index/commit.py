"""Writing the store: the commit protocol, and the integrity check that proves it held.

An article's sentences and chunks are written first, under ids that include the article's content
hash, and become visible only when its article record (naming that hash) is written: that write is
the commit. A crash at any point leaves either the old version or the new one whole. Leftovers of an
interrupted write are invisible: the `pending` mark stays set until a write has deleted what it replaced,
so the next ingest (`recover`) finds the mark and deletes them; `check(repair=True)` does too.
"""

from __future__ import annotations

import uuid
from typing import Any, Sequence

import numpy as np

from index.chroma import Collections
from index.errors import UnknownArticle
from index.layout import NOTE, ArticleInfo, Problem, chunk_id, sentence_id, span, stacked
from index.models import Article, Chunk, Sentence

Spans = dict[str, list[tuple[int, int, int]]]  # per article id: (index, start, end) or (index, first, last)


class Commits(Collections):
    """Writes that keep every article old-or-new, never half, and the check that they did."""

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
                 announce: bool = True, marks: Sequence[dict[str, Any]] | None = None) -> list[str | None]:
        """Write several articles, each whole; return per article the content hash it replaced, if any.

        All parts of all articles go first, then all article records in one upsert: each record is
        its article's commit point, so a crash leaves every article old-or-new, never half. A batch
        costs a handful of Chroma calls instead of a handful per article. `marks` are more record
        fields per article: its `story` and `minhash` signature (index.stories). Without them an
        article is a story of its own, and its signature is made at the next ingest.
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
        self._upsert(self.sentences_col, s_ids, stacked([it[3] for it in items], dim), s_meta)
        self._upsert(self.chunks_col, c_ids, stacked([it[4] for it in items], dim), c_meta)
        records = [
            {"title": a.title, "source": a.source, "url": a.url, "published_at": a.published_at,
             "content_hash": a.content_hash, "n_sentences": len(ss), "n_chunks": len(cs), "n_chars": len(a.text),
             **_story_fields(a, marks[i] if marks is not None else {})}
            for i, (a, ss, cs, _, _) in enumerate(items)
        ]
        # The commit point: from here on readers see the new versions.
        self.articles_col.upsert(ids=[a.id for a, *_ in items], embeddings=[[1.0]] * len(items),
                                 documents=[a.text for a, *_ in items], metadatas=records)
        replaced: list[str | None] = []
        for article, *_ in items:
            old = previous.get(article.id)
            replaced.append(old if old is not None and old != article.content_hash else None)
        if announce:
            self._bump(keep_pending=any(replaced))  # the mark stays until the old versions are gone
        for (article, *_), old in zip(items, replaced):
            if old is not None:
                self._delete_parts(article.id, keep_version=article.content_hash)
        if announce and any(replaced):
            self._clear_pending()
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
        self._bump(keep_pending=True)  # the mark stays until its parts are gone
        self._delete_parts(article_id)
        self._clear_pending()

    def recover(self) -> bool:
        """Finish for a writer that died mid-write: announce what it committed and delete the parts it left
        (uncommitted, or of versions it replaced); True if there was such a writer.

        Call it holding the writer lock (a live writer's mark is not a leftover). Finding the leftovers
        reads every part's record, once, after a crash only.
        """
        if not super().recover():
            return False
        self._delete_leftovers(self._scan({a.id: a for a in self.list_articles()})[2])
        return True

    def _scan(self, infos: dict[str, ArticleInfo]) -> tuple[Spans, Spans, dict[str, list[str]]]:
        """The committed articles' sentence and chunk spans, and the ids of parts of no committed article."""
        sentences: Spans = {}
        chunks: Spans = {}
        orphans: dict[str, list[str]] = {"sentences": [], "chunks": []}
        for name, col, into, low, high in (("sentences", self.sentences_col, sentences, "start", "end"),
                                           ("chunks", self.chunks_col, chunks, "first", "last")):
            for r in self._all(col, ["metadatas"]):
                m = r["metadatas"] or {}
                info = infos.get(str(m.get("article_id")))
                if info is None or info.content_hash != m.get("version"):
                    orphans[name].append(r["id"])
                    continue
                into.setdefault(info.id, []).append(span(m, low, high))
        return sentences, chunks, orphans

    def _delete_leftovers(self, orphans: dict[str, list[str]]) -> None:
        for name, col in (("sentences", self.sentences_col), ("chunks", self.chunks_col)):
            found = orphans[name]
            for i in range(0, len(found), 1000):
                col.delete(ids=found[i : i + 1000])

    def check(self, *, repair: bool = False) -> list[Problem]:
        """Problems that break the all-or-nothing rule or the offsets; with `repair`, fix them.

        Repair deletes leftovers and removes damaged articles (re-ingest them). Run it holding the
        writer lock: a live writer's parts look like leftovers until it commits.
        """
        if not self.exists:
            return []
        self.refresh()
        problems: list[Problem] = []
        infos = {a.id: a for a in self.list_articles()}
        sentences, chunks, orphans = self._scan(infos)
        for name, ids in orphans.items():
            if ids:
                problems.append(Problem("leftover", f"{len(ids)} {name} belong to no committed article (an "
                                        "interrupted write; invisible to readers, nothing lost; the next ingest "
                                        "or `qa check --repair` removes them)", visible=False, severity=NOTE))
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
            self._delete_leftovers(orphans)
            for aid in damaged:
                self.remove(aid)
            if not super().recover() and any(orphans.values()):  # the leftovers are gone already
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


def _story_fields(article: Article, mark: dict[str, Any]) -> dict[str, Any]:
    """`story` and `original` only when they say something (each key costs every read of the records);
    None deletes a key an older version had (Chroma merges an upsert's metadata into the record's)."""
    story = mark.get("story") or article.id
    return {"story": None if story == article.id else story, "original": True if article.original else None,
            "minhash": mark.get("minhash", "")}
