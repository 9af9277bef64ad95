"""Sourced in llama-index: a retriever whose nodes are the cited sentences, and a query engine answering with them.

Neither reads llama-index's `Settings.llm` or `Settings.embed_model`, so nothing defaults to OpenAI; our named
errors (`qa.errors`) come through `retrieve` and `query` as they are.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.prompts.mixin import PromptMixinType
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, QueryType, RelatedNodeInfo, TextNode

from qa.models import Answer, Citation

if TYPE_CHECKING:
    from qa.engine import QA

Date = datetime | str | float | None
_HIDDEN = ["start", "end", "key", "n", "url", "dates", "also_in", "article_id"]  # kept out of prompts and embeddings
log = logging.getLogger(__name__)
_asked: ContextVar[dict[str, Any] | None] = ContextVar("sourced_asked", default=None)


def node_of(citation: Citation) -> NodeWithScore:
    """A cited sentence as a llama-index node: its text the sentence, where it lies in the metadata."""
    metadata: dict[str, Any] = {
        "article_id": citation.article_id, "title": citation.title, "source": citation.source,
        "published_at": citation.published_at, "url": citation.url, "start": citation.start, "end": citation.end,
        "key": citation.key, "n": citation.n,
    }
    if citation.dates:
        metadata["dates"] = [dict(d) for d in citation.dates]
    if citation.also_in:
        metadata["also_in"] = list(citation.also_in)
    node = TextNode(
        id_=citation.key, text=citation.sentence, metadata=metadata, start_char_idx=citation.start,
        end_char_idx=citation.end, excluded_llm_metadata_keys=list(_HIDDEN), excluded_embed_metadata_keys=list(_HIDDEN),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=citation.article_id)},
    )
    return NodeWithScore(node=node, score=float(citation.score))


def _filters(base: dict[str, Any] | None, **named: Any) -> dict[str, Any] | None:
    """`base` with the named filters given laid over it (None when there are none)."""
    out = dict(base or {})
    out.update({name: value for name, value in named.items() if value is not None})
    return out or None


class SourcedRetriever(BaseRetriever):
    """The sentences Sourced cites for a question, best first; none when it abstains (why: logged on
    `qa.llamaindex` and in `last_answer`)."""

    def __init__(self, engine: QA, *, k: int | None = None, filters: dict[str, Any] | None = None,
                 as_of: Date = None, use_time: bool | None = None,
                 callback_manager: CallbackManager | None = None) -> None:
        self.engine, self.k, self.filters, self.as_of, self.use_time = engine, k, filters, as_of, use_time
        self.last_answer: Answer | None = None  # the last query's whole answer: `abstained`, and why in `answer`
        super().__init__(callback_manager=callback_manager or CallbackManager([]))

    def retrieve(self, str_or_query_bundle: QueryType, *, k: int | None = None,  # type: ignore[override]
                 filters: dict[str, Any] | None = None, article_ids: Sequence[str] | None = None,
                 sources: Sequence[str] | None = None, exclude_article_ids: Sequence[str] | None = None,
                 published_after: Date = None, published_before: Date = None, as_of: Date = None,
                 history: Sequence[object] | None = None, use_time: bool | None = None) -> list[NodeWithScore]:
        """The cited sentences for a query, limited as `QA.ask` limits (these filters over the retriever's)."""
        asked = {"k": k or self.k, "as_of": as_of or self.as_of, "history": history,
                 "use_time": self.use_time if use_time is None else use_time, "filters": _filters(
            {**(self.filters or {}), **(filters or {})}, article_ids=article_ids, sources=sources,
            exclude_article_ids=exclude_article_ids, published_after=published_after,
            published_before=published_before)}
        token = _asked.set(asked)
        try:
            return super().retrieve(str_or_query_bundle)
        finally:
            _asked.reset(token)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        asked = _asked.get() or {"k": self.k, "filters": self.filters, "as_of": self.as_of, "use_time": self.use_time}
        answer = self.engine.ask(query_bundle.query_str, answerer="extractive", **asked)
        self.last_answer = answer
        if answer.abstained:  # no nodes: a synthesizer given the closest sentences would write what Sourced refused
            log.info("Sourced abstained on %r: %s", query_bundle.query_str, answer.answer.split("\n")[0])
            return []
        return [node_of(c) for c in answer.citations]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._retrieve, query_bundle)


class SourcedQueryEngine(BaseQueryEngine):
    """Sourced's answer as a llama-index `Response`: the text with [n] markers, the citations as `source_nodes`."""

    def __init__(self, engine: QA, *, k: int | None = None, filters: dict[str, Any] | None = None,
                 as_of: Date = None, answerer: str | None = None, use_time: bool | None = None,
                 callback_manager: CallbackManager | None = None) -> None:
        self.engine, self.k, self.filters, self.as_of, self.answerer = engine, k, filters, as_of, answerer
        self.use_time = use_time
        super().__init__(callback_manager=callback_manager or CallbackManager([]))

    def _get_prompt_modules(self) -> PromptMixinType:
        return {}

    def _query(self, query_bundle: QueryBundle) -> Response:
        answer = self.engine.ask(query_bundle.query_str, k=self.k, filters=self.filters, as_of=self.as_of,
                                 answerer=self.answerer, use_time=self.use_time)
        return response_of(answer)

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return await asyncio.to_thread(self._query, query_bundle)


def response_of(answer: Answer) -> Response:
    """An `Answer` as a llama-index `Response` (the rest of the answer in its metadata). An abstention has no
    source nodes (nothing supports an answer); the closest sentences it quotes are in `metadata["closest"]`."""
    rest = {name: value for name, value in answer.to_dict().items() if name not in ("answer", "citations")}
    if answer.abstained:
        rest["closest"] = [c.to_dict() for c in answer.citations]
        return Response(response=answer.answer, source_nodes=[], metadata=rest)
    return Response(response=answer.answer, source_nodes=[node_of(c) for c in answer.citations], metadata=rest)
