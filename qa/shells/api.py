"""The JSON API under /api: each route parses its request, calls the app's one `QA`, and returns JSON.

Named errors (`SourcedError`) pass through to the app's handler, which gives them their status
(see `qa.shells.http_errors`).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from qa.errors import UnknownArticle
from qa.shells import uploads
from qa.shells.auth import check_token
from qa.shells.http_errors import ApiError, GuardedRoute, error_response

router = APIRouter(prefix="/api", dependencies=[Depends(check_token)], route_class=GuardedRoute)


class Filters(BaseModel):
    """Limit retrieval to some articles or sources."""

    model_config = ConfigDict(extra="forbid")
    article_ids: list[str] | None = Field(None, description="Only these article ids.")
    sources: list[str] | None = Field(None, description="Only articles from these sources (or with these titles).")


class AskRequest(BaseModel):
    """A question, optionally with the conversation so far."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., description="The question.", examples=["How many US troops are in Agadez?"])
    history: list[dict[str, Any] | list[Any] | str] | None = Field(
        None, description='Earlier turns: {"role": "user"|"assistant", "content": ...} dicts, '
                          "or [question, answer] pairs, oldest first. Follow-ups are searched with them.")
    k: int | None = Field(None, ge=1, le=20, description="Number of cited sentences (default 5).")
    filters: Filters | None = None


async def engine_of(request: Request) -> Any:
    """The app's `QA` (FastAPI dependency)."""
    return request.app.state.engine


def _no_article(article_id: str) -> UnknownArticle:
    return UnknownArticle(f"No article with id '{article_id}' is in the index.")


@router.get("/health", summary="Liveness and index size")
def health(engine: Any = Depends(engine_of)) -> dict[str, Any]:
    return {"status": "ok", "articles": len(engine.articles()), "model": getattr(engine.embedder, "name", "")}


@router.post("/ask", summary="Answer a question with cited sentences")
def ask(body: AskRequest, engine: Any = Depends(engine_of)) -> dict[str, Any]:
    t0 = time.perf_counter()
    filters = body.filters.model_dump(exclude_none=True) if body.filters else None
    out = engine.ask(body.question, k=body.k, history=body.history, filters=filters).to_dict()
    out["timings_ms"] = {**out["timings_ms"], "server": round((time.perf_counter() - t0) * 1e3, 2)}
    return out


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
    results = [await run_in_threadpool(uploads.ingest_one, engine, name, data) for name, data in items]
    if not any(r["ok"] for r in results):
        return error_response(422, "No article could be added: " + "; ".join(e for r in results for e in r["errors"]),
                              results=results)
    return JSONResponse({"results": results, "articles": sum(len(r["articles"]) for r in results)})


@router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def unknown(path: str, request: Request) -> None:
    """Any other path under /api: 405 where the path exists with other methods, else 404."""
    known = [r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is not unknown
             and r.path_regex.match(request.url.path)]
    if known:
        allowed = sorted({m for r in known for m in r.methods or ()})
        raise ApiError(405, f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}.")
    raise ApiError(404, f"No such endpoint: {request.url.path} (see /docs).")
