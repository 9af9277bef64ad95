"""The default encoder: the packaged MiniLM through onnxruntime (int8), against sentence-transformers on torch."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from index.embedder import SentenceTransformerEmbedder, make_embedder
from index.encoding import DEFAULT_MODEL, resolve_model
from index.errors import UnsupportedEncoder
from index.onnx_embedder import PROCESSES_FROM, OnnxEmbedder, exported_model
from index.sentences import split_sentences
from lab.archive import records
from tests.conftest import SEEDS

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def news_sentences() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")]
    texts += [r["text"] for r in records(12, seed=4, live_blog_share=0.2)]
    return [s.text for i, t in enumerate(texts) for s in split_sentences(str(i), t)]


@pytest.fixture(scope="module")
def torch_encoder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def test_the_default_encoder_is_int8_onnx_for_the_packaged_model():
    encoder = make_embedder()
    assert isinstance(encoder, OnnxEmbedder) and encoder.quantize
    assert isinstance(make_embedder(encoder="torch"), SentenceTransformerEmbedder)
    with pytest.raises(UnsupportedEncoder, match="torch encoder"):
        make_embedder("/no/such/model", encoder="onnx-int8")


def test_a_first_export_is_quiet_and_cached(tmp_path, monkeypatch, capfd):
    """A fresh cache exports the model (warnings are errors here) and prints nothing; the next call reuses it."""
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path))
    folder = Path(resolve_model(DEFAULT_MODEL))
    path = exported_model(folder)
    assert path.is_file() and path.is_relative_to(tmp_path) and path.name == "model-int8.onnx"
    assert sorted(p.name for p in path.parent.iterdir()) == ["model-int8.onnx", "model.onnx"]  # nothing half-written
    out, err = capfd.readouterr()
    assert out == "" and "Loading weights" not in err and "quantization" not in err
    stamp = path.stat().st_mtime_ns
    assert exported_model(folder) == path and path.stat().st_mtime_ns == stamp


def test_int8_vectors_agree_with_torch(news_sentences: list[str], torch_encoder: SentenceTransformerEmbedder):
    sample = random.Random(1).sample(news_sentences, 400)
    ours = OnnxEmbedder().encode(sample)
    reference = torch_encoder.encode(sample)
    cosine = (ours * reference).sum(axis=1)
    assert ours.shape == reference.shape and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    assert cosine.mean() >= 0.99 and cosine.min() >= 0.95


def test_float32_onnx_gives_the_torch_vectors(news_sentences: list[str], torch_encoder: SentenceTransformerEmbedder):
    sample = news_sentences[:120]
    cosine = (OnnxEmbedder(quantize=False).encode(sample) * torch_encoder.encode(sample)).sum(axis=1)
    assert cosine.min() >= 0.9999


def test_question_vectors_agree_with_torch(torch_encoder: SentenceTransformerEmbedder):
    ours = OnnxEmbedder()
    for question in ("How many US troops are in Agadez?", "Who is the president of Niger?"):
        assert float(ours.encode_query(question) @ torch_encoder.encode_query(question)) >= 0.9999  # float32 graph
        assert ours.encode_query(question) is ours.encode_query(question)  # cached


def test_large_inputs_run_on_worker_processes_in_order(news_sentences: list[str]):
    """Long and short texts mixed (long ones fill the pipes both ways), rows back in input order."""
    texts = (news_sentences * 3)[:PROCESSES_FROM + 200]
    texts[::50] = [" ".join(texts[i : i + 40]) for i in range(0, len(texts), 50)]  # ~4,000-character texts
    encoder = OnnxEmbedder(workers=2)
    try:
        in_parts = encoder.encode(texts)
        assert len(encoder._procs) == 2 and all(p.poll() is None for p in encoder._procs)
        alone = encoder._sorted(texts)  # the same model in this process
        assert in_parts.shape == (len(texts), encoder.dim)
        assert (in_parts * alone).sum(axis=1).min() >= 0.97  # int8 activations are scaled per batch
        procs = list(encoder._procs)
    finally:
        encoder.close()
    assert all(p.poll() is not None for p in procs)


def test_a_worker_that_dies_is_a_clear_error_and_the_next_call_starts_afresh(news_sentences: list[str]):
    texts = (news_sentences * 3)[:PROCESSES_FROM]
    encoder = OnnxEmbedder(workers=2)
    try:
        encoder.encode(texts)
        encoder._procs[0].kill()
        encoder._procs[0].wait()
        with pytest.raises(RuntimeError, match="encoder worker"):
            encoder.encode(texts)
        assert encoder.encode(texts).shape == (len(texts), encoder.dim)
    finally:
        encoder.close()
