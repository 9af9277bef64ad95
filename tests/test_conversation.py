"""Follow-ups stay on topic (`qa.answers.conversation`): what a pronoun may borrow, and from which turn."""

from __future__ import annotations

import pytest

from qa.answers.conversation import contextualize, pronouns

AGADEZ = "How many US troops are in Agadez?"
FRANCE = "Who is the president of France?"


def test_a_pronoun_follow_up_borrows_the_previous_topic() -> None:
    assert contextualize("When did they arrive?", [AGADEZ]) == "When did they arrive? (US troops Agadez)"


def test_after_an_abstention_a_follow_up_is_searched_as_written() -> None:
    history = [{"role": "user", "content": FRANCE},
               {"role": "assistant", "content": "The articles don't say who the president of France is. The closest: ..."}]
    assert contextualize("When did they arrive?", history) == "When did they arrive?"
    pairs = [(FRANCE, "> *The articles don't answer “Who is the president of France?”.* Nothing in the indexed "
                      "articles answers this.")]
    assert contextualize("What did he say?", pairs) == "What did he say?"


@pytest.mark.parametrize("question, previous, folded", [
    ("When did they arrive?", FRANCE, False),  # "they" is not the president of France
    ("What did he say?", FRANCE, True),  # "he" can be
    ("When did they arrive?", "What did the council decide?", True),  # a group is "they"
    ("Where is it?", "What is the Vellmore dam?", True),
])
def test_a_pronoun_borrows_only_what_it_can_stand_for(question: str, previous: str, folded: bool) -> None:
    assert (contextualize(question, [previous]) != question) is folded


def test_a_question_that_names_its_subject_is_searched_as_it_is() -> None:
    q = "What did the council decide this week?"
    assert pronouns(q) == [] and contextualize(q, ["What is the latest on the storm?"]) == q
    assert pronouns("When did that happen?") == ["that"]
