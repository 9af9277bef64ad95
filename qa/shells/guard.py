"""The server's gate (ASGI middleware): which hosts and origins it serves, and how large a request body may be.

- **Hosts** (DNS rebinding): a page on evil.example that points its name at 127.0.0.1 reaches the server with
  `Host: evil.example`. Only the names the server was started for are served: 127.0.0.1, localhost, ::1 (any
  loopback address), the `--host` it binds, and those allowed with `--allow-host` / `$QA_ALLOWED_HOSTS`.
- **Origins** (cross-site requests): a browser says where a request comes from in `Origin`. A request from
  another origin is refused, reads included, unless `--allow-origin` / `$QA_ALLOWED_ORIGINS` allows it (it then
  gets CORS headers). A cross-site form POST (`Sec-Fetch-Site: cross-site`) is refused too. Requests without
  `Origin` (curl, the OpenAI and MCP clients) are not a page's and pass; the chat page's own carry its origin.
- **Bodies** are counted as they stream in (chunked ones included) and refused with 413 as soon as they pass
  their limit (`ServerLimits`), the rest unread.

Refusals are JSON in the door's own shape: OpenAI's error object under /v1, `{"error", "status"}` elsewhere.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
ANY = "*"
WILDCARD_BINDS = ("0.0.0.0", "::", "")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded", "text/plain", ""})
JSON_ROUTES = frozenset({"/api/ask", "/api/ask/stream", "/v1/chat/completions"})
UPLOAD_ROUTES = frozenset({"/api/articles", "/gradio_api/upload"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
HOSTS_ENV, ORIGINS_ENV = "QA_ALLOWED_HOSTS", "QA_ALLOWED_ORIGINS"


@dataclass(frozen=True)
class ServerLimits:
    """What one request to the server may hold; over a limit, a 4xx naming it. (Articles: `index.loaders.Limits`;
    the question itself: `Settings.max_question_chars`.)"""

    json_bytes: int = 1_000_000  # the JSON body of /api/ask, /api/ask/stream and /v1/chat/completions
    upload_bytes: int = 100_000_000  # POST /api/articles and the page's uploads; never below one file (+64 KiB)
    other_bytes: int = 10_000_000  # any other request body (the chat page's own calls, MCP messages, ...)
    history_turns: int = 50  # earlier turns of a conversation (messages, or [question, answer] pairs)
    history_reply_chars: int = 20_000  # one earlier answer; an earlier question: Settings.max_question_chars

    def body_limit(self, path: str, max_file_bytes: int) -> tuple[int, str]:
        """The byte limit for a request body sent to `path`, and what it is called in the refusal."""
        path = path.rstrip("/") or "/"
        if path in JSON_ROUTES:
            return self.json_bytes, f"the JSON body of {path}"
        if path in UPLOAD_ROUTES:
            return max(self.upload_bytes, max_file_bytes + 65_536), "an upload"
        return self.other_bytes, "a request body"


def split_names(value: str | None) -> list[str]:
    """`$QA_ALLOWED_HOSTS` or `$QA_ALLOWED_ORIGINS`: names separated by commas (or spaces)."""
    return [name for name in (value or "").replace(",", " ").split() if name]


def served_hosts(bind: str, allowed: Iterable[str]) -> list[str]:
    """The host names a server bound to `bind` serves besides the local ones: `bind` itself unless it is a
    wildcard (0.0.0.0, ::), and the `allowed` ones."""
    return [*([] if bind in WILDCARD_BINDS else [bind]), *allowed]


def host_name(host: str) -> str:
    """'Example.com.:7860' -> 'example.com'; '[::1]:7860' -> '::1'."""
    host = host.strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _port(host: str) -> int | None:
    tail = host.rsplit("]", 1)[-1] if host.startswith("[") else (host if host.count(":") == 1 else "")
    digits = tail.rsplit(":", 1)[-1] if ":" in tail else ""
    return int(digits) if digits.isdigit() else None


def origin_key(origin: str) -> tuple[str, str, int] | None:
    """'https://App.example' -> ('https', 'app.example', 443); None when it is not an http(s) origin."""
    try:
        parts = urlsplit(origin.strip())
        scheme, name, port = parts.scheme.lower(), (parts.hostname or "").rstrip("."), parts.port
    except ValueError:
        return None
    if scheme not in ("http", "https") or not name:
        return None
    return scheme, name, port or DEFAULT_PORTS[scheme]


def check_origins(origins: Sequence[str]) -> list[str]:
    """The origins as given, or a `ValueError` naming one that is not such as https://app.example (or *)."""
    for origin in origins:
        if origin != ANY and origin_key(origin) is None:
            raise ValueError(f"'{origin}' is not an origin such as https://app.example or http://localhost:3000")
    return list(origins)


def _is_loopback(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _shown(value: str) -> str:
    return value if len(value) <= 100 else value[:100] + "…"


class Guard:
    """ASGI middleware around the whole app (the API, /v1, the chat page; or the MCP server)."""

    def __init__(self, app: Any, *, hosts: Sequence[str] = (), origins: Sequence[str] = (),
                 limits: ServerLimits = ServerLimits(), max_file_bytes: int = 20_000_000) -> None:
        self.app, self.limits, self.max_file_bytes = app, limits, max_file_bytes
        self.any_host, self.any_origin = ANY in hosts, ANY in origins
        self.hosts = frozenset(host_name(h) for h in (*LOCAL_HOSTS, *hosts) if h != ANY)
        self.origins = frozenset(k for k in (origin_key(o) for o in check_origins(origins) if o != ANY) if k)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self.refusal(scope, headers)
        if refusal is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": refusal[1][:120]})
            else:
                await self.refuse(scope, send, 403, *refusal)
            return
        cross = self.cross_origin(scope, headers)
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
        elif cross and scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self.preflight(send, cross, headers)
        else:
            await self.bounded(scope, receive, send, headers, cross)

    # --- hosts and origins -------------------------------------------------------------------------------

    def refusal(self, scope: Any, headers: Headers) -> tuple[str, str] | None:
        """(code, message) when the request must be refused, else None."""
        host = headers.get("host")
        if host is not None and not self.host_allowed(host):
            name = _shown(host_name(host))
            return "host_not_allowed", (
                f"This server does not serve the host '{name}' (a guard against DNS rebinding). Open it as "
                f"http://127.0.0.1:PORT/, or start it with --allow-host {name} (or {HOSTS_ENV}={name}).")
        origin = headers.get("origin")
        if origin is not None and not self.origin_allowed(origin, scope, headers):
            shown = _shown(origin)
            return "origin_not_allowed", (
                f"Requests from the origin '{shown}' are refused (a guard against cross-site requests); start "
                f"the server with --allow-origin {shown} (or {ORIGINS_ENV}) to allow it.")
        if (origin is None and scope.get("method", "GET") not in SAFE_METHODS
                and headers.get("sec-fetch-site", "").lower() == "cross-site"
                and headers.get("content-type", "").split(";")[0].strip().lower() in FORM_TYPES):
            return "cross_site_form", "A cross-site form submission is refused (a guard against cross-site requests)."
        return None

    def host_allowed(self, host: str) -> bool:
        name = host_name(host)
        return self.any_host or name in self.hosts or _is_loopback(name)

    def origin_allowed(self, origin: str, scope: Any, headers: Headers) -> bool:
        return self.any_origin or self.same_origin(origin, scope, headers) or origin_key(origin) in self.origins

    @staticmethod
    def same_origin(origin: str, scope: Any, headers: Headers) -> bool:
        """Whether `origin` is the server's own: the scheme, host and port the request was sent to."""
        key, host = origin_key(origin), headers.get("host")
        if key is None or host is None:
            return False
        scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
        return key == (scheme, host_name(host), _port(host) or DEFAULT_PORTS.get(scheme, 80))

    def cross_origin(self, scope: Any, headers: Headers) -> str | None:
        """The `Origin` of an allowed request from another origin (it gets CORS headers), else None."""
        origin = headers.get("origin")
        if origin is None or self.same_origin(origin, scope, headers):
            return None
        return origin

    async def preflight(self, send: Any, origin: str, headers: Headers) -> None:
        """A CORS preflight from an allowed origin: what it may send."""
        asked = headers.get("access-control-request-headers", "")[:500]
        await send({"type": "http.response.start", "status": 204, "headers": [
            (b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin"),
            (b"access-control-allow-methods", b"GET, POST, DELETE, OPTIONS"),
            (b"access-control-allow-headers", asked.encode("latin-1")), (b"access-control-max-age", b"600")]})
        await send({"type": "http.response.body", "body": b""})

    # --- bodies ------------------------------------------------------------------------------------------

    async def bounded(self, scope: Any, receive: Any, send: Any, headers: Headers, cross: str | None) -> None:
        """Run the app with its request body counted as it arrives; past the limit, 413 and the rest unread."""
        limit, what = self.limits.body_limit(scope["path"], self.max_file_bytes)
        message = f"The request is too large: {what} may be at most {limit:,} bytes."
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await self.refuse(scope, send, 413, "request_too_large", message)
            return
        state = {"received": 0, "over": False, "started": False}

        async def counted() -> Any:
            if state["over"]:
                raise BodyTooLarge(message)
            event = await receive()
            if event["type"] == "http.request":
                state["received"] += len(event.get("body", b""))
                if state["received"] > limit:
                    state["over"] = True
                    raise BodyTooLarge(message)
            return event

        async def sent(event: Any) -> None:
            if state["over"]:
                return  # the app's answer to a body it could not read is dropped: ours goes instead
            if event["type"] == "http.response.start":
                state["started"] = True
                if cross:
                    found = MutableHeaders(scope=event)
                    if "access-control-allow-origin" not in found:
                        found["access-control-allow-origin"] = cross
                        found.append("vary", "Origin")
            await send(event)

        try:
            await self.app(scope, counted, sent)
        except Exception:
            if not state["over"]:
                raise
        if state["over"] and not state["started"]:
            await self.refuse(scope, send, 413, "request_too_large", message)

    @staticmethod
    async def refuse(scope: Any, send: Any, status: int, code: str, message: str) -> None:
        """A JSON refusal in the door's shape; the connection is closed (a body may be left unread)."""
        if scope["path"].startswith("/v1/") or scope["path"] == "/v1":
            body: dict[str, Any] = {"error": {"message": message, "type": "invalid_request_error",
                                              "param": None, "code": code}}
        else:
            body = {"error": message, "status": status, "code": code}
        data = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": data})


class BodyTooLarge(Exception):
    """Raised into the app when its request body passes the limit (the guard answers 413 for it)."""


def history_problem(history: Sequence[object] | None, limits: ServerLimits, question_chars: int) -> str | None:
    """What is over a limit in the earlier turns of a conversation, or None: at most `limits.history_turns`
    turns; an earlier question at most `question_chars` characters, an earlier answer `history_reply_chars`."""
    turns = list(history or [])
    if len(turns) > limits.history_turns:
        return f"the history has {len(turns):,} turns; the limit is {limits.history_turns:,}"
    for n, turn in enumerate(turns, start=1):
        for role, value in _parts(turn):
            limit = question_chars if role == "user" else limits.history_reply_chars
            chars = _chars(value)
            if chars > limit:
                what = "question" if role == "user" else "answer"
                return (f"turn {n} of the history (an earlier {what}) is too long ({chars:,} characters; "
                        f"the limit is {limit:,})")
    return None


def _parts(turn: object) -> list[tuple[str, object]]:
    """(role, content) of one turn: a {"role", "content"} message, a [question, answer] pair, or a question."""
    if isinstance(turn, dict):
        return [("user" if turn.get("role") == "user" else "assistant", turn.get("content"))]
    if isinstance(turn, (list, tuple)):
        return [("user" if i == 0 else "assistant", part) for i, part in enumerate(turn)]
    return [("user", turn)]


def _chars(value: object) -> int:
    """Characters of every string in a JSON value."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return total
