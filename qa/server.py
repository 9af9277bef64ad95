"""The HTTP server: a JSON API under /api and the chat page at /, both thin shells over one `QA`."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
import time
from typing import Any, Callable, Coroutine
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.errors import IndexBusy, IndexError_, ModelMismatch, StoreUnavailable, UnknownArticle
from qa.errors import EmptyIndex, EmptyQuestion, QAError, QuestionTooLong

log = logging.getLogger("qa.server")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
TOKEN_COOKIE = "qa_token"
_STATUS: list[tuple[type[Exception], int]] = [
    (EmptyQuestion, 422), (QuestionTooLong, 422), (EmptyIndex, 409), (UnknownArticle, 404),
    (IndexBusy, 503), (StoreUnavailable, 503), (ModelMismatch, 500), (QAError, 400), (IndexError_, 400),
]


class ApiError(Exception):
    """An error with its HTTP status and the message the client reads."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


class Filters(BaseModel):
    """Limit retrieval to some articles or sources."""

    model_config = ConfigDict(extra="forbid")
    article_ids: list[str] | None = Field(None, description="Only these article ids.")
    sources: list[str] | None = Field(None, description="Only articles from these sources (or with these titles).")


class AskRequest(BaseModel):
    """A question, optionally with the conversation so far."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., description="The question.", examples=["How many US troops are in Agadez?"])

    @field_validator("question")
    @classmethod
    def _unicode(cls, value: str) -> str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("is not valid Unicode text (it holds a lone surrogate)") from None
        return value

    history: list[dict[str, Any] | list[Any] | str] | None = Field(
        None, description='Earlier turns: {"role": "user"|"assistant", "content": ...} dicts, '
                          "or [question, answer] pairs, oldest first. Follow-ups are searched with them.")
    k: int | None = Field(None, ge=1, le=20, description="Number of cited sentences (default 5).")
    filters: Filters | None = None


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, "status": status, **extra}, status_code=status)


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def _same(given: str | None, expected: str) -> bool:
    return bool(given) and secrets.compare_digest(str(given).encode(), expected.encode())


def _cookie_value(token: str) -> str:
    """What the page's cookie holds: a digest of the token, not the token."""
    return hashlib.sha256(f"sourced:{token}".encode()).hexdigest()


def _authorized(request: Request, token: str) -> bool:
    """The token in `Authorization: Bearer`, `X-API-Token`, `?token=`, or (its digest) the page's cookie."""
    auth = request.headers.get("authorization", "")
    bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    return (_same(bearer, token) or _same(request.headers.get("x-api-token"), token)
            or _same(request.query_params.get("token"), token)
            or _same(request.cookies.get(TOKEN_COOKIE), _cookie_value(token)))


class _TokenCookie:
    """ASGI middleware: a request that brings the right `?token=` gets the page's cookie."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [None])[0] \
            if scope["type"] == "http" else None
        if not _same(given, self.token):
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Any) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(
                    "set-cookie", f"{TOKEN_COOKIE}={_cookie_value(self.token)}; HttpOnly; Path=/; SameSite=Strict")
            await send(message)

        await self.app(scope, receive, send_with_cookie)


class _GuardedRoute(APIRoute):
    """An API route whose unexpected failures become a JSON 500 without details (logged on the server)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (ApiError, StarletteHTTPException, RequestValidationError):
                raise
            except Exception:  # noqa: BLE001 - the client gets a clean message, the log gets the traceback
                log.exception("unexpected error on %s %s", request.method, request.url.path)
                return _error(500, "Internal server error; the server log has the details.")

        return guarded


def _article_dict(article: Any) -> dict[str, Any]:
    return {name: getattr(article, name) for name in
            ("id", "title", "source", "url", "published_at", "content_hash", "text")}


def create_app(engine: Any, token: str | None = None, *, ui: bool = True) -> FastAPI:
    """The FastAPI app: /api/* over `engine`, the chat page mounted at / (unless `ui` is False).

    With `token`, /api/* needs `Authorization: Bearer TOKEN` (or `X-API-Token`) and the page needs
    `?token=TOKEN` once (it is then kept in a cookie).
    """
    limit = engine.settings.limits.max_file_bytes
    max_files = 100

    def check_token(request: Request) -> None:
        if token and not _authorized(request, token):
            raise ApiError(401, "Missing or wrong API token: send 'Authorization: Bearer <token>'.")

    app = FastAPI(
        title="Sourced API", version="0.1.0", docs_url="/docs", redoc_url=None,
        description="Answers from news articles; every answer cites exact source sentences with character offsets.",
    )

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        response = _error(exc.status, exc.message, **exc.extra)
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(e.get("loc", ())), "message": str(e.get("msg", "invalid")).removeprefix("Value error, ")}
                  for e in exc.errors()]
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return _error(400, "The request body is not valid JSON.")
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        return _error(422, f"Invalid request: {first['field']}: {first['message']}.", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            return _error(400, "The request body is not valid JSON.")  # FastAPI's words for undecodable bytes
        return _error(exc.status_code, str(exc.detail))

    def translate(exc: Exception) -> ApiError:
        status = next(code for kind, code in _STATUS if isinstance(exc, kind))
        return ApiError(status, str(exc))

    api = APIRouter(prefix="/api", dependencies=[Depends(check_token)], route_class=_GuardedRoute)

    @api.get("/health", summary="Liveness and index size")
    def health() -> dict[str, Any]:
        try:
            n = len(engine.articles())
        except (QAError, IndexError_) as exc:
            raise translate(exc) from None
        return {"status": "ok", "articles": n, "model": getattr(engine.embedder, "name", "")}

    @api.post("/ask", summary="Answer a question with cited sentences")
    def ask(body: AskRequest) -> dict[str, Any]:
        t0 = time.perf_counter()
        filters = body.filters.model_dump(exclude_none=True) if body.filters else None
        try:
            answer = engine.ask(body.question, k=body.k, history=body.history, filters=filters)
        except (QAError, IndexError_) as exc:
            raise translate(exc) from None
        out = answer.to_dict()
        out["timings_ms"] = {**out["timings_ms"], "server": round((time.perf_counter() - t0) * 1e3, 2)}
        return out

    @api.get("/articles", summary="List indexed articles")
    def list_articles() -> dict[str, Any]:
        try:
            infos = engine.articles()
        except (QAError, IndexError_) as exc:
            raise translate(exc) from None
        return {"articles": [a.to_dict() for a in infos]}

    @api.get("/articles/{article_id}", summary="One article with its text")
    def get_article(article_id: str) -> dict[str, Any]:
        article = engine.article(article_id)
        if article is None:
            raise ApiError(404, f"No article with id '{article_id}' is in the index.")
        return _article_dict(article)

    @api.delete("/articles/{article_id}", summary="Remove an article")
    def delete_article(article_id: str) -> dict[str, Any]:
        try:
            engine.remove(article_id)
        except UnknownArticle:
            raise ApiError(404, f"No article with id '{article_id}' is in the index.") from None
        except (QAError, IndexError_) as exc:
            raise translate(exc) from None
        return {"removed": article_id}

    upload_doc = {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
                "application/json": {"schema": {"oneOf": [
                    {"$ref": "#/components/schemas/ArticleIn"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/ArticleIn"}},
                ]}},
            },
        },
    }

    @api.post("/articles", summary="Add articles (files or JSON)", openapi_extra=upload_doc)
    async def add_articles(request: Request) -> JSONResponse:
        """Upload files (multipart field `files`: .txt .md .html .json .jsonl) or JSON article objects
        ({text, title?, source?, url?, published_at?, id?}, or a list of them); returns a result per file."""
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit * max_files:
            raise ApiError(413, f"The upload is too large (the limit is {limit:,} bytes per file).")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "multipart/form-data":
            items = await _files(request)
        elif kind == "application/json":
            items = await _json_articles(request)
        else:
            raise ApiError(415, "Send multipart/form-data with a 'files' field, or application/json articles.")
        results = [await run_in_threadpool(_ingest_one, name, data) for name, data in items]
        ok = any(r["ok"] for r in results)
        body = {"results": results, "articles": sum(len(r["articles"]) for r in results)}
        if not ok:
            return _error(422, "No article could be added: " + "; ".join(e for r in results for e in r["errors"]),
                          results=results)
        return JSONResponse(body)

    async def _files(request: Request) -> list[tuple[str, bytes]]:
        try:
            form = await request.form(max_files=max_files, max_fields=max_files)
        except Exception:  # noqa: BLE001 - starlette raises several kinds for broken multipart bodies
            raise ApiError(400, "The multipart body could not be read.") from None
        uploads = [v for _, v in form.multi_items() if not isinstance(v, str)]
        if not uploads:
            raise ApiError(422, "No files in the upload: send them in a multipart field named 'files'.")
        items = []
        for up in uploads:
            name = os.path.basename(up.filename or "upload.txt")
            if up.size is not None and up.size > limit:
                raise ApiError(413, f"{name} is too large ({up.size:,} bytes; the limit is {limit:,}).")
            data = await up.read(limit + 1)
            if len(data) > limit:
                raise ApiError(413, f"{name} is too large (the limit is {limit:,} bytes).")
            items.append((name, data))
        return items

    async def _json_articles(request: Request) -> list[tuple[str, bytes]]:
        data = bytearray()
        async for part in request.stream():
            data += part
            if len(data) > limit:
                raise ApiError(413, f"The JSON body is too large (the limit is {limit:,} bytes).")
        try:
            parsed = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise ApiError(400, "The request body is not valid JSON.") from None
        if isinstance(parsed, dict) and isinstance(parsed.get("articles"), list):
            parsed = parsed["articles"]
        records = parsed if isinstance(parsed, list) else [parsed]
        if not records:
            raise ApiError(422, "No articles in the request.")
        items = []
        for i, record in enumerate(records, start=1):
            try:
                raw = json.dumps(record, ensure_ascii=False).encode()
            except UnicodeEncodeError:
                raise ApiError(422, f"Article {i} is not valid Unicode text (it holds a lone surrogate).") from None
            ident = record.get("id") if isinstance(record, dict) else None
            name = f"{ident}.json" if isinstance(ident, str) and ident else \
                f"article-{hashlib.sha1(raw).hexdigest()[:12]}.json"
            if not isinstance(record, dict):
                name = f"article {i}.json"
            items.append((name, raw))
        return items

    def _ingest_one(name: str, data: bytes) -> dict[str, Any]:
        try:
            report = engine.ingest_bytes([(name, data)])
        except (QAError, IndexError_) as exc:
            return {"file": name, "ok": False, "articles": [], "errors": [str(exc)]}
        articles = [{"id": aid, "status": status} for status, ids in
                    (("added", report.added), ("replaced", report.replaced), ("unchanged", report.unchanged))
                    for aid in ids]
        errors = [str(p) for p in report.problems]
        return {"file": name, "ok": bool(articles) and not errors, "articles": articles, "errors": errors}

    @api.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown(path: str, request: Request) -> None:
        known = [r for r in api.routes if isinstance(r, APIRoute) and r.endpoint is not unknown
                 and r.path_regex.match(request.url.path)]
        if known:
            allowed = sorted({m for r in known for m in r.methods or ()})
            raise ApiError(405, f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}.")
        raise ApiError(404, f"No such endpoint: {request.url.path} (see /docs).")

    app.include_router(api)
    _document_article_schema(app)
    if ui:
        app = _mount_ui(app, engine, token, limit)
    return app


def _document_article_schema(app: FastAPI) -> None:
    """Add the JSON article shape to the OpenAPI components (used by POST /api/articles)."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = base()
        schema.setdefault("components", {}).setdefault("schemas", {})["ArticleIn"] = {
            "type": "object", "required": ["text"],
            "properties": {name: {"type": "string"} for name in
                           ("text", "title", "source", "url", "published_at", "id")},
        }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _mount_ui(app: FastAPI, engine: Any, token: str | None, limit: int) -> FastAPI:
    import gradio as gr

    from qa.ui import CSS, JS, build_ui

    def user(request: Request) -> str | None:
        return "user" if token and _authorized(request, token) else None

    if token:
        app.add_middleware(_TokenCookie, token=token)

    return gr.mount_gradio_app(
        app, build_ui(engine), path="/", auth_dependency=user if token else None, max_file_size=limit,
        css=CSS, js=JS, footer_links=["api"], ssr_mode=False, mcp_server=False, run_history=False,
        show_error=False,  # gr.Error messages still show; anything else stays in the server log
    )


def serve(engine: Any, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, token: str | None = None) -> None:
    """Run the server in the foreground until interrupted."""
    import uvicorn

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    token = token if token is not None else (os.environ.get("QA_API_TOKEN") or None)
    warm_up(engine)
    app = create_app(engine, token)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"Sourced chat: {url}\nAPI docs:     http://{shown}:{port}/docs   (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def warm_up(engine: Any) -> None:
    """Load the model and the index now, so the first question is answered quickly."""
    try:
        engine.retriever()
        engine.embedder.encode(["warm up"])
    except (QAError, IndexError_) as exc:
        log.warning("warm-up failed: %s", exc)


class ServerThread:
    """The server on a background thread (for tests and notebooks): `with ServerThread(app, port): ...`."""

    def __init__(self, app: FastAPI, port: int, host: str = DEFAULT_HOST) -> None:
        import uvicorn

        self.url = f"http://{host}:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="qa-server", daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server at {self.url} did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
