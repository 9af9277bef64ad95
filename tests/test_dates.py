"""Publication dates: read in the formats real dumps use, a bad one a problem line; filters by date, cheap."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.dates import BadDate, date_from_url, normalise_date
from qa.errors import InvalidFilter
from qa.evidence.filters import check_filters, publication_times


@pytest.mark.parametrize("given, expected", [
    ("2024-04-12T09:30:00Z", "2024-04-12T09:30:00Z"),
    ("2024-04-12T09:30:00+02:00", "2024-04-12T07:30:00Z"),
    ("2024-04-12T09:30:00", "2024-04-12T09:30:00Z"),  # no zone: taken as UTC
    ("2024-04-12", "2024-04-12T00:00:00Z"),
    ("2022/06/12", "2022-06-12T00:00:00Z"),
    ("Sun, 12 Jun 2022 10:00:00 GMT", "2022-06-12T10:00:00Z"),
    ("Sun, 12 Jun 2022 12:00:00 +0200", "2022-06-12T10:00:00Z"),
    (1655028000, "2022-06-12T10:00:00Z"),
    ("1655028000", "2022-06-12T10:00:00Z"),
    ("1655028000000", "2022-06-12T10:00:00Z"),  # milliseconds
    ("June 12, 2022", "2022-06-12T00:00:00Z"),
    ("12 June 2022", "2022-06-12T00:00:00Z"),
    ("Jun. 12, 2022", "2022-06-12T00:00:00Z"),
])
def test_publication_dates_in_the_formats_dumps_use(given: object, expected: str) -> None:
    assert normalise_date(given) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["yesterday-ish", "2022-13-45", "99999999999999", "June 45, 2022", "1200-01-01", True])
def test_a_bad_date_is_named(bad: object) -> None:
    with pytest.raises(BadDate):
        normalise_date(bad)  # type: ignore[arg-type]


def test_the_date_in_a_url_path() -> None:
    assert date_from_url("https://news.example/world/2022/06/12/storm-hits.html") == "2022-06-12T00:00:00Z"
    assert date_from_url("https://news.example/2022/13/40/x") == ""
    assert date_from_url("https://news.example/story-2022") == ""


def test_publication_times_vectorised() -> None:
    times = publication_times(["2024-04-12T00:00:00Z", "", "2024-04-13T00:00:00Z", "12 June 2022"])
    assert times[1] != times[1]  # NaN: undated
    assert times[2] - times[0] == 86400
    assert times[3] == pytest.approx(1655028000 - 36000)


def test_filters_are_checked_and_named() -> None:
    assert check_filters({"published_after": "2024-04-01"})["published_after"] == pytest.approx(1711929600)
    with pytest.raises(InvalidFilter, match="published_befor"):
        check_filters({"published_befor": "2024-04-01"})
    with pytest.raises(InvalidFilter, match="'published_after'"):
        check_filters({"published_after": "last tuesday-ish"})
    with pytest.raises(InvalidFilter, match="earlier"):
        check_filters({"published_after": "2024-05-01", "published_before": "2024-04-01"})
    with pytest.raises(InvalidFilter, match="sources"):
        check_filters({"sources": "Reuters"})


def _record(i: int, text: str, published: object = None, url: str = "") -> dict:
    out = {"id": f"a{i}", "title": f"Story {i}", "source": f"Paper {i % 3}", "text": text, "url": url}
    if published is not None:
        out["published_at"] = published
    return out


COUNCIL = ("The Millbrook council voted on {topic} on Tuesday. Council members debated the {topic} plan for "
           "three hours before the vote. The mayor said the {topic} decision was final.")


def _archive(path: Path) -> Path:
    records = [
        _record(1, COUNCIL.format(topic="budget"), "2024-03-05T10:00:00Z"),
        _record(2, COUNCIL.format(topic="housing"), "March 19, 2024"),
        _record(3, COUNCIL.format(topic="parking"), 1712059200),  # 2024-04-02T12:00:00Z
        _record(4, COUNCIL.format(topic="library"), None, url="https://x.example/2024/04/09/council.html"),
        _record(5, COUNCIL.format(topic="zoning"), "yesterday-ish"),
        _record(6, COUNCIL.format(topic="water"), "2022-13-45"),
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def test_bad_dates_are_problem_lines_and_the_articles_are_still_indexed(fake_qa, tmp_path: Path) -> None:
    report = fake_qa.ingest([_archive(tmp_path / "dated.jsonl")])
    problems = [str(p) for p in report.problems]
    assert len(problems) == 2
    assert any(":5 " in p and "yesterday-ish" in p and "without a date" in p for p in problems), problems
    assert any(":6 " in p and "2022-13-45" in p for p in problems), problems
    assert sorted(report.added) == [f"a{i}" for i in range(1, 7)]  # every article, the badly dated ones too
    dates = {a.id: a.published_at for a in fake_qa.articles()}
    assert dates == {"a1": "2024-03-05T10:00:00Z", "a2": "2024-03-19T00:00:00Z", "a3": "2024-04-02T12:00:00Z",
                     "a4": "2024-04-09T00:00:00Z", "a5": "", "a6": ""}


def test_date_filters_limit_dense_and_bm25_candidates(fake_qa, tmp_path: Path) -> None:
    fake_qa.ingest([_archive(tmp_path / "dated.jsonl")])
    asked = "What did the Millbrook council vote on?"
    after = fake_qa.ask(asked, k=10, filters={"published_after": "2024-03-15", "published_before": "2024-04-05"})
    assert {c.article_id for c in after.citations} <= {"a2", "a3"} and after.citations
    before = fake_qa.ask(asked, k=10, filters={"published_before": "2024-03-10"})
    assert {c.article_id for c in before.citations} == {"a1"}
    # undated articles are in no window, and a window with nothing in it abstains
    empty = fake_qa.ask(asked, filters={"published_after": "2030-01-01"})
    assert empty.abstained and not empty.citations
    # the retriever's own lists, each filtered before taking its top rows
    retriever = fake_qa.retriever()
    allowed = retriever.allowed(check_filters({"published_after": "2024-03-15"}))
    rows = retriever.candidates(asked, fake_qa.embedder.encode_query(asked), allowed=allowed).rows
    ids = {retriever.corpus.articles[retriever.corpus.sentence_article[r]].id for r in rows}
    assert ids == {"a2", "a3", "a4"}


def test_as_of_leaves_later_articles_out_and_keeps_undated_ones(fake_qa, tmp_path: Path) -> None:
    fake_qa.ingest([_archive(tmp_path / "dated.jsonl")])
    answer = fake_qa.ask("What did the Millbrook council vote on?", k=10, as_of="2024-03-20")
    assert {c.article_id for c in answer.citations} <= {"a1", "a2", "a5", "a6"}
    assert answer.as_of == "2024-03-20T00:00:00Z"
    with pytest.raises(InvalidFilter, match="as_of"):
        fake_qa.ask("What did the council vote on?", as_of="the day after tomorrow-ish")


def test_a_filter_key_term_check_reads_only_the_allowed_articles(fake_qa, tmp_path: Path) -> None:
    fake_qa.ingest([_archive(tmp_path / "dated.jsonl")])
    retriever = fake_qa.retriever()
    only_first = retriever.allowed(check_filters({"article_ids": ["a1"]}))
    assert retriever.missing_key_terms("What did Millbrook decide?", allowed=only_first) == []
    assert retriever.missing_key_terms("What did Springfield decide?", allowed=only_first) == ["springfield"]
    # a word of another article only is missing from this one
    assert retriever.missing_key_terms("Why did the Housing vote pass?", allowed=only_first) == ["housing"]
    assert retriever.missing_key_terms("Why did the Housing vote pass?") == []


@pytest.mark.parametrize("given, kept", [
    ("2024-06-09T22:30:00-04:00", "2024-06-09T22:30:00-04:00"),
    ("Sun, 09 Jun 2024 22:30:00 -0400", "2024-06-09T22:30:00-04:00"),
    ("2024-06-10T08:15:00+05:30", "2024-06-10T08:15:00+05:30"),
    ("2024-06-09T22:30:00+00:00", "2024-06-09T22:30:00Z"),  # UTC, a naive time, epoch seconds: as normalised
    ("Sun, 09 Jun 2024 22:30:00 GMT", "2024-06-09T22:30:00Z"),
    ("2024-06-09 22:30", "2024-06-09T22:30:00Z"),
    (1717972200, "2024-06-09T22:30:00Z"),
])
def test_a_date_is_kept_in_the_zone_it_names_the_same_moment_as_in_utc(given: object, kept: str) -> None:
    from index.dates import as_published, timestamp

    assert as_published(given) == kept  # type: ignore[arg-type]
    assert timestamp(kept) == timestamp(normalise_date(given))  # type: ignore[arg-type]
    assert publication_times([kept])[0] == timestamp(normalise_date(given))  # type: ignore[arg-type]


SUNDAY_EVENING = {"id": "final", "title": "Harbor City win the final", "source": "Coast Herald",
                  "published_at": "2024-06-09T22:30:00-04:00",  # Sunday evening; 02:30 UTC on Monday
                  "text": "Harbor City beat Port Lyle 3-1 in the Zorbian cup final tonight. Harbor City scored "
                          "three goals after half time. Port Lyle fans left the Zorbian cup final early."}


def test_an_article_is_shown_on_the_day_it_was_published_where_it_was_and_compared_in_utc(tmp_path: Path,
                                                                                       monkeypatch) -> None:
    from click.testing import CliRunner

    import qa.library
    from qa.engine import QA
    from qa.shells.cli import main
    from tests.conftest import FakeEmbedder

    monkeypatch.setattr(qa.library, "make_embedder", lambda *a, **k: FakeEmbedder())
    (tmp_path / "news.jsonl").write_text(json.dumps(SUNDAY_EVENING) + "\n", encoding="utf-8")
    index = ["--index", str(tmp_path / "ix")]
    assert CliRunner().invoke(main, ["ingest", "--quiet", *index, str(tmp_path / "news.jsonl")]).exit_code == 0
    question = "Who did Harbor City beat in the Zorbian cup final?"
    shown = CliRunner().invoke(main, ["ask", *index, question])
    data = json.loads(CliRunner().invoke(main, ["ask", "--json", *index, question]).output)
    assert shown.exit_code == 0 and data["citations"], shown.output
    assert "(Coast Herald, 2024-06-09, chars" in shown.output and "2024-06-10" not in shown.output
    first = data["citations"][0]
    assert (first["published_at"], first["published_label"]) == ("2024-06-09T22:30:00-04:00", "June 9, 2024")
    tonight = next(c for c in data["citations"] if "tonight" in c["sentence"])
    assert [d["date"] for d in tonight["dates"]] == ["June 9, 2024"]  # its own Sunday, not UTC's Monday
    # compared in UTC: 02:30 UTC on Monday is after Monday 00:00 UTC, and out of a window ending then
    qa_ = QA(tmp_path / "ix", embedder=FakeEmbedder())
    assert qa_.ask(question, filters={"published_after": "2024-06-10T00:00:00Z"}).citations
    assert not qa_.ask(question, filters={"published_before": "2024-06-10T00:00:00Z"}).citations
    assert qa_.ask(question, as_of="2024-06-10T02:00:00Z").abstained  # not yet published in UTC


def test_recency_reads_an_article_without_the_question_s_names_as_the_oldest(fake_qa, tmp_path: Path) -> None:
    """"Who runs Halvorsen Robotics now?": a newer article about something else is not put first for its age;
    with no name asked, or none held, the ages are the articles' own."""
    records = [{"id": "ceo", "title": "Halvorsen names a chief", "published_at": "2024-04-08T12:00:00Z",
                "text": "Halvorsen Robotics named Marcus Oyelaran its chief executive on Monday."},
               {"id": "league", "title": "League schedule", "published_at": "2024-04-20T12:00:00Z",
                "text": "The Cascade League season runs through October."}]
    path = tmp_path / "reports.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    fake_qa.ingest([path])
    retriever = fake_qa.retriever()
    rows = np.arange(len(retriever.corpus.sentence_article))
    article = [retriever.corpus.articles[a].id for a in retriever.corpus.sentence_article[rows]]
    ages = retriever._ages_on_subject("Who runs Halvorsen Robotics now?", rows)
    assert all(np.isnan(t) == (a == "league") for a, t in zip(article, ages)), (article, ages)
    for question in ("Who runs the league now?", "Who runs Kestrel Drones now?"):  # no name; a name none holds
        assert not np.isnan(retriever._ages_on_subject(question, rows)).any()
