"""Benchmarks: ingest throughput against the raw encoder, query latency by index size, cold start,
peak memory, and a plain llama-index pipeline on the same SQuAD sample, side by side.

Large index sizes use synthetic articles: sentences of SQuAD paragraphs recombined at random (fixed
seed), with the vectors the encoder gave those sentences written straight to the store, so a 50k-article
index takes minutes to build, not hours. Their text is real, so BM25 and the features behave as usual.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from index.chunks import make_chunks
from index.ingest import chunk_vectors, ingest_articles
from index.loaders import content_hash
from index.models import Article
from index.sentences import split_sentences
from index.store import Store
from qa.evaluation import metrics as m
from qa.evaluation.squad import Question, SquadSet, load_squad

DEFAULT_SQUAD = Path(__file__).resolve().parents[2] / "shared" / "eval" / "squad-dev-v1.1.json"
SEED = 11
SENTENCES_PER_ARTICLE = 5
Log = Callable[[str], None]


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def sample_set(data: SquadSet, n_paragraphs: int, n_questions: int, *, seed: int = SEED) -> tuple[list[Article], list[Question]]:
    """A fixed random sample of paragraphs and of the questions asked about them."""
    rng = random.Random(seed)
    articles = rng.sample(data.articles, min(n_paragraphs, len(data.articles)))
    ids = {a.id for a in articles}
    questions = [q for q in data.questions if q.article_id in ids]
    questions = rng.sample(questions, min(n_questions, len(questions)))
    return articles, questions


# --- ingest throughput ---------------------------------------------------------------------------

def ingest_throughput(embedder: Any, articles: list[Article], workdir: Path) -> dict[str, Any]:
    """Seconds for the raw encoder on the articles' sentences, and for our whole ingest of them."""
    sentences = [s.text for a in articles for s in split_sentences(a.id, a.text)]
    tokenizer = embedder.model.tokenizer
    tokens = sum(len(ids) for ids in tokenizer(sentences, truncation=True, max_length=256)["input_ids"])
    embedder.encode(sentences[:32])  # warm up
    t0 = time.perf_counter()
    embedder.encode(sentences)
    raw_s = time.perf_counter() - t0
    store = Store(workdir / "ingest", model=embedder.name, dim=embedder.dim)
    t0 = time.perf_counter()
    ingest_articles(articles, store, embedder)
    ours_s = time.perf_counter() - t0
    return {
        "sentences": len(sentences),
        "tokens": tokens,
        "raw_encoder": {"seconds": round(raw_s, 2), "sentences_per_s": round(len(sentences) / raw_s, 1),
                        "tokens_per_s": round(tokens / raw_s, 1)},
        "ours": {"seconds": round(ours_s, 2), "sentences_per_s": round(len(sentences) / ours_s, 1),
                 "tokens_per_s": round(tokens / ours_s, 1)},
        "ingest_ratio": round(raw_s / ours_s, 3),
    }


# --- synthetic indexes of many articles -----------------------------------------------------------

def sentence_pool(embedder: Any, data: SquadSet, limit: int | None) -> tuple[list[str], np.ndarray]:
    """SQuAD sentences and their vectors (the pool synthetic articles are drawn from)."""
    texts = [s.text for a in data.articles for s in split_sentences(a.id, a.text)]
    if limit is not None:
        texts = texts[:limit]
    return texts, embedder.encode(texts)


def synthetic_articles(pool: list[str], n: int, *, seed: int = SEED) -> list[tuple[Article, list[int]]]:
    """`n` articles of SENTENCES_PER_ARTICLE pool sentences each, drawn at random with a fixed seed."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        picks = rng.sample(range(len(pool)), min(SENTENCES_PER_ARTICLE, len(pool)))
        text = "\n".join(pool[p] for p in picks)  # one sentence a line: the splitter gives them back
        out.append((Article(f"syn-{i:06d}", f"Synthetic article {i}", text, "synthetic",
                            content_hash=content_hash(text)), picks))
    return out


def write_synthetic(store: Store, pool: list[str], vectors: np.ndarray, n: int, log: Log) -> None:
    """Write `n` synthetic articles with precomputed vectors through the store, in large batches."""
    lookup = {t: i for i, t in enumerate(pool)}
    items: list[tuple[Article, list, list, np.ndarray, np.ndarray]] = []
    queued = 0
    for done, (article, picks) in enumerate(synthetic_articles(pool, n), start=1):
        sentences = split_sentences(article.id, article.text)
        chunks = make_chunks(article.text, sentences)
        svec = np.stack([vectors[lookup.get(s.text, picks[min(s.index, len(picks) - 1)])] for s in sentences])
        items.append((article, sentences, chunks, svec,
                      chunk_vectors(svec, [(c.first_sentence, c.last_sentence) for c in chunks])))
        queued += len(sentences)
        if queued >= 20000 or done == n:
            store.put_many(items, announce=False)
            items, queued = [], 0
            log(f"  {done}/{n} synthetic articles written")
    store.announce()


def query_latency(engine: Any, questions: list[str], *, warmup: int = 5) -> dict[str, float]:
    """p50/p95 of `engine.ask` over distinct questions (the query cache cleared first)."""
    cache = getattr(engine.embedder, "queries", None)
    for q in questions[:warmup]:
        engine.ask(q)
    if cache is not None:
        cache.clear()
    times = []
    for q in questions:
        t0 = time.perf_counter()
        engine.ask(q)
        times.append((time.perf_counter() - t0) * 1e3)
    pct = m.percentiles(times, (50, 95))
    return {"p50": pct["p50"], "p95": pct["p95"], "n": len(times)}


def cold_start(index: Path, question: str) -> float:
    """Seconds from starting a fresh Python process to its first answer."""
    code = ("import sys; from qa.engine import QA; a = QA(sys.argv[1]).ask(sys.argv[2]); "
            "print(len(a.citations))")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(index), question], check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


# --- the plain llama-index pipeline -----------------------------------------------------------------

def llama_index_baseline(embedder: Any, articles: list[Article], questions: list[Question], workdir: Path,
                         *, top_k: int = 10) -> dict[str, Any]:
    """VectorStoreIndex over Chroma with its default SentenceSplitter and our embedder; retrieval top-k."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore
    from pydantic import PrivateAttr

    class Wrapped(BaseEmbedding):
        _inner: Any = PrivateAttr()

        def __init__(self, inner: Any) -> None:
            super().__init__(model_name=inner.name, embed_batch_size=64)
            self._inner = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._inner.encode([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._inner.encode([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._inner.encode(texts).tolist()

    client = chromadb.PersistentClient(str(workdir / "llama-index"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("baseline", embedding_function=None,
                                                 configuration={"hnsw": {"space": "cosine"}})
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    docs = [Document(text=a.text, metadata={"article_id": a.id, "title": a.title}, id_=a.id) for a in articles]
    embed = Wrapped(embedder)
    t0 = time.perf_counter()
    index = VectorStoreIndex.from_documents(docs, storage_context=storage, embed_model=embed)
    ingest_s = time.perf_counter() - t0
    retriever = index.as_retriever(similarity_top_k=top_k)
    rows: list[dict[str, Any]] = []
    for q in questions:
        t0 = time.perf_counter()
        nodes = retriever.retrieve(q.question)
        latency = (time.perf_counter() - t0) * 1e3
        ranking = [n.node.metadata.get("article_id", "") for n in nodes]
        texts = [n.node.get_content() for n in nodes]
        rows.append({"rank": m.first_rank(ranking, q.article_id), "latency": latency,
                     "first": bool(texts) and m.contains_answer(texts[0], q.answers),
                     "any": any(m.contains_answer(t, q.answers) for t in texts[:5]),
                     "chars": len(texts[0]) if texts else 0})
    return {
        "pipeline": "llama-index VectorStoreIndex + ChromaVectorStore, default SentenceSplitter, same embedder",
        "n_questions": len(rows),
        "n_articles": len(articles),
        "n_nodes": collection.count(),
        **{f"article_hit@{k}": round(m.mean(m.hit_at(r["rank"], k) for r in rows) or 0.0, 4) for k in (1, 5, 10)},
        "mrr@10": round(m.mean(m.reciprocal_rank(r["rank"]) for r in rows) or 0.0, 4),
        "answer_in_first_citation": round(m.mean(float(r["first"]) for r in rows) or 0.0, 4),
        "answer_in_any_citation": round(m.mean(float(r["any"]) for r in rows) or 0.0, 4),
        "first_citation_chars": round(m.mean(r["chars"] for r in rows) or 0.0, 1),
        "latency_ms": m.percentiles([r["latency"] for r in rows], (50, 95)),
        "ingest_s": round(ingest_s, 2),
    }


# --- the whole bench --------------------------------------------------------------------------------

def run_bench(squad: str | Path = DEFAULT_SQUAD, *, sizes: tuple[int, ...] = (1000, 10000, 50000),
              quick: bool = False, log: Log | None = None, workdir: str | Path | None = None) -> dict[str, Any]:
    """Run every benchmark and return one JSON-ready object."""
    from index.embedder import SentenceTransformerEmbedder
    from qa.engine import QA
    from qa.evaluation.evaluation import evaluate_questions, public_metrics

    say = log or (lambda _msg: None)
    data = load_squad(squad)
    n_paragraphs, n_questions = (12, 10) if quick else (300, 300)
    pool_limit = 400 if quick else None
    embedder: Any = SentenceTransformerEmbedder()
    result: dict[str, Any] = {"quick": quick, "machine": _machine()}
    with tempfile.TemporaryDirectory(prefix="sourced-bench-") as tmp:
        work = Path(workdir or tmp)
        articles, questions = sample_set(data, n_paragraphs, n_questions)
        say(f"ingest throughput on {len(articles)} SQuAD paragraphs")
        result["ingest"] = ingest_throughput(embedder, articles, work)
        result["ingest_ratio"] = result["ingest"]["ingest_ratio"]

        say(f"ours vs llama-index on {len(questions)} questions over the same {len(articles)} paragraphs")
        ours = QA(work / "ours", embedder=embedder)
        ours_eval = public_metrics(evaluate_questions(ours, articles, questions))
        result["ours"] = {k: ours_eval[k] for k in ("n_questions", "article_hit@1", "article_hit@5",
                                                    "article_hit@10", "mrr@10", "answer_in_first_citation",
                                                    "answer_in_any_citation", "latency_ms", "ingest_s")}
        result["baseline"] = llama_index_baseline(embedder, articles, questions, work)

        say("sentence pool for synthetic articles")
        pool, vectors = sentence_pool(embedder, data, pool_limit)
        asked = [q.question for q in random.Random(SEED).sample(data.questions, 20 if quick else 200)]
        result["query_ms"] = {}
        smallest: Path | None = None
        for size in sorted(sizes):
            say(f"query latency with {size} articles")
            path = work / f"size-{size}"
            store = Store(path, model=embedder.name, dim=embedder.dim)
            write_synthetic(store, pool, vectors, size, say)
            engine = QA(path, embedder=embedder)
            t0 = time.perf_counter()
            engine.retriever()
            load_s = time.perf_counter() - t0
            result["query_ms"][str(size)] = {**query_latency(engine, asked), "load_s": round(load_s, 2)}
            smallest = smallest or path
            del engine, store
        if smallest is not None:
            say("cold start to first answer")
            runs = [cold_start(smallest, asked[0]) for _ in range(1 if quick else 3)]
            result["cold_start_s"] = round(statistics.median(runs), 2)
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def _machine() -> dict[str, Any]:
    import platform

    import psutil

    return {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def format_bench(result: dict[str, Any]) -> str:
    """The bench result as a terminal table."""
    ing = result["ingest"]
    lines = [
        f"ingest: ours {ing['ours']['sentences_per_s']} sentences/s ({ing['ours']['tokens_per_s']} tokens/s), "
        f"raw encoder {ing['raw_encoder']['sentences_per_s']} sentences/s -> ratio {result['ingest_ratio']}",
    ]
    for size, q in result.get("query_ms", {}).items():
        lines.append(f"query latency, {int(size):>6} articles: p50 {q['p50']:.1f} ms  p95 {q['p95']:.1f} ms")
    if "cold_start_s" in result:
        lines.append(f"cold start to first answer: {result['cold_start_s']} s")
    lines.append(f"peak RSS: {result['peak_rss_mb']} MB")
    o, b = result["ours"], result["baseline"]
    lines.append("")
    lines.append(f"{'same SQuAD sample':<28}{'ours':>10}{'llama-index':>14}")
    for key in ("article_hit@1", "article_hit@5", "article_hit@10", "mrr@10", "answer_in_first_citation",
                "answer_in_any_citation"):
        lines.append(f"{key:<28}{o[key]:>10.3f}{b[key]:>14.3f}")
    lines.append(f"{'latency p50 (ms)':<28}{o['latency_ms']['p50']:>10.1f}{b['latency_ms']['p50']:>14.1f}")
    lines.append(f"{'latency p95 (ms)':<28}{o['latency_ms']['p95']:>10.1f}{b['latency_ms']['p95']:>14.1f}")
    return "\n".join(lines)


def to_json(result: dict[str, Any]) -> str:
    """JSON text of a bench result."""
    return json.dumps(result, indent=2)
