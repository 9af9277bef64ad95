"""The OpenAI-compatible /v1 of `qa serve`, through the `openai` client against the real server on 127.0.0.1."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from conftest import free_port

pytestmark = pytest.mark.real

AGADEZ = "How many US troops are in Agadez?"
AGADEZ_SENTENCE = "Currently, there are approximately 1,100 American soldiers stationed in Agadez."
TOKEN = "v1-s3cret"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory, seeded_index_dir: Path, real_embedder):
    """The whole app `qa serve` runs (the chat page mounted at / too), with a token."""
    from qa.engine import QA
    from qa.shells.server import ServerThread, create_app

    path = tmp_path_factory.mktemp("v1") / "index"
    shutil.copytree(seeded_index_dir, path)
    with ServerThread(create_app(QA(path, embedder=real_embedder), TOKEN), free_port()) as server:
        yield server.url


@pytest.fixture(scope="module")
def client(url):
    from openai import OpenAI

    with OpenAI(base_url=f"{url}/v1", api_key=TOKEN, max_retries=0, timeout=60) as c:
        yield c


def ask(client, *messages: dict, **kwargs):
    return client.chat.completions.create(model="sourced", messages=list(messages), **kwargs)


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def test_models_lists_one_model_sourced(client):
    assert [m.id for m in client.models.list()] == ["sourced"]
    assert client.models.retrieve("sourced").owned_by == "sourced"


def test_chat_answers_with_markers_sources_and_structured_citations(client, url):
    completion = ask(client, {"role": "system", "content": "You are helpful."}, user(AGADEZ))
    assert completion.model == "sourced" and completion.object == "chat.completion"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    text = choice.message.content
    answer, _, sources = text.partition("\n\nSources:\n")
    assert answer.startswith("approximately 1,100 [1]")
    assert sources.splitlines()[0].startswith("- [1] Russia has sent military equipment")
    assert f"“{AGADEZ_SENTENCE}”" in sources.splitlines()[0]
    sourced = completion.model_extra["sourced"]  # the field OpenAI clients keep but don't read
    assert sourced["short_answer"] == "approximately 1,100" and not sourced["abstained"]
    first = sourced["citations"][0]
    assert first["sentence"] == AGADEZ_SENTENCE
    article = httpx.get(f"{url}/api/articles/{first['article_id']}", headers={"Authorization": f"Bearer {TOKEN}"},
                        timeout=30).json()
    assert article["text"][first["start"]:first["end"]] == AGADEZ_SENTENCE
    referred = [c for c in sourced["citations"] if f"[{c['n']}]" in sourced["answer"]]
    assert len(referred) == len(sources.splitlines()) < len(sourced["citations"])  # only what the text refers to


def test_streaming_gives_the_same_reply_in_openai_chunks(client, url):
    whole = ask(client, user(AGADEZ)).choices[0].message.content
    chunks = list(ask(client, user(AGADEZ), stream=True))
    assert len(chunks) > 3 and all(c.object == "chat.completion.chunk" and c.model == "sourced" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert chunks[-1].model_extra["sourced"]["citations"][0]["sentence"] == AGADEZ_SENTENCE
    raw = httpx.post(f"{url}/v1/chat/completions", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60,
                     json={"model": "sourced", "messages": [user(AGADEZ)], "stream": True})
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert raw.text.rstrip().endswith("data: [DONE]") and raw.text.count("data: [DONE]") == 1


def test_a_follow_up_uses_the_earlier_messages(client):
    first = ask(client, user(AGADEZ)).choices[0].message.content
    they = ask(client, user(AGADEZ), {"role": "assistant", "content": first}, user("When did they arrive?"))
    searched = they.model_extra["sourced"]["retrieval_query"]
    assert "Agadez" in searched and "troops" in searched
    alone = ask(client, user("When did they arrive?"))
    assert alone.model_extra["sourced"]["retrieval_query"] == "When did they arrive?"
    streamed = list(ask(client, user(AGADEZ), {"role": "assistant", "content": first},
                        user("When did they arrive?"), stream=True))
    assert streamed[-1].model_extra["sourced"]["retrieval_query"] == searched
    # OpenAI's list-of-parts content is read as text
    parts = ask(client, {"role": "user", "content": [{"type": "text", "text": AGADEZ}]})
    assert parts.model_extra["sourced"]["citations"][0]["sentence"] == AGADEZ_SENTENCE


def test_an_abstention_is_explicit(client):
    """The seed article can't say who the president of France is: the reply says so, with no Sources list."""
    reply = ask(client, user("Who is the president of France?"))
    assert reply.model_extra["sourced"]["abstained"]
    assert reply.choices[0].message.content.startswith("The articles don't say") \
        and "Sources:" not in reply.choices[0].message.content


def test_sourced_options_come_in_extra_body(client):
    one = ask(client, user(AGADEZ), extra_body={"sourced": {"k": 1}})
    assert len(one.model_extra["sourced"]["citations"]) == 1
    none = ask(client, user(AGADEZ), extra_body={"sourced": {"filters": {"article_ids": ["nope"]}}})
    assert none.model_extra["sourced"]["abstained"] and "Sources:" not in none.choices[0].message.content
    # OpenAI's sampling fields are accepted and ignored
    assert "1,100" in ask(client, user(AGADEZ), temperature=0.2, max_tokens=50).choices[0].message.content


def _openai_error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert "Traceback" not in r.text and "/tmp" not in r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    assert error["type"] == ("invalid_request_error" if status < 500 else "server_error")
    return error


def test_errors_are_openai_error_objects(client, url):
    import openai

    with pytest.raises(openai.BadRequestError) as empty:
        ask(client, user("   "))
    assert empty.value.status_code == 400 and empty.value.code == "empty_question"
    assert "The question is empty" in empty.value.message
    with pytest.raises(openai.BadRequestError) as streamed:  # before the stream starts
        ask(client, user("   "), stream=True)
    assert streamed.value.code == "empty_question"
    with pytest.raises(openai.NotFoundError) as model:
        client.chat.completions.create(model="gpt-4o", messages=[user(AGADEZ)])
    assert model.value.code == "model_not_found" and "'sourced'" in model.value.message
    with pytest.raises(openai.BadRequestError) as last:
        ask(client, user(AGADEZ), {"role": "assistant", "content": "approximately 1,100"})
    assert last.value.code == "invalid_messages"
    with pytest.raises(openai.BadRequestError) as bad_filter:
        ask(client, user(AGADEZ), extra_body={"sourced": {"filters": {"published_after": "soon"}}})
    assert bad_filter.value.code == "invalid_filter" and "published_after" in bad_filter.value.message
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert _openai_error(httpx.post(f"{url}/v1/chat/completions", json={"model": "sourced", "messages": []},
                                    headers=auth, timeout=30), 400)["param"] == "messages"
    _openai_error(httpx.post(f"{url}/v1/chat/completions", content=b"{not json", headers=auth, timeout=30), 400)
    assert _openai_error(httpx.get(f"{url}/v1/embeddings", headers=auth, timeout=30), 404)["code"] == "unknown_url"


def test_the_token_guards_v1(url):
    import openai

    body = {"model": "sourced", "messages": [user(AGADEZ)]}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        for r in (httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=30),
                  httpx.get(f"{url}/v1/models", headers=headers, timeout=30),
                  httpx.get(f"{url}/v1/models?token={TOKEN}", headers=headers, timeout=30)):  # never from the URL
            assert _openai_error(r, 401)["code"] == "invalid_api_key"
            assert r.headers["www-authenticate"] == "Bearer"
    with openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0, timeout=30) as wrong:
        with pytest.raises(openai.AuthenticationError):
            wrong.chat.completions.create(model="sourced", messages=[user(AGADEZ)])


def test_our_earlier_reply_comes_back_as_its_answer_alone():
    from qa.models import Answer, Citation
    from qa.shells.openai_api import answer_part, reply_text

    cited = Citation(n=1, key="a:6", article_id="a", title="T", source="s.txt", sentence=AGADEZ_SENTENCE,
                     start=0, end=len(AGADEZ_SENTENCE), score=0.9)
    answer = Answer(question=AGADEZ, answer="approximately 1,100 [1]", abstained=False, citations=[cited],
                    warning="the LLM is unreachable")
    reply = reply_text(answer)
    assert "Sources:" in reply and reply.startswith("⚠")
    assert answer_part(reply) == "approximately 1,100 [1]"
    assert answer_part("Sources: are named in the text.") == "Sources: are named in the text."  # not ours: kept


def test_open_webuis_task_prompts_get_an_empty_reply_not_a_search(client):
    """Open WebUI sends its title, tags and follow-up prompts (often over 2,000 characters) to the chat's model."""
    task = "### Task:\nGenerate 1-3 broad tags categorizing the main themes of the chat history.\n" + "x " * 1500
    for stream in (False, True):
        reply = ask(client, user(task), stream=stream)
        if stream:
            chunks = list(reply)
            assert "".join(c.choices[0].delta.content or "" for c in chunks) == ""
            assert chunks[-1].choices[0].finish_reason == "stop"
        else:
            assert reply.choices[0].message.content == "" and "sourced" not in (reply.model_extra or {})
