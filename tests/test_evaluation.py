"""Metrics on hand examples, the SQuAD loader, and `qa eval` (jsonl and squad) through click's runner."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.evaluation import metrics as m
from qa.evaluation.evaluation import evaluate_squad, summarize_squad
from qa.evaluation.squad import load_squad, sample, split_titles
from qa.shells.cli import main
from tests.conftest import SEED_QUESTIONS, SQUAD

JSON_KEYS = {"n_questions", "article_hit@1", "article_hit@5", "article_hit@10", "mrr@10",
             "answer_in_first_citation", "answer_in_any_citation", "exact_match", "f1", "abstention_precision",
             "abstention_recall", "false_abstention_rate", "latency_ms"}


def test_squad_normalisation_follows_the_official_script():
    assert m.squad_normalize("The  Denver Broncos!") == "denver broncos"
    assert m.squad_normalize("an apple, a pear") == "apple pear"
    assert m.exact_match("the Broncos", ["Denver Broncos", "Broncos"]) == 1.0
    assert m.exact_match("Broncos win", ["Broncos"]) == 0.0


def test_f1_is_token_overlap_against_the_best_gold():
    assert m.f1_score("Denver Broncos", ["Denver Broncos"]) == 1.0
    assert m.f1_score("the Denver team", ["Denver Broncos", "x"]) == pytest.approx(0.5)
    assert m.f1_score("nothing", ["Denver"]) == 0.0


def test_contains_answer_ignores_case_and_spacing():
    assert m.contains_answer("It began in  October\n1973.", ["october 1973"])
    assert not m.contains_answer("It began in 1974.", ["October 1973"])
    assert not m.contains_answer("anything", [""])


def test_ranks_hits_and_mrr():
    assert m.first_rank(["a", "b", "b", "c"], "c") == 3
    assert m.first_rank(["a"], "z") is None
    assert m.hit_at(3, 5) == 1.0 and m.hit_at(6, 5) == 0.0 and m.hit_at(None, 10) == 0.0
    assert m.reciprocal_rank(4) == 0.25 and m.reciprocal_rank(11) == 0.0


def test_abstention_precision_recall_and_false_rate():
    got = m.abstention([True, True, False, False, True], [False, True, False, True, True])
    assert got["abstention_precision"] == pytest.approx(1 / 3)
    assert got["abstention_recall"] == pytest.approx(1 / 2)
    assert got["false_abstention_rate"] == pytest.approx(2 / 3)
    assert m.abstention([False], [True])["abstention_precision"] is None


def test_percentiles_nearest_rank():
    values = list(range(1, 101))
    assert m.percentiles(values) == {"p50": 50, "p95": 95, "p99": 99}
    assert m.percentiles([])["p50"] == 0.0


def test_summary_of_hand_rows():
    rows = [
        {"answerable": True, "article_rank": 1, "answer_in_first_citation": True, "answer_in_any_citation": True,
         "exact_match": 1.0, "f1": 1.0, "abstained": False, "latency_ms": 10.0},
        {"answerable": True, "article_rank": 4, "answer_in_first_citation": False, "answer_in_any_citation": True,
         "exact_match": None, "f1": None, "abstained": False, "latency_ms": 30.0},
        {"answerable": False, "article_rank": None, "answer_in_first_citation": False,
         "answer_in_any_citation": False, "exact_match": None, "f1": None, "abstained": True, "latency_ms": 20.0},
    ]
    got = summarize_squad(rows)
    assert got["article_hit@1"] == 0.5 and got["article_hit@5"] == 1.0
    assert got["mrr@10"] == pytest.approx((1 + 0.25) / 2)
    assert got["answer_in_first_citation"] == 0.5 and got["answer_in_any_citation"] == 1.0
    assert got["exact_match"] == 1.0 and got["short_answer_rate"] == 0.5
    assert got["abstention_precision"] == 1.0 and got["abstention_recall"] == 1.0
    assert got["false_abstention_rate"] == 0.0
    assert JSON_KEYS <= set(got)


def _mini_squad(tmp_path: Path, *, titles: int = 2, paragraphs: int = 3, impossible: bool = False) -> Path:
    data = json.loads(SQUAD.read_text(encoding="utf-8"))
    entries = []
    for entry in data["data"][:titles]:
        paras = [dict(p) for p in entry["paragraphs"][:paragraphs]]
        entries.append({"title": entry["title"], "paragraphs": paras})
    if impossible:
        entries[0]["paragraphs"][0]["qas"] = entries[0]["paragraphs"][0]["qas"] + [
            {"id": "imp-1", "question": "How many moons does Zorbulon Krastivec have?", "answers": [],
             "is_impossible": True}]
    path = tmp_path / "mini-squad.json"
    path.write_text(json.dumps({"version": "v2.0", "data": entries}), encoding="utf-8")
    return path


def test_squad_loader_one_article_per_paragraph(tmp_path):
    data = load_squad(_mini_squad(tmp_path, impossible=True))
    assert len(data.articles) == 6
    titles = [e["title"].replace("_", " ") for e in json.loads(SQUAD.read_text(encoding="utf-8"))["data"][:2]]
    assert data.articles[0].title == titles[0]
    assert all(q.article_id in {a.id for a in data.articles} for q in data.questions)
    assert [q for q in data.questions if not q.answerable][0].id == "imp-1"
    assert sample(data.questions, 5) == sample(data.questions, 5)
    train, test = split_titles(data.questions)
    assert train.isdisjoint(test) and train | test == set(titles)


def test_squad_loader_names_a_bad_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.json"):
        load_squad(bad)


@pytest.mark.real
def test_squad_runner_on_a_small_sample(tmp_path, real_embedder):
    from qa.engine import QA

    engine = QA(tmp_path / "index", embedder=real_embedder)
    result = evaluate_squad(engine, _mini_squad(tmp_path, impossible=True), limit=12)
    assert JSON_KEYS <= set(result) and result["n_questions"] == 12
    assert result["n_articles"] == 6
    assert result["article_hit@10"] >= result["article_hit@5"] >= result["article_hit@1"] > 0.3
    assert result["answer_in_any_citation"] >= result["answer_in_first_citation"] > 0.3
    for row in result["rows"]:
        for c in row["citations"]:
            article = engine.article(c["article_id"])
            assert c["sentence"] in article.text


@pytest.mark.real
def test_qa_eval_squad_json_and_report(tmp_path):
    squad = _mini_squad(tmp_path, titles=1, paragraphs=2, impossible=True)
    out = tmp_path / "report"
    got = CliRunner().invoke(main, ["eval", "--format", "squad", str(squad), "--limit", "6", "--json",
                                    "--report", str(out), "--squad-index", str(tmp_path / "sq")])
    assert got.exit_code == 0, got.output
    data = json.loads(got.stdout)
    assert JSON_KEYS <= set(data) and set(data["latency_ms"]) == {"p50", "p95", "p99"}
    assert data["n_questions"] == 6 and "rows" not in data
    assert (out / "report.md").read_text().startswith("# SQuAD open evaluation")
    assert (out / "plots.png").read_bytes()[:4] == b"\x89PNG"
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and {"question", "answer", "citations", "gold_answers", "hit"} <= set(rows[0])
    again = CliRunner().invoke(main, ["eval", "--format", "squad", str(squad), "--limit", "6",
                                      "--squad-index", str(tmp_path / "sq")])
    assert again.exit_code == 0 and "answer in first citation" in again.stdout


@pytest.mark.real
def test_qa_eval_seed_file_still_prints_the_seed_counts(seeded_index_dir):
    got = CliRunner().invoke(main, ["eval", str(SEED_QUESTIONS), "--index", str(seeded_index_dir)])
    assert got.exit_code == 0, got.output
    assert re.search(r"evidence sentence cited first\s+\d+/11", got.stdout)
    assert re.search(r"unanswerable abstained\s+2/2", got.stdout)


def test_llm_metrics_of_hand_rows():
    from qa.evaluation.generated import format_lines, summary

    def row(answerer, kept, dropped, cited, warning=None, states=False):
        return {"answerable": True, "llm_asked": True, "answerer": answerer, "sentences_kept": kept,
                "sentences_dropped": dropped, "dropped_with_citation": cited, "warning": warning,
                "states_answer": states}

    rows = [row("llm", 2, 1, 1, states=True), row("extractive", 0, 3, 0, warning="none of ..."),
            row("llm", 1, 0, 0, states=True), {"answerable": False, "llm_asked": False, "states_answer": False}]
    found = summary(rows)
    assert found == {"states_answer": 0.6667, "llm_asked": 3, "llm_answered": 2, "fell_back": 1,
                     "answer_sentences": 7, "citation_precision": 0.75, "dropped_share": 0.5714,
                     "attributed_by_checker": 0}
    assert "citation precision (checker)                0.750" in format_lines(found)
    assert summary([{"answerable": True, "states_answer": False}]) == {"states_answer": 0.0}


def test_by_kind_counts_right_articles_over_answerable_questions_and_abstentions_over_all():
    from qa.evaluation.evaluation import _by_kind

    rows = [{"kind": "latest", "answerable": True, "right_article_first": True, "abstained": False},
            {"kind": "latest", "answerable": False, "right_article_first": False, "abstained": True},
            {"kind": "absent", "answerable": False, "right_article_first": False, "abstained": True},
            {"kind": "absent", "answerable": False, "right_article_first": False, "abstained": False}]
    kinds = _by_kind(rows)
    assert kinds["right_article_first"] == {"latest": {"n": 1, "right": 1, "share": 1.0}}
    assert kinds["abstained_by_kind"] == {"absent": {"n": 2, "abstained": 1}, "latest": {"n": 2, "abstained": 1}}
    assert _by_kind([{"kind": "", "answerable": True, "right_article_first": False, "abstained": False}]) == {}


def test_a_changed_value_counts_when_the_newest_is_stated_and_the_one_before_named():
    from types import SimpleNamespace

    from qa.evaluation.evaluation import _changed

    item = {"changed_from": ["6 points"]}

    def asked(short: str | None, answer: str) -> dict:
        return _changed(item, SimpleNamespace(short_answer=short, answer=answer), ["9 points"])

    assert asked("9", "9 [1] (April 13, 2024; 6 on March 30, 2024 [2])\n\n“...”") == {
        "changed": True, "newest_stated": True, "older_named": True}
    assert asked("9", "9 [1]")["older_named"] is False
    assert asked("6", "6 [1] (March 30, 2024; 9 on April 13 [2])") == {
        "changed": True, "newest_stated": False, "older_named": False}  # the old value as the answer: wrong
    assert asked("19", "19 [1]")["newest_stated"] is False  # "9" inside "19" is not the value
    assert _changed({}, SimpleNamespace(short_answer="9", answer="9"), ["9"]) == {}


SMALL_SQUAD = {"version": "1.1", "data": [{"title": "Harbor", "paragraphs": [
    {"context": "The Harbor Bridge opened in 1932. It carries eight lanes of traffic. The engineer was Ada Kell.",
     "qas": [{"id": "h1", "question": "When did the Harbor Bridge open?", "answers": [{"text": "1932", "answer_start": 29}]},
             {"id": "h2", "question": "How many lanes of traffic does the Harbor Bridge carry?",
              "answers": [{"text": "eight", "answer_start": 45}]},
             {"id": "h3", "question": "Who was the engineer of the Harbor Bridge?",
              "answers": [{"text": "Ada Kell", "answer_start": 87}]}]}]}]}


@pytest.mark.real
def test_the_reader_alone_reads_the_gold_paragraph_and_scores_em_and_f1(tmp_path: Path) -> None:
    """`qa eval --reader-alone`: each question read against its own paragraph, as SQuAD scores readers."""
    from qa.answers.reading import WEIGHTS, load_reader
    from qa.evaluation.reader_alone import evaluate_reader_alone, short_answer

    reader = load_reader()
    assert reader is not None
    paragraph = SMALL_SQUAD["data"][0]["paragraphs"][0]["context"]
    assert short_answer(reader, "When did the Harbor Bridge open?", paragraph) == "1932"
    assert short_answer(reader, "Who was the engineer of the Harbor Bridge?", paragraph) == "Ada Kell"
    assert short_answer(reader, "Harbor Bridge?", "") is None
    path = tmp_path / "small.json"
    path.write_text(json.dumps(SMALL_SQUAD), encoding="utf-8")
    found = evaluate_reader_alone(reader, path)
    assert found["questions"] == 3 and found["em"] >= 2 / 3 - 1e-4 and found["f1"] >= found["em"]
    out = CliRunner().invoke(main, ["eval", "--format", "squad", "--reader-alone", "--json", str(path)])
    assert out.exit_code == 0 and json.loads(out.output)["em"] == found["em"]
    other = tmp_path / "one-piece-reader"  # the same weights, answers of one word piece at most
    shutil.copytree(WEIGHTS, other)
    config = json.loads((other / "reader.json").read_text(encoding="utf-8"))
    (other / "reader.json").write_text(json.dumps({**config, "max_answer_tokens": 1}), encoding="utf-8")
    out = CliRunner().invoke(main, ["eval", "--format", "squad", "--reader-alone", "--json", "--reader-weights",
                                    str(other), str(path)])
    assert out.exit_code == 0 and json.loads(out.output)["em"] < found["em"]
