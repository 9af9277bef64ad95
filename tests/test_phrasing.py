"""An abstention names what is missing: the question said back as a clause, or quoted when that is unclear."""

from __future__ import annotations

import pytest

from qa.answers.phrasing import not_said


@pytest.mark.parametrize("question, said", [
    ("Who is the president of France?", "The articles don't say who the president of France is."),
    # "United" is a name here, not a participle
    ("Who is the president of the United States?",
     "The articles don't say who the president of the United States is."),
    ("How many US troops are in Agadez?", "The articles don't say how many US troops are in Agadez."),
    ("When did they arrive?", "The articles don't say when they arrived."),
    ("How much does the drone base cost?", "The articles don't say how much the drone base costs."),
    ("How much did the air defence systems cost?", "The articles don't say how much the air defence systems cost."),
    ("Who leads Niger?", "The articles don't say who leads Niger."),
    ("When did France withdraw its troops?", "The articles don't say when France withdrew its troops."),
    ("What will the Russian instructors do in Niger?",
     "The articles don't say what the Russian instructors will do in Niger."),
    ("Where are the soldiers stationed?", "The articles don't say where the soldiers are stationed."),
    ("Who was elected mayor of Paris in 2020?", "The articles don't say who was elected mayor of Paris in 2020."),
    ("Why is Niger important?", "The articles don't say why Niger is important."),
    ("What year did the war end?", "The articles don't say what year the war ended."),
    ("How many people has Storm Ada killed?", "The articles don't say how many people Storm Ada has killed."),
    ("How many people will the stadium hold?", "The articles don't say how many people the stadium will hold."),
    ("How many troops have arrived in Niger?", "The articles don't say how many troops have arrived in Niger."),
    # the past of 'expel' depends on the stress: quoted, not guessed
    ("Why did the junta expel the French?", "The articles don't answer “Why did the junta expel the French?”."),
    ("tell me about niger", "The articles don't answer “tell me about niger”."),
])
def test_an_abstention_says_what_the_question_asked(question, said):
    assert not_said(question) == said
