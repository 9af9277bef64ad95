"""`QA`: the one object behind every front end. It keeps the model and indexes loaded between questions."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generator, Iterator, Sequence

from typing_extensions import Unpack

from index.encoding import Embedder
from qa.answers import composer
from qa.answers.citations import render
from qa.answers.conversation import contextualize
from qa.answers.generate import LLMAnswerer, generated_answer
from qa.answers.reader import Reader
from qa.answers.reading import Judgement, judge, load_reader, reader_answer
from qa.answers.revision import revise
from qa.answers.verify import ReadAnswer
from qa.dates import TimeIntent, read_time
from qa.dates.labels import iso, month
from qa.errors import UnknownAnswerer
from qa.evidence import window
from qa.evidence.filters import check_filters
from qa.evidence.recency import Recency
from qa.evidence.retrieval import Retrieval, Retriever
from qa.evidence.window import TimePlan
from qa.library import Library
from qa.models import Answer, AnswerSpan
from qa.options import AskArgs, AskOptions, as_of_time, checked_question
from qa.rules import decisions as rules
from qa.settings import ANSWERERS, Settings, llm_endpoint


@dataclass(frozen=True)
class Asked:
    """A question ready to search: checked, its options resolved, its time planned (`QA._prepare`)."""

    question: str
    mode: str  # "llm" or "extractive"
    k: int
    asked_at: float  # epoch seconds
    filters: dict[str, Any]
    retriever: Retriever
    timing: bool  # time read in the question
    timed: TimePlan
    query: str  # what is searched: the question without its time words, the conversation folded in
    history: Sequence[object] | None


@dataclass(frozen=True)
class Found:
    """What `QA._find` found: the evidence, the reader's judgement, what outside the window answers."""

    evidence: Retrieval
    judged: Judgement | None
    outside: Retrieval | None
    read_ms: float
    outside_newest: bool = False  # `outside` ranked newest first (else by relevance alone)


class QA(Library):
    """Question answering over an index directory (or a Chroma server): the articles' side is `Library`'s."""

    def __init__(self, index: str | Path | None = None, *, chroma: str | None = None,
                 embedder: Embedder | None = None, settings: Settings | None = None) -> None:
        super().__init__(index, chroma=chroma, embedder=embedder, settings=settings)
        url, model, key = llm_endpoint(self.settings.llm_url, self.settings.llm_model, self.settings.llm_api_key)
        self.llm: LLMAnswerer | None = None if not url else LLMAnswerer(
            url, model=model, api_key=key, timeout_s=self.settings.llm_timeout_s,
            max_tokens=self.settings.llm_max_tokens, options=dict(self.settings.llm_options))

    def ask(self, question: str, **options: Unpack[AskArgs]) -> Answer:
        """Answer a question from the articles, citing exact sentences, or abstain.

        Options (`qa.options.AskOptions`): k, history, filters, answerer ("extractive": quotes; "llm": generated,
        every sentence verified against its citations, extractive with a `warning` when the LLM fails; "auto":
        the LLM when one is configured), as_of (the day the question is asked: "this week" and "latest" are
        read against it, later articles are not searched), use_time (off: date words are words).
        """
        events = self.ask_stream(question, pieces=False, **options)
        return [e for e in events if isinstance(e, Answer)][-1]

    def ask_stream(self, question: str, *, pieces: bool = True, **options: Unpack[AskArgs]) -> Iterator[str | Answer]:
        """`ask`, streamed: pieces of text as they are written (the LLM's tokens, unverified; or, with `pieces`,
        the extractive answer a few words at a time), then the final `Answer`.

        The stages: `_prepare` (the question, its options and time) -> `_find` (retrieve and read; outside
        the question's window when nothing in it answers) -> `_compose` -> `_deliver` (the LLM, or pieces).
        """
        t0 = time.perf_counter()
        asked = self._prepare(question, AskOptions.of(options))
        t1 = time.perf_counter()
        found = self._find(asked)
        t2 = time.perf_counter()
        answer = self._compose(asked, found)
        timings = {"load": (t1 - t0) * 1e3, "embed": found.evidence.timings_ms["embed"],
                   "search": found.evidence.timings_ms["search"], "read": found.read_ms,
                   "answer": found.evidence.timings_ms["decide"] + (time.perf_counter() - t2) * 1e3}
        answer = yield from self._deliver(asked, found, answer, timings, pieces)
        timings["total"] = (time.perf_counter() - t0) * 1e3
        yield replace(answer, timings_ms={name: round(v, 2) for name, v in timings.items()})

    def _prepare(self, question: str, options: AskOptions) -> Asked:
        """The question checked, its options resolved, its time planned and its conversation folded in."""
        question = checked_question(question, self.settings.max_question_chars)
        mode = self._answerer(options.answerer)
        asked_at = as_of_time(options.as_of, time.time())
        filters = check_filters(options.filters)  # type: ignore[arg-type]
        retriever = self._nonempty_retriever()
        timing = self.settings.time if options.use_time is None else options.use_time
        timed = self._plan(question, asked_at, retriever, filters, timing)
        return Asked(question, mode, options.bounded_k(self.settings.k), asked_at, filters, retriever, timing, timed,
                     contextualize(timed.question, options.history), options.history)

    def _find(self, asked: Asked) -> Found:
        """Evidence in the question's window and the reader's judgement of it; when nothing in the window
        answers (`rules.search_outside_window`), the evidence outside it if that answers; a "latest" question the
        newest-first evidence does not answer, the evidence by relevance alone if that answers
        (`rules.search_without_recency`)."""
        found = self._retrieve(asked, windowed=True)
        t1 = time.perf_counter()
        judged = self._read(asked.timed.question, found, asked.retriever, latest=asked.timed.recency is not None)
        outside = None
        answered = rules.evidence_answers(found.answerable, None if judged is None else judged.answered)
        if rules.search_outside_window(asked.timed.windowed, answered):
            for newest in (True, False):  # the newest on it first; the most relevant when that answers nothing
                wide = self._retrieve(asked, windowed=False, newest=newest)
                wide_judged = self._read(asked.timed.question, wide, asked.retriever)
                if rules.evidence_answers(wide.answerable, None if wide_judged is None else wide_judged.answered):
                    outside = wide
                    break
        else:
            if rules.search_without_recency(asked.timed.recency is not None, asked.timed.windowed, answered):
                found, judged = self._by_relevance(asked, found, judged)
            found, judged = revise(self.reader(), asked.retriever, asked.timed.question, found, judged,
                                   query=asked.query, k=asked.k, filters=asked.filters, as_of=asked.asked_at)
        return Found(found, judged, outside, (time.perf_counter() - t1) * 1e3, outside is not None and newest)

    def _by_relevance(self, asked: Asked, found: Retrieval, judged: Judgement | None) -> tuple[Retrieval,
                                                                                            Judgement | None]:
        """The evidence by relevance alone, and its reading, when that answers; else what was found newest first."""
        plain = self._retrieve(asked, windowed=False)
        plain_judged = self._read(asked.timed.question, plain, asked.retriever, latest=True)
        if rules.evidence_answers(plain.answerable, None if plain_judged is None else plain_judged.answered):
            return plain, plain_judged
        return found, judged

    def _retrieve(self, asked: Asked, *, windowed: bool, newest: bool = False) -> Retrieval:
        """Retrieval with the question's window and recency (`windowed`), or with the filters alone (`newest`:
        ranked by age as "latest" questions are, from `rules.newest_reference`)."""
        cutoff = asked.asked_at  # with time off too: nothing published after the day asked
        if not windowed:
            recency = Recency.load(rules.newest_reference(asked.asked_at, asked.retriever.dated)) if newest else None
            return asked.retriever.retrieve(asked.timed.question, query=asked.query, k=asked.k, filters=asked.filters,
                                            as_of=cutoff, recency=recency, unnamed=asked.timed.period_terms)
        return asked.retriever.retrieve(asked.timed.question, query=asked.query, k=asked.k,
                                        filters={**asked.filters, **asked.timed.filters}, as_of=cutoff,
                                        recency=asked.timed.recency, unnamed=asked.timed.period_terms)

    def _compose(self, asked: Asked, found: Found) -> Answer:
        """The extractive answer: what is outside the window, or the reply composed from what was read."""
        question, quote_limit = asked.question, self.settings.quote_limit
        if found.outside is not None:  # nothing in the window says it; something outside it does
            cited = found.outside.citations
            when = month(max(asked.retriever.published_at(c.article_id) for c in cited[:quote_limit]))
            keyed = composer.outside_window(question, asked.timed.intent.label, when, cited, quote_limit,
                                            newest=found.outside_newest)
            answer = Answer(question=question, answer=render(keyed, cited), abstained=True, citations=cited,
                            retrieval_query=asked.query, keyed=keyed)
        else:
            evidence, judged, searched = found.evidence, found.judged, asked.timed.question
            keyed, short, abstained = composer.compose(searched, evidence.citations, quote_limit, judged)
            span = self._span(short, judged, evidence, asked.retriever)
            if not rules.keep_short_answer(short, span is not None):
                judged = replace(judged, text=None) if judged else Judgement(True, 1.0)
                keyed, short, abstained = composer.compose(searched, evidence.citations, quote_limit, judged)
            if asked.timed.recency is not None and not abstained:
                times = [asked.retriever.published_at(c.article_id) for c in evidence.citations]
                source = judged.citation if judged is not None and short else None  # the short answer's article
                keyed = (rules.as_of_prefix(times, asked.asked_at,
                                            answer_from=None if source is None else times[source]) or "") + keyed
            answer = Answer(question=question, answer=render(keyed, evidence.citations), abstained=abstained,
                            citations=evidence.citations, short_answer=short, retrieval_query=asked.query,
                            keyed=keyed, short_answer_span=span, answerability=judged.p if judged else None)
        return replace(answer, as_of=iso(asked.asked_at), time=asked.timed.to_dict() if asked.timing else None)

    def _deliver(self, asked: Asked, found: Found, answer: Answer, timings: dict[str, float],
                 pieces: bool) -> Generator[str, None, Answer]:
        """The LLM's verified answer (its tokens yielded), or the extractive one a few words at a time."""
        if asked.mode == "llm" and not answer.abstained:  # retrieval and the reader decide first: no answer, no LLM
            t0 = time.perf_counter()
            if self.llm is None:
                answer = replace(answer, warning="no LLM is configured (give --llm URL or set QA_LLM_URL): "
                                                 "the answer is extractive")
            else:
                context = asked.retriever.contexts(found.evidence)
                answer = yield from generated_answer(self.llm, answer, context, asked.history,
                                                     read=self._read_answer(answer, context))
            timings["generate"] = (time.perf_counter() - t0) * 1e3
        elif pieces and not answer.abstained:
            yield from composer.pieces(answer.answer)
        return answer

    def _read_answer(self, answer: Answer, context: Sequence[tuple[str, str]]) -> ReadAnswer | None:
        """For the checker: the reader's short answer from citation n of `answer`, if it reads one (None: no reader)."""
        reader = self.reader()
        if reader is None:
            return None
        items = [(c.sentence, *(context[i] if i < len(context) else ("", ""))) for i, c in enumerate(answer.citations)]
        return lambda n: reader_answer(reader, answer.question, items[n - 1]) if 1 <= n <= len(items) else None

    def search(self, question: str, **options: Unpack[AskArgs]) -> Retrieval:
        """The ranked, cited evidence for a question and whether it answers, with no answer composed: what `ask`
        retrieves, its time read the same way (a window, "latest" ranked newest first; `use_time` off: none).

        When it does not answer, `citations` is empty, `reason` says why and `closest` holds the best sentences.
        """
        return self._retrieve(self._prepare(question, AskOptions.of(options)), windowed=True)

    @staticmethod
    def _plan(question: str, asked_at: float, retriever: Retriever, filters: dict[str, Any],
              timing: bool) -> TimePlan:
        """How the question's time applies (nothing when time handling is off)."""
        if not timing:
            return TimePlan(TimeIntent("none"), question=question)
        intent = read_time(question, datetime.fromtimestamp(asked_at, tz=UTC))
        return window.plan(question, intent, asked_at, retriever.dated, filters)

    def reader(self) -> Reader | None:
        """The reader model (loaded on first use), or None when `settings.reader` is off or no weights ship."""
        if not self.settings.reader:
            return None
        return load_reader(self.settings.reader_path, threads=self.settings.reader_threads)

    def _read(self, question: str, found: Retrieval, retriever: Retriever, *, latest: bool = False) -> Judgement | None:
        """The reader's judgement of the evidence (None when there is none to read, or no reader)."""
        reader = self.reader() if found.citations else None
        if reader is None:
            return None
        n = reader.config.decision.n
        return judge(reader, question, found.citations[:n], retriever.contexts(found, n),
                     idf=retriever.lexicon.idf_of, not_held=retriever.not_held, latest=latest)

    @staticmethod
    def _span(short: str | None, judged: Judgement | None, found: Retrieval,
              retriever: Retriever) -> AnswerSpan | None:
        """Where the short answer lies in its article, checked against the stored text (None if it isn't there)."""
        if not short or not found.citations:
            return None
        if judged is not None and judged.citation is not None:
            cited, at = found.citations[judged.citation], judged.start
        else:  # the rules' short answer (no reader) is in the first citation
            cited = found.citations[0]
            at = cited.sentence.find(short)
            if at < 0:
                return None
        span = AnswerSpan(cited.article_id, cited.start + at, cited.start + at + len(short), cited.n)
        article = retriever.texts([cited.article_id]).get(cited.article_id)
        return span if article is not None and article.text[span.start:span.end] == short else None

    @property
    def default_answerer(self) -> str:
        """Who answers when a question doesn't say: "llm" or "extractive"."""
        return self._answerer(None)

    def _answerer(self, answerer: str | None) -> str:
        """"llm" or "extractive" for a requested answerer (None: the settings')."""
        mode = answerer or self.settings.answerer
        if mode not in ANSWERERS:
            raise UnknownAnswerer()
        if mode == "auto":
            return "llm" if self.llm is not None else "extractive"
        return mode
