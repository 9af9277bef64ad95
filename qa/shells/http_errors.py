"""How failures reach an HTTP client: a JSON body `{"error": ..., "status": ...}`, the status from one table."""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Coroutine

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa.errors import (
    EmptyIndex,
    EmptyQuestion,
    IndexBusy,
    InvalidQuestion,
    ModelMismatch,
    OutOfResources,
    QuestionTooLong,
    SourcedError,
    StoreUnavailable,
    UnknownArticle,
)

log = logging.getLogger("qa.server")

STATUS: dict[type[SourcedError], int] = {
    EmptyQuestion: 422, InvalidQuestion: 422, QuestionTooLong: 422, EmptyIndex: 409, UnknownArticle: 404,
    IndexBusy: 503, StoreUnavailable: 503, OutOfResources: 503, ModelMismatch: 500,
}  # any other SourcedError: 400


class ApiError(Exception):
    """An error of the HTTP layer itself (auth, size, shape of the request) with its status."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


class SafeJSONResponse(JSONResponse):
    """JSON that always encodes: a string the client sent that is not valid Unicode comes back escaped."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()


def status_of(exc: SourcedError) -> int:
    """The HTTP status for one of the library's named errors."""
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    """The JSON body every error has."""
    return SafeJSONResponse({"error": message, "status": status, **extra}, status_code=status)


async def _sourced_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SourcedError)
    return error_response(status_of(exc), str(exc))


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    response = error_response(exc.status, exc.message, **exc.extra)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return error_response(400, "The request body is not valid JSON.")
    errors = [{"field": _field(e.get("loc", ())), "message": str(e.get("msg", "invalid")).removeprefix("Value error, ")}
              for e in exc.errors()]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return error_response(422, f"Invalid request: {first['field']}: {first['message']}.", errors=errors)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        return error_response(400, "The request body is not valid JSON.")  # FastAPI's words for undecodable bytes
    return error_response(exc.status_code, str(exc.detail))


def add_error_handlers(app: FastAPI) -> None:
    """Every error the app answers with becomes the JSON body above."""
    app.add_exception_handler(SourcedError, _sourced_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)


class GuardedRoute(APIRoute):
    """An API route whose unexpected failures become a JSON 500 without details (logged on the server).

    Our named errors go on to the app's handlers; a subclass answers them itself by overriding `known`."""

    def known(self, exc: Exception) -> Response:
        """The response to one of our named errors (here: raised again, for the app's handlers)."""
        raise exc

    def unexpected(self) -> Response:
        """The response to anything else, once its traceback is logged."""
        return error_response(500, "Internal server error; the server log has the details.")

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (SourcedError, ApiError, StarletteHTTPException, RequestValidationError) as exc:
                return self.known(exc)
            except Exception:  # noqa: BLE001 - the client gets a clean message, the log gets the traceback
                log.exception("unexpected error on %s %s", request.method, request.url.path)
                return self.unexpected()

        return guarded
