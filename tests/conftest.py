"""Shared fixtures: a fast fake embedder, and the real packaged model over a real on-disk Chroma."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import pytest

from lab.hash_embedder import HashEmbedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
SEED_QUESTIONS = SHARED / "eval" / "seed_questions.jsonl"
SQUAD = SHARED / "eval" / "squad-dev-v1.1.json"


class FakeEmbedder(HashEmbedder):
    """Deterministic bag-of-hashed-words vectors, 64 wide: similar words, similar vectors; no model."""

    name = "fake-hash-embedder"
    dim = 64


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def fake_qa(tmp_path: Path, fake_embedder: FakeEmbedder):
    """A QA engine with the fake embedder over a fresh Chroma in tmp_path."""
    from qa.engine import QA

    return QA(tmp_path / "index", embedder=fake_embedder)


@pytest.fixture(scope="session")
def real_embedder():
    """The real packaged all-MiniLM-L6-v2 on the product's default encoder (or $QA_ENCODER's), once per session."""
    from index.embedder import make_embedder
    from qa.settings import Settings

    return make_embedder(encoder=Settings().encoder)


@pytest.fixture(scope="session")
def seeded_index_dir(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:
    """An on-disk index of seeds/ built with the real model (built once per session)."""
    from qa.engine import QA

    path = tmp_path_factory.mktemp("seeded") / "index"
    QA(path, embedder=real_embedder).ingest([SEEDS])
    return path


@pytest.fixture
def seeded_qa(tmp_path: Path, seeded_index_dir: Path, real_embedder):
    """A private copy of the seeded index, so a test may change it."""
    from qa.engine import QA

    path = tmp_path / "index"
    shutil.copytree(seeded_index_dir, path)
    return QA(path, embedder=real_embedder)


@pytest.fixture(scope="session")
def seeded_qa_shared(seeded_index_dir: Path, real_embedder):
    """The seeded index itself, read-only: for tests that only ask."""
    from qa.engine import QA

    return QA(seeded_index_dir, embedder=real_embedder)


@contextmanager
def serving(command: Sequence[str], health_url: str, log_path: Path, *, env: dict[str, str] | None = None,
            wait_s: float = 60) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process until `health_url` answers 200 (bounded by `wait_s`), then stop it afterwards."""
    import httpx

    log = log_path.open("w")
    proc = subprocess.Popen(list(command), env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                if httpx.get(health_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)
