"""Each shell translates the one error tree once: HTTP status and JSON body, CLI exit code, chat-page message."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from conftest import free_port

from qa.answers.citations import marker
from qa.errors import (
    EmptyIndex,
    EmptyQuestion,
    IndexBusy,
    InvalidQuestion,
    ModelMismatch,
    QAError,
    QuestionTooLong,
    SourcedError,
    StoreError,
    StoreUnavailable,
    UnknownArticle,
    UnsupportedEncoder,
)
from qa.models import Answer, Citation
from qa.settings import Settings

STATUS = [
    (EmptyQuestion, 422), (InvalidQuestion, 422), (QuestionTooLong, 422), (EmptyIndex, 409), (UnknownArticle, 404),
    (IndexBusy, 503), (StoreUnavailable, 503), (ModelMismatch, 500), (UnsupportedEncoder, 400), (StoreError, 400),
    (QAError, 400), (SourcedError, 400),
]
ERRORS = {kind.__name__: kind for kind, _ in STATUS}


class Refusing:
    """An engine that refuses: `ask(name)` raises the error class called `name`; nothing is indexed."""

    settings = Settings()
    embedder = None
    exists = True  # an index is there: the errors come from asking

    def ask(self, question: str, **options: Any) -> Answer:
        raise ERRORS[question]()

    def articles(self) -> list[Any]:
        raise IndexBusy()

    def health(self) -> dict[str, Any]:
        raise IndexBusy()

    def article(self, article_id: str) -> None:
        return None

    def remove(self, article_id: str) -> None:
        raise UnknownArticle(f"no article with id '{article_id}' is in the index (see `qa list`)")


@pytest.fixture(scope="module")
def client():
    from qa.shells.server import ServerThread, create_app

    with ServerThread(create_app(Refusing(), ui=False), free_port()) as server, \
            httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


@pytest.mark.parametrize(("kind", "status"), STATUS, ids=[kind.__name__ for kind, _ in STATUS])
def test_http_status_of_each_error(client, kind, status):
    r = client.post("/api/ask", json={"question": kind.__name__})
    assert r.status_code == status
    assert r.json() == {"error": str(kind()), "status": status}


def test_http_article_errors(client):
    no_article = {"error": "No article with id 'gone' is in the index.", "status": 404}
    assert client.delete("/api/articles/gone").json() == no_article
    assert client.get("/api/articles/gone").json() == no_article
    busy = client.get("/api/health")
    assert busy.status_code == 503 and busy.json() == {"error": str(IndexBusy()), "status": 503}


def test_cli_turns_each_error_into_one_line_and_exit_1(monkeypatch, tmp_path):
    import qa.engine
    from qa.shells.cli import main

    monkeypatch.setattr(qa.engine, "QA", lambda *args, **kwargs: Refusing())
    for kind, _ in STATUS:
        result = CliRunner().invoke(main, ["ask", "--index", str(tmp_path), kind.__name__])
        assert result.exit_code == 1, kind
        assert result.output == f"Error: {kind()}\n"
    removed = CliRunner().invoke(main, ["remove", "--index", str(tmp_path), "gone"])
    assert removed.exit_code == 1 and "no article with id 'gone'" in removed.output


def test_chat_page_shows_errors_as_gradio_errors():
    import gradio as gr

    from qa.shells.ui import _Events

    page = _Events(Refusing())
    with pytest.raises(gr.Error, match="not valid text"):
        page.ask("InvalidQuestion")
    with pytest.raises(gr.Error, match="no article with id 'gone'"):
        page.remove("gone")


def test_chat_answer_links_its_citations_and_nothing_else():
    from qa.shells.markup import Failed, answer_markdown

    cited = Citation(n=1, key="a.txt:4", article_id="a.txt", title="A", source="s", sentence="It rose [3] *fast*.",
                     start=10, end=28, score=1.0)
    answer = Answer(question="q", answer="“It rose [3] *fast*.” [1]", abstained=False, citations=[cited],
                    keyed=f"“It rose [3] *fast*.” {marker('a.txt:4')} {marker('unknown:1')}")
    assert answer_markdown(answer, 2) == r"“It rose \[3\] \*fast\*.” [\[1\]](#src-2-1) "
    assert answer_markdown(Failed("q", "Too <b>long</b>"), 0) == "⚠ Too &lt;b&gt;long&lt;/b&gt;"
