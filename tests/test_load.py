"""Load: 32 concurrent clients against `qa serve` on 127.0.0.1 (real model, real Chroma): zero errors,
answers identical to a serial run. Prints p50/p95 latency for the serial and the concurrent run, and
for a smaller concurrent run through the Gradio endpoint with gradio_client."""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.conftest import SEEDS, free_port, serving

pytestmark = [pytest.mark.real, pytest.mark.timeout(420)]

CLIENTS = 32
REQUESTS = 320  # 10 per client
GRADIO_CLIENTS = 8
GRADIO_REQUESTS = 40
PEOPLE = ["Mayor Alvarez", "Dr. Okafor", "Gen. Lindqvist", "Sen. Moreau", "Prof. Tanaka", "Judge Mbeki"]
PLACES = ["Springfield", "Tromsø", "Valparaíso", "Da Nang", "Kraków", "Agadez", "Quito", "Lagos"]
THINGS = ["a new bridge", "the water plan", "a rail link", "the school budget", "a flood barrier", "the port deal"]
SEED_QUESTIONS = [
    "How many US troops are in Agadez?", "How many Russian military instructors arrived in Niamey?",
    "What kind of equipment did Russia send to Niger?", "When did the equipment arrive?",
]


def _corpus(folder: Path, rng: random.Random) -> list[str]:
    """30 small stories with one fact each worth asking about; returns the questions."""
    folder.mkdir()
    questions = list(SEED_QUESTIONS)
    for i in range(30):
        person, place, thing = rng.choice(PEOPLE), PLACES[i % len(PLACES)], rng.choice(THINGS)
        amount = rng.randint(2, 900)
        text = (f"{thing.capitalize()} for {place}\n\n{person} approved {thing} for {place} on Tuesday. "
                f"The project will cost {amount} million dollars. Work on it starts in {2027 + i % 4}. "
                f"Critics in {place} said the plan ignored {rng.randint(10, 99)} smaller villages. "
                f"Officials promised a public hearing within {rng.randint(2, 9)} weeks.")
        (folder / f"story{i:02d}.txt").write_text(text, encoding="utf-8")
        questions += [f"How much will {thing} for {place} cost?", f"Who approved {thing} for {place}?",
                      f"When does work on {thing} in {place} start?"]
    questions += ["What is the capital of Mongolia?", "Who won the 1998 World Cup?"]  # unanswerable
    return questions


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Iterator[tuple[str, list[str], Path]]:
    """`qa serve` in its own process over an index of the seeds and 30 stories."""
    from qa.engine import QA

    root = tmp_path_factory.mktemp("load")
    questions = _corpus(root / "docs", random.Random(5))
    QA(root / "index", embedder=real_embedder).ingest([SEEDS, root / "docs"])
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "QA_API_TOKEN"}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "qa.shells.cli", "serve", "--index", str(root / "index"), "--port", str(port)]
    with serving(command, f"{url}/api/health", root / "server.log", env=env, wait_s=180):
        yield url, questions, root / "index"


@pytest.fixture(scope="module")
def reference(server: tuple[str, list[str], Path], real_embedder) -> dict[str, dict[str, Any]]:
    """Every question answered serially, in this process, over the same index."""
    from qa.engine import QA

    url, questions, index = server
    local = QA(index, embedder=real_embedder)
    answers = {q: _stable(local.ask(q).to_dict()) for q in questions}
    assert sum(not a["abstained"] for a in answers.values()) >= len(questions) // 2
    return answers


def _stable(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer without its timings and the time it was asked."""
    return {k: v for k, v in answer.items() if k not in ("timings_ms", "as_of")}


def _percentiles(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return f"p50 {statistics.median(ms):.0f} ms, p95 {q[94]:.0f} ms, max {max(ms):.0f} ms"


def test_api_under_32_concurrent_clients(server: tuple[str, list[str], Path],
                                        reference: dict[str, dict[str, Any]]) -> None:
    url, questions, _ = server
    half = questions[: len(questions) // 2]  # asked serially first; the other half reaches the server cold
    serial_ms = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for q in half:
            t0 = time.perf_counter()
            r = client.post("/api/ask", json={"question": q})
            serial_ms.append((time.perf_counter() - t0) * 1e3)
            assert r.status_code == 200, r.text
            assert _stable(r.json()) == reference[q]
    serial = reference

    work = [questions[i % len(questions)] for i in range(REQUESTS)]
    random.Random(9).shuffle(work)
    errors: list[str] = []
    mismatches: list[str] = []
    latencies: list[float] = []

    def client_run(part: list[str]) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            for q in part:
                t0 = time.perf_counter()
                try:
                    r = client.post("/api/ask", json={"question": q})
                except httpx.HTTPError as exc:
                    errors.append(f"{q}: {exc!r}")
                    continue
                latencies.append((time.perf_counter() - t0) * 1e3)
                if r.status_code != 200:
                    errors.append(f"{q}: {r.status_code} {r.text[:200]}")
                elif _stable(r.json()) != serial[q]:
                    mismatches.append(q)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client_run, [work[i::CLIENTS] for i in range(CLIENTS)]))
    wall = time.perf_counter() - t0
    print(f"\nload /api/ask: serial {len(half)} questions: {_percentiles(serial_ms)}; "
          f"{CLIENTS} concurrent clients x {REQUESTS // CLIENTS} = {REQUESTS} requests in {wall:.1f}s "
          f"({REQUESTS / wall:.1f} req/s): {_percentiles(latencies)}; {len(errors)} errors, "
          f"{len(mismatches)} answers differing from the serial run ({len(questions) - len(half)} questions "
          "reached the server first under load)")
    assert errors == []
    assert mismatches == []
    assert len(latencies) == REQUESTS


def test_gradio_endpoint_under_concurrent_clients(server: tuple[str, list[str], Path]) -> None:
    from gradio_client import Client

    url, questions, _ = server
    with httpx.Client(base_url=url, timeout=60) as client:
        expected = {q: _stable(client.post("/api/ask", json={"question": q, "k": 3}).json())
                    for q in questions[:GRADIO_REQUESTS // 2]}
    work = [q for q in expected for _ in range(2)]
    errors: list[str] = []
    mismatches: list[str] = []
    latencies: list[float] = []

    def client_run(part: list[str]) -> None:
        gc = Client(url, verbose=False)
        for q in part:
            t0 = time.perf_counter()
            try:
                got = gc.predict(q, 3, [], api_name="/ask")
            except Exception as exc:  # gradio_client raises several kinds
                errors.append(f"{q}: {exc!r}")
                continue
            latencies.append((time.perf_counter() - t0) * 1e3)
            if got["citations"] != expected[q]["citations"] or got["answer"] != expected[q]["answer"]:
                mismatches.append(q)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(GRADIO_CLIENTS) as pool:
        list(pool.map(client_run, [work[i::GRADIO_CLIENTS] for i in range(GRADIO_CLIENTS)]))
    wall = time.perf_counter() - t0
    print(f"\nload Gradio /ask: {GRADIO_CLIENTS} concurrent gradio_client clients, {len(work)} requests in "
          f"{wall:.1f}s: {_percentiles(latencies)}; {len(errors)} errors, {len(mismatches)} differing answers")
    assert errors == [] and mismatches == []
