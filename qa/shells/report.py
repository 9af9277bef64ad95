"""An ingest report as every shell shows it: one line of counts, and what happened to each article."""

from __future__ import annotations

from index.models import IngestReport

OUTCOMES = ("added", "replaced", "unchanged")


def outcomes(report: IngestReport) -> list[tuple[str, str]]:
    """(outcome, article id) for every article the report names: the added first, then replaced, then unchanged."""
    return [(outcome, article_id) for outcome in OUTCOMES for article_id in getattr(report, outcome)]


def summary(report: IngestReport) -> str:
    """The counts in one line: `1 added, 0 replaced, 0 unchanged, 0 failed, 1 warning (21 sentences, 3 chunks written)`.

    Added, replaced, unchanged and failed add up to the records read; warnings are about indexed articles.
    """
    n = report.counts()
    warnings = f"{n['warnings']} warning{'' if n['warnings'] == 1 else 's'}"
    return (f"{n['added']} added, {n['replaced']} replaced, {n['unchanged']} unchanged, {n['failed']} failed, "
            f"{warnings} ({report.sentences} sentences, {report.chunks} chunks written)")
