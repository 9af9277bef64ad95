"""Score the system against a question file in our JSONL format."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from qa.errors import SourcedError
from qa.evaluation import generated
from qa.rules.decisions import echoes_question


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def evaluate_jsonl(engine: Any, path: str | Path, *, use_time: bool | None = None) -> dict[str, Any]:
    """Ask every question (as of its `as_of`, when it has one); count evidence-first answers and abstentions on
    unanswerable ones, and, for questions that name the articles that answer them (`expect_article_ids`), how
    often the first citation is from one of them, per `kind` (window, latest, plain, ...)."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            question = item["question"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ValueError(f"{path}:{number}: expected a JSON object with a 'question' field") from None
        try:
            answer = engine.ask(question, as_of=item.get("as_of"), use_time=use_time)
        except SourcedError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
        rows.append(_jsonl_row(item, number, question, answer))
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    return {
        **generated.summary(rows),
        "n_questions": len(rows),
        "answerable": len(answerable),
        "evidence_first": sum(r["evidence_first"] for r in answerable),
        "answer_in_first_citation": sum(r["answer_in_first"] for r in answerable),
        "unanswerable": len(unanswerable),
        "abstained_unanswerable": sum(r["abstained"] for r in unanswerable),
        "false_abstentions": sum(r["abstained"] for r in answerable),
        "short_answers": sum(bool(r["short_answer"]) for r in rows),
        "short_in_question": sum(r["short_in_question"] for r in rows),
        "citations_per_answer": _citations_per_answer(rows),
        **_changed_summary(rows),
        **_by_kind(rows),
        "rows": rows,
    }


def _jsonl_row(item: dict[str, Any], number: int, question: str, answer: Any) -> dict[str, Any]:
    """One question of a JSONL file, answered, as its scored row."""
    evidence = item.get("evidence")
    answers = item.get("answers") or []
    first = answer.citations[0].sentence if answer.citations else ""
    expected = item.get("expect_article_ids") or []
    return {
        "id": item.get("id", str(number)),
        "question": question,
        "kind": item.get("kind", ""),
        "as_of": item.get("as_of"),
        "right_article_first": bool(expected) and bool(answer.citations)
        and answer.citations[0].article_id in expected,
        "first_article": answer.citations[0].article_id if answer.citations else None,
        "time": answer.time,
        "answerable": bool(item.get("answerable", bool(evidence or answers))),
        "abstained": answer.abstained,
        "evidence_first": bool(evidence) and _norm(first) == _norm(str(evidence)),
        "answer_in_first": any(_norm(a) in _norm(first) for a in answers) if first else False,
        "first_citation": first,
        "citations": len(answer.citations),
        "answer": answer.answer,
        "short_answer": answer.short_answer,
        "short_in_question": bool(answer.short_answer) and echoes_question(_asked(question, answer.time),
                                                                            answer.short_answer or ""),
        **_changed(item, answer, answers),
        **generated.row_fields(answer, answers),
    }


def _asked(question: str, time: dict[str, Any] | None) -> str:
    """The question as its answer was read: without the time phrase the engine took out ("18" answering "What
    was the death toll on April 18?" is the toll, not the question's own words)."""
    phrase = (time or {}).get("phrase") or ""
    return question.replace(phrase, " ") if phrase and (time or {}).get("applied") else question


def _changed(item: dict[str, Any], answer: Any, answers: list[str]) -> dict[str, Any]:
    """For a question whose answer changed over time (`changed_from`: the value before): whether the short answer
    is the newest value, and whether the answer's first line names the value before it."""
    before = item.get("changed_from") or []
    if not before:
        return {}
    short, lead = _norm(answer.short_answer or ""), _norm(answer.answer.split("\n")[0])
    newest = bool(short) and any(_same_value(short, a) for a in answers)
    after = lead.split(short, 1)[-1] if newest else ""
    named = any(_names_value(after, b) for b in before)
    return {"changed": True, "newest_stated": newest, "older_named": named}


_NUMBER = re.compile(r"\d[\d,.]*\d|\d")


def _same_value(short: str, answer: str) -> bool:
    """A short answer states this value: the same numbers ("About 127,700" for "127,700"), or holds its words."""
    numbers = _NUMBER.findall(short), _NUMBER.findall(answer)
    return numbers[0] == numbers[1] if numbers[1] else _norm(answer) in short


def _names_value(text: str, value: str) -> bool:
    """A text names this value: its numbers ("6 on March 30" names "6 points"), or its words."""
    wanted = _NUMBER.findall(value)
    return set(wanted) <= set(_NUMBER.findall(text)) if wanted else _norm(value) in text


def _changed_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How the questions whose answer changed over time were answered (none: nothing)."""
    changed = [r for r in rows if r.get("changed")]
    if not changed:
        return {}
    return {"changed_values": {"n": len(changed), "newest_stated": sum(r["newest_stated"] for r in changed),
                               "older_named": sum(r["older_named"] for r in changed)}}


def _citations_per_answer(rows: list[dict[str, Any]]) -> float | None:
    """How many sentences an answer (not an abstention) cites, on average: `k` is a maximum. A row's
    `citations` is their number, or the citations themselves."""
    answered = [c if isinstance(c, int) else len(c) for r in rows if not r["abstained"]
                for c in [r.get("citations", 0)]]
    return round(sum(answered) / len(answered), 2) if answered else None


def _by_kind(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per question kind: the right article cited first (answerable questions), and how many abstained."""
    kinds = sorted({r["kind"] for r in rows if r["kind"]})
    if not kinds:
        return {}
    named = [r for r in rows if r["kind"] and r["answerable"]]
    return {"right_article_first": {
        kind: {"n": len(of), "right": sum(r["right_article_first"] for r in of),
               "share": round(sum(r["right_article_first"] for r in of) / len(of), 4)}
        for kind in kinds for of in [[r for r in named if r["kind"] == kind]] if of},
        "abstained_by_kind": {kind: {"n": len(of), "abstained": sum(r["abstained"] for r in of)}
                              for kind in kinds for of in [[r for r in rows if r["kind"] == kind]]}}


def format_table(result: dict[str, Any]) -> str:
    """A short terminal summary, with the misses listed."""
    lines = [
        f"questions                      {result['n_questions']}",
        f"evidence sentence cited first  {result['evidence_first']}/{result['answerable']}",
        f"answer in first citation       {result['answer_in_first_citation']}/{result['answerable']}",
        f"unanswerable abstained         {result['abstained_unanswerable']}/{result['unanswerable']}",
        f"answerable but abstained       {result['false_abstentions']}/{result['answerable']}",
        f"citations per answer           {result['citations_per_answer']}",
        *([f"changed values: newest stated {c['newest_stated']}/{c['n']}, the one before named {c['older_named']}/{c['n']}"]
          if (c := result.get("changed_values")) else []),
        *generated.format_lines(result),
        *[f"right article first ({kind}){' ' * max(1, 10 - len(kind))}{v['right']}/{v['n']}"
          for kind, v in result.get("right_article_first", {}).items()],
        *[f"abstained ({kind}){' ' * max(1, 19 - len(kind))}{v['abstained']}/{v['n']}"
          for kind, v in result.get("abstained_by_kind", {}).items()],
    ]
    misses = [r for r in result["rows"] if (r["answerable"] and not r["evidence_first"])
              or (not r["answerable"] and not r["abstained"])]
    for r in misses:
        lines.append(f"  miss {r['id']}: {r['question']} -> {r['first_citation'][:80] or '(abstained)'}")
    return "\n".join(lines)


# --- SQuAD, open over every paragraph ---------------------------------------------------------

SQUAD_K = 5  # citations per answer (the engine's default)
RANK_DEPTH = 50  # evidence sentences read to rank articles for hit@10 / MRR@10


def _article_ranking(engine: Any, question: str) -> list[str]:
    """Article ids in the order of their best evidence sentence (the ranking behind hit@k)."""
    retriever = engine.retriever()
    corpus = retriever.corpus
    hits = retriever.search(question, k=RANK_DEPTH)
    return list(dict.fromkeys(corpus.articles[corpus.sentence_article[h.row]].id for h in hits))


def _dir_bytes(path: Path | None) -> int:
    if path is None or not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def ingest_squad(engine: Any, articles: list[Any], *, progress: bool = False) -> Any:
    """Index SQuAD paragraphs as articles (already indexed ones are skipped)."""
    from index.ingest import ingest_articles, tqdm_progress

    update, close = tqdm_progress(progress)
    try:
        report = ingest_articles(articles, engine.store, engine.embedder, progress=update,
                                 lock_dir=getattr(engine, "_lock_dir", None))
    finally:
        close()
    engine._invalidate()
    return report


def evaluate_squad(engine: Any, path: str | Path, *, limit: int | None = None, progress: bool = False,
                   titles: set[str] | None = None, exclude_gold: bool = False) -> dict[str, Any]:
    """Ingest every SQuAD paragraph as an article, ask the questions open, and score them.

    Args:
        limit: ask a fixed random sample of this many questions (all paragraphs are still indexed).
        titles: only ask questions of these Wikipedia titles (e.g. the ranker's held-out half).
        exclude_gold: ask every answerable question a second time with its gold paragraph excluded
            (`filters={"exclude_article_ids": [...]}`): it should abstain then (`gold_excluded_abstention_recall`).
    """
    from qa.evaluation.squad import load_squad, sample

    data = load_squad(path)
    questions = [q for q in data.questions if titles is None or q.title in titles]
    return evaluate_questions(engine, data.articles, sample(questions, limit), progress=progress,
                              exclude_gold=exclude_gold)


def evaluate_questions(engine: Any, articles: list[Any], questions: list[Any], *,
                       progress: bool = False, exclude_gold: bool = False) -> dict[str, Any]:
    """Index `articles`, ask `questions` (`qa.evaluation.squad.Question`) open over them, and score the answers."""

    t0 = time.perf_counter()
    report = ingest_squad(engine, articles, progress=progress)
    ingest_s = time.perf_counter() - t0
    engine.retriever()  # load the corpus and the model before the clock starts
    engine.embedder.encode_query("warm up")
    rows: list[dict[str, Any]] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(questions), unit=" questions", file=sys.stderr, dynamic_ncols=True, desc="eval")
    for q in questions:
        rows.append(_squad_row(engine, q, exclude_gold=exclude_gold))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    result = summarize_squad(rows, engine=engine, n_articles=len(articles), ingest_s=ingest_s,
                             added=len(report.added))
    trained = set(getattr(getattr(engine, "ranker", None), "info", {}).get("train_titles", []))
    if trained:  # the ranker learned on these titles: report both halves apart
        for name, part in (("ranker_training_half", [r for r in rows if r["title"] in trained]),
                           ("held_out_half", [r for r in rows if r["title"] not in trained])):
            if part:
                sub = summarize_squad(part)
                result[name] = {k: sub[k] for k in _HALF_KEYS}
    return result


_HALF_KEYS = ("n_questions", "article_hit@1", "article_hit@5", "article_hit@10", "mrr@10", "answer_in_first_citation",
              "answer_in_any_citation", "short_answer_rate", "exact_match", "f1", "answer_em", "answer_f1",
              "abstention_recall", "false_abstention_rate", "gold_excluded_abstention_recall")


def _squad_row(engine: Any, q: Any, *, exclude_gold: bool = False) -> dict[str, Any]:
    """Ask one SQuAD question open (and, with `exclude_gold`, without its gold paragraph); its scored row."""
    from qa.evaluation import metrics as m

    start = time.perf_counter()
    answer = engine.ask(q.question, k=SQUAD_K)
    latency = (time.perf_counter() - start) * 1e3
    ranking = _article_ranking(engine, q.question)
    rank = m.first_rank(ranking, q.article_id)
    cited = [c.sentence for c in answer.citations]
    short = answer.short_answer
    excluded: dict[str, Any] = {}
    if exclude_gold and q.answerable:
        other = engine.ask(q.question, k=SQUAD_K, filters={"exclude_article_ids": [q.article_id]})
        excluded = {"gold_excluded_abstained": other.abstained,
                    "gold_excluded_short_answer": other.short_answer,
                    "gold_excluded_states_answer": bool(other.short_answer)
                    and m.exact_match(other.short_answer, q.answers) > 0}
    return {
        "id": q.id,
        "question": q.question,
        "title": q.title,
        "gold_article": q.article_id,
        "gold_answers": list(q.answers),
        "answerable": q.answerable,
        "answer": answer.answer,
        "short_answer": short,
        "abstained": answer.abstained,
        "citations": [{"key": c.key, "article_id": c.article_id, "sentence": c.sentence, "score": c.score}
                      for c in answer.citations],
        "article_rank": rank,
        "answer_in_first_citation": bool(cited) and m.contains_answer(cited[0], q.answers),
        "answer_in_any_citation": any(m.contains_answer(s, q.answers) for s in cited),
        "exact_match": m.exact_match(short, q.answers) if short and q.answerable else None,
        "f1": m.f1_score(short, q.answers) if short and q.answerable else None,
        # over every answerable question: no short answer scores 0
        "answer_em": (m.exact_match(short, q.answers) if short else 0.0) if q.answerable else None,
        "answer_f1": (m.f1_score(short, q.answers) if short else 0.0) if q.answerable else None,
        "short_answer_span": answer.to_dict()["short_answer_span"],
        "short_in_question": bool(short) and echoes_question(q.question, short or ""),
        **excluded,
        "latency_ms": round(latency, 2),
        **generated.row_fields(answer, q.answers),
    }


def summarize_squad(rows: list[dict[str, Any]], *, engine: Any = None, n_articles: int = 0, ingest_s: float = 0.0,
                    added: int = 0) -> dict[str, Any]:
    """The metrics of per-question rows (see `evaluate_squad`)."""
    from qa.evaluation import metrics as m

    answerable = [r for r in rows if r["answerable"]]
    shorts = [r for r in answerable if r["exact_match"] is not None]

    def rate(key: str) -> float | None:
        value = m.mean(float(r[key]) for r in answerable if r.get(key) is not None)
        return None if value is None else round(value, 4)

    def hits(k: int) -> float | None:
        value = m.mean(m.hit_at(r["article_rank"], k) for r in answerable)
        return None if value is None else round(value, 4)

    mrr = m.mean(m.reciprocal_rank(r["article_rank"], 10) for r in answerable)
    abst = m.abstention([r["abstained"] for r in rows], [r["answerable"] for r in rows])
    excluded = [r for r in answerable if "gold_excluded_abstained" in r]
    gold_excluded = m.mean(float(r["gold_excluded_abstained"]) for r in excluded)
    if abst["abstention_recall"] is None and gold_excluded is not None:
        abst["abstention_recall"] = gold_excluded  # no unanswerable questions: the gold-excluded runs are
    index_path = getattr(engine, "index_dir", None) if engine is not None else None
    result: dict[str, Any] = {
        "n_questions": len(rows),
        "n_answerable": len(answerable),
        "n_articles": n_articles,
        **{f"article_hit@{k}": hits(k) for k in (1, 5, 10)},
        "mrr@10": None if mrr is None else round(mrr, 4),
        "answer_in_first_citation": rate("answer_in_first_citation"),
        "answer_in_any_citation": rate("answer_in_any_citation"),
        "citations_per_answer": _citations_per_answer(rows),
        "short_answer_rate": round(len(shorts) / len(answerable), 4) if answerable else None,
        "exact_match": None if not shorts else round(m.mean(r["exact_match"] for r in shorts) or 0.0, 4),
        "f1": None if not shorts else round(m.mean(r["f1"] for r in shorts) or 0.0, 4),
        "answer_em": rate("answer_em"),
        "answer_f1": rate("answer_f1"),
        # short answers made only of their question's words (choice questions aside): no answer at all
        "short_in_question": sum(bool(r.get("short_in_question")) for r in rows),
        "short_in_question_rate": round(sum(bool(r.get("short_in_question")) for r in rows)
                                        / max(1, sum(bool(r.get("short_answer")) for r in rows)), 4),
        "gold_excluded_abstention_recall": None if gold_excluded is None else round(gold_excluded, 4),
        "gold_excluded_wrong_answer_rate": None if not excluded else round(
            m.mean(float(bool(r["gold_excluded_short_answer"]) and not r["gold_excluded_states_answer"])
                   for r in excluded) or 0.0, 4),
        **{k: None if v is None else round(v, 4) for k, v in abst.items()},
        "latency_ms": m.percentiles([r["latency_ms"] for r in rows]),
        "hit_curve": [hits(k) for k in range(1, 11)],
        "ingest_s": round(ingest_s, 1),
        "articles_ingested": added,
        "index_mb": round(_dir_bytes(Path(index_path)) / 2**20, 1) if index_path else None,
        "peak_rss_mb": _peak_rss_mb(),
        **generated.summary(rows),
    }
    result["rows"] = rows
    return result


_SQUAD_LINES = (
    ("questions", "n_questions", "{}"),
    ("gold article hit@1", "article_hit@1", "{:.3f}"),
    ("gold article hit@5", "article_hit@5", "{:.3f}"),
    ("gold article hit@10", "article_hit@10", "{:.3f}"),
    ("MRR@10", "mrr@10", "{:.3f}"),
    ("answer in first citation", "answer_in_first_citation", "{:.3f}"),
    ("answer in any citation (top 5)", "answer_in_any_citation", "{:.3f}"),
    ("citations per answer", "citations_per_answer", "{:.2f}"),
    ("short answer given", "short_answer_rate", "{:.3f}"),
    ("short answers inside their question", "short_in_question", "{}"),
    ("short answer exact match", "exact_match", "{:.3f}"),
    ("short answer F1", "f1", "{:.3f}"),
    ("answer EM (all answerable)", "answer_em", "{:.3f}"),
    ("answer F1 (all answerable)", "answer_f1", "{:.3f}"),
    ("abstention precision", "abstention_precision", "{:.3f}"),
    ("abstention recall", "abstention_recall", "{:.3f}"),
    ("false-abstention rate", "false_abstention_rate", "{:.3f}"),
    ("abstains, gold paragraph out", "gold_excluded_abstention_recall", "{:.3f}"),
)


def format_squad_table(result: dict[str, Any]) -> str:
    """The SQuAD metrics as a terminal table."""
    lines = []
    for label, key, fmt in _SQUAD_LINES:
        value = result.get(key)
        lines.append(f"{label:<32}{'n/a' if value is None else fmt.format(value)}")
    lines += generated.format_lines(result)
    lat = result["latency_ms"]
    lines.append(f"{'latency p50/p95/p99 (ms)':<32}{lat['p50']:.1f} / {lat['p95']:.1f} / {lat['p99']:.1f}")
    if result.get("index_mb") is not None:
        lines.append(f"{'index size (MB)':<32}{result['index_mb']}")
    lines.append(f"{'peak memory (MB)':<32}{result['peak_rss_mb']}")
    for name, label in (("held_out_half", "held-out titles"), ("ranker_training_half", "ranker's training titles")):
        half = result.get(name)
        if half:
            extra = "".join(f", {name} {half[key]:.3f}" for name, key in (
                ("answer EM", "answer_em"), ("F1", "answer_f1"), ("false abstentions", "false_abstention_rate"),
                ("abstains with gold out", "gold_excluded_abstention_recall")) if half.get(key) is not None)
            lines.append(f"{label:<32}{half['n_questions']} questions: first citation "
                         f"{half['answer_in_first_citation']:.3f}, any {half['answer_in_any_citation']:.3f}, "
                         f"hit@5 {half['article_hit@5']:.3f}{extra}")
    return "\n".join(lines)


def public_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """The result without its per-question rows (what `--json` prints)."""
    return {k: v for k, v in result.items() if k != "rows"}


def write_report(result: dict[str, Any], directory: str | Path, *, title: str = "SQuAD open evaluation") -> Path:
    """Write report.md, results.jsonl and plots.png into `directory`; return the report's path."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for row in result["rows"]:
            hit = row["answer_in_first_citation"] if row["answerable"] else row["abstained"]
            fh.write(json.dumps({**row, "hit": bool(hit)}, ensure_ascii=False) + "\n")
    _plot(result, out / "plots.png")
    misses = [r for r in result["rows"] if r["answerable"] and not r["answer_in_first_citation"]][:20]
    lines = [f"# {title}", "", "```", format_squad_table(result), "```", "",
             "![gold article hit@k and latency](plots.png)", "",
             f"## First misses ({len(misses)} shown)", ""]
    for r in misses:
        first = r["citations"][0]["sentence"] if r["citations"] else "(abstained)"
        lines.append(f"- **{r['question']}** (gold: {' / '.join(r['gold_answers'][:3])}; article rank "
                     f"{r['article_rank']}) -> {first[:160]}")
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    curve = [v or 0.0 for v in result["hit_curve"]]
    left.plot(range(1, len(curve) + 1), curve, marker="o")
    left.set_xlabel("k")
    left.set_ylabel("gold article in top k")
    left.set_ylim(0, 1)
    left.grid(alpha=0.3)
    left.set_title("gold article hit@k")
    right.hist([r["latency_ms"] for r in result["rows"]], bins=40)
    right.set_xlabel("ms per question")
    right.set_title("latency")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
