"""Sourced in llama-index: the real llama-index classes over the seeded index (real model, real Chroma)."""

from __future__ import annotations

import asyncio

import pytest

import qa
from qa.errors import EmptyQuestion, InvalidFilter

pytestmark = pytest.mark.real

AGADEZ = "How many US troops are in Agadez?"
AGADEZ_SENTENCE = "Currently, there are approximately 1,100 American soldiers stationed in Agadez."


@pytest.fixture(autouse=True)
def no_openai(monkeypatch: pytest.MonkeyPatch):
    """No OpenAI key anywhere: reading llama-index's default LLM would raise."""
    from llama_index.core import Settings

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    yield
    assert Settings._llm is None and Settings._embed_model is None  # nothing of ours set or read the defaults


def test_a_retriever_query_engine_on_the_retriever_cites_the_sentence_at_its_offsets(seeded_qa_shared):
    from llama_index.core import get_response_synthesizer
    from llama_index.core.base.base_retriever import BaseRetriever
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index.core.schema import NodeWithScore, TextNode

    retriever = qa.as_retriever(engine=seeded_qa_shared, k=3)
    assert isinstance(retriever, BaseRetriever)
    engine = RetrieverQueryEngine(retriever, get_response_synthesizer(llm=MockLLM(), response_mode="compact"))
    response = engine.query(AGADEZ)
    first = response.source_nodes[0]
    assert isinstance(first, NodeWithScore) and isinstance(first.node, TextNode)
    assert first.node.text == AGADEZ_SENTENCE and len(response.source_nodes) <= 3
    meta = first.node.metadata
    article = seeded_qa_shared.article(meta["article_id"])
    assert article.text[meta["start"]:meta["end"]] == AGADEZ_SENTENCE
    assert (first.node.start_char_idx, first.node.end_char_idx) == (meta["start"], meta["end"])
    assert first.node.node_id == meta["key"] and first.node.ref_doc_id == meta["article_id"]
    assert {"title", "source", "published_at", "url", "n"} <= set(meta) and meta["n"] == 1
    assert first.score is not None and first.score > 0
    # what a synthesizer's LLM reads: the sentence with its title and source, not offsets or keys
    shown = first.node.get_content(metadata_mode="llm")
    assert AGADEZ_SENTENCE in shown and meta["title"] in shown and "start" not in shown
    assert AGADEZ_SENTENCE in str(response)  # MockLLM echoes its prompt: our sentence reached it


def test_retrieve_takes_the_filters_of_ask(seeded_qa_shared):
    retriever = qa.as_retriever(engine=seeded_qa_shared)
    nodes = retriever.retrieve(AGADEZ)
    article_id, source = nodes[0].node.metadata["article_id"], nodes[0].node.metadata["source"]
    assert retriever.retrieve(AGADEZ, sources=[source])[0].node.text == AGADEZ_SENTENCE
    assert retriever.retrieve(AGADEZ, article_ids=[article_id])[0].node.text == AGADEZ_SENTENCE
    assert retriever.retrieve(AGADEZ, exclude_article_ids=[article_id]) == []
    assert retriever.retrieve(AGADEZ, filters={"article_ids": ["no-such-article"]}) == []
    assert retriever.retrieve(AGADEZ, published_after="2020-01-01") == []  # the seed article is undated
    assert retriever.retrieve(AGADEZ, as_of="2024-04-12")[0].node.text == AGADEZ_SENTENCE
    assert retriever.retrieve(AGADEZ, k=2) and len(retriever.retrieve(AGADEZ, k=2)) <= 2
    # filters given to the retriever apply to every query, e.g. inside a query engine
    assert qa.as_retriever(engine=seeded_qa_shared, filters={"sources": ["elsewhere"]}).retrieve(AGADEZ) == []
    # it abstains as Sourced does: no nodes when the articles don't say, retrieval's or the reader's decision
    assert retriever.retrieve("What is the capital of Peru?") == []
    assert retriever.retrieve("Who is the president of France?") == []
    assert retriever.last_answer is not None and retriever.last_answer.abstained
    assert asyncio.run(retriever.aretrieve(AGADEZ))[0].node.text == AGADEZ_SENTENCE


def test_the_query_engine_answers_with_the_citations_as_source_nodes(seeded_qa_shared):
    from llama_index.core.base.base_query_engine import BaseQueryEngine

    engine = qa.as_query_engine(engine=seeded_qa_shared)
    assert isinstance(engine, BaseQueryEngine)
    response = engine.query(AGADEZ)
    assert "1,100" in response.response and "[1]" in response.response
    assert response.source_nodes[0].node.text == AGADEZ_SENTENCE
    assert response.metadata["short_answer"] == "approximately 1,100" and not response.metadata["abstained"]
    peru = engine.query("What is the capital of Peru?")
    assert peru.metadata["abstained"] and peru.source_nodes == [] and "don't say" in peru.response
    france = engine.query("Who is the president of France?")
    assert france.metadata["abstained"] and france.source_nodes == [] and france.metadata["closest"]
    assert "1,100" in asyncio.run(engine.aquery(AGADEZ)).response


def test_our_errors_come_through_as_they_are(seeded_qa_shared):
    from llama_index.core import get_response_synthesizer
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine

    retriever = qa.as_retriever(engine=seeded_qa_shared)
    engine = RetrieverQueryEngine(retriever, get_response_synthesizer(llm=MockLLM()))
    with pytest.raises(EmptyQuestion, match="empty"):
        engine.query("   ")
    with pytest.raises(InvalidFilter, match="Unknown filter 'colour'"):
        retriever.retrieve(AGADEZ, filters={"colour": ["red"]})
    with pytest.raises(InvalidFilter, match="published_after"):
        qa.as_query_engine(engine=seeded_qa_shared, filters={"published_after": "not a date"}).query(AGADEZ)
    assert issubclass(EmptyQuestion, qa.QAError)
