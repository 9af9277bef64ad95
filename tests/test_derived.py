"""Derived indexes: reused across processes, updated by deltas, rebuilt when missing or damaged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.search.lexicon import assemble
from tests.conftest import SEEDS, FakeEmbedder

QUESTIONS = ["How many US troops are in Agadez?", "What will the Russian instructors do in Niger?",
             "How many residents were moved?", "What raise did the dockworkers win?"]


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


BRIDGE = ("Flooding closed the Lindqvist Bridge in Tromsø on Tuesday. Officials moved 1,200 residents to the "
          "sports hall. The bridge reopens next month.")
PORT = ("The port of Valparaíso reopened on Friday after a strike. Dockworkers won a 9% raise. "
        "Ships had waited for eleven days.")


def _answers(engine) -> list[tuple[str, list[str]]]:
    return [(a.answer, [c.key for c in a.citations]) for a in (engine.ask(q) for q in QUESTIONS)]


def _manifest(index: Path) -> dict:
    return json.loads((index / "derived" / "manifest.json").read_text())


def test_a_new_process_reads_the_derived_indexes_without_rebuilding(tmp_path: Path):
    from qa.engine import QA

    index = tmp_path / "index"
    one = QA(index, embedder=FakeEmbedder())
    one.ingest([SEEDS, _write(tmp_path / "docs", "bridge.txt", BRIDGE)])
    before = _manifest(index)
    assert len(before["segments"]) == 1  # written by the ingest, before anyone asked
    files = {p: p.stat().st_mtime_ns for p in (index / "derived").rglob("*.bin")}
    two = QA(index, embedder=FakeEmbedder())
    assert _answers(two) == _answers(one)
    assert _manifest(index) == before
    assert {p: p.stat().st_mtime_ns for p in (index / "derived").rglob("*.bin")} == files


def test_a_commit_adds_one_segment_and_removals_only_mark_rows_dead(tmp_path: Path):
    from qa.engine import QA

    index = tmp_path / "index"
    engine = QA(index, embedder=FakeEmbedder())
    engine.ingest([SEEDS])
    base = _manifest(index)["segments"]
    assert "1,200" not in engine.ask("How many residents were moved?").answer

    engine.ingest([_write(tmp_path / "a", "bridge.txt", BRIDGE)])
    after = _manifest(index)
    assert after["segments"][:1] == base and len(after["segments"]) == 2  # the base segment is untouched
    answer = engine.ask("How many residents were moved?")
    assert "1,200 residents" in answer.citations[0].sentence

    engine.remove(answer.citations[0].article_id)
    removed = _manifest(index)
    assert removed["segments"] == base and removed["dead"] == [[]]  # its whole segment dropped, nothing re-read
    again = engine.ask("How many residents were moved?")
    assert all(c.article_id != answer.citations[0].article_id for c in again.citations)


def test_an_edited_article_replaces_its_rows(tmp_path: Path):
    from qa.engine import QA

    index, docs = tmp_path / "index", tmp_path / "docs"
    engine = QA(index, embedder=FakeEmbedder())
    engine.ingest([SEEDS, _write(docs, "port.txt", PORT)])
    assert "9% raise" in engine.ask("What raise did the dockworkers win?").citations[0].sentence
    engine.ingest([_write(docs, "port.txt", PORT.replace("9%", "12%"))])
    cited = [c.sentence for c in engine.ask("What raise did the dockworkers win?").citations]
    assert any("12% raise" in s for s in cited) and not any("9% raise" in s for s in cited)
    manifest = _manifest(index)
    assert len(manifest["segments"]) == 2 and len(manifest["dead"][0]) == 1 and manifest["dead"][1] == []


def test_deltas_give_the_same_scores_as_one_rebuilt_segment(tmp_path: Path, monkeypatch):
    """BM25 statistics are global over live rows: segments added one commit at a time score like one."""
    import qa.search.derived
    from qa.engine import QA

    monkeypatch.setattr(qa.search.derived, "DEAD_SHARE", 1.0)  # keep the dead rows in place

    index = tmp_path / "index"
    engine = QA(index, embedder=FakeEmbedder())
    engine.ingest([SEEDS])
    engine.ingest([_write(tmp_path / "a", "bridge.txt", BRIDGE)])
    engine.ingest([_write(tmp_path / "b", "port.txt", PORT)])
    engine.ingest([_write(tmp_path / "b", "port.txt", PORT + " Wages had been frozen since 2019.")])
    assert len(_manifest(index)["segments"]) == 4
    by_deltas = _answers(engine)
    lex = engine.retriever().lexicon

    shutil.rmtree(index / "derived")
    rebuilt = QA(index, embedder=FakeEmbedder())
    assert _answers(rebuilt) == by_deltas
    one = rebuilt.retriever().lexicon
    assert len(_manifest(index)["segments"]) == 1
    live = lex.corpus.article_live
    assert live is not None and not live.all()  # the first version of port.txt is still there, dead
    live_rows = np.flatnonzero(live[lex.corpus.sentence_article])
    for terms in (["troop", "agadez"], ["resid", "move"], ["raise", "wage"]):
        mine = lex.bm25.scores(terms)[0][live_rows]
        theirs = one.bm25.scores(terms)[0]
        by_key = dict(zip([lex.corpus.sentence_key(r) for r in live_rows], mine))
        assert theirs.any()
        assert np.allclose([by_key[one.corpus.sentence_key(r)] for r in range(len(theirs))], theirs, rtol=1e-6)


def test_bm25_matches_bm25s_on_the_same_sentences(fake_qa):
    import bm25s

    fake_qa.ingest([SEEDS])
    lex = fake_qa.retriever().lexicon
    docs = [list(lex.sentence_terms[r]) or [""] for r in range(len(lex.sentence_terms))]
    reference = bm25s.BM25()
    reference.index(docs, show_progress=False)
    corpus = lex.corpus
    chunks = bm25s.BM25()
    chunks.index([[t for r in range(a, b + 1) for t in docs[r] if t] or [""]
                  for a, b in zip(corpus.chunk_first.tolist(), corpus.chunk_last.tolist())], show_progress=False)
    for terms in (["troop", "agadez"], ["russian", "instructor", "niger"], ["us"], ["nowher"]):
        expected = np.asarray(reference.get_scores(terms), np.float32)
        sentences, by_chunk, by_article = lex.bm25.scores(terms)
        assert np.allclose(sentences, expected, rtol=1e-5, atol=1e-6)
        assert np.allclose(by_chunk, np.asarray(chunks.get_scores(terms), np.float32), rtol=1e-5, atol=1e-6)
        assert expected.any() or terms == ["nowher"]
        assert by_article.shape == (1,) and (by_article[0] > 0) == bool(expected.any())


@pytest.mark.parametrize("damage", ["flip-bytes", "delete-file", "delete-manifest", "garbage-manifest"])
def test_a_damaged_or_missing_derived_file_is_rebuilt_and_answers_the_same(tmp_path: Path, damage: str):
    from qa.engine import QA

    index = tmp_path / "index"
    engine = QA(index, embedder=FakeEmbedder())
    engine.ingest([SEEDS, _write(tmp_path / "docs", "bridge.txt", BRIDGE)])
    expected = _answers(engine)
    segment = index / "derived" / _manifest(index)["segments"][0]
    if damage == "flip-bytes":  # same size, one byte changed in the middle of the vectors
        path = segment / "arrays.bin"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "delete-file":
        (segment / "strings.txt").unlink()
    elif damage == "delete-manifest":
        (index / "derived" / "manifest.json").unlink()
    else:
        (index / "derived" / "manifest.json").write_text("{not json")

    if damage in ("flip-bytes", "delete-file"):
        problems = QA(index, embedder=FakeEmbedder()).check()
        assert [p.kind for p in problems] == ["derived"] and segment.name in problems[0].message
    restarted = QA(index, embedder=FakeEmbedder())
    assert _answers(restarted) == expected
    if damage in ("flip-bytes", "delete-file"):  # that segment's articles were read again, into a new one
        assert segment.name not in _manifest(index)["segments"]
    assert QA(index, embedder=FakeEmbedder()).check() == []


def test_qa_check_repair_deletes_a_damaged_segment_and_rebuilds_it(tmp_path: Path):
    from qa.engine import QA

    index = tmp_path / "index"
    engine = QA(index, embedder=FakeEmbedder())
    engine.ingest([SEEDS])
    expected = _answers(engine)
    segment = index / "derived" / _manifest(index)["segments"][0]
    (segment / "arrays.bin").write_bytes(b"garbage")
    repaired = QA(index, embedder=FakeEmbedder())
    assert [p.kind for p in repaired.check(repair=True)] == ["derived"]
    assert not segment.exists() and repaired.check() == []
    assert _answers(repaired) == expected


def test_a_failed_segment_write_leaves_the_manifest_and_nothing_half_written(tmp_path: Path, monkeypatch):
    import qa.search.segments
    from qa.engine import QA

    index = tmp_path / "index"
    engine = QA(index, embedder=FakeEmbedder())
    engine.ingest([SEEDS])
    before = _manifest(index)
    expected = _answers(engine)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(qa.search.segments, "_write_arrays", full_disk)
    engine.ingest([_write(tmp_path / "a", "bridge.txt", BRIDGE)])  # committed; the derived update fails
    assert _manifest(index) == before
    assert not [p for p in (index / "derived").iterdir() if p.name.startswith(".tmp")]
    monkeypatch.undo()
    fresh = QA(index, embedder=FakeEmbedder())
    assert "1,200 residents" in fresh.ask("How many residents were moved?").citations[0].sentence
    by_delta = _answers(fresh)
    assert by_delta != expected  # a new article changes the statistics a little
    shutil.rmtree(index / "derived")
    assert _answers(QA(index, embedder=FakeEmbedder())) == by_delta


def test_the_corpus_of_segments_reads_like_arrays(fake_qa):
    fake_qa.ingest([SEEDS])
    lex = fake_qa.retriever().lexicon
    segments = lex.segments
    double = assemble(segments + segments, [set(), {0}], "g")  # the same article twice, the second copy dead
    corpus = double.corpus
    n = segments[0].n_sentences
    assert len(corpus.sentence_ids) == 2 * n and corpus.article_row == {segments[0].articles[0].id: 0}
    rows = np.asarray([0, n - 1, n, 2 * n - 1])
    assert np.array_equal(corpus.sentence_vectors[rows][:2], corpus.sentence_vectors[rows][2:])
    assert corpus.sentence_text[n] == corpus.sentence_text[0] and corpus.sentence_text[0]
    assert double.bm25.scores(["agadez"])[0][n:].max() == 0.0  # dead rows never score
    assert np.allclose(double.bm25.scores(["agadez"])[0][:n], lex.bm25.scores(["agadez"])[0])
    assert double.idf_of("agadez") == pytest.approx(lex.idf_of("agadez"))


def test_writers_merge_small_segments_and_rewrite_mostly_dead_ones(tmp_path: Path, monkeypatch):
    import qa.search.derived
    from qa.engine import QA

    monkeypatch.setattr(qa.search.derived, "MAX_SMALL_SEGMENTS", 3)
    index = tmp_path / "index"
    engine = QA(index, embedder=FakeEmbedder())
    engine.ingest([SEEDS])
    for i in range(3):
        engine.ingest([_write(tmp_path / f"d{i}", f"story{i}.txt", f"Story {i} happened in Tromsø. " + BRIDGE)])
    assert len(_manifest(index)["segments"]) == 4
    engine.ingest([_write(tmp_path / "d3", "port.txt", PORT)])  # a fifth small segment: all are merged
    merged = _manifest(index)
    assert len(merged["segments"]) == 1 and merged["dead"] == [[]]
    assert len(engine.retriever().corpus.articles) == 5
    by_merge = _answers(engine)
    shutil.rmtree(index / "derived")
    assert _answers(QA(index, embedder=FakeEmbedder())) == by_merge

    engine.ingest([_write(tmp_path / "d3", "port.txt", PORT + " Wages had been frozen since 2019.")])
    assert _manifest(index)["dead"] == [[_row_of(engine, "port")], []]
    engine.remove(engine.ask("How many US troops are in Agadez?").citations[0].article_id)
    # the seed article held most of the first segment's sentences: its live articles are read again
    after = _manifest(index)
    assert merged["segments"][0] not in after["segments"] and all(d == [] for d in after["dead"])
    assert len(engine.retriever().corpus.articles) == 4


def _row_of(engine, name: str) -> int:
    segment = engine.retriever().lexicon.segments[0]
    return next(i for i, a in enumerate(segment.articles) if name in a.id or name in a.title.lower())


def test_a_view_of_the_store_that_lost_a_vector_segment_is_opened_afresh_and_read_again(fake_qa) -> None:
    """chromadb's "Error creating hnsw segment reader: Nothing found on disk" (a server taking uploads into a store
    its first upload made: every later read failed so) is met by reading once more through a fresh client."""
    fake_qa.ingest([SEEDS])
    store = fake_qa.store
    [info] = store.list_articles()
    before = store._client
    calls = []

    def lost(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise RuntimeError("Error executing plan: Internal error: Error creating hnsw segment reader: "
                           "Nothing found on disk")

    store.sentences_col.get = lost
    [parts] = store.read_parts([info.id])
    assert calls and store._client is not before  # reopened, and read through the new collections
    assert len(parts.sentences) > 0 and store.sentences_col.get is not lost
    store.sentences_col.get = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk I/O error"))
    with pytest.raises(RuntimeError, match="disk I/O error"):  # any other failure is not retried
        store.read_parts([info.id])
