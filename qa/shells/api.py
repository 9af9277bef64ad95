"""The JSON API under /api: each route parses its request, calls the app's one `QA`, and returns JSON.

Named errors (`SourcedError`) pass through to the app's handler, which gives them their status
(see `qa.shells.http_errors`).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from typing import Any, Iterator

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import ConfigDict, Field

from qa.errors import SourcedError, UnknownArticle
from qa.options import NAMES
from qa.shells import uploads
from qa.shells.auth import check_token
from qa.shells.guard import ServerLimits, history_problem
from qa.shells.http_errors import ApiError, GuardedRoute, error_response, status_of
from qa.shells.schema import AskFields, RequestBody

log = logging.getLogger("qa.server")
router = APIRouter(prefix="/api", dependencies=[Depends(check_token)], route_class=GuardedRoute)


class AskRequest(RequestBody, AskFields):
    """A question, optionally with the conversation so far, and the options (`AskFields`)."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., description="The question.", examples=["How many US troops are in Agadez?"])
    history: list[dict[str, Any] | list[Any] | str] | None = Field(
        None, description='Earlier turns: {"role": "user"|"assistant", "content": ...} dicts, '
                          "or [question, answer] pairs, oldest first. Follow-ups are searched with them. At most "
                          f"{ServerLimits.history_turns} turns; an earlier question as long as a question, an "
                          f"answer {ServerLimits.history_reply_chars:,} characters.")


async def engine_of(request: Request) -> Any:
    """The app's `QA` (FastAPI dependency)."""
    return request.app.state.engine


def _no_article(article_id: str) -> UnknownArticle:
    return UnknownArticle(f"No article with id '{article_id}' is in the index.")


@router.get("/health", summary="Whether questions can be answered now, and the index's size")
def health(engine: Any = Depends(engine_of)) -> dict[str, Any]:
    """200 with the index's size when a question would be answered; else the error a question would meet (503
    when the server is out of open files or memory, or the store cannot be reached)."""
    return {"status": "ok", **engine.health(), "model": getattr(engine.embedder, "name", "")}


def _asked(body: AskRequest, engine: Any, request: Request) -> dict[str, Any]:
    """The engine's options from the request; 422 naming the limit when the history is over one."""
    limits = getattr(request.app.state, "limits", ServerLimits())
    problem = history_problem(body.history, limits, engine.settings.max_question_chars)
    if problem:
        raise ApiError(422, f"Invalid request: history: {problem}.", field="history")
    filters = body.filters.model_dump(exclude_none=True) if body.filters else None
    return {**{name: getattr(body, name) for name in NAMES}, "filters": filters}  # every option, by its name


@router.post("/ask", summary="Answer a question with cited sentences")
def ask(body: AskRequest, request: Request, engine: Any = Depends(engine_of)) -> dict[str, Any]:
    t0 = time.perf_counter()
    out = engine.ask(body.question, **_asked(body, engine, request)).to_dict()
    out["timings_ms"] = {**out["timings_ms"], "server": round((time.perf_counter() - t0) * 1e3, 2)}
    return out


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/ask/stream", summary="Answer a question, streamed as server-sent events",
             response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}}, "description": (
                 "`event: token` with `{\"text\"}`: a piece of the answer as it is written (an LLM's "
                 "tokens are not yet verified); then `event: answer` with the final verified answer (the JSON "
                 "of /api/ask); or `event: error` with `{\"error\", \"status\"}`.")}})
def ask_stream(body: AskRequest, request: Request, engine: Any = Depends(engine_of)) -> StreamingResponse:
    events = engine.ask_stream(body.question, **_asked(body, engine, request))
    first = next(events)  # a bad question fails here, as a JSON error with its status, before the stream starts

    def stream() -> Iterator[str]:
        try:
            for event in itertools.chain([first], events):
                if isinstance(event, str):
                    yield _event("token", {"text": event})
                else:
                    yield _event("answer", event.to_dict())
        except SourcedError as exc:  # the index changed under the stream: say so in the stream
            yield _event("error", {"error": str(exc), "status": status_of(exc)})
        except Exception:  # noqa: BLE001 - headers are sent: the client gets an error event, the log the traceback
            log.exception("unexpected error while streaming an answer")
            yield _event("error", {"error": "Internal server error; the server log has the details.", "status": 500})

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/articles", summary="List indexed articles")
def list_articles(engine: Any = Depends(engine_of)) -> dict[str, Any]:
    return {"articles": [a.to_dict() for a in engine.articles()]}


@router.get("/articles/{article_id}", summary="One article with its text")
def get_article(article_id: str, engine: Any = Depends(engine_of)) -> dict[str, Any]:
    article = engine.article(article_id)
    if article is None:
        raise _no_article(article_id)
    return {name: getattr(article, name) for name in
            ("id", "title", "source", "url", "published_at", "content_hash", "text")}


@router.delete("/articles/{article_id}", summary="Remove an article")
def delete_article(article_id: str, engine: Any = Depends(engine_of)) -> dict[str, Any]:
    try:
        engine.remove(article_id)
    except UnknownArticle:
        raise _no_article(article_id) from None  # the store's message points at `qa list`
    return {"removed": article_id}


@router.post("/articles", summary="Add articles (files or JSON)", openapi_extra=uploads.OPENAPI)
async def add_articles(request: Request, engine: Any = Depends(engine_of)) -> JSONResponse:
    """Upload files (multipart field `files`: .txt .md .html .json .jsonl) or JSON article objects
    ({text, title?, source?, url?, published_at?, id?}, or a list of them); returns a result per file."""
    items = await uploads.read_upload(request, engine.settings.limits.max_file_bytes)
    results = await run_in_threadpool(uploads.ingest_files, engine, items)  # one commit for them all
    # 422 only when nothing is in the index now: an article indexed with a warning (a bad date) is added
    if not any(r["articles"] for r in results):
        return error_response(422, "No article could be added: " + "; ".join(e for r in results for e in r["errors"]),
                              results=results)
    return JSONResponse({"results": results, "articles": sum(len(r["articles"]) for r in results),
                         "warnings": sum(len(r["warnings"]) for r in results)})


@router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def unknown(path: str, request: Request) -> None:
    """Any other path under /api: 405 where the path exists with other methods, else 404."""
    known = [r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is not unknown
             and r.path_regex.match(request.url.path)]
    if known:
        allowed = sorted({m for r in known for m in r.methods or ()})
        raise ApiError(405, f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}.")
    raise ApiError(404, f"No such endpoint: {request.url.path} (see /docs).")
