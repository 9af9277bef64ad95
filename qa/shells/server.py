"""The HTTP server: the JSON API under /api and the chat page at /, both thin shells over one `QA`."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any, Sequence

from fastapi import FastAPI, Request

from qa.errors import SourcedError
from qa.shells import api, openai_api, uploads
from qa.shells.auth import DEFAULT_SESSION_DAYS, SESSION_DAYS_ENV, Sessions, authorized, session_days
from qa.shells.guard import HOSTS_ENV, ORIGINS_ENV, Guard, ServerLimits, served_hosts, split_names
from qa.shells.http_errors import add_error_handlers

if TYPE_CHECKING:
    from qa.engine import QA

log = logging.getLogger("qa.server")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


def create_app(engine: QA, token: str | None = None, *, ui: bool = True, hosts: Sequence[str] = (),
               origins: Sequence[str] = (), limits: ServerLimits = ServerLimits(),
               session_days: float = DEFAULT_SESSION_DAYS) -> FastAPI:
    """The FastAPI app: /api/* and the OpenAI-compatible /v1/* over `engine`, the chat page at / (unless `ui` is False).

    With `token`, every route needs `Authorization: Bearer TOKEN` (or `X-API-Token`) or a session: a page asked
    for without one shows a sign-in form, whose session lasts `session_days` (`qa.shells.signin`). Only requests
    to 127.0.0.1, localhost, ::1 and `hosts` are served, only from the server's own origin, `origins` or none;
    bodies within `limits` (`qa.shells.guard`).
    """
    app = FastAPI(
        title="Sourced API", version="0.1.0", docs_url="/docs", redoc_url=None,
        description="Answers from news articles; every answer cites exact source sentences with character offsets.",
    )
    app.state.engine, app.state.token, app.state.limits = engine, token, limits
    app.state.sessions = Sessions(days=session_days)  # a new key each start: a restart means signing in again
    add_error_handlers(app)
    app.include_router(api.router)
    app.include_router(openai_api.router)  # OpenAI-compatible chat under /v1
    _document_article_schema(app)
    if ui:
        _mount_ui(app, engine, token)
    if token:
        from qa.shells.signin import SignIn

        app.add_middleware(SignIn, token=token, sessions=app.state.sessions)
    app.add_middleware(Guard, hosts=hosts, origins=origins, limits=limits,  # the outermost: first to see a request
                       max_file_bytes=engine.settings.limits.max_file_bytes)
    return app


def _document_article_schema(app: FastAPI) -> None:
    """Add the JSON article shape to the OpenAPI components (used by POST /api/articles)."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = base()
        schema.setdefault("components", {}).setdefault("schemas", {})["ArticleIn"] = uploads.ARTICLE_SCHEMA
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _mount_ui(app: FastAPI, engine: QA, token: str | None) -> FastAPI:
    """The chat page at /; with `token`, only for browsers signed in (or requests bringing it in a header)."""
    import gradio as gr

    from qa.shells.markup import CSS, JS, STATUS_WORDS
    from qa.shells.ui import build_ui

    def user(request: Request) -> str | None:
        return "user" if token and authorized(request.headers, token, app.state.sessions) else None

    return gr.mount_gradio_app(
        app, build_ui(engine), path="/", auth_dependency=user if token else None,
        max_file_size=engine.settings.limits.max_file_bytes,
        css=CSS, js=JS, i18n=gr.I18n(en=STATUS_WORDS), footer_links=["api"], ssr_mode=False, mcp_server=False, run_history=False,
        show_error=False,  # gr.Error messages still show; anything else stays in the server log
    )


def serve(engine: QA, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, token: str | None = None,
          allow_hosts: Sequence[str] = (), allow_origins: Sequence[str] = ()) -> None:
    """Run the server in the foreground until interrupted; it serves `host` (unless 0.0.0.0 or ::), the local
    names, `allow_hosts` and $QA_ALLOWED_HOSTS, to no other origin than `allow_origins` and $QA_ALLOWED_ORIGINS."""
    import uvicorn

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    token = token if token is not None else (os.environ.get("QA_API_TOKEN") or None)
    days = session_days(os.environ.get(SESSION_DAYS_ENV))
    hosts = served_hosts(host, [*allow_hosts, *split_names(os.environ.get(HOSTS_ENV))])
    origins = [*allow_origins, *split_names(os.environ.get(ORIGINS_ENV))]
    warm_up(engine)
    app = create_app(engine, token, hosts=hosts, origins=origins, session_days=days)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"Sourced chat: http://{shown}:{port}/\nAPI docs:     http://{shown}:{port}/docs   (Ctrl+C to stop)",
          flush=True)
    if token:
        print(f"Sign-in:      the token is required (QA_API_TOKEN): the page asks for it (signed in for {days:g} "
              "days), the API takes it as 'Authorization: Bearer <token>'", flush=True)
    if host in ("0.0.0.0", "::") and not hosts:
        print(f"Other machines: only by the names given with --allow-host (or {HOSTS_ENV}); "
              "any other Host is refused.", flush=True)
    if engine.llm is not None:
        print(f"LLM answers:  {engine.llm.model_name} at {engine.llm.url} (every sentence verified; "
              f"extractive when it fails)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def warm_up(engine: QA) -> None:
    """Load the model and the index now, so the first question is answered quickly."""
    try:
        engine.retriever()
        engine.embedder.encode(["warm up"])
    except SourcedError as exc:
        log.warning("warm-up failed: %s", exc)
    if engine.llm is not None:
        engine.llm.connector()  # imports llama-index's connector (about 2 s) now, not on the first question


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
