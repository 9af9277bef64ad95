"""The real packaged model over real Chroma on disk answers the seed questions with exact citations."""

from __future__ import annotations

import json

import pytest

from qa.evaluation.evaluation import evaluate_jsonl
from tests.conftest import SEED_QUESTIONS, SEEDS

pytestmark = pytest.mark.real

AGADEZ = "Currently, there are approximately 1,100 American soldiers stationed in Agadez."


def test_agadez_question_cites_the_exact_sentence(seeded_qa_shared):
    answer = seeded_qa_shared.ask("How many US troops are in Agadez?")
    assert not answer.abstained
    assert "1,100" in answer.answer
    assert answer.short_answer == "approximately 1,100"
    assert answer.answer.startswith("approximately 1,100 [1]")
    first = answer.citations[0]
    assert first.sentence == AGADEZ and first.n == 1
    text = next(SEEDS.glob("*.txt")).read_text(encoding="utf-8")
    assert text[first.start : first.end] == AGADEZ


def test_every_citation_points_into_its_stored_article(seeded_qa_shared):
    for question in ("Who did Vladimir Putin speak with on March 26?", "When did France withdraw its troops?"):
        answer = seeded_qa_shared.ask(question, k=5)
        assert 1 <= len(answer.citations) <= 5  # k is a maximum: only sentences bearing on the question
        assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
        for c in answer.citations:
            article = seeded_qa_shared.article(c.article_id)
            assert article.text[c.start : c.end] == c.sentence
            assert c.key == f"{c.article_id}:{c.key.split(':')[1]}"


def test_seed_evaluation_all_evidence_first_and_abstentions(seeded_qa_shared):
    result = evaluate_jsonl(seeded_qa_shared, SEED_QUESTIONS)
    misses = [r["question"] for r in result["rows"] if r["answerable"] and not r["evidence_first"]]
    print(f"seed eval: {result['evidence_first']}/{result['answerable']} evidence first, "
          f"{result['abstained_unanswerable']}/{result['unanswerable']} abstained; misses: {misses}")
    assert result["answerable"] == 11 and result["unanswerable"] == 2
    assert result["abstained_unanswerable"] == 2
    assert result["false_abstentions"] <= 1  # 0 with reader v5; "Which agreement did Niger's junta terminate?" sits near
    # the threshold (reader v4 abstained on it)
    assert result["evidence_first"] >= 10  # the goal is 11; see the README for the measured figure


def test_unanswerable_questions_abstain_plainly(seeded_qa_shared):
    for question in ("How many Chinese troops are stationed in Niger?", "What is the capital of Australia?"):
        answer = seeded_qa_shared.ask(question)
        assert answer.abstained and answer.citations == []
        assert answer.answer == "The articles don't say."


def test_answer_serialises_to_the_documented_json(seeded_qa_shared):
    data = json.loads(seeded_qa_shared.ask("When did France withdraw its troops from Niger?").to_json())
    assert {"question", "answer", "abstained", "citations"} <= set(data)
    assert set(data["citations"][0]) >= {"n", "key", "article_id", "title", "source", "sentence", "start", "end", "score"}
    assert "end of 2023" in data["answer"]


def test_follow_up_with_a_pronoun_uses_the_previous_question(seeded_qa_shared):
    history = [{"role": "user", "content": "How many Russian military instructors arrived in Niamey?"},
               {"role": "assistant", "content": "100 [1]"}]
    answer = seeded_qa_shared.ask("When did they arrive?", history=history)
    assert "Russian" in answer.retrieval_query and "instructors" in answer.retrieval_query
    assert not answer.abstained
    assert "Wednesday" in answer.citations[0].sentence or "arrived" in answer.citations[0].sentence
    standalone = seeded_qa_shared.ask("When did France withdraw its troops?", history=history)
    assert standalone.retrieval_query == "When did France withdraw its troops?"


def test_filters_restrict_to_chosen_articles(seeded_qa, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("About 5,000 troops are stationed in Agadez according to a second report.", encoding="utf-8")
    seeded_qa.ingest([other])
    seed_id = next(a.id for a in seeded_qa.articles() if a.source.startswith("000_"))
    answer = seeded_qa.ask("How many troops are in Agadez?", filters={"article_ids": [seed_id]})
    assert all(c.article_id == seed_id for c in answer.citations)
    only_other = seeded_qa.ask("How many troops are in Agadez?", filters={"sources": ["other.txt"]})
    assert only_other.citations and all(c.source == "other.txt" for c in only_other.citations)


def test_filtered_question_naming_only_an_excluded_article_abstains(seeded_qa, tmp_path):
    other = tmp_path / "quake.txt"
    other.write_text("A magnitude 6 earthquake struck Valparaiso on Monday.", encoding="utf-8")
    seeded_qa.ingest([other])
    seed_id = next(a.id for a in seeded_qa.articles() if a.source.startswith("000_"))
    unfiltered = seeded_qa.ask("When did the earthquake strike Valparaiso?")
    assert not unfiltered.abstained and "Valparaiso" in unfiltered.citations[0].sentence
    filtered = seeded_qa.ask("When did the earthquake strike Valparaiso?", filters={"article_ids": [seed_id]})
    assert filtered.abstained and filtered.citations == []


def test_a_question_that_is_not_valid_text_is_refused(seeded_qa_shared):
    from qa.errors import QAError

    with pytest.raises(QAError, match="not valid text"):
        seeded_qa_shared.ask("How many troops \ud800?")
