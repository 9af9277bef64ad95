"""What reading revises in the evidence before the answer is composed: a number that changed gives its newest
value, with the value just before it named (looked up in the reports published before when none is cited), and
only the citations that bear on the question are kept, numbered again.

`revise` is called by `QA._find` with the reader's judgement of the first citations (`reading.judge`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import partial
from typing import Any, Callable

from qa.answers.reader import Reader
from qa.answers.reading import Judgement, follow_updates, judge_changes, name_reported_before, published_time
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


LOOKUPS = 3  # searches for the value just before, each between the answer and the value named so far


def changes(reader: Reader, retriever: Retriever, question: str, found: Retrieval, judged: Judgement, *,
            query: str, k: int, filters: dict[str, Any], as_of: float) -> tuple[Retrieval, Judgement]:
    """A number answer checked against the citations of other days the decision did not read
    (`judge_changes`): the newest value wins, the one before it named, and a newer report that gives the answer
    as the value before ("rose to 11, up from 9") updates it (`follow_updates`). The reports published before
    the answer's article (after the value named, if one is) are searched for the value just before (`earlier`,
    up to `LOOKUPS` times), and it is cited in place of the last citation that carries nothing (`k` stays the
    most)."""
    read = partial(judge_changes, reader, question, idf=retriever.lexicon.idf_of, not_held=retriever.not_held)
    judged = follow_updates(question, found.citations, read(found.citations, retriever.contexts(found), judged),
                            not_held=retriever.not_held)
    judged = name_reported_before(question, found.citations, judged, not_held=retriever.not_held)
    for _ in range(LOOKUPS):
        before = earlier(retriever, question, found, judged, query=query, k=k, filters=filters, as_of=as_of)
        if before is None:
            break
        named = _name_before(question, found, before, judged, read, retriever, k)
        if named is None:
            break
        found, judged = named
    return found, judged


def _name_before(question: str, found: Retrieval, before: Retrieval, judged: Judgement, read: Callable[..., Judgement],
                 retriever: Retriever, k: int) -> tuple[Retrieval, Judgement] | None:
    """The evidence with the value just before the answer's, found in `before`, cited in place of the last
    citation that carries nothing; None when `before` names none more recent than the one named."""
    both = replace(found, citations=found.citations + before.citations, rows=found.rows + before.rows)
    named = name_reported_before(question, both.citations, read(both.citations, retriever.contexts(both), judged),
                                 not_held=retriever.not_held)
    n = len(found.citations)
    if named.older is None or named.older == judged.older or judged.citation is None or named.citation != judged.citation:
        return None
    times = [published_time(c.published_at) for c in both.citations]
    if judged.older is not None and (not times[named.older] > times[judged.older] or judged.older_text is None
                                     or rules.number_of(named.older_text or "") == rules.number_of(judged.older_text)):
        return None  # no other value more recent than the one named
    if named.older < n:  # one already cited
        return found, named
    spare = [i for i in range(n - 1, 0, -1) if i != judged.citation]
    if n >= k and not spare:
        return None
    keep = [i for i in range(n) if n < k or i != spare[0]]
    cited = [found.citations[i] for i in keep] + [both.citations[named.older]]
    rows = [found.rows[i] for i in keep] + [both.rows[named.older]]
    logits = tuple(named.logits[i] for i in keep[: len(named.logits)] if i < len(named.logits))
    return replace(found, citations=cited, rows=rows), replace(
        named, citation=keep.index(judged.citation), older=len(cited) - 1, logits=logits)


def earlier(retriever: Retriever, question: str, found: Retrieval, judged: Judgement, *, query: str, k: int,
            filters: dict[str, Any], as_of: float) -> Retrieval | None:
    """The evidence published before the article a number answer comes from, and after the value before it that
    is named, if one is: the value just before may be in a report between the two ("19 (May 18; 16 on May 4)",
    not "... 15 on April 27"). None when the answer is no number, is undated, or nothing in between answers."""
    if judged.text is None or judged.citation is None or not rules.is_value(judged.text):
        return None
    at = published_time(found.citations[judged.citation].published_at)
    checked = check_filters(filters)
    after = checked.get("published_after", -math.inf)
    if judged.older is not None:
        named = published_time(found.citations[judged.older].published_at)
        after = max(after, named + 1) if named == named else math.inf
    if at != at or after >= at:
        return None
    cut = min(at, checked.get("published_before", math.inf))
    window = {**filters, "published_before": cut} | ({} if after == -math.inf else {"published_after": after})
    got = retriever.retrieve(question, query=query, k=k, filters=window, as_of=as_of)
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
