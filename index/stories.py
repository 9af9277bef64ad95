"""Story clusters: syndicated copies of one story (a new headline, a dateline, a credit line, a few words
changed) found at ingest by MinHash LSH (datasketch) over word shingles, incrementally.

Every committed article keeps its signature in its Chroma record (`minhash`), so an ingest builds its LSH
from the stored signatures and never re-reads older texts. An article joins the story of its most similar
indexed article when their estimated Jaccard similarity is at least THRESHOLD; else it starts a story
named by its own id. Story ids never change once given. `stories` and `chosen_copy` are what retrieval uses.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import numpy as np

from index.dates import timestamp
from index.layout import ArticleInfo
from index.models import Article

if TYPE_CHECKING:
    from index.store import Store

SHINGLE = 5  # words per shingle
NUM_PERM = 128  # signature length (uint32 values)
THRESHOLD = 0.4  # estimated Jaccard similarity of the shingle sets at which a copy joins a story
SEED = 1
SCHEME = "affine32"
TAG = f"w{SHINGLE}.{SCHEME}.{NUM_PERM}.{SEED}:"  # a signature made otherwise is not comparable: it is remade
READ_PAGE = 100  # old articles read at a time to give them signatures

_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[bytes]:
    """The text's lower-cased word SHINGLE-grams (the whole text, when shorter than one)."""
    words = _WORD.findall(text.lower())
    if len(words) <= SHINGLE:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}


@lru_cache(maxsize=1)
def _permutations() -> Any:
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def signature(text: str) -> np.ndarray | None:
    """MinHash signature of the text's shingles (NUM_PERM uint32 values); None for a text without words."""
    grams = shingles(text)
    if not grams:
        return None
    from datasketch import MinHash

    m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_permutations())
    m.update_batch(list(grams))
    return np.asarray(m.hashvalues, dtype=np.uint32)


def encode(sig: np.ndarray | None) -> str:
    """A signature as the compact string stored in the article record (TAG alone: a text without words)."""
    if sig is None:
        return TAG
    return TAG + base64.b64encode(np.asarray(sig, "<u4").tobytes()).decode("ascii")


def decode(stored: object) -> tuple[bool, np.ndarray | None]:
    """(usable, signature) from a stored string: not usable when absent, damaged or made otherwise."""
    if not isinstance(stored, str) or not stored.startswith(TAG):
        return False, None
    payload = stored[len(TAG) :]
    if not payload:
        return True, None
    try:
        raw = base64.b64decode(payload, validate=True)
    except ValueError:
        return False, None
    if len(raw) != 4 * NUM_PERM:
        return False, None
    return True, np.frombuffer(raw, "<u4").astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


def band_keys(sigs: np.ndarray, ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    """(n, bands) uint64: a key per LSH band of each signature; equal bands give equal keys."""
    sigs = np.atleast_2d(sigs).astype(np.uint64)
    out = np.zeros((len(sigs), len(ranges)), np.uint64)
    for j, (low, high) in enumerate(ranges):
        key = np.zeros(len(sigs), np.uint64)
        for column in range(low, high):
            key = key * np.uint64(0x9E3779B97F4A7C15) + sigs[:, column]  # wraps around: a hash
        out[:, j] = key
    return out


class StoryIndex:
    """The LSH over committed articles' signatures plus the batch being ingested; it assigns stories.

    Committed signatures are `hold`-en as a matrix with their band keys sorted; one joins datasketch's LSH
    only when a band of an article being assigned equals one of its bands, so the LSH stays the size of
    what could match (measured at 40,000 committed articles: built in 0.5 s, 100 MB at the peak, against
    4-7 s and 350 MB with every signature in the LSH). The stories it gives are the same either way.
    """

    def __init__(self, *, threshold: float = THRESHOLD) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[str, np.ndarray] = {}  # what is in the LSH
        self._story: dict[str, str] = {}
        self._members: Counter[str] = Counter()  # story -> articles in it
        self._held_ids: list[str] = []
        self._held_row: dict[str, int] = {}
        self._held = np.zeros((0, NUM_PERM), np.uint32)
        self._held_live = np.zeros(0, bool)  # held and not yet in the LSH (nor removed)
        self._held_order = self._held_sorted = np.zeros((0, self._lsh.b), np.uint64)

    def __len__(self) -> int:
        return len(self._story)

    def story_of(self, article_id: str) -> str | None:
        """The story an article in the index belongs to."""
        return self._story.get(article_id)

    def hold(self, committed: Sequence[tuple[str, str, np.ndarray]]) -> None:
        """Put committed articles (id, story, signature) in the index, held aside until a band matches."""
        for row in np.flatnonzero(self._held_live):  # what an earlier call held goes into the LSH
            self._insert(self._held_ids[row], self._held[row])
        for article_id, story, _ in committed:
            self.remove(article_id)
            self._story[article_id] = story
            self._members[story] += 1
        self._held_ids = [c[0] for c in committed]
        self._held = np.stack([c[2] for c in committed]) if committed else np.zeros((0, NUM_PERM), np.uint32)
        self._held_row = {article_id: i for i, article_id in enumerate(self._held_ids)}
        self._held_live = np.ones(len(committed), bool)
        keys = band_keys(self._held, self._lsh.hashranges)
        self._held_order = np.argsort(keys, axis=0, kind="stable")
        self._held_sorted = np.take_along_axis(keys, self._held_order, axis=0)

    def add(self, article_id: str, story: str, sig: np.ndarray | None) -> None:
        """Put an article with its story (and signature, if its text has words) into the index."""
        self.remove(article_id)
        self._story[article_id] = story
        self._members[story] += 1
        if sig is not None:
            self._insert(article_id, sig)

    def _insert(self, article_id: str, sig: np.ndarray) -> None:
        from datasketch import LeanMinHash

        self._signatures[article_id] = sig
        self._lsh.insert(article_id, LeanMinHash(seed=SEED, hashvalues=sig, scheme=SCHEME), check_duplication=False)

    def remove(self, article_id: str) -> None:
        """Take an article out (it is being replaced); its story goes on with the other members."""
        story = self._story.pop(article_id, None)
        if story is not None:
            self._members[story] -= 1
        row = self._held_row.get(article_id)
        if row is not None:
            self._held_live[row] = False
        if self._signatures.pop(article_id, None) is not None:
            self._lsh.remove(article_id)

    def _pull(self, sigs: Sequence[np.ndarray]) -> None:
        """Move held signatures sharing a band with any of `sigs` into the LSH."""
        if not sigs or not self._held_live.any():
            return
        keys = band_keys(np.stack(sigs), self._lsh.hashranges)
        rows: set[int] = set()
        for j in range(keys.shape[1]):
            low = np.searchsorted(self._held_sorted[:, j], keys[:, j], "left")
            high = np.searchsorted(self._held_sorted[:, j], keys[:, j], "right")
            for a, b in zip(low[high > low], high[high > low]):
                rows.update(self._held_order[a:b, j].tolist())
        for row in sorted(rows):
            if self._held_live[row]:
                self._held_live[row] = False
                self._insert(self._held_ids[row], self._held[row])

    def match(self, sig: np.ndarray | None) -> tuple[str, float] | None:
        """The indexed article most similar to `sig` at or above the threshold, with its similarity."""
        if sig is not None:
            self._pull([sig])
        return self._match(sig)

    def _match(self, sig: np.ndarray | None) -> tuple[str, float] | None:
        if sig is None or not self._signatures:
            return None
        from datasketch import LeanMinHash

        best: tuple[float, str] | None = None
        for key in self._lsh.query(LeanMinHash(seed=SEED, hashvalues=sig, scheme=SCHEME)):
            score = similarity(sig, self._signatures[key])
            if score >= self.threshold and (best is None or (score, key) > best):
                best = (score, key)
        return (best[1], best[0]) if best is not None else None

    def assign(self, article_id: str, sig: np.ndarray | None, content_hash: str = "") -> str:
        """Give an article (new, or replacing its old version) a story, add it, and return the story."""
        if sig is not None:
            self._pull([sig])
        return self._assign(article_id, sig, content_hash)

    def _assign(self, article_id: str, sig: np.ndarray | None, content_hash: str) -> str:
        self.remove(article_id)
        found = self._match(sig)
        if found is not None:
            story = self._story[found[0]]
        elif self._members[article_id] == 0:
            story = article_id
        else:  # its id still names the story of copies of an earlier version of it
            story = f"{article_id}~{content_hash or 'new'}"
        self.add(article_id, story, sig)
        return story

    def assign_articles(self, articles: Sequence[Article]) -> list[dict[str, Any]]:
        """Assign articles being written their stories; per article, in the order given, the record fields
        that keep it (`story`, and `minhash`: '' when hashing failed, so the next ingest makes it again).

        Marked originals go first, then the earliest published: a story is named by them, and copies
        are compared with them rather than with one another.
        """
        sigs: list[np.ndarray | None] = []
        for article in articles:
            try:
                sigs.append(signature(article.text))
            except Exception:  # noqa: BLE001 - a text the hashing fails on is a story of its own
                sigs.append(None)
        self._pull([sig for sig in sigs if sig is not None])
        marks: list[dict[str, Any]] = [{} for _ in articles]
        for i in sorted(range(len(articles)), key=lambda i: (not articles[i].original,
                                                             _moment(articles[i].published_at), i)):
            sig = sigs[i]
            marks[i] = {"story": self._assign(articles[i].id, sig, articles[i].content_hash),
                        "minhash": encode(sig) if sig is not None else ""}
        return marks


def joined(article_id: str, story: str) -> bool:
    """True when an article's story was started by another article (it is a copy)."""
    return story != article_id and not story.startswith(f"{article_id}~")


def load_index(store: Store, infos: Iterable[tuple[ArticleInfo, object]]) -> StoryIndex:
    """The story index over committed articles, from their stored signatures.

    Articles stored without a usable signature (written before stories, or with other parameters) have
    their texts read once, READ_PAGE at a time, and get one written to their records; their stories stay.
    """
    index = StoryIndex()
    missing: list[ArticleInfo] = []
    held: list[tuple[str, str, np.ndarray]] = []
    for info, stored in infos:
        usable, sig = decode(stored)
        if not usable:
            missing.append(info)
        elif sig is not None:
            held.append((info.id, info.story or info.id, sig))
        else:
            index.add(info.id, info.story or info.id, None)
    index.hold(held)
    marks: dict[str, dict[str, Any]] = {}
    for i in range(0, len(missing), READ_PAGE):
        page = missing[i : i + READ_PAGE]
        texts = store.get_articles([a.id for a in page])
        for info in page:
            if info.id in texts:
                sig = signature(texts[info.id].text)
                index.add(info.id, info.story or info.id, sig)
                marks[info.id] = {"minhash": encode(sig)}
    if marks:
        store.mark(marks)
    return index


def stories(articles: Sequence[ArticleInfo]) -> dict[str, list[ArticleInfo]]:
    """Story id -> its member articles, in the order given (an article without a story is its own)."""
    out: dict[str, list[ArticleInfo]] = {}
    for a in articles:
        out.setdefault(a.story or a.id, []).append(a)
    return out


def chosen_copy(members: Sequence[ArticleInfo], allowed: Callable[[ArticleInfo], bool] | None = None) -> ArticleInfo:
    """The copy a story is cited by: the marked wire original, else the earliest published, else the first
    indexed (the one the story is named by), else the first given; of the copies `allowed` lets through
    (a reader's filters and `as_of`), when given. Raises ValueError when none is left."""
    members = [m for m in members if allowed is None or allowed(m)]
    if not members:
        raise ValueError("a story has at least one article" if allowed is None else "no copy of the story is allowed")

    def rank(pair: tuple[int, ArticleInfo]) -> tuple[bool, float, bool, int]:
        i, a = pair
        return (not a.original, _moment(a.published_at), a.id != (a.story or a.id), i)

    return min(enumerate(members), key=rank)[1]


def _moment(published_at: str) -> float:
    """Epoch seconds of a stored publication date, compared in UTC whatever its offset (undated: last)."""
    found = timestamp(published_at)
    return float("inf") if found is None else found
