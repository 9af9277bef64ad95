"""Time in questions: windows with exact UTC day boundaries, recency wishes, and dates that are topics or lookalikes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from qa.dates import TimeIntent, read_time

AS_OF = datetime(2024, 6, 12, 10, 30, tzinfo=UTC)  # a Wednesday


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


@pytest.mark.parametrize("question, phrase, after, before, label", [
    ("What happened this week?", "this week", day(2024, 6, 5), day(2024, 6, 13), "5-12 June 2024"),
    ("What did the Fed do last week?", "last week", day(2024, 5, 29), day(2024, 6, 10), "29 May - 9 June 2024"),
    ("What happened in the past week?", "in the past week", day(2024, 6, 5), day(2024, 6, 13), "5-12 June 2024"),
    ("What happened this month in Gaza?", "this month", day(2024, 5, 12), day(2024, 6, 13), "12 May - 12 June 2024"),
    ("What happened last month?", "last month", day(2024, 5, 1), day(2024, 6, 1), "May 2024"),
    ("What happened this year?", "this year", day(2024, 1, 1), day(2025, 1, 1), "2024"),
    ("Who won last year?", "last year", day(2023, 1, 1), day(2024, 1, 1), "2023"),
    ("What happened in 2023?", "in 2023", day(2023, 1, 1), day(2024, 1, 1), "2023"),
    ("What happened in March?", "in March", day(2024, 3, 1), day(2024, 4, 1), "March 2024"),
    ("What happened in December?", "in December", day(2023, 12, 1), day(2024, 1, 1), "December 2023"),
    ("What happened in June?", "in June", day(2024, 6, 1), day(2024, 7, 1), "June 2024"),
    ("What happened in March 2024?", "in March 2024", day(2024, 3, 1), day(2024, 4, 1), "March 2024"),
    ("What happened in Jan 2022?", "in Jan 2022", day(2022, 1, 1), day(2022, 2, 1), "January 2022"),
    ("What happened on June 3?", "on June 3", day(2024, 6, 3), day(2024, 6, 4), "3 June 2024"),
    ("What happened on December 25?", "on December 25", day(2023, 12, 25), day(2023, 12, 26), "25 December 2023"),
    ("What happened on March 12, 2024?", "on March 12, 2024", day(2024, 3, 12), day(2024, 3, 13), "12 March 2024"),
    ("How did markets react on 4 June?", "on 4 June", day(2024, 6, 4), day(2024, 6, 5), "4 June 2024"),
    ("What happened on the 5th of June?", "on the 5th of June", day(2024, 6, 5), day(2024, 6, 6), "5 June 2024"),
    ("What did the Fed decide on 2024-05-01?", "on 2024-05-01", day(2024, 5, 1), day(2024, 5, 2), "1 May 2024"),
    ("What happened on Monday?", "on Monday", day(2024, 6, 10), day(2024, 6, 11), "10 June 2024"),
    ("What happened on Wednesday?", "on Wednesday", day(2024, 6, 12), day(2024, 6, 13), "12 June 2024"),
    ("What happened on Thursday?", "on Thursday", day(2024, 6, 6), day(2024, 6, 7), "6 June 2024"),
    ("What did Biden say Monday?", "Monday", day(2024, 6, 10), day(2024, 6, 11), "10 June 2024"),
    ("What happened on Sunday night?", "on Sunday night", day(2024, 6, 9), day(2024, 6, 10), "9 June 2024"),
    ("What did Biden say last Friday?", "last Friday", day(2024, 6, 7), day(2024, 6, 8), "7 June 2024"),
    ("What did Biden say last Monday?", "last Monday", day(2024, 6, 3), day(2024, 6, 4), "3 June 2024"),
    ("What happened yesterday?", "yesterday", day(2024, 6, 11), day(2024, 6, 12), "11 June 2024"),
    ("What did the police say last night?", "last night", day(2024, 6, 11), day(2024, 6, 12), "11 June 2024"),
    ("What happened today?", "today", day(2024, 6, 12), day(2024, 6, 13), "12 June 2024"),
    ("What did he say this morning?", "this morning", day(2024, 6, 12), day(2024, 6, 13), "12 June 2024"),
    ("What happened the day before yesterday?", "the day before yesterday", day(2024, 6, 10), day(2024, 6, 11),
     "10 June 2024"),
    ("What has happened since May?", "since May", day(2024, 5, 1), None, "since 1 May 2024"),
    ("What has changed since 2022?", "since 2022", day(2022, 1, 1), None, "since 1 January 2022"),
    ("What has Macron said since last Monday?", "since last Monday", day(2024, 6, 3), None, "since 3 June 2024"),
    ("What happened in the past 3 days?", "in the past 3 days", day(2024, 6, 9), day(2024, 6, 13), "9-12 June 2024"),
    ("What happened in the past two weeks?", "in the past two weeks", day(2024, 5, 29), day(2024, 6, 13),
     "29 May - 12 June 2024"),
    ("What happened over the past six months?", "over the past six months", day(2023, 12, 12), day(2024, 6, 13),
     "12 December 2023 - 12 June 2024"),
    ("Any news in the last 48 hours?", "in the last 48 hours", day(2024, 6, 10), day(2024, 6, 13), "10-12 June 2024"),
    ("What happened 5 days ago?", "5 days ago", day(2024, 6, 7), day(2024, 6, 8), "7 June 2024"),
    ("What were the headlines two weeks ago?", "two weeks ago", day(2024, 5, 27), day(2024, 6, 3), "27 May - 2 June 2024"),
    ("What happened three months ago?", "three months ago", day(2024, 3, 1), day(2024, 4, 1), "March 2024"),
    ("What happened over the weekend?", "over the weekend", day(2024, 6, 8), day(2024, 6, 10), "8-9 June 2024"),
    ("Were there protests this weekend?", "this weekend", day(2024, 6, 8), day(2024, 6, 10), "8-9 June 2024"),
    ("What happened between May 1 and May 5?", "between May 1 and May 5", day(2024, 5, 1), day(2024, 5, 6),
     "1-5 May 2024"),
    ("What happened between May 1 and 5?", "between May 1 and 5", day(2024, 5, 1), day(2024, 5, 6), "1-5 May 2024"),
    ("What happened between May 1 and May 5, 2023?", "between May 1 and May 5, 2023", day(2023, 5, 1),
     day(2023, 5, 6), "1-5 May 2023"),
    ("What happened from April to May?", "from April to May", day(2024, 4, 1), day(2024, 6, 1), "April-May 2024"),
    ("What happened between 2020 and 2022?", "between 2020 and 2022", day(2020, 1, 1), day(2023, 1, 1), "2020-2022"),
    ("What happened earlier this month?", "earlier this month", day(2024, 5, 12), day(2024, 6, 13),
     "12 May - 12 June 2024"),
    ("What happened earlier this week?", "earlier this week", day(2024, 6, 5), day(2024, 6, 13), "5-12 June 2024"),
    ("What happened this past week?", "this past week", day(2024, 6, 5), day(2024, 6, 13), "5-12 June 2024"),
    ("What happened the previous week?", "the previous week", day(2024, 5, 29), day(2024, 6, 10),
     "29 May - 9 June 2024"),
    ("What has Macron said since last week?", "since last week", day(2024, 5, 29), None, "since 29 May 2024"),
    ("What happened so far this year?", "so far this year", day(2024, 1, 1), day(2024, 6, 13),
     "1 January - 12 June 2024"),
    ("What happened in early March?", "in early March", day(2024, 3, 1), day(2024, 3, 11), "1-10 March 2024"),
    ("What happened in late February?", "in late February", day(2024, 2, 21), day(2024, 3, 1), "21-29 February 2024"),
    ("What happened in late 2023?", "in late 2023", day(2023, 9, 1), day(2024, 1, 1), "September-December 2023"),
    ("What happened in Q1 2024?", "in Q1 2024", day(2024, 1, 1), day(2024, 4, 1), "January-March 2024"),
    ("What were earnings in Q3?", "in Q3", day(2023, 7, 1), day(2023, 10, 1), "July-September 2023"),
    ("What were earnings in the third quarter of 2023?", "in the third quarter of 2023", day(2023, 7, 1),
     day(2023, 10, 1), "July-September 2023"),
    ("What did the storm do in May of 2012?", "in May of 2012", day(2012, 5, 1), day(2012, 6, 1), "May 2012"),
    ("How many channels were there before October 2005?", "before October 2005", None, day(2005, 10, 1),
     "before 1 October 2005"),
    ("What was built until 2020?", "until 2020", None, day(2021, 1, 1), "before 1 January 2021"),
    ("What happened after May 1?", "after May 1", day(2024, 5, 2), None, "since 2 May 2024"),
    ("What happened in the summer of 2023?", "in the summer of 2023", day(2023, 6, 1), day(2023, 9, 1),
     "June-August 2023"),
    ("What happened last winter?", "last winter", day(2023, 12, 1), day(2024, 3, 1), "December 2023 - February 2024"),
    ("What happened in 1066?", "in 1066", day(1066, 1, 1), day(1067, 1, 1), "1066"),
])
def test_a_period_in_the_question_is_a_window_of_whole_utc_days(question: str, phrase: str, after: datetime | None,
                                                                before: datetime | None, label: str) -> None:
    intent = read_time(question, AS_OF)
    assert (intent.kind, intent.phrase, intent.after, intent.before, intent.label) == (
        "window", phrase, after, before, label)
    assert question[intent.start:intent.end] == phrase
    for edge in (intent.after, intent.before):
        assert edge is None or (edge.tzinfo is not None and edge.utcoffset() == timedelta(0))


@pytest.mark.parametrize("question, phrase", [
    ("What is the latest on Gaza?", "latest"), ("Who is the current president of Niger?", "current"),
    ("What is happening in Sudan now?", "now"), ("What has happened recently in Haiti?", "recently"),
    ("Is Assange still in prison?", "still"), ("How many people have died so far?", "so far"),
    ("What is the newest iPhone?", "newest"), ("What is the situation as of now?", "as of now"),
    ("What is the most recent poll?", "most recent"), ("Who currently leads the party?", "currently"),
    ("Is the list up to date?", "up to date"), ("What is the forecast for next week?", "next week"),
    ("What will happen on Friday?", "on Friday"), ("What is happening this weekend?", "this weekend"),
    ("What will happen later this month?", "later this month"),
    ("What is the church known as today?", "today"), ("How many people live in France today?", "today"),
])
def test_recency_without_a_period_boosts_newer_articles(question: str, phrase: str) -> None:
    intent = read_time(question, AS_OF)
    assert (intent.kind, intent.phrase, intent.after, intent.before) == ("recent", phrase, None, None)
    assert question[intent.start:intent.end] == phrase


@pytest.mark.parametrize("question", [
    # a date that is the topic
    "Who won the 2020 election?", "What caused the 1973 oil crisis?", "Who was behind 9/11?",
    "When did World War II end?", "How did the 2008 financial crisis start?", "What music was popular in the 1990s?",
    "What did the 2015 Paris Agreement require?", "Who fought in the Six-Day War?", "Why did the 2011 Arab Spring start?",
    "What happened after the fall of Kabul?", "What did the Ides of March mean for Caesar?",
    "Who recovered the ball in the fourth quarter?", "Why do leaves change colour in the fall?",
    "What is the temperature in summer?", "What event takes place annually in Newcastle in June?",
    # a question about time is not a window
    "What year did the Berlin Wall fall?", "When did the strike happen?", "How many days did the siege last?",
    "What happened in the last year of the war?",
    # numbers that are not periods
    "How long was the 5-day strike?", "What is a 24-hour news cycle?", "Why did 2000 troops leave?",
    "How far did they march from 1500 to 2000 metres?", "What will the city look like in 1500 years?",
    # words that only look like dates
    "May I ask who won the vote?", "Who led the march on Washington?", "What did the Sunday Times report?",
    "How were Black Friday sales?", "What did the Good Friday Agreement establish?", "What happened on Super Tuesday?",
    "What did Theresa May say about Brexit?", "Did it rain in may?", "What was on USA Today?",
    "What happens every Sunday?", "What happens on Mondays?", "What did the Monday Night Football broadcast show?",
    "What is the electric current in the river?", "What is the current account deficit?",
    "What is the city now known as?", "Who painted the still life?", "What is the best way to date fossils?",
    # a period wholly after as_of names what is planned, not when it was published
    "What will happen on June 20?", "What is planned in 2030?",
])
def test_topics_lookalikes_and_questions_about_time_are_left_alone(question: str) -> None:
    assert read_time(question, AS_OF) == TimeIntent(question=question)


def test_a_window_beats_a_recency_word_and_the_first_window_wins() -> None:
    assert read_time("What is the latest news this week?", AS_OF).phrase == "this week"
    assert read_time("What happened in 2023 and in 2021?", AS_OF).label == "2023"


def test_as_of_is_read_in_utc_and_a_naive_one_is_taken_as_utc() -> None:
    evening_in_chicago = datetime(2024, 6, 12, 21, 0, tzinfo=timezone(timedelta(hours=-5)))  # 02:00 UTC on the 13th
    assert read_time("What happened yesterday?", evening_in_chicago).after == day(2024, 6, 12)
    assert read_time("What happened yesterday?", datetime(2024, 6, 12, 23, 59)).after == day(2024, 6, 11)


def test_this_week_is_the_past_seven_days_whatever_day_as_of_is() -> None:
    """A Friday quiz's "this week" reaches back to the Friday before; a Monday's holds the week just ended."""
    for offset in range(7):  # Monday 10 June .. Sunday 16 June
        as_of = day(2024, 6, 10) + timedelta(days=offset, hours=20)
        intent = read_time("What happened this week?", as_of)
        assert (intent.after, intent.before) == (day(2024, 6, 3 + offset), day(2024, 6, 11 + offset))
        assert intent.admits(as_of - timedelta(days=7)) and not intent.admits(day(2024, 6, 3 + offset) - timedelta(seconds=1))
    friday = read_time("Who resigned this week?", datetime(2024, 6, 14, 9, tzinfo=UTC))
    assert friday.label == "7-14 June 2024" and friday.admits(datetime(2024, 6, 7, 18, tzinfo=UTC))
    monday = read_time("Who resigned this week?", datetime(2024, 6, 10, 9, tzinfo=UTC))
    assert monday.admits(datetime(2024, 6, 7, 18, tzinfo=UTC)) and monday.admits(datetime(2024, 6, 9, 23, tzinfo=UTC))


def test_last_week_is_the_seven_days_before_through_the_calendar_week_before_this_one() -> None:
    for offset in range(7):  # Monday 10 June .. Sunday 16 June
        as_of = day(2024, 6, 10) + timedelta(days=offset, hours=12)
        intent = read_time("What happened last week?", as_of)
        assert (intent.after, intent.before) == (day(2024, 6, 10) - timedelta(days=14 - offset), day(2024, 6, 10))
    assert read_time("What happened last month?", day(2024, 6, 2)).label == "May 2024"  # months stay calendar
    assert read_time("What happened this month?", day(2024, 6, 2)).label == "2 May - 2 June 2024"
    assert read_time("What happened this year?", day(2024, 6, 2)).label == "2024"


def test_a_month_without_its_year_is_the_latest_one_not_after_as_of() -> None:
    assert read_time("in March", day(2024, 3, 1)).after == day(2024, 3, 1)
    assert read_time("in March", day(2024, 2, 29)).after == day(2023, 3, 1)
    assert read_time("on February 29", day(2025, 6, 1)).after == day(2024, 2, 29)


def test_to_dict_is_json_with_iso_utc_dates_and_rest_drops_the_phrase() -> None:
    intent = read_time("What did the Fed do last week?", AS_OF)
    assert json.loads(json.dumps(intent.to_dict())) == {
        "kind": "window", "phrase": "last week", "start": 20, "end": 29, "after": "2024-05-29T00:00:00Z",
        "before": "2024-06-10T00:00:00Z", "label": "29 May - 9 June 2024"}
    assert intent.rest == "What did the Fed do?"
    assert read_time("since May?", AS_OF).to_dict()["before"] is None
    assert read_time("Is Assange still in prison?", AS_OF).rest == "Is Assange in prison?"
    assert read_time("Who won?", AS_OF).rest == "Who won?"


def test_admits_keeps_publication_dates_inside_the_window_only() -> None:
    intent = read_time("What happened last week?", AS_OF)
    assert intent.admits(day(2024, 5, 29)) and intent.admits(datetime(2024, 6, 9, 23, 59, 59, tzinfo=UTC))
    assert not intent.admits(day(2024, 6, 10)) and not intent.admits(datetime(2024, 5, 28, 23, 59, tzinfo=UTC))
    assert read_time("What is the latest?", AS_OF).admits(day(1999, 1, 1))


@pytest.mark.parametrize("question, archive_from, unnamed", [
    ("What was the revenue in the fourth quarter of 2023?", day(2024, 3, 1), ("2023",)),  # reported on after it
    ("What was the revenue in the fourth quarter of 2019?", day(2024, 3, 1), ()),  # years before the archive
    ("What was the revenue in the fourth quarter of 2023?", day(2023, 11, 1), ()),  # a window over the archive
])
def test_a_period_just_before_the_archive_is_a_topic_whose_year_the_articles_may_leave_unsaid(
        question, archive_from, unnamed) -> None:
    from qa.evidence.window import plan

    asked = AS_OF.timestamp()
    timed = plan(question, read_time(question, AS_OF), asked, (archive_from.timestamp(), asked), {})
    assert timed.period_terms == unnamed
    assert timed.windowed is (archive_from < day(2024, 1, 1))
