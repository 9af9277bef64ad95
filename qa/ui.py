"""The chat page (Gradio Blocks): a thin shell over `QA` that renders answers, citations and articles.

Every piece of article text reaches the page through `html.escape` (and, in chat messages, markdown
escaping too), so an article holding `<script>` shows those characters as text.
"""

from __future__ import annotations

import html
import os
import re
import time
from pathlib import Path
from typing import Any, Iterator

import gradio as gr

from index.errors import IndexError_
from index.loaders import SUPPORTED
from qa.errors import QAError

EXAMPLES = (
    "How many US troops are in Agadez?",
    "How many Russian military instructors arrived in Niamey?",
    "When did France withdraw its troops from Niger?",
)
CONTEXT_CHARS = 1500  # article text shown on each side of a cited sentence
_MARKER = re.compile(r"\[(\d+)\]")
_MD_INLINE = re.compile(r"([\\`*_\[\]~|])")  # markdown syntax anywhere in a line
_MD_LINE_START = re.compile(r"^(\s*|\s*\d+)([#+=\-]|(?<=\d)[.)])", re.MULTILINE)  # headings, lists

CSS = """
#sources .src { border: 1px solid var(--border-color-primary); border-radius: 8px; margin: 6px 0; padding: 6px 10px; }
#sources .src summary { cursor: pointer; }
#sources .src .n { font-weight: 600; color: var(--color-accent); }
#sources .src .meta { color: var(--body-text-color-subdued); font-size: 0.9em; }
#sources .src .sentence { display: block; margin: 4px 0 0 1.6em; font-style: italic; }
#sources .ctx { white-space: pre-wrap; max-height: 260px; overflow-y: auto; margin-top: 8px; padding: 8px;
  background: var(--background-fill-secondary); border-radius: 6px; line-height: 1.5; }
#sources mark { background: #ffe58a; color: #000; padding: 1px 0; }
#sources .head { font-size: 0.9em; color: var(--body-text-color-subdued); }
#sources .abstained { border-left: 4px solid #d0a000; padding: 6px 10px; background: var(--background-fill-secondary); }
#articles table { width: 100%; font-size: 0.85em; }
#articles td, #articles th { padding: 2px 4px; vertical-align: top; text-align: left; }
.upload-ok { color: #1a7f37; } .upload-error { color: #cf222e; }
"""

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


def esc(text: Any) -> str:
    """Article text as HTML text (never markup)."""
    return html.escape(str(text), quote=True)


def md_escape(text: str) -> str:
    """Plain text as markdown that renders as exactly that text (markup and HTML inert)."""
    text = _MD_LINE_START.sub(r"\1\\\2", _MD_INLINE.sub(r"\\\1", text))
    return html.escape(text, quote=False)


def answer_markdown(answer: dict[str, Any], turn: int) -> str:
    """An answer as a chat message: its text with each [n] a link to source n."""
    if answer.get("error"):
        return f"⚠ {md_escape(answer['error'])}"
    if answer["abstained"]:
        return f"> *{md_escape(answer['answer'])}* Nothing in the indexed articles answers this."
    pieces = _MARKER.split(answer["answer"])
    out = []
    for i, piece in enumerate(pieces):
        out.append(f"[\\[{piece}\\]](#src-{turn}-{piece})" if i % 2 else md_escape(piece))
    return "".join(out).replace("\n", "  \n")


def _meta(c: dict[str, Any]) -> str:
    parts = [p for p in (c.get("source"), c.get("published_at")) if p]
    return " · ".join(esc(p) for p in parts)


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


def sources_html(engine: Any, answer: dict[str, Any] | None, turn: int) -> str:
    """The citations of one answer, each expandable to its sentence highlighted in the article."""
    if not answer:
        return '<div class="head">Sources appear here, under each answer.</div>'
    if answer.get("error"):
        return ""
    head = f'<div class="head">Sources for “{esc(answer["question"])}”'
    if answer.get("retrieval_query") and answer["retrieval_query"] != answer["question"]:
        head += f' · follow-up, searched as “{esc(answer["retrieval_query"])}”'
    head += "</div>"
    if answer["abstained"]:
        return head + f'<div class="abstained">{esc(answer["answer"])} No sentence in the articles answers this.</div>'
    texts: dict[str, str | None] = {}
    items = []
    for c in answer["citations"]:
        aid = c["article_id"]
        if aid not in texts:
            article = engine.article(aid)
            texts[aid] = article.text if article is not None else None
        text = texts[aid]
        if text is not None and text[c["start"]:c["end"]] == c["sentence"]:
            body = context_html(text, c["start"], c["end"])
        else:
            body = f"<mark>{esc(c['sentence'])}</mark> <i>(the article has changed or was removed)</i>"
        link = ""
        if str(c.get("url", "")).startswith(("http://", "https://")):
            link = f'<div><a href="{esc(c["url"])}" target="_blank" rel="noopener noreferrer">original article</a></div>'
        items.append(
            f'<details class="src" id="src-{turn}-{c["n"]}" data-key="{esc(c["key"])}">'
            f'<summary><span class="n">[{c["n"]}]</span> <b>{esc(c["title"])}</b> '
            f'<span class="meta">{_meta(c)}</span>'
            f'<span class="sentence">“{esc(c["sentence"])}”</span></summary>'
            f'<div class="ctx">{body}</div>{link}</details>'
        )
    return head + "".join(items)


def articles_html(infos: list[Any]) -> str:
    """The indexed articles as a table."""
    if not infos:
        return "<p>No articles indexed yet: add some above.</p>"
    rows = "".join(
        f"<tr><td>{esc(a.title)}<br><code>{esc(a.id)}</code></td><td>{esc(a.source)}"
        f"{'<br>' + esc(a.published_at) if a.published_at else ''}</td><td>{a.n_sentences}</td></tr>"
        for a in infos
    )
    return (f"<table><thead><tr><th>Article ({len(infos)})</th><th>Source</th><th>Sentences</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _history(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for t in turns:
        if not t.get("error"):
            out += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]}]
    return out


def _messages(turns: list[dict[str, Any]], partial: str | None = None) -> list[dict[str, str]]:
    out = []
    for i, t in enumerate(turns):
        out.append({"role": "user", "content": md_escape(t["question"])})
        content = answer_markdown(t, i) if partial is None or i < len(turns) - 1 else partial
        out.append({"role": "assistant", "content": content})
    return out


def _filters(sources: list[str] | None, article_ids: list[str] | None) -> dict[str, list[str]] | None:
    filters = {}
    if sources:
        filters["sources"] = list(sources)
    if article_ids:
        filters["article_ids"] = list(article_ids)
    return filters or None


def _stream(text: str) -> Iterator[str]:
    """Prefixes of `text`, a few words more each time (the answer streaming in)."""
    words = re.split(r"(\s+)", text)
    for i in range(6, len(words), 6):
        yield "".join(words[:i])
    yield text


def build_ui(engine: Any) -> gr.Blocks:
    """The chat page over `engine` (a `qa.engine.QA`)."""
    limit = engine.settings.limits.max_file_bytes

    def ask(question: str, k: int = 5, history: list[str] | None = None) -> dict[str, Any]:
        """Answer a question from the indexed articles; returns the JSON of `qa ask --json`."""
        turns = [{"role": "user", "content": q} for q in history or []]
        try:
            return engine.ask(question, k=k, history=turns).to_dict()
        except (QAError, IndexError_) as exc:
            raise gr.Error(str(exc)) from None

    def respond(question: str, turns: list[dict[str, Any]], k: float, sources: list[str] | None,
                article_ids: list[str] | None) -> Iterator[tuple[Any, ...]]:
        question = (question or "").strip()
        if not question:
            yield gr.update(), gr.update(), turns, gr.update()
            return
        pending = turns + [{"question": question, "answer": "", "abstained": False, "citations": []}]
        yield "", _messages(pending, partial="…"), turns, gr.update()
        try:
            answer = engine.ask(question, k=int(k), history=_history(turns),
                                filters=_filters(sources, article_ids)).to_dict()
        except (QAError, IndexError_) as exc:
            answer = {"question": question, "answer": "", "abstained": True, "citations": [], "error": str(exc)}
        turns = turns + [answer]
        turn = len(turns) - 1
        if not answer.get("error") and not answer["abstained"]:
            for prefix in _stream(answer["answer"]):
                yield "", _messages(turns, partial=answer_markdown({**answer, "answer": prefix}, turn)), turns, \
                    gr.update()
                time.sleep(0.03)
        yield "", _messages(turns), turns, sources_html(engine, answer, turn)

    def show_turn(turns: list[dict[str, Any]], evt: gr.SelectData) -> Any:
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        turn = int(index or 0) // 2
        return sources_html(engine, turns[turn], turn) if 0 <= turn < len(turns) else gr.update()

    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value)

    def refresh() -> tuple[Any, ...]:
        infos = engine.articles()
        sources = sorted({a.source for a in infos if a.source})
        choices = [(f"{a.title} ({a.source})", a.id) for a in infos]
        return (articles_html(infos), gr.update(choices=sources), gr.update(choices=choices),
                gr.update(choices=choices, value=None))

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        lines = []
        for path in progress.tqdm(files or [], desc="Indexing"):
            name = os.path.basename(path)
            try:
                size = os.path.getsize(path)
                if size > limit:
                    raise ValueError(f"is too large ({size:,} bytes; the limit is {limit:,})")
                report = engine.ingest_bytes([(name, Path(path).read_bytes())])
            except (ValueError, OSError, QAError, IndexError_) as exc:
                lines.append(f'<li class="upload-error">✗ {esc(name)}: {esc(exc)}</li>')
                continue
            for problem in report.problems:
                lines.append(f'<li class="upload-error">✗ {esc(problem)}</li>')
            for label, ids in (("added", report.added), ("replaced", report.replaced),
                               ("unchanged", report.unchanged)):
                for aid in ids:
                    lines.append(f'<li class="upload-ok">✓ {esc(name)}: {label} as <code>{esc(aid)}</code></li>')
        status = f"<ul>{''.join(lines)}</ul>" if lines else ""
        return (status, None, *refresh())

    def remove(article_id: str | None) -> tuple[Any, ...]:
        if not article_id:
            raise gr.Error("Choose an article to remove.")
        try:
            engine.remove(article_id)
        except (QAError, IndexError_) as exc:
            raise gr.Error(str(exc)) from None
        return (f"<p>Removed <code>{esc(article_id)}</code>.</p>", *refresh())

    def new_chat() -> tuple[Any, ...]:
        return [], [], sources_html(engine, None, 0), ""

    with gr.Blocks(title="Sourced", analytics_enabled=False) as demo:
        turns = gr.State([])
        gr.Markdown("## Sourced\nAnswers from news articles; every answer cites the exact sentences it rests on.")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    elem_id="chat", label="Chat", height=380, latex_delimiters=[], allow_tags=False,
                    feedback_options=None, examples=[{"text": q} for q in EXAMPLES], buttons=["copy"],
                    placeholder="Ask a question about the indexed articles, or pick an example.",
                )
                with gr.Row():
                    question = gr.Textbox(elem_id="question", show_label=False, scale=6, autofocus=True,
                                          placeholder="Ask about the articles, e.g. How many US troops are in Agadez?")
                    send = gr.Button("Ask", elem_id="ask", variant="primary", scale=1, min_width=80)
                sources = gr.HTML(sources_html(engine, None, 0), elem_id="sources")
            with gr.Column(scale=2):
                k = gr.Slider(1, 20, value=engine.settings.k, step=1, label="Number of sources", elem_id="k")
                source_filter = gr.Dropdown(multiselect=True, label="Only these sources", elem_id="source-filter")
                article_filter = gr.Dropdown(multiselect=True, label="Only these articles", elem_id="article-filter")
                clear = gr.Button("New chat", size="sm")
                with gr.Accordion("Articles", open=True):
                    files = gr.File(file_count="multiple", file_types=list(SUPPORTED), elem_id="upload",
                                    label=f"Add articles ({', '.join(SUPPORTED)})")
                    status = gr.HTML(elem_id="upload-status")
                    listing = gr.HTML(elem_id="articles")
                    with gr.Row():
                        to_remove = gr.Dropdown(label="Remove an article", elem_id="remove-choice", scale=3)
                        remove_btn = gr.Button("Remove", variant="stop", elem_id="remove", scale=1, min_width=80)

        chat_inputs = [question, turns, k, source_filter, article_filter]
        chat_outputs = [question, chatbot, turns, sources]
        gr.on([question.submit, send.click], respond, chat_inputs, chat_outputs, api_name="chat",
              api_visibility="undocumented", show_progress="hidden")
        chatbot.example_select(pick_example, None, question, api_visibility="private").then(
            respond, chat_inputs, chat_outputs, api_visibility="private", show_progress="hidden")
        chatbot.select(show_turn, turns, sources, api_visibility="private", show_progress="hidden")
        clear.click(new_chat, None, [turns, chatbot, sources, question], api_visibility="private")
        lists = [listing, source_filter, article_filter, to_remove]
        files.upload(upload, files, [status, files, *lists], api_visibility="private")
        remove_btn.click(remove, to_remove, [status, *lists], api_visibility="private")
        demo.load(refresh, None, lists, api_visibility="private")
        gr.api(ask, api_name="ask")
    demo.queue(default_concurrency_limit=4)  # QA answers concurrent questions; don't serialise users
    return demo
