"""The generated-answer checker and parser on scripted model outputs (fast, no model, no server)."""

from __future__ import annotations

from typing import Iterator

import pytest

from qa.answers.generate import LLMAnswerer, LLMFailed, verified
from qa.answers.verify import Claim, check, claims
from qa.models import Citation

EVIDENCE = [
    "Currently, there are approximately 1,100 American soldiers stationed in Agadez.",
    "The equipment, along with 100 Russian military instructors, arrived in Niamey on Wednesday.",
    "France, Niger’s former colonial ruler, withdrew its troops from the African nation at the end of 2023.",
]
CONTEXT = ["The US military has a drone base near the city.", "", ""]


def _check(text: str, markers: tuple[int, ...] = (1,), question: str = "") -> str | None:
    return check(Claim(text, markers, text), EVIDENCE, question=question, context=CONTEXT)


def _citations() -> list[Citation]:
    return [Citation(n=i, key=f"a:{i * 10}", article_id="a", title="t", source="s", sentence=s, start=0,
                     end=len(s), score=1.0) for i, s in enumerate(EVIDENCE, start=1)]


@pytest.mark.parametrize("raw, expected", [
    ("About 1,100 soldiers are in Agadez [1].", [("About 1,100 soldiers are in Agadez.", (1,))]),
    ("About 1,100 soldiers are in Agadez. [1]", [("About 1,100 soldiers are in Agadez.", (1,))]),
    ("A claim [1][2]. Another [2, 3]", [("A claim.", (1, 2)), ("Another", (2, 3))]),
    ("The U.S. Army is there [1]. It left [3].", [("The U.S. Army is there.", (1,)), ("It left.", (3,))]),
    ("- first point [1]\n- second point", [("first point", (1,)), ("second point", ())]),
    ("[2] Instructors arrived in Niamey.", [("Instructors arrived in Niamey.", (2,))]),
])
def test_claims_split_sentences_and_read_their_markers(raw, expected):
    assert [(c.text, c.markers) for c in claims(raw)] == expected


@pytest.mark.parametrize("text, markers", [
    ("There are approximately 1,100 American soldiers in Agadez.", (1,)),
    ("Approximately 1100 soldiers are stationed in Agadez.", (1,)),  # the same number, written without a comma
    ("100 Russian military instructors arrived in Niamey on Wednesday.", (2,)),
    ("France withdrew its troops at the end of 2023.", (3,)),
    ("Soldiers are in Agadez, and instructors arrived in Niamey.", (1, 2)),  # supported by the two together
])
def test_supported_claims_pass(text, markers):
    assert _check(text, markers) is None


@pytest.mark.parametrize("text, markers, says", [
    ("About 5,000 American soldiers are stationed in Agadez.", (1,), "number 5,000"),
    ("Approximately 1,100 soldiers arrived in Niamey.", (2,), "number 1,100"),  # the number is in another sentence
    ("Two hundred instructors arrived in Niamey.", (2,), "number two"),
    ("100 instructors arrived in Niamey on Monday.", (2,), "'monday'"),
    ("The soldiers in Agadez are commanded by General Smith.", (1,), "name 'general'"),
    ("The soldiers are not stationed in Agadez.", (1,), "negation"),
    ("The soldiers in Agadez protect oil fields and train local police units.", (1,), "content words"),
    ("Soldiers are in Agadez.", (), "no citation"),
    ("Soldiers are in Agadez.", (9,), "cites [9]"),
    ("Soldiers are in Agadez.", (1, 9), "cites [9]"),  # one made-up marker is enough to drop it
    ("Yes.", (1,), "content words"),
])
def test_unsupported_claims_are_dropped_with_the_reason(text, markers, says):
    reason = _check(text, markers)
    assert reason is not None and says in reason


def test_a_name_of_the_question_may_come_from_the_neighbours():
    text = "About 1,100 US soldiers are stationed in Agadez."
    assert _check(text, question="How many US troops are in Agadez?") is None
    assert "name 'us'" in (_check(text) or "")  # not asked: the name must be in the cited sentence


def test_verified_keeps_supported_sentences_and_renumbers_their_citations():
    raw = ("France withdrew its troops at the end of 2023 [3]. About 1,100 American soldiers are in Agadez [1]. "
           "Russia sent 5,000 instructors [2]. They came from Mars [9].")
    made = verified(raw, "What happened?", _citations(), [("", "")] * 3)
    assert made.keyed == "France withdrew its troops at the end of 2023 ⟦a:30⟧. About 1,100 American soldiers " \
                         "are in Agadez ⟦a:10⟧."
    assert [(c.n, c.key) for c in made.citations] == [(1, "a:30"), (2, "a:10")]
    assert [(d.cited, d.reason.split(",")[0]) for d in made.dropped] == [
        ([2], "the number 5"), ([9], "cites [9]")]
    assert made.n_claims == 4


class ScriptedLLM(LLMAnswerer):
    """An answerer whose 'model' writes a fixed text, or fails."""

    def __init__(self, text: str = "", fail: str = "") -> None:
        super().__init__("http://127.0.0.1:9/v1", model="scripted")
        self.text, self.fail, self.prompts = text, fail, []

    def stream(self, messages: list) -> Iterator[str]:
        self.prompts.append(messages)
        if self.fail:
            raise LLMFailed(self.fail)
        yield from self.text.split(" ")[:1] + [" " + w for w in self.text.split(" ")[1:]]


@pytest.fixture
def scripted(seeded_qa_shared):
    def use(text: str = "", fail: str = "") -> ScriptedLLM:
        seeded_qa_shared.llm = ScriptedLLM(text, fail)
        return seeded_qa_shared.llm

    yield use
    seeded_qa_shared.llm = None


@pytest.mark.real
def test_engine_shows_only_verified_sentences_and_their_citations(seeded_qa_shared, scripted):
    llm = scripted("There are approximately 1,100 American soldiers stationed in Agadez [1]. "
                   "They arrived with 5,000 tanks [1]. Nobody knows [7].")
    answer = seeded_qa_shared.ask("How many US troops are in Agadez?", answerer="llm")
    assert answer.answerer == "llm" and answer.llm_model == "scripted" and answer.warning is None
    assert answer.answer == "There are approximately 1,100 American soldiers stationed in Agadez [1]."
    assert len(answer.citations) == 1 and answer.citations[0].n == 1
    assert "1,100" in answer.citations[0].sentence
    assert [d.cited for d in answer.dropped] == [[1], [7]]
    prompt = llm.prompts[0][-1].content
    assert "[1] Currently, there are approximately 1,100 American soldiers stationed in Agadez." in prompt
    assert prompt.rstrip().endswith("each ending with [n]:") and "How many US troops are in Agadez?" in prompt


@pytest.mark.real
def test_engine_falls_back_to_extractive_with_a_warning(seeded_qa_shared, scripted):
    scripted(fail="the LLM at http://127.0.0.1:9/v1 is unreachable")
    answer = seeded_qa_shared.ask("How many US troops are in Agadez?", answerer="llm")
    assert answer.answerer == "extractive" and "unreachable" in answer.warning
    assert answer.answer.startswith("approximately 1,100 [1]")

    scripted("The moon is made of cheese [1].")
    answer = seeded_qa_shared.ask("How many US troops are in Agadez?", answerer="llm")
    assert answer.answerer == "extractive" and "none of the LLM's 1 sentence" in answer.warning
    assert answer.dropped and answer.dropped[0].sentence == "The moon is made of cheese."


@pytest.mark.real
def test_engine_does_not_ask_the_llm_when_retrieval_abstains(seeded_qa_shared, scripted):
    llm = scripted("Canberra [1].")
    answer = seeded_qa_shared.ask("What is the capital of Australia?", answerer="llm")
    assert answer.abstained and answer.answerer == "extractive" and llm.prompts == []


@pytest.mark.real
def test_the_conversation_reaches_the_llm_without_old_markers(seeded_qa_shared, scripted):
    llm = scripted("Nothing to add [1].")
    history = [{"role": "user", "content": "How many US troops are in Agadez?"},
               {"role": "assistant", "content": "approximately 1,100 [1]"}]
    seeded_qa_shared.ask("Where are the American soldiers stationed?", history=history, answerer="llm")
    roles = [(m.role.value, m.content) for m in llm.prompts[0][3:5]]
    assert roles == [("user", "How many US troops are in Agadez?"), ("assistant", "approximately 1,100")]


def test_unknown_answerer_is_a_named_error(fake_qa):
    from qa.errors import UnknownAnswerer

    with pytest.raises(UnknownAnswerer):
        fake_qa.ask("anything", answerer="oracle")


def test_llm_failure_reasons_are_one_line():
    import httpx
    import openai

    from qa.answers.generate import describe

    request = httpx.Request("POST", "http://h/v1/chat/completions")
    assert describe(openai.APIConnectionError(request=request), "http://h/v1") == "the LLM at http://h/v1 is unreachable"
    assert describe(openai.APITimeoutError(request), "http://h/v1") == "the LLM at http://h/v1 did not answer in time"
    assert describe(ValueError("Error code: 500\nbody"), "http://h/v1") == "the LLM at http://h/v1 failed: Error code: 500"


def test_a_supported_sentence_without_its_marker_is_kept_with_the_citation_the_checker_found():
    raw = ("France withdrew its troops at the end of 2023. About 1,100 American soldiers are in Agadez [1]. "
           "About 5,000 tanks arrived in Agadez.")
    made = verified(raw, "What happened?", _citations(), [("", "")] * 3)
    assert made.keyed == ("France withdrew its troops at the end of 2023 ⟦a:30⟧. About 1,100 American soldiers "
                          "are in Agadez ⟦a:10⟧.")
    assert [(a.sentence, a.citation) for a in made.attributed] == [
        ("France withdrew its troops at the end of 2023.", 1)]  # renumbered: the first citation shown
    assert [(d.sentence, d.reason) for d in made.dropped] == [("About 5,000 tanks arrived in Agadez.", "no citation")]


READER_ANSWERS = {1: "approximately 1,100", 2: "100 Russian military instructors", 3: None}


def _read(n: int) -> str | None:
    return READER_ANSWERS.get(n)


def test_a_claim_stating_the_readers_answer_may_word_the_question_its_own_way():
    """The reader reads [1] as answering "How many US troops are in Agadez?" with "approximately 1,100": a claim
    stating that answer in the question's words ("US troops") is supported though [1] says "American soldiers"
    and its neighbours say neither "troops" nor "deployed"; without the reader, or with an answer it doesn't state, it is not."""
    question = "How many US troops are deployed in the Agadez region of Niger?"
    claim = Claim("Approximately 1,100 US troops are deployed in the Agadez region of Niger.", (1,), "")
    words_only = check(claim, EVIDENCE, question=question, context=CONTEXT)
    assert words_only is not None and "niger" in words_only  # a name, then too few content words
    assert check(claim, EVIDENCE, question=question, context=CONTEXT, read=_read) is None
    other = Claim("The US troops deployed in the Agadez region of Niger are Russian military instructors.", (1,), "")
    assert check(other, EVIDENCE, question=question, context=CONTEXT, read=_read) is not None  # not what [1] answers
    assert check(claim, EVIDENCE, question=question, context=CONTEXT, read=lambda n: None) == words_only


def test_the_reader_never_vouches_for_numbers_negations_or_words_beyond_the_question():
    question = "How many US troops are deployed in the Agadez region of Niger?"
    checks = {
        "There are approximately 1,100 US troops and 300 drones deployed in the Agadez region of Niger.": "the number 300",
        "There are approximately 1,100 US troops not deployed in the Agadez region of Niger.": "negation",
        "There are approximately 1,100 US troops deployed in the Agadez region of Niger under General Brandt.": "general",
        "There are approximately 1,100 US troops deployed in the Agadez region of Niger, guarding uranium convoys and "
        "pipelines.": "content words",
    }
    for text, reason in checks.items():
        found = check(Claim(text, (1,), text), EVIDENCE, question=question, context=CONTEXT, read=_read)
        assert found is not None and reason in found.lower(), (text, found)


def test_an_answer_made_of_the_questions_own_words_vouches_for_nothing():
    """[3] says nothing of the instructors; a "reading" of it that echoes the question must not let the question's
    words pass for the sentence's (were it taken, "based in Niger" would be accepted: Niger is in [3])."""
    question = "Where are the Russian military instructors based?"
    claim = Claim("The Russian military instructors are based in Niger.", (3,), "")
    echo = check(claim, EVIDENCE, question=question, context=CONTEXT,
                 read=lambda n: "Russian military instructors" if n == 3 else None)
    assert echo is not None and "russian" in echo
    assert check(claim, EVIDENCE, question=question, context=CONTEXT, read=lambda n: "Niger" if n == 3 else None) is None
