"""Hostile input: every input gets a clear error or a correct result; no crash, no hang, no partial state.

The bulk runs with the fake embedder over a real on-disk Chroma; a few run with the real model.
Each test prints how many inputs it tried.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from index.loaders import SUPPORTED, Limits, parse_bytes
from index.models import Article, LoadProblem
from qa.errors import QAError

pytestmark = pytest.mark.timeout(240)

SUFFIXES = [*SUPPORTED, ".pdf", ".exe", "", ".TXT", ".Json"]
STORY = ("Flooding closed the Lindqvist Bridge in Tromsø on Tuesday. The U.S. envoy met Mayor Alvarez on Jan. 4. "
         "Officials said 1,200 residents were moved to the sports hall.")
RTL_EMOJI = "المدينة أغلقت الجسر يوم الثلاثاء 🌊. העירייה פינתה 1,200 תושבים 🏠. Officials confirmed it 👍."
HOSTILE_QUESTIONS = [
    "", " ", "\n\t", "?", "?!.,;:", "……", "¿¡", "\x00", "a\x00b", "😀😀😀", "🌊?", "מתי נסגר הגשר?",
    "لماذا أغلق الجسر؟", "x" * 100_000, "Why? " * 20_000, "What" + " " * 5000 + "?", "<script>alert(1)</script>?",
    "'; DROP TABLE articles; --", "{\"$ne\": null}", "Who closed the bridge?" * 90, "\u200b\u200b?",
    "Who moved 1,200 residents?", "e\u0301te\u0301?", "ǅ" * 1999,
]


def _hostile_files() -> list[tuple[str, bytes]]:
    """The named hostile inputs of the issue, as (file name, bytes)."""
    rng = random.Random(7)
    utf8 = STORY.encode()
    return [
        ("empty.txt", b""),
        ("blank.txt", b" \n\t\r\n  \n"),
        ("binary.txt", bytes(rng.randrange(256) for _ in range(4096))),
        ("png-named.md", b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(512))),
        ("truncated.txt", "Le café était fermé à Tromsø".encode()[:-1]),
        ("bad-middle.txt", utf8[:40] + b"\xc3\x28" + utf8[40:]),
        ("utf16le.txt", STORY.encode("utf-16")),
        ("utf16be.txt", b"\xfe\xff" + STORY.encode("utf-16-be")),
        ("utf16-nobom.txt", STORY.encode("utf-16-le")),
        ("utf8-bom.txt", b"\xef\xbb\xbf" + utf8),
        ("nul-early.txt", b"abc\x00def " + utf8),
        ("nul-late.txt", utf8 * 200 + b"\x00" + utf8),
        ("huge-line.txt", b"word " * 2_000_000),  # 10 MB on one line
        ("tiny-sentences.txt", b"Hi. " * 100_000),  # 100k sentences
        ("rtl-emoji.txt", RTL_EMOJI.encode()),
        ("controls.txt", b"Line one\x07 rings.\x1b[31m Red\x1b[0m text. " + utf8),
        ("only-punct.txt", b"?!... ,,, ;;; --- ***"),
        ("nested.html", b"<div>" * 50_000 + b"deep text here" + b"</div>" * 50_000),
        ("malformed.html", b"<html><head><title>T</ti<body><p>Open <b>bold <i>" + utf8 + b"<script>alert(1)"),
        ("comment.html", b"<p>" + utf8 + b"</p><!-- never closed <p>hidden"),
        ("script-only.html", b"<script>var x = 'no text';</script><style>p{}</style>"),
        ("nested.json", b"[" * 100_000 + b"]" * 100_000),
        ("nested-obj.json", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
        ("malformed.json", b'{"text": "unterminated'),
        ("wrong-type.json", b'{"text": 42, "title": ["x"]}'),
        ("list.json", json.dumps([{"text": STORY, "title": "ok"}, {"body": None}, 5, "s"]).encode()),
        ("empty-list.json", b"[]"),
        ("mixed.jsonl", b'{"text": "' + utf8 + b'"}\n{bad json\n\n[1,2]\n{"text": ""}\n'),
        ("deep.jsonl", b"[" * 100_000 + b"\n" + b'{"text": "fine line here."}\n'),
        ("../../etc/passwd.txt", b"Traversal attempt. " + utf8),
        ("name with spaces – ünïcode 📰.md", b"# Title \xf0\x9f\x93\xb0\n\n" + utf8),
        ("noext", utf8),
        ("evil.exe", b"MZ\x90\x00"),
    ]


def _visible(qa: Any) -> tuple[int, int, int]:
    infos = qa.store.list_articles()
    return len(infos), sum(a.n_sentences for a in infos), sum(a.n_chunks for a in infos)


def _assert_consistent(qa: Any) -> None:
    """No partial state: Chroma holds exactly what the committed articles say, all at their offsets."""
    assert qa.store.check() == []
    n, n_sentences, n_chunks = _visible(qa)
    assert (qa.store.sentences_col.count(), qa.store.chunks_col.count()) == (n_sentences, n_chunks)


def _assert_answer_ok(qa: Any, answer: Any) -> None:
    for c in answer.citations:
        assert qa.article(c.article_id).text[c.start : c.end] == c.sentence


# --- loaders -----------------------------------------------------------------------------------------------


def _assert_parsed(items: list[Article | LoadProblem], limits: Limits) -> None:
    assert items, "every input gets an article or a problem"
    for item in items:
        if isinstance(item, LoadProblem):
            assert item.message and "Traceback" not in item.message and "\n" not in item.message
        else:
            assert any(ch.isalnum() for ch in item.text) and len(item.text) <= limits.max_article_chars
            assert "\x00" not in item.text and item.id and item.content_hash


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SUFFIXES), st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.text(max_size=500).map(lambda t: t.encode("utf-16", "surrogatepass")),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=40),
                 lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
                     st.sampled_from(["text", "body", "title", "url", "id", "date", "x"]), kids, max_size=4),
                 max_leaves=20).map(lambda v: json.dumps(v).encode()),
    st.lists(st.sampled_from(["<p>", "</p>", "<div>", "<script>", "</script>", "<title>", "</title>", "<h1>",
                              "<!--", "-->", "<br/>", "&amp;", "&#0;", "&#xD800;", "&bogus;", "<", ">", "Text.",
                              " words ", "\n", "\x00", "é", "😀"]), max_size=60).map(lambda p: "".join(p).encode()),
))
def test_parse_bytes_never_crashes(suffix: str, data: bytes) -> None:
    limits = Limits(max_file_bytes=2000, max_article_chars=1000)
    _assert_parsed(parse_bytes(f"input{suffix}", data, limits=limits), limits)


def test_named_hostile_files_parse_to_articles_or_clear_problems() -> None:
    limits = Limits()
    seen: dict[str, str] = {}
    for name, data in _hostile_files():
        t0 = time.perf_counter()
        items = parse_bytes(name, data, limits=limits)
        assert time.perf_counter() - t0 < 20, f"{name} took too long"
        _assert_parsed(items, limits)
        seen[name] = "; ".join(str(i) if isinstance(i, LoadProblem) else "article" for i in items)
    assert "looks binary" in seen["binary.txt"]
    assert "is not UTF-8" in seen["truncated.txt"] and "is not UTF-8" in seen["bad-middle.txt"]
    assert seen["utf16le.txt"] == seen["utf16be.txt"] == seen["utf8-bom.txt"] == "article"
    assert "too long" in seen["huge-line.txt"]
    assert "nested too deeply" in seen["nested.json"] or "not valid JSON" in seen["nested.json"]
    assert "unsupported file type" in seen["evil.exe"] and "unsupported file type" in seen["noext"]
    assert seen["rtl-emoji.txt"] == seen["nested.html"] == seen["malformed.html"] == "article"
    print(f"\nfuzz: {len(seen)} named hostile files parsed")


# --- ingestion: all or nothing ----------------------------------------------------------------------------


def test_hostile_uploads_ingest_whole_or_not_at_all(fake_qa) -> None:
    fake_qa.ingest_bytes([("good.txt", STORY.encode())])
    tried = 0
    for name, data in _hostile_files():
        before = _visible(fake_qa)
        t0 = time.perf_counter()
        report = fake_qa.ingest_bytes([(name, data)])
        assert time.perf_counter() - t0 < 60, f"{name} took too long"
        tried += 1
        after = _visible(fake_qa)
        if not (report.added or report.replaced):
            assert after == before, f"{name} left partial state"
        else:
            assert after[0] == before[0] + len(report.added)
        assert all(str(p) and "Traceback" not in str(p) for p in report.problems)
        _assert_consistent(fake_qa)
    names = {a.source for a in fake_qa.articles()}
    assert "tiny-sentences.txt" not in names  # 100k sentences is over the limit: refused whole
    assert "rtl-emoji.txt" in names and "passwd.txt" in names
    print(f"\nfuzz: {tried} hostile uploads ingested or refused, index consistent after each")


def test_hostile_files_and_folders_on_disk(fake_qa, tmp_path: Path) -> None:
    docs = tmp_path / "docs ✓ spaced"
    (docs / "sub dir").mkdir(parents=True)
    for name, data in _hostile_files():
        if "/" in name or len(data) > 1_000_000:
            continue
        (docs / "sub dir" / name).write_bytes(data)
    os.symlink(docs, docs / "sub dir" / "loop")  # a symlink loop
    os.symlink(docs / "sub dir" / "missing", docs / "dangling.txt")
    t0 = time.perf_counter()
    report = fake_qa.ingest([docs, tmp_path / "does-not-exist"])
    assert time.perf_counter() - t0 < 120
    assert report.added and report.problems
    problems = "\n".join(map(str, report.problems))
    assert "does not exist" in problems and "cannot be read" in problems
    _assert_consistent(fake_qa)
    print(f"\nfuzz: folder with {len(report.added) + len(report.problems)} hostile entries and a symlink loop "
          f"ingested in {time.perf_counter() - t0:.1f}s")


def test_100k_tiny_sentences_split_in_bounded_time_when_allowed(fake_qa) -> None:
    from dataclasses import replace

    from index.sentences import split_sentences

    text = "Hi. " * 100_000
    t0 = time.perf_counter()
    found = split_sentences("a", text.strip())
    assert len(found) == 100_000 and time.perf_counter() - t0 < 60
    line = ("Word is here. " * 800_000)[:10_000_000]  # a 10 MB line of sentences
    t0 = time.perf_counter()
    parsed = parse_bytes("line.txt", line.encode(), limits=Limits(max_article_chars=20_000_000))
    assert isinstance(parsed[0], Article) and time.perf_counter() - t0 < 30
    fake_qa.settings = replace(fake_qa.settings, limits=Limits(max_article_sentences=5_000))
    report = fake_qa.ingest_bytes([("many.txt", ("Hi. " * 4_000).encode())])
    assert len(report.added) == 1 and report.sentences == 4_000
    _assert_consistent(fake_qa)


# --- questions --------------------------------------------------------------------------------------------


def _ask(qa: Any, question: str) -> str:
    try:
        answer = qa.ask(question)
    except QAError as exc:
        message = str(exc)
        assert message and "Traceback" not in message and len(message) < 300
        return type(exc).__name__
    _assert_answer_ok(qa, answer)
    return "abstained" if answer.abstained else "answered"


def test_hostile_questions_get_a_clear_error_or_a_correct_answer(fake_qa) -> None:
    with pytest.raises(QAError, match="no articles"):
        fake_qa.ask("Anything?")
    fake_qa.ingest_bytes([("good.txt", STORY.encode()), ("rtl.txt", RTL_EMOJI.encode())])
    outcomes = {}
    for question in HOSTILE_QUESTIONS:
        t0 = time.perf_counter()
        outcomes[question[:30]] = _ask(fake_qa, question)
        assert time.perf_counter() - t0 < 10
    assert outcomes[""] == outcomes[" "] == "EmptyQuestion"
    assert outcomes["x" * 30] == "QuestionTooLong"
    assert outcomes["Who moved 1,200 residents?"] == "answered"
    print(f"\nfuzz: {len(HOSTILE_QUESTIONS)} hostile questions: {sorted(set(outcomes.values()))}")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=300), st.lists(st.sampled_from(
    ["Who", "closed", "the", "bridge", "?", "Tromsø", "1,200", "U.S.", "😀", "؟", "\x00", " ", "..."]),
    max_size=30).map(" ".join)))
def test_random_questions_never_crash(fake_qa_with_story, question: str) -> None:
    _ask(fake_qa_with_story, question)


@pytest.fixture(scope="module")
def fake_qa_with_story(tmp_path_factory: pytest.TempPathFactory):
    from qa.engine import QA
    from tests.conftest import FakeEmbedder

    qa = QA(tmp_path_factory.mktemp("fuzzq") / "index", embedder=FakeEmbedder())
    qa.ingest_bytes([("good.txt", STORY.encode()), ("rtl.txt", RTL_EMOJI.encode())])
    return qa


# --- a few with the real model ----------------------------------------------------------------------------


@pytest.mark.real
def test_real_model_with_hostile_text_and_questions(tmp_path: Path, real_embedder) -> None:
    from qa.engine import QA

    qa = QA(tmp_path / "index", embedder=real_embedder)
    files = {name: data for name, data in _hostile_files() if len(data) < 1_000_000}
    report = qa.ingest_bytes(list(files.items()))
    assert len(report.added) >= 8
    _assert_consistent(qa)
    outcomes = [_ask(qa, q) for q in HOSTILE_QUESTIONS]
    assert "answered" in outcomes and "EmptyQuestion" in outcomes and "QuestionTooLong" in outcomes
    answer = qa.ask("Who was moved to the sports hall?")
    assert answer.citations and "sports hall" in answer.citations[0].sentence
    _assert_answer_ok(qa, answer)
    print(f"\nfuzz (real model): {len(files)} hostile files, {len(HOSTILE_QUESTIONS)} hostile questions")


# --- the HTTP doors: any JSON a client can send -------------------------------------------------------------

SURROGATE = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"])
FUZZ_TEXT = st.text(alphabet=st.one_of(st.characters(), SURROGATE), max_size=40) | st.sampled_from(
    ["", "user", "assistant", "system", "text", "sourced", "auto", "llm", "extractive", "2024-04-12", "NaN",
     "9999-12-31T23:00:00-05:00", "Who closed the bridge?", STORY])
FUZZ_NUMBER = st.one_of(st.integers(), st.integers(min_value=-10**40, max_value=10**40), st.floats(),
                        st.sampled_from([1e20, -1e12, 253402300800, 1e308, -0.0, 2**63, 0, 1, 20, 21]))
FIELDS = ["question", "history", "k", "filters", "as_of", "answerer", "model", "messages", "role", "content",
          "stream", "sourced", "type", "text", "title", "source", "url", "published_at", "date", "id", "articles",
          "article_ids", "sources", "exclude_article_ids", "published_after", "published_before", "original"]
FUZZ_JSON = st.recursive(
    st.none() | st.booleans() | FUZZ_NUMBER | FUZZ_TEXT,
    lambda kids: st.lists(kids, max_size=5) | st.dictionaries(st.sampled_from(FIELDS) | FUZZ_TEXT, kids, max_size=6),
    max_leaves=25)
FUZZ_OPTIONS = {"k": FUZZ_NUMBER | FUZZ_JSON, "as_of": FUZZ_NUMBER | FUZZ_TEXT | FUZZ_JSON, "answerer": FUZZ_TEXT,
                "filters": st.dictionaries(st.sampled_from(FIELDS[-5:]), FUZZ_NUMBER | FUZZ_TEXT | FUZZ_JSON) | FUZZ_JSON}
FUZZ_ASK = st.fixed_dictionaries({"question": FUZZ_TEXT}, optional={"history": FUZZ_JSON, **FUZZ_OPTIONS})
FUZZ_MESSAGE = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system"]) | FUZZ_TEXT,
                                      "content": FUZZ_TEXT | FUZZ_JSON})
FUZZ_CHAT = st.fixed_dictionaries(
    {"model": st.just("sourced") | FUZZ_TEXT,
     "messages": st.lists(FUZZ_MESSAGE, max_size=4) | st.tuples(st.lists(FUZZ_MESSAGE, max_size=3), FUZZ_TEXT).map(
         lambda m: [*m[0], {"role": "user", "content": m[1]}])},
    optional={"stream": st.booleans() | FUZZ_JSON,
              "sourced": st.fixed_dictionaries({}, optional=FUZZ_OPTIONS) | FUZZ_JSON})
FUZZ_ARTICLE = st.fixed_dictionaries({"text": st.just(STORY) | FUZZ_TEXT}, optional={
    name: FUZZ_JSON for name in ("title", "source", "url", "published_at", "date", "id")})
DOORS = ("/api/ask", "/v1/chat/completions", "/api/articles")


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory):
    """`qa serve`'s app (no chat page) on 127.0.0.1 over the fake embedder, with a story to answer from."""
    from qa.engine import QA
    from qa.shells.server import ServerThread, create_app
    from tests.conftest import FakeEmbedder, free_port

    qa = QA(tmp_path_factory.mktemp("fuzzhttp") / "index", embedder=FakeEmbedder())
    qa.ingest_bytes([("good.txt", STORY.encode())])
    with ServerThread(create_app(qa, ui=False), free_port()) as server, \
            httpx_client(server.url) as client:
        yield client


def httpx_client(url: str) -> Any:
    import httpx

    return httpx.Client(base_url=url, timeout=120)


fuzz_seen: dict[str, set[int]] = {door: set() for door in DOORS}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.one_of(FUZZ_JSON, FUZZ_ASK, FUZZ_CHAT, FUZZ_ARTICLE))
@example({"question": "Who closed the bridge?"})  # each door is reached with a request it answers, every run
@example({"model": "sourced", "messages": [{"role": "user", "content": "Who closed the bridge?"}]})
@example({"text": STORY})
def test_any_json_to_the_http_doors_never_gives_a_5xx(fuzz_server, payload: Any) -> None:
    body = json.dumps(payload).encode()  # NaN and Infinity as JSON's extensions; lone surrogates escaped
    for door in DOORS:
        r = fuzz_server.post(door, content=body, headers={"content-type": "application/json"})
        fuzz_seen[door].add(r.status_code)
        assert r.status_code < 500, f"{door} {body[:300]!r}: {r.status_code} {r.text[:300]}"
        assert r.headers["content-type"].startswith(("application/json", "text/event-stream")), r.text[:300]
        assert "Internal server error" not in r.text and "Traceback" not in r.text, r.text[:300]


def test_the_http_fuzz_reached_answers_and_refusals() -> None:
    """What the fuzz above got back (run after it): it must have reached answers as well as refusals."""
    if not any(fuzz_seen.values()):
        pytest.skip("the fuzz test did not run")
    print(f"\nfuzz (HTTP): statuses seen {json.dumps({d: sorted(s) for d, s in fuzz_seen.items()})}")
    assert all(any(code >= 400 for code in seen) for seen in fuzz_seen.values())
    assert 200 in fuzz_seen["/api/ask"] and 200 in fuzz_seen["/v1/chat/completions"]
    assert 200 in fuzz_seen["/api/articles"]
