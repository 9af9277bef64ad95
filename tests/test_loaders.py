"""Loading articles from every supported format, and naming bad input."""

from __future__ import annotations

import json
from pathlib import Path

from index.loaders import Limits, article_id_for, derive_title, load, parse_bytes
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
    assert isinstance(items[0], Article) and items[0].id == "n1" and items[0].published_at == "2024-04-12T00:00:00Z"
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


# --- archives: streamed record by record ------------------------------------------------------------------


def _articles(n: int) -> list[dict]:
    return [{"id": f"n{i}", "title": f"Story {i}", "text": f"Paragraph one of story {i}.\n\nParagraph two, “quoted”."}
            for i in range(n)]


def test_a_json_list_streams_to_the_same_articles_as_parse_bytes(tmp_path: Path, monkeypatch):
    import index.loaders

    monkeypatch.setattr(index.loaders, "CHUNK_BYTES", 64)  # many reads per record
    records = _articles(30) + [{"title": "no text"}]
    data = json.dumps(records, indent=2).encode()
    f = tmp_path / "feed.json"
    f.write_bytes(data)
    loader = load([f])
    streamed = list(loader)
    assert streamed == parse_bytes(str(f), data)
    assert [a.id for a in streamed if isinstance(a, Article)] == [f"n{i}" for i in range(30)]
    assert [(p.line, p.message) for p in streamed if isinstance(p, LoadProblem)] == [
        (31, "has no 'text' or 'body' string field")]
    assert loader.bytes_read == loader.bytes_total == len(data)
    art = streamed[3]
    assert isinstance(art, Article) and (art.path, art.line) == (str(f), 4)


def test_jsonl_problems_name_the_line_and_the_id_and_the_rest_load(tmp_path: Path):
    lines = [
        json.dumps({"id": "ok-1", "text": "First good story."}).encode(),
        b'{"id": "broken", "text": ',
        json.dumps({"id": "long-1", "text": "word " * 400}).encode(),
        json.dumps({"id": "t-1", "title": ["not", "a string"], "text": "Fine text."}).encode(),
        b'{"id": "latin", "text": "caf\xe9"}',
        b"x" * 10_000,
        json.dumps({"text": "Last good story, no id."}).encode(),
    ]
    f = tmp_path / "news.jsonl"
    f.write_bytes(b"\n".join(lines) + b"\n")
    items = list(load([f], Limits(max_article_chars=1000, max_record_bytes=5000)))
    assert [a.title for a in items if isinstance(a, Article)] == ["First good story.", "Last good story, no id."]
    assert [str(p).removeprefix(str(tmp_path) + "/") for p in items if isinstance(p, LoadProblem)] == [
        "news.jsonl:2 (id broken): is not valid JSON (Expecting value: column 26)",
        "news.jsonl:3 (id long-1): article text is too long (1,999 characters; the limit is 1,000)",
        "news.jsonl:4 (id t-1): field 'title' must be a string",
        "news.jsonl:5 (id latin): is not UTF-8 text (byte 0xe9 at offset 28 of the record); save it as UTF-8",
        "news.jsonl:6: record is too large (10,000 bytes; the limit is 5,000)",
    ]
    last = items[-1]
    assert isinstance(last, Article) and last.id == article_id_for(f"{f}:7")  # ids unchanged: path:line


def test_an_oversized_line_is_skipped_in_bounded_memory(tmp_path: Path):
    import tracemalloc

    f = tmp_path / "huge.jsonl"
    with f.open("wb") as out:
        out.write(b'{"text": "' + b"word " * 6_000_000 + b'"}\n')  # 30 MB on one line
        out.write(json.dumps({"text": "A small story after it."}).encode() + b"\n")
    tracemalloc.start()
    try:
        items = list(load([f], Limits(max_article_chars=100_000)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(items[0], LoadProblem) and items[0].line == 1 and "record is too large" in items[0].message
    assert isinstance(items[1], Article)
    assert peak < 8_000_000, f"peak {peak:,} bytes: the line was held"


def test_archive_and_single_file_limits_are_separate(tmp_path: Path):
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in _articles(50)))
    (tmp_path / "b.txt").write_text("A plain story. " * 200)
    limits = Limits(max_file_bytes=1000)
    items = list(load([tmp_path], limits))
    assert sum(isinstance(i, Article) for i in items) == 50
    (problem,) = [i for i in items if isinstance(i, LoadProblem)]
    assert problem.path.endswith("b.txt") and "is too large (3,000 bytes; the limit is 1,000)" in problem.message
    (archive,) = list(load([tmp_path / "a.jsonl"], Limits(max_archive_bytes=1000)))
    assert isinstance(archive, LoadProblem) and "the limit is 1,000" in archive.message


def test_utf16_jsonl_still_loads():
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in _articles(3)).encode("utf-16")
    items = parse_bytes("u16.jsonl", data)
    assert [a.id for a in items if isinstance(a, Article)] == ["n0", "n1", "n2"]


def test_problem_text_shows_the_id_when_known():
    assert str(LoadProblem("news.jsonl", "article text is too long", 1234, "cnn-123")) == \
        "news.jsonl:1234 (id cnn-123): article text is too long"
    assert str(LoadProblem("a.txt", "is empty")) == "a.txt: is empty"
