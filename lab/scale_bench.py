"""Serving a large news index: cold start, memory, query latency, and how soon a commit is answerable.

`python -m lab bench --scale` builds (or reuses, with `--index DIR`) an index of synthetic news articles
(`lab.archive`: multi-paragraph articles, a few live blogs) of about `--sentences` sentences by a
real `qa ingest`, then measures, median of `--runs`:

- `cli`: a new `qa ask` process, start to printed answer, and its peak RSS;
- `serve`: a new `qa serve` process, start to its first answer over HTTP, and its peak RSS;
- `query_ms`: p50/p95 of distinct questions to that running server over HTTP;
- `refresh_s`: 10 new articles committed by a separate `qa ingest` process -> the running server's
  first answer that cites one of them (from the commit time the ingest reports).

Everything runs as separate processes, as a user would run them; nothing is timed in-process.
"""

from __future__ import annotations

import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

from lab.archive import records
from qa.evaluation import metrics as m

SENTENCES_PER_ARTICLE = 81.7  # measured on lab.archive's articles (326,674 sentences in 4,000)
QUESTIONS = 100
WAIT_S = 900.0  # the longest any one step may take before the bench gives up
Log = Callable[[str], None]
_CLI = [sys.executable, "-m", "qa.shells.cli"]


def _env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[2])
    return dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
                GRADIO_ANALYTICS_ENABLED="False",
                PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))


def build(index: Path, sentences: int, log: Log) -> dict[str, Any]:
    """Ingest enough synthetic news articles for about `sentences` sentences (skipped when already built)."""
    n = math.ceil(sentences / SENTENCES_PER_ARTICLE)
    with tempfile.TemporaryDirectory(prefix="sourced-scale-") as tmp:
        archive = Path(tmp) / "news.jsonl"
        with archive.open("w", encoding="utf-8") as out:
            for record in records(n, seed=12):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        log(f"ingesting {n:,} articles (about {sentences:,} sentences) into {index}")
        t0 = time.perf_counter()
        _run([*_CLI, "ingest", "--index", str(index), str(archive)], timeout=WAIT_S + sentences / 100)
        built_s = time.perf_counter() - t0
    listed = json.loads(_run([*_CLI, "list", "--json", "--index", str(index)]))
    return {"articles": len(listed), "sentences": sum(a["n_sentences"] for a in listed), "ingest_s": round(built_s, 1)}


def _run(command: list[str], timeout: float = WAIT_S) -> str:
    done = subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=timeout)
    if done.returncode not in (0, 2):
        raise RuntimeError(f"{' '.join(command[:5])} ... failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def questions(index_articles: list[dict[str, Any]], n: int, *, seed: int = 5) -> list[str]:
    """Distinct questions made of article titles' words (the bench times retrieval, not wisdom)."""
    rng = random.Random(seed)
    titles = [a["title"] for a in index_articles if a.get("title")]
    picked = rng.sample(titles, min(n, len(titles)))
    return [f"What happened when {' '.join(t.split()[:8]).rstrip('.,;:')}?" for t in picked]


def cli_cold_start(index: Path, question: str) -> tuple[float, float]:
    """Seconds from starting `qa ask` to its answer, and its peak RSS in MB."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", probe, *_CLI, "ask", "--index", str(index), question],
                         capture_output=True, text=True, env=_env(), timeout=WAIT_S, check=True).stdout.split()
    return float(out[0]), float(out[1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ask(port: int, question: str, timeout: float = 120.0) -> dict[str, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return json.loads(reply.read())


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class Server:
    """A `qa serve` process on 127.0.0.1 and a free port."""

    def __init__(self, index: Path) -> None:
        self.port = _free_port()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([*_CLI, "serve", "--index", str(index), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=_env())

    def first_answer(self, question: str) -> float:
        """Seconds from start to the first answer (polled every 0.1 s)."""
        deadline = self.started + WAIT_S
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"qa serve exited with {self.proc.returncode}")
            try:
                _ask(self.port, question)
                return time.perf_counter() - self.started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError("qa serve gave no answer in time")

    def stop(self) -> None:
        """Terminate it (killed if it lingers)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def refresh(server: Server, index: Path, marker: str) -> float:
    """Seconds from a 10-article commit by another process to the server's first answer citing one of them.

    The server is asked every 0.1 s while `qa ingest` runs; the commit's time is the one the
    ingest reports (`committed_at`), so the writer's own work after its commit is not counted.
    """
    with tempfile.TemporaryDirectory(prefix="sourced-delta-") as tmp:
        path = Path(tmp) / "new.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for i, record in enumerate(records(10, seed=sum(marker.encode()))):
                record["id"] = f"{marker}-{i}"
                record["text"] = (f"The {marker} summit in Quixville drew {4321 + i} delegates on Tuesday.\n"
                                  + record["text"])
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        writer = subprocess.Popen([*_CLI, "ingest", "--json", "--index", str(index), str(path)],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env())
        question = f"How many delegates did the {marker} summit in Quixville draw?"
        started, answered = time.time(), 0.0
        while not answered and time.time() - started < WAIT_S:
            answer = _ask(server.port, question)
            if any(c["article_id"].startswith(marker) for c in answer["citations"]):
                answered = time.time()
            else:
                time.sleep(0.1)
        out, _ = writer.communicate(timeout=WAIT_S)
    if not answered:
        raise RuntimeError("the new articles were not answerable in time")
    return answered - float(json.loads(out)["committed_at"])


def run_scale_bench(*, sentences: int = 250_000, index: str | Path | None = None, runs: int = 3,
                    log: Log | None = None) -> dict[str, Any]:
    """Build or reuse the index, then time the CLI and the server; medians of `runs`."""
    from lab.bench import _machine

    say = log or (lambda _msg: None)
    with tempfile.TemporaryDirectory(prefix="sourced-scale-") as tmp:
        where = Path(index) if index else Path(tmp) / "index"
        listed = json.loads(_run([*_CLI, "list", "--json", "--index", str(where)])) if where.exists() else []
        built = build(where, sentences, say) if not listed else {}
        listed = listed or json.loads(_run([*_CLI, "list", "--json", "--index", str(where)]))
        asked = questions(listed, QUESTIONS + 1)
        cli, serve, rss_cli, rss_serve, p50, p95, delays = [], [], [], [], [], [], []
        for run in range(runs):
            say(f"run {run + 1}/{runs}: qa ask in a new process")
            seconds, rss = cli_cold_start(where, asked[run % len(asked)])
            cli.append(seconds)
            rss_cli.append(rss)
            say(f"run {run + 1}/{runs}: qa serve, {QUESTIONS} questions, a 10-article commit")
            server = Server(where)
            try:
                serve.append(server.first_answer(asked[0]))
                times = []
                for q in asked[1:]:
                    t0 = time.perf_counter()
                    _ask(server.port, q)
                    times.append((time.perf_counter() - t0) * 1e3)
                pct = m.percentiles(times, (50, 95))
                p50.append(pct["p50"])
                p95.append(pct["p95"])
                name = "".join(random.Random(time.time_ns()).choice("bcdfghjklmnpqrstvwxz") for _ in range(6))
                delays.append(refresh(server, where, f"Zor{name}"))
                rss_serve.append(_peak_rss_mb(server.proc.pid))
            finally:
                server.stop()
        total = sum(a["n_sentences"] for a in json.loads(_run([*_CLI, "list", "--json", "--index", str(where)])))

    def med(values: list[float]) -> float:
        return round(statistics.median(values), 2)

    return {
        "sentences": total,
        "articles": len(listed),
        "runs": runs,
        "built": built,
        "cold_start_s": {"cli": med(cli), "serve": med(serve)},
        "peak_rss_mb": {"cli": med(rss_cli), "serve": med(rss_serve)},
        "query_ms": {"p50": med(p50), "p95": med(p95), "n": QUESTIONS},
        "refresh_s": med(delays),
        "seconds": {"cli": [round(x, 2) for x in cli], "serve": [round(x, 2) for x in serve],
                    "refresh": [round(x, 2) for x in delays]},
        "machine": _machine(),
    }


def format_scale_bench(result: dict[str, Any]) -> str:
    """A short table of the figures."""
    cold, rss, query = result["cold_start_s"], result["peak_rss_mb"], result["query_ms"]
    return "\n".join([
        f"{result['sentences']:,} sentences in {result['articles']:,} articles, median of {result['runs']} runs",
        f"cold start to first answer: qa ask {cold['cli']:.1f} s, qa serve {cold['serve']:.1f} s",
        f"peak RSS: qa ask {rss['cli']:,.0f} MB, qa serve {rss['serve']:,.0f} MB",
        f"query over HTTP: p50 {query['p50']:.1f} ms, p95 {query['p95']:.1f} ms ({query['n']} questions)",
        f"10-article commit -> answerable on the running server: {result['refresh_s']:.1f} s",
    ])
