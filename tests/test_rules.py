"""Each answer rule (`qa.rules.decisions`) alone, and the options every door takes (`qa.options`)."""

from __future__ import annotations

import math

import pytest

from qa.options import MAX_K, MIN_K, NAMES, AskArgs, AskOptions, as_of_time, checked_question
from qa.rules import decisions as rules


def test_evidence_reason_names_why_in_order() -> None:
    assert rules.evidence_reason(False, ["Niger"], 0.9, 0.5) == "no sentence of the articles matches the question"
    assert rules.evidence_reason(True, ["Macron", "France"], 0.9, 0.5) == "not in the articles: Macron, France"
    assert rules.evidence_reason(True, [], 0.2, 0.5) == "no sentence scores above the abstention threshold"
    assert rules.evidence_reason(True, [], 0.5, 0.5) == ""
    # a digest or yes/no question is left to the reader: the ranker learned what holds a span
    assert rules.evidence_reason(True, [], 0.2, 0.5, wants_span=False) == ""
    assert rules.evidence_reason(True, ["Calder"], 0.9, 0.5, wants_span=False) == "not in the articles: Calder"
    assert not rules.wants_span("What is the latest on the Port of Calder strike?")
    assert rules.wants_span("Who leads the dockworkers?")
    assert rules.citations_reason("", 0) == "the evidence no longer matches the stored articles"
    assert rules.citations_reason("", 3) == "" and rules.citations_reason("why", 0) == "why"


def test_reading_rules() -> None:
    assert rules.span_is_sure(math.log(0.5), 3, 9, 0.1)
    assert not rules.span_is_sure(math.log(0.05), 3, 9, 0.1)
    assert not rules.span_is_sure(0.0, 9, 9, 0.0)  # an empty span is no answer
    assert rules.amount_missing("How many soldiers are there?", ["The soldiers arrived on Monday."])
    assert not rules.amount_missing("How many soldiers are there?", ["About 1,100 soldiers are there."])
    assert rules.amount_missing("How much did the systems cost?", ["They bought 12 systems."])
    assert not rules.amount_missing("Who sold the systems?", ["Nobody."])  # not an amount question


def test_topic_held_only_for_digest_and_yes_no_questions() -> None:
    held = lambda words, ids: [] if ids == ["a"] else list(words)  # noqa: E731  (article "a" holds everything)
    assert rules.topic_held("What is the latest on the Calder strike?", ["b", "a"], held)
    assert not rules.topic_held("What is the latest on the Calder strike?", ["b"], held)
    assert not rules.topic_held("Who led the Calder strike?", ["a"], held)  # a span question: the reader decides
    # what its subject did: the subject's news, quoted, answers when no span does
    assert rules.topic_held("What did Halvorsen Robotics announce this week?", ["a"], held)
    assert not rules.topic_held("What did Halvorsen Robotics announce this week?", ["b"], held)
    assert not rules.topic_held("What did Microsoft announce that it would rename SkyDrive to?", ["a"], held)


def test_a_number_keeps_its_qualifier_and_edges_are_trimmed() -> None:
    s = "Currently, there are approximately 1,100 American soldiers stationed in Agadez."
    at = s.index("1,100")
    start, end, text = rules.trim_answer(s, at, at + 5)
    assert text == "approximately 1,100" and s[start:end] == text
    assert rules.trim_answer("It rained on Monday, again.", 13, 20)[2] == "Monday"


def test_a_which_answer_starts_at_the_thing_the_question_names() -> None:
    s = "The junta announced the termination of an agreement with the US that permitted staff to work in Niger."
    at = s.index("the US")
    assert s[rules.widen_to_asked("Which agreement did the junta terminate?", s, at):].startswith("an agreement with")
    assert s[rules.widen_to_asked("What agreements were ended?", s, at):].startswith("an agreement with")
    assert rules.widen_to_asked("Which country signed the agreement?", s, at) == at  # another head
    assert rules.widen_to_asked("What did the junta terminate?", s, at) == at  # no head named
    assert rules.widen_to_asked("Which agreement ended?", "It ended a pact with the US.", 20) == 20


def test_time_and_window_rules() -> None:
    day = 86400.0
    asked = 1_712_700_000.0
    assert rules.as_of_prefix([asked - 3 * day, float("nan")], asked).startswith("As of April ")
    assert rules.as_of_prefix([asked - 3600], asked) is None
    assert rules.as_of_prefix([float("nan")], asked) is None
    assert rules.search_outside_window(True, False) and not rules.search_outside_window(False, False)
    assert rules.search_without_recency(True, False, False)  # "latest", no window, nothing newest first answers
    assert not rules.search_without_recency(True, True, False) and not rules.search_without_recency(True, False, True)
    assert not rules.search_without_recency(False, False, False)
    assert rules.evidence_answers(True, None) and not rules.evidence_answers(True, False)
    assert not rules.keep_short_answer("1,100", False) and rules.keep_short_answer(None, False)
    assert rules.abstains(False, None) and rules.abstains(True, False) and not rules.abstains(True, True)


def test_options_are_defined_once_and_bounded() -> None:
    assert set(AskArgs.__annotations__) == NAMES  # the keyword form and the checked form cannot drift
    assert AskOptions.of({"k": 99}).bounded_k(5) == MAX_K
    assert AskOptions.of({"k": 0}).bounded_k(5) == 5 and AskOptions.of({}).bounded_k(7) == 7
    with pytest.raises(TypeError, match="unknown option"):
        AskOptions.of({"top_k": 3})
    assert as_of_time(None, 123.0) == 123.0
    assert as_of_time("2024-04-12", 0.0) == 1712880000.0
    with pytest.raises(Exception, match="as_of"):
        as_of_time("not a date", 0.0)
    assert checked_question("  Why?  ", 100) == "Why?"


def test_every_door_bounds_k_alike() -> None:
    from qa.shells.api import AskRequest
    from qa.shells.cli import ask as ask_command
    from qa.shells.openai_api import Options as SourcedOptions

    for model in (AskRequest, SourcedOptions):
        meta = {type(m).__name__: m for m in model.model_fields["k"].metadata}
        assert (meta["Ge"].ge, meta["Le"].le) == (MIN_K, MAX_K), model
    k = next(p for p in ask_command.params if p.name == "k")
    assert (k.type.min, k.type.max) == (MIN_K, MAX_K)


@pytest.mark.parametrize("question, span", [
    ("Which company is being accused of turning off the AC in its stores?", "Which company"),
    ("Which wildly popular show was recently green lit for a new season?", "green lit"),
    ("Which major change will soon be introduced to Netflix?", "Netflix"),
])
def test_a_span_of_the_questions_own_words_is_no_short_answer(question: str, span: str) -> None:
    assert rules.echoes_question(question, span) and not rules.is_short_answer(question, span)


def test_a_choice_offered_by_the_question_is_an_answer() -> None:
    assert not rules.echoes_question("Was the launch a success or a failure?", "a success")


@pytest.mark.parametrize("question, span, fits", [
    ("How many US troops are in Agadez?", "approximately 1,100", True),
    ("How many US troops are in Agadez?", "Agadez", False),
    ("When did the troops arrive?", "March 26", True),
    ("When did the troops arrive?", "in Agadez", False),
    ("Where did Storm Keira make landfall?", "Thursday", False),
    ("Where did Storm Keira make landfall?", "near Port Adams", True),
    ("Which company is being accused of turning off the AC?", "its stores", False),
    ("Which company is being accused of turning off the AC?", "Home Depot", True),
    ("What is the capital of Niger?", "Niamey", True),
    ("How much will the evacuation of Harlow cost?", "25", False),  # a count is no price
    ("How much will the evacuation of Harlow cost?", "$4.2 million", True),
    ("How much will the evacuation of Harlow cost?", "4.2 million dollars", True),
    ("How much rain fell in Harlow?", "25", True),  # no price asked: any amount
    ("How many points do the Mariners have now?", "1-1", False),  # a result is not a count
    ("How many points do the Mariners have now?", "16", True),
    ("How many votes did the bike lanes pass by?", "5-2", True),  # a tally is what a vote question counts
])
def test_a_short_answer_is_the_kind_of_thing_asked(question: str, span: str, fits: bool) -> None:
    assert rules.fits_question(question, span) is fits


def test_what_happened_gets_a_clause_never_a_fragment() -> None:
    q = "What did the council decide this week?"
    assert rules.wants_clause(q) and not rules.wants_clause("Who did the Foxes sign?")
    assert not rules.is_short_answer(q, "increase modest")
    assert rules.is_short_answer(q, "voted 5-2 to approve protected bike lanes")


@pytest.mark.parametrize("question, span, answers", [
    ("What is the status of the Harlow film festival?", "the first time since 1999", False),  # when, not what
    ("What is the status of the Harlow arts festival?", "is back for the first time since 1999", True),
    ("How did the Millbrook Mariners do in their most recent game?", "with 3 points", False),
    ("How did the Millbrook Mariners do in their most recent game?", "beat the Riverton Hawks 2-0", True),
    ("What happened in the Port of Calder labor dispute?", "walked off the job at the Port of Calder", True),
    ("What did the council approve?", "a $382 million budget for the year", True),  # what was done: its object
])
def test_a_digest_gets_a_clause_that_says_what_happened(question: str, span: str, answers: bool) -> None:
    assert rules.is_short_answer(question, span) is answers


def test_a_yes_no_question_gets_a_clause_never_a_fragment() -> None:
    q = "Is the Millbrook City Council zoo going ahead?"
    assert rules.wants_clause(q) and not rules.is_short_answer(q, "July")
    assert rules.is_short_answer(q, "the council voted 7-2 to fund the zoo")
    assert rules.is_short_answer("Was the test a failure or a success?", "a success")  # offered: a span names it


@pytest.mark.parametrize("question, held, quoted_only, off", [
    ("Is the Millbrook City Council zoo going ahead?", False, False, True),  # yes/no: even with a clause
    ("Is the Millbrook City Council zoo going ahead?", True, False, False),
    ("What is the status of the Harlow film festival?", False, True, True),  # a digest with only quotes
    ("What happened in the Port of Calder labor dispute?", False, False, False),  # a clause found: paraphrase
    ("How many US troops are in Agadez?", False, True, False),  # a span question: the reader decides
])
def test_a_question_without_a_span_needs_its_topic_in_a_cited_article(question: str, held: bool,
                                                                       quoted_only: bool, off: bool) -> None:
    assert rules.off_topic(question, held, quoted_only=quoted_only) is off


def test_a_passive_question_needs_its_named_thing_in_a_cited_article() -> None:
    articles = {"strike": {"port", "calder", "strike", "dockworkers"}, "ferry": {"port", "calder", "ferry", "service"}}

    def not_held(words, ids):  # type: ignore[no-untyped-def]
        return [w for w in words if not any(w in articles[a] for a in ids)]

    q = "When was the Port of Calder ferry service announced?"
    assert rules.subject_absent(q, ["strike"], not_held)  # the port, not its ferry service
    assert not rules.subject_absent(q, ["strike", "ferry"], not_held)
    assert not rules.subject_absent("When did the strike end?", ["strike"], not_held)  # no named thing: the reader decides


def test_the_newest_value_wins_and_the_older_is_named() -> None:
    march = {13: 1_741_860_000.0, 17: 1_742_205_600.0}
    assert rules.newest_value([(march[13], "two"), (march[17], "seven")]) == (1, 0)
    assert rules.newest_value([(march[17], "seven"), (march[13], "two")]) == (0, 1)
    assert rules.newest_value([(march[17], "about 1,100"), (march[13], "1,100")]) is None  # the same value
    assert rules.newest_value([(math.nan, "seven"), (march[13], "two")]) is None  # undated (SQuAD): as read
    assert rules.newest_value([(march[17], "seven"), (march[17], "two")]) is None  # one day: no change over time
    assert rules.newest_value([(march[17], "the mayor"), (march[13], "the council")]) is None  # no numbers
    clauses = [(march[13], "approve a $382 million budget for the year"), (march[17], "ratify a four-year contract")]
    assert rules.newest_value(clauses) is None  # clauses holding numbers: two decisions, not a value revised
    assert rules.newest_value(clauses, latest=True) == (1, None)  # "most recently": the newest, nothing named
    assert rules.newest_value([(march[13], "3"), (march[17], "3")], latest=True) == (1, None)  # said again
    assert rules.newest_value([(march[13], "two"), (march[17], "seven")], latest=True) == (1, 0)
    assert rules.as_of_prefix([march[17], march[13] + 5 * 86_400], march[17] + 3 * 86_400,
                              answer_from=march[17]) == "As of March 17, 2025: "


@pytest.mark.parametrize("sentence, before, now", [
    ("The death toll from Storm Ada rose to 9 on Monday, up from 2 a day earlier.", "2", "9"),
    ("The number of customers without power fell from 45,300 to 27,500.", "45,300", "27,500"),
    ("Officials said 9 people were dead, up from 2 on Sunday.", "2", "9"),
    ("Revenue climbed 12% to $1.30 billion from $1.23 billion a year earlier.", "$1.23", "$1.30"),
    ("The toll stood at seven on Tuesday, up from two.", "two", "seven"),
    ("The death toll from the storm rose to 9.", None, "9"),  # a change to a value, the value before not given
])
def test_a_sentence_reporting_a_change_gives_the_value_now_and_the_one_before(sentence: str, before: str | None,
                                                                             now: str) -> None:
    [(was, start, end)] = rules.value_changes(sentence)
    assert (was, sentence[start:end]) == (before, now)
    assert rules.reported_before(sentence, start, end) == before


@pytest.mark.parametrize("sentence", [
    "The storm dropped up to 12 inches of rain on parts of the Coast Range.",  # a bound, no change
    "About 27,500 customers were still without power on Thursday.",
    "The win leaves the Mariners with 6 points after 4 games.",
])
def test_a_sentence_stating_a_value_reports_no_change(sentence: str) -> None:
    assert rules.value_changes(sentence) == []


def test_a_newer_report_updates_a_value_it_gives_as_the_one_before() -> None:
    rose = "The death toll from Storm Ada rose to 11 on Tuesday, up from 9 a day earlier."
    start, end = rules.updates("9", rose) or (0, 0)
    assert rose[start:end] == "11"
    assert rules.updates("at least 9", rose) == (start, end)  # the qualifier is no other value
    assert rules.updates("nine", rose) == (start, end)
    assert rules.updates("2", rose) is None  # another value before: no update of this one
    assert rules.updates("11", rose) is None  # the same value
    assert rules.reports_value(rose, "11") == (start, end) and rules.reports_value(rose, "9") is None
    assert rules.number_of("About 127,700") == 127_700 and rules.number_of("$1.30 billion") == 1.3


def test_values_of_different_things_are_no_revision_of_each_other() -> None:
    points, shots = "The win leaves the Mariners with 16 points after 10 games.", "The Mariners had 26 shots."
    at16, at26 = points.index("16") + 2, shots.index("26") + 2
    assert rules.unit_of(points, at16) == rules.unit_of("with 19 points", 7) == "point"
    assert not rules.same_measure("How many points do the Mariners have?", points, at16, shots, at26)
    toll, deaths = "The death toll rose to 9 on Monday.", "Officials confirmed at least 2 deaths."
    power = "The number of customers without power fell to 45,300."
    killed = "How many people has the storm killed?"
    assert rules.same_measure(killed, deaths, deaths.index("2") + 1, toll, toll.index("9") + 1)  # "death" in both
    assert not rules.same_measure(killed, deaths, deaths.index("2") + 1, power, power.index("45,300") + 6)
    people, now = "The storm has killed two people.", "The death toll rose to seven."
    assert rules.same_measure(killed, people, people.index("two") + 3, now, now.index("seven") + 5)  # asked: people


def test_the_json_doors_spell_the_options_from_one_definition() -> None:
    """The JSON API's request, the OpenAI chat's `sourced` field and the MCP tools take `AskFields`' fields, typed
    and described there once; only `history` has each door's shape."""
    import asyncio

    from qa.shells import mcp_server
    from qa.shells.api import AskRequest
    from qa.shells.openai_api import Options
    from qa.shells.schema import ASK_FIELDS, AskFields

    assert set(AskFields.model_fields) == set(ASK_FIELDS) == NAMES - {"history"}
    spelled = AskFields.model_json_schema()["properties"]
    tools = {t.name: t.input_schema["properties"] for t in asyncio.run(mcp_server.build(None).list_tools())}  # type: ignore[arg-type]
    doors = {"/api/ask": AskRequest.model_json_schema()["properties"],
             "/v1 sourced": Options.model_json_schema()["properties"], "MCP ask": tools["ask"],
             "MCP search": {**tools["search"], "answerer": spelled["answerer"]}}  # search answers nothing
    for door, properties in doors.items():
        for name in ASK_FIELDS:
            assert properties[name] == spelled[name], (door, name)


def test_a_value_a_reported_change_came_to_is_told_from_other_numbers_of_the_sentence() -> None:
    toll = "The death toll from Storm Ada rose to 14 on Wednesday, up from 11 a day earlier."
    at = toll.index("14")
    assert rules.reported_change(toll, at, at + 2)
    was = toll.index("11")
    assert not rules.reported_change(toll, was, was + 2)  # the value before, not what it came to
    plain = "Harlan County officials confirmed at least 2 deaths linked to Storm Ada."
    assert not rules.reported_change(plain, plain.index("2"), plain.index("2") + 1)
