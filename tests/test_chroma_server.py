"""Chroma in client/server mode: a real `chroma run` on 127.0.0.1, shared by two QA engines ("app servers").

Everything but Chroma (BM25, sentence rows, the answer cache) lives in each engine's memory and is
rebuilt from the server whenever its generation changes, so nothing is written beside the app.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from click.testing import CliRunner

from index.errors import IndexBusy, StoreUnavailable
from qa.settings import Settings
from tests.conftest import SEED_QUESTIONS, SEEDS, FakeEmbedder, free_port, serving

pytestmark = pytest.mark.timeout(300)

CHROMA = Path(sys.executable).parent / "chroma"
STORIES = {
    "bridge.txt": "Flooding closed the Lindqvist Bridge in Tromsø on Tuesday. Officials moved 1,200 residents.",
    "port.txt": "The port of Valparaíso reopened on Friday after a strike. Dockworkers won a 9% raise.",
    "rail.txt": "A new rail link between Kraków and Gdańsk opened in March. Tickets cost 80 złoty.",
}


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    """A real Chroma server on a free 127.0.0.1 port, with its data in tmp_path; stopped afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(CHROMA), "run", "--path", str(tmp_path / "chroma-data"), "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, f"{url}/api/v2/heartbeat", tmp_path / "chroma.log"):
        yield url


def _docs(tmp_path: Path, stories: dict[str, str]) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir(exist_ok=True)
    for name, text in stories.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_two_app_servers_share_one_chroma_server(chroma_url: str, tmp_path: Path):
    from qa.engine import QA

    one = QA(tmp_path / "app1", chroma=chroma_url, embedder=FakeEmbedder())
    two = QA(tmp_path / "app2", chroma=chroma_url, embedder=FakeEmbedder())
    report = one.ingest([_docs(tmp_path, STORIES)])
    assert len(report.added) == 3 and report.ok
    assert {a.title for a in two.articles()} == {a.title for a in one.articles()}

    answer = two.ask("How many residents were moved?")  # BM25 and sentences rebuilt from the server
    assert answer.citations and "1,200 residents" in answer.citations[0].sentence
    citation = answer.citations[0]
    assert two.article(citation.article_id).text[citation.start : citation.end] == citation.sentence

    one.remove(citation.article_id)
    time.sleep(1.1)  # the engines look for other processes' commits at most once a second
    again = two.ask("How many residents were moved?")
    assert all(c.article_id != citation.article_id for c in again.citations)
    assert one.check() == [] and two.check() == []
    assert not (tmp_path / "app1").exists() and not (tmp_path / "app2").exists()  # nothing beside the app

    fresh = QA(tmp_path / "app3", chroma=chroma_url, embedder=FakeEmbedder())
    assert len(fresh.articles()) == 2


def test_writers_on_two_app_servers_take_turns(chroma_url: str, tmp_path: Path):
    from qa.engine import QA

    one = QA(tmp_path / "app1", chroma=chroma_url, embedder=FakeEmbedder())
    two = QA(tmp_path / "app2", chroma=chroma_url, embedder=FakeEmbedder(), settings=Settings(lock_wait_s=0.5))
    with one.store.writer_lock():  # a lease held in the Chroma server itself
        with pytest.raises(IndexBusy, match="Another process is writing"):
            two.ingest_bytes([("a.txt", b"A story about Niamey.")])
    assert two.ingest_bytes([("a.txt", b"A story about Niamey.")]).added

    batches = [[(f"{who}{i}.txt", f"Story {who}{i}: the {who} council met on day {i}. It voted.".encode())
                for i in range(8)] for who in ("north", "south")]
    errors: list[BaseException] = []

    def ingest(engine: QA, files: list[tuple[str, bytes]]) -> None:
        try:
            engine.ingest_bytes(files)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(e, b)) for e, b in zip((one, one.__class__(
        tmp_path / "app3", chroma=chroma_url, embedder=FakeEmbedder())), batches)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert len(two.articles()) == 17
    assert two.check() == []


def test_unreachable_server_is_a_clear_error(tmp_path: Path):
    from qa.engine import QA
    from qa.shells.cli import main

    with pytest.raises(StoreUnavailable, match="could not be reached"):
        QA(tmp_path / "x", chroma=f"http://127.0.0.1:{free_port()}", embedder=FakeEmbedder())
    result = CliRunner().invoke(main, ["list", "--chroma-url", f"http://127.0.0.1:{free_port()}"])
    assert result.exit_code == 1 and "could not be reached" in result.output
    assert "Traceback" not in result.output


@pytest.mark.real
def test_cli_flows_against_a_chroma_server_match_the_embedded_store(chroma_url: str, tmp_path: Path, monkeypatch,
                                                                   real_embedder, seeded_qa_shared):
    import qa.library
    from qa.evaluation.evaluation import evaluate_jsonl
    from qa.shells.cli import main

    monkeypatch.setattr(qa.library, "make_embedder", lambda *a, **k: real_embedder)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> str:
        result = runner.invoke(main, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert run("ingest", "--quiet", "--chroma-url", chroma_url, str(SEEDS)).startswith("1 added")
    env = {"QA_CHROMA_URL": chroma_url}  # the environment variable works as well as the option
    assert "1 unchanged" in run("ingest", "--quiet", str(SEEDS), env=env)
    asked = json.loads(run("ask", "--json", "How many US troops are in Agadez?", env=env))
    embedded = seeded_qa_shared.ask("How many US troops are in Agadez?")
    assert asked["answer"] == embedded.answer
    assert [c["key"] for c in asked["citations"]] == [c.key for c in embedded.citations]
    listed = json.loads(run("list", "--json", env=env))
    assert len(listed) == 1 and listed[0]["n_sentences"] == 21
    assert run("check", env=env).startswith("ok:")

    served = json.loads(run("eval", "--json", str(SEED_QUESTIONS), env=env))
    local = evaluate_jsonl(seeded_qa_shared, SEED_QUESTIONS)
    assert [r["answer"] for r in served["rows"]] == [r["answer"] for r in local["rows"]]
    assert served["evidence_first"] == local["evidence_first"]

    assert run("remove", listed[0]["id"], env=env).startswith("removed")
    assert json.loads(run("list", "--json", env=env)) == []
    assert not (tmp_path / ".sourced-index").exists()


def test_http_api_and_ui_of_two_app_servers_on_one_chroma_server(chroma_url: str, tmp_path: Path):
    from qa.engine import QA
    from qa.shells.server import ServerThread, create_app

    apps = [QA(tmp_path / f"app{i}", chroma=chroma_url, embedder=FakeEmbedder()) for i in (1, 2)]
    with ServerThread(create_app(apps[0]), free_port()) as one, \
            ServerThread(create_app(apps[1], ui=False), free_port()) as two:
        files = [("files", (name, text.encode(), "text/plain")) for name, text in STORIES.items()]
        r = httpx.post(f"{one.url}/api/articles", files=files, timeout=60)
        assert r.status_code == 200, r.text
        time.sleep(1.1)
        asked = httpx.post(f"{two.url}/api/ask", json={"question": "What raise did the dockworkers win?"},
                           timeout=60).json()
        assert "9% raise" in asked["citations"][0]["sentence"]
        assert httpx.get(f"{one.url}/", timeout=60).status_code == 200  # the chat page
        listed = httpx.get(f"{two.url}/api/articles", timeout=60).json()["articles"]
        assert len(listed) == 3


def test_writer_lease_expires_renews_and_frees_dead_holders(chroma_url: str, tmp_path: Path):
    import socket

    from index.lock import lease_lock
    from index.store import Store

    locks = Store(chroma_url=chroma_url)._client.get_or_create_collection("sourced-locks", embedding_function=None)
    # A holder on another host that stopped renewing: its lease lapses.
    locks.add(ids=["writer"], embeddings=[[1.0]], metadatas=[{"owner": "elsewhere:1:x", "expires": time.time() + 1}])
    t0 = time.monotonic()
    with lease_lock(locks, wait_s=10, poll_s=0.05):
        assert time.monotonic() - t0 >= 0.5
    # A holder on this host whose process is gone: freed at once.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    owner = f"{socket.gethostname()}:{dead.stdout.strip()}:x"
    locks.add(ids=["writer"], embeddings=[[1.0]], metadatas=[{"owner": owner, "expires": time.time() + 60}])
    t0 = time.monotonic()
    with lease_lock(locks, wait_s=10, poll_s=0.05):
        assert time.monotonic() - t0 < 5
    # A live holder renews its short lease, so a waiter gives up rather than take it over.
    with lease_lock(locks, lease_s=0.6):
        with pytest.raises(IndexBusy):
            with lease_lock(locks, wait_s=1.5, poll_s=0.05):
                pass  # pragma: no cover
    assert locks.get(ids=["writer"])["ids"] == []  # released on exit
