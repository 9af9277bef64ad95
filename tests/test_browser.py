"""The chat page in a real browser: Debian's chromium driven by Playwright, the real server, model and Chroma."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, free_port

pytestmark = [pytest.mark.browser, pytest.mark.real]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
AGADEZ = "How many US troops are in Agadez?"
AGADEZ_SENTENCE = "Currently, there are approximately 1,100 American soldiers stationed in Agadez."
WAIT_MS = 60_000  # a busy 2-core machine (a training run beside the suite) took over 30 s once

if not Path(CHROMIUM).exists():  # pragma: no cover
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory, seeded_index_dir: Path, real_embedder):
    from qa.engine import QA
    from qa.shells.server import ServerThread, create_app

    path = tmp_path_factory.mktemp("browser") / "index"
    shutil.copytree(seeded_index_dir, path)
    with ServerThread(create_app(QA(path, embedder=real_embedder)), free_port()) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, url):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    page.goto(url)
    page.locator("#question textarea").wait_for()
    yield page
    context.close()


def ask(page, question: str) -> None:
    """Type a question, press Enter, and wait until its answer is complete (its sources are listed)."""
    page.evaluate("document.querySelectorAll('#sources .head').forEach(h => h.remove())")  # the old answer's
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.locator("#sources .head", has_text=f"“{question}”").wait_for()


def in_viewport(page, selector: str) -> bool:
    return page.locator(selector).evaluate(
        "el => { const r = el.getBoundingClientRect(); return r.height > 0 && r.top >= 0 && "
        "r.bottom <= window.innerHeight; }")


def upload(page, files: list[dict]) -> None:
    page.locator("#upload input[type=file]").set_input_files(files)
    page.locator("#upload-status li").first.wait_for()


def head(page) -> str:
    """The sources' head line: the question, and the query it was searched as when it is a follow-up."""
    return page.locator("#sources .head").inner_text()


def asked(page) -> list[str]:
    """The questions shown in the chat, oldest first."""
    return page.locator('#chat [data-testid="user"]').all_inner_texts()


def new_chat(page, control) -> None:
    """Start a new chat with `control` (a button) and wait until the chat and its sources are empty."""
    control.click()
    page.locator("#sources .head", has_text="Sources appear here").wait_for()
    page.wait_for_function("!document.querySelector('#chat [data-testid=\"user\"]')")


def council(day: str, topic: str) -> dict:
    """A Millbrook council article published on `day` about its vote on `topic`."""
    return {"id": f"millbrook-{day}", "title": f"Millbrook council votes on {topic}", "source": "Millbrook Post",
            "published_at": f"{day}T09:00:00Z",
            "text": f"The Millbrook council voted on the {topic} plan on Tuesday. Members debated the {topic} "
                    f"plan for three hours. The {topic} plan passed by five votes to two."}


def upload_councils(page, as_of: str) -> int:
    """Two dated council articles (Wednesdays 2024-03-06 and 2024-03-20) uploaded, questions asked as of `as_of`."""
    import json

    records = [council("2024-03-06", "budget"), council("2024-03-20", "housing")]
    body = "\n".join(json.dumps(r) for r in records).encode()
    upload(page, [{"name": "millbrook.jsonl", "mimeType": "application/json", "buffer": body}])
    page.locator("#articles", has_text="Millbrook council votes on housing").wait_for()
    page.locator("#as-of textarea, #as-of input").first.fill(as_of)
    return len(records)


def remove_councils(page, count: int) -> None:
    """The council articles removed again, one at a time (the server's index is shared by the module's tests)."""
    for left in range(count - 1, -1, -1):
        page.locator("#remove-choice input").click()
        page.get_by_role("option", name="Millbrook", exact=False).first.click()
        page.locator("#remove").click()
        page.wait_for_function(f"document.querySelector('#articles').innerText.split('Millbrook council').length"
                               f" - 1 === {left}")


def test_agadez_answer_cites_and_highlights_the_sentence(page):
    ask(page, AGADEZ)
    chat = page.locator("#chat")
    assert "1,100" in chat.inner_text()
    first = page.locator("#sources details.src").first
    assert AGADEZ_SENTENCE in first.locator("summary").inner_text()
    assert "000_65a6ef4f3cd5ad81.txt" in first.locator("summary").inner_text()  # the source
    assert not first.evaluate("d => d.open")

    page.locator("#chat a[href$='#src-0-1']").first.click()  # the [1] marker in the answer
    page.wait_for_function("document.getElementById('src-0-1').open")
    mark = page.locator("#src-0-1 .ctx mark")
    assert mark.inner_text() == AGADEZ_SENTENCE
    assert "Niamey" in page.locator("#src-0-1 .ctx").inner_text()  # in its context
    page.wait_for_function("(() => { const r = document.querySelector('#src-0-1 mark').getBoundingClientRect();"
                           " return r.top >= 0 && r.bottom <= window.innerHeight; })()")
    assert in_viewport(page, "#src-0-1 .ctx mark")

    page.locator("#src-0-2 summary").click()  # expanding a citation directly works too
    page.wait_for_function("document.getElementById('src-0-2').open")
    second = page.locator("#src-0-2 mark").inner_text()
    assert len(second) > 20 and second in page.locator("#src-0-2 summary").inner_text()  # its own sentence

    page.locator("#src-0-2 summary").click()  # close [2] again: the screenshot shows [1] open
    page.wait_for_function("!document.getElementById('src-0-2').open")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ROOT / "docs" / "chat.png"), full_page=True)


def test_follow_ups_use_the_conversation(page):
    ask(page, AGADEZ)
    ask(page, "When did they arrive?")
    head = page.locator("#sources .head").inner_text()
    assert "follow-up, searched as" in head and "Agadez" in head  # the pronoun is resolved by the previous turn
    ask(page, "And how many Russian instructors arrived?")
    assert "100" in page.locator("#chat").inner_text().split("instructors arrived?")[-1]
    assert "100 Russian military instructors" in page.locator("#src-2-1 .sentence").inner_text()
    ask(page, "When did France withdraw?")
    assert "2023" in page.locator("#chat").inner_text().split("France withdraw?")[-1]

    # selecting an earlier answer shows its sources again
    page.locator("#chat").get_by_text("approximately 1,100", exact=False).first.click()
    page.locator("#sources .head", has_text=AGADEZ).wait_for()


def test_a_new_chat_has_no_history(page):
    ask(page, AGADEZ)
    assert head(page) == f"Sources for “{AGADEZ}”"  # the first question of a chat is no follow-up
    ask(page, "When did they arrive?")
    assert "follow-up, searched as “When did they arrive? (" in head(page) and "Agadez" in head(page)

    new_chat(page, page.get_by_role("button", name="New chat"))
    ask(page, "When did they arrive?")
    assert head(page) == "Sources for “When did they arrive?”"  # searched as written: no follow-up
    assert asked(page) == ["When did they arrive?"]
    assert page.locator("#src-0-1").count() == 1  # its sources are the new chat's first turn's

    ask(page, AGADEZ)  # the chat's own clear icon starts a new chat too, not only the view of one
    new_chat(page, page.locator("#chat button[aria-label=Clear]"))
    ask(page, "When did they arrive?")
    assert head(page) == "Sources for “When did they arrive?”"
    assert asked(page) == ["When did they arrive?"]


def test_a_new_chat_stops_an_answer_still_coming(page):
    from playwright.sync_api import TimeoutError as Timeout

    box = page.locator("#question textarea")
    box.fill(AGADEZ)
    box.press("Enter")
    page.locator('#chat [data-testid="user"]', has_text=AGADEZ).wait_for()  # asked, its answer not yet in
    page.get_by_role("button", name="New chat").click()  # (an update already on its way may still show)

    question = "When did they arrive?"
    for _ in range(WAIT_MS // 1000):  # the page ignores Enter until the stopped answer's end has reached it
        if question not in asked(page):
            box.fill(question)  # (again: the new chat empties the box)
            box.press("Enter")
        try:
            page.locator("#sources .head", has_text=f"“{question}”").wait_for(timeout=1000)
            break
        except Timeout:
            continue
    assert head(page) == f"Sources for “{question}”"  # the stopped answer did not come back as history
    assert asked(page) == [question]


def test_answers_stream_in(page):
    page.evaluate("""() => {
        window.__lengths = [];
        new MutationObserver(() => {
            const bots = document.querySelectorAll('#chat .bot, #chat [data-testid="bot"]');
            if (bots.length) window.__lengths.push(bots[bots.length - 1].innerText.length);
        }).observe(document.querySelector('#chat'), {childList: true, subtree: true, characterData: true});
    }""")
    ask(page, AGADEZ)
    lengths = [n for n in page.evaluate("window.__lengths") if n > 5]
    assert len(set(lengths)) >= 3, lengths  # the answer grew in several steps
    assert lengths == sorted(lengths)


def test_abstention_looks_different(page):
    ask(page, "What is the capital of Peru?")
    assert "don't say" in page.locator("#chat blockquote").inner_text()
    assert page.locator("#sources .abstained").is_visible()
    assert page.locator("#sources details.src").count() == 0


def test_example_question_on_the_empty_chat(page):
    page.locator("#chat").get_by_text(AGADEZ).first.click()
    page.locator("#sources .head", has_text=AGADEZ).wait_for()
    assert "1,100" in page.locator("#chat").inner_text()


def test_number_of_sources_control(page):
    page.locator("#k input[type=number]").fill("2")
    page.locator("#k input[type=number]").press("Enter")
    ask(page, AGADEZ)
    assert page.locator("#sources details.src").count() == 2


def test_upload_then_ask_then_remove(page):
    fact = b"The Zorbian parliament approved 4,321 new bicycles for the capital Quillon on Tuesday.\n" \
           b"Cycling groups welcomed the decision."
    upload(page, [{"name": "zorbia.txt", "mimeType": "text/plain", "buffer": fact},
                  {"name": "broken.json", "mimeType": "application/json", "buffer": b'{"text": '}])
    page.locator("#upload-status li.upload-error").wait_for()
    status = page.locator("#upload-status").inner_text()
    assert "zorbia.txt: added" in status
    assert "broken.json" in status and "not valid JSON" in status
    page.locator("#articles", has_text="Zorbian parliament").wait_for()

    ask(page, "How many bicycles did the Zorbian parliament approve?")
    assert "4,321" in page.locator("#chat").inner_text()
    assert "Zorbian parliament approved 4,321" in page.locator("#src-0-1 .sentence").inner_text()

    # filtered to the seed article, the new one is out of reach
    page.locator("#article-filter input").click()
    page.get_by_role("option", name="Russia has sent", exact=False).first.click()
    page.keyboard.press("Escape")
    ask(page, "How many Zorbian bicycles were approved?")
    cited = page.locator("#sources").inner_text()
    assert "zorbia.txt" not in cited and "4,321" not in cited

    page.locator("#remove-choice input").click()
    page.get_by_role("option", name="Zorbian", exact=False).first.click()
    page.locator("#remove").click()
    page.locator("#upload-status", has_text="Removed").wait_for()
    page.wait_for_function("!document.querySelector('#articles').innerText.includes('Zorbian')")


def test_as_of_reads_this_week_shows_the_chip_and_it_can_be_removed(page):
    count = upload_councils(page, "2024-03-21")

    ask(page, "What plan did the Millbrook council vote on this week?")
    sources = page.locator("#sources")
    chip = sources.locator(".time-chip")
    assert "this week" in chip.inner_text() and "March 2024" in chip.inner_text()
    assert chip.locator("svg").count() == 1  # a clock drawn, not an emoji (a box without an emoji font)
    assert not [ch for ch in chip.inner_text() if ord(ch) >= 0x1F000]
    assert "housing" in page.locator("#src-0-1 .sentence").inner_text()
    assert "March 20, 2024" in page.locator("#src-0-1 .meta").inner_text()  # each citation's date
    assert "(March 19, 2024)" in page.locator("#src-0-1 .sentence").inner_text()  # "on Tuesday", resolved
    page.locator("#drop-time").click()  # the chip removed: the same question, its date words only words
    page.wait_for_function("!document.querySelector('#sources .time-chip')")
    page.locator("#sources details.src").first.wait_for()
    remove_councils(page, count)


def test_the_status_region_speaks_words_not_keys(page):
    """What a screen reader hears while a question is answered: Gradio's status words, never a key."""
    page.evaluate("""() => { window.said = []; new MutationObserver(() => document.querySelectorAll(
        '[role=status]').forEach(e => e.textContent && window.said.push(e.textContent))).observe(document.body,
        {subtree: true, childList: true, characterData: true}); }""")
    ask(page, AGADEZ)
    page.wait_for_function("window.said.includes('Done')")
    said = set(page.evaluate("window.said"))
    assert not [w for w in said if re.fullmatch(r"[a-z_]+\.[a-z_]+", w)], said


def test_also_in_stays_with_its_names(page):
    """A syndicated story's copies are named on the citation's own meta line; "also in:" never ends a line."""
    import json

    text = Path(ROOT / "seeds").glob("*.txt").__next__().read_text(encoding="utf-8")
    names = ["Associated Press Syndicate Wire", "The Long Regional Daily Herald-Tribune", "Another Long Newspaper",
             "A Fourth Paper", "A Fifth Paper"]
    records = [{"id": f"wire-{n}", "title": "US troops in Niger (wire copy)", "source": name,
                "published_at": f"2024-04-1{n}T09:00:00Z", "text": text} for n, name in enumerate(names)]
    upload(page, [{"name": "wire.jsonl", "mimeType": "application/json",
                   "buffer": "\n".join(json.dumps(r) for r in records).encode()}])
    page.locator("#articles", has_text="wire copy").wait_for()
    try:
        ask(page, AGADEZ)
        also = page.locator("#src-0-1 .also-in")
        assert also.inner_text().endswith("and 2 more")  # five others: the seed article is a copy too
        tops = also.locator(".name").evaluate_all("els => els.map(e => e.getClientRects()[0].top)")
        assert abs(tops[0] - tops[1]) < 2  # "also in:" on the line of the first name
        title, meta = (page.locator(f"#src-0-1 {s}").evaluate("e => e.getBoundingClientRect().bottom")
                       for s in ("b", ".meta"))
        assert meta > title  # the meta line sits under the title, not wrapped around it
    finally:
        for left in range(len(records) - 1, -1, -1):
            page.locator("#remove-choice input").click()
            page.get_by_role("option", name="wire copy", exact=False).first.click()
            page.locator("#remove").click()
            page.wait_for_function(f"document.querySelector('#articles').innerText.split('wire copy').length"
                                   f" - 1 === {left}")


def test_ignoring_the_time_window_re_asks_the_question_shown_alone(page):
    count = upload_councils(page, "2024-03-21")
    first = "What plan did the Millbrook council vote on this week?"
    ask(page, first)  # searched without "this week", yet the first question of a chat is no follow-up
    assert head(page) == f"Sources for “{first}”"
    assert "this week" in page.locator("#sources .time-chip").inner_text()

    follow_up = "What did they vote on this week?"
    ask(page, follow_up)  # "they": the council of the question before, folded in
    assert "follow-up, searched as “What did they vote on? (" in head(page) and "Millbrook council" in head(page)
    assert page.locator("#drop-time").is_visible()

    page.locator("#drop-time").click()  # asked again exactly as shown: no window, nothing folded in
    page.wait_for_function("!document.querySelector('#sources .time-chip')")
    page.locator("#sources .head", has_text=follow_up).wait_for()
    assert head(page) == f"Sources for “{follow_up}”"  # searched as the question itself
    assert asked(page) == [first, follow_up]  # the re-ask replaced the turn it re-asked
    page.locator("#drop-time").wait_for(state="hidden")
    remove_councils(page, count)


def test_article_markup_is_shown_as_text(page):
    hostile = (b'<script>window.__owned = 1; alert("owned")</script> The Vantor dam holds 777 tonnes of water. '
               b'<img src=x onerror="window.__owned = 2; alert(2)"> It was built in 1950.\n'
               b"**bold** and [a link](javascript:alert(3)) stay as typed.")
    upload(page, [{"name": "hostile.txt", "mimeType": "text/plain", "buffer": hostile}])
    page.locator("#articles", has_text="Vantor").wait_for()
    assert "<script>" in page.locator("#articles").inner_text()  # its title starts with the markup, as text

    ask(page, "How many tonnes of water does the Vantor dam hold?")
    page.locator("#src-0-1 summary").click()
    page.wait_for_function("document.getElementById('src-0-1').open")
    context = page.locator("#src-0-1 .ctx").inner_text()
    assert '<script>window.__owned = 1; alert("owned")</script>' in context
    assert '<img src=x onerror="window.__owned = 2; alert(2)">' in context
    assert "**bold** and [a link](javascript:alert(3))" in context
    chat = page.locator("#chat").inner_text()
    assert "777" in chat and '<script>window.__owned = 1; alert("owned")</script>' in chat  # quoted as text
    assert page.evaluate("window.__owned") is None
    assert page.locator("img[onerror], #sources script, #chat script, #articles script").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_token_protects_the_page(browser, seeded_qa_shared):
    from qa.shells.server import ServerThread, create_app

    with ServerThread(create_app(seeded_qa_shared, token="page-token"), free_port()) as server:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        assert page.goto(server.url).status == 401
        page.goto(f"{server.url}/?token=page-token")
        ask(page, AGADEZ)  # the page's own calls (config, queue, stream) pass with the cookie
        assert "1,100" in page.locator("#chat").inner_text()
        context.close()
