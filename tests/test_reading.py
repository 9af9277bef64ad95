"""The reader: short answers at their offsets for every kind of question, and abstentions that say what is missing."""

from __future__ import annotations

import json
import re

import pytest

from qa.answers.composer import compose
from qa.answers.coverage import corpus_idf, term_share
from qa.answers.reader import Decision
from qa.answers.reading import Judgement, follow_updates, judge, name_reported_before, widen
from qa.models import Citation
from tests.conftest import SEED_QUESTIONS, SEEDS

# Questions the seed article plainly can't answer, though every name in them is in it (so the key-term rule,
# which abstains when a name occurs nowhere, does not decide them: reading does).
UNANSWERABLE = [
    ("Who is the president of France?", "who the president of France is"),
    ("Who is the president of the United States?", "who the president of the United States is"),
    ("How much did the anti-aircraft defense systems cost?", "how much the anti-aircraft defense systems cost"),
    ("What is the population of Niger?", "what the population of Niger is"),
    ("How many French troops were in Niger?", "how many French troops were in Niger"),
]


def _citation(n: int, sentence: str, score: float = 0.9) -> Citation:
    return Citation(n=n, key=f"a:{n}", article_id="a", title="t", source="s", sentence=sentence, start=10 * n,
                    end=10 * n + len(sentence), score=score)


def test_a_number_answer_keeps_the_words_that_qualify_it():
    sentence = "Currently, there are approximately 1,100 American soldiers stationed in Agadez."
    at = sentence.index("1,100")
    assert sentence[widen(sentence, at, at + 5):at + 5] == "approximately 1,100"
    won = "He won more than 60 percent."
    assert widen(won, won.index("60"), won.index("60") + 2) == won.index("more")
    assert widen("It rained on Monday.", 13, 19) == 13  # not a number: as read


def test_composing_from_a_judgement():
    cited = [_citation(1, "The equipment arrived in Niamey on Wednesday."), _citation(2, "Russia sent it.")]
    keyed, short, abstained = compose("When did it arrive?", cited, 2, Judgement(True, 0.9, 0, 35, 44, "Wednesday"))
    assert (short, abstained) == ("Wednesday", False) and keyed.startswith("Wednesday ⟦a:1⟧\n\n“The equipment")
    keyed, short, abstained = compose("When did it leave?", cited, 2, Judgement(False, 0.1))
    assert abstained and short is None
    assert keyed.startswith("The articles don't say when it left. The closest:\n\n“The equipment")
    keyed, short, abstained = compose("What happened?", cited, 2, Judgement(True, 0.7))  # answered, span unsure
    assert short is None and not abstained and keyed.startswith("“The equipment")


class FakeReader:
    """A reader whose readings are given: (answerable logit, span start, span end, span log-probability)."""

    def __init__(self, readings, **decision):
        from qa.answers.reader import Decision, ReaderConfig

        self.readings = readings
        self.config = ReaderConfig(decision=Decision(**decision))

    def read(self, question, items):
        from qa.answers.reader import Reading

        return [Reading(a, s, e, sc, items[i][0][s:e]) for i, (a, s, e, sc) in enumerate(self.readings[: len(items)])]


def test_judge_abstains_below_the_threshold_and_reads_the_span_of_the_chosen_sentence():
    cited = [_citation(1, "About 1,100 soldiers are in Agadez."), _citation(2, "Nothing here.")]
    context = [("", ""), ("", "")]
    sure = FakeReader([(4.0, 6, 11, -0.1), (-4.0, 0, 7, -3.0)], threshold=0.5, n=2)
    judged = judge(sure, "How many soldiers are in Agadez?", cited, context)
    assert judged.answered and judged.citation == 0 and judged.text == "About 1,100"
    assert cited[0].sentence[judged.start:judged.end] == "About 1,100"
    unsure = FakeReader([(-6.0, 6, 11, -0.1), (-6.0, 0, 7, -3.0)], threshold=0.5, n=2)
    assert not judge(unsure, "How many tanks are in Agadez?", cited, context).answered


def test_term_share_weighs_the_question_terms_found_in_the_sentence_or_its_neighbours():
    idf = {"soldier": 2.0, "agadez": 6.0}
    items = [("About 1,100 soldiers are in Agadez.", "", ""),
             ("About 1,100 soldiers are there.", "They are stationed near Agadez.", ""),  # a neighbour holds it
             ("About 1,100 soldiers are there.", "", "")]
    share = term_share("How many soldiers are in Agadez?", items, idf.__getitem__)
    assert share[0] == share[1] == 1.0
    assert share[2] == pytest.approx(2 / 8)  # "soldiers" holds 2 of the 8 IDF; "Agadez" (6) is missing
    assert list(term_share("How many soldiers are in Agadez?", items, None)) == [1.0, 1.0, 0.5]  # unweighted
    assert list(term_share("Why?", items, None)) == [1.0, 1.0, 1.0]  # no terms: nothing is missing
    idf_of = corpus_idf(["Agadez is far.", "Soldiers are far.", "Soldiers are near."])
    assert idf_of("agadez") > idf_of("soldier") and idf_of("never-seen") == idf_of("agadez")  # unknown: the largest


def test_a_decision_reading_the_term_share_abstains_when_the_sentence_lacks_what_the_question_turns_on():
    reads = [(1.0, 6, 11, -0.5), (1.0, 0, 5, -0.5)]
    decision = {"coef": (1.0, 0.0, 0.0, 0.0, 4.0), "bias": -3.5, "threshold": 0.5, "n": 2, "rerank": True,
                "features": ("reader_answerable_logit", "reader_span_logprob", "ranker_logit", "log1p_rank",
                             "term_share")}
    context = [("", ""), ("", "")]
    covered = [_citation(1, "About 1,100 soldiers are in Agadez."), _citation(2, "Agadez hosts a base.")]
    judged = judge(FakeReader(reads, **decision), "How many soldiers are in Agadez?", covered, context)
    assert judged.answered and judged.text == "About 1,100"
    near_miss = [_citation(1, "About 1,100 soldiers are in Niamey."), _citation(2, "Niamey hosts a base.")]
    assert not judge(FakeReader(reads, **decision), "How many soldiers are in Agadez?", near_miss, context,
                     idf={"soldier": 2.0, "agadez": 6.0}.__getitem__).answered


def test_a_decision_with_weights_for_other_features_than_it_names_is_refused():
    with pytest.raises(ValueError, match="5 weights for features"):
        Decision(coef=(1.0, 0.0, 1.0, 0.0, 2.0))
    with pytest.raises(ValueError, match="unknown"):
        Decision(coef=(1.0,), features=("reader_confidence",))


@pytest.mark.real
def test_agadez_answers_approximately_1100_at_its_offsets(seeded_qa_shared):
    answer = seeded_qa_shared.ask("How many US troops are in Agadez?")
    assert not answer.abstained and answer.short_answer == "approximately 1,100"
    span = answer.short_answer_span
    text = next(SEEDS.glob("*.txt")).read_text(encoding="utf-8")
    assert span is not None and text[span.start:span.end] == "approximately 1,100"
    cited = answer.citations[span.citation - 1]
    assert cited.start <= span.start < span.end <= cited.end and span.article_id == cited.article_id
    assert answer.answer.startswith("approximately 1,100 [1]")
    assert json.loads(answer.to_json())["short_answer_span"] == {
        "article_id": span.article_id, "start": span.start, "end": span.end, "citation": span.citation}


@pytest.mark.real
def test_the_agadez_answer_cites_only_sentences_that_bear_on_it(seeded_qa_shared):
    """`k` is a maximum: a later sentence the ranker and the reader both call unrelated (the junta's supporters
    holding up a flag) is not cited; the answer's own sentence stays first."""
    answer = seeded_qa_shared.ask("How many US troops are in Agadez?", k=5)
    assert answer.citations[0].sentence == "Currently, there are approximately 1,100 American soldiers stationed in Agadez."
    assert 1 <= len(answer.citations) < 5
    assert not any(c.sentence.startswith("Supporters of Niger's National Council") for c in answer.citations)
    topic = ("Agadez", "American", "US", "troops", "soldiers")
    assert all(any(w in c.sentence for w in topic) for c in answer.citations)
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert set(re.findall(r"\[(\d+)\]", answer.answer)) <= {str(c.n) for c in answer.citations}


def test_a_sentence_bears_on_the_question_unless_ranker_and_reader_both_say_not():
    from qa.rules.decisions import BEARS_LOGIT, BEARS_SCORE, bears_on_question

    assert bears_on_question(BEARS_SCORE, -10.0) and bears_on_question(0.0, BEARS_LOGIT)
    assert not bears_on_question(BEARS_SCORE / 2, BEARS_LOGIT - 1)


@pytest.mark.real
def test_the_term_share_idf_of_the_evaluation_is_the_engines(seeded_qa_shared):
    """`qa.training.reader_eval` fits the decision with IDF computed from sentence texts; the engine reads the lexicon's."""
    from qa import text as tx

    lexicon = seeded_qa_shared.retriever().lexicon
    from_texts = corpus_idf(list(lexicon.corpus.sentence_text))
    terms = {t for s in lexicon.corpus.sentence_text for t in tx.terms(s)} | {"zzyzx"}
    assert all(abs(from_texts(t) - lexicon.idf_of(t)) < 1e-9 for t in terms)


@pytest.mark.real
def test_questions_the_seed_article_cannot_answer_mostly_abstain_with_the_reason(seeded_qa_shared):
    """The reader abstains on most of them (measured: 5 of 5 with reader v4; v3 answered the US president with
    "the United States and France"). The systems' cost abstains because no sentence read holds a sum of money. Each
    abstention names what is missing and shows the closest sentences at their offsets."""
    abstained = []
    for question, what in UNANSWERABLE:
        answer = seeded_qa_shared.ask(question)
        if not answer.abstained:
            continue
        abstained.append(question)
        assert answer.short_answer is None and answer.short_answer_span is None
        assert answer.answer.startswith(f"The articles don't say {what}. The closest:")
        assert answer.citations  # the closest sentences are still shown, each at its offsets
        article = seeded_qa_shared.article(answer.citations[0].article_id)
        assert all(article.text[c.start:c.end] == c.sentence for c in answer.citations)
    print(f"abstained on {len(abstained)} of {len(UNANSWERABLE)}: {abstained}")
    assert len(abstained) >= 3
    assert "Who is the president of France?" in abstained  # the failure the issue names
    assert "How much did the anti-aircraft defense systems cost?" in abstained  # no price in the article


@pytest.mark.real
def test_the_llm_is_not_asked_when_the_reader_says_the_evidence_does_not_answer(seeded_qa_shared):
    from tests.test_verify import ScriptedLLM

    seeded_qa_shared.llm = llm = ScriptedLLM("Emmanuel Macron is the president of France [1].")
    try:
        answer = seeded_qa_shared.ask("Who is the president of France?", answerer="llm")
    finally:
        seeded_qa_shared.llm = None
    assert answer.abstained and answer.answerer == "extractive" and llm.prompts == []


@pytest.mark.real
def test_every_seed_short_answer_is_at_its_offsets_and_most_questions_get_one(seeded_qa_shared):
    text = next(SEEDS.glob("*.txt")).read_text(encoding="utf-8")
    rows = [json.loads(line) for line in SEED_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    answered = 0
    abstained = []
    for row in rows:
        answer = seeded_qa_shared.ask(row["question"])
        if not row["answers"]:
            assert answer.abstained, row["question"]
            continue
        if answer.abstained:
            abstained.append(row["question"])
            continue
        if answer.short_answer is not None:
            answered += 1
            span = answer.short_answer_span
            assert span is not None and text[span.start:span.end] == answer.short_answer
    assert answered >= 8  # "what", "which" and "who" questions too, not only numbers and dates
    # at most one of the 11 answerable abstains: reader v5 answers all 11 on the CPU it was measured on, but "Which
    # agreement did Niger's junta terminate?" sits near the threshold (reader v4 abstained on it: p 0.137 against 0.146)
    assert len(abstained) <= 1, abstained


def test_a_digest_or_yes_no_question_whose_topic_the_article_holds_is_answered_with_the_evidence(seeded_qa_shared):
    """No span answers "What happened in Niger?", so the reader's "no span" does not make it abstain; a digest
    or yes/no question about something the article never names still does."""
    for question in ("What happened in Niger?", "What is the latest news from Russia?",
                     "Are American troops still in Agadez?"):
        answer = seeded_qa_shared.ask(question)
        assert not answer.abstained, question
        article = seeded_qa_shared.article(answer.citations[0].article_id)
        assert all(article.text[c.start:c.end] == c.sentence for c in answer.citations)
        assert f"“{answer.citations[0].sentence}”" in answer.answer
    for question in ("What is the latest on the French elections?", "Is Niger a democracy?",
                     "How is the economy of Niger doing?"):  # decision p 0.09-0.13 (threshold 0.25)
        answer = seeded_qa_shared.ask(question)
        assert answer.abstained and answer.short_answer is None, question


def _toll(n: int, day: int, sentence: str) -> Citation:
    return Citation(n=n, key=f"ada-{day}:0", article_id=f"ada-{day}", title="", source="", sentence=sentence,
                    start=0, end=len(sentence), score=0.5, published_at=f"2024-04-{day:02d}T18:00:00Z")


def test_a_number_answer_follows_the_newer_reports_of_its_change_and_names_the_one_before():
    """"rose to 9, up from 2" updates an answer of 2, and "rose to 11, up from 9" that one, whatever the reader
    made of their words; a report of another value before ("up from 40") is no update of this one."""
    cited = [_toll(1, 14, "Officials confirmed at least 2 deaths linked to Storm Ada."),
             _toll(2, 16, "The death toll from Storm Ada rose to 11 on Tuesday, up from 9 a day earlier."),
             _toll(3, 15, "The death toll from Storm Ada rose to 9 on Monday, up from 2 a day earlier."),
             _toll(4, 17, "The number of customers without power fell to 30 on Wednesday, up from 40.")]
    judged = Judgement(True, 0.9, citation=0, start=21, end=31, text="at least 2")
    followed = follow_updates("How many people has Storm Ada killed?", cited, judged)
    assert (followed.text, followed.citation, followed.older, followed.older_text) == ("11", 1, 2, "9")
    assert cited[1].sentence[followed.start:followed.end] == "11"
    assert follow_updates("How many?", cited[:1], judged) == judged  # no newer report
    assert follow_updates("How many?", cited, Judgement(True, 0.9, citation=0, text="Officials")).text == "Officials"


def test_an_answer_that_gives_the_value_before_names_the_citation_that_reported_it():
    """"rose to 14, up from 11": the citation reporting 11 is named, not an older one read first."""
    cited = [_toll(1, 17, "The death toll from Storm Ada rose to 14 on Wednesday, up from 11 a day earlier."),
             _toll(2, 14, "Officials confirmed at least 2 deaths linked to Storm Ada."),
             _toll(3, 16, "The death toll from Storm Ada rose to 11 on Tuesday, up from 9 a day earlier.")]
    judged = Judgement(True, 0.9, citation=0, start=38, end=40, text="14", older=1, older_text="at least 2")
    named = name_reported_before("How many people has Storm Ada killed?", cited, judged)
    assert (named.older, named.older_text) == (2, "11")
    assert name_reported_before("How many?", cited, named) == named  # named already


def _dated_reports(tmp_path, real_embedder, reports: list[tuple[str, str, str]]):
    """A `QA` over one-sentence reports (id, published_at, text), indexed with the real model."""
    from qa.engine import QA

    path = tmp_path / "reports.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "title": f"Report {i}", "published_at": d, "text": t})
                              for i, d, t in reports), encoding="utf-8")
    qa = QA(tmp_path / "index", embedder=real_embedder)
    qa.ingest([path])
    return qa


@pytest.mark.real
def test_the_newest_value_is_the_answer_and_the_older_one_is_named(tmp_path, real_embedder):
    """Two reports of one storm's toll: asked after both, the answer is the newer toll, the older named with its
    day; asked between them, the older is all there is."""
    reports = [("keira-0313", "2025-03-13T18:00:00Z", "Storm Keira has killed two people in the coastal towns, "
                "officials said on Thursday."),
               ("keira-0317", "2025-03-17T18:00:00Z", "The death toll from Storm Keira rose to seven on Monday, "
                "officials said."),
               ("council-0318", "2025-03-18T09:00:00Z", "The Millbrook council voted 5-2 to approve bike lanes.")]
    qa = _dated_reports(tmp_path, real_embedder, reports)
    question = "How many people has Storm Keira killed?"
    after = qa.ask(question, k=3, as_of="2025-03-20")
    assert after.short_answer == "seven"
    lead = after.answer.split("\n")[0]
    assert re.search(r"seven \[\d\] \(March 17, 2025; two on March 13, 2025 \[\d\]\)", lead), lead
    assert lead.startswith("As of March 17, 2025: ") or "As of" not in lead  # the answer's article, not March 18
    assert "council" not in " ".join(c.sentence for c in after.citations)  # the unrelated vote is not cited
    assert [c.n for c in after.citations] == list(range(1, len(after.citations) + 1))
    span = after.short_answer_span
    assert span is not None and "seven" in after.citations[span.citation - 1].sentence
    between = qa.ask(question, k=3, as_of="2025-03-15")
    assert between.short_answer == "two" and "on March 13" not in between.answer


@pytest.mark.real
def test_the_value_named_is_the_one_just_before_the_newest_wherever_it_is_cited(tmp_path, real_embedder):
    """Three tolls on three days: the answer is the newest and names the one before it (read among the later
    citations too), not the first; an article about another storm's toll is no value of this one. (The reader
    does not always take "the death toll rose to seven" as saying how many were killed: docs/time.md.)"""
    reports = [("keira-0313", "2025-03-13T18:00:00Z", "Storm Keira has killed two people in the coastal towns, "
                "officials said on Thursday."),
               ("keira-0315", "2025-03-15T18:00:00Z", "Storm Keira has now killed five people, officials said on "
                "Saturday."),
               ("keira-0317", "2025-03-17T18:00:00Z", "Storm Keira has now killed seven people, officials said on "
                "Monday."),
               ("lorne-0318", "2025-03-18T18:00:00Z", "Storm Lorne has now killed twelve people, officials said on "
                "Tuesday.")]
    qa = _dated_reports(tmp_path, real_embedder, reports)
    answer = qa.ask("How many people has Storm Keira killed?", k=5, as_of="2025-03-20")
    assert answer.short_answer == "seven"
    lead = answer.answer.split("\n")[0]
    assert re.search(r"seven \[1\] \(March 17, 2025; five on March 15, 2025 \[\d\]\)", lead), lead
    assert "twelve" not in lead


@pytest.mark.real
def test_a_toll_reported_as_rising_is_followed_to_its_newest_value(tmp_path, real_embedder):
    """The reports after the first give the toll as "rose to N, up from M", without the question's "killed": the
    answer is still the newest toll, the one before it named, and a falling outage count is no toll."""
    reports = [("ada-0414", "2024-04-14T18:00:00Z", "Harlan County officials confirmed at least 2 deaths linked to "
                "Storm Ada, Sheriff Dale Kemper said."),
               ("ada-0415", "2024-04-15T18:00:00Z", "The death toll from Storm Ada rose to 9 on Monday, up from 2 a "
                "day earlier, the county emergency office said."),
               ("ada-0416", "2024-04-16T18:00:00Z", "The death toll from Storm Ada rose to 11 on Tuesday, up from 9 "
                "a day earlier, the county emergency office said."),
               ("power-0417", "2024-04-17T18:00:00Z", "The number of customers without power after Storm Ada fell "
                "to 45,300 on Wednesday, down from 79,300.")]
    qa = _dated_reports(tmp_path, real_embedder, reports)
    answer = qa.ask("How many people has Storm Ada killed?", k=5, as_of="2024-04-18")
    assert answer.short_answer == "11", answer.answer
    lead = answer.answer.split("\n")[0]
    assert re.search(r"11 \[1\] \(April 16, 2024; 9 on April 15, 2024 \[\d\]\)", lead), lead
    assert "45,300" not in lead


@pytest.mark.parametrize("toll_logit, expected", [(-0.45, "14"), (-3.9, "at least 2")])
def test_a_value_a_reported_change_came_to_is_weighed_unless_the_reader_calls_it_unrelated(toll_logit, expected):
    """Among the sentences read, "rose to 14, up from 11" gives a newer value of the toll though the reader does not
    call it answering ("How many people has Storm Ada killed?"); not when the reader calls it unrelated."""
    rose = "The death toll from Storm Ada rose to 14 on Wednesday, up from 11 a day earlier."
    first = "Officials confirmed at least 2 deaths linked to Storm Ada."
    cited = [_toll(1, 17, rose), _toll(2, 14, first), _toll(3, 17, "Schools reopened on Wednesday.")]
    at, fr = rose.index("14"), first.index("at least 2")
    reader = FakeReader([(toll_logit, at, at + 2, -0.03), (0.9, fr, fr + 10, -0.2), (-5.0, 0, 7, -4.0)],
                        coef=(1.0, 0.0, 0.0, 0.0), bias=0.0, threshold=0.5, n=3, rerank=True)
    judged = judge(reader, "How many people has Storm Ada killed?", cited, [("", "")] * 3)
    assert judged.answered and judged.text == expected


@pytest.mark.parametrize("newer_logit, expected", [(-1.6, "beat the Hollister Rangers 3-2"),
                                                    (-3.0, "beat the Bayview Pilots 2-1")])
def test_asked_for_the_latest_a_newer_report_of_the_same_kind_is_the_answer(newer_logit, expected):
    """"How did the Mariners do in their most recent game?": the decision weighs the older result's sentence
    higher, the newer one reports the same kind of thing ("beat ... 3-2") and is the answer, unless the reader
    calls it unrelated; a newer sentence of another kind ("12 points") is not. Asked without "latest", the
    decision's choice stands."""
    newer = "The Millbrook Mariners beat the Hollister Rangers 3-2 on Saturday at Harbor Park."
    points = "The win leaves the Mariners with 12 points after 7 games."
    older = "The Millbrook Mariners beat the Bayview Pilots 2-1 on Saturday on the road."
    cited = [_toll(1, 20, newer), _toll(2, 20, points), _toll(3, 13, older)]
    spans = [(s.index("beat"), s.index(end) + len(end)) for s, end in ((newer, "3-2"), (older, "2-1"))]
    reader = FakeReader([(newer_logit, *spans[0], -0.1), (-1.1, points.index("12"), points.index("12") + 9, -0.1),
                         (1.0, *spans[1], -0.1)], coef=(1.0, 0.0, 0.0, 0.0), bias=0.0, threshold=0.5, n=3,
                        rerank=True)
    question = "How did the Millbrook Mariners do in their most recent game?"
    judged = judge(reader, question, cited, [("", "")] * 3, latest=True)
    assert judged.answered and judged.text == expected
    assert judge(reader, question, cited, [("", "")] * 3).text == "beat the Bayview Pilots 2-1"


@pytest.mark.real
def test_the_most_recent_game_is_the_newest_result_in_a_recurring_story(tmp_path, real_embedder):
    """A team's weekly results, each in the article of its week with the standings beside it: asked after the
    third game, the answer comes from the third game's article whatever the decision makes of the older ones'
    words; asked between the second and the third, from the second's."""
    reports = [("mariners-0406", "2024-04-06T20:00:00Z", "The Millbrook Mariners lost 2-0 to the Port Adams Pioneers "
                "on Saturday at Harbor Park. The loss leaves the Mariners with 6 points after 5 games."),
               ("mariners-0413", "2024-04-13T20:00:00Z", "The Millbrook Mariners beat the Bayview Pilots 2-1 on "
                "Saturday on the road. The win leaves the Mariners with 9 points after 6 games."),
               ("mariners-0420", "2024-04-20T20:00:00Z", "The Millbrook Mariners beat the Hollister Rangers 3-2 on "
                "Saturday at Harbor Park. The win leaves the Mariners with 12 points after 7 games."),
               ("council-0418", "2024-04-18T09:00:00Z", "The Millbrook council voted 5-2 to approve bike lanes.")]
    qa = _dated_reports(tmp_path, real_embedder, reports)
    question = "How did the Millbrook Mariners do in their most recent game?"
    for as_of, week in (("2024-04-26", "mariners-0420"), ("2024-04-15", "mariners-0413")):
        answer = qa.ask(question, k=4, as_of=as_of)
        assert not answer.abstained, answer.answer
        span = answer.short_answer_span
        told = answer.citations[0] if span is None else answer.citations[span.citation - 1]
        assert told.article_id == week, answer.answer


@pytest.mark.real
def test_a_latest_question_whose_answer_is_weeks_old_is_answered_with_its_day(tmp_path, real_embedder):
    """The quarter's revenue was reported once, weeks before the day asked; the company's articles since say other
    things. Newest first, those fill the evidence and none answers, so it is searched by relevance alone: the
    revenue, "As of" its day. A company no article names still gets no answer."""
    today = ("Halvorsen Robotics named Marcus Oyelaran its chief executive on Monday. Shares of Halvorsen Robotics "
             "fell 2 percent in early trading. The company said it had 438 open positions. Halvorsen Robotics will "
             "report its first-quarter results in May. Investors had been waiting for news from Halvorsen Robotics "
             "for weeks. The Portland company makes robots that sort parcels in warehouses.")
    reports = [("halvorsen-0314", "2024-03-14T18:00:00Z", "Halvorsen Robotics reported fourth-quarter revenue of "
                "$1.23 billion on Thursday, up 14 percent from a year earlier."),
               ("halvorsen-0402", "2024-04-02T18:00:00Z", "Halvorsen Robotics opened a second plant in Salem."),
               ("halvorsen-0408", "2024-04-08T18:00:00Z", today)]
    qa = _dated_reports(tmp_path, real_embedder, reports)
    answer = qa.ask("What revenue did Halvorsen Robotics report for its latest quarter?", k=5, as_of="2024-04-09")
    assert answer.short_answer == "$1.23 billion", answer.answer
    assert answer.answer.startswith("As of March 14, 2024: ")
    absent = qa.ask("What revenue did Kestrel Drones report for its latest quarter?", k=5, as_of="2024-04-09")
    assert absent.abstained, absent.answer


@pytest.mark.real
def test_what_a_company_announced_this_week_is_answered_with_its_news(tmp_path, real_embedder):
    """"What did Halvorsen Robotics announce this week?": the reader does not take "named Marcus Oyelaran its chief
    executive" for an announcement, but the company's article of the week holds the whole topic, so its news is
    quoted; a company no article of the week names gets no answer."""
    reports = [("halvorsen-0408", "2024-04-08T18:00:00Z", "PORTLAND, Ore. (AP) — Investors had been waiting for news "
                "from Halvorsen Robotics for weeks. Halvorsen Robotics named Marcus Oyelaran its chief executive on "
                "Monday, replacing Dana Whitfield, who is retiring after nine years."),
               ("mariners-0406", "2024-04-06T20:00:00Z", "The Millbrook Mariners beat the Bayview Pilots 2-1."),
               ("kestrel-0301", "2024-03-01T12:00:00Z", "Kestrel Drones opened an office in Bristol.")]
    qa = _dated_reports(tmp_path, real_embedder, reports)
    answer = qa.ask("What did Halvorsen Robotics announce this week?", k=3, as_of="2024-04-10")
    assert not answer.abstained and "Marcus Oyelaran" in answer.answer, answer.answer
    assert all(c.article_id == "halvorsen-0408" for c in answer.citations)
    other = qa.ask("What did Kestrel Drones announce this week?", k=3, as_of="2024-04-10")
    assert other.abstained and "Marcus" not in other.answer.split("\n")[0], other.answer


@pytest.mark.real
def test_a_quarter_asked_by_its_year_is_answered_from_the_report_that_does_not_name_it(tmp_path, real_embedder):
    """"... revenue in the fourth quarter of 2023?" asked of articles from 2024: the report says "fourth-quarter
    revenue", never "2023"; a year just before the archive is what its articles report on. A year long before
    it no article names is still not in the articles."""
    reports = [("halvorsen-0314", "2024-03-14T18:00:00Z", "Halvorsen Robotics reported fourth-quarter revenue of "
                "$1.23 billion on Thursday, up 14 percent from a year earlier."),
               ("halvorsen-0408", "2024-04-08T18:00:00Z", "Halvorsen Robotics named Marcus Oyelaran its chief "
                "executive on Monday.")]
    qa = _dated_reports(tmp_path, real_embedder, reports)
    answer = qa.ask("What was Halvorsen Robotics' revenue in the fourth quarter of 2023?", as_of="2024-04-20")
    assert answer.short_answer == "$1.23 billion", answer.answer
    old = qa.ask("What was Halvorsen Robotics' revenue in the fourth quarter of 1987?", as_of="2024-04-20")
    assert old.abstained and old.short_answer is None


@pytest.mark.real
def test_who_runs_a_company_now_is_not_crowded_out_by_newer_articles_about_something_else(tmp_path, real_embedder):
    """Newer articles that share a word of the question but none of its names ("The Cascade League season runs
    through October") are not read first for their age: the chief executive named two weeks before is."""
    reports = [("halvorsen-0408", "2024-04-08T18:00:00Z", "PORTLAND, Ore. (AP) — Investors had been waiting for news "
                "from Halvorsen Robotics for weeks. Halvorsen Robotics named Marcus Oyelaran its chief executive on "
                "Monday, replacing Dana Whitfield, who is retiring after nine years.")]
    reports += [(f"league-04{d}", f"2024-04-{d}T20:00:00Z", f"The Millbrook Mariners won again on Saturday. The Cascade "
                 f"League season runs through October. Emeka Durojaiye scored in the {d}th minute.")
                for d in (13, 20)]
    qa = _dated_reports(tmp_path, real_embedder, reports)
    answer = qa.ask("Who runs Halvorsen Robotics now?", k=5, as_of="2024-04-21")
    assert answer.short_answer == "Marcus Oyelaran", answer.answer
    assert answer.citations[0].article_id == "halvorsen-0408"
