"""The chat page (Gradio Blocks): a thin shell over `QA`; what it shows is drawn by `qa.shells.markup`."""

from __future__ import annotations

import itertools
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import gradio as gr

from index.loaders import SUPPORTED
from qa.answers.composer import pieces
from qa.errors import SourcedError
from qa.models import Answer
from qa.options import MAX_K, MIN_K
from qa.shells.markup import Failed, Turn, answer_markdown, articles_html, esc, md_escape, sources_html
from qa.shells.report import outcomes

if TYPE_CHECKING:
    from qa.engine import QA

EXTRACTIVE, LLM = "Quotes (extractive)", "LLM, every sentence verified"
MODES = {EXTRACTIVE: "extractive", LLM: "llm"}
CHECKING = "writing: not yet checked against the sources"
EXAMPLES = (
    "How many US troops are in Agadez?",
    "How many Russian military instructors arrived in Niamey?",
    "When did France withdraw its troops from Niger?",
)


@contextmanager
def _shown() -> Iterator[None]:
    """A `SourcedError` inside becomes a `gr.Error`: its message on the page, no traceback."""
    try:
        yield
    except SourcedError as exc:
        raise gr.Error(str(exc)) from None


def _history(turns: list[Turn]) -> list[dict[str, str]]:
    out = []
    for t in turns:
        if isinstance(t, Answer):
            out += [{"role": "user", "content": t.question}, {"role": "assistant", "content": t.answer}]
    return out


def _messages(turns: list[Turn], partial: str | None = None) -> list[dict[str, str]]:
    """The chat as Chatbot messages; with `partial`, the last answer shows that instead (streaming in)."""
    out = []
    for i, t in enumerate(turns):
        out.append({"role": "user", "content": md_escape(t.question)})
        content = answer_markdown(t, i) if partial is None or i < len(turns) - 1 else partial
        out.append({"role": "assistant", "content": content})
    return out


def _filters(sources: list[str] | None, article_ids: list[str] | None, after: str = "",
             before: str = "") -> dict[str, Any] | None:
    filters: dict[str, Any] = {}
    if sources:
        filters["sources"] = list(sources)
    if article_ids:
        filters["article_ids"] = list(article_ids)
    if (after or "").strip():
        filters["published_after"] = after.strip()
    if (before or "").strip():
        filters["published_before"] = before.strip()
    return filters or None


def _stream(text: str) -> Iterator[str]:
    """Prefixes of `text`, a few words more each time (the answer streaming in; see `qa.answers.composer.pieces`)."""
    return itertools.accumulate(pieces(text))


def _ingested(engine: QA, paths: list[str]) -> list[str]:
    """Index uploaded files in one commit (`QA.ingest_uploads`); a list item per article or problem."""
    names = [os.path.basename(path) for path in paths]
    try:
        reports = engine.ingest_uploads([(name, Path(path).read_bytes()) for name, path in zip(names, paths)])
    except (OSError, SourcedError) as exc:
        return [f'<li class="upload-error">✗ {esc(name)}: {esc(exc)}</li>' for name in names]
    return [line for name, report in zip(names, reports) for line in (
        [f'<li class="upload-error">✗ {esc(problem)}</li>' for problem in report.failures]
        + [f'<li class="upload-ok">✓ {esc(name)}: {outcome} as <code>{esc(article_id)}</code></li>'
           for outcome, article_id in outcomes(report)]
        + [f'<li class="upload-warning">! {esc(problem)}</li>' for problem in report.warnings])]


@dataclass
class _Conversation:
    """One page's conversation, in a `gr.State` (which hands each of the page's events this same object).

    A new chat gets a new `turns` list, so an answer to the chat before, still on its way, goes into that
    chat's list and shows no more: it can neither come back on the page nor become the new chat's history.
    """

    turns: list[Turn] = field(default_factory=list)


class _Events:
    """What the page's controls do, over one `QA`."""

    def __init__(self, engine: QA) -> None:
        self.engine = engine

    def ask(self, question: str, k: int = 5, history: list[str] | None = None,
            answerer: str = "auto") -> dict[str, Any]:
        """Answer a question from the indexed articles; returns the JSON of `qa ask --json`.

        `answerer`: "extractive", "llm" (written by the server's LLM, every sentence verified), or "auto".
        """
        turns = [{"role": "user", "content": q} for q in history or []]
        with _shown():
            return self.engine.ask(question, k=k, history=turns, answerer=answerer).to_dict()

    def respond(self, question: str, talk: _Conversation, k: float, sources: list[str] | None,
                article_ids: list[str] | None, mode: str = EXTRACTIVE, as_of: str = "", after: str = "",
                before: str = "") -> Iterator[tuple[Any, ...]]:
        """Ask, show the answer streaming in, then its sources; a refused question shows its reason in the chat.

        An LLM's tokens show as they come, marked unverified, then the verified answer replaces them.
        """
        question = (question or "").strip()
        if not question:
            yield gr.update(), gr.update(), gr.update()
            return
        yield from self._turn(question, talk, len(talk.turns), k, _filters(sources, article_ids, after, before),
                              mode, as_of)

    def without_time(self, talk: _Conversation, k: float, sources: list[str] | None, article_ids: list[str] | None,
                     mode: str, as_of: str, after: str, before: str) -> Iterator[tuple[Any, ...]]:
        """The time chip removed: the last question asked again in its place, exactly as shown, its date words
        read as words and nothing of the earlier turns folded in."""
        if not talk.turns:
            yield gr.update(), gr.update(), gr.update()
            return
        last = len(talk.turns) - 1
        yield from self._turn(talk.turns[last].question, talk, last, k, _filters(sources, article_ids, after, before),
                              mode, as_of, use_time=False, follow_up=False)

    def _turn(self, question: str, talk: _Conversation, turn: int, k: float, filters: dict[str, Any] | None, mode: str,
              as_of: str, *, use_time: bool = True, follow_up: bool = True) -> Iterator[tuple[Any, ...]]:
        """`question` answered as turn `turn` of `talk` (its last), the earlier turns folded in unless `follow_up`
        is off: the question box, the chat and the sources as the answer comes in, until a new chat begins."""
        turns = talk.turns
        for update in self._answer(question, turns, turn, k, filters, mode, as_of, use_time, follow_up):
            if talk.turns is not turns:
                return
            yield update

    def _answer(self, question: str, turns: list[Turn], turn: int, k: float, filters: dict[str, Any] | None,
                mode: str, as_of: str, use_time: bool, follow_up: bool) -> Iterator[tuple[Any, ...]]:
        """`_turn`'s updates; the answer is put in `turns` as turn `turn`, the last."""
        earlier = turns[:turn]
        pending = [*earlier, Answer(question=question, answer="", abstained=False)]
        yield "", _messages(pending, partial="…"), gr.update()
        answer: Turn | None = None
        written = ""
        try:
            for event in self.engine.ask_stream(question, k=int(k), history=_history(earlier) if follow_up else [],
                                                pieces=False, filters=filters, answerer=MODES.get(mode),
                                                as_of=(as_of or "").strip() or None, use_time=use_time):
                if isinstance(event, Answer):
                    answer = event
                else:
                    written += event
                    yield "", _messages(pending, partial=f"{md_escape(written)} ▍  \n*{CHECKING}*"), gr.update()
        except SourcedError as exc:
            answer = Failed(question, str(exc))
        assert answer is not None
        turns[turn:] = [answer]
        shown = [*earlier, answer]
        if isinstance(answer, Answer) and not answer.abstained and answer.answerer == "extractive":
            for prefix in _stream(answer_markdown(answer, turn)):
                yield "", _messages(shown, partial=prefix), gr.update()
                time.sleep(0.03)
        yield "", _messages(shown), sources_html(self.engine, answer, turn)

    def time_button(self, talk: _Conversation) -> Any:
        """The chip's remove button: shown while the last answer applied a time window or recency."""
        last = talk.turns[-1] if talk.turns else None
        applied = isinstance(last, Answer) and bool((last.time or {}).get("applied"))
        return gr.update(visible=applied)

    def show_turn(self, talk: _Conversation, evt: gr.SelectData) -> Any:
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        turn, turns = int(index or 0) // 2, talk.turns
        return sources_html(self.engine, turns[turn], turn) if 0 <= turn < len(turns) else gr.update()

    def pick_example(self, evt: gr.SelectData) -> str:
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value)

    def refresh(self) -> tuple[Any, ...]:
        infos = self.engine.articles()
        sources = sorted({a.source for a in infos if a.source})
        choices = [(f"{a.title} ({a.source})", a.id) for a in infos]
        return (articles_html(infos), gr.update(choices=sources), gr.update(choices=choices),
                gr.update(choices=choices, value=None))

    def upload(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        progress(0, desc=f"Indexing {len(files or [])} files")
        lines = _ingested(self.engine, files) if files else []
        status = f"<ul>{''.join(lines)}</ul>" if lines else ""
        return (status, None, *self.refresh())

    def remove(self, article_id: str | None) -> tuple[Any, ...]:
        if not article_id:
            raise gr.Error("Choose an article to remove.")
        with _shown():
            self.engine.remove(article_id)
        return (f"<p>Removed <code>{esc(article_id)}</code>.</p>", *self.refresh())

    def new_chat(self, talk: _Conversation) -> tuple[Any, ...]:
        """An empty chat: no turns (so no history for the next question), no sources, no time chip button."""
        talk.turns = []  # a new list: see `_Conversation`
        return [], sources_html(self.engine, None, 0), "", gr.update(visible=False)


def build_ui(engine: QA) -> gr.Blocks:
    """The chat page over `engine` (a `qa.engine.QA`)."""
    on = _Events(engine)
    with gr.Blocks(title="Sourced", analytics_enabled=False) as demo:
        conversation = gr.State(_Conversation())
        gr.Markdown("## Sourced\nAnswers from news articles; every answer cites the exact sentences it rests on.")
        with gr.Row():
            with gr.Column(scale=3):
                chat = _chat_column(engine)
            with gr.Column(scale=2):
                side = _side_column(engine)
        _wire(demo, on, {"conversation": conversation, **chat, **side})
    demo.queue(default_concurrency_limit=4)  # QA answers concurrent questions; don't serialise users
    return demo


def _chat_column(engine: QA) -> dict[str, Any]:
    """The chat, the question box and the sources of the answer shown; its components by name."""
    chatbot = gr.Chatbot(
        elem_id="chat", label="Chat", height=380, latex_delimiters=[], allow_tags=False,
        feedback_options=None, examples=[{"text": q} for q in EXAMPLES], buttons=["copy"],
        placeholder="Ask a question about the indexed articles, or pick an example.",
    )
    with gr.Row():
        question = gr.Textbox(elem_id="question", show_label=False, scale=6, autofocus=True,
                              placeholder="Ask about the articles, e.g. How many US troops are in Agadez?")
        send = gr.Button("Ask", elem_id="ask", variant="primary", scale=1, min_width=80)
    drop_time = gr.Button("✕ Ignore the question's time window", elem_id="drop-time", size="sm",
                          visible=False)
    sources = gr.HTML(sources_html(engine, None, 0), elem_id="sources")
    return {"chatbot": chatbot, "question": question, "send": send, "drop_time": drop_time, "sources": sources}


def _side_column(engine: QA) -> dict[str, Any]:
    """The settings, filters and the articles (upload, list, remove); its components by name."""
    k = gr.Slider(MIN_K, MAX_K, value=engine.settings.k, step=1, label="Number of sources", elem_id="k")
    llm = getattr(engine, "llm", None)
    mode = gr.Radio(
        [EXTRACTIVE, LLM], value=LLM if engine.default_answerer == "llm" else EXTRACTIVE,
        label="Answer with", elem_id="answerer", interactive=llm is not None,
        info=(f"LLM: {llm.url}" if llm is not None else "LLM answers: start the server with --llm URL"))
    source_filter = gr.Dropdown(multiselect=True, label="Only these sources", elem_id="source-filter")
    article_filter = gr.Dropdown(multiselect=True, label="Only these articles", elem_id="article-filter")
    as_of = gr.Textbox(label="As of", placeholder="today (or a date such as 2024-04-12)", elem_id="as-of",
                       info="'this week' and 'latest' are read against this day")
    with gr.Row():
        after = gr.Textbox(label="Published from", placeholder="any date", elem_id="after", min_width=80)
        before = gr.Textbox(label="Published before", placeholder="any date", elem_id="before",
                            min_width=80)
    clear = gr.Button("New chat", size="sm")
    with gr.Accordion("Articles", open=True):
        files = gr.File(file_count="multiple", file_types=list(SUPPORTED), elem_id="upload",
                        label=f"Add articles ({', '.join(SUPPORTED)})")
        status = gr.HTML(elem_id="upload-status")
        listing = gr.HTML(elem_id="articles")
        with gr.Row():
            to_remove = gr.Dropdown(label="Remove an article", elem_id="remove-choice", scale=3)
            remove_btn = gr.Button("Remove", variant="stop", elem_id="remove", scale=1, min_width=80)
    return {"k": k, "mode": mode, "source_filter": source_filter, "article_filter": article_filter, "as_of": as_of,
            "after": after, "before": before, "clear": clear, "files": files, "status": status, "listing": listing,
            "to_remove": to_remove, "remove_btn": remove_btn}


def _wire(demo: gr.Blocks, on: _Events, c: dict[str, Any]) -> None:
    """Connect the page's components (`c`, by name) to what they do."""
    talk, question, chatbot, drop_time = c["conversation"], c["question"], c["chatbot"], c["drop_time"]
    files = c["files"]
    chat_inputs = [question, talk, c["k"], c["source_filter"], c["article_filter"], c["mode"], c["as_of"],
                   c["after"], c["before"]]
    chat_outputs = [question, chatbot, c["sources"]]
    asked = gr.on([question.submit, c["send"].click], on.respond, chat_inputs, chat_outputs, api_name="chat",
                  api_visibility="undocumented", show_progress="hidden")
    asked.then(on.time_button, talk, drop_time, api_visibility="private")
    reasked = drop_time.click(on.without_time, chat_inputs[1:], chat_outputs, api_visibility="private",
                              show_progress="hidden")
    reasked.then(on.time_button, talk, drop_time, api_visibility="private")
    example = chatbot.example_select(on.pick_example, None, question, api_visibility="private").then(
        on.respond, chat_inputs, chat_outputs, api_visibility="private", show_progress="hidden")
    chatbot.select(on.show_turn, talk, c["sources"], api_visibility="private", show_progress="hidden")
    # "New chat" and the chat's own clear icon alike; an answer still coming in is cancelled (see `_Conversation`)
    gr.on([c["clear"].click, chatbot.clear], on.new_chat, talk, [chatbot, c["sources"], question, drop_time],
          cancels=[asked, reasked, example], api_visibility="private", show_progress="hidden")
    lists = [c["listing"], c["source_filter"], c["article_filter"], c["to_remove"]]
    files.upload(on.upload, files, [c["status"], files, *lists], api_visibility="private")
    c["remove_btn"].click(on.remove, c["to_remove"], [c["status"], *lists], api_visibility="private")
    demo.load(on.refresh, None, lists, api_visibility="private")
    gr.api(on.ask, api_name="ask")
