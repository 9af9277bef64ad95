"""Resources bounded by design: an upload request is one commit and one segment, superseded segments are released,
open files stay flat under `ulimit -n 512`, and health fails exactly when questions would."""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path

import httpx
import pytest
from conftest import SEEDS, FakeEmbedder, free_port

from qa.errors import OutOfResources

UPLOADS = 100
FILES = 3
NOFILE = 512
OPEN_FILES_BOUND = 160  # measured: 44-60 over 1,000 requests (docs/reliability.md), 72 -> 1,003 before
GROWTH_BOUND = 25  # open files gained between the first and the last sample


def _manifest(index: Path) -> dict:
    return json.loads((index / "derived" / "manifest.json").read_text())


def _segments_open(engine) -> set[str]:
    return set(engine.derived._open)


def test_an_upload_request_is_one_commit_and_one_segment_with_a_result_per_file(tmp_path: Path):
    from qa.engine import QA
    from qa.shells.uploads import ingest_files

    engine = QA(tmp_path / "index", embedder=FakeEmbedder())
    engine.ingest([SEEDS])
    before = _manifest(tmp_path / "index")
    files = [(f"story-{i}.txt", f"The council of Town{i} approved {i + 2} new lamps on Tuesday.".encode())
             for i in range(5)]
    files.insert(2, ("broken.json", b'{"text": '))
    files.append(("dated.jsonl", json.dumps({"id": "dated", "text": "A bridge opened in Quillon.",
                                             "published_at": "2025-02-30"}).encode()))
    results = ingest_files(engine, files)
    after = _manifest(tmp_path / "index")
    assert len(after["segments"]) == len(before["segments"]) + 1  # one segment for the seven files
    assert after["generation"] != before["generation"]
    assert [r["file"] for r in results] == [name for name, _ in files]
    assert [r["ok"] for r in results] == [True, True, False, True, True, True, True]
    assert results[0]["articles"] == [{"id": "story-0.txt", "status": "added"}]
    assert results[2]["articles"] == [] and "not valid JSON" in results[2]["errors"][0]
    assert results[-1]["articles"][0]["id"] == "dated" and "no such day" in results[-1]["warnings"][0]
    assert _segments_open(engine) == set(after["segments"])  # the superseded lexicon's segments are let go


def test_an_upload_that_indexed_its_articles_says_so_when_the_derived_update_fails(tmp_path: Path, monkeypatch):
    """Out of files after the commit: the articles are added (200 in the API), the next question brings the
    derived indexes up to date itself."""
    import qa.search.derived
    from qa.engine import QA
    from qa.shells.uploads import ingest_files

    engine = QA(tmp_path / "index", embedder=FakeEmbedder())
    engine.ingest([SEEDS])

    def out_of_files(*args, **kwargs):
        raise OutOfResources("out of open files or memory opening seg-x (Too many open files)")

    monkeypatch.setattr(qa.search.derived.Derived, "lexicon", out_of_files)
    results = ingest_files(engine, [("lamps.txt", b"The council of Quillon approved 417 new lamps on Tuesday.")])
    assert results[0]["ok"] and results[0]["articles"] == [{"id": "lamps.txt", "status": "added"}]
    with pytest.raises(OutOfResources):
        engine.health()
    monkeypatch.undo()
    assert engine.health()["articles"] == 2
    assert "417" in engine.ask("How many lamps did the council of Quillon approve?").citations[0].sentence


def test_health_fails_while_the_process_is_out_of_files_then_recovers(tmp_path: Path):
    """Real exhaustion: every file this process may open is open. Health and the question fail with
    OutOfResources (a 503), nothing is taken for damage (no segment dropped, nothing rebuilt), and both
    work again once files are free."""
    from qa.engine import QA

    index = tmp_path / "index"
    engine = QA(index, embedder=FakeEmbedder())
    engine.ingest([SEEDS])
    assert engine.health()["articles"] == 1
    QA(index, embedder=FakeEmbedder()).ingest_bytes([("lamps.txt", b"The council of Quillon approved 417 lamps.")])
    manifest = _manifest(index)  # written by the other writer: this engine must open its new segment
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    held: list[int] = []
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 8, hard))
        while True:
            try:
                held.append(os.open(os.devnull, os.O_RDONLY))
            except OSError:
                break
        engine._invalidate()
        with pytest.raises(OutOfResources):
            engine.health()
        with pytest.raises(OutOfResources):
            engine.retriever()
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert _manifest(index) == manifest and all((index / "derived" / s).is_dir() for s in manifest["segments"])
    assert engine.health()["articles"] == 2
    assert "417" in engine.ask("How many lamps did the council of Quillon approve?").citations[0].sentence


@pytest.mark.real
@pytest.mark.timeout(1200)
def test_100_upload_requests_under_ulimit_512_keep_open_files_flat(tmp_path: Path):
    """A running server (`ulimit -n 512`, the real model and Chroma) takes 100 upload requests of 3 articles:
    every question afterwards is answered, open files stay under a stated bound and flat, health stays true."""
    import random

    from lab.upload_bench import place_of, server_stats, start_server, story

    index = tmp_path / "index"  # none yet: the first upload makes it
    port = free_port()
    proc = start_server(index, port, NOFILE, tmp_path / "server.log")
    rng = random.Random(3)
    samples: list[dict] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            for i in range(1, UPLOADS + 1):
                batch = [story(i * FILES + j, rng) for j in range(FILES)]
                r = client.post("/api/articles", files=[("files", (n, b, "text/plain")) for n, b in batch])
                assert r.status_code == 200, r.text
                assert [a["status"] for res in r.json()["results"] for a in res["articles"]] == ["added"] * FILES
                if i % 10 == 0:
                    assert client.get("/api/health").status_code == 200
                    samples.append(server_stats(proc.pid, index / "derived"))
            health = client.get("/api/health").json()
            assert health["articles"] == UPLOADS * FILES
            for n in rng.sample(range(FILES, (UPLOADS + 1) * FILES), 5):
                place = place_of(n)
                r = client.post("/api/ask", json={"question": f"When does work start for {place}?"})
                assert r.status_code == 200, r.text
                assert place in r.json()["citations"][0]["sentence"] or place in r.json()["citations"][0]["title"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    opened = [s["open_files"] for s in samples]
    assert max(opened) < OPEN_FILES_BOUND, opened
    assert opened[-1] - opened[0] <= GROWTH_BOUND, opened
