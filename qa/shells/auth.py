"""The optional API token: checked on /api/*, and kept for the chat page in a cookie holding its digest."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse

from qa.shells.http_errors import ApiError

TOKEN_COOKIE = "qa_token"
UNAUTHORIZED = "Missing or wrong API token: send 'Authorization: Bearer <token>'."


def _same(given: str | None, expected: str) -> bool:
    return bool(given) and secrets.compare_digest(str(given).encode(), expected.encode())


def _cookie_value(token: str) -> str:
    """What the page's cookie holds: a digest of the token, not the token."""
    return hashlib.sha256(f"sourced:{token}".encode()).hexdigest()


def authorized(request: Request, token: str) -> bool:
    """The token in `Authorization: Bearer`, `X-API-Token`, `?token=`, or (its digest) the page's cookie."""
    auth = request.headers.get("authorization", "")
    bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    return (_same(bearer, token) or _same(request.headers.get("x-api-token"), token)
            or _same(request.query_params.get("token"), token)
            or _same(request.cookies.get(TOKEN_COOKIE), _cookie_value(token)))


def check_token(request: Request) -> None:
    """FastAPI dependency: refuse the request unless it brings the app's token (when it has one)."""
    token = request.app.state.token
    if token and not authorized(request, token):
        raise ApiError(401, UNAUTHORIZED)


class TokenCookie:
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


class BearerToken:
    """ASGI middleware: every HTTP request must bring the token (`Authorization: Bearer` or `X-API-Token`)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            auth = headers.get("authorization", "")
            bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            if not (_same(bearer, self.token) or _same(headers.get("x-api-token"), self.token)):
                refused = JSONResponse({"error": UNAUTHORIZED, "status": 401}, status_code=401,
                                       headers={"WWW-Authenticate": "Bearer"})
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)
