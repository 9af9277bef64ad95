"""The optional API token: taken from a header only, and, once a browser has signed in, a signed session cookie.

- **Header**: `Authorization: Bearer TOKEN` or `X-API-Token: TOKEN`, on every route. Never from the URL.
- **Session**: the sign-in page (`qa.shells.signin`) sets `qa_session`, `EXPIRES.SIGNATURE`: an HMAC-SHA256 of
  the expiry under a key drawn at random when the app is made and kept only in memory. It is HttpOnly,
  SameSite=Strict, and refused after it expires (checked here, not only by the browser); a restart draws a new
  key, so every browser signs in again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, Mapping

from fastapi import Request
from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from qa.shells.http_errors import ApiError

SESSION_COOKIE = "qa_session"
SESSION_DAYS_ENV = "QA_SESSION_DAYS"
DEFAULT_SESSION_DAYS = 7.0
MAX_SESSION_DAYS = 366.0
UNAUTHORIZED = "Missing or wrong API token: send 'Authorization: Bearer <token>'."


def same(given: str | None, expected: str) -> bool:
    """Whether `given` is `expected`, in time that does not depend on where they differ."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def header_has(headers: Mapping[str, str], token: str) -> bool:
    """Whether a request brings `token` in `Authorization: Bearer` or `X-API-Token` (never the URL)."""
    auth = headers.get("authorization", "")
    bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    return same(bearer, token) or same(headers.get("x-api-token"), token)


def session_days(value: str | None) -> float:
    """`$QA_SESSION_DAYS`: how long a sign-in lasts, in days (7 when unset); a `ValueError` naming a bad one."""
    if value is None or not value.strip():
        return DEFAULT_SESSION_DAYS
    try:
        days = float(value)
    except ValueError:
        days = float("nan")
    if not 0 < days <= MAX_SESSION_DAYS:
        raise ValueError(f"{SESSION_DAYS_ENV} must be a number of days above 0 and at most {MAX_SESSION_DAYS:g} "
                         f"(such as 7 or 0.5), not '{value[:40]}'")
    return days


@dataclass(frozen=True)
class Sessions:
    """Signs and checks the session cookie: valid until its expiry, and only under this app's key."""

    days: float = DEFAULT_SESSION_DAYS
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    @property
    def seconds(self) -> int:
        return max(1, round(self.days * 86_400))

    def _signature(self, expires: int) -> str:
        mac = hmac.new(self.key, f"sourced-session:{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self, *, now: float | None = None) -> tuple[str, int]:
        """A new cookie value, and the Unix time it expires."""
        expires = int(now if now is not None else time.time()) + self.seconds
        return f"{expires}.{self._signature(expires)}", expires

    def valid(self, value: str | None, *, now: float | None = None) -> bool:
        """Whether `value` is a cookie this app signed and it has not expired."""
        expires, _, signature = (value or "").partition(".")
        if not (expires.isascii() and expires.isdigit() and len(expires) <= 12 and signature):
            return False
        fresh = int(expires) > (now if now is not None else time.time())
        return hmac.compare_digest(signature.encode(), self._signature(int(expires)).encode()) and fresh

    def set_cookie(self, *, secure: bool) -> str:
        """A `Set-Cookie` value for a new session."""
        value, expires = self.issue()
        return (f"{SESSION_COOKIE}={value}; Path=/; Max-Age={self.seconds}; "
                f"Expires={formatdate(expires, usegmt=True)}; HttpOnly; SameSite=Strict" + ("; Secure" if secure else ""))


def cookie(headers: Mapping[str, str], name: str = SESSION_COOKIE) -> str | None:
    """One cookie's value from the `Cookie` header."""
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def authorized(headers: Mapping[str, str], token: str, sessions: Sessions) -> bool:
    """The token in a header (`Authorization: Bearer`, `X-API-Token`), or a valid session cookie."""
    return header_has(headers, token) or sessions.valid(cookie(headers))


def check_token(request: Request) -> None:
    """FastAPI dependency: refuse the request unless it brings the app's token or session (when it has a token)."""
    token = request.app.state.token
    if token and not authorized(request.headers, token, request.app.state.sessions):
        raise ApiError(401, UNAUTHORIZED)


class BearerToken:
    """ASGI middleware: every HTTP request must bring the token (`Authorization: Bearer` or `X-API-Token`)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not header_has(Headers(scope=scope), self.token):
            refused = JSONResponse({"error": UNAUTHORIZED, "status": 401}, status_code=401,
                                   headers={"WWW-Authenticate": "Bearer"})
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)
