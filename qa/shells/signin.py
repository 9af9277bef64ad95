"""The sign-in page (ASGI middleware, with a token set): a page asked for without a session gets a small form;
posting the right token sets the session cookie (`qa.shells.auth.Sessions`) and goes back to the page.

- A page (GET or HEAD of /, /docs, /redoc, or anything a browser asks for as HTML) without a session: the form,
  status 401, nothing external, everything escaped. POST /sign-in: the right token -> 303 to the page asked for
  (a path on this server only) with the cookie; a wrong one -> the form again with a message, 401.
- A page opened the old way, `/?token=TOKEN`: signed in all the same, then sent (303) to the same address
  without `token`, so it stays in neither the address bar nor the history. The API never reads `?token=`.
- /api and /v1 pass on to their routes, which answer 401 in their own shape (`auth.check_token`); anything else
  without a session (the page's own calls, /openapi.json) is a JSON 401; websockets are closed.
- Session cookies are SameSite=Strict, so a link from another site arrives without one: for such a navigation the
  form reloads itself once (a same-site request, which carries the cookie) before asking.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import string
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from qa.shells.auth import UNAUTHORIZED, Sessions, authorized, same

log = logging.getLogger("qa.server")
SIGN_IN = "/sign-in"
PAGES = frozenset({"/", "/docs", "/redoc", SIGN_IN})
PUBLIC = frozenset({"/favicon.ico", "/manifest.json"})  # fetched by browsers without cookies; nothing private
API_PREFIXES = ("/api/", "/v1/")
API_ROOTS = frozenset({"/api", "/v1", "/openapi.json"})
MAX_FORM_BYTES = 8_192
WRONG = "That is not this server's token."

CSS = """
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: Canvas; color: CanvasText; }
main { width: min(22rem, 90vw); padding: 1.5rem; border: 1px solid #8886; border-radius: .5rem; }
h1 { font-size: 1.25rem; margin: 0 0 .5rem; }
p { margin: 0 0 1rem; line-height: 1.4; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input, button { box-sizing: border-box; width: 100%; font: inherit; padding: .5rem; border-radius: .25rem; }
input { border: 1px solid #888; }
button { margin-top: .75rem; border: 0; background: #2563eb; color: #fff; cursor: pointer; }
.error { color: #c62828; font-weight: 600; margin: .5rem 0 0; }
"""
CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (f"default-src 'none'; style-src 'sha256-{CSS_HASH}'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "Referrer-Policy": "same-origin",  # not no-referrer: the form's POST would then say `Origin: null`
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def form_page(target: str, error: str | None = None, *, reload: bool = False) -> str:
    """The sign-in form, going on to `target` (a local path) once signed in."""
    message = f'<p class="error" id="error" role="alert">{html.escape(error)}</p>' if error else ""
    invalid = ' aria-invalid="true" aria-describedby="error"' if error else ""
    refresh = '<meta http-equiv="refresh" content="0">' if reload else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
{refresh}<title>Sign in - Sourced</title><style>{CSS}</style></head>
<body><main><h1>Sourced</h1><p>This server asks for its access token (the <code>QA_API_TOKEN</code> it was
started with).</p>
<form method="post" action="{SIGN_IN}"><input type="hidden" name="next" value="{html.escape(target)}">
<label for="token">Token</label><input id="token" name="token" type="password" autocomplete="current-password"
 required autofocus{invalid}>{message}<button type="submit">Sign in</button></form></main></body></html>
"""


def local_target(value: str | None) -> str:
    """Where to go after signing in: `value` if it is a path on this server (never another site), else /."""
    value = value or "/"
    if (not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > 2_000
            or any(ch < " " or ch in "\\\x7f" for ch in value) or value.split("?")[0] == SIGN_IN):
        return "/"
    path, _, query = value.partition("?")
    return quote(without_token(path, query), safe=string.punctuation)


def without_token(path: str, query: str) -> str:
    """`path?query` without its `token` parameter."""
    kept = [(key, value) for key, value in parse_qsl(query, keep_blank_values=True) if key != "token"]
    return path + (f"?{urlencode(kept)}" if kept else "")


def is_page(method: str, path: str, headers: Headers) -> bool:
    """Whether a request is a browser opening a page (the form may answer it), not a call to the API."""
    if method not in ("GET", "HEAD") or path in API_ROOTS or path.startswith(API_PREFIXES):
        return False
    return path in PAGES or "text/html" in headers.get("accept", "")


def token_in_query(scope: Any) -> str | None:
    """The `token` parameter of the request's address, if it has one."""
    query = scope.get("query_string", b"").decode("latin-1")
    return next((value for key, value in parse_qsl(query, keep_blank_values=True) if key == "token"), None)


class SignIn:
    """ASGI middleware inside the guard: the form for pages, a JSON 401 for the rest, /api and /v1 to their routes."""

    def __init__(self, app: Any, *, token: str, sessions: Sessions) -> None:
        self.app, self.token, self.sessions = app, token, sessions

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        signed_in = authorized(headers, self.token, self.sessions)
        if scope["type"] == "websocket":
            if signed_in:
                await self.app(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008, "reason": "Not signed in."})
            return
        path, method = scope["path"], scope["method"]
        page = is_page(method, path, headers)
        if path == SIGN_IN:
            response = await self.sign_in(scope, receive, headers) if method == "POST" else \
                self.sign_in_page(method, signed_in)
        elif page and token_in_query(scope) is not None:
            response = self.from_address(scope, headers, signed_in)
        elif signed_in or path in PUBLIC or path in ("/api", "/v1") or path.startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return
        elif page:
            response = self.form(self.asked(scope), reload=self.cross_site(headers))
        else:
            response = JSONResponse({"error": UNAUTHORIZED, "status": 401}, status_code=401,
                                    headers={"WWW-Authenticate": "Bearer", "Cache-Control": "no-store"})
        await response(scope, receive, send)

    @staticmethod
    def asked(scope: Any) -> str:
        """The path and query the request asked for, as sent."""
        raw = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        return local_target(raw.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else ""))

    @staticmethod
    def cross_site(headers: Headers) -> bool:
        """A navigation from another site: it came without the SameSite=Strict cookie even if there is one."""
        return headers.get("sec-fetch-site") == "cross-site" and headers.get("sec-fetch-mode") == "navigate"

    @staticmethod
    def form(target: str, error: str | None = None, *, status: int = 401, reload: bool = False) -> Response:
        return HTMLResponse(form_page(target, error, reload=reload), status_code=status,
                            headers={**HEADERS, **({"WWW-Authenticate": "Bearer"} if status == 401 else {})})

    def signed(self, target: str, scope: Any) -> Response:
        """303 to `target` with a new session cookie."""
        response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
        response.headers.append("set-cookie", self.sessions.set_cookie(secure=scope.get("scheme") == "https"))
        return response

    def sign_in_page(self, method: str, signed_in: bool) -> Response:
        if method not in ("GET", "HEAD"):
            return JSONResponse({"error": "Method not allowed.", "status": 405}, status_code=405,
                                headers={"Allow": "GET, HEAD, POST"})
        if signed_in:
            return RedirectResponse("/", status_code=303)
        return self.form("/", status=200)

    def from_address(self, scope: Any, headers: Headers, signed_in: bool) -> Response:
        """A page opened as `?token=...`: signed in (or already) -> the same address without it; else the form."""
        target = self.asked(scope)
        if same(token_in_query(scope), self.token):
            return self.signed(target, scope)
        if signed_in:
            return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
        log.warning("sign-in refused: a wrong token in the address (client %s)", _client(scope))
        return self.form(target, WRONG)

    async def sign_in(self, scope: Any, receive: Any, headers: Headers) -> Response:
        """POST /sign-in: the form's `token` and `next`."""
        body = await _read(receive, MAX_FORM_BYTES)
        if body is None:
            return JSONResponse({"error": f"The sign-in form may be at most {MAX_FORM_BYTES:,} bytes.",
                                 "status": 413}, status_code=413)
        urlencoded = headers.get("content-type", "").split(";")[0].strip().lower() == \
            "application/x-www-form-urlencoded"
        fields = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True)) if urlencoded else {}
        target = local_target(fields.get("next"))
        if same(fields.get("token"), self.token):
            return self.signed(target, scope)
        log.warning("sign-in refused: a wrong token (client %s)", _client(scope))
        return self.form(target, WRONG if fields.get("token") else "Enter the token.")


async def _read(receive: Any, limit: int) -> bytes | None:
    """The request body, or None when it passes `limit` bytes or the client leaves."""
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body"):
            return body


def _client(scope: Any) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
