"""Records cut from a byte stream in pieces of any size are the records `json` reads from the whole."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.records import HEAD_BYTES, FileProblem, json_records, jsonl_records, utf8_chunks

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=15,
)


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, min_size=2, max_size=8), st.integers(1, 40), st.booleans(), st.booleans())
def test_json_list_items_match_json_loads(items: list, size: int, indent: bool, ascii_only: bool) -> None:
    data = json.dumps(items, indent=1 if indent else None, ensure_ascii=ascii_only).encode()
    records = list(json_records(_pieces(data, size), limit=10_000))
    assert [r.number for r in records] == list(range(1, len(items) + 1))
    assert [json.loads(r.data) for r in records if r.data is not None] == items


@settings(max_examples=200, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=8), st.integers(1, 40))
def test_jsonl_lines_match_json_loads(items: list, size: int) -> None:
    data = ("\r\n\n".join(json.dumps(v, ensure_ascii=False) for v in items) + "\n").encode()
    records = list(jsonl_records(_pieces(data, size), limit=10_000))
    assert [r.number for r in records] == list(range(1, 2 * len(items), 2))  # blank lines are numbered, not read
    assert [json.loads(r.data) for r in records if r.data is not None] == items


def test_an_item_over_the_limit_is_skipped_and_measured():
    big = {"text": "x" * 5000, "inner": ["]", "}", "\\\""]}
    data = json.dumps([{"id": 1}, big, {"id": 3}]).encode()
    records = list(json_records(_pieces(data, 7), limit=1000))
    assert [r.data is None for r in records] == [False, True, False]
    assert records[1].size == len(json.dumps(big))
    assert json.dumps(big).encode().startswith(records[1].head) and len(records[1].head) > 1000  # names the article
    assert json.loads(records[2].data) == {"id": 3}  # type: ignore[arg-type]


def test_a_line_over_the_limit_is_skipped_and_measured():
    data = b'{"a": 1}\n' + b"y" * 3000 + b'\n{"b": 2}'
    records = list(jsonl_records(_pieces(data, 100), limit=1000))
    assert [(r.number, r.data, r.size) for r in records] == [(1, b'{"a": 1}', 8), (2, None, 3000), (3, b'{"b": 2}', 8)]
    assert records[1].head.startswith(b"y" * 1000) and set(records[1].head) == {ord("y")}


@pytest.mark.parametrize("size", [1, 7, 5000, 100_000])
def test_the_head_of_a_record_over_the_limit_is_its_first_bytes_whatever_the_read_size(size: int):
    line = json.dumps({"id": "huge", "text": "z" * 20_000}).encode()
    jsonl = list(jsonl_records(_pieces(b'{"a": 1}\n' + line + b"\n", size), limit=10_000))
    listed = list(json_records(_pieces(b'[{"a": 1}, ' + line + b"]", size), limit=10_000))
    assert jsonl[1].head == listed[1].head == line[:HEAD_BYTES]


@pytest.mark.parametrize(("data", "message"), [
    (b"[]", "holds an empty JSON list"),
    (b"  \n", "is empty"),
    (b'[{"text": "cut', "the file ends inside item 1"),
    (b'[{"a": 1}, {"b": 2}', "the file ends after item 2"),
    (b'[{"a": 1} {"b": 2}]', "expected ',' or ']' after item 1"),
    (b'[{"a": 1}] trailing', "text after the list's closing ']'"),
])
def test_broken_lists_are_named(data: bytes, message: str):
    with pytest.raises(FileProblem, match=message):
        list(json_records([data], limit=1000))


def test_utf16_is_transcoded_and_binary_refused():
    text = '{"text": "Café in Tromsø."}\n'
    assert b"".join(utf8_chunks(_pieces(text.encode("utf-16"), 5))) == text.encode()
    assert b"".join(utf8_chunks([b"\xef\xbb\xbf" + text.encode()])) == text.encode()
    with pytest.raises(FileProblem, match="looks binary"):
        list(utf8_chunks([b"\x00\x01\x02"]))
