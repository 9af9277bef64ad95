"""`qa mcp` through the official MCP SDK's own client, against a real `qa mcp` process (stdio and HTTP)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from conftest import ROOT, free_port

pytestmark = pytest.mark.real

AGADEZ = "How many US troops are in Agadez?"
AGADEZ_SENTENCE = "Currently, there are approximately 1,100 American soldiers stationed in Agadez."
TOKEN = "mcp-s3cret"
WAIT_S = 120  # the whole of one client session, model loading included
QA_MCP = [sys.executable, "-m", "qa.shells.cli", "mcp"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, seeded_index_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("mcp") / "index"
    shutil.copytree(seeded_index_dir, path)
    return path


FRANCE = "Who is the president of France?"


async def exercise(client: Any) -> dict[str, Any]:
    """What every transport must give: the three tools, `ask` answering with its citation, clean tool errors."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"ask", "search", "get_article"}
    assert {"question", "k", "filters", "answerer", "as_of"} <= set(tools["ask"].input_schema["properties"])
    assert all(t.annotations.read_only_hint for t in tools.values())  # nothing a client need confirm
    assert all(t.description and "\n " not in t.description for t in tools.values())  # shown as written
    asked = await client.call_tool("ask", {"question": AGADEZ})
    assert not asked.is_error
    answer = asked.structured_content
    assert "1,100" in answer["answer"] and "[1]" in answer["answer"] and not answer["abstained"]
    cited = answer["citations"][0]
    assert cited["sentence"] == AGADEZ_SENTENCE
    assert json.loads(asked.content[0].text)["citations"][0]["sentence"] == AGADEZ_SENTENCE  # text for the model
    article = (await client.call_tool("get_article", {"article_id": cited["article_id"]})).structured_content
    assert article["text"][cited["start"]:cited["end"]] == AGADEZ_SENTENCE
    assert cited["key"] in {s["key"] for s in article["sentences"]}
    assert all(article["text"][s["start"]:s["end"]] == s["text"] for s in article["sentences"])
    # a question the seed article can't answer (the reader abstains, retrieval alone would not): explicit
    france = (await client.call_tool("ask", {"question": FRANCE})).structured_content
    assert france["abstained"] and france["citations"] == [] and france["closest"]
    found = (await client.call_tool("search", {"question": FRANCE})).structured_content
    assert not found["answerable"] and "don't say" in found["reason"]
    return {"tools": tools, "answer": answer, "article": article}


def test_over_stdio(index: Path, tmp_path: Path):
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=QA_MCP[0], args=[*QA_MCP[1:], "--index", str(index)],
                                   env={**os.environ, "QA_API_TOKEN": ""}, cwd=ROOT)

    async def session() -> None:
        with (tmp_path / "stderr.log").open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=60) as client:
                got = await exercise(client)
                assert got["answer"]["citations"][0]["start"] >= 0
                # search: ranked sentences, no answer written
                found = (await client.call_tool("search", {"question": AGADEZ, "k": 2})).structured_content
                assert found["answerable"] and found["sentences"][0]["sentence"] == AGADEZ_SENTENCE
                assert len(found["sentences"]) <= 2 and "answer" not in found
                peru = (await client.call_tool("search", {"question": "What is the capital of Peru?"})).structured_content
                assert not peru["answerable"] and peru["reason"]
                # filters and as_of reach the engine
                none = await client.call_tool("ask", {"question": AGADEZ, "filters": {"article_ids": ["nope"]}})
                assert none.structured_content["abstained"] and none.structured_content["citations"] == []
                dated = await client.call_tool("ask", {"question": AGADEZ, "as_of": "2024-04-12", "k": 1})
                assert dated.structured_content["as_of"].startswith("2024-04-12")
                assert len(dated.structured_content["citations"]) == 1
                # the articles as a resource
                listed = await client.read_resource("sourced://articles")
                articles = json.loads(listed.contents[0].text)
                assert [a["id"] for a in articles] == [got["article"]["id"]]
                # our errors are tool errors with our message, never a traceback
                for arguments, message in [({"question": "   "}, "The question is empty"),
                                           ({"question": AGADEZ, "filters": {"published_after": "soon"}},
                                            "published_after"),
                                           ({"question": AGADEZ, "answerer": "oracle"}, "answerer")]:
                    failed = await client.call_tool("ask", arguments)
                    assert failed.is_error and message in failed.content[0].text
                    assert "Traceback" not in failed.content[0].text
                missing = await client.call_tool("get_article", {"article_id": "no-such-article"})
                assert missing.is_error and "No article with id 'no-such-article'" in missing.content[0].text

    asyncio.run(asyncio.wait_for(session(), WAIT_S))
    assert "Traceback" not in (tmp_path / "stderr.log").read_text()


def _serve_http(index: Path, port: int, log: Path, token: str) -> subprocess.Popen[bytes]:
    """A real `qa mcp --http PORT`, once it answers HTTP (bounded wait)."""
    env = {**os.environ, "QA_API_TOKEN": token}
    with log.open("w") as out:
        proc = subprocess.Popen([*QA_MCP, "--index", str(index), "--http", str(port)], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + WAIT_S
    while True:
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"`qa mcp --http` did not answer within {WAIT_S} s: {log.read_text()}"
        try:
            httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=2)
            return proc
        except httpx.TransportError:
            time.sleep(0.3)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def test_over_streamable_http_with_the_token(index: Path, tmp_path: Path):
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    proc = _serve_http(index, port, tmp_path / "server.log", TOKEN)
    try:
        async def with_token() -> None:
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as http:
                async with Client(streamable_http_client(url, http_client=http), read_timeout_seconds=60) as client:
                    await exercise(client)

        async def without(headers: dict[str, str]) -> None:
            async with httpx2.AsyncClient(headers=headers, timeout=10) as http:
                async with Client(streamable_http_client(url, http_client=http), read_timeout_seconds=10) as client:
                    await client.list_tools()

        asyncio.run(asyncio.wait_for(with_token(), WAIT_S))
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            with pytest.raises(BaseException) as refused:  # noqa: B017 - the SDK wraps it in task-group errors
                asyncio.run(asyncio.wait_for(without(headers), 30))
            assert "TimeoutError" not in repr(refused.value)
        # what the SDK client was told: 401 with our message, before any MCP was spoken
        initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
        r = httpx.post(url, json=initialize, headers={"Accept": "application/json, text/event-stream"}, timeout=10)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert "Missing or wrong API token" in r.json()["error"]
        r = httpx.post(f"{url}?token={TOKEN}", json=initialize, headers={"Accept": "application/json, text/event-stream"},
                       timeout=10)
        assert r.status_code == 401  # the header only, never the URL
    finally:
        _stop(proc)
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_http_binds_localhost_only_and_needs_no_token_when_none_is_set(index: Path, tmp_path: Path):
    import psutil
    from mcp import Client

    port = free_port()
    proc = _serve_http(index, port, tmp_path / "server.log", "")
    try:
        async def session() -> None:
            async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=60) as client:
                assert len((await client.list_tools()).tools) == 3

        asyncio.run(asyncio.wait_for(session(), WAIT_S))
        listening = [c.laddr for c in psutil.Process(proc.pid).net_connections(kind="inet")
                     if c.status == psutil.CONN_LISTEN]
        assert listening and {(a.ip, a.port) for a in listening} == {("127.0.0.1", port)}
    finally:
        _stop(proc)


def test_mcp_command_help():
    from qa.shells.cli import main

    result = CliRunner().invoke(main, ["mcp", "--help"])
    assert result.exit_code == 0
    assert "--http" in result.output and "QA_API_TOKEN" in result.output and "stdio" in result.output
