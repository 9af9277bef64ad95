"""OpenAI-compatible chat under /v1, for clients that pick a model from a list (Open WebUI, LibreChat, SDKs).

`POST /v1/chat/completions` (streamed as OpenAI's SSE chunks, or not) and `GET /v1/models` (one model,
`sourced`). The last user message is the question, the earlier ones the history. The reply is the answer with
[n] markers and its "Sources" list; the citations also come as data in a `sourced` field clients ignore if
they don't know it. Errors are OpenAI's `{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import re
import time
import uuid
from typing import Any, Iterator

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa.answers.composer import pieces
from qa.errors import SourcedError
from qa.models import Answer
from qa.shells.auth import check_token
from qa.shells.guard import ServerLimits, history_problem
from qa.shells.http_errors import ApiError, GuardedRoute, SafeJSONResponse, status_of
from qa.shells.schema import AskFields, RequestBody

log = logging.getLogger("qa.server")
MODEL = "sourced"
CREATED = 1735689600  # when the model "was made" (2025-01-01): OpenAI's model objects carry one
TASK_PROMPT = "### Task:"  # how Open WebUI's background prompts (titles, tags, follow-ups) begin: not questions


def error_body(status: int, message: str, *, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """The error object OpenAI's clients read (`invalid_request_error` for 4xx, `server_error` for 5xx)."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def openai_error(status: int, message: str, *, code: str | None = None, param: str | None = None) -> JSONResponse:
    """An error response with OpenAI's body."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return SafeJSONResponse(error_body(status, message, code=code, param=param), status_code=status, headers=headers)


def _code(exc: Exception) -> str:
    """A named error's code: EmptyQuestion -> 'empty_question'."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def _status(exc: SourcedError) -> int:
    status = status_of(exc)
    return 400 if status == 422 else status  # OpenAI answers bad input with 400


class OpenAIRoute(GuardedRoute):
    """A /v1 route whose every failure is an OpenAI error object (unexpected ones logged, not shown)."""

    def known(self, exc: Exception) -> Response:
        if isinstance(exc, SourcedError):
            return openai_error(_status(exc), str(exc), code=_code(exc))
        if isinstance(exc, ApiError):
            return openai_error(exc.status, exc.message, code=exc.extra.get("code") or (
                "invalid_api_key" if exc.status == 401 else None), param=exc.extra.get("param"))
        if isinstance(exc, RequestValidationError):
            return _invalid(exc)
        assert isinstance(exc, StarletteHTTPException)
        return openai_error(exc.status_code, str(exc.detail))

    def unexpected(self) -> Response:
        return openai_error(500, "Internal server error; the server log has the details.")


def _invalid(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return openai_error(400, "The request body is not valid JSON.")
    first = errors[0] if errors else {}
    param = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or None
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return openai_error(400, f"Invalid request: {param or 'body'}: {message}.", param=param)


router = APIRouter(prefix="/v1", dependencies=[Depends(check_token)], route_class=OpenAIRoute)


class Message(BaseModel):
    """One chat message; `content` a string or OpenAI's list of parts (only text parts are read)."""

    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class Options(AskFields):
    """Sourced's own options, in the request's `sourced` field (OpenAI SDKs: `extra_body={"sourced": ...}`)."""


class ChatRequest(RequestBody):
    """OpenAI's chat request; sampling fields (temperature, max_tokens, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[Message] = Field(..., min_length=1)
    stream: bool = False
    sourced: Options | None = None


def _model() -> dict[str, Any]:
    return {"id": MODEL, "object": "model", "created": CREATED, "owned_by": "sourced"}


@router.get("/models", summary="The one model: sourced")
def list_models() -> dict[str, Any]:
    return {"object": "list", "data": [_model()]}


@router.get("/models/{model}", summary="The model sourced")
def get_model(model: str) -> dict[str, Any]:
    if model != MODEL:
        raise ApiError(404, f"The model '{model}' does not exist; this server has one: '{MODEL}'.",
                       code="model_not_found")
    return _model()


def reply_text(answer: Answer) -> str:
    """The answer as a chat reply: its text with [n] markers, then each sentence it refers to: title (source, date):
    sentence (all citations when the text has no marker)."""
    text = f"⚠ {answer.warning}\n\n{answer.answer}" if answer.warning else answer.answer
    referred = [c for c in answer.citations if f"[{c.n}]" in answer.answer] or answer.citations
    if not referred:
        return text
    lines = []
    for c in referred:
        where = ", ".join(p for p in (c.source, c.published_at[:10]) if p)
        lines.append(f"- [{c.n}] {c.title}" + (f" ({where})" if where else "") + f": “{c.sentence}”")
    heading = CLOSEST if answer.abstained else "Sources:"  # an abstention's quotes support no answer
    return text + f"\n\n{heading}\n" + "\n".join(lines)


CLOSEST = "Where the closest sentences are from (they don't answer it):"


def answer_part(reply: str) -> str:
    """An earlier reply of ours as history: its answer, without the warning line and the "Sources" list we added."""
    if reply.startswith("⚠ ") and "\n\n" in reply:
        reply = reply.split("\n\n", 1)[1]
    return reply.split("\n\nSources:\n", 1)[0].split(f"\n\n{CLOSEST}\n", 1)[0]


def _asked(body: ChatRequest, limits: ServerLimits, question_chars: int) -> tuple[str, list[dict[str, str]],
                                                                               dict[str, Any]]:
    """The question (the last message, the user's), the earlier turns (400 naming the limit when they are over
    one), and the engine's options."""
    if body.model != MODEL:
        raise ApiError(404, f"The model '{body.model}' does not exist; this server has one: '{MODEL}'.",
                       code="model_not_found")
    last = body.messages[-1]
    if last.role != "user":
        raise ApiError(400, f"The last message must be the user's question, not a '{last.role}' message.",
                       code="invalid_messages")
    history = [{"role": m.role, "content": m.text if m.role == "user" else answer_part(m.text)}
               for m in body.messages[:-1] if m.role in ("user", "assistant")]
    problem = history_problem(history, limits, question_chars)
    if problem:
        raise ApiError(400, f"Invalid request: messages: {problem}.", code="history_too_long", param="messages")
    return last.text, history, body.sourced.model_dump(exclude_none=True) if body.sourced else {}


@router.post("/chat/completions", summary="Answer the last user message, OpenAI-style")
def chat_completions(body: ChatRequest, request: Request) -> Response:
    engine = request.app.state.engine
    limits = getattr(request.app.state, "limits", ServerLimits())
    question, history, options = _asked(body, limits, engine.settings.max_question_chars)
    reply_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if question.lstrip().startswith(TASK_PROMPT):  # an empty reply, no search: the client keeps its defaults
        return _reply(reply_id, created, "", body.stream)
    if not body.stream:
        answer = engine.ask(question, history=history, **options)
        return _reply(reply_id, created, reply_text(answer), False, sourced=answer.to_dict())
    events = engine.ask_stream(question, history=history, **options)
    first = next(events)  # a bad question or filter fails here, as an error object, before the stream starts
    return _stream(_chunks(reply_id, created, itertools.chain([first], events)))


def _reply(reply_id: str, created: int, content: str, stream: bool, **extra: Any) -> Response:
    """A whole reply: one chat.completion, or streamed as the role chunk, the text, `stop` and `[DONE]`."""
    if stream:
        return _stream(iter([_chunk(reply_id, created, {"role": "assistant", "content": content}),
                             _chunk(reply_id, created, {}, "stop", **extra), "data: [DONE]\n\n"]))
    return JSONResponse({
        "id": reply_id, "object": "chat.completion", "created": created, "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop", "logprobs": None}], **extra})


def _stream(events: Iterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _chunk(reply_id: str, created: int, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    """One server-sent chat.completion.chunk."""
    data = {"id": reply_id, "object": "chat.completion.chunk", "created": created, "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def _chunks(reply_id: str, created: int, events: Iterator[str | Answer]) -> Iterator[str]:
    """OpenAI's chunks of the verified reply (an LLM's unchecked tokens are never sent), then `[DONE]`."""

    chunk = functools.partial(_chunk, reply_id, created)
    yield chunk({"role": "assistant", "content": ""})
    try:
        answer = next(e for e in events if isinstance(e, Answer))
    except SourcedError as exc:  # the index changed under the stream: say so in it, as OpenAI does
        yield f"data: {json.dumps(error_body(_status(exc), str(exc), code=_code(exc)), ensure_ascii=False)}\n\n"
        return
    except Exception:  # noqa: BLE001 - headers are sent: the client gets an error event, the log the traceback
        log.exception("unexpected error while streaming a chat completion")
        yield f"data: {json.dumps(error_body(500, 'Internal server error; the server log has the details.'))}\n\n"
        return
    for piece in pieces(reply_text(answer)):
        yield chunk({"content": piece})
    yield chunk({}, "stop", sourced=answer.to_dict())
    yield "data: [DONE]\n\n"


@router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def unknown(path: str, request: Request) -> None:
    """Any other path under /v1: OpenAI's 404."""
    raise ApiError(404, f"Unknown request URL: {request.method} {request.url.path}.", code="unknown_url")
