"""`QA`: the one object behind every front end. It keeps the model and indexes loaded between questions."""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generator, Iterator, Sequence

from index.embedder import make_embedder
from index.encoding import Embedder
from index.ingest import ingest_articles, ingest_paths, tqdm_progress
from index.layout import ArticleInfo, Problem
from index.loaders import parse_bytes
from index.models import Article, IngestReport
from index.store import Store
from qa.answers import composer
from qa.answers.citations import render
from qa.answers.conversation import contextualize
from qa.answers.generate import LLMAnswerer, LLMFailed, verified
from qa.answers.reader import Reader
from qa.answers.reading import Judgement, judge, load_reader
from qa.dates import TimeIntent, read_time
from qa.errors import EmptyIndex, EmptyQuestion, InvalidQuestion, QuestionTooLong, UnknownAnswerer
from qa.evidence import window
from qa.evidence.filters import as_time, check_filters
from qa.evidence.ranker import Ranker
from qa.evidence.retrieval import Retrieval, Retriever
from qa.evidence.window import TimePlan
from qa.models import Answer, AnswerSpan
from qa.search.derived import Derived
from qa.settings import ANSWERERS, Settings, chroma_url, derived_dir, index_dir, llm_endpoint

log = logging.getLogger(__name__)
REFRESH_EVERY_S = 1.0  # how often to look for commits made by other processes


class QA:
    """Question answering over an index directory (or a Chroma server)."""

    def __init__(self, index: str | Path | None = None, *, chroma: str | None = None,
                 embedder: Embedder | None = None, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.index_dir = index_dir(index)
        self.chroma_url = chroma_url(chroma)
        self.embedder: Any = embedder or make_embedder(self.settings.model, encoder=self.settings.encoder)
        self.store = Store(self.index_dir, chroma_url=self.chroma_url, model=self.embedder.name)
        self.ranker = Ranker.load()
        self.derived = Derived(derived_dir(self.index_dir, self.chroma_url))
        self._retriever: Retriever | None = None
        self._checked_at = 0.0
        self._lock = threading.RLock()
        url, model, key = llm_endpoint(self.settings.llm_url, self.settings.llm_model, self.settings.llm_api_key)
        self.llm: LLMAnswerer | None = None if not url else LLMAnswerer(
            url, model=model, api_key=key, timeout_s=self.settings.llm_timeout_s,
            max_tokens=self.settings.llm_max_tokens, options=dict(self.settings.llm_options))

    # --- ingestion -----------------------------------------------------------------

    @property
    def _lock_dir(self) -> Path | None:
        return None if self.chroma_url else self.index_dir

    def ingest(self, paths: Sequence[str | Path], *, progress: bool = False) -> IngestReport:
        """Index files and folders; unchanged articles are skipped, edited ones replaced.

        Archives (.json, .jsonl) stream record by record under `settings.limits`; a bad record is a
        problem in the report. Ctrl+C returns the report with `interrupted` set.
        """
        update, close = tqdm_progress(progress)
        try:
            report = ingest_paths(list(paths), self.store, self.embedder, limits=self.settings.limits,
                                  progress=update, lock_dir=self._lock_dir,
                                  lock_wait_s=self.settings.lock_wait_s)
        finally:
            close()
        if progress and (report.added or report.replaced):
            print(f"indexing {report.sentences:,} new sentences for search (tokens, BM25 postings) ...",
                  file=sys.stderr, flush=True)
        self._after_write()
        return report

    def ingest_bytes(self, files: Sequence[tuple[str, bytes]]) -> IngestReport:
        """Index uploaded files given as (file name, content)."""
        items = (item for name, data in files for item in parse_bytes(name, data, limits=self.settings.limits))
        report = ingest_articles(items, self.store, self.embedder, lock_dir=self._lock_dir,
                                 lock_wait_s=self.settings.lock_wait_s, limits=self.settings.limits)
        self._after_write()
        return report

    def remove(self, article_id: str) -> None:
        """Delete one article and everything derived from it."""
        with self.store.writer_lock(wait_s=self.settings.lock_wait_s):
            self.store.remove(article_id)
        self._after_write()

    def check(self, *, repair: bool = False) -> list[Problem]:
        """Integrity problems of the index (and, with `repair`, fix what can be fixed).

        Holds the writer lock, so it never mistakes a running ingest's parts for leftovers.
        """
        with self.store.writer_lock(wait_s=self.settings.lock_wait_s):
            problems = self.store.check(repair=repair)
        problems += self.derived.check(repair=repair)
        if repair:
            self._after_write()
        else:
            self._invalidate()
        return problems

    # --- reading ---------------------------------------------------------------------

    def articles(self) -> list[ArticleInfo]:
        """Indexed articles."""
        return self.store.list_articles()

    def article(self, article_id: str) -> Article | None:
        """One indexed article with its text."""
        return self.store.get_article(article_id)

    def _invalidate(self) -> None:
        with self._lock:
            self._checked_at = 0.0

    def _after_write(self) -> None:
        """Bring the derived indexes up to date after this process wrote, so the next reader starts fast."""
        self._invalidate()
        try:
            self.retriever(compact=True)
        except OSError as exc:  # the next reader brings them up to date itself
            logging.getLogger(__name__).warning("derived indexes not updated: %s", exc)

    def retriever(self, *, compact: bool = False) -> Retriever:
        """The retriever over the current generation of the store (updated when it changed).

        With `compact` (after this process wrote), small or mostly dead derived segments are re-read into few.
        """
        now = time.monotonic()
        current = self._retriever
        if current is not None and now - self._checked_at < REFRESH_EVERY_S:
            return current
        with self._lock:
            current = self._retriever
            if current is not None and time.monotonic() - self._checked_at < REFRESH_EVERY_S:
                return current
            generation = self.store.generation()
            if current is None or current.corpus.generation != generation:
                # The derived indexes are brought up to date by a delta (or read as they are) and
                # memory-mapped; the old retriever shares their segments until it is dropped.
                self.store.refresh()
                current = Retriever(self.derived.lexicon(self.store, compact=compact), self.store, self.ranker,
                                    self.embedder, n_candidates=self.settings.n_candidates)
                self._retriever = current
            self._checked_at = time.monotonic()
            return current

    def ask(self, question: str, *, k: int | None = None, history: Sequence[object] | None = None,
            filters: dict[str, Any] | None = None, answerer: str | None = None,
            as_of: datetime | str | float | None = None, use_time: bool | None = None) -> Answer:
        """Answer a question from the articles, citing exact sentences, or abstain.

        Args:
            filters: {"article_ids", "sources", "exclude_article_ids": [...], "published_after",
                "published_before": a date} (see `qa.evidence.filters`).
            as_of: the day the question is asked (default: now, UTC): "this week" and "latest" are read
                against it, and articles published after it are not searched.
            use_time: read time in the question (default: `settings.time`); off, its date words are words.
            answerer: "extractive" (quotes), "llm" (generated, every sentence verified against its citations;
                extractive with a `warning` when the LLM fails or nothing it wrote is supported), or "auto"
                (the LLM when one is configured). Default: `settings.answerer`.
        """
        events = self.ask_stream(question, k=k, history=history, filters=filters, answerer=answerer, as_of=as_of,
                                 use_time=use_time, pieces=False)
        return [e for e in events if isinstance(e, Answer)][-1]

    def ask_stream(self, question: str, *, k: int | None = None, history: Sequence[object] | None = None,
                   filters: dict[str, Any] | None = None, answerer: str | None = None,
                   as_of: datetime | str | float | None = None, use_time: bool | None = None,
                   pieces: bool = True) -> Iterator[str | Answer]:
        """`ask`, streamed: pieces of text as they are written (the LLM's tokens, unverified; or, with `pieces`,
        the extractive answer a few words at a time), then the final `Answer`."""
        t0 = time.perf_counter()
        question = self._validate(question)
        mode = self._answerer(answerer)
        k = max(1, min(int(k or self.settings.k), 20))
        asked_at = self._as_of(as_of)
        filters = check_filters(filters)
        retriever = self.retriever()
        if retriever.corpus.empty:
            raise EmptyIndex()
        t1 = time.perf_counter()
        timing = self.settings.time if use_time is None else use_time
        timed = self._plan(question, asked_at, retriever, filters, timing)
        searched = timed.question
        query = contextualize(searched, history)
        cutoff = asked_at if timing else None
        found = retriever.retrieve(searched, query=query, k=k, filters={**filters, **timed.filters}, as_of=cutoff,
                                   recency=timed.recency)
        t2 = time.perf_counter()
        judged = self._read(searched, found, retriever)
        outside = None
        if timed.windowed and not (found.answerable and (judged is None or judged.answered)):
            wide = retriever.retrieve(searched, query=query, k=k, filters=filters, as_of=cutoff)
            wide_judged = self._read(searched, wide, retriever)
            if wide.answerable and (wide_judged is None or wide_judged.answered):
                outside = wide
        t3 = time.perf_counter()
        if outside is not None:  # nothing in the window says it; something outside it does
            when = window.month(min(retriever.published[retriever.corpus.article_row[c.article_id]]
                                    for c in outside.citations[: self.settings.quote_limit]))
            keyed = composer.outside_window(question, timed.intent.label, when, outside.citations,
                                            self.settings.quote_limit)
            answer = Answer(question=question, answer=render(keyed, outside.citations), abstained=True,
                            citations=outside.citations, retrieval_query=query, keyed=keyed)
        else:
            keyed, short, abstained = composer.compose(searched, found.citations, self.settings.quote_limit, judged)
            span = self._span(short, judged, found, retriever)
            if short and span is None:  # never show a short answer that is not at its offsets
                judged = replace(judged, text=None) if judged else Judgement(True, 1.0)
                keyed, short, abstained = composer.compose(searched, found.citations, self.settings.quote_limit,
                                                           judged)
            if timed.recency is not None and not abstained:
                keyed = self._as_of_newest(keyed, found, retriever, asked_at)
            answer = Answer(question=question, answer=render(keyed, found.citations), abstained=abstained,
                            citations=found.citations, short_answer=short, retrieval_query=query, keyed=keyed,
                            short_answer_span=span, answerability=judged.p if judged else None)
        answer = replace(answer, as_of=window.iso(asked_at), time=timed.to_dict() if timing else None)
        timings = {"load": (t1 - t0) * 1e3, "embed": found.timings_ms["embed"], "search": found.timings_ms["search"],
                   "read": (t3 - t2) * 1e3,
                   "answer": found.timings_ms["decide"] + (time.perf_counter() - t3) * 1e3}
        if mode == "llm" and not answer.abstained:  # retrieval and the reader decide first: no answer, no LLM
            t3 = time.perf_counter()
            answer = yield from self._generate(answer, found, history)
            timings["generate"] = (time.perf_counter() - t3) * 1e3
        elif pieces and not answer.abstained:
            yield from composer.pieces(answer.answer)
        timings["total"] = (time.perf_counter() - t0) * 1e3
        yield replace(answer, timings_ms={name: round(v, 2) for name, v in timings.items()})

    def search(self, question: str, *, k: int | None = None, history: Sequence[object] | None = None,
               filters: dict[str, Any] | None = None, as_of: datetime | str | float | None = None) -> Retrieval:
        """The ranked, cited evidence for a question and whether it answers, with no answer composed.

        When it does not answer, `citations` is empty, `reason` says why and `closest` holds the best sentences.
        """
        question = self._validate(question)
        k = max(1, min(int(k or self.settings.k), 20))
        filters, asked_at = check_filters(filters), self._as_of(as_of)
        retriever = self.retriever()
        if retriever.corpus.empty:
            raise EmptyIndex()
        return retriever.retrieve(question, query=contextualize(question, history), k=k, filters=filters,
                                  as_of=asked_at if self.settings.time else None)

    def _as_of(self, as_of: datetime | str | float | None) -> float:
        """`as_of` as epoch seconds (now when not given); `InvalidFilter` naming it when it is not a date."""
        if as_of is None or as_of == "":
            return time.time()
        if isinstance(as_of, datetime):
            return (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)).timestamp()
        return as_time(as_of, "as_of")

    @staticmethod
    def _plan(question: str, asked_at: float, retriever: Retriever, filters: dict[str, Any],
              timing: bool) -> TimePlan:
        """How the question's time applies (nothing when time handling is off)."""
        if not timing:
            return TimePlan(TimeIntent("none"), question=question)
        intent = read_time(question, datetime.fromtimestamp(asked_at, tz=UTC))
        return window.plan(question, intent, asked_at, retriever.dated, filters)

    @staticmethod
    def _as_of_newest(keyed: str, found: Retrieval, retriever: Retriever, asked_at: float) -> str:
        """A "latest" answer from evidence older than a day says how old: "As of April 10, 2024 (...): ..."."""
        times = [retriever.published[retriever.corpus.article_row[c.article_id]] for c in found.citations]
        times = [t for t in times if t == t]  # dated ones
        if not times or max(times) >= asked_at - window.DAY:
            return keyed
        return f"As of {window.day(max(times))} (the newest article cited): {keyed}"

    def reader(self) -> Reader | None:
        """The reader model (loaded on first use), or None when `settings.reader` is off or no weights ship."""
        if not self.settings.reader:
            return None
        return load_reader(self.settings.reader_path, threads=self.settings.reader_threads)

    def _read(self, question: str, found: Retrieval, retriever: Retriever) -> Judgement | None:
        """The reader's judgement of the evidence (None when there is none to read, or no reader)."""
        reader = self.reader() if found.citations else None
        if reader is None:
            return None
        n = reader.config.decision.n
        return judge(reader, question, found.citations[:n], [retriever.neighbours(row) for row in found.rows[:n]],
                     idf=retriever.lexicon.idf_of, not_held=retriever.not_held)

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

    def _generate(self, extractive: Answer, found: Retrieval,
                  history: Sequence[object] | None) -> Generator[str, None, Answer]:
        """The LLM's answer, verified (its tokens yielded as they come); else `extractive` with a warning."""
        if self.llm is None:
            return replace(extractive, warning="no LLM is configured (give --llm URL or set QA_LLM_URL): "
                                               "the answer is extractive")
        llm = self.llm
        context = [self.retriever().neighbours(row) for row in found.rows]
        messages = llm.messages(extractive.question, found.citations, context, history)
        text = []
        try:
            for token in llm.stream(messages):
                text.append(token)
                yield token
        except LLMFailed as exc:
            log.warning("LLM answer failed: %s", exc)
            return replace(extractive, llm_model=llm.model_name, warning=f"{exc}: the answer is extractive")
        made = verified("".join(text), extractive.question, found.citations, context)
        if not made.keyed:
            why = ("the LLM wrote nothing" if not made.n_claims else
                   f"none of the LLM's {made.n_claims} sentence(s) is supported by the sentences it cites")
            return replace(extractive, llm_model=llm.model_name, dropped=made.dropped,
                           warning=f"{why}: the answer is extractive")
        return replace(extractive, answer=render(made.keyed, made.citations), keyed=made.keyed,
                       citations=made.citations, short_answer=None, short_answer_span=None, answerer="llm",
                       llm_model=llm.model_name, dropped=made.dropped, attributed=made.attributed)

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

    def _validate(self, question: object) -> str:
        """The question stripped, or the named error of what is wrong with it."""
        if not isinstance(question, str) or not question.strip():
            raise EmptyQuestion()
        question = question.strip()
        try:
            question.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidQuestion() from None
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionTooLong(f"The question is too long ({len(question):,} characters; the limit is {limit:,}).")
        return question
