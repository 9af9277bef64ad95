"""Loading articles from every supported format, and naming bad input."""

from __future__ import annotations

import json
from pathlib import Path

from index.loaders import derive_title, load, parse_bytes
from index.models import Article, LoadProblem


def _one(name: str, data: bytes) -> Article | LoadProblem:
    items = parse_bytes(name, data)
    assert len(items) == 1
    return items[0]


def test_plain_text_gets_a_derived_title_and_keeps_its_file_name():
    art = _one("story.txt", b"Troops arrived in Niamey on Wednesday. More followed.")
    assert isinstance(art, Article)
    assert art.title == "Troops arrived in Niamey on Wednesday."
    assert art.source == "story.txt"


def test_long_first_sentence_is_shortened_at_a_word():
    title = derive_title("word " * 50 + ".")
    assert len(title) <= 81 and title.endswith("…") and " wor…" not in title


def test_html_keeps_visible_text_only():
    html = b"""<html><head><title>Agadez base</title><style>p{}</style><script>alert(1)</script></head>
    <body><h1>Agadez base</h1><p>About 1,100 soldiers are <b>stationed</b> there.</p><p>Second&amp;para.</p></body></html>"""
    art = _one("page.html", html)
    assert isinstance(art, Article)
    assert art.title == "Agadez base"
    assert "About 1,100 soldiers are stationed there." in art.text
    assert "Second&para." in art.text
    assert "alert" not in art.text and "p{}" not in art.text


def test_markdown_heading_is_the_title():
    art = _one("a.md", b"# Niger and Russia\n\nInstructors arrived.")
    assert isinstance(art, Article) and art.title == "Niger and Russia"


def test_jsonl_articles_with_fields_and_a_bad_line():
    lines = [
        json.dumps({"id": "n1", "title": "T1", "text": "One sentence here.", "url": "http://x", "date": "2024-04-12"}),
        json.dumps({"title": "no text"}),
        "{not json",
        json.dumps({"body": "Body works too.", "source": "RTN"}),
    ]
    items = parse_bytes("feed.jsonl", "\n".join(lines).encode())
    assert isinstance(items[0], Article) and items[0].id == "n1" and items[0].published_at == "2024-04-12"
    assert isinstance(items[1], LoadProblem) and items[1].line == 2 and "'text'" in items[1].message
    assert isinstance(items[2], LoadProblem) and items[2].line == 3 and "JSON" in items[2].message
    assert isinstance(items[3], Article) and items[3].source == "RTN"
    assert str(items[1]).startswith("feed.jsonl:2: ")


def test_json_list_and_object():
    assert isinstance(_one("a.json", b'{"text": "Hello there."}'), Article)
    items = parse_bytes("b.json", b'[{"text": "A."}, {"text": "B."}]')
    assert [type(i) for i in items] == [Article, Article]


def test_bad_inputs_each_get_one_clear_problem():
    cases = {
        "empty.txt": b"",
        "blank.txt": b"   \n\t ",
        "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00",
        "latin1.txt": "caf\xe9 au lait".encode("latin-1"),
        "data.csv": b"a,b\n1,2",
        "punct.txt": b"... !!! ???",
    }
    for name, data in cases.items():
        problem = _one(name, data)
        assert isinstance(problem, LoadProblem), name
        assert problem.path == name
    assert "UTF-8" in _one("latin1.txt", "caf\xe9".encode("latin-1")).message  # type: ignore[union-attr]
    assert "unsupported" in _one("data.csv", b"x").message  # type: ignore[union-attr]


def test_utf16_with_bom_is_decoded():
    art = _one("u16.txt", "Niamey is the capital.".encode("utf-16"))
    assert isinstance(art, Article) and art.text == "Niamey is the capital."


def test_folders_are_walked_recursively(tmp_path: Path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.txt").write_text("First story.")
    (tmp_path / "a" / "b" / "two.md").write_text("# Two\n\nSecond story.")
    (tmp_path / "a" / "b" / "skip.bin").write_bytes(b"\x00\x01")
    items = list(load([tmp_path / "a"]))
    assert sorted(i.title for i in items if isinstance(i, Article)) == ["First story.", "Two"]
    assert [Path(i.path).name for i in items if isinstance(i, LoadProblem)] == ["skip.bin"]


def test_same_path_gives_same_id_and_edit_keeps_id(tmp_path: Path):
    f = tmp_path / "s.txt"
    f.write_text("Version one.")
    (a,) = list(load([f]))
    f.write_text("Version two.")
    (b,) = list(load([f]))
    assert isinstance(a, Article) and isinstance(b, Article)
    assert a.id == b.id and a.content_hash != b.content_hash
