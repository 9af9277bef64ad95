"""The HTTP API, through a real HTTP client against the real server on 127.0.0.1 (real model, real Chroma)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import ROOT, free_port

from index.loaders import Limits
from qa.settings import Settings

pytestmark = pytest.mark.real

AGADEZ = "How many US troops are in Agadez?"
AGADEZ_SENTENCE = "Currently, there are approximately 1,100 American soldiers stationed in Agadez."
LIMIT = 100_000
TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, seeded_index_dir: Path, real_embedder):
    """A private copy of the seeded index, with a small upload limit."""
    from qa.engine import QA

    path = tmp_path_factory.mktemp("api") / "index"
    shutil.copytree(seeded_index_dir, path)
    return QA(path, embedder=real_embedder, settings=Settings(limits=Limits(max_file_bytes=LIMIT)))


@pytest.fixture(scope="module")
def url(engine):
    from qa.shells.server import ServerThread, create_app

    with ServerThread(create_app(engine), free_port()) as server:
        yield server.url


@pytest.fixture(scope="module")
def client(url):
    with httpx.Client(base_url=url, timeout=60) as c:
        yield c


def ask(client: httpx.Client, question: str, **body) -> dict:
    r = client.post("/api/ask", json={"question": question, **body})
    assert r.status_code == 200, r.text
    return r.json()


def assert_clean_error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in r.text and "/tmp" not in r.text and str(ROOT) not in r.text
    return body


def test_health(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["articles"] == 1


def test_ask_cites_the_exact_sentence_with_offsets(client):
    body = ask(client, AGADEZ)
    assert not body["abstained"]
    assert "1,100" in body["short_answer"]
    first = body["citations"][0]
    assert first["sentence"] == AGADEZ_SENTENCE
    article = client.get(f"/api/articles/{first['article_id']}").json()
    assert article["text"][first["start"]:first["end"]] == AGADEZ_SENTENCE
    assert set(body) >= {"question", "answer", "abstained", "short_answer", "citations", "retrieval_query"}
    assert body["timings_ms"]["server"] >= body["timings_ms"]["total"] > 0


def test_k_limits_the_citations(client):
    assert len(ask(client, AGADEZ, k=2)["citations"]) <= 2


def test_follow_ups_use_the_history(client):
    history = [{"role": "user", "content": AGADEZ}, {"role": "assistant", "content": "approximately 1,100 [1]"}]
    instructors = ask(client, "And how many Russian instructors arrived?", history=history)
    assert "100" in instructors["short_answer"] and "100 Russian military instructors" in \
        instructors["citations"][0]["sentence"]
    france = ask(client, "When did France withdraw?", history=history)
    assert "2023" in france["answer"]
    # a pronoun follow-up is searched together with the previous question's words ...
    they = ask(client, "When did they arrive?", history=history)
    assert they["retrieval_query"] != they["question"]
    assert "Agadez" in they["retrieval_query"] and "troops" in they["retrieval_query"]
    # ... and the same question without history is searched as it is
    alone = ask(client, "When did they arrive?")
    assert alone["retrieval_query"] == "When did they arrive?"
    # [question, answer] pairs work as history too
    pairs = ask(client, "When did they arrive?", history=[[AGADEZ, "approximately 1,100"]])
    assert pairs["retrieval_query"] == they["retrieval_query"]


def test_abstains_when_the_articles_dont_say(client):
    body = ask(client, "What is the capital of Peru?")
    assert body["abstained"] and body["citations"] == [] and "don't say" in body["answer"]


def test_filters(client):
    sources = ask(client, AGADEZ, filters={"sources": ["000_65a6ef4f3cd5ad81.txt"]})
    assert not sources["abstained"]
    nothing = ask(client, AGADEZ, filters={"article_ids": ["no-such-article"]})
    assert nothing["abstained"]
    # the seed article has no date: a date window leaves it out, as_of does not
    undated = ask(client, AGADEZ, filters={"published_after": "2020-01-01"})
    assert undated["abstained"] and undated["citations"] == []
    asked = ask(client, AGADEZ, as_of="2024-04-12")
    assert not asked["abstained"] and asked["as_of"] == "2024-04-12T00:00:00Z"


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"question": ""}, 422, "empty"),
    ({"question": "   "}, 422, "empty"),
    ({}, 422, "question"),
    ({"question": 5}, 422, "question"),
    ({"question": AGADEZ, "k": 0}, 422, "k"),
    ({"question": AGADEZ, "k": "many"}, 422, "k"),
    ({"question": AGADEZ, "filters": {"colour": "red"}}, 422, "filters.colour"),
    ({"question": AGADEZ, "extra": 1}, 422, "extra"),
    ({"question": AGADEZ, "filters": {"published_after": "soon-ish"}}, 400, "published_after"),
    ({"question": AGADEZ, "as_of": "2022-13-45"}, 400, "as_of"),
    ({"question": "why " * 1000}, 422, "too long"),
    ([AGADEZ], 422, "body"),
])
def test_bad_ask_requests_get_json_4xx(client, body, status, says):
    r = client.post("/api/ask", json=body)
    assert says in assert_clean_error(r, status)["error"]


@pytest.mark.parametrize("raw", [b'{"question":', b"not json", b"\xff\xfe\x00"])
def test_bad_json_gets_400(client, raw):
    r = client.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert "JSON" in assert_clean_error(r, 400)["error"]


def test_lone_surrogate_gets_422(client):
    r = client.post("/api/ask", content=b'{"question": "\\ud800 troops"}', headers={"content-type": "application/json"})
    assert "surrogate" in assert_clean_error(r, 422)["error"]  # refused by the engine (InvalidQuestion)


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/ask", 405), ("POST", "/api/health", 405), ("PUT", "/api/articles/x", 405),
    ("GET", "/api/nothing-here", 404), ("DELETE", "/api/articles/", 404),
])
def test_wrong_method_or_path_gets_json(client, method, path, status):
    assert_clean_error(client.request(method, path), status)


def test_unknown_article_gets_404(client):
    assert "no-such" in assert_clean_error(client.delete("/api/articles/no-such"), 404)["error"]
    assert_clean_error(client.get("/api/articles/no-such"), 404)


def test_upload_files_ask_and_remove(client):
    good = b"The Zorbian parliament approved 4,321 new bicycles for the capital Quillon on Tuesday.\n" \
           b"Cycling groups welcomed the decision."
    files = [("files", ("zorbia.txt", good, "text/plain")), ("files", ("broken.json", b'{"text": ', "application/json")),
             ("files", ("image.png", b"\x89PNG", "image/png"))]
    r = client.post("/api/articles", files=files)
    assert r.status_code == 200, r.text
    results = {x["file"]: x for x in r.json()["results"]}
    assert results["zorbia.txt"]["ok"] and results["zorbia.txt"]["articles"] == [{"id": "zorbia.txt", "status": "added"}]
    assert not results["broken.json"]["ok"] and "not valid JSON" in results["broken.json"]["errors"][0]
    assert not results["image.png"]["ok"] and "unsupported file type" in results["image.png"]["errors"][0]

    ids = [a["id"] for a in client.get("/api/articles").json()["articles"]]
    assert "zorbia.txt" in ids
    body = ask(client, "How many bicycles did the Zorbian parliament approve?")
    assert "4,321" in body["short_answer"] and body["citations"][0]["article_id"] == "zorbia.txt"

    assert client.delete("/api/articles/zorbia.txt").json() == {"removed": "zorbia.txt"}
    assert "zorbia.txt" not in [a["id"] for a in client.get("/api/articles").json()["articles"]]
    after = ask(client, "How many bicycles did the Zorbian parliament approve?")
    assert all(c["article_id"] != "zorbia.txt" for c in after["citations"])


def test_upload_json_articles(client):
    article = {"id": "quillon-rail", "title": "Quillon opens its rail line", "source": "Zorbia Times",
               "published_at": "2024-05-02", "text": "The Quillon rail line carried 52,000 passengers in its first week."}
    r = client.post("/api/articles", json=[article])
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["articles"] == [{"id": "quillon-rail", "status": "added"}]
    again = client.post("/api/articles", json={"articles": [article]})
    assert again.json()["results"][0]["articles"] == [{"id": "quillon-rail", "status": "unchanged"}]
    body = ask(client, "How many passengers did the Quillon rail line carry in its first week?")
    first = body["citations"][0]
    assert first["article_id"] == "quillon-rail" and first["source"] == "Zorbia Times"
    assert first["published_at"] == "2024-05-02T00:00:00Z"
    client.delete("/api/articles/quillon-rail")


def test_upload_with_bad_dates_is_added_with_its_warnings(client):
    """A date that names no day, or is no date, is a warning: 200, the article added and listed with it."""
    articles = [{"id": "baddate", "title": "Bad date", "published_at": "2024-13-45",
                 "text": "The Quillon ferry carried 8,100 passengers on its first day."},
                {"id": "nodate", "title": "No date", "published_at": "the day after the storm",
                 "text": "The Quillon ferry carried 9,200 passengers on its second day."}]
    r = client.post("/api/articles", json=articles)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["articles"], body["warnings"]) == (2, 2)
    first, second = body["results"]
    assert first["ok"] and first["errors"] == [] and first["articles"] == [{"id": "baddate", "status": "added",
                                                                             "warnings": first["warnings"]}]
    assert first["warnings"] == ["baddate.json (id baddate): field 'published_at': '2024-13-45' is no such day "
                                 "(there is no month 13); the article is indexed without a date"]
    assert second["ok"] and second["articles"][0]["status"] == "added"
    assert "'the day after the storm' is not a date" in second["articles"][0]["warnings"][0]
    assert client.get("/api/articles/baddate").json()["published_at"] == ""
    again = client.post("/api/articles", json=articles)  # the data still has the problem: so does the answer
    assert again.status_code == 200 and again.json()["warnings"] == 2
    assert again.json()["results"][0]["articles"] == [{"id": "baddate", "status": "unchanged",
                                                        "warnings": first["warnings"]}]

    untexted = {"id": "untexted", "title": "A title and nothing else", "published_at": "2024-13-45"}
    alone = client.post("/api/articles", json=[untexted])
    assert alone.status_code == 422 and alone.json()["results"][0]["errors"] == [
        "untexted.json (id untexted): has no 'text' or 'body' string field"]
    mixed = client.post("/api/articles", json=[untexted, articles[0]])
    assert mixed.status_code == 200
    assert [(x["ok"], len(x["articles"])) for x in mixed.json()["results"]] == [(False, 0), (True, 1)]
    for article_id in ("baddate", "nodate"):
        client.delete(f"/api/articles/{article_id}")


def test_bad_uploads_get_json_4xx(client):
    big = b"word " * (LIMIT // 5 + 10)
    assert "too large" in assert_clean_error(client.post("/api/articles", files=[("files", ("big.txt", big))]), 413)["error"]
    huge_json = json.dumps({"text": "x " * LIMIT}).encode()
    assert_clean_error(client.post("/api/articles", content=huge_json, headers={"content-type": "application/json"}), 413)
    assert_clean_error(client.post("/api/articles", content=b"{", headers={"content-type": "application/json"}), 400)
    assert_clean_error(client.post("/api/articles", json=[]), 422)
    assert_clean_error(client.post("/api/articles", json={"title": "no text"}), 422)
    assert_clean_error(client.post("/api/articles", content=b"hello", headers={"content-type": "text/plain"}), 415)
    assert_clean_error(client.post("/api/articles", files={"note": (None, "no files")}), 422)


def test_concurrent_asks(client, url):
    results: list[int] = []

    def one() -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            results.append(c.post("/api/ask", json={"question": AGADEZ}).status_code)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [200] * 6


def test_openapi_docs(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/articles", "/api/articles/{article_id}", "/api/health"} <= set(paths)


def test_empty_index_gets_409(tmp_path, real_embedder):
    from qa.engine import QA
    from qa.shells.server import ServerThread, create_app

    app = create_app(QA(tmp_path / "empty", embedder=real_embedder), ui=False)
    with ServerThread(app, free_port()) as server:
        r = httpx.post(f"{server.url}/api/ask", json={"question": AGADEZ}, timeout=30)
    assert "qa ingest" in assert_clean_error(r, 409)["error"]


def test_token_auth_guards_api_and_page(engine):
    from qa.shells.server import ServerThread, create_app

    with ServerThread(create_app(engine, token=TOKEN), free_port()) as server, \
            httpx.Client(base_url=server.url, timeout=60) as c:
        assert_clean_error(c.get("/api/health"), 401)
        assert_clean_error(c.get("/api/health", headers={"Authorization": "Bearer wrong"}), 401)
        assert_clean_error(c.post("/api/ask", json={"question": AGADEZ}), 401)
        assert c.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert c.get("/api/health", headers={"X-API-Token": TOKEN}).status_code == 200
        r = c.post("/api/ask", json={"question": AGADEZ}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.json()["citations"][0]["sentence"] == AGADEZ_SENTENCE
        # never from the address: ?token= on the API is refused (the page's sign-in: tests/test_signin.py)
        assert_clean_error(c.get(f"/api/health?token={TOKEN}"), 401)
        # the page: the sign-in form without a session; the old ?token= signs in, then leaves the address
        assert c.get("/").status_code == 401 and 'type="password"' in c.get("/").text
        assert c.get("/config").status_code == 401
        r = c.get(f"/?token={TOKEN}")
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert c.cookies.get("qa_session") and TOKEN not in c.cookies.get("qa_session")
        assert c.get("/config").status_code == 200 and c.get("/api/health").status_code == 200


def test_serve_command_help():
    from qa.shells.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output and "QA_API_TOKEN" in result.output


def test_app_py_serves_on_localhost(tmp_path, seeded_index_dir):
    """`python app.py --port N --index DIR` starts the real server (a fresh process, the real model)."""
    index = tmp_path / "index"
    shutil.copytree(seeded_index_dir, index)
    port = free_port()
    env = {**os.environ, "QA_API_TOKEN": ""}
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--index", str(index)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the server did not answer /api/health within 90 s"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        r = httpx.post(f"http://127.0.0.1:{port}/api/ask", json={"question": AGADEZ}, timeout=60)
        assert r.json()["citations"][0]["sentence"] == AGADEZ_SENTENCE
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert f"http://127.0.0.1:{port}/" in out
