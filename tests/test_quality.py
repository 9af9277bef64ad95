"""Retrieval quality on held-out SQuAD titles (the ranker never saw them), with the real model: a floor, not the goal.

The full figures come from `qa eval --format squad` over the whole dev set (see the README); this keeps a
small open sample in CI so a change that breaks ranking fails loudly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evaluation.evaluation import evaluate_squad
from qa.evaluation.squad import load_squad, split_titles
from qa.evidence.ranker import Ranker
from tests.conftest import SQUAD


def _held_out_squad(tmp_path: Path, n_titles: int = 3) -> Path:
    data = json.loads(SQUAD.read_text(encoding="utf-8"))
    _, test_titles = split_titles(load_squad(SQUAD).questions)
    entries = [e for e in data["data"] if e["title"].replace("_", " ") in test_titles][:n_titles]
    path = tmp_path / "held-out.json"
    path.write_text(json.dumps({"version": "1.1", "data": entries}), encoding="utf-8")
    return path


@pytest.mark.real
def test_shipped_weights_were_learned_on_the_other_half():
    ranker = Ranker.load()
    train_titles = set(ranker.info.get("train_titles", []))
    assert train_titles, "qa/ranker_weights.json should record the titles it was trained on"
    _, test_titles = split_titles(load_squad(SQUAD).questions)
    assert train_titles.isdisjoint(test_titles)


@pytest.mark.real
def test_held_out_titles_first_citation_holds_the_answer(tmp_path, real_embedder):
    from qa.engine import QA

    engine = QA(tmp_path / "index", embedder=real_embedder)
    result = evaluate_squad(engine, _held_out_squad(tmp_path), limit=60)
    print({k: result[k] for k in ("answer_in_first_citation", "answer_in_any_citation", "article_hit@5",
                                  "false_abstention_rate")})
    assert result["answer_in_first_citation"] >= 0.65
    assert result["answer_in_any_citation"] >= 0.85
    assert result["false_abstention_rate"] <= 0.1


@pytest.mark.parametrize("question,missing", [
    ("What studio did ABC buy in Hollwood?", []),  # one edit from 'Hollywood'
    ("When did the Shelleys visit Geneva?", []),  # same stem as 'Shelley'
    ("How many Chinese troops are in Niger?", ["chinese"]),
    ("What is the capital of Australia?", ["australia"]),
])
def test_missing_key_terms_forgive_spelling_but_not_absent_names(fake_qa, question, missing):
    text = "ABC bought land in Hollywood in 1949. Mary Shelley wrote in Geneva. Troops arrived in Niger."
    fake_qa.ingest_bytes([("a.txt", text.encode())])
    assert fake_qa.retriever().missing_key_terms(question) == missing


@pytest.mark.parametrize("question,missing", [
    ("Who was on Celeron's expedition?", []),  # the articles spell it 'Céloron'
    ("In Sept 1760 who negotiated in Montreal?", []),  # a month, not a name
    ("Where are the DVDs sold?", []),  # plural of 'DVD'
    ("Who was on Baptiste's expedition?", ["baptiste"]),
])
def test_missing_key_terms_fold_accents_plurals_and_skip_months(fake_qa, question, missing):
    text = "Céloron led an expedition to Montreal in 1760. The DVD was sold in shops."
    fake_qa.ingest_bytes([("a.txt", text.encode())])
    assert fake_qa.retriever().missing_key_terms(question) == missing
