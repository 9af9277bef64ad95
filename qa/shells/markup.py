"""What the chat page shows: answers as markdown with linked citations, sources and articles as escaped HTML.

Every piece of article text reaches the page through `html.escape` (and, in chat messages, markdown
escaping too), so an article holding `<script>` shows those characters as text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from qa.answers.citations import render
from qa.dates import TimeIntent
from qa.models import Answer, AnswerSpan, Citation

if TYPE_CHECKING:
    from qa.engine import QA

CONTEXT_CHARS = 1500  # article text shown on each side of a cited sentence
_MD_INLINE = re.compile(r"([\\`*_\[\]~|])")  # markdown syntax anywhere in a line
_MD_LINE_START = re.compile(r"^(\s*|\s*\d+)([#+=\-]|(?<=\d)[.)])", re.MULTILINE)  # headings, lists

CSS = """
#sources .src { border: 1px solid var(--border-color-primary); border-radius: 8px; margin: 6px 0; padding: 6px 10px; }
#sources .src summary { cursor: pointer; }
#sources .src .n { font-weight: 600; color: var(--color-accent); }
#sources .src .meta { display: block; margin-left: 1.6em; color: var(--body-text-color-subdued); font-size: 0.9em; }
#sources .src .meta .name { white-space: nowrap; }
#sources .time-chip svg { display: inline-block; width: 1em; height: 1em; vertical-align: -0.15em; margin-right: 0.3em; }
#sources .src .sentence { display: block; margin: 4px 0 0 1.6em; font-style: italic; }
#sources .ctx { white-space: pre-wrap; max-height: 260px; overflow-y: auto; margin-top: 8px; padding: 8px;
  background: var(--background-fill-secondary); border-radius: 6px; line-height: 1.5; }
#sources mark { background: #ffe58a; color: #000; padding: 1px 0; }
#sources .answer-span { background: #9be9a8; color: #000; font-weight: 600; font-style: normal; padding: 1px 2px;
  border-radius: 3px; }
#sources .head { font-size: 0.9em; color: var(--body-text-color-subdued); }
#sources .time-chip { display: inline-block; margin: 4px 0; padding: 2px 10px; border-radius: 12px;
  background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); font-size: 0.85em; }
#sources .resolved-date { color: var(--body-text-color-subdued); font-style: normal; }
#sources .abstained { border-left: 4px solid #d0a000; padding: 6px 10px; background: var(--background-fill-secondary); }
#articles table { width: 100%; font-size: 0.85em; }
#articles td, #articles th { padding: 2px 4px; vertical-align: top; text-align: left; }
#sources .dropped { color: var(--body-text-color-subdued); font-size: 0.9em; margin-top: 8px; }
.upload-ok { color: #1a7f37; } .upload-error { color: #cf222e; } .upload-warning { color: #9a6700; }
"""

# What the page's screen-reader status region says (Gradio's English has no `common.complete`: it read the key).
STATUS_WORDS = {"common.complete": "Done", "common.error": "Error", "common.loading": "Loading"}

# Opening a citation (its <details>, or a [n] marker in the chat) scrolls its highlighted sentence into view.
JS = """
() => {
  let pending = null;
  const reveal = (d) => {
    const m = d.querySelector('mark');
    if (m) m.scrollIntoView({block: 'center', inline: 'nearest'});
  };
  const openSource = (id) => {
    const d = document.getElementById(id);
    if (!d) { pending = id; return; }
    pending = null;
    if (d.open) reveal(d); else d.open = true;
  };
  document.addEventListener('toggle', (e) => {
    const d = e.target;
    if (d instanceof HTMLDetailsElement && d.classList.contains('src') && d.open) reveal(d);
  }, true);
  document.addEventListener('click', (e) => {
    const a = e.target instanceof Element ? e.target.closest('a[href*="#src-"]') : null;
    if (!a) return;
    e.preventDefault();
    openSource(a.getAttribute('href').split('#').pop());
  }, true);
  new MutationObserver(() => { if (pending) openSource(pending); })
    .observe(document.body, {childList: true, subtree: true});
}
"""


@dataclass(frozen=True)
class Failed:
    """A question the engine refused, with the message the user reads."""

    question: str
    error: str


Turn = Answer | Failed  # one question of the chat and what came of it


def esc(text: Any) -> str:
    """Article text as HTML text (never markup)."""
    return html.escape(str(text), quote=True)


def md_escape(text: str) -> str:
    """Plain text as markdown that renders as exactly that text (markup and HTML inert)."""
    text = _MD_LINE_START.sub(r"\1\\\2", _MD_INLINE.sub(r"\\\1", text))
    return html.escape(text, quote=False)


def answer_markdown(answer: Turn, turn: int) -> str:
    """An answer as a chat message: its text with each citation a link `[n]` to source n of this turn."""
    if isinstance(answer, Failed):
        return f"⚠ {md_escape(answer.error)}"
    if answer.abstained and not answer.citations:
        return f"> *{md_escape(answer.answer)}* Nothing in the indexed articles answers this."

    def link(c: Citation) -> str:
        return f"[\\[{c.n}\\]](#src-{turn}-{c.n})"

    text = render(answer.keyed, answer.citations, link=link, prose=md_escape).replace("\n", "  \n")
    if answer.warning:
        text = f"*⚠ {md_escape(answer.warning)}*  \n\n{text}"
    if answer.answerer == "llm":
        text += f"  \n\n*Written by {md_escape(answer.llm_model or 'the LLM')}; every sentence checked against its sources.*"
    return text


ALSO_IN_SHOWN = 3  # copies named under a citation; the rest are counted ("and 4 more", all in its tooltip)
# A clock drawn inline: an emoji needs a font that not every machine has (without one it is a box).
CLOCK_SVG = ('<svg viewBox="0 0 16 16" aria-hidden="true" focusable="false"><circle cx="8" cy="8" r="6.5" '
             'fill="none" stroke="currentColor" stroke-width="1.5"/><path d="M8 4.5V8l2.5 1.5" fill="none" '
             'stroke="currentColor" stroke-width="1.5" stroke-linecap="round"/></svg>')


def _meta(c: Citation) -> str:
    """Source · date · also in: copies, on a line of its own under the title; a name never breaks inside, and
    "also in:" never ends a line without the first name after it."""
    meta = " · ".join(f'<span class="name">{esc(p)}</span>'
                      for p in (c.source, c.published_label or _date(c.published_at)) if p)
    if c.also_in:
        names = [f'<span class="name">{esc(n)}</span>' for n in c.also_in[:ALSO_IN_SHOWN]]
        more = len(c.also_in) - ALSO_IN_SHOWN
        if more > 0:
            names.append(f'<span class="name">and {more} more</span>')
        meta += (f' · <span class="also-in" title="{esc(", ".join(c.also_in))}">'
                 f'<span class="name">also in:</span>&nbsp;{", ".join(names)}</span>')
    return meta


def _date(published: str) -> str:
    """'2024-04-10T09:30:00Z' as 'April 10, 2024', the day it shows (its own zone's: '2024-06-09T22:30:00-04:00' is
    June 9); unreadable: as it is."""
    try:
        d = datetime.strptime(published[:10], "%Y-%m-%d")
    except ValueError:
        return published
    return f"{d:%B} {d.day}, {d.year}"


def time_chip(answer: Answer) -> str:
    """The question's time as read ("this week = 5-12 June 2024"), as a chip ('' when it said none)."""
    t = answer.time or {}
    if t.get("kind", "none") == "none":
        return ""
    label = f" = {t['label']}" if t.get("label") else ""
    state = "" if t.get("applied") else f" (not applied: {t.get('note', '')})"
    return (f'<span class="time-chip" title="how the question\'s time was read, as of {esc(answer.as_of[:10])}">'
            f"{CLOCK_SVG}“{esc(t.get('phrase', ''))}”{esc(label)}{esc(state)}</span>")


def context_html(text: str, start: int, end: int, limit: int = CONTEXT_CHARS) -> str:
    """The article around text[start:end], escaped, with that sentence in <mark>."""
    lo, hi = max(0, start - limit), min(len(text), end + limit)
    if lo > 0:  # start and end at paragraph breaks where there are some
        lo = text.find("\n", lo, start) + 1 or lo
    if hi < len(text):
        cut = text.rfind("\n", end, hi)
        hi = cut if cut != -1 else hi
    before = ("…" if lo > 0 else "") + text[lo:start]
    after = text[end:hi] + ("…" if hi < len(text) else "")
    return f"{esc(before)}<mark>{esc(text[start:end])}</mark>{esc(after)}"


def sentence_html(c: Citation, span: AnswerSpan | None) -> str:
    """The cited sentence, escaped, with the short answer inside it highlighted when it lies there, and each
    relative date followed by the date it means: "Wednesday (April 10, 2024)"."""
    if span is None or span.citation != c.n or not c.start <= span.start < span.end <= c.end:
        return _dated(c, 0, len(c.sentence))
    a, b = span.start - c.start, span.end - c.start
    return (f'{_dated(c, 0, a)}<span class="answer-span" title="the short answer">{_dated(c, a, b)}</span>'
            f"{_dated(c, b, len(c.sentence))}")


def _dated(c: Citation, lo: int, hi: int) -> str:
    """c.sentence[lo:hi] escaped, each resolved relative date inside it followed by its date."""
    out, at = [], lo
    for d in sorted(c.dates, key=lambda d: d["start"]):
        if lo <= d["start"] and d["end"] <= hi and d["start"] >= at:
            out.append(esc(c.sentence[at:d["end"]]) + f' <span class="resolved-date">({esc(d["date"])})</span>')
            at = d["end"]
    return "".join(out) + esc(c.sentence[at:hi])


def _source_html(c: Citation, text: str | None, turn: int, span: AnswerSpan | None = None) -> str:
    """One citation: a <details> whose summary is the sentence, opening to it highlighted in its article."""
    if text is not None and text[c.start:c.end] == c.sentence:
        body = context_html(text, c.start, c.end)
        if span is not None and span.citation == c.n and text[span.start:span.end]:
            body = body.replace(f"<mark>{esc(c.sentence)}</mark>", f"<mark>{sentence_html(c, span)}</mark>", 1)
    else:
        body = f"<mark>{esc(c.sentence)}</mark> <i>(the article has changed or was removed)</i>"
    link = ""
    if c.url.startswith(("http://", "https://")):
        link = f'<div><a href="{esc(c.url)}" target="_blank" rel="noopener noreferrer">original article</a></div>'
    return (f'<details class="src" id="src-{turn}-{c.n}" data-key="{esc(c.key)}">'
            f'<summary><span class="n">[{c.n}]</span> <b>{esc(c.title)}</b> '
            f'<span class="meta">{_meta(c)}</span>'
            f'<span class="sentence">“{sentence_html(c, span)}”</span></summary>'
            f'<div class="ctx">{body}</div>{link}</details>')


def folded_query(answer: Answer, turn: int) -> str | None:
    """The query searched when earlier turns of the chat were folded into it (a follow-up), else None.

    Turn 0, the first question of a chat, has no earlier turns. A later question was folded when its query is
    neither the question nor the question without its time words ("this week" is searched as a window).
    """
    query = answer.retrieval_query
    if turn == 0 or not query or query == answer.question:
        return None
    t = answer.time or {}
    alone = TimeIntent(phrase=t.get("phrase") or "", start=t.get("start") or 0, end=t.get("end") or 0,
                       question=answer.question).rest.strip()
    return None if query == alone else query


def sources_html(engine: QA, answer: Turn | None, turn: int) -> str:
    """The citations of one answer, each expandable to its sentence highlighted in the article."""
    if answer is None:
        return '<div class="head">Sources appear here, under each answer.</div>'
    if isinstance(answer, Failed):
        return ""
    head = f'<div class="head">Sources for “{esc(answer.question)}”'
    folded = folded_query(answer, turn)
    if folded:
        head += f' · follow-up, searched as “{esc(folded)}”'
    head += "</div>" + (f'<div class="time">{time_chip(answer)}</div>' if time_chip(answer) else "")
    if answer.abstained and not answer.citations:
        return head + f'<div class="abstained">{esc(answer.answer)} No sentence in the articles answers this.</div>'
    if answer.abstained and answer.answer.startswith("Nothing in the articles from"):  # outside the window
        head += f'<div class="abstained">{esc(answer.answer.split(chr(10))[0])}</div>'
    elif answer.abstained:  # the reader found no answer in them: what is missing, then the closest sentences
        head += (f'<div class="abstained">{esc(answer.answer.split(" The closest:")[0])} '
                 "The closest sentences, which do not answer it:</div>")
    texts: dict[str, str | None] = {}
    for aid in dict.fromkeys(c.article_id for c in answer.citations):
        article = engine.article(aid)
        texts[aid] = article.text if article is not None else None
    return head + "".join(_source_html(c, texts[c.article_id], turn, answer.short_answer_span)
                          for c in answer.citations) + dropped_html(answer)


def dropped_html(answer: Answer) -> str:
    """The generated sentences that failed verification, with why (shown apart from the answer)."""
    if not answer.dropped:
        return ""
    items = "".join(f"<li>“{esc(d.sentence)}” <i>({esc(d.reason)})</i></li>" for d in answer.dropped)
    return (f'<details class="dropped"><summary>{len(answer.dropped)} sentence(s) of the LLM\'s answer removed: '
            f"not supported by the sentences they cite</summary><ul>{items}</ul></details>")


def articles_html(infos: list[Any]) -> str:
    """The indexed articles as a table."""
    if not infos:
        return "<p>No articles indexed yet: add some above.</p>"
    rows = "".join(
        f"<tr><td>{esc(a.title)}<br><code>{esc(a.id)}</code></td><td>{esc(a.source)}"
        f"{'<br>' + esc(_date(a.published_at)) if a.published_at else ''}"
        f"{'<br><i>story ' + esc(a.story) + '</i>' if getattr(a, 'story', '') and a.story != a.id else ''}"
        f"</td><td>{a.n_sentences}</td></tr>"
        for a in infos
    )
    return (f"<table><thead><tr><th>Article ({len(infos)})</th><th>Source</th><th>Sentences</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")
