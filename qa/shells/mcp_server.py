"""`qa mcp`: Sourced for MCP clients (Claude Desktop, IDE assistants, bots), with the official `mcp` SDK.

Tools `ask`, `search` and `get_article`; the articles as resources. Over stdio, or streamable HTTP on
127.0.0.1 (the token of `qa serve`, when set, required as `Authorization: Bearer`; other hosts and origins
refused as by `qa serve`, `qa.shells.guard`). Our named errors are
tool errors (`isError` with the message); anything else is the SDK's "Error executing tool", logged here.
"""

from __future__ import annotations

import inspect
import json
import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, Iterator

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from index.models import Sentence
from qa.errors import SourcedError, UnknownArticle
from qa.shells.schema import Answerer, AsOf, Filters, K, UseTime

if TYPE_CHECKING:
    from qa.engine import QA

log = logging.getLogger("qa.mcp")
HOST = "127.0.0.1"
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
INSTRUCTIONS = ("Sourced answers questions from a collection of news articles. Every answer cites exact "
                "sentences ([n] markers; each citation has its article id and character offsets), or says the "
                "articles don't say. Use `ask` for an answer, `search` for the evidence alone, `get_article` "
                "to read an article.")

History = Annotated[list[dict[str, str]] | None, Field(
    None, description='Earlier turns, oldest first: [{"role": "user"|"assistant", "content": "..."}]. '
                      "Follow-ups such as 'When did they arrive?' are searched with them.")]


@contextmanager
def tool_errors() -> Iterator[None]:
    """Our named errors as MCP tool errors carrying their message."""
    try:
        yield
    except SourcedError as exc:
        raise ToolError(str(exc)) from None


def _filters(filters: Filters | None) -> dict[str, Any] | None:
    return filters.model_dump(exclude_none=True) if filters else None


def article_of(engine: QA, article_id: str) -> dict[str, Any]:
    """One article: its record, its text, and every sentence with its key and offsets into that text."""
    parts = engine.store.read_parts([article_id])
    if not parts:
        raise UnknownArticle(f"No article with id '{article_id}' is in the index (the `articles` resource "
                             "lists them).")
    part = parts[0]
    info = part.info
    sentences = [Sentence(info.id, int(i), int(s), int(e), part.text[int(s):int(e)]) for i, s, e in part.sentences]
    listed = [{"key": s.key, "index": s.index, "start": s.start, "end": s.end, "text": s.text} for s in sentences]
    return {"id": info.id, "title": info.title, "source": info.source, "url": info.url,
            "published_at": info.published_at, "text": part.text, "sentences": listed}


def answered(answer: Any) -> dict[str, Any]:
    """An answer as the `ask` tool returns it: when it abstains, `citations` is empty and the sentences it
    quotes are `closest` (a client must not present them as support)."""
    out = answer.to_dict()
    if answer.abstained:
        out["closest"], out["citations"] = out.get("citations", []), []
    return out


def build(engine: QA) -> MCPServer:
    """The MCP server over one `QA`: three tools, the articles list and each article as resources."""
    server: MCPServer = MCPServer("sourced", title="Sourced", instructions=INSTRUCTIONS, version="0.1.0",
                                  log_level="WARNING")

    def tool(fn: Any) -> Any:
        """A read-only tool described by its docstring, indentation removed (clients show it as it is)."""
        server.add_tool(fn, description=inspect.cleandoc(fn.__doc__ or ""), annotations=READ_ONLY)
        return fn

    @tool
    def ask(question: str, k: K = None, filters: Filters | None = None, answerer: Answerer = None,
            as_of: AsOf = None, history: History = None, use_time: UseTime = None) -> dict[str, Any]:
        """Answer a question from the news articles: the answer with [n] markers, each citation the exact sentence
        (article id, title, source, date, start/end offsets); `abstained` when the articles don't say."""
        with tool_errors():
            answer = engine.ask(question, k=k, filters=_filters(filters), answerer=answerer, as_of=as_of,
                                history=history, use_time=use_time)
        return answered(answer)

    @tool
    def search(question: str, k: K = None, filters: Filters | None = None, as_of: AsOf = None,
               history: History = None, use_time: UseTime = None) -> dict[str, Any]:
        """The sentences that best answer a question, ranked, with their citations; no answer is written.

        `answerable` is false (with a `reason`) when they don't answer it, as `ask` would abstain; `sentences`
        then holds the closest."""
        with tool_errors():
            found = engine.search(question, k=k, filters=_filters(filters), as_of=as_of, history=history,
                                  use_time=use_time)
            if found.answerable:  # retrieval found evidence: does the reader say it answers, as `ask` decides?
                answer = engine.ask(question, k=k, filters=_filters(filters), as_of=as_of, history=history,
                                    use_time=use_time, answerer="extractive")
                if answer.abstained:
                    return {"question": question, "answerable": False, "reason": answer.answer.split("\n")[0],
                            "sentences": [c.to_dict() for c in answer.citations]}
        sentences = found.citations if found.answerable else found.closest
        return {"question": question, "answerable": found.answerable, "reason": found.reason,
                "sentences": [c.to_dict() for c in sentences]}

    @tool
    def get_article(article_id: str) -> dict[str, Any]:
        """One article's text, with every sentence's key and start/end offsets into it (citations point here)."""
        with tool_errors():
            return article_of(engine, article_id)

    @server.resource("sourced://articles", name="articles", title="Indexed articles", mime_type="application/json",
                     description="Every indexed article: id, title, source, date, sentence count.")
    def articles() -> str:
        return json.dumps([a.to_dict() for a in engine.articles()], ensure_ascii=False)

    @server.resource("sourced://articles/{article_id}", name="article", title="An article",
                     mime_type="application/json", description="One article's text and its sentences' offsets.")
    def article(article_id: str) -> str:
        try:
            return json.dumps(article_of(engine, article_id), ensure_ascii=False)
        except UnknownArticle as exc:
            raise ResourceNotFoundError(str(exc)) from None

    return server


def run(engine: QA, *, http_port: int | None = None, token: str | None = None) -> None:
    """Serve until interrupted: over stdio, or streamable HTTP at http://127.0.0.1:PORT/mcp."""
    server = build(engine)
    if http_port is None:
        server.run("stdio")
        return
    import uvicorn

    app = http_app(server, token)
    print(f"Sourced MCP: http://{HOST}:{http_port}/mcp" + ("  (Authorization: Bearer $QA_API_TOKEN)" if token else "")
          + "   (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=HOST, port=http_port, log_level="warning")


def http_app(server: MCPServer, token: str | None) -> Any:
    """The streamable HTTP app at /mcp: with `token`, only for requests that bring it; only for the local host
    names and no other origin than $QA_ALLOWED_ORIGINS (`qa.shells.guard`, as `qa serve`)."""
    import os

    from qa.shells.auth import BearerToken
    from qa.shells.guard import ORIGINS_ENV, Guard, split_names

    app: Any = server.streamable_http_app(host=HOST)  # the SDK's own Host/Origin check: loopback names, any port
    if token:
        app = BearerToken(app, token)
    return Guard(app, origins=split_names(os.environ.get(ORIGINS_ENV)))
