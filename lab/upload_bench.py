"""Uploads against a running server: open files, mapped bytes, RSS and question latency over 1,000 commits.

`python -m lab upload-bench [--uploads 1000 --files 3 --every 50 --nofile 1024]` starts `qa serve` over a fresh
index of the seed article (the real model, the real Chroma, `ulimit -n` set to --nofile), POSTs --uploads
requests of --files small articles each to /api/articles, and every --every uploads records the server's open
files, the bytes it maps from derived segments, its RSS, the derived segments on disk, a question's latency
(median of 3) and whether /api/health says ok. Each upload request is one commit; the figures should stay flat.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
PLACES = ["Springfield", "Tromsø", "Valparaíso", "Da Nang", "Kraków", "Agadez", "Quito", "Lagos", "Hobart", "Turku"]
WAIT_S = 180.0
Log = Callable[[str], None]


def server_stats(pid: int, derived: Path) -> dict[str, Any]:
    """Open files, bytes mapped from the derived segments, and RSS (MB) of process `pid` (Linux /proc)."""
    mapped, segments = 0, set()
    with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and parts[5].strip().startswith(str(derived)):
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                mapped += hi - lo
                segments.add(Path(parts[5].strip()).parent.name)
    rss = 0.0
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    return {"open_files": len(os.listdir(f"/proc/{pid}/fd")), "mapped_mb": round(mapped / 2**20, 2),
            "segments_mapped": len(segments),
            "rss_mb": round(rss, 1), "segments": sum(1 for p in derived.iterdir() if p.name.startswith("seg-"))
            if derived.exists() else 0}


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def place_of(n: int) -> str:
    """The made-up place article `n` is about (unique to it)."""
    return f"{PLACES[n % len(PLACES)]}-{n}"


def story(n: int, rng: random.Random) -> tuple[str, bytes]:
    """A small article with one fact worth asking about ("How many ... in PLACE-n?")."""
    place = place_of(n)
    text = (f"Council of {place} approves a bridge\n\nThe council of {place} approved {rng.randint(2, 900)} new "
            f"street lamps on Tuesday. The project will cost {rng.randint(2, 90)} million dollars. Work starts "
            f"in {2027 + n % 4}. Residents of {place} asked for a public hearing within {rng.randint(2, 9)} weeks.")
    return f"story-{n:05d}.txt", text.encode()


def start_server(index: Path, port: int, nofile: int, log_path: Path) -> subprocess.Popen[bytes]:
    """`qa serve` over `index` on 127.0.0.1:`port` with at most `nofile` open files, once /api/health says ok."""
    import httpx

    env = {k: v for k, v in os.environ.items() if k != "QA_API_TOKEN"}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
               PYTHONPATH=str(ROOT))
    command = ["prlimit", f"--nofile={nofile}", sys.executable, "-m", "qa.shells.cli", "serve", "--index",
               str(index), "--port", str(port)]
    proc = subprocess.Popen(command, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the server did not start: {log_path.read_text()[-2000:]}")
        time.sleep(0.3)


def _question_ms(client: Any, question: str) -> tuple[float, dict[str, Any]]:
    times, body = [], {}
    for _ in range(3):
        t0 = time.perf_counter()
        r = client.post("/api/ask", json={"question": question})
        times.append((time.perf_counter() - t0) * 1e3)
        body = r.json() if r.status_code == 200 else {"error": r.text, "status": r.status_code}
    return statistics.median(times), body


def run_upload_bench(*, uploads: int = 1000, files: int = 3, every: int = 50, nofile: int = 1024,
                     log: Log = print) -> dict[str, Any]:
    """The figures over `uploads` upload requests of `files` articles each (see the module's docstring)."""
    import httpx

    from lab.bench import _machine
    from qa.training.reader import cpu_name

    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        index, port = Path(tmp) / "index", free_port()
        subprocess.run([sys.executable, "-m", "qa.shells.cli", "ingest", str(ROOT / "seeds"), "--index", str(index)],
                       check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        proc = start_server(index, port, nofile, Path(tmp) / "server.log")
        rows: list[dict[str, Any]] = []
        upload_ms: list[float] = []
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
                _question_ms(client, "How many US troops are in Agadez?")  # warm
                rows.append(_sample(client, proc.pid, index, 0, []))
                for i in range(1, uploads + 1):
                    batch = [story(i * files + j, rng) for j in range(files)]
                    t0 = time.perf_counter()
                    r = client.post("/api/articles", files=[("files", (n, b, "text/plain")) for n, b in batch])
                    upload_ms.append((time.perf_counter() - t0) * 1e3)
                    if r.status_code != 200:
                        raise RuntimeError(f"upload {i}: {r.status_code} {r.text[:500]}")
                    if i % every == 0 or i == uploads:
                        rows.append(_sample(client, proc.pid, index, i, upload_ms[-every:], files))
                        log(json.dumps(rows[-1]))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {"machine": {**_machine(), "cpu": cpu_name()}, "date": time.strftime("%Y-%m-%d"), "uploads": uploads, "files_per_upload": files,
            "nofile": nofile, "rows": rows}


def _sample(client: Any, pid: int, index: Path, uploads: int, recent_ms: list[float], files: int = 3) -> dict[str, Any]:
    """One row: the server's resources after `uploads` uploads, a question's latency, health."""
    ms, body = _question_ms(client, f"How many street lamps did the council of {place_of(files)} approve?"
                            if uploads else "How many US troops are in Agadez?")
    health = client.get("/api/health")
    return {"uploads": uploads, **server_stats(pid, index / "derived"),
            "question_ms": round(ms, 1), "answered": "error" not in body,
            "upload_ms_median": round(statistics.median(recent_ms), 1) if recent_ms else None,
            "health": health.status_code}


def format_upload_bench(result: dict[str, Any]) -> str:
    """The rows as a markdown table."""
    out = [f"{result['uploads']} upload requests of {result['files_per_upload']} articles each, `ulimit -n "
           f"{result['nofile']}`; {result['machine'].get('cpu', '')}, {result['date']}", "",
           "| uploads | open files | segments mapped | mapped (MB) | RSS (MB) | segments on disk | question (ms) "
           "| upload (ms, median) | health |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        out.append(f"| {r['uploads']} | {r['open_files']} | {r['segments_mapped']} | {r['mapped_mb']} | {r['rss_mb']} | {r['segments']} "
                   f"| {r['question_ms']} | {r['upload_ms_median'] or ''} | {r['health']} |")
    return "\n".join(out)
