"""Real news archives through `qa ingest`: big files stream, a bad record is one named problem, Ctrl+C is clean."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.shells.cli import INTERRUPTED, main
from tests.conftest import FakeEmbedder


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """`qa` commands use the fake embedder."""
    import qa.library

    monkeypatch.setattr(qa.library, "make_embedder", lambda *a, **k: FakeEmbedder())


def _story(i: int) -> dict:
    return {"id": f"s{i}", "title": f"Story {i}", "text": f"Story {i} begins in Niamey. It ends in Agadez {i}."}


def _jsonl(path: Path, records: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(records) + b"\n")
    return path


def test_broken_lines_are_named_and_every_good_article_is_indexed(tmp_path: Path, fake_model: None):
    f = _jsonl(tmp_path / "news.jsonl", [
        json.dumps(_story(1)).encode(),
        b'{"id": "cut", "text": "no end',
        json.dumps({"id": "no-text", "title": "A headline only"}).encode(),
        json.dumps(_story(2)).encode(),
        json.dumps({"id": "big-1", "text": "x" * 3_000_000}).encode(),
        json.dumps({"id": "t-1", "title": {"main": "nested"}, "text": "A fine text."}).encode(),
        json.dumps({"id": "huge", "text": "y" * 6_000_000}).encode(),
        b'{"id": "latin-1", "text": "caf\xe9 au lait"}',
        json.dumps(_story(3)).encode(),
    ])
    result = CliRunner().invoke(main, ["ingest", "--progress", "--index", str(tmp_path / "ix"),
                                       "--max-article-chars", "1000000", "--max-record-bytes", "5MB", str(f)])
    assert result.exit_code == 2, result.output
    assert result.stdout.startswith("3 added, 0 replaced, 0 unchanged, 6 failed")
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        f"error: {f}:2 (id cut): is not valid JSON (Unterminated string starting at: column 23)",
        f"error: {f}:3 (id no-text): has no 'text' or 'body' string field",
        f"error: {f}:5 (id big-1): article text is too long (3,000,000 characters; the limit is 1,000,000)",
        f"error: {f}:6 (id t-1): field 'title' must be a string",
        f"error: {f}:7 (id huge): record is too large (6,000,026 bytes; the limit is 5,000,000)",
        f"error: {f}:8 (id latin-1): is not UTF-8 text (byte 0xe9 at offset 30 of the record); save it as UTF-8",
    ]
    assert "Traceback" not in result.output
    assert "MB [" in result.stderr and "sent/s" in result.stderr  # --progress draws the bar off a terminal
    assert "for search" in result.stderr  # then says it builds the derived indexes
    listed = json.loads(CliRunner().invoke(main, ["list", "--json", "--index", str(tmp_path / "ix")]).stdout)
    assert sorted(a["id"] for a in listed) == ["s1", "s2", "s3"]


def test_an_archive_over_the_old_20_mb_limit_streams(tmp_path: Path, fake_qa):
    """25 MB of multi-paragraph articles; each record also carries its page's HTML, as newsroom dumps do (that keeps
    the sentence splitting, and so the test, short)."""
    rng = random.Random(5)
    words = "officials said the talks in Niamey would resume on Monday after troops left Agadez".split()
    n = 1200
    f = tmp_path / "archive.jsonl"
    with f.open("w") as out:
        for i in range(n):
            paragraphs = [" ".join(rng.choice(words) for _ in range(30)).capitalize() + "." for _ in range(4)]
            text = f"Story {i}.\n\n" + "\n\n".join(paragraphs)
            out.write(json.dumps({"id": f"a{i}", "title": f"Story {i}", "text": text,
                                  "html": "<p>" + "page " * 4100 + "</p>"}) + "\n")
    assert f.stat().st_size > 25_000_000
    report = fake_qa.ingest([f])
    assert report.ok and len(report.added) == n and report.sentences == 5 * n
    assert fake_qa.store.count() == n


def test_ctrl_c_exits_130_with_a_clean_message_and_a_rerun_continues(tmp_path: Path, fake_model: None, monkeypatch):
    import index.ingest

    real = index.ingest.split_sentences

    def interrupted(article_id: str, text: str):
        if text.startswith("Story 3 "):
            raise KeyboardInterrupt
        return real(article_id, text)

    monkeypatch.setattr(index.ingest, "BATCH_SENTENCES", 1)
    monkeypatch.setattr(index.ingest, "split_sentences", interrupted)
    f = _jsonl(tmp_path / "news.jsonl", [json.dumps(_story(i)).encode() for i in range(8)])
    args = ["ingest", "--quiet", "--index", str(tmp_path / "ix"), str(f)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 130
    assert result.stdout.startswith("3 added, 0 replaced, 0 unchanged, 0 failed")
    assert result.stderr.strip() == INTERRUPTED
    monkeypatch.setattr(index.ingest, "split_sentences", real)
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and again.stdout.startswith("5 added, 0 replaced, 3 unchanged, 0 failed")
    checked = CliRunner().invoke(main, ["check", "--index", str(tmp_path / "ix")])
    assert checked.exit_code == 0 and checked.stdout.startswith("ok: 8 articles")


def test_limit_flags_reach_the_settings_and_byte_sizes_read_as_people_write_them(tmp_path: Path, fake_model: None):
    f = tmp_path / "a.txt"
    f.write_text("A story. " * 300)
    result = CliRunner().invoke(main, ["ingest", "--quiet", "--index", str(tmp_path / "ix"), "--max-file-bytes",
                                       "1KiB", str(f)])
    assert result.exit_code == 2 and "is too large (2,700 bytes; the limit is 1,024)" in result.stderr
    bad = CliRunner().invoke(main, ["ingest", "--max-archive-bytes", "lots", str(f)])
    assert bad.exit_code == 2 and "'lots' is not a byte count" in bad.output


def test_limits_work_from_python_through_settings(tmp_path: Path):
    from index.loaders import Limits
    from qa.engine import QA
    from qa.settings import Settings

    f = _jsonl(tmp_path / "news.jsonl", [json.dumps(_story(1)).encode(), json.dumps({"id": "long", "text": "z" * 500}).encode()])
    engine = QA(tmp_path / "ix", embedder=FakeEmbedder(), settings=Settings(limits=Limits(max_article_chars=100)))
    report = engine.ingest([f])
    assert report.added == ["s1"]
    assert [str(p) for p in report.problems] == [f"{f}:2 (id long): article text is too long (500 characters; the limit is 100)"]
