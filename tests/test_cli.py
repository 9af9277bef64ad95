"""The `qa` command through click's runner, and as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.shells.cli import main
from tests.conftest import ROOT, SEED_QUESTIONS, SEEDS


def test_every_command_has_help():
    runner = CliRunner()
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    commands = [line.split()[0] for line in result.output.split("Commands:")[1].strip().splitlines() if line.strip()]
    assert {"ingest", "ask", "list", "remove", "eval"} <= set(commands)
    for name in commands:
        sub = runner.invoke(main, [name, "--help"])
        assert sub.exit_code == 0, name
        if name in ("ingest", "ask", "list", "remove", "eval", "check", "serve"):  # they use the user's index
            assert "--index" in sub.output, name


def test_ask_on_an_empty_index_says_how_to_ingest(tmp_path: Path):
    result = CliRunner().invoke(main, ["ask", "--index", str(tmp_path / "ix"), "How many troops?"])
    assert result.exit_code == 1
    assert "qa ingest seeds/" in result.output
    assert "Traceback" not in result.output


@pytest.mark.real
def test_cli_end_to_end_on_the_seeds(tmp_path: Path):
    """As a new user would: ingest twice, ask (text and JSON), list, eval, remove."""
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "ix")}
    qa = [sys.executable, "-m", "qa.shells.cli"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*qa, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)

    first = run("ingest", str(SEEDS))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("1 added")
    second = run("ingest", str(SEEDS))
    assert "0 added, 0 replaced, 1 unchanged" in second.stdout

    asked = run("ask", "--json", "How many US troops are in Agadez?")
    data = json.loads(asked.stdout)
    assert data["citations"][0]["sentence"] == "Currently, there are approximately 1,100 American soldiers stationed in Agadez."
    assert "1,100" in data["answer"] and data["abstained"] is False

    text = run("ask", "How many US troops are in Agadez?")
    assert text.stdout.startswith("approximately 1,100 [1]")
    assert "[1] " in text.stdout and "chars 751-830" in text.stdout

    strict = tmp_path / "strict-reader"  # another reader: the shipped one, deciding never to answer
    shutil.copytree(ROOT / "qa" / "answers" / "reader_weights", strict)
    config = json.loads((strict / "reader.json").read_text(encoding="utf-8"))
    config["decision"]["threshold"] = 2.0
    (strict / "reader.json").write_text(json.dumps(config), encoding="utf-8")
    other = run("ask", "--json", "--reader-weights", str(strict), "How many US troops are in Agadez?")
    assert json.loads(other.stdout)["abstained"] is True, other.stderr
    assert "holds no reader" in run("ask", "--reader-weights", str(tmp_path), "How many?").stderr

    listed = json.loads(run("list", "--json").stdout)
    assert len(listed) == 1 and listed[0]["n_sentences"] == 21

    evaluated = json.loads(run("eval", "--json", str(SEED_QUESTIONS)).stdout)
    assert evaluated["abstained_unanswerable"] == 2

    removed = run("remove", listed[0]["id"])
    assert removed.returncode == 0
    assert json.loads(run("list", "--json").stdout) == []
    unknown = run("remove", "no-such-id")
    assert unknown.returncode == 1 and "no article with id 'no-such-id'" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_bad_files_are_named_and_exit_code_says_so(tmp_path: Path, monkeypatch):
    import qa.library
    from tests.conftest import FakeEmbedder

    monkeypatch.setattr(qa.library, "make_embedder", lambda *a, **k: FakeEmbedder())
    d = tmp_path / "in"
    d.mkdir()
    (d / "ok.txt").write_text("Fine article text.")
    (d / "bad.txt").write_bytes(b"\xff\xfe\x00\xd8")  # broken UTF-16
    (d / "x.docx").write_bytes(b"PK")
    result = CliRunner().invoke(main, ["ingest", "--quiet", "--index", str(tmp_path / "ix"), str(d)])
    assert result.exit_code == 2
    assert "1 added" in result.output
    assert "bad.txt" in result.output and "x.docx" in result.output
    assert "Traceback" not in result.output


def test_ask_shows_every_citation_with_title_source_date_and_offsets(tmp_path: Path, monkeypatch):
    import qa.library
    from tests.conftest import FakeEmbedder

    monkeypatch.setattr(qa.library, "make_embedder", lambda *a, **k: FakeEmbedder())
    article = {"id": "quillon-rail", "title": "Quillon opens its rail line", "source": "Zorbia Times",
               "published_at": "2024-05-02", "text": "The Quillon rail line carried 52,000 passengers in its first "
               "week. The Quillon rail line cost 3 billion. Quillon rail passengers praised the line."}
    (tmp_path / "news.jsonl").write_text(json.dumps(article) + "\n", encoding="utf-8")
    index = ["--index", str(tmp_path / "ix")]
    assert CliRunner().invoke(main, ["ingest", "--quiet", *index, str(tmp_path / "news.jsonl")]).exit_code == 0
    question = "How many passengers did the Quillon rail line carry?"
    result = CliRunner().invoke(main, ["ask", *index, question])
    data = json.loads(CliRunner().invoke(main, ["ask", "--json", *index, question]).output)
    assert result.exit_code == 0 and data["citations"]  # those bearing on it: "cost 3 billion" may be left out
    assert result.output.count("] Quillon opens its rail line (Zorbia Times") == len(data["citations"])
    for c in data["citations"]:
        assert (f"[{c['n']}] Quillon opens its rail line (Zorbia Times, 2024-05-02, chars {c['start']}-{c['end']})\n"
                f"    {c['sentence']}\n") in result.output
    assert list(data) == ["question", "answer", "abstained", "short_answer", "short_answer_span", "answerability",
                          "citations", "retrieval_query", "answerer", "llm_model", "dropped", "attributed", "warning",
                          "as_of", "time", "timings_ms"]
    assert (data["answerer"], data["llm_model"], data["dropped"], data["warning"]) == ("extractive", None, [], None)


def _dated_feed(path: Path) -> Path:
    """Ten articles: line 4's date names no day (2025-02-30), line 7's is no date at all."""
    dates = {4: "2025-02-30", 7: "the day after the storm"}
    path.write_text("".join(json.dumps({"id": f"n{i}", "title": f"Story {i}", "published_at": dates.get(i, "2024-04-12"),
                                        "text": f"The council of town {i} met on Monday. It approved budget {i}."}) + "\n"
                            for i in range(1, 11)), encoding="utf-8")
    return path


def test_bad_dates_are_warnings_and_every_run_exits_0(tmp_path: Path, monkeypatch):
    """A date that names no day, or is no date, still indexes its article: a warning, not a failure, on every run."""
    import qa.library
    from tests.conftest import FakeEmbedder

    monkeypatch.setattr(qa.library, "make_embedder", lambda *a, **k: FakeEmbedder())
    feed = _dated_feed(tmp_path / "news.jsonl")
    index = ["--index", str(tmp_path / "ix")]
    first = CliRunner().invoke(main, ["ingest", "--quiet", *index, str(feed)])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("10 added, 0 replaced, 0 unchanged, 0 failed, 2 warnings (")
    warnings = [line for line in first.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        f"warning: {feed}:4 (id n4): field 'published_at': '2025-02-30' is no such day (February 2025 has 28 days); "
        "the article is indexed without a date",
        f"warning: {feed}:7 (id n7): field 'published_at': 'the day after the storm' is not a date in a known format "
        "(ISO 8601 such as 2024-04-12T09:30:00Z, 2024/04/12, RFC 2822, epoch seconds, or 'April 12, 2024'); "
        "the article is indexed without a date"]
    assert "error:" not in first.stderr
    listed = json.loads(CliRunner().invoke(main, ["list", "--json", *index]).stdout)
    assert sorted(a["id"] for a in listed) == sorted(f"n{i}" for i in range(1, 11))
    assert {a["id"] for a in listed if not a["published_at"]} == {"n4", "n7"}

    again = CliRunner().invoke(main, ["ingest", "--quiet", *index, str(feed)])
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("0 added, 0 replaced, 10 unchanged, 0 failed, 2 warnings (")
    assert [line for line in again.stderr.splitlines() if line.startswith("warning: ")] == warnings  # the data still has them

    as_json = CliRunner().invoke(main, ["ingest", "--quiet", "--json", *index, str(feed)])
    assert as_json.exit_code == 0
    report = json.loads(as_json.stdout)
    assert report["counts"] == {"records": 10, "added": 0, "replaced": 0, "unchanged": 10, "failed": 0, "warnings": 2}
    assert report["problems"] == [] and report["warnings"] == [w.removeprefix("warning: ") for w in warnings]


def test_a_record_that_is_not_indexed_fails_the_run_and_the_counts_add_up(tmp_path: Path, monkeypatch):
    import qa.library
    from tests.conftest import FakeEmbedder

    monkeypatch.setattr(qa.library, "make_embedder", lambda *a, **k: FakeEmbedder())
    feed = _dated_feed(tmp_path / "news.jsonl")
    with feed.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"id": "untexted", "title": "A title and nothing else", "published_at": "2025-02-30"}) + "\n")
        f.write("{not json\n")
    index = ["--index", str(tmp_path / "ix")]
    result = CliRunner().invoke(main, ["ingest", "--quiet", "--json", *index, str(feed)])
    assert result.exit_code == 2, result.output
    counts = json.loads(result.stdout)["counts"]
    assert counts == {"records": 12, "added": 10, "replaced": 0, "unchanged": 0, "failed": 2, "warnings": 2}
    assert counts["added"] + counts["replaced"] + counts["unchanged"] + counts["failed"] == counts["records"]
    assert f"error: {feed}:11 (id untexted): has no 'text' or 'body' string field" in result.stderr
    assert f"error: {feed}:12: is not valid JSON" in result.stderr
    again = CliRunner().invoke(main, ["ingest", "--quiet", *index, str(feed)])
    assert again.exit_code == 2 and again.stdout.startswith("0 added, 0 replaced, 10 unchanged, 2 failed, 2 warnings")


def test_ingest_and_check_help_document_their_exit_statuses():
    ingest = CliRunner().invoke(main, ["ingest", "--help"]).output
    assert "Exit status:" in ingest and "0    every record was indexed (with or without warnings)" in ingest
    assert "2    at least one record or file was not indexed" in ingest and "130  interrupted" in ingest
    check = CliRunner().invoke(main, ["check", "--help"]).output
    assert "0  no problems (with or without notes)" in check and "1  problems remain" in check


def test_reading_commands_in_an_empty_folder_create_nothing(tmp_path: Path, monkeypatch):
    """`qa ask`, `qa list`, `qa check` and `qa remove` where there is no index: where they looked, how to make one,
    exit 1."""
    import qa.library
    from qa.errors import UnknownArticle
    from qa.shells.mcp_server import article_of
    from qa.shells.server import warm_up
    from tests.conftest import FakeEmbedder

    monkeypatch.setattr(qa.library, "make_embedder", lambda *a, **k: FakeEmbedder())
    monkeypatch.delenv("QA_INDEX_DIR", raising=False)
    monkeypatch.delenv("QA_CHROMA_URL", raising=False)
    folder = tmp_path / "empty"
    folder.mkdir()
    monkeypatch.chdir(folder)
    looked = f"No index at {folder / '.sourced-index'}: add articles with `qa ingest FILES`"
    for command in (["ask", "hello"], ["ask", "--json", "hello"], ["list"], ["list", "--json"], ["check"],
                    ["remove", "some-id"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1, (command, result.output)
        assert looked in result.output and "qa ingest seeds/" in result.output, (command, result.output)
        assert "Traceback" not in result.output
    # what `qa mcp` and `qa serve` do before a question: warm up, list, open an article
    from qa.engine import QA

    engine = QA()
    warm_up(engine)
    assert engine.articles() == [] and engine.article("x") is None and engine.check() == []
    with pytest.raises(UnknownArticle):
        article_of(engine, "x")
    assert list(folder.iterdir()) == []


@pytest.mark.real
def test_qa_ask_in_an_empty_folder_leaves_it_empty(tmp_path: Path):
    """The installed command, as a new user runs it first."""
    env = {k: v for k, v in os.environ.items() if k not in ("QA_INDEX_DIR", "QA_CHROMA_URL")}
    result = subprocess.run([sys.executable, "-m", "qa.shells.cli", "ask", "hello"], cwd=tmp_path,
                            env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert f"No index at {tmp_path / '.sourced-index'}: add articles with `qa ingest FILES`" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_list_aligns_its_columns_to_the_longest_id(tmp_path: Path, monkeypatch):
    import qa.library
    from tests.conftest import FakeEmbedder

    monkeypatch.setattr(qa.library, "make_embedder", lambda *a, **k: FakeEmbedder())
    long_text = " ".join(f"Sentence number {i} is here." for i in range(120))
    records = [{"id": "a", "title": "Short id", "text": "One sentence."},
               {"id": "a-much-longer-article-id-from-a-wire-2024", "title": "Long id", "text": long_text},
               {"id": "mid-id", "title": "Middle id", "text": "One. Two."}]
    (tmp_path / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    index = ["--index", str(tmp_path / "ix")]
    assert CliRunner().invoke(main, ["ingest", "--quiet", *index, str(tmp_path / "news.jsonl")]).exit_code == 0
    lines = CliRunner().invoke(main, ["list", *index]).stdout.splitlines()[:3]
    assert len(lines) == 3
    for column in ("sentences", "chunks", "  "):  # where the counts end, and where the titles start
        assert len({line.index(column, len("a-much-longer-article-id-from-a-wire-2024")) for line in lines}) == 1, lines
    assert [line.split()[0] for line in lines] == ["a-much-longer-article-id-from-a-wire-2024", "mid-id", "a"]


def test_check_exits_0_for_notes_and_1_for_problems(tmp_path: Path, monkeypatch):
    import numpy as np

    import qa.library
    from qa.engine import QA
    from tests.conftest import FakeEmbedder

    monkeypatch.setattr(qa.library, "make_embedder", lambda *a, **k: FakeEmbedder())
    index = ["--index", str(tmp_path / "ix")]
    assert CliRunner().invoke(main, ["ingest", "--quiet", *index, str(SEEDS)]).exit_code == 0
    store = QA(tmp_path / "ix").store
    store._upsert(store.sentences_col, ["ghost.0123.s0"], np.ones((1, 64), np.float32),
                  [{"article_id": "ghost", "version": "0123", "span": "0 0 5"}])  # an interrupted write's part
    noted = CliRunner().invoke(main, ["check", *index])
    assert noted.exit_code == 0, noted.output
    assert noted.stdout.startswith("note: 1 sentences belong to no committed article (an interrupted write; "
                                   "invisible to readers, nothing lost;")
    assert "ok: 1 articles, all whole" in noted.stdout
    assert json.loads(CliRunner().invoke(main, ["check", "--json", *index]).stdout)["ok"] is True

    (article,) = store.list_articles()
    store.sentences_col.delete(ids=[f"{article.id}.{article.content_hash}.s3"])  # what readers would see wrong
    failed = CliRunner().invoke(main, ["check", "--json", *index])
    assert failed.exit_code == 1
    assert [p["severity"] for p in json.loads(failed.stdout)["remaining"]] == ["note", "problem"]
    assert "problem: article" in CliRunner().invoke(main, ["check", *index]).stdout
    repaired = CliRunner().invoke(main, ["check", "--repair", *index])
    assert repaired.exit_code == 0 and CliRunner().invoke(main, ["check", *index]).stdout.startswith("ok: 0 articles")


def test_train_reader_goes_on_one_way_at_a_time(tmp_path: Path):
    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(b"")
    result = CliRunner().invoke(main, ["train", "reader", str(checkpoint), "--work", str(tmp_path / "work"),
                                       "--continue-from", str(checkpoint), "--again-from", str(checkpoint)])
    assert result.exit_code == 2 and "give one" in result.output
    assert not (tmp_path / "work").exists()


def test_train_reader_near_misses_train_a_finished_reader_further(tmp_path: Path):
    data = tmp_path / "train.json"
    data.write_text('{"data": []}', encoding="utf-8")
    result = CliRunner().invoke(main, ["train", "reader", str(data), "--work", str(tmp_path / "work"),
                                       "--near-misses", "100"])
    assert result.exit_code == 2 and "--again-from" in result.output
    assert not (tmp_path / "work").exists()
