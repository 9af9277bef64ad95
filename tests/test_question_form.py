"""What kind of answer a question wants, and which of its words name its topic."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.rules.question_form import (
    amount_wanted,
    asks_what_was_done,
    holds_amount,
    named_subject,
    question_form,
    topic_words,
)


@pytest.mark.parametrize("question", [
    "What happened in the Port of Calder labor dispute last week?", "What has happened since the vote?",
    "What is the latest news from Halvorsen Robotics?", "What's the latest on Storm Ada?",
    "What is the status of the Port of Calder strike?", "What's going on with the council?",
    "How did the Millbrook Mariners do in their most recent game?", "How is the recovery going?",
    "Tell me about the strike", "Can you tell me about Storm Ada?", "Any news on the bridge?",
    "What is new with the council?", "So, what happened in Niger?"])
def test_digests(question: str) -> None:
    assert question_form(question) == "digest"


@pytest.mark.parametrize("question", [
    "Are dockworkers at the Port of Calder still on strike?", "Is there a ceasefire?", "Did Russia send tanks?",
    "Has the hospital reopened?", "Won't the mayor resign?"])
def test_yes_no(question: str) -> None:
    assert question_form(question) == "yes/no"


@pytest.mark.parametrize("question", [
    "How many US troops are in Agadez?", "Who is the president of France?", "What new technology allowed ABC?",
    "What news network did ABC launch in July 2004?", "Was the test a failure or a success?",
    "May I ask how many jobs Oakmont Steel is cutting?", "Can you tell me who leads Niger?",
    "Do you know when the stadium opens?", "How does the system work?", "What did the minister announce?", ""])
def test_spans(question: str) -> None:
    assert question_form(question) == "span"


def test_topic_words_leave_out_function_and_form_words() -> None:
    assert topic_words("What is the latest on the Port of Calder strike?") == ["port", "calder", "strike"]
    assert topic_words("Are dockworkers still on strike today?") == ["dockworkers", "strike"]
    assert topic_words("What happened?") == []


@pytest.mark.parametrize("question, subject", [
    ("What did Halvorsen Robotics announce this week?", ["halvorsen", "robotics"]),
    ("What has the Millbrook City Council voted on recently?", ["millbrook", "city", "council"]),
    ("What did the council decide?", ["council"]),
    ("What did Microsoft announce that it would rename SkyDrive to?", None),  # a span it names
    ("What did people vote the Doctor Who series as in a 2011 online vote?", None),
    ("Who announced the deal?", None)])
def test_a_question_asking_what_its_subject_did_has_the_subject_for_its_topic(question, subject) -> None:
    assert asks_what_was_done(question) is (subject is not None)
    assert question_form(question) == "span"  # a span answers it too: "a $382 million budget"
    if subject is not None:
        assert topic_words(question) == subject


@pytest.mark.parametrize("question, subject", [
    ("When was the Port of Calder ferry service announced?", ["port", "calder", "ferry", "service"]),
    ("How was the Port of Calder strike resolved?", ["port", "calder", "strike"]),
    ("When was the Notre Dame football stadium built?", ["notre", "dame", "football", "stadium"]),
    ("When were the Denver Broncos founded?", []),  # a name alone: the ranker and reader look for it
    ("When was the University of Notre Dame founded?", []),
    ("Where was the Super Bowl 50 game played?", []),  # a number in it: no plain thing of a name
    ("When did Storm Keira make landfall?", []),  # not passive: "make" is no noun of Keira
    ("How many people has Storm Keira killed?", []),
    ("When was the museum opened?", []),  # no name
])
def test_a_passive_question_names_the_thing_it_asks_about(question: str, subject: list[str]) -> None:
    assert named_subject(question) == subject


def test_not_held_names_the_words_the_given_articles_lack(fake_qa, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Dockworkers at the Port of Calder went on strike on Monday.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("The city council approved a new school budget.\n", encoding="utf-8")
    fake_qa.ingest([tmp_path / "a.txt", tmp_path / "b.txt"])
    ids = {a.source: a.id for a in fake_qa.articles()}
    retriever = fake_qa.retriever()
    assert retriever.not_held(["port", "strikes", "dockworker"], [ids["a.txt"]]) == []  # plural, singular: held
    assert retriever.not_held(["port", "budget", "elections"], [ids["a.txt"]]) == ["budget", "elections"]
    assert retriever.not_held(["budget"], [ids["a.txt"], ids["b.txt"]]) == []


def test_a_count_or_a_price_asked_and_the_amounts_that_answer_it() -> None:
    assert amount_wanted("How much did the air defence systems cost?") == "price"
    assert amount_wanted("How much was paid for the club?") == "price"
    assert amount_wanted("How many troops are in Agadez?") == "count"
    assert amount_wanted("How much rain fell?") == "count"
    assert amount_wanted("Who leads Niger?") is None
    assert holds_amount("The deal was worth $4.2 million.", "price")
    assert holds_amount("It cost 300 million euros.", "price")
    assert not holds_amount("Along with 100 instructors, it arrived on Wednesday.", "price")  # a number, no money
    assert holds_amount("Along with 100 instructors, it arrived on Wednesday.", "count")
    assert holds_amount("There are several ways to ease the stress.", "count")
    assert not holds_amount("Russia sent the latest air defence systems.", "count")
