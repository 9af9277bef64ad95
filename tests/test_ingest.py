"""Ingestion is incremental, replaces edited articles, removes on request and never loses good data."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.store import Store
from qa.errors import UnknownArticle
from tests.conftest import SEEDS


def _counts(store: Store) -> tuple[int, int, int]:
    return store.count(), store.sentences_col.count(), store.chunks_col.count()


def test_ingesting_twice_changes_nothing(fake_qa):
    first = fake_qa.ingest([SEEDS])
    before = _counts(fake_qa.store)
    generation = fake_qa.store.generation()
    second = fake_qa.ingest([SEEDS])
    assert len(first.added) == 1 and first.sentences == 21
    assert second.added == [] and len(second.unchanged) == 1
    assert _counts(fake_qa.store) == before == (1, 21, before[2])
    assert fake_qa.store.generation() == generation


def test_edited_article_replaces_its_old_parts(fake_qa, tmp_path: Path):
    f = tmp_path / "docs" / "story.txt"
    f.parent.mkdir()
    f.write_text("Troops arrived in Niamey. They stayed a week. Then they left for Agadez.")
    fake_qa.ingest([f.parent])
    f.write_text("Troops arrived in Niamey. They left at once.")
    report = fake_qa.ingest([f.parent])
    assert len(report.replaced) == 1
    assert _counts(fake_qa.store) == (1, 2, 1)
    (info,) = fake_qa.articles()
    assert info.n_sentences == 2
    assert fake_qa.store.check() == []
    answer = fake_qa.ask("When did they leave?")
    assert all("Agadez" not in c.sentence for c in answer.citations)


def test_remove_deletes_everything_of_one_article(fake_qa, tmp_path: Path):
    (tmp_path / "a.txt").write_text("Alpha story about Niamey.")
    (tmp_path / "b.txt").write_text("Beta story about Agadez.")
    fake_qa.ingest([tmp_path / "a.txt", tmp_path / "b.txt"])
    victim = next(a for a in fake_qa.articles() if a.title.startswith("Alpha"))
    fake_qa.remove(victim.id)
    assert [a.title for a in fake_qa.articles()] == ["Beta story about Agadez."]
    assert _counts(fake_qa.store) == (1, 1, 1)
    with pytest.raises(UnknownArticle):
        fake_qa.remove(victim.id)


def test_hostile_folder_ingests_the_good_and_names_the_bad(fake_qa, tmp_path: Path):
    fake_qa.ingest([SEEDS])
    kept = _counts(fake_qa.store)
    d = tmp_path / "mixed"
    d.mkdir()
    (d / "good.txt").write_text("A good article about Niger. It has two sentences.")
    (d / "good.jsonl").write_text('{"text": "Line one article."}\n{"title": "missing text"}\n')
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.html").write_bytes(b"\x00\x01\x02binary")
    (d / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (d / "notes.pdf").write_bytes(b"%PDF-1.4")
    report = fake_qa.ingest([d])
    assert len(report.added) == 2
    named = sorted(f"{Path(p.path).name}:{p.line}" if p.line else Path(p.path).name for p in report.problems)
    assert named == ["binary.html", "empty.txt", "good.jsonl:2", "latin1.txt", "notes.pdf"]
    assert _counts(fake_qa.store)[0] == kept[0] + 2
    assert fake_qa.store.check() == []


def test_index_survives_a_restart_without_re_embedding(tmp_path: Path, fake_embedder):
    from qa.engine import QA

    QA(tmp_path / "ix", embedder=fake_embedder).ingest([SEEDS])

    class NoEncode(type(fake_embedder)):  # type: ignore[misc]
        def encode(self, texts):
            assert len(texts) <= 1, "a restart must not re-embed the corpus"
            return super().encode(texts)

    again = QA(tmp_path / "ix", embedder=NoEncode())
    answer = again.ask("How many American soldiers are stationed in Agadez?")
    assert not answer.abstained
    assert answer.citations[0].sentence.startswith("Currently, there are approximately 1,100")


def test_model_mismatch_is_refused(tmp_path: Path, fake_embedder):
    from index.errors import ModelMismatch
    from qa.engine import QA

    QA(tmp_path / "ix", embedder=fake_embedder).ingest([SEEDS])
    other = type(fake_embedder)()
    other.name = "another-model"
    with pytest.raises(ModelMismatch, match="fake-hash-embedder"):
        QA(tmp_path / "ix", embedder=other)


# --- one bad article, Ctrl+C, progress ----------------------------------------------------------------------


def _feed(tmp_path: Path, n: int, name: str = "news.jsonl") -> Path:
    import json

    f = tmp_path / name
    f.write_text("".join(json.dumps({"id": f"s{i}", "text": f"Story {i} begins here. It ends in Niamey {i}."}) + "\n"
                         for i in range(n)))
    return f


def _visible_problems(store: Store) -> list:
    return [p for p in store.check() if p.visible]


def test_an_article_that_fails_to_split_is_a_problem_and_the_rest_are_indexed(fake_qa, tmp_path: Path, monkeypatch):
    import index.ingest

    real = index.ingest.split_sentences

    def flaky(article_id: str, text: str):
        if "Story 2 " in text:
            raise TimeoutError("sentence splitting took too long\non this text")
        return real(article_id, text)

    monkeypatch.setattr(index.ingest, "split_sentences", flaky)
    f = _feed(tmp_path, 5)
    report = fake_qa.ingest([f])
    assert sorted(report.added) == ["s0", "s1", "s3", "s4"]
    (problem,) = report.problems
    assert (problem.path, problem.line, problem.article_id) == (str(f), 3, "s2")
    assert str(problem) == (f"{f}:3 (id s2): could not be split into sentences "
                            "(TimeoutError: sentence splitting took too long on this text)")
    assert fake_qa.store.check() == []


def test_an_article_the_encoder_fails_on_is_a_problem_and_the_rest_are_indexed(fake_qa, tmp_path: Path,
                                                                                 monkeypatch):
    real = fake_qa.embedder.encode

    def picky(texts):
        if any("Story 3 " in t for t in texts):
            raise ValueError("the tokenizer could not read this text")
        return real(texts)

    monkeypatch.setattr(fake_qa.embedder, "encode", picky)
    f = _feed(tmp_path, 5)
    report = fake_qa.ingest([f])
    assert sorted(report.added) == ["s0", "s1", "s2", "s4"]
    (problem,) = report.problems
    assert str(problem) == f"{f}:4 (id s3): could not be encoded (ValueError: the tokenizer could not read this text)"
    assert fake_qa.store.check() == []
    assert fake_qa.store.count() == 4


def test_an_encoder_that_fails_on_everything_stops_the_run_with_its_error(fake_qa, tmp_path: Path, monkeypatch):
    def broken(texts):
        raise RuntimeError("an encoder worker process stopped")

    monkeypatch.setattr(fake_qa.embedder, "encode", broken)
    with pytest.raises(RuntimeError, match="worker process stopped"):
        fake_qa.ingest([_feed(tmp_path, 3)])
    assert fake_qa.store.count() == 0


def test_too_many_sentences_names_the_file_line_and_id(fake_qa, tmp_path: Path):
    from dataclasses import replace

    from index.loaders import Limits

    fake_qa.settings = replace(fake_qa.settings, limits=Limits(max_article_sentences=1))
    f = _feed(tmp_path, 2)
    report = fake_qa.ingest([f])
    assert [(p.line, p.article_id) for p in report.problems] == [(1, "s0"), (2, "s1")]
    assert "has too many sentences (2; the limit is 1)" in str(report.problems[0])


def test_ctrl_c_from_the_input_stops_cleanly_and_a_rerun_finishes(fake_qa, tmp_path: Path, monkeypatch):
    import index.ingest
    from index.ingest import ingest_articles
    from index.loaders import load

    monkeypatch.setattr(index.ingest, "BATCH_SENTENCES", 1)  # every article is a batch of its own
    f = _feed(tmp_path, 8)
    items = list(load([f]))

    def cut_after(n: int):
        yield from items[:n]
        raise KeyboardInterrupt

    report = ingest_articles(cut_after(5), fake_qa.store, fake_qa.embedder, lock_dir=fake_qa.index_dir)
    assert report.interrupted and not report.ok
    assert report.added == ["s0", "s1", "s2", "s3", "s4"]  # the batch being written when Ctrl+C came landed
    assert _visible_problems(fake_qa.store) == [] and fake_qa.store.count() == 5
    again = fake_qa.ingest([f])
    assert not again.interrupted and again.ok
    assert again.unchanged == report.added and again.added == ["s5", "s6", "s7"]
    assert fake_qa.store.check() == []


def test_ctrl_c_from_the_progress_callback_stops_at_a_batch_boundary(fake_qa, tmp_path: Path, monkeypatch):
    import index.ingest
    from index.ingest import IngestProgress, ingest_paths

    monkeypatch.setattr(index.ingest, "BATCH_SENTENCES", 1)
    f = _feed(tmp_path, 8)
    seen: list[IngestProgress] = []

    def progress(p: IngestProgress) -> None:
        seen.append(p)
        if len(seen) == 6:
            raise KeyboardInterrupt

    report = ingest_paths([f], fake_qa.store, fake_qa.embedder, progress=progress, lock_dir=fake_qa.index_dir)
    assert report.interrupted and 0 < len(report.added) < 8
    assert _visible_problems(fake_qa.store) == [] and fake_qa.store.count() == len(report.added)
    again = fake_qa.ingest([f])
    assert sorted(again.unchanged) == sorted(report.added) and len(again.added) == 8 - len(report.added)


def test_progress_counts_articles_sentences_and_input_bytes(fake_qa, tmp_path: Path):
    from index.ingest import IngestProgress, ingest_paths

    docs = tmp_path / "docs"
    docs.mkdir()
    f = _feed(docs, 6)
    (docs / "bad.txt").write_bytes(b"")
    seen: list[IngestProgress] = []
    report = ingest_paths([docs], fake_qa.store, fake_qa.embedder, progress=seen.append,
                          lock_dir=fake_qa.index_dir)
    last = seen[-1]
    assert (last.articles, last.sentences, last.problems) == (6, report.sentences, 1) and report.sentences == 12
    assert last.bytes_read == last.bytes_total == f.stat().st_size
    assert [p.bytes_read for p in seen] == sorted(p.bytes_read for p in seen)


def test_the_progress_bar_shows_megabytes_counts_rate_and_eta(capsys):
    from index.ingest import IngestProgress, tqdm_progress

    update, close = tqdm_progress(True)
    assert update is not None
    update(IngestProgress(articles=0, sentences=0, unchanged=0, problems=0, bytes_read=0, bytes_total=36_577_277))
    update(IngestProgress(articles=1523, sentences=98_113, unchanged=2, problems=1, bytes_read=15_000_000,
                          bytes_total=36_577_277))
    close()
    line = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert line.startswith("ingest  41%|") and "| 15.0/36.6 MB [" in line
    assert "1,523 articles, 98,113 sentences, 2 unchanged, 1 failed, " in line and line.endswith(" sent/s")


def _dies_at(monkeypatch, method: str, call: int) -> None:
    """Make the store's `call`-th call of `method` raise, as a writer killed there would stop (its lock is freed)."""
    calls = {"n": 0}
    real = getattr(Store, method)

    def dying(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise SystemExit("killed")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, method, dying)


@pytest.mark.parametrize("method, call, replaced", [
    ("_upsert", 2, False),  # between the sentence write and the commit: uncommitted sentences
    ("_delete_parts", 1, True),  # after the commit, before the replaced version's parts are deleted
])
def test_the_next_ingest_deletes_what_a_dead_writer_left(fake_qa, tmp_path: Path, monkeypatch,
                                                         method: str, call: int, replaced: bool):
    from qa.engine import QA

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Troops arrived in Niamey. They stayed a week. Then they left for Agadez.")
    fake_qa.ingest([docs])
    (docs / "a.txt").write_text("Troops arrived in Niamey. They left at once.")
    (docs / "b.txt").write_text("Flooding closed the bridge on Tuesday. Officials moved 1,200 residents.")
    with monkeypatch.context() as patched:
        _dies_at(patched, method, call)
        with pytest.raises(SystemExit):
            fake_qa.ingest([docs])
    reader = QA(fake_qa.index_dir, embedder=fake_qa.embedder)  # another process, after the crash
    found = reader.check()
    assert found and all(p.kind == "leftover" and p.severity == "note" and not p.visible for p in found), found
    assert "the next ingest or `qa check --repair` removes them" in str(found[0])
    assert len(reader.articles()) == (2 if replaced else 1)
    report = reader.ingest([docs])
    assert report.ok and (report.unchanged if replaced else report.added)
    assert reader.check() == []  # the next ingest found the dead writer's mark and deleted its leftovers
    assert _counts(reader.store)[1] == sum(a.n_sentences for a in reader.articles())


def test_check_tells_notes_from_problems(fake_qa, tmp_path: Path):
    """Leftovers are a note (nothing visible, nothing lost); an article missing a sentence is a problem."""
    import numpy as np

    from index.layout import NOTE, PROBLEM

    fake_qa.ingest([SEEDS])
    store = fake_qa.store
    store._upsert(store.sentences_col, ["ghost.0123.s0"], np.ones((1, 64), np.float32),
                  [{"article_id": "ghost", "version": "0123", "span": "0 0 5"}])
    assert [(p.kind, p.severity) for p in fake_qa.check()] == [("leftover", NOTE)]
    (article,) = fake_qa.articles()
    store.sentences_col.delete(ids=[f"{article.id}.{article.content_hash}.s3"])
    assert [(p.kind, p.severity) for p in fake_qa.check()] == [("leftover", NOTE), ("incomplete", PROBLEM)]
    assert fake_qa.check(repair=True) and fake_qa.check() == []


def test_two_versions_of_one_article_in_one_file_count_once_each(fake_qa, tmp_path: Path):
    """The later record replaces the earlier (no error from the store), and the counts add up to the records."""
    import json

    f = tmp_path / "dup.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "d1", "text": "First version of the story."}, {"id": "d1", "text": "Second version of the story."},
        {"id": "d2", "text": "Another story."}, {"id": "d2", "text": "Another story."}]))
    report = fake_qa.ingest([f])
    assert (report.added, report.replaced, report.unchanged) == (["d1", "d2"], ["d1"], ["d2"])
    assert report.counts() == {"records": 4, "added": 2, "replaced": 1, "unchanged": 1, "failed": 0, "warnings": 0}
    assert fake_qa.article("d1").text == "Second version of the story."
    assert fake_qa.store.check() == []
