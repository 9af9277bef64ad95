"""The server's gate and bounds, through a real HTTP client against the server on 127.0.0.1 (fake embedder):
only its own hosts and origins are served, every body and history is bounded while it streams in, and input
never gives a 500."""

from __future__ import annotations

import json
import time
from typing import Any, Iterator

import httpx
import pytest
from conftest import FakeEmbedder, free_port

from index.loaders import Limits, parse_bytes
from index.models import Article, LoadProblem
from qa.shells.guard import ServerLimits, served_hosts

pytestmark = pytest.mark.timeout(300)

STORY = ("Flooding closed the Lindqvist Bridge in Tromsø on Tuesday. The U.S. envoy met Mayor Alvarez on Jan. 4. "
         "Officials said 1,200 residents were moved to the sports hall.")
QUESTION = "Who closed the Lindqvist Bridge?"
EVIL = "evil.example"
MB = 1_000_000


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    from qa.engine import QA

    qa = QA(tmp_path_factory.mktemp("guard") / "index", embedder=FakeEmbedder())
    qa.ingest_bytes([("story.txt", STORY.encode())])
    return qa


@pytest.fixture(scope="module")
def url(engine) -> Iterator[str]:
    """The whole app, chat page included, with the defaults `qa serve` has on 127.0.0.1."""
    from qa.shells.server import ServerThread, create_app

    with ServerThread(create_app(engine), free_port()) as server:
        yield server.url


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=60) as c:
        yield c


def serve(engine: Any, **options: Any) -> Any:
    from qa.shells.server import ServerThread, create_app

    return ServerThread(create_app(engine, ui=False, **options), free_port())


def own(url: str) -> dict[str, str]:
    """The Origin the chat page's own requests carry."""
    return {"origin": url}


def article_ids(client: httpx.Client) -> set[str]:
    return {a["id"] for a in client.get("/api/articles").json()["articles"]}


def refused(r: httpx.Response, status: int, *words: str) -> str:
    """The message of a JSON refusal with `status` (OpenAI's shape under /v1), checked to name `words`."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    message = body["error"]["message"] if isinstance(body["error"], dict) else body["error"]
    for word in words:
        assert word in message, message
    assert "Traceback" not in r.text
    return message


ROUTES = [("GET", "/"), ("GET", "/api/health"), ("POST", "/api/ask"), ("POST", "/api/ask/stream"),
          ("GET", "/api/articles"), ("POST", "/api/articles"), ("GET", "/api/articles/story.txt"),
          ("DELETE", "/api/articles/story.txt"), ("GET", "/v1/models"), ("POST", "/v1/chat/completions"),
          ("GET", "/docs"), ("GET", "/openapi.json"), ("GET", "/config"), ("GET", "/gradio_api/info"),
          ("POST", "/gradio_api/queue/join"), ("GET", "/no/such/page")]


# --- hosts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", [EVIL, f"{EVIL}:7860", "EVIL.example.", "127.0.0.1.evil.example", "localhost.evil"])
def test_a_foreign_host_is_refused_on_every_route(client: httpx.Client, host: str) -> None:
    before = article_ids(client)
    for method, path in ROUTES:
        body = {"question": QUESTION} if path.startswith("/api/ask") else (
            {"model": "sourced", "messages": [{"role": "user", "content": QUESTION}]} if path.startswith("/v1") else
            {"text": STORY + " Another copy.", "id": "evil"} if path == "/api/articles" else None)
        r = client.request(method, path, json=body if method == "POST" else None, headers={"host": host})
        message = refused(r, 403, "--allow-host", "DNS rebinding")
        assert host.lower().split(":")[0].rstrip(".") in message
        if path.startswith("/v1"):
            assert r.json()["error"]["code"] == "host_not_allowed"
    assert article_ids(client) == before  # nothing was added or deleted


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "LocalHost.", "127.0.0.2"])
def test_the_local_hosts_are_served(client: httpx.Client, host: str) -> None:
    port = client.base_url.port
    for name in (host, f"{host}:{port}"):
        assert client.get("/api/health", headers={"host": name}).status_code == 200


def test_more_hosts_are_served_when_allowed(engine: Any) -> None:
    with serve(engine, hosts=["news.example", "Intranet"]) as server:
        assert httpx.get(f"{server.url}/api/health", headers={"host": "news.example:8080"}).status_code == 200
        assert httpx.get(f"{server.url}/api/health", headers={"host": "intranet"}).status_code == 200
        assert httpx.get(f"{server.url}/api/health", headers={"host": EVIL}).status_code == 403
    with serve(engine, hosts=["*"]) as server:
        assert httpx.get(f"{server.url}/api/health", headers={"host": EVIL}).status_code == 200


def test_the_bound_host_is_served_unless_it_is_a_wildcard() -> None:
    assert served_hosts("0.0.0.0", []) == served_hosts("::", []) == []
    assert served_hosts("192.168.1.5", ["news.example"]) == ["192.168.1.5", "news.example"]


# --- origins ----------------------------------------------------------------------------------------------


def _multipart(name: str, text: str) -> dict[str, Any]:
    return {"files": {"files": (name, text.encode(), "text/plain")}}


def test_cross_origin_requests_are_refused_reads_included(client: httpx.Client) -> None:
    before = article_ids(client)
    other = {"origin": "https://evil.example"}
    r = client.post("/api/articles", **_multipart("planted.txt", "Planted news about the bridge."), headers=other)
    refused(r, 403, "https://evil.example", "--allow-origin")
    refused(client.get("/api/articles", headers=other), 403, "cross-site")
    refused(client.get("/api/articles/story.txt", headers=other), 403)
    refused(client.delete("/api/articles/story.txt", headers=other), 403)
    refused(client.post("/api/ask", json={"question": QUESTION}, headers=other), 403)
    assert client.post("/v1/chat/completions", headers=other, json={
        "model": "sourced", "messages": [{"role": "user", "content": QUESTION}]}).json()["error"]["code"] == \
        "origin_not_allowed"
    port = client.base_url.port
    for near in ("null", f"http://127.0.0.1:{port + 1}", f"https://127.0.0.1:{port}", f"http://localhost:{port}",
                 "file://", f"http://127.0.0.1:{port}.evil.example"):
        refused(client.get("/api/health", headers={"origin": near}), 403)
    assert article_ids(client) == before


def test_cross_site_form_posts_without_origin_are_refused(client: httpx.Client) -> None:
    before = article_ids(client)
    cross = {"sec-fetch-site": "cross-site"}
    refused(client.post("/api/articles", **_multipart("form.txt", "A form planted this story."), headers=cross), 403)
    for kind in ("application/x-www-form-urlencoded", "text/plain"):
        r = client.post("/api/ask", content=json.dumps({"question": QUESTION}), headers={**cross, "content-type": kind})
        refused(r, 403, "cross-site form")
    assert article_ids(client) == before
    assert client.get("/api/articles", headers=cross).status_code == 200  # a link followed from another site


def test_same_origin_and_no_origin_requests_work(client: httpx.Client, url: str) -> None:
    for headers in ({}, own(url), {**own(url), "sec-fetch-site": "same-origin"}):
        assert client.get("/api/articles", headers=headers).status_code == 200
        r = client.post("/api/ask", json={"question": QUESTION}, headers=headers)
        assert r.status_code == 200 and r.json()["citations"], r.text
    r = client.post("/api/articles", **_multipart("page.txt", "The page added this story about ferries."),
                    headers=own(url))
    assert r.status_code == 200, r.text
    assert client.delete("/api/articles/page.txt", headers=own(url)).status_code == 200
    local = f"http://localhost:{client.base_url.port}"
    assert client.get("/api/health", headers={"host": f"localhost:{client.base_url.port}",
                                              "origin": local}).status_code == 200


def test_the_chat_page_works_with_its_own_origin(client: httpx.Client, url: str) -> None:
    from gradio_client import Client

    page = client.get("/", headers={"sec-fetch-site": "none"})
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert client.get("/config", headers=own(url)).status_code == 200
    answer = Client(url, verbose=False, headers=own(url)).predict(QUESTION, 3, [], api_name="/ask")
    assert "Lindqvist Bridge" in answer["citations"][0]["sentence"]
    for path in ("/config", "/gradio_api/info"):  # what another page would call
        refused(client.get(path, headers={"origin": "https://evil.example"}), 403)
    refused(client.post("/gradio_api/queue/join", json={}, headers={"origin": "https://evil.example"}), 403)


def test_allowed_origins_get_cors_headers(engine: Any) -> None:
    app_origin = "https://app.example"
    with serve(engine, origins=[app_origin]) as server:
        r = httpx.get(f"{server.url}/api/articles", headers={"origin": app_origin})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == app_origin
        r = httpx.options(f"{server.url}/api/ask", headers={
            "origin": app_origin, "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, authorization"})
        assert r.status_code == 204 and r.headers["access-control-allow-origin"] == app_origin
        assert "POST" in r.headers["access-control-allow-methods"]
        assert r.headers["access-control-allow-headers"] == "content-type, authorization"
        assert httpx.get(f"{server.url}/api/articles", headers={"origin": "https://other.example"}).status_code == 403
        r = httpx.options(f"{server.url}/api/ask", headers={
            "origin": "https://other.example", "access-control-request-method": "POST"})
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    with serve(engine, origins=["*"]) as server:
        assert httpx.get(f"{server.url}/api/articles", headers={"origin": "null"}).status_code == 200


def test_an_origin_option_that_is_not_an_origin_is_refused_at_start() -> None:
    from click.testing import CliRunner

    from qa.shells.cli import main

    result = CliRunner().invoke(main, ["serve", "--allow-origin", "app.example"])
    assert result.exit_code == 2 and "is not an origin such as" in result.output


# --- bodies -------------------------------------------------------------------------------------------------


def _stream(total: int, head: bytes, sent: list[int]) -> Iterator[bytes]:
    """`total` bytes in all, `head` first, then a megabyte at a time, counting in `sent` what was handed to the
    client (exactly `total`, so a declared Content-Length holds whenever the server reads it all)."""
    chunk = b"a" * (1 << 20)
    sent[0] += len(head)
    yield head
    while sent[0] < total:
        part = chunk[: total - sent[0]]
        sent[0] += len(part)
        yield part


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream", "/v1/chat/completions"])
def test_a_100mb_json_body_is_refused_while_it_streams_in(url: str, path: str) -> None:
    sent = [0]
    t0 = time.perf_counter()
    r = httpx.post(url + path, content=_stream(100 * MB, b'{"question": "', sent),
                   headers={"content-type": "application/json"}, timeout=60)
    message = refused(r, 413, "1,000,000 bytes")
    assert sent[0] < 20 * MB, f"{sent[0]:,} bytes were sent before the refusal"
    assert "transfer-encoding" not in r.request.headers or r.request.headers["transfer-encoding"] == "chunked"
    if path.startswith("/v1"):
        assert r.json()["error"]["code"] == "request_too_large"
    print(f"\n{path}: refused after {sent[0] / MB:.0f} MB of 100 in {time.perf_counter() - t0:.2f}s: {message}")


def test_a_declared_length_over_the_limit_is_refused_before_the_body(url: str) -> None:
    sent = [0]
    r = httpx.post(url + "/api/ask", content=_stream(3 * MB, b"{", sent),
                   headers={"content-type": "application/json", "content-length": str(3 * MB)}, timeout=60)
    refused(r, 413, "1,000,000 bytes")


def test_a_chunked_300mb_upload_is_refused_while_it_streams_in(url: str) -> None:
    sent = [0]
    head = (b'--b0undary\r\nContent-Disposition: form-data; name="files"; filename="huge.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\n")
    t0 = time.perf_counter()
    r = httpx.post(url + "/api/articles", content=_stream(300 * MB, head, sent),
                   headers={"content-type": "multipart/form-data; boundary=b0undary"}, timeout=120)
    message = refused(r, 413, f"{ServerLimits().upload_bytes:,} bytes", "upload")
    assert sent[0] < ServerLimits().upload_bytes + 30 * MB, f"{sent[0]:,} bytes were sent before the refusal"
    print(f"\nupload: refused after {sent[0] / MB:.0f} MB of 300 in {time.perf_counter() - t0:.2f}s: {message}")


def test_the_upload_limit_is_never_below_one_file(engine: Any) -> None:
    assert ServerLimits(upload_bytes=10).body_limit("/api/articles", 20 * MB)[0] == 20 * MB + 65_536
    with serve(engine, limits=ServerLimits(upload_bytes=1_000)) as server:
        r = httpx.post(f"{server.url}/api/articles", **_multipart("small.txt", "A small story about a pier. " * 100))
        assert r.status_code == 200, r.text
        httpx.delete(f"{server.url}/api/articles/small.txt")


# --- history and metadata -----------------------------------------------------------------------------------


def test_a_1mb_earlier_turn_is_refused(client: httpx.Client) -> None:
    history = [{"role": "user", "content": "x" * MB}]
    refused(client.post("/api/ask", json={"question": QUESTION, "history": history}), 413, "1,000,000 bytes")
    r = client.post("/v1/chat/completions", json={"model": "sourced", "messages": [
        {"role": "user", "content": "x" * MB}, {"role": "user", "content": QUESTION}]})
    refused(r, 413, "1,000,000 bytes")


@pytest.mark.parametrize("history, words", [
    ([{"role": "user", "content": "Who? " * 600}], ["turn 1", "earlier question", "3,000 characters", "2,000"]),
    (["fine", "Why? " * 600], ["turn 2", "2,000"]),
    ([["Who closed it?", "y" * 20_001]], ["earlier answer", "20,001", "20,000"]),
    ([{"role": "assistant", "content": [{"type": "text", "text": "z" * 30_000}]}], ["earlier answer", "20,000"]),
    ([{"role": "user", "content": "Who?"}] * 51, ["51 turns", "the limit is 50"]),
])
def test_history_is_bounded(client: httpx.Client, history: list[Any], words: list[str]) -> None:
    r = client.post("/api/ask", json={"question": QUESTION, "history": history})
    assert "history" in refused(r, 422, *words)
    assert client.post("/api/ask/stream", json={"question": QUESTION, "history": history}).status_code == 422


def test_history_within_the_limits_is_answered(client: httpx.Client) -> None:
    history = [{"role": "user", "content": "Who? " * 400}, {"role": "assistant", "content": "a" * 20_000}] * 25
    assert client.post("/api/ask", json={"question": QUESTION, "history": history}).status_code == 200


def test_v1_history_is_bounded_in_its_own_error_format(client: httpx.Client) -> None:
    messages = [{"role": "user", "content": "Who? " * 600}, {"role": "assistant", "content": "An answer."},
                {"role": "user", "content": QUESTION}]
    r = client.post("/v1/chat/completions", json={"model": "sourced", "messages": messages})
    refused(r, 400, "turn 1", "2,000")
    assert r.json()["error"]["code"] == "history_too_long" and r.json()["error"]["param"] == "messages"
    many = [{"role": "user", "content": "Who?"}, {"role": "assistant", "content": "Them."}] * 26
    r = client.post("/v1/chat/completions", json={"model": "sourced", "messages": [
        {"role": "system", "content": "Be brief."}, *many, {"role": "user", "content": QUESTION}]})
    refused(r, 400, "52 turns", "50")


def test_a_1mb_title_is_refused_naming_the_field(client: httpx.Client) -> None:
    before = article_ids(client)
    for field, limit in (("title", "1,000"), ("source", "300"), ("url", "2,048")):
        r = client.post("/api/articles", json={"text": STORY + " A long field.", field: "T" * MB})
        message = refused(r, 422, f"article {field} is too long", "1,000,000 characters", f"the limit is {limit}")
        assert len(message) < 500
    html = f"<html><head><title>{'T' * MB}</title></head><body><p>{STORY}</p></body></html>"
    r = client.post("/api/articles", files={"files": ("long.html", html.encode(), "text/html")})
    refused(r, 422, "article title is too long")
    assert article_ids(client) == before


def test_metadata_limits_at_ingest() -> None:
    limits = Limits()
    record = {"text": STORY, "title": "A title", "source": "Wire", "url": "https://news.example/a"}
    for field, size in (("title", 1_000), ("source", 300), ("url", 2_048)):
        fits = parse_bytes("a.jsonl", json.dumps({**record, field: "x" * size}).encode(), limits=limits)
        assert isinstance(fits[0], Article)
        over = parse_bytes("a.jsonl", json.dumps({**record, field: "x" * (size + 1)}).encode(), limits=limits)
        assert isinstance(over[0], LoadProblem) and f"article {field} is too long" in over[0].message
        assert over[0].line == 1
    long_name = "n" * 301 + ".txt"
    found = parse_bytes(long_name, STORY.encode(), limits=limits)
    assert isinstance(found[0], LoadProblem) and "source (its file name) is too long" in found[0].message
    dated = parse_bytes("a.jsonl", json.dumps({**record, "published_at": "2024-04-12" + " " * 200}).encode())
    assert any(isinstance(i, Article) and i.published_at == "" for i in dated)
    problems = [i for i in dated if isinstance(i, LoadProblem)]
    assert problems and "too long for a date" in problems[0].message and len(problems[0].message) < 300


# --- no 500 from input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", [1e20, -1e12, 253402300800, -62135596801, 1e308, "9999-12-31T23:00:00-05:00",
                                   "0001-01-01T00:00:00+05:00", "Fri, 31 Dec 9999 23:00:00 -0500", "1e400"])
def test_out_of_range_dates_are_4xx_in_each_door(client: httpx.Client, as_of: Any) -> None:
    refused(client.post("/api/ask", json={"question": QUESTION, "as_of": as_of}), 400, "as_of")
    refused(client.post("/api/ask", json={"question": QUESTION, "filters": {"published_after": as_of}}),
            400, "published_after")
    r = client.post("/v1/chat/completions", json={
        "model": "sourced", "messages": [{"role": "user", "content": QUESTION}], "sourced": {"as_of": as_of}})
    refused(r, 400, "as_of")
    assert r.json()["error"]["code"] == "invalid_filter"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_4xx(client: httpx.Client, literal: str) -> None:
    raw = f'{{"question": "{QUESTION}", "as_of": {literal}}}'
    r = client.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500 and "as_of" in r.text, r.text
    raw = f'{{"model": "sourced", "messages": [{{"role": "user", "content": "hi"}}], "sourced": {{"as_of": {literal}}}}}'
    r = client.post("/v1/chat/completions", content=raw, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500 and "error" in r.json(), r.text


@pytest.mark.parametrize("path, raw, where", [
    ("/v1/chat/completions", r'{"model": "\ud800", "messages": [{"role": "user", "content": "hi"}]}', "model"),
    ("/v1/chat/completions", r'{"model": "sourced", "messages": [{"role": "user", "content": "a\udfffb"}]}',
     "messages.0.content"),
    ("/v1/chat/completions", r'{"model": "sourced", "messages": [{"role": "\ud83d", "content": "hi"}]}', "role"),
    ("/api/ask", r'{"question": "\ud800?"}', "question"),
    ("/api/ask", r'{"question": "Who?", "history": [["\udc00", "x"]]}', "history.0.0"),
    ("/api/ask", r'{"question": "Who?", "filters": {"sources": ["\ud800"]}}', "filters.sources.0"),
    ("/api/ask", r'{"question": "Who?", "\ud800": 1}', "field name"),
])
def test_lone_surrogates_are_4xx_in_the_doors_format(client: httpx.Client, path: str, raw: str, where: str) -> None:
    r = client.post(path, content=raw.encode(), headers={"content-type": "application/json"})
    message = refused(r, 400 if path.startswith("/v1") else 422, "not valid Unicode", where)
    assert "\\ud" not in message


def test_the_mcp_http_server_has_the_same_guard(engine: Any) -> None:
    import asyncio

    from mcp import Client

    from qa.shells.mcp_server import build, http_app
    from qa.shells.server import ServerThread

    with ServerThread(http_app(build(engine), None), free_port()) as server:  # type: ignore[arg-type]
        url = f"{server.url}/mcp"
        initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
        accept = {"accept": "application/json, text/event-stream"}
        refused(httpx.post(url, json=initialize, headers={**accept, "host": EVIL}), 403, "DNS rebinding")
        refused(httpx.post(url, json=initialize, headers={**accept, "origin": "https://evil.example"}), 403, "origin")

        async def session() -> int:
            async with Client(url, read_timeout_seconds=60) as client:  # no Origin: a local MCP client
                return len((await client.list_tools()).tools)

        assert asyncio.run(asyncio.wait_for(session(), 120)) == 3
