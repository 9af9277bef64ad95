"""Relative dates in article sentences, resolved against the publication date, and shown beside a citation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from qa.dates import Mention, annotate, resolve_mentions

PUBLISHED = datetime(2024, 4, 11, 9, 0, tzinfo=UTC)  # a Thursday


@pytest.mark.parametrize("sentence, text, date_text", [
    ("About 100 US troops arrived in Niamey on Wednesday.", "Wednesday", "April 10, 2024"),
    ("He said on Thursday that talks had failed.", "Thursday", "April 11, 2024"),
    ("He was released on Friday.", "Friday", "April 5, 2024"),
    ("The minister spoke yesterday.", "yesterday", "April 10, 2024"),
    ("Shares rose today.", "today", "April 11, 2024"),
    ("Today, the company said profits rose.", "Today", "April 11, 2024"),
    ("The match is tonight.", "tonight", "April 11, 2024"),
    ("Protests resumed this morning.", "this morning", "April 11, 2024"),
    ("Shots were heard last night.", "last night", "April 10, 2024"),
    ("The court rules tomorrow.", "tomorrow", "April 12, 2024"),
    ("Officials met last week.", "last week", "the week of April 1, 2024"),
    ("Markets fell this week.", "this week", "the week of April 8, 2024"),
    ("They meet again next week.", "next week", "the week of April 15, 2024"),
    ("Prices rose last month.", "last month", "March 2024"),
    ("Sales slowed this month.", "this month", "April 2024"),
    ("The plant opens next month.", "next month", "May 2024"),
    ("The deficit grew last year.", "last year", "2023"),
    ("Elections are due next year.", "next year", "2025"),
    ("Earlier this year the law changed.", "Earlier this year", "2024"),
    ("The election was last Tuesday.", "last Tuesday", "April 2, 2024"),
    ("The election is next Tuesday.", "next Tuesday", "April 16, 2024"),
    ("The summit opens this coming Monday.", "this coming Monday", "April 15, 2024"),
    ("The strike began this past Thursday.", "this past Thursday", "April 4, 2024"),
    ("Police said on Tuesday night that two men were held.", "Tuesday night", "April 9, 2024"),
    ("Wednesday's vote was close.", "Wednesday's", "April 10, 2024"),
    ("Three days ago the rebels took the town.", "Three days ago", "April 8, 2024"),
    ("Two weeks ago the dam broke.", "Two weeks ago", "the week of March 25, 2024"),
    ("The vote is scheduled for Saturday.", "Saturday", "April 13, 2024"),
    ("He said he would resign on Monday.", "Monday", "April 15, 2024"),
    ("Due to fog, flights were cancelled on Wednesday.", "Wednesday", "April 10, 2024"),
])
def test_one_relative_date_is_resolved_against_the_publication_date(sentence: str, text: str, date_text: str) -> None:
    [mention] = resolve_mentions(sentence, PUBLISHED)
    assert (mention.text, mention.date_text) == (text, date_text)
    assert sentence[mention.start:mention.end] == text


def test_past_and_future_in_one_sentence() -> None:
    sentence = "The talks, which began on Monday, will end on Friday."
    assert [(m.text, m.date_text) for m in resolve_mentions(sentence, PUBLISHED)] == [
        ("Monday", "April 8, 2024"), ("Friday", "April 12, 2024")]


@pytest.mark.parametrize("sentence", [
    "The Sunday Times reported the story.", "The Good Friday Agreement was signed in 1998.",
    "Black Friday sales were strong.", "He won on Super Tuesday.", "Monday Night Football drew a record.",
    "He writes for USA Today.", "She hosted The Tonight Show.", "He visits every Sunday.",
    "Shops close on Sundays.", "He spoke on Wednesday, April 10, about the plan.",
    "She arrived on Wednesday (April 10) in Niamey.", "The war ended in 1945.", "A 5-day strike began.",
    "The march on Washington drew thousands.", "May I add one thing?", "A few days ago nothing was clear.",
])
def test_names_habits_already_dated_days_and_lookalikes_are_not_mentions(sentence: str) -> None:
    assert resolve_mentions(sentence, PUBLISHED) == []


def test_annotate_puts_the_date_after_each_mention() -> None:
    assert annotate("About 100 US troops arrived in Niamey on Wednesday.", PUBLISHED) == (
        "About 100 US troops arrived in Niamey on Wednesday (April 10, 2024).")
    assert annotate("Officials met last week and will meet again next week.", PUBLISHED) == (
        "Officials met last week (the week of April 1, 2024) and will meet again next week "
        "(the week of April 15, 2024).")
    assert annotate("Nothing relative here.", PUBLISHED) == "Nothing relative here."


def test_the_publication_day_is_its_utc_day() -> None:
    late_in_new_york = datetime(2024, 4, 10, 22, 0, tzinfo=timezone(timedelta(hours=-4)))  # 02:00 UTC on Thursday
    assert resolve_mentions("He spoke yesterday.", late_in_new_york)[0].date_text == "April 10, 2024"
    assert resolve_mentions("He spoke yesterday.", datetime(2024, 4, 11, 23, 0))[0].date_text == "April 10, 2024"


def test_a_mention_crossing_a_year_and_to_dict() -> None:
    new_year = datetime(2024, 1, 2, tzinfo=UTC)
    assert resolve_mentions("Prices rose last month.", new_year)[0].date_text == "December 2023"
    assert resolve_mentions("They met last week.", new_year)[0].date_text == "the week of December 25, 2023"
    assert Mention(0, 9, "yesterday", "January 1, 2024").to_dict() == {
        "start": 0, "end": 9, "text": "yesterday", "date_text": "January 1, 2024"}
