"""Syndicated copies are clustered into stories at ingest, incrementally; distinct stories are not merged."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from index.ingest import ingest_articles, ingest_paths
from index.layout import ArticleInfo
from index.models import Article
from index.store import Store
from index.stories import TAG, chosen_copy, decode, encode, signature, stories
from lab.syndication import Newsroom, record
from tests.test_chroma_server import chroma_url  # noqa: F401  (the fixture: a real `chroma run`)


def _store(tmp_path: Path, fake_embedder: Any) -> Store:
    return Store(tmp_path / "ix", model=fake_embedder.name)


def _jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record(x)) + "\n" for x in items))
    return path


def _ingest(store: Store, embedder: Any, path: Path):
    return ingest_paths([path], store, embedder, lock_dir=store.path)


def _by_id(store: Store) -> dict[str, ArticleInfo]:
    return {a.id: a for a in store.list_articles()}


@pytest.fixture(scope="module")
def newsroom() -> dict[str, list[dict]]:
    """100 originals (8-40 sentences), a copy of each (a second of every fifth), 30 same-event rivals."""
    room = Newsroom(seed=41)
    originals = [room.article(i) for i in range(100)]
    copies = [room.copy(a, "c0") for a in originals] + [room.copy(a, "c1") for a in originals[::5]]
    rivals = [room.rival(a, "r") for a in originals[:30]]
    return {"originals": originals, "copies": copies, "rivals": rivals}


def test_copies_join_their_original_and_same_event_stories_stay_apart(tmp_path: Path, fake_embedder, newsroom):
    items = newsroom["originals"] + newsroom["copies"] + newsroom["rivals"]
    random.Random(3).shuffle(items)  # copies often come before their originals
    store = _store(tmp_path, fake_embedder)
    report = _ingest(store, fake_embedder, _jsonl(tmp_path / "news.jsonl", items))
    assert report.ok and len(report.added) == len(items)
    info = _by_id(store)
    copies = newsroom["copies"]
    together = sum(info[c["id"]].story == info[c["id"].rsplit("-", 1)[0]].story for c in copies)
    assert together / len(copies) >= 0.95, f"{together}/{len(copies)} copies in their original's story"
    distinct = [x["id"] for x in newsroom["originals"] + newsroom["rivals"]]
    assert len({info[i].story for i in distinct}) == len(distinct), "two distinct stories were merged"
    assert sorted(report.copies) == sorted(i for i, a in info.items() if a.story != i)
    for members in stories(list(info.values())).values():  # an original is published before its copies
        if any("-" not in m.id for m in members):
            assert "-" not in chosen_copy(members).id
    assert store.check() == []


def test_a_second_ingest_adds_copies_to_stories_without_reading_older_texts(tmp_path: Path, fake_embedder,
                                                                           newsroom, monkeypatch):
    store = _store(tmp_path, fake_embedder)
    originals = newsroom["originals"][:40]
    _ingest(store, fake_embedder, _jsonl(tmp_path / "first.jsonl", originals))
    before = _by_id(store)
    assert all(a.story == a.id for a in before.values())
    texts_read: list[str] = []
    real_get = store.articles_col.get

    def counting_get(*args: Any, **kwargs: Any) -> Any:
        if "documents" in (kwargs.get("include") or []):
            texts_read.append(str(kwargs.get("ids")))
        return real_get(*args, **kwargs)

    monkeypatch.setattr(store.articles_col, "get", counting_get)
    later = [c for c in newsroom["copies"] if c["id"].rsplit("-", 1)[0] in before][:30]
    exact = dict(record(originals[0]), id="a0-exact", source="Yahoo News")  # the same text, word for word
    other = Newsroom(seed=99)
    fresh = [other.article(1000 + i) for i in range(5)]
    report = _ingest(store, fake_embedder, _jsonl(tmp_path / "second.jsonl", [*later, exact, *fresh]))
    assert texts_read == [], "a second ingest read older texts"
    assert report.ok and sorted(report.added) == sorted([c["id"] for c in later] + ["a0-exact"] +
                                                         [a["id"] for a in fresh])
    after = _by_id(store)
    assert {i: a.story for i, a in before.items()} == {i: after[i].story for i in before}  # ids never change
    joined = sum(after[c["id"]].story == c["id"].rsplit("-", 1)[0] for c in later)
    assert joined / len(later) >= 0.95
    assert after["a0-exact"].story == "a0" and after["a0-exact"].source == "Yahoo News"
    assert all(after[a["id"]].story == a["id"] for a in fresh)
    assert "a0-exact" in report.copies and not set(report.copies) & {a["id"] for a in fresh}


def _article(id_: str, text: str, **fields: Any) -> Article:
    from index.loaders import content_hash

    return Article(id=id_, title=id_, text=text, source=fields.pop("source", "Wire"), content_hash=content_hash(text),
                   **fields)


def test_replacing_an_article_recomputes_its_story_and_removing_keeps_the_rest(tmp_path: Path, fake_embedder):
    room = Newsroom(seed=5)
    a = room.article(1)
    other = room.article(2)
    store = _store(tmp_path, fake_embedder)
    first = [_article("a1", a["text"], original=True), _article("a1-copy", room.copy(a, "x")["text"])]
    ingest_articles(first, store, fake_embedder, lock_dir=store.path)
    assert _by_id(store)["a1-copy"].story == "a1" and _by_id(store)["a1"].original
    # a1 now says something else: a story of its own, under a new name (its id still names its copy's)
    report = ingest_articles([_article("a1", other["text"])], store, fake_embedder, lock_dir=store.path)
    assert report.replaced == ["a1"] and report.copies == []
    info = _by_id(store)
    assert info["a1"].story.startswith("a1~") and info["a1-copy"].story == "a1" and not info["a1"].original
    # ... and back to its copy's text with a credit line: it joins its copy's story again
    text = first[1].text + "\n\nStaff writer Omar Reyes contributed to this report."
    ingest_articles([_article("a1", text)], store, fake_embedder, lock_dir=store.path)
    assert _by_id(store)["a1"].story == "a1"
    store.remove("a1")
    (left,) = store.list_articles()
    assert left.id == "a1-copy" and left.story == "a1" and chosen_copy([left]) == left
    assert store.check() == []


def test_bad_and_empty_input_never_breaks_it(tmp_path: Path, fake_embedder):
    lines = [
        json.dumps({"id": "empty", "text": ""}),
        json.dumps({"id": "blank", "text": "   \n\n  "}),
        json.dumps({"id": "dots", "text": "... --- !!!"}),
        "{not json",
        json.dumps({"id": "num", "text": 12}),
        json.dumps({"id": "short", "text": "Yes."}),
        json.dumps({"id": "short2", "text": "Yes."}),
        json.dumps({"id": "same", "text": "rain " * 400}),
        json.dumps({"id": "cjk", "text": "東京で地震があった。被害は小さい。"}),
        json.dumps({"id": "mixed", "text": "Ünïcödé wörds, émigré café; naïve façade.\u200b Ok."}),
        json.dumps({"id": "orig", "text": "Short wire story about the vote. It passed.", "original": True}),
    ]
    f = tmp_path / "bad.jsonl"
    f.write_text("\n".join(lines) + "\n")
    store = _store(tmp_path, fake_embedder)
    report = ingest_paths([f], store, fake_embedder, lock_dir=store.path)
    assert sorted(report.added) == ["cjk", "mixed", "orig", "same", "short", "short2"]
    assert len(report.problems) == 5 and not report.interrupted
    info = _by_id(store)
    assert info["short2"].story == "short" and info["orig"].original and not info["short"].original
    assert store.check() == []
    # a damaged or foreign signature in a record is made again from its text, not trusted
    store.mark({"same": {"minhash": "w5.legacy.64.1:AAAA"}, "cjk": {"minhash": TAG + "%%%"}})
    again = ingest_paths([f], store, fake_embedder, lock_dir=store.path)
    assert again.added == [] and len(again.unchanged) == 6
    got = store.articles_col.get(ids=["same", "cjk"], include=["metadatas"])
    assert all(decode(m["minhash"])[0] for m in got["metadatas"])


def test_records_written_without_signatures_get_them_once(tmp_path: Path, fake_embedder, monkeypatch):
    """Stores written before stories (or by `put_many` without marks): one ingest reads those texts, once."""
    from index.chunks import make_chunks
    from index.sentences import split_sentences

    room = Newsroom(seed=8)
    a = room.article(1)
    store = _store(tmp_path, fake_embedder)
    article = _article("old", a["text"])
    sentences = split_sentences(article.id, article.text)
    chunks = make_chunks(article.text, sentences)
    vectors = fake_embedder.encode([s.text for s in sentences])
    store.put(article, sentences, chunks, vectors, vectors[: len(chunks)])
    assert store.list_signed()[0][1] == ""
    read: list[Any] = []
    real = store.get_articles
    monkeypatch.setattr(store, "get_articles", lambda ids: read.append(list(ids)) or real(ids))
    copy = _article("old-copy", room.copy(a, "c")["text"])
    ingest_articles([copy], store, fake_embedder, lock_dir=store.path)
    assert read == [["old"]] and _by_id(store)["old-copy"].story == "old"
    ingest_articles([_article("new", room.article(2)["text"])], store, fake_embedder, lock_dir=store.path)
    assert read == [["old"]]


def test_signatures_round_trip_and_texts_without_words_have_none():
    sig = signature("The council voted on Tuesday to close the bridge for repairs.")
    assert sig is not None and sig.dtype.name == "uint32"
    usable, back = decode(encode(sig))
    assert usable and back is not None and (back == sig).all()
    assert decode(encode(None)) == (True, None) and signature("... !!") is None
    assert decode(None)[0] is False and decode(TAG + "AAAA")[0] is False and decode(12)[0] is False


def _info(id_: str, **fields: Any) -> ArticleInfo:
    base = {"title": id_, "source": "S", "url": "", "published_at": "", "content_hash": "h", "n_sentences": 1,
            "n_chunks": 1, "n_chars": 10}
    return ArticleInfo(id=id_, **{**base, **fields})


def test_chosen_copy_is_the_marked_original_else_the_earliest_else_the_first_indexed():
    early = _info("b", story="a", published_at="2024-03-01T08:00:00Z")
    late = _info("a", story="a", published_at="2024-03-02T08:00:00Z")
    undated_root = _info("a", story="a")
    undated = _info("c", story="a")
    wire = _info("d", story="a", published_at="2024-03-03T08:00:00Z", original=True)
    assert chosen_copy([late, early]) == early
    assert chosen_copy([late, early, wire]) == wire
    assert chosen_copy([undated, early]) == early  # a dated copy before an undated one
    assert chosen_copy([undated, undated_root]) == undated_root  # the one the story is named by
    with pytest.raises(ValueError):
        chosen_copy([])
    # of the copies a reader's filters and as_of allow; dates compared in UTC whatever zone they were given in
    assert chosen_copy([late, early, wire], allowed=lambda a: a.id != "d") == early
    with pytest.raises(ValueError, match="allowed"):
        chosen_copy([wire], allowed=lambda a: False)
    evening_in_new_york = _info("e", story="a", published_at="2024-03-01T22:00:00-04:00")  # 02:00 UTC on March 2
    small_hours_in_utc = _info("f", story="a", published_at="2024-03-02T01:00:00Z")
    assert chosen_copy([evening_in_new_york, small_hours_in_utc]) == small_hours_in_utc


def test_stories_groups_members_and_old_segments_still_read():
    old = {"id": "x", "title": "T", "source": "S", "url": "", "published_at": "", "content_hash": "h",
           "n_sentences": 1, "n_chunks": 1, "n_chars": 3}  # a segment written before stories
    legacy = ArticleInfo(**old)
    assert (legacy.story, legacy.original) == ("", False)
    a, b, c = _info("a", story="a"), _info("b", story="a"), _info("c", story="c")
    assert stories([a, legacy, b, c]) == {"a": [a, b], "x": [legacy], "c": [c]}
    assert ArticleInfo(**a.to_dict()) == a


def test_copies_in_one_batch_have_each_sentence_encoded_once(tmp_path: Path, fake_embedder, monkeypatch):
    room = Newsroom(seed=12)
    a = room.article(1)
    copy = room.copy(a, "c")
    encoded: list[str] = []
    real = fake_embedder.encode
    monkeypatch.setattr(fake_embedder, "encode", lambda texts: encoded.extend(texts) or real(texts))
    store = _store(tmp_path, fake_embedder)
    report = ingest_articles([_article("a1", a["text"]), _article("a1-exact", a["text"]),
                              _article("a1-c", copy["text"])], store, fake_embedder, lock_dir=store.path)
    assert report.sentences > len(encoded) == len(set(encoded))
    parts = {p.info.id: p for p in store.read_parts(["a1", "a1-exact"])}
    assert (parts["a1"].sentence_vectors == parts["a1-exact"].sentence_vectors).all()
    assert {a.story for a in store.list_articles()} == {"a1"}


@pytest.mark.timeout(300)
def test_stories_over_a_chroma_server(chroma_url: str, fake_embedder, newsroom, monkeypatch):  # noqa: F811
    originals, copies = newsroom["originals"][:10], newsroom["copies"][:10]
    store = Store(None, chroma_url=chroma_url, model=fake_embedder.name)
    ingest_articles(list(load_records(originals)), store, fake_embedder)
    fetched: list[Any] = []
    real_get = store.articles_col.get
    monkeypatch.setattr(store.articles_col, "get", lambda *a, **k: fetched.append(k.get("include")) or
                        real_get(*a, **k))
    report = ingest_articles(list(load_records(copies)), store, fake_embedder)
    assert report.ok and sorted(report.copies) == sorted(c["id"] for c in copies)
    assert not any("documents" in (include or []) for include in fetched)
    info = _by_id(Store(None, chroma_url=chroma_url, model=fake_embedder.name))
    assert all(info[c["id"]].story == c["id"].rsplit("-", 1)[0] for c in copies)


def load_records(items: list[dict]) -> list[Article]:
    """Records as the JSONL loader reads them."""
    from index.loaders import parse_bytes

    data = "".join(json.dumps(record(x)) + "\n" for x in items).encode()
    return [a for a in parse_bytes("feed.jsonl", data) if isinstance(a, Article)]


def test_held_signatures_give_the_same_stories_as_an_lsh_holding_them_all(newsroom):
    """Committed signatures join the LSH only when a band matches: the same stories, a much smaller LSH."""
    from index.stories import StoryIndex

    committed = newsroom["originals"] + newsroom["rivals"]
    later = newsroom["copies"] + [Newsroom(seed=3).article(500 + i) for i in range(20)]
    sig = {x["id"]: signature(x["text"]) for x in committed + later}
    everything, held = StoryIndex(), StoryIndex()
    for x in committed:
        everything.add(x["id"], x["id"], sig[x["id"]])
    held.hold([(x["id"], x["id"], sig[x["id"]]) for x in committed])
    assert len(held) == len(everything) == len(committed)
    for x in later:
        assert held.assign(x["id"], sig[x["id"]]) == everything.assign(x["id"], sig[x["id"]])
    assert sum(held.story_of(x["id"]) != x["id"] for x in later) >= 0.95 * len(newsroom["copies"])
    assert len(held._signatures) < len(later) + len(newsroom["copies"]) < len(everything._signatures)
    held.remove("a1")  # a held article can be taken out (its replacement is being assigned)
    assert held.story_of("a1") is None and held.match(sig["a1"])[0] != "a1"


VELLMORE = (
    "VELLMORE \u2014 The regional water board approved the Vellmore dam on Tuesday after a decade of planning. "
    "The Vellmore dam will supply electricity to 42,000 homes when its turbines start in 2027. "
    "Engineers expect the reservoir behind the dam to fill over two wet seasons. "
    "The project will cost 610 million crowns, most of it borrowed from the national infrastructure fund. "
    "Farmers downstream asked the board for a guaranteed summer release of water for their orchards. "
    "The board agreed to release at least 14 cubic metres a second between June and September. "
    "Two villages on the valley floor will be moved to new sites on the eastern ridge. "
    "Residents of Upper Hollin said the relocation payments were fair but came too late. "
    "Construction crews will begin clearing the access road next month. "
    "The board will publish the dam's safety review before the first concrete is poured.")


def _vellmore_copies() -> list[dict[str, Any]]:
    """Alpha News's story, Beta Wire's copy a month later (one word changed, a credit line), and a copy marked
    as the wire original but published in May."""
    copy = VELLMORE.replace("a decade of planning", "a decade of debate") + "\n\nBeta Wire staff contributed."
    return [
        {"id": "story-a", "title": "Vellmore dam approved", "source": "Alpha News",
         "published_at": "2024-02-01T09:00:00Z", "text": VELLMORE},
        {"id": "story-b", "title": "Board backs Vellmore dam", "source": "Beta Wire",
         "published_at": "2024-03-01T09:00:00Z", "text": copy},
        {"id": "story-c", "title": "Vellmore dam gets the go-ahead", "source": "Gamma Press",
         "published_at": "2024-05-10T09:00:00Z", "original": True,
         "text": VELLMORE + "\n\nGamma Press is the wire the story was first filed with."},
    ]


@pytest.mark.parametrize("options, allowed", [
    ({"filters": {"exclude_article_ids": ["story-a"]}}, {"story-b", "story-c"}),
    ({"filters": {"exclude_article_ids": ["story-a", "story-c"]}}, {"story-b"}),
    ({"filters": {"article_ids": ["story-b"]}}, {"story-b"}),
    ({"filters": {"sources": ["Beta Wire"]}}, {"story-b"}),
    ({"filters": {"published_after": "2024-02-15", "published_before": "2024-04-01"}}, {"story-b"}),
    ({"filters": {"sources": ["Alpha News", "Beta Wire"]}}, {"story-a", "story-b"}),
    ({"as_of": "2024-02-01T12:00:00Z"}, {"story-a"}),  # the May original is not out yet, nor Beta Wire's copy
    ({"as_of": "2024-03-05"}, {"story-a", "story-b"}),
    ({}, {"story-a", "story-b", "story-c"}),
])
def test_filters_and_as_of_win_over_story_collapse(fake_qa, tmp_path: Path, options: dict[str, Any],
                                                   allowed: set[str]) -> None:
    """The copy cited is one the filters allow and that was out by `as_of`; "also in" names only such copies."""
    fake_qa.ingest([_jsonl(tmp_path / "dam.jsonl", _vellmore_copies())])
    assert len({a.story for a in fake_qa.articles()}) == 1  # one story (named by its marked original)
    sources = {x["id"]: x["source"] for x in _vellmore_copies()}
    answer = fake_qa.ask("How many homes will the Vellmore dam supply?", k=5, **options)
    cited = {c.article_id for c in answer.citations}
    # one copy per story: the marked original, else the earliest, of the copies allowed
    chosen = "story-c" if "story-c" in allowed else min(allowed)
    assert answer.citations and cited == {chosen}, (options, cited)
    assert "42,000 homes" in answer.citations[0].sentence
    for c in answer.citations:
        assert set(c.also_in) == {sources[i] for i in allowed - {chosen}}, (options, c.also_in)
