"""The generative answerer: an LLM on any OpenAI-compatible server writes the answer from numbered evidence.

Retrieval has already decided that the question can be answered and which sentences are the evidence.
The model gets the conversation, the question and the evidence as numbered sentences (each with the
sentences around it as context) and is asked for a short answer whose every sentence ends with `[n]`.
`verified` then keeps only the sentences `qa.answers.verify.check` finds supported by what they cite, turns their
numbers into citation keys (`qa.answers.citations`) and lists the rest as dropped, with the reason.

The connection goes through llama-index's `OpenAILike` connector (llama.cpp's server, vLLM, Ollama's /v1,
LM Studio, OpenAI); any failure of the server, or an answer that takes longer than the timeout, raises
`LLMFailed`, on which the engine answers extractively with a warning.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Generator, Iterator, Sequence

from qa import text as tx
from qa.answers.citations import marker, render
from qa.answers.conversation import previous_questions
from qa.answers.verify import Claim, ReadAnswer, check, claims
from qa.errors import SourcedError
from qa.models import Answer, Attributed, Citation, Dropped

log = logging.getLogger(__name__)

HISTORY_TURNS = 3  # earlier questions and answers sent along
SYSTEM = (
    "You answer questions about news articles using only the numbered sentences you are given. "
    "Answer in one to three short sentences. End every sentence with the number of the sentence it comes "
    "from in brackets, like [1] or [2][3]. State only what those sentences say; copy numbers, dates and names "
    "exactly as they are written there. If the sentences do not answer the question, say that the articles "
    "don't say."
)
# One worked example (a made-up article, not news we answer about) shows the format; small models need it.
EXAMPLE = (
    "Context from the articles:\n"
    "The bridge over the river reopened on Monday after two years of repairs. The repairs cost 40 million euros, "
    "the city council said.\n\n"
    "Numbered sentences:\n"
    "[1] The bridge over the river reopened on Monday after two years of repairs.\n"
    "[2] The repairs cost 40 million euros, the city council said.\n\n"
    "Question: How much did the repairs cost?\n"
    "Answer in one to three sentences, each ending with [n]:",
    "The repairs cost 40 million euros [2].",
)
_NUMBERED = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")


class LLMFailed(SourcedError):
    """The LLM server could not give an answer (unreachable, an error status, or too slow)."""


@dataclass(frozen=True)
class Generated:
    """A verified generated answer: keyed text of the kept sentences, the citations they use, what was dropped."""

    keyed: str
    citations: list[Citation]
    dropped: list[Dropped]
    n_claims: int
    attributed: list[Attributed] = field(default_factory=list)  # kept sentences the checker gave their citation


@dataclass
class LLMAnswerer:
    """Writes answers with a chat model behind an OpenAI-compatible URL (e.g. http://127.0.0.1:8080/v1)."""

    url: str
    model: str | None = None  # None: the first model the server lists
    api_key: str | None = None
    timeout_s: float = 30.0
    max_tokens: int = 200
    options: dict[str, Any] = field(default_factory=dict)  # extra request fields, e.g. llama.cpp's `grammar`
    _llm: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def model_name(self) -> str:
        """The model asked for: as configured, else the first the server lists (resolved once)."""
        if self.model is None:
            self.model = self._listed_model()
        return self.model

    def _listed_model(self) -> str:
        try:
            from openai import OpenAI

            client = OpenAI(base_url=self.url, api_key=self.api_key or "no-key", timeout=min(self.timeout_s, 5.0),
                            max_retries=0)
            listed = client.models.list().data
        except Exception:  # the server is down or lists nothing: asking will say so
            return "default"
        return listed[0].id if listed else "default"

    def connector(self) -> Any:
        """llama-index's OpenAILike over this server (built once)."""
        with self._lock:
            if self._llm is None:
                from llama_index.llms.openai_like import OpenAILike

                self._llm = OpenAILike(
                    model=self.model_name, api_base=self.url, api_key=self.api_key or "no-key",
                    is_chat_model=True, context_window=4096, temperature=0.0, max_tokens=self.max_tokens,
                    timeout=self.timeout_s, max_retries=0, reuse_client=True,
                    additional_kwargs={"extra_body": dict(self.options)} if self.options else {},
                )
            return self._llm

    def messages(self, question: str, citations: Sequence[Citation], context: Sequence[tuple[str, str]],
                 history: Sequence[object] | None = None) -> list[Any]:
        """The chat sent to the model: instructions, earlier turns, then the numbered evidence and the question."""
        from llama_index.core.llms import ChatMessage

        out = [ChatMessage(role="system", content=SYSTEM), ChatMessage(role="user", content=EXAMPLE[0]),
               ChatMessage(role="assistant", content=EXAMPLE[1])]
        for turn in _turns(history)[-2 * HISTORY_TURNS:]:
            out.append(ChatMessage(role=turn["role"], content=turn["content"]))
        out.append(ChatMessage(role="user", content=evidence_prompt(question, citations, context)))
        return out

    def stream(self, messages: list[Any]) -> Iterator[str]:
        """The answer's text as the model writes it, piece by piece; `LLMFailed` on any failure or the timeout."""
        deadline = time.monotonic() + self.timeout_s
        try:
            responses = self.connector().stream_chat(messages)
            for response in responses:
                if response.delta:
                    yield response.delta
                if time.monotonic() > deadline:
                    responses.close()
                    raise LLMFailed(f"the LLM took longer than {self.timeout_s:g} s")
        except LLMFailed:
            raise
        except Exception as exc:  # connection refused, HTTP errors, time-outs: the openai client's many kinds
            raise LLMFailed(describe(exc, self.url)) from exc


def describe(exc: BaseException, url: str) -> str:
    """A one-line reason an LLM call failed."""
    import openai

    if isinstance(exc, openai.APITimeoutError):  # a kind of APIConnectionError: ask first
        return f"the LLM at {url} did not answer in time"
    if isinstance(exc, openai.APIConnectionError):
        return f"the LLM at {url} is unreachable"
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"the LLM at {url} failed: {message[:200]}"


def _turns(history: Sequence[object] | None) -> list[dict[str, str]]:
    """Earlier turns as chat messages, their [n] markers removed (those numbers meant other evidence)."""
    out: list[dict[str, str]] = []
    for turn in history or []:
        if isinstance(turn, dict) and turn.get("role") in ("user", "assistant") and isinstance(turn.get("content"), str):
            out.append({"role": str(turn["role"]), "content": _NUMBERED.sub("", str(turn["content"]))})
        elif isinstance(turn, (list, tuple)) and len(turn) == 2 and all(isinstance(t, str) for t in turn):
            out += [{"role": "user", "content": turn[0]}, {"role": "assistant", "content": _NUMBERED.sub("", turn[1])}]
    if not out:  # plain strings: questions only
        out = [{"role": "user", "content": q} for q in previous_questions(history or [])]
    return out


def evidence_prompt(question: str, citations: Sequence[Citation], context: Sequence[tuple[str, str]]) -> str:
    """The evidence in context (each sentence with its neighbours), the same sentences numbered, the question."""
    lines = ["Context from the articles:"]
    for i, c in enumerate(citations):
        before, after = context[i] if i < len(context) else ("", "")
        lines.append(" ".join(part for part in (before, c.sentence, after) if part))
    lines += ["", "Numbered sentences:"]
    lines += [f"[{i}] {c.sentence}" for i, c in enumerate(citations, start=1)]
    lines += ["", f"Question: {question}", "Answer in one to three sentences, each ending with [n]:"]
    return "\n".join(lines)


def verified(raw: str, question: str, citations: Sequence[Citation],
             context: Sequence[tuple[str, str]], *, read: ReadAnswer | None = None) -> Generated:
    """The generated answer reduced to its supported sentences, cited by key; the rest dropped with reasons
    (`read`: the reader's short answer from citation n, which a claim may state in the question's words)."""
    evidence = [c.sentence for c in citations]
    around = [f"{before} {after}" for before, after in context]
    kept: list[str] = []
    used: list[int] = []
    dropped: list[Dropped] = []
    attributed: list[tuple[str, int]] = []
    found = claims(raw)
    for claim in found:
        reason = check(claim, evidence, question=question, context=around, read=read)
        if reason == "no citation":  # small models forget the [n] of a sentence they did take from the evidence
            n = attribute(claim, evidence, question=question, context=around)
            if n is not None:
                claim, reason = Claim(claim.text, (n,), claim.raw), None
                attributed.append((claim.text, n))
        if reason:
            dropped.append(Dropped(claim.text, list(claim.markers), reason))
            continue
        body, stop = re.match(r"(.*?)([.!?]*)$", claim.text, re.DOTALL).groups()  # type: ignore[union-attr]
        kept.append(f"{body.rstrip()} {''.join(marker(citations[n - 1].key) for n in claim.markers)}{stop or '.'}")
        used += [n for n in claim.markers if n not in used]
    shown = [Citation(**{**c.to_dict(), "n": i}) for i, c in enumerate((citations[n - 1] for n in used), start=1)]
    renumbered = {n: i for i, n in enumerate(used, start=1)}
    return Generated(" ".join(kept), shown, dropped, len(found),
                     [Attributed(text, renumbered[n]) for text, n in attributed])


def attribute(claim: Claim, evidence: list[str], *, question: str = "", context: list[str] | None = None) -> int | None:
    """The given sentence (1-based) that supports an unmarked claim, by the same check as a cited one; the one
    sharing most of its content words when several do; None when none does."""
    said = set(tx.terms(claim.text))
    best: tuple[int, int] | None = None
    for n in range(1, len(evidence) + 1):
        if check(Claim(claim.text, (n,), claim.raw), evidence, question=question, context=context) is None:
            shared = len(said & set(tx.terms(evidence[n - 1])))
            if best is None or shared > best[0]:
                best = (shared, n)
    return None if best is None else best[1]


def generated_answer(llm: LLMAnswerer, extractive: Answer, context: Sequence[tuple[str, str]],
                     history: Sequence[object] | None, *,
                     read: ReadAnswer | None = None) -> Generator[str, None, Answer]:
    """The LLM's answer to the question of `extractive`, from its citations (`context`: each one's neighbours),
    verified (its tokens yielded as they come; `read`: see `verified`); else `extractive` with a warning saying why."""
    messages = llm.messages(extractive.question, extractive.citations, context, history)
    text = []
    try:
        for token in llm.stream(messages):
            text.append(token)
            yield token
    except LLMFailed as exc:
        log.warning("LLM answer failed: %s", exc)
        return replace(extractive, llm_model=llm.model_name, warning=f"{exc}: the answer is extractive")
    made = verified("".join(text), extractive.question, extractive.citations, context, read=read)
    if not made.keyed:
        why = ("the LLM wrote nothing" if not made.n_claims else
               f"none of the LLM's {made.n_claims} sentence(s) is supported by the sentences it cites")
        return replace(extractive, llm_model=llm.model_name, dropped=made.dropped,
                       warning=f"{why}: the answer is extractive")
    return replace(extractive, answer=render(made.keyed, made.citations), keyed=made.keyed,
                   citations=made.citations, short_answer=None, short_answer_span=None, answerer="llm",
                   llm_model=llm.model_name, dropped=made.dropped, attributed=made.attributed)
