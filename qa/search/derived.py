"""Derived indexes beside the store, kept current by deltas: what makes start-up and commits cheap.

Chroma is the source of truth. What retrieval derives from it (tokens, postings, vectors as
matrices) lives in segments under one directory (`<index>/derived/`), named by a manifest that
says which store generation they add up to and which of their articles have since been removed
or replaced ("dead"). Bringing them up to date compares the manifest's articles with the store's
(id and content hash): only added or changed articles are read from Chroma and tokenised, into
one new segment; removed or replaced ones are marked dead. Every process (the CLI, each app
server, on an embedded store or on a Chroma server) does the same, so a commit made anywhere
costs each of them its own articles only. Segments that fail their checksums are dropped and
their articles read again; the manifest is replaced atomically, and one process updates it at a time.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.layout import NOTE, ArticleInfo, Problem
from index.lock import file_lock
from qa.search.lexicon import Lexicon, assemble
from qa.search.segments import DamagedSegment, Segment, build, open_segment, verify

FORMAT = 1
MANIFEST = "manifest.json"
GROUP_SENTENCES = 40_000  # sentences per segment when many articles are added at once
GROUP_ARTICLES = 500
MAX_SMALL_SEGMENTS = 8  # a writer merges small segments (one per commit) past this many
DEAD_SHARE = 0.25  # ... and re-reads the live articles of a segment with more of its sentences dead
GRACE_S = 600.0  # files no manifest names are deleted after this long (a reader may still map them)
SYNC_WAIT_S = 900.0


@dataclass
class Manifest:
    """Which segments make up the corpus at one store generation, less their dead articles."""

    generation: str = ""
    model: str = ""
    segments: list[str] = field(default_factory=list)
    dead: list[list[int]] = field(default_factory=list)  # per segment: local article rows no longer live
    format: int = FORMAT


class Derived:
    """The derived indexes of one store (one directory), opened and updated by this process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._open: dict[str, Segment] = {}

    def lexicon(self, store: Any, *, compact: bool = False) -> Lexicon:
        """The lexicon at the store's current generation, from the derived files, brought up to date first.

        With `compact` (writers only), small segments past MAX_SMALL_SEGMENTS and mostly dead ones are
        re-read into few.
        """
        manifest = self._read()
        if manifest is not None and manifest.model == store.model and manifest.generation == store.generation():
            segments = self._segments(manifest)
            if segments is not None:
                self._release(manifest)
                return assemble(segments, [set(d) for d in manifest.dead], manifest.generation)
        self.root.mkdir(parents=True, exist_ok=True)
        with file_lock(self.root / "sync.lock", wait_s=SYNC_WAIT_S):
            manifest = self._sync(store, compact)
        segments = self._segments(manifest)
        if segments is None:  # pragma: no cover - damaged between writing and opening
            raise DamagedSegment("a derived file was damaged while it was being written")
        self._release(manifest)
        return assemble(segments, [set(d) for d in manifest.dead], manifest.generation)

    def _release(self, manifest: Manifest) -> None:
        """Forget the segments the manifest no longer names: their maps and open file go with the last
        retriever still using them (a question under way keeps its own), not after a grace period."""
        for name in [name for name in self._open if name not in manifest.segments]:
            del self._open[name]

    def check(self, *, repair: bool = False) -> list[Problem]:
        """Derived files that are missing or fail their checksums (repair deletes them: they are rebuilt)."""
        manifest = self._read()
        if manifest is None:
            if (self.root / MANIFEST).exists():
                problem = Problem("derived", f"{self.root / MANIFEST} is unreadable; it is rebuilt at the next "
                                  "start", visible=False, severity=NOTE)
                if repair:
                    (self.root / MANIFEST).unlink(missing_ok=True)
                return [problem]
            return []
        problems = []
        for name in manifest.segments:
            wrong = verify(self.root / name) if (self.root / name).is_dir() else f"{name} is missing"
            if wrong:
                problems.append(Problem("derived", f"derived index {wrong}; its articles are read again from the "
                                        "store at the next start", visible=False, severity=NOTE))
                if repair:
                    shutil.rmtree(self.root / name, ignore_errors=True)
                    self._open.pop(name, None)
        return problems

    # --- updating --------------------------------------------------------------------

    def _sync(self, store: Any, compact: bool) -> Manifest:
        """Bring the manifest to the store's generation; hold the sync lock."""
        store.refresh()
        generation = store.generation()  # read before the article list: a later commit only re-syncs
        manifest = self._read()
        if manifest is None or manifest.model != store.model:
            manifest = Manifest(model=store.model)
        if manifest.generation == generation and self._segments(manifest) is not None:
            return manifest
        kept = Manifest(generation, store.model)
        for name, dead in zip(manifest.segments, manifest.dead):
            if self._segment(name) is not None:  # a damaged segment's articles are read again below
                kept.segments.append(name)
                kept.dead.append(list(dead))
        infos = store.list_articles()
        wanted = {a.id: a for a in infos}
        live: dict[str, tuple[int, int, str]] = {}
        for i, name in enumerate(kept.segments):
            gone = set(kept.dead[i])
            for row, a in enumerate(self._open[name].articles):
                if row not in gone:
                    live[a.id] = (i, row, a.content_hash)
        for aid, (i, row, version) in live.items():
            if aid not in wanted or wanted[aid].content_hash != version:
                kept.dead[i].append(row)
        added = [a for a in infos if a.id not in live or live[a.id][2] != a.content_hash]
        if compact:
            kept, added = self._compacted(kept, wanted, added)
        for group in _groups(added):
            parts = store.read_parts([a.id for a in group])
            if parts:
                name = build(parts, self.root)
                kept.segments.append(name)
                kept.dead.append([])
        kept.dead = [sorted(set(d)) for d in kept.dead]
        self._write(kept)
        self._collect(kept)
        return kept

    def _compacted(self, manifest: Manifest, wanted: dict[str, ArticleInfo],
                   added: list[ArticleInfo]) -> tuple[Manifest, list[ArticleInfo]]:
        """Drop segments that are mostly dead, and small ones once there are many; their live articles
        are read again (with `added`) into segments of up to GROUP_SENTENCES. Large healthy segments stay."""
        segments = [self._open[name] for name in manifest.segments]
        dead_share = [sum(seg.articles[r].n_sentences for r in dead) / max(seg.n_sentences, 1)
                      for seg, dead in zip(segments, manifest.dead)]
        # small: under a quarter of GROUP_SENTENCES and not full by article count (a segment of GROUP_ARTICLES
        # short articles is full, however few its sentences: counting it small re-read the whole archive
        # every few commits); small ones are merged into one that fills up, so their number stays bounded
        small = [i for i, seg in enumerate(segments) if seg.n_sentences < GROUP_SENTENCES // 4
                 and len(seg.articles) < GROUP_ARTICLES]
        drop = {i for i, share in enumerate(dead_share) if share > DEAD_SHARE}
        if len(small) > MAX_SMALL_SEGMENTS:
            drop.update(small)
        if not drop:
            return manifest, added
        kept = Manifest(manifest.generation, manifest.model)
        again: list[ArticleInfo] = []
        for i, (name, dead) in enumerate(zip(manifest.segments, manifest.dead)):
            if i not in drop:
                kept.segments.append(name)
                kept.dead.append(dead)
                continue
            gone = set(dead)
            for row, a in enumerate(segments[i].articles):
                now = wanted.get(a.id)
                if row not in gone and now is not None and now.content_hash == a.content_hash:
                    again.append(now)
        return kept, again + added

    # --- files ---------------------------------------------------------------------------

    def _segments(self, manifest: Manifest) -> list[Segment] | None:
        """The manifest's segments opened (checked once per process), or None when one is missing or damaged."""
        out = []
        for name in manifest.segments:
            segment = self._segment(name)
            if segment is None:
                return None
            out.append(segment)
        return out

    def _segment(self, name: str) -> Segment | None:
        if name not in self._open:
            try:
                self._open[name] = open_segment(self.root / name)
            except DamagedSegment:
                return None
        return self._open[name]

    def _read(self) -> Manifest | None:
        try:
            data = json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
            manifest = Manifest(**data)
        except (OSError, ValueError, TypeError):
            return None
        if manifest.format != FORMAT or len(manifest.dead) != len(manifest.segments):
            return None
        return manifest

    def _write(self, manifest: Manifest) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f".{MANIFEST}.{os.getpid()}"
        partial.write_text(json.dumps(asdict(manifest)), encoding="utf-8")
        os.replace(partial, self.root / MANIFEST)

    def _collect(self, manifest: Manifest) -> None:
        """Delete segments no manifest names once they are old enough that no reader can still be opening them."""
        keep = set(manifest.segments)
        now = time.time()
        for path in self.root.iterdir():
            if path.is_dir() and path.name not in keep and now - path.stat().st_mtime > GRACE_S:
                shutil.rmtree(path, ignore_errors=True)
                self._open.pop(path.name, None)


def _groups(infos: list[ArticleInfo]) -> list[list[ArticleInfo]]:
    """Articles in groups of at most GROUP_SENTENCES sentences and GROUP_ARTICLES articles."""
    groups: list[list[ArticleInfo]] = []
    size = 0
    for a in infos:
        if not groups or size + a.n_sentences > GROUP_SENTENCES or len(groups[-1]) >= GROUP_ARTICLES:
            groups.append([])
            size = 0
        groups[-1].append(a)
        size += a.n_sentences
    return groups
