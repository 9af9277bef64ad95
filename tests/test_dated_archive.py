"""The dated synthetic archive: deterministic, its ground truth holds in its own text, its answers
depend on `as_of`, its reprints are near copies and its distinct stories are not. No model is loaded."""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from index.loaders import load
from index.models import Article
from index.sentences import split_sentences
from lab.dated_archive import DatedArchive, generate, main
from lab.dated_text import shingle_overlap

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
PERIOD = re.compile(r"\b(this week|last week|yesterday|on (January|February|March|April|May|June|July) \d+|"
                    r"in (March|April|May|June) 2024|since \w+ \d+)\?$")
TIME_WORDS = re.compile(r"\b(today|yesterday|week|month|January|February|March|June|July|Monday|Tuesday|"
                        r"Wednesday|Thursday|Friday|Saturday|since|latest|current|now|recent|recently|still)\b")


def _time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def archive() -> DatedArchive:
    return generate(seed=0)


@pytest.fixture(scope="module")
def large() -> DatedArchive:
    return generate(seed=1, articles=4000)


def _holders(archive: DatedArchive) -> dict[str, list[dict[str, Any]]]:
    """Evidence sentence -> every article whose text holds it."""
    evidence = {q["evidence"] for q in archive.questions if q["evidence"]}
    return {e: [a for a in archive.articles if e in a["text"]] for e in evidence}


def _period(q: dict[str, Any]) -> tuple[datetime, datetime]:
    as_of = _time(q["as_of"])
    if q["kind"] != "window":
        return datetime.min, as_of
    return _time(q["window"]["start"]), min(_time(q["window"]["end"]), as_of)


def _check_ground_truth(archive: DatedArchive) -> None:
    """Expected articles are exactly those holding the evidence in the question's period."""
    by_id = {a["id"]: a for a in archive.articles}
    holders = _holders(archive)
    for q in archive.questions:
        if not q["answerable"]:
            assert q["evidence"] == "" and q["answers"] == [] and q["expect_article_ids"] == [], q
            continue
        assert q["answers"] and all(a in q["evidence"] for a in q["answers"]), q
        assert q["expect_article_ids"] and all(i in by_id for i in q["expect_article_ids"]), q
        start, end = _period(q)
        right = [a["id"] for a in holders[q["evidence"]] if start <= _time(a["published_at"]) <= end]
        assert sorted(q["expect_article_ids"]) == sorted(right), q


@pytest.mark.parametrize("weeks, start", [(8, date(2023, 11, 22)), (16, date(2024, 6, 1))])
def test_other_spans_keep_their_ground_truth(weeks: int, start: date) -> None:
    made = generate(seed=9, weeks=weeks, start=start, filler_articles=60)
    _check_ground_truth(made)
    timed = [q for q in made.questions if q["kind"] in ("window", "latest")]
    assert len(timed) >= 60 and all(_time(q["as_of"]).date() >= start for q in timed if q["answerable"])
    days = {a["published_at"][:10] for a in made.articles}
    assert min(days) >= start.isoformat() and max(days) < (start + timedelta(weeks=weeks + 1)).isoformat()


def test_deterministic_by_seed() -> None:
    one, two, other = generate(seed=5), generate(seed=5), generate(seed=6)
    assert one == two
    assert [a["text"] for a in one.articles] != [a["text"] for a in other.articles]
    assert [q["as_of"] for q in one.questions] != [q["as_of"] for q in other.questions]


def test_records_are_jsonl_ready(archive: DatedArchive) -> None:
    ids = [a["id"] for a in archive.articles]
    assert len(ids) == len(set(ids))
    originals = set(archive.stories.values())
    for a in archive.articles:
        assert {"id", "title", "source", "url", "published_at", "text"} <= set(a), a["id"]
        assert ISO.fullmatch(a["published_at"]), a["published_at"]
        assert a.get("original", False) is (a["source"] == "Associated Press"), a["id"]
        assert (a["id"] in originals) <= a.get("original", False)
        assert a["id"] not in archive.stories or "original" not in a
    assert [a["published_at"] for a in archive.articles] == sorted(a["published_at"] for a in archive.articles)


def test_articles_are_long_multi_paragraph_news(archive: DatedArchive) -> None:
    blogs = [a for a in archive.articles if len(a["text"]) > 20_000]
    assert len(blogs) == 1 and blogs[0]["title"].startswith("Live updates")
    for a in archive.articles:
        if a in blogs:
            continue
        count = len(split_sentences(a["id"], a["text"]))
        assert (8 if a["id"] in archive.stories else 10) <= count <= 41, (a["id"], count)
        paragraphs = a["text"].split("\n\n")
        assert len(paragraphs) >= 4 and all(p.strip() and "\n" not in p for p in paragraphs), a["id"]
        assert "\u2014" in paragraphs[0] and re.search(r"\d", a["text"]), a["id"]


def test_evidence_is_a_whole_sentence_of_every_expected_article(archive: DatedArchive) -> None:
    by_id = {a["id"]: a for a in archive.articles}
    for q in archive.questions:
        for article_id in q["expect_article_ids"]:
            article = by_id[article_id]
            assert _time(article["published_at"]) <= _time(q["as_of"]), q
            assert q["evidence"] in {s.text for s in split_sentences(article_id, article["text"])}, q


def test_expected_articles_are_all_that_answer_in_the_period(archive: DatedArchive) -> None:
    _check_ground_truth(archive)


def test_window_and_latest_questions_have_one_right_fact(archive: DatedArchive) -> None:
    holders = _holders(archive)
    family: dict[str, set[str]] = defaultdict(set)
    for q in archive.questions:
        if q["kind"] in ("window", "latest") and q["evidence"]:
            family[q["family"]].add(q["evidence"])
    for q in archive.questions:
        if q["kind"] not in ("window", "latest") or not q["answerable"]:
            continue
        start, end = _period(q)
        mine = min(_time(a["published_at"]) for a in holders[q["evidence"]])
        for other in family[q["family"]] - {q["evidence"]}:
            when = [_time(a["published_at"]) for a in holders[other]]
            if q["kind"] == "window":  # no other fact of the family in the period
                assert not any(start <= w <= end for w in when), (q, other)
            else:  # no newer fact of the family by as_of
                assert not any(mine < w <= end for w in when), (q, other)


def test_right_answers_depend_on_as_of(archive: DatedArchive) -> None:
    timed = [q for q in archive.questions if q["kind"] in ("window", "latest")]
    assert len(timed) >= 60
    assert sum(q["kind"] == "window" for q in timed) >= 30 and sum(q["kind"] == "latest" for q in timed) >= 30
    by_text: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in timed:
        by_text[q["question"]].append(q)
    changing = {t: qs for t, qs in by_text.items() if len({tuple(sorted(q["expect_article_ids"])) for q in qs}) > 1}
    assert sum(len(qs) for qs in changing.values()) >= 0.6 * len(timed)
    for storyline in ("council", "team", "company", "strike", "storm"):
        asked = [qs for qs in changing.values() if qs[0]["storyline"] == storyline]
        assert any(len({tuple(q["answers"]) for q in qs}) > 1 for qs in asked), storyline
    unanswered = [q for q in timed if not q["answerable"]]
    assert unanswered and all(_time(q["as_of"]) < min(_time(o["as_of"]) for o in by_text[q["question"]]
                                                      if o["answerable"]) for q in unanswered)


def test_question_kinds_read_as_they_should(archive: DatedArchive) -> None:
    kinds = defaultdict(list)
    for q in archive.questions:
        kinds[q["kind"]].append(q["question"])
        assert {"id", "question", "as_of", "answers", "evidence", "expect_article_ids", "kind"} <= set(q)
        assert ISO.fullmatch(q["as_of"])
    assert set(kinds) == {"window", "latest", "plain", "topic", "lookalike", "absent"}
    assert min(len(v) for v in kinds.values()) >= 8
    assert all(PERIOD.search(t) for t in kinds["window"])
    assert not any(PERIOD.search(t) for k in ("latest", "plain", "topic", "lookalike", "absent") for t in kinds[k])
    assert not any(TIME_WORDS.search(t) for t in kinds["plain"] + kinds["topic"])
    assert all(re.search(r"\b(19|20)\d\d\b", t) for t in kinds["topic"])
    assert all(re.search(r"May I|march on|Sunday|Will|April", t) for t in kinds["lookalike"])
    assert len({q["id"] for q in archive.questions}) == len(archive.questions)


def test_absent_questions_name_a_subject_and_topic_no_article_holds_together(archive: DatedArchive) -> None:
    from lab.dated_absent import TOPICS

    absent = [q for q in archive.questions if q["kind"] == "absent"]
    assert len(absent) == 30 and {q["form"] for q in absent} == {"digest", "yes/no", "span"}
    texts = [set(re.findall(r"[a-z0-9]+", f"{a['title']} {a['text']}".lower())) for a in archive.articles]
    latest = max(_time(a["published_at"]) for a in archive.articles)
    for q in absent:
        assert not q["answerable"] and not q["expect_article_ids"] and _time(q["as_of"]) > latest
        subject = max((s for s in TOPICS if f" {s} " in q["question"]), key=len)
        topic = next(t for t in TOPICS[subject] if f" {t}" in q["question"])
        needed = {w.rstrip("s") if len(w) > 3 else w for w in re.findall(r"[a-z0-9]+", f"{subject} {topic}".lower())}
        assert not any(needed <= {w.rstrip("s") if len(w) > 3 else w for w in words} for words in texts), q
    # the subjects themselves are in the archive: only the topic is missing
    assert all(any(s.lower() in a["text"].lower() for a in archive.articles) for s in TOPICS)


def test_reprints_differ_from_their_original_by_small_edits(archive: DatedArchive) -> None:
    by_id = {a["id"]: a for a in archive.articles}
    per_original: dict[str, list[str]] = defaultdict(list)
    for copy_id, original_id in archive.stories.items():
        per_original[original_id].append(copy_id)
        copy, original = by_id[copy_id], by_id[original_id]
        assert original.get("original") and copy["source"] != original["source"]
        late = _time(copy["published_at"]) - _time(original["published_at"])
        assert timedelta(0) <= late <= timedelta(days=2), copy_id
        assert copy["text"] != original["text"] and copy["title"] != original["title"]
        assert shingle_overlap(copy["text"], original["text"]) >= 0.55, copy_id
    assert all(2 <= len(c) <= 5 for c in per_original.values())
    assert len(archive.stories) >= 40
    storm = [o for o in per_original if by_id[o]["title"].startswith("Storm Ada")]
    assert storm and all(by_id[c]["published_at"][:10] == by_id[o]["published_at"][:10]
                         for o in storm for c in per_original[o])


def test_distinct_stories_on_one_event_are_not_copies(large: DatedArchive) -> None:
    by_id = {a["id"]: a for a in large.articles}
    assert len(large.distinct) >= 20
    for one, two in large.distinct:
        a, b = by_id[one], by_id[two]
        assert one not in large.stories and two not in large.stories
        assert a["published_at"][:10] == b["published_at"][:10]
        names = set(re.findall(r"[A-Z][a-z]+ [A-Z][a-z']+", a["text"])) & set(re.findall(
            r"[A-Z][a-z]+ [A-Z][a-z']+", b["text"]))
        assert names, (one, two)  # the same people in both
        assert shingle_overlap(a["text"], b["text"]) <= 0.2, (one, two)


def test_unrelated_articles_overlap_little(large: DatedArchive) -> None:
    r = random.Random(3)
    story = {a["id"]: large.stories.get(a["id"], a["id"]) for a in large.articles}
    texts = [(story[a["id"]], a["text"]) for a in large.articles]
    pairs = [r.sample(texts, 2) for _ in range(1500)]
    assert max(shingle_overlap(x[1], y[1]) for x, y in pairs if x[0] != y[0]) < 0.3


def test_scales_to_4000_articles(large: DatedArchive) -> None:
    assert len(large.articles) == 4000 and len({a["id"] for a in large.articles}) == 4000
    assert len(large.stories) >= 600
    _check_ground_truth(large)
    with pytest.raises(ValueError, match="at least"):
        generate(articles=20)
    for weeks in (4, 20):
        with pytest.raises(ValueError, match="weeks"):
            generate(weeks=weeks)


def test_cli_writes_files_the_loader_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([str(tmp_path), "--seed", "2", "--articles", "300"])
    assert "300 articles" in capsys.readouterr().out
    records = [json.loads(line) for line in (tmp_path / "articles.jsonl").read_text().splitlines()]
    loaded = [a for a in load([tmp_path / "articles.jsonl"])]
    assert all(isinstance(a, Article) for a in loaded) and len(loaded) == len(records) == 300
    assert [(a.id, a.published_at, a.original) for a in loaded] == [
        (r["id"], r["published_at"], r.get("original", False)) for r in records]
    questions = [json.loads(line) for line in (tmp_path / "questions.jsonl").read_text().splitlines()]
    assert questions == generate(seed=2, articles=300).questions
    ground = json.loads((tmp_path / "stories.json").read_text())
    assert set(ground) == {"copies", "distinct"} and ground["copies"]


def test_this_week_is_asked_on_every_weekday_and_read_as_the_engine_reads_it(archive: DatedArchive) -> None:
    """"This week" is the seven days up to `as_of` and "last week" the seven before (through the calendar week
    before), as `qa.dates` reads them; every window question's expected articles are inside the window read."""
    from qa.dates import read_time

    by_id = {a["id"]: a for a in archive.articles}
    this_week = [q for q in archive.questions if q.get("period") == "this week"]
    days = defaultdict(int)
    for q in this_week:
        days[q["weekday"]] += 1
    assert set(days) == {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
    assert days["Friday"] >= 10 and days["Monday"] >= 10
    for q in archive.questions:
        if q["kind"] != "window":
            continue
        as_of = _time(q["as_of"])
        start = _time(q["window"]["start"])
        if q["period"] == "this week":
            assert start == datetime.combine(as_of.date() - timedelta(days=7), datetime.min.time()), q
        if q["period"] == "last week":
            assert start == datetime.combine(as_of.date() - timedelta(days=14), datetime.min.time()), q
        intent = read_time(q["question"], as_of)
        assert intent.kind == "window", q
        for article_id in q["expect_article_ids"]:
            published = datetime.fromisoformat(by_id[article_id]["published_at"].replace("Z", "+00:00"))
            assert intent.admits(published), (q, intent.label)


def test_latest_questions_of_a_changing_quantity_record_the_value_before(archive: DatedArchive) -> None:
    changed = [q for q in archive.questions if q.get("changed_from")]
    assert changed and all(q["kind"] == "latest" and q["answerable"] for q in changed)
    assert all(set(q["changed_from"]) != set(q["answers"]) for q in changed)
    assert {"storm.toll", "storm.power", "team.points"} <= {q["family"] for q in changed}
    assert not any(q.get("changed_from") for q in archive.questions if q.get("family") == "council.vote")
