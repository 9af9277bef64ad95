"""The `qa` command through click's runner, and as a real subprocess."""

from __future__ import annotations

import json
import os
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
    import qa.engine
    from tests.conftest import FakeEmbedder

    monkeypatch.setattr(qa.engine, "make_embedder", lambda *a, **k: FakeEmbedder())
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
    import qa.engine
    from tests.conftest import FakeEmbedder

    monkeypatch.setattr(qa.engine, "make_embedder", lambda *a, **k: FakeEmbedder())
    article = {"id": "quillon-rail", "title": "Quillon opens its rail line", "source": "Zorbia Times",
               "published_at": "2024-05-02", "text": "The Quillon rail line carried 52,000 passengers in its first "
               "week. The Quillon rail line cost 3 billion. Quillon rail passengers praised the line."}
    (tmp_path / "news.jsonl").write_text(json.dumps(article) + "\n", encoding="utf-8")
    index = ["--index", str(tmp_path / "ix")]
    assert CliRunner().invoke(main, ["ingest", "--quiet", *index, str(tmp_path / "news.jsonl")]).exit_code == 0
    question = "How many passengers did the Quillon rail line carry?"
    result = CliRunner().invoke(main, ["ask", *index, question])
    data = json.loads(CliRunner().invoke(main, ["ask", "--json", *index, question]).output)
    assert result.exit_code == 0 and len(data["citations"]) == 3
    for c in data["citations"]:
        assert (f"[{c['n']}] Quillon opens its rail line (Zorbia Times, 2024-05-02, chars {c['start']}-{c['end']})\n"
                f"    {c['sentence']}\n") in result.output
    assert list(data) == ["question", "answer", "abstained", "short_answer", "short_answer_span", "answerability",
                          "citations", "retrieval_query", "answerer", "llm_model", "dropped", "attributed", "warning",
                          "as_of", "time", "timings_ms"]
    assert (data["answerer"], data["llm_model"], data["dropped"], data["warning"]) == ("extractive", None, [], None)
