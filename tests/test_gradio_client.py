"""The Gradio endpoint `/ask`, called with `gradio_client` against the real server on 127.0.0.1."""

from __future__ import annotations

import pytest
from conftest import free_port

pytestmark = pytest.mark.real

AGADEZ_SENTENCE = "Currently, there are approximately 1,100 American soldiers stationed in Agadez."


@pytest.fixture(scope="module")
def url(seeded_qa_shared):
    from qa.shells.server import ServerThread, create_app

    with ServerThread(create_app(seeded_qa_shared), free_port()) as server:
        yield server.url


def test_ask_endpoint(url):
    from gradio_client import Client

    client = Client(url, verbose=False)
    assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    answer = client.predict("How many US troops are in Agadez?", 3, [], api_name="/ask")
    assert not answer["abstained"] and "1,100" in answer["short_answer"]
    assert answer["citations"][0]["sentence"] == AGADEZ_SENTENCE
    assert len(answer["citations"]) <= 3

    follow_up = client.predict(question="When did they arrive?", history=["How many US troops are in Agadez?"],
                               api_name="/ask")
    assert "Agadez" in follow_up["retrieval_query"]

    asked = client.predict("How many US troops are in Agadez?", answerer="llm", api_name="/ask")
    assert asked["answerer"] == "extractive" and "no LLM is configured" in asked["warning"]


def test_ask_endpoint_reports_errors(url):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(url, verbose=False)
    with pytest.raises(AppError, match="empty"):
        client.predict("   ", api_name="/ask")
