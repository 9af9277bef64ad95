"""Every door (`qa.ask`, `QA`, the CLI, the HTTP and OpenAI APIs, MCP, llama-index) with every option of
`qa.options.NAMES`, each checked by its effect on one small dated archive (real model, real Chroma). A door says
why it does not take an option (`by_design`); one it drops or refuses is a strict xfail naming the bug (`bugs`)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
from click.testing import CliRunner
from conftest import free_port
from mcp import Client

import qa
from qa.engine import QA
from qa.options import NAMES
from qa.shells.cli import main
from qa.shells.mcp_server import build
from qa.shells.schema import Filters
from qa.shells.server import ServerThread, create_app

pytestmark = pytest.mark.real

ARTICLES = [
    {"id": "water-march", "title": "Red Valley farmers sign water contracts", "source": "Valley Gazette",
     "published_at": "2024-03-04T09:00:00Z",
     "text": "The farmers of the Red Valley signed 40 water contracts with the regional utility on Monday. The "
             "contracts guarantee irrigation water for the dry season. The council approved the deal after a debate."},
    {"id": "water-june", "title": "More water contracts in the Red Valley", "source": "River Times",
     "published_at": "2024-06-10T09:00:00Z",
     "text": "The farmers of the Red Valley signed 55 more water contracts with the regional utility this June. "
             "Officials said demand for irrigation water had never been higher. A new reservoir is planned."},
    {"id": "club-march", "title": "Harbor FC signs new players", "source": "Sports Daily",
     "published_at": "2024-03-05T09:00:00Z",
     "text": "Harbor FC signed 12 new players before the start of the football season. The coach said the squad "
             "was now the strongest in years. The first match is at the harbor stadium in April."},
]
EARLIER, LATER, CLUB = "water-march", "water-june", "club-march"
WATER = "How many water contracts did the Red Valley farmers sign?"
NAMING, FOLLOW_UP = "Which farmers signed water contracts in the Red Valley?", "How many did they sign?"
FOLDED = f"{FOLLOW_UP} (farmers signed water contracts Red Valley)"  # the naming question's words, in brackets
BEFORE_LATER = "2024-04-01"
IN_MARCH, AFTER_BOTH = "How many water contracts did the Red Valley farmers sign in March?", "2024-06-30"
ANSWER_FIELDS = ("as_of", "time", "retrieval_query", "warning", "answerer")
Result = dict[str, Any]  # ids (cited article ids), abstained; and ANSWER_FIELDS from a door that writes an answer


@dataclass(frozen=True)
class At:
    """Where the doors are: the archive's index, one engine over it, a client of a real server over that engine."""

    index: Path
    engine: Any
    http: httpx.Client


@pytest.fixture(scope="module")
def at(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Iterator[At]:
    """The archive ingested, and the HTTP server over its engine on 127.0.0.1 (no chat page)."""
    path = tmp_path_factory.mktemp("doors")
    (path / "news.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    engine = QA(path / "index", embedder=real_embedder)
    assert engine.ingest([path / "news.jsonl"]).counts()["added"] == len(ARTICLES)
    with ServerThread(create_app(engine, ui=False), free_port()) as server:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            yield At(path / "index", engine, http)


def cites(r: Result) -> list[str]:
    """The cited article ids of an answer (not an abstention)."""
    assert not r["abstained"] and r["ids"], r
    return r["ids"]


def holds(ok: bool, r: Result) -> None:
    assert ok, r


def only(*allowed: str) -> Callable[[Result], None]:
    return lambda r: holds(set(cites(r)) <= set(allowed), r)


def never(article: str) -> Callable[[Result], None]:
    return lambda r: holds(article not in cites(r), r)


def one_citation(r: Result) -> None:
    holds(len(cites(r)) == 1, r)


def nothing_after_as_of(r: Result) -> None:
    assert LATER not in cites(r), r
    assert r.get("as_of", BEFORE_LATER).startswith(BEFORE_LATER), r


def time_not_read(r: Result) -> None:
    """No time read: "in March" is words, so the June article (published by `as_of`) is evidence too."""
    assert r.get("time") is None, r
    assert LATER in cites(r), r


def extractive_with_a_warning(r: Result) -> None:
    assert r["answerer"] == "extractive" and "no LLM is configured" in (r["warning"] or ""), r


def follow_up_folded_in(r: Result) -> None:
    """The follow-up is searched with the naming question's words (qa/answers/conversation.py `contextualize`)."""
    assert CLUB not in cites(r), r
    assert r.get("retrieval_query", FOLDED) == FOLDED, r


@dataclass(frozen=True)
class Case:
    """One option (or one filter) given with a question, what must then hold, and the options without it."""

    name: str  # an option, or filters.<key>
    question: str
    options: dict[str, Any]
    check: Callable[[Result], None]
    without: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case("k", WATER, {"k": 1}, one_citation),
    Case("filters.article_ids", WATER, {"filters": {"article_ids": [LATER]}}, only(LATER)),
    Case("filters.sources", WATER, {"filters": {"sources": ["Valley Gazette"]}}, only(EARLIER)),
    Case("filters.exclude_article_ids", WATER, {"filters": {"exclude_article_ids": [LATER]}}, never(LATER)),
    Case("filters.published_after", WATER, {"filters": {"published_after": "2024-05-01"}}, only(LATER)),
    Case("filters.published_before", WATER, {"filters": {"published_before": "2024-05-01"}}, never(LATER)),
    Case("as_of", WATER, {"as_of": BEFORE_LATER}, nothing_after_as_of),
    Case("use_time", IN_MARCH, {"as_of": AFTER_BOTH, "use_time": False}, time_not_read, {"as_of": AFTER_BOTH}),
    Case("answerer", WATER, {"answerer": "llm"}, extractive_with_a_warning),  # no LLM is configured here
    Case("history", FOLLOW_UP, {"history": [{"role": "user", "content": NAMING}]}, follow_up_folded_in),
]


def of_json(d: dict[str, Any]) -> Result:
    cited = d.get("citations") or d.get("closest") or []
    return {"ids": [c["article_id"] for c in cited], "abstained": d["abstained"], **{n: d[n] for n in ANSWER_FIELDS}}


def of_found(found: Any) -> Result:
    return {"ids": [c.article_id for c in found.citations or found.closest], "abstained": not found.answerable}


def engine_stream(at: At, q: str, o: dict[str, Any]) -> Result:
    events = list(at.engine.ask_stream(q, **o))
    assert all(isinstance(e, str) for e in events[:-1])
    return of_json(events[-1].to_dict())


CLI = {"k": "-k", "as_of": "--as-of", "answerer": "--answerer", "sources": "--source", "published_after": "--after",
       "published_before": "--before", "article_ids": "--article", "exclude_article_ids": "--exclude",
       "history": "--history"}


def cli_ask(at: At, q: str, o: dict[str, Any]) -> Result:
    args = ["ask", "--json", "--index", str(at.index)]
    for name, value in [*o.items(), *(o.get("filters") or {}).items()]:
        if name == "use_time":
            args.append("--time" if value else "--no-time")  # as `qa eval` spells it
        elif name == "history":
            args += [part for turn in value for part in ("--history", turn["content"] if isinstance(turn, dict)
                                                          else turn)]
        elif name != "filters":
            args += [part for v in (value if isinstance(value, list) else [value]) for part in (CLI[name], str(v))]
    result = CliRunner().invoke(main, [*args, q])  # the CLI builds its own engine: --answerer is its setting
    assert result.exit_code == 0, result.output
    return of_json(json.loads(result.stdout))


def api(path: str) -> Callable[[At, str, dict[str, Any]], Result]:
    def call(at: At, q: str, o: dict[str, Any]) -> Result:
        r = at.http.post(path, json={"question": q, **o})
        assert r.status_code == 200, r.text
        if path.endswith("/stream"):
            name, data = [e for e in r.text.split("\n\n") if e][-1].split("\n", 1)
            assert name == "event: answer", r.text
            return of_json(json.loads(data.removeprefix("data: ")))
        return of_json(r.json())
    return call


def openai_chat(at: At, q: str, o: dict[str, Any]) -> Result:
    """History as the messages before the question; the other options in the `sourced` field."""
    o = dict(o)
    history = [t if isinstance(t, dict) else {"role": "user", "content": t} for t in o.pop("history", None) or []]
    body = {"model": "sourced", "messages": [*history, {"role": "user", "content": q}], "sourced": o}
    r = at.http.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    return of_json(r.json()["sourced"])


def mcp_tool(tool: str) -> Callable[[At, str, dict[str, Any]], Result]:
    def call(at: At, q: str, o: dict[str, Any]) -> Result:
        async def session() -> Any:
            async with Client(build(at.engine), read_timeout_seconds=60) as client:  # in process, the SDK's protocol
                return await client.call_tool(tool, {"question": q, **o})

        got = asyncio.run(asyncio.wait_for(session(), 60))
        assert not got.is_error, got.content
        out = got.structured_content
        if tool == "ask":
            return of_json(out)
        return {"ids": [s["article_id"] for s in out["sentences"]], "abstained": not out["answerable"]}
    return call


def llama_retriever(at: At, q: str, o: dict[str, Any]) -> Result:
    o = dict(o)
    history = o.pop("history", None)
    retriever = qa.as_retriever(engine=at.engine, **o)
    nodes = retriever.retrieve(q, history=history)
    return {**of_json(retriever.last_answer.to_dict()), "ids": [n.node.metadata["article_id"] for n in nodes]}


def llama_query(at: At, q: str, o: dict[str, Any]) -> Result:
    response = qa.as_query_engine(engine=at.engine, **o).query(q)
    meta = response.metadata
    return {"ids": [n.node.metadata["article_id"] for n in response.source_nodes], "abstained": meta["abstained"],
            **{n: meta[n] for n in ANSWER_FIELDS}}


@dataclass(frozen=True)
class Door:
    """How a door is called, how it spells each option, which it does not take by design (why), and its bugs."""

    name: str
    call: Callable[[At, str, dict[str, Any]], Result]
    spells: dict[str, str]
    by_design: dict[str, str] = field(default_factory=dict)
    bugs: dict[str, str] = field(default_factory=dict)  # option or filters.<key> -> what goes wrong


def spelled(pattern: str, names: str) -> dict[str, str]:
    return {name: pattern.format(name) for name in names.split()}


ALL = "k history filters answerer as_of use_time"
NO_ANSWER = {"answerer": "no answer is written: the evidence alone"}
ENGINE_ASK = Door("QA.ask", lambda at, q, o: of_json(at.engine.ask(q, **o).to_dict()), spelled("{}=", ALL))
ENGINE_SEARCH = Door("QA.search", lambda at, q, o: of_found(at.engine.search(q, **o)),
                     spelled("{}=", "k history filters as_of use_time"), NO_ANSWER)
DOORS = [
    Door("qa.ask", lambda at, q, o: of_json(qa.ask(q, index=at.index, **o).to_dict()), spelled("{}=", ALL)),
    Door("qa.retrieve", lambda at, q, o: of_found(qa.retrieve(q, index=at.index, **o)),
         spelled("{}=", "k history filters as_of use_time"), NO_ANSWER),
    ENGINE_ASK, Door("QA.ask_stream", engine_stream, spelled("{}=", ALL)), ENGINE_SEARCH,
    Door("cli ask", cli_ask, {"k": "-k", "filters": "--source --after --before --article --exclude",
                              "answerer": "--answerer", "as_of": "--as-of", "use_time": "--time/--no-time",
                              "history": "--history (earlier questions)"}),
    *(Door(f"POST {path}", api(path), spelled('"{}"', ALL)) for path in ("/api/ask", "/api/ask/stream")),
    Door("POST /v1/chat/completions", openai_chat, {**spelled('"sourced": {{"{}"}}', ALL), "history": "messages"}),
    Door("mcp ask", mcp_tool("ask"), spelled("{}", ALL)),
    Door("mcp search", mcp_tool("search"), spelled("{}", "k history filters as_of use_time"), NO_ANSWER),
    Door("llama-index retriever", llama_retriever,
         {**spelled("as_retriever({}=)", "k filters as_of use_time"), "history": "retrieve(history=)"},
         {"answerer": "a retriever gives the cited sentences as nodes; it asks extractively"}),
    Door("llama-index query engine", llama_query, spelled("as_query_engine({}=)", "k filters answerer as_of use_time"),
         {"history": "a query engine answers one query; conversation is a llama-index chat engine's"}),
]


def matrix() -> Iterator[Any]:
    """Every door x every case, but those a door does not take by design (with a reason), a strict xfail where
    it should and does not."""
    for door in DOORS:
        for case in CASES:
            option = case.name.split(".")[0]
            marks: list[Any] = []
            if option in door.by_design:  # not a pair to try (`test_every_door_accounts_for_every_option`)
                continue
            if case.name in door.bugs or option in door.bugs:
                bug = door.bugs.get(case.name) or door.bugs[option]
                marks = [pytest.mark.xfail(strict=True, raises=(AssertionError, TypeError),
                                           reason=f"BUG in {door.name}: {bug}")]
            yield pytest.param(door, case, marks=marks, id=f"{door.name}-{case.name}")


@pytest.mark.parametrize(("door", "case"), list(matrix()))
def test_every_door_with_every_option(at: At, door: Door, case: Case) -> None:
    """The option, given through the door, has its effect."""
    case.check(door.call(at, case.question, case.options))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_without_the_option_its_check_fails(at: At, case: Case) -> None:
    """The archive makes every option observable: without it, its check fails (through QA.ask and QA.search)."""
    for door in (ENGINE_ASK, ENGINE_SEARCH):
        if case.name.split(".")[0] not in door.by_design:
            with pytest.raises(AssertionError):
                case.check(door.call(at, case.question, case.without))


@pytest.mark.parametrize("door", DOORS, ids=[d.name for d in DOORS])
def test_every_door_accounts_for_every_option(door: Door) -> None:
    """Each of NAMES is spelled by the door or left out by design with a reason; each bug is of an option given."""
    assert set(door.spells) | set(door.by_design) == NAMES, sorted(NAMES - set(door.spells) - set(door.by_design))
    assert not set(door.spells) & set(door.by_design) and all(door.by_design.values())
    assert {bug.split(".")[0] for bug in door.bugs} <= set(door.spells)


def test_every_option_and_filter_has_a_case() -> None:
    """A new option (or filter) needs a case here, so every door is tried with it."""
    assert {c.name.split(".")[0] for c in CASES} == NAMES
    assert {c.name.split(".")[1] for c in CASES if "." in c.name} == set(Filters.model_fields)
