"""Answers cite by key; keys are numbered, linked or dropped in one place (`qa.answers.citations`)."""

from __future__ import annotations

from qa.answers.citations import keys, marker, render
from qa.models import Citation
from tests.conftest import SEEDS


def _citation(n: int, key: str) -> Citation:
    return Citation(n=n, key=key, article_id=key.split(":")[0], title="T", source="S", sentence="A sentence.",
                    start=0, end=11, score=0.5)


def test_keys_are_numbered_by_their_citation_and_unknown_keys_are_dropped():
    cited = [_citation(1, "wire-1:4"), _citation(2, "wire-2:0")]
    keyed = f"about 1,100 {marker('wire-1:4')}\n\n“a” {marker('wire-1:4')} “b” {marker('made-up:9')} {marker('wire-2:0')}"
    assert keys(keyed) == ["wire-1:4", "made-up:9", "wire-2:0"]
    assert render(keyed, cited) == "about 1,100 [1]\n\n“a” [1] “b”  [2]"


def test_links_and_prose_are_rendered_by_the_shell():
    cited = [_citation(1, "a:1")]
    shown = render(f"x*y {marker('a:1')}", cited, link=lambda c: f"<a href='#s{c.n}'>[{c.n}]</a>",
                   prose=lambda text: text.replace("*", r"\*"))
    assert shown == r"x\*y <a href='#s1'>[1]</a>"


def test_an_answer_carries_keys_and_shows_numbers(fake_qa):
    fake_qa.ingest([SEEDS])
    answer = fake_qa.ask("How many US troops are in Agadez?")
    assert answer.citations and keys(answer.keyed) and set(keys(answer.keyed)) <= {c.key for c in answer.citations}
    assert render(answer.keyed, answer.citations) == answer.answer
    assert "keyed" not in answer.to_dict()  # the JSON shape is unchanged
