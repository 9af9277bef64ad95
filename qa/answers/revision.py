"""What reading revises in the evidence before the answer is composed: a number that changed gives its newest
value, with the value just before it named (looked up in the reports published before when none is cited), and
only the citations that bear on the question are kept, numbered again.

`revise` is called by `QA._find` with the reader's judgement of the first citations (`reading.judge`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import partial
from typing import Any

from qa.answers.reader import Reader
from qa.answers.reading import Judgement, judge_changes, published_time
from qa.evidence.filters import check_filters
from qa.evidence.retrieval import Retrieval, Retriever
from qa.rules import decisions as rules


def revise(reader: Reader | None, retriever: Retriever, question: str, found: Retrieval,
           judged: Judgement | None, *, query: str, k: int, filters: dict[str, Any],
           as_of: float) -> tuple[Retrieval, Judgement | None]:
    """The evidence and judgement of an answered question, revised (unchanged when it was not answered or no
    reader read it). `question` is what was read (time words out), `query` what was searched."""
    if judged is None or reader is None or not judged.answered:
        return found, judged
    found, judged = changes(reader, retriever, question, found, judged, query=query, k=k, filters=filters,
                            as_of=as_of)
    return relevant(reader, retriever, question, found, judged)


def changes(reader: Reader, retriever: Retriever, question: str, found: Retrieval, judged: Judgement, *,
            query: str, k: int, filters: dict[str, Any], as_of: float) -> tuple[Retrieval, Judgement]:
    """A number answer checked against the citations of other days the decision did not read
    (`judge_changes`): the newest value wins, the one before it named. When none is cited, the reports
    published before the answer's article are searched for it (`earlier`), and the one just before is cited in
    place of the last citation that carries nothing (`k` stays the most)."""
    read = partial(judge_changes, reader, question, idf=retriever.lexicon.idf_of, not_held=retriever.not_held)
    judged = read(found.citations, retriever.contexts(found), judged)
    before = earlier(retriever, question, found, judged, query=query, k=k, filters=filters, as_of=as_of)
    if before is None:
        return found, judged
    both = replace(found, citations=found.citations + before.citations, rows=found.rows + before.rows)
    named = read(both.citations, retriever.contexts(both), judged)
    n = len(found.citations)
    if named.older is None or named.older < n or judged.citation is None or named.citation != judged.citation:
        return found, judged
    spare = [i for i in range(n - 1, 0, -1) if i != judged.citation]
    if n >= k and not spare:
        return found, judged
    keep = [i for i in range(n) if n < k or i != spare[0]]
    cited = [found.citations[i] for i in keep] + [both.citations[named.older]]
    rows = [found.rows[i] for i in keep] + [both.rows[named.older]]
    logits = tuple(named.logits[i] for i in keep[: len(named.logits)] if i < len(named.logits))
    return replace(found, citations=cited, rows=rows), replace(
        named, citation=keep.index(judged.citation), older=len(cited) - 1, logits=logits)


def earlier(retriever: Retriever, question: str, found: Retrieval, judged: Judgement, *, query: str, k: int,
            filters: dict[str, Any], as_of: float) -> Retrieval | None:
    """The evidence published before the article a number answer comes from, when it names no value before
    (None when the answer is no number, is undated, or nothing earlier answers)."""
    if judged.text is None or judged.citation is None or judged.older is not None or not rules.is_value(judged.text):
        return None
    at = published_time(found.citations[judged.citation].published_at)
    checked = check_filters(filters)
    if at != at or checked.get("published_after", -math.inf) >= at:
        return None
    cut = min(at, checked.get("published_before", math.inf))
    got = retriever.retrieve(question, query=query, k=k, filters={**filters, "published_before": cut}, as_of=as_of)
    seen = {c.key for c in found.citations}
    fresh = [i for i, c in enumerate(got.citations) if c.key not in seen]
    if not got.answerable or not fresh:
        return None
    return replace(got, citations=[got.citations[i] for i in fresh], rows=[got.rows[i] for i in fresh])


def relevant(reader: Reader, retriever: Retriever, question: str, found: Retrieval,
             judged: Judgement) -> tuple[Retrieval, Judgement]:
    """The citations, less those that do not bear on the question (`rules.bears_on_question`): the first and
    those the answer is read from are kept; a later one the ranker scores low is read (when it was not) and left
    out when the reader agrees; one repeating an earlier one word for word is left out
    (`rules.repeated_sentences`). The sentence the short answer comes from is cited first."""
    cited = found.citations
    keep = {0} | {i for i in (judged.citation, judged.older) if i is not None}
    logits = dict(enumerate(judged.logits))
    doubtful = [i for i, c in enumerate(cited) if i not in keep and c.score < rules.BEARS_SCORE]
    unread = [i for i in doubtful if i not in logits]
    if unread:
        items = [(cited[i].sentence, *retriever.neighbours(found.rows[i])) for i in unread]
        logits.update(zip(unread, (r.answerable for r in reader.read(question, items))))
    dropped = {i for i in doubtful if i in logits and not rules.bears_on_question(cited[i].score, logits[i])}
    dropped |= rules.repeated_sentences([c.sentence for c in cited], keep)
    order = [i for i in range(len(cited)) if i not in dropped]
    if judged.citation and judged.text is not None:  # the short answer's sentence first: "seven [1] (...)"
        order = [judged.citation] + [i for i in order if i != judged.citation]
    if order == list(range(len(cited))) and all(c.n == i + 1 for i, c in enumerate(cited)):
        return found, judged
    at = {old: new for new, old in enumerate(order)}
    found = replace(found, citations=[replace(cited[i], n=at[i] + 1) for i in order],
                    rows=[found.rows[i] for i in order])
    return found, replace(judged, citation=None if judged.citation is None else at[judged.citation],
                          older=None if judged.older is None else at[judged.older], logits=())
