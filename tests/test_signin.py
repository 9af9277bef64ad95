"""The sign-in page of `qa serve` with a token set, through a real HTTP client against the server on 127.0.0.1
(fake embedder), and once in a real browser: Debian's chromium driven by Playwright."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder, free_port

from qa.shells.auth import SESSION_COOKIE, Sessions, session_days

pytestmark = pytest.mark.timeout(300)

TOKEN = "sign-in-s3cret"
STORY = ("Flooding closed the Lindqvist Bridge in Tromsø on Tuesday. The U.S. envoy met Mayor Alvarez on Jan. 4. "
         "Officials said 1,200 residents were moved to the sports hall.")
QUESTION = "How many residents were moved to the sports hall?"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
WAIT_MS = 60_000
HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from qa.engine import QA

    qa = QA(tmp_path_factory.mktemp("signin") / "index", embedder=FakeEmbedder())
    qa.ingest_bytes([("story.txt", STORY.encode())])
    return qa


@pytest.fixture(scope="module")
def app(engine: Any) -> Any:
    from qa.shells.server import create_app

    return create_app(engine, token=TOKEN)


@pytest.fixture(scope="module")
def url(app: Any) -> Iterator[str]:
    from qa.shells.server import ServerThread

    with ServerThread(app, free_port()) as server:
        yield server.url


@pytest.fixture
def client(url: str) -> Iterator[httpx.Client]:
    """A fresh browser-like client (no cookies yet); its POSTs carry the page's own Origin, as a browser's do."""
    with httpx.Client(base_url=url, timeout=60, headers={"origin": url}) as c:
        yield c


def sign_in(client: httpx.Client, token: str = TOKEN, target: str = "/") -> httpx.Response:
    return client.post("/sign-in", data={"token": token, "next": target})


def assert_form(r: httpx.Response, status: int = 401) -> str:
    """The sign-in form: a password field and a button, nothing fetched from anywhere, the token nowhere."""
    assert r.status_code == status and r.headers["content-type"].startswith("text/html")
    text = r.text
    assert '<form method="post" action="/sign-in">' in text and 'type="password"' in text and "<button" in text
    assert not re.search(r"\b(src|href)=|@import|url\(|<script", text), "the form needs nothing external"
    assert "default-src 'none'" in r.headers["content-security-policy"] and r.headers["cache-control"] == "no-store"
    assert TOKEN not in text
    return text


def test_a_page_without_a_session_is_the_sign_in_form(client: httpx.Client) -> None:
    for path in ("/", "/docs", "/redoc"):
        text = assert_form(client.get(path))
        assert f'name="next" value="{path}"' in text
    assert_form(client.get("/some/page?a=1&b=<x>", headers=HTML))  # anything a browser opens as a page
    assert 'value="/some/page?a=1&amp;b=%3Cx%3E"' in client.get("/some/page?a=1&b=<x>", headers=HTML).text
    assert_form(client.get("/sign-in"), 200)
    for path in ("/openapi.json", "/config", "/gradio_api/info", "/theme.css"):  # not pages: JSON
        r = client.get(path)
        assert r.status_code == 401 and r.json()["status"] == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client.get("/").headers.get("set-cookie") is None


def test_a_wrong_token_shows_the_form_again_with_a_message(client: httpx.Client) -> None:
    r = sign_in(client, "<b>wrong</b>", "/docs")
    text = assert_form(r)
    assert "not this server&#x27;s token" in text and 'aria-invalid="true"' in text
    assert "<b>wrong</b>" not in text and "wrong" not in text  # never shown back
    assert 'name="next" value="/docs"' in text and "set-cookie" not in r.headers
    assert "Enter the token." in assert_form(sign_in(client, ""))
    assert client.get("/config").status_code == 401


def test_the_right_token_sets_a_signed_expiring_cookie_and_goes_to_the_page(client: httpx.Client) -> None:
    r = sign_in(client, TOKEN, "/docs?token=x&tab=1")
    assert r.status_code == 303 and r.headers["location"] == "/docs?tab=1"  # and never a token in it
    cookie = r.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "max-age", "expires", "path"} <= attributes and "SameSite=Strict" in cookie
    assert "Max-Age=604800" in cookie and "secure" not in attributes  # http on 127.0.0.1; https adds Secure
    value = client.cookies[SESSION_COOKIE]
    assert TOKEN not in value and hashlib.sha256(TOKEN.encode()).hexdigest() not in value
    assert 6.9 * 86_400 < int(value.split(".")[0]) - time.time() <= 7 * 86_400
    for path in ("/", "/docs", "/openapi.json", "/config", "/api/health", "/v1/models"):
        assert client.get(path).status_code == 200, path  # the page's own calls, the docs, the API from /docs
    assert client.get("/sign-in").status_code == 303


def test_after_signing_in_only_a_path_on_this_server_is_followed(client: httpx.Client) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
                   "/\r\nSet-Cookie: x=1", "/sign-in"):
        r = sign_in(client, TOKEN, target)
        assert r.status_code == 303 and r.headers["location"] == "/", target
    assert sign_in(client, TOKEN, "/docs#x y").headers["location"] == "/docs#x%20y"


def test_an_address_with_the_old_token_signs_in_then_leaves_the_address(url: str) -> None:
    with httpx.Client(base_url=url, timeout=60) as c:
        r = c.get(f"/?token={TOKEN}&tab=2")
        assert r.status_code == 303 and r.headers["location"] == "/?tab=2" and "SameSite=Strict" in r.headers[
            "set-cookie"]
        assert c.get("/config").status_code == 200
        assert c.get("/?token=stale").headers["location"] == "/"  # signed in: the address is cleaned all the same
    with httpx.Client(base_url=url, timeout=60) as c:
        text = assert_form(c.get("/docs?token=wrong"))
        assert "not this server" in text and 'value="/docs"' in text and "wrong" not in text


def test_the_api_takes_the_token_in_a_header_only(url: str) -> None:
    for path in ("/api/health", "/api/articles", "/v1/models", "/openapi.json", "/config"):
        r = httpx.get(f"{url}{path}?token={TOKEN}", headers=HTML if path == "/api/health" else {}, timeout=30)
        assert r.status_code == 401 and "set-cookie" not in r.headers, path
    r = httpx.post(f"{url}/api/ask?token={TOKEN}", json={"question": QUESTION}, timeout=30)
    assert r.status_code == 401 and r.json()["error"].startswith("Missing or wrong API token")
    assert httpx.get(f"{url}/v1/models?token={TOKEN}", timeout=30).json()["error"]["code"] == "invalid_api_key"
    for headers in ({"Authorization": f"Bearer {TOKEN}"}, {"X-API-Token": TOKEN}):
        for path in ("/api/health", "/v1/models", "/openapi.json", "/docs", "/"):
            r = httpx.get(f"{url}{path}", headers=headers, timeout=30)
            assert r.status_code == 200 and "set-cookie" not in r.headers, (path, headers)
    r = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, headers={"X-API-Token": TOKEN}, timeout=60)
    assert "1,200" in r.json()["answer"]


def test_a_tampered_expired_or_foreign_cookie_is_refused(app: Any, url: str) -> None:
    sessions: Sessions = app.state.sessions
    good, expires = sessions.issue()
    expired, _ = sessions.issue(now=time.time() - sessions.seconds - 5)  # signed by this server, but past
    later = f"{expires + 86_400}.{good.split('.')[1]}"  # the expiry moved on, the signature kept
    flipped = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    restarted, _ = Sessions().issue()  # a new key: what a browser brings after a restart
    old_digest = hashlib.sha256(f"sourced:{TOKEN}".encode()).hexdigest()
    for value in (expired, later, flipped, restarted, old_digest, "", "1.", ".x", "9" * 40 + ".x"):
        r = httpx.get(f"{url}/config", cookies={SESSION_COOKIE: value}, timeout=30)
        assert r.status_code == 401, value
        assert_form(httpx.get(f"{url}/", cookies={SESSION_COOKIE: value}, timeout=30))
    assert httpx.get(f"{url}/", cookies={"qa_token": old_digest}, timeout=30).status_code == 401
    assert httpx.get(f"{url}/config", cookies={SESSION_COOKIE: good}, timeout=30).status_code == 200
    assert Sessions(key=sessions.key).valid(good) and not Sessions(key=sessions.key).valid(good, now=expires + 1)


def test_the_sign_in_form_is_guarded_and_bounded(client: httpx.Client, url: str) -> None:
    r = client.post("/sign-in", data={"token": TOKEN}, headers={"origin": "https://evil.example"})
    assert r.status_code == 403 and "set-cookie" not in r.headers
    r = httpx.post(f"{url}/sign-in", data={"token": TOKEN}, headers={"sec-fetch-site": "cross-site"}, timeout=30)
    assert r.status_code == 403
    assert client.post("/sign-in", data={"token": TOKEN, "pad": "x" * 20_000}).status_code == 413
    assert client.post("/sign-in", json={"token": TOKEN}).status_code == 401  # only the form's encoding
    assert client.put("/sign-in").status_code == 405


def test_a_link_from_another_site_reloads_the_form_once(client: httpx.Client) -> None:
    """A SameSite=Strict cookie is not sent on a navigation from another site: the form reloads to bring it."""
    cross = {**HTML, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"}
    assert '<meta http-equiv="refresh" content="0">' in assert_form(client.get("/", headers=cross))
    assert "refresh" not in assert_form(client.get("/", headers={**cross, "sec-fetch-site": "same-origin"}))


def test_session_days(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.shells.cli import main
    from qa.shells.server import ServerThread, create_app

    assert session_days(None) == session_days(" ") == 7 and session_days("0.5") == 0.5
    for bad in ("0", "-1", "abc", "nan", "inf", "367"):
        with pytest.raises(ValueError, match="QA_SESSION_DAYS"):
            session_days(bad)
    with ServerThread(create_app(engine, token=TOKEN, ui=False, session_days=0.5), free_port()) as server:
        r = httpx.post(f"{server.url}/sign-in", data={"token": TOKEN}, headers={"origin": server.url}, timeout=30)
        assert "Max-Age=43200;" in r.headers["set-cookie"]
    monkeypatch.setenv("QA_SESSION_DAYS", "a week")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1 and "QA_SESSION_DAYS must be a number of days" in result.output


def test_serve_prints_no_token(engine: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    import uvicorn

    from qa.shells.server import serve

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    monkeypatch.setenv("QA_API_TOKEN", TOKEN)
    serve(engine, port=7999)
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err and "?token" not in out.out
    assert "Sourced chat: http://127.0.0.1:7999/\n" in out.out and "the token is required" in out.out


# --- in a real browser ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():  # pragma: no cover
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.mark.browser
def test_signing_in_through_the_page_leaves_no_token_in_the_address(browser: Any, url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    refused: list[str] = []
    try:
        assert page.goto(url).status == 401
        page.fill("#token", "not-the-token")
        page.click("button[type=submit]")
        page.locator("#error").wait_for()
        assert "not this server" in page.locator("#error").inner_text()

        page.on("response", lambda r: refused.append(r.url) if r.status in (401, 403) else None)
        page.fill("#token", TOKEN)
        page.click("button[type=submit]")
        page.locator("#question textarea").wait_for()  # the chat page: its config, assets and queue let in
        assert page.url == f"{url}/" and TOKEN not in page.url and "token" not in page.url
        box = page.locator("#question textarea")
        box.fill(QUESTION)
        box.press("Enter")
        page.locator("#sources .head", has_text=QUESTION).wait_for()  # its calls pass with the cookie
        assert "1,200" in page.locator("#chat").inner_text() and refused == []

        (session,) = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
        assert session["httpOnly"] and session["sameSite"] == "Strict" and session["expires"] > time.time() + 6 * 86_400
        assert TOKEN not in str(context.cookies()) and page.evaluate("document.cookie") == ""

        opened: list[int] = []
        page.on("response", lambda r: opened.append(r.status) if r.url == f"{url}/" else None)
        page.goto("about:blank")
        page.set_content(f'<a id="go" href="{url}/">Sourced</a>')  # a link from no site of ours: cross-site
        page.click("#go")
        page.locator("#question textarea").wait_for()
        assert opened == [401, 200] and page.url == f"{url}/"  # the form reloaded itself once, with the cookie
    finally:
        context.close()
