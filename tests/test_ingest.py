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
