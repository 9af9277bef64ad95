"""What story clustering costs at ingest, against the encoder's time in the same run (prints; asserts nothing).

    .venv/bin/python -m lab syndication-bench [--articles 3000] [--encode 200] [--stored 40000]

Signatures and LSH assignment over generated articles and copies (lab/syndication.py), the real
encoder on some of the same articles' sentences, and building the LSH from stored signatures as an
ingest does when the index already holds `--stored` articles (a 1M-sentence index holds about 40,000).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

from index import stories  # noqa: E402
from index.layout import ArticleInfo  # noqa: E402
from index.models import Article  # noqa: E402
from index.sentences import split_sentences  # noqa: E402
from lab.syndication import Newsroom  # noqa: E402


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--encode", type=int, default=200, help="articles whose sentences the real encoder encodes")
    parser.add_argument("--stored", type=int, default=40_000)
    args = parser.parse_args()
    room = Newsroom(seed=1)
    originals = [room.article(i) for i in range(args.articles * 2 // 3)]
    items = originals + [room.copy(a, "c") for a in originals[: args.articles - len(originals)]]
    texts = [x["text"] for x in items]

    t = time.perf_counter()
    sigs = [stories.signature(text) for text in texts]
    sig_ms = (time.perf_counter() - t) * 1e3 / len(texts)
    index = stories.StoryIndex()
    t = time.perf_counter()
    for x, sig in zip(items, sigs):
        index.assign(x["id"], sig, "h")
    lsh_ms = (time.perf_counter() - t) * 1e3 / len(texts)
    n_sentences = sum(len(split_sentences("x", text)) for text in texts[: args.encode])
    print(f"{len(texts):,} articles ({np.mean([len(t) for t in texts]):,.0f} characters on average): "
          f"signature {sig_ms:.3f} ms/article, LSH assign {lsh_ms:.3f} ms/article")

    from index.embedder import make_embedder
    from qa.settings import Settings

    encoder = make_embedder(encoder=Settings().encoder)
    sample = [s.text for text in texts[: args.encode] for s in split_sentences("x", text)]
    encoder.encode(sample[:64])  # warm up
    t = time.perf_counter()
    encoder.encode(sample)
    enc_ms = (time.perf_counter() - t) * 1e3 / args.encode
    print(f"encoder ({Settings().encoder}): {n_sentences:,} sentences of {args.encode} articles, "
          f"{enc_ms:.1f} ms/article ({n_sentences / (enc_ms * args.encode / 1e3):,.0f} sentences/s)")
    print(f"stories cost {(sig_ms + lsh_ms) / enc_ms:.2%} of the encoder's time per article")

    # an index already holding --stored articles (the first len(originals) of them the originals)
    stored = [(_info(f"s{i}"), stories.encode(sigs[i] if i < len(originals) else sigs[i % len(sigs)] ^ np.uint32(i)))
              for i in range(args.stored)]
    t = time.perf_counter()
    loaded = stories.load_index(None, stored)  # type: ignore[arg-type]  # every signature usable: no reads
    load_s = time.perf_counter() - t
    print(f"story index over {len(loaded):,} stored signatures: {load_s:.2f} s "
          f"({load_s * 1e3 / args.stored:.3f} ms/article); a signature is {len(stored[0][1])} characters")
    copies = [Article(id=f"{x['id']}-again", title="", text=room.copy(x, "again")["text"], source="",
                      content_hash="h") for x in originals[:1000]]
    t = time.perf_counter()
    joined = 0
    for i in range(0, len(copies), 150):  # about one ingest batch of 4,096 sentences
        joined += sum(m["story"] != a.id for a, m in zip(copies[i : i + 150],
                                                          loaded.assign_articles(copies[i : i + 150])))
    batch_ms = (time.perf_counter() - t) * 1e3 / len(copies)
    print(f"then {len(copies):,} new copies in batches of 150: {batch_ms:.3f} ms/article with their signatures "
          f"({batch_ms / enc_ms:.2%} of the encoder's time); {joined:,} joined a stored story")


def _info(id_: str) -> ArticleInfo:
    return ArticleInfo(id=id_, title=id_, source="", url="", published_at="", content_hash="h", n_sentences=1,
                       n_chunks=1, n_chars=1, story=id_)


if __name__ == "__main__":
    main()
