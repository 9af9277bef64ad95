"""The `qa` command: a thin shell over `qa.engine.QA`."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Any

import click

from index.errors import SourcedError
from index.loaders import Limits
from qa.models import Answer
from qa.options import K_HELP, MAX_K, MIN_K, USE_TIME_HELP
from qa.shells.options import common, limit_options, llm_options
from qa.shells.report import summary

INTERRUPTED = "interrupted: re-run the same command to continue (committed articles are skipped)"


def _engine(ctx: click.Context) -> Any:
    """The QA engine for this invocation (created once, on first use)."""
    obj = ctx.ensure_object(dict)
    if "engine" not in obj:
        from qa.engine import QA
        from qa.settings import Settings

        options: dict[str, Any] = {"model": obj["model"]} if obj.get("model") else {}
        if obj.get("wait") is not None:
            options["lock_wait_s"] = obj["wait"]
        if obj.get("encoder"):
            options["encoder"] = obj["encoder"]
        if obj.get("limits") is not None:
            options["limits"] = obj["limits"]
        options.update({name: obj[name] for name in ("answerer", "llm_url", "llm_model", "llm_timeout_s", "reader",
                                                  "reader_path")
                        if obj.get(name) is not None})
        obj["engine"] = QA(obj.get("index"), chroma=obj.get("chroma_url"), settings=Settings(**options))
    return obj["engine"]


class _Group(click.Group):
    """Turns every `SourcedError` from any command into one clear line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SourcedError as exc:
            raise click.ClickException(str(exc)) from None


def _setup(ctx: click.Context, index_dir: str | None, chroma_url: str | None, model: str | None) -> None:
    obj = ctx.ensure_object(dict)
    obj.update(index=index_dir, chroma_url=chroma_url, model=model)


@click.group(cls=_Group)
@click.version_option(package_name="sourced")
def main() -> None:
    """Sourced: ask questions about news articles; every answer cites exact source sentences."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--progress", "force_progress", is_flag=True,
              help="Show the progress bar even when stderr is not a terminal.")
@click.option("--wait", type=click.FloatRange(0), default=None,
              help="Seconds to wait while another process writes to the index (default 30).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the report as JSON, with the same counts (errors and warnings are still on stderr).")
@limit_options
@common
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], quiet: bool, force_progress: bool, wait: float | None,
           as_json: bool, index_dir: str | None, chroma_url: str | None, model: str | None,
           **limits: int | None) -> None:
    """Index article files and folders (.txt .md .html .json .jsonl), recursively.

    JSON Lines and JSON list archives are read record by record; a record that cannot be indexed is an
    `error:` line naming its file, line and id, and is skipped. A fault of a record that is indexed all
    the same (a date that cannot be read: the article is indexed without one) is a `warning:` line,
    repeated on every run until the data is fixed. Added, replaced, unchanged and failed add up to
    the records read; warnings are counted apart.

    \b
    Exit status:
      0    every record was indexed (with or without warnings)
      1    the command could not run (the index is busy or unusable)
      2    at least one record or file was not indexed (or the command line is wrong)
      130  interrupted (Ctrl+C); re-run to continue
    """
    _setup(ctx, index_dir, chroma_url, model)
    ctx.obj["wait"] = wait
    ctx.obj["limits"] = replace(Limits(), **{name: value for name, value in limits.items() if value is not None})
    try:
        report = _engine(ctx).ingest(list(paths), progress=not quiet and (force_progress or sys.stderr.isatty()))
    except KeyboardInterrupt:  # before any article was written (loading the model, waiting for the lock)
        click.echo(INTERRUPTED, err=True)
        sys.exit(130)
    for problem in report.problems:
        click.echo(f"{'error' if problem.failed else 'warning'}: {problem}", err=True)
    click.echo(json.dumps(report.to_dict(), ensure_ascii=False) if as_json else summary(report))
    if report.interrupted:
        click.echo(INTERRUPTED, err=True)
        sys.exit(130)
    if report.failures:
        sys.exit(2)


def _print_answer(answer: Answer) -> None:
    """The answer, then every cited sentence under its number: title (source, date, character offsets)."""
    if answer.warning:
        click.echo(f"warning: {answer.warning}", err=True)
    span = answer.short_answer_span
    first, _, rest = answer.answer.partition("\n\n")
    if answer.short_answer and span is not None and first == f"{answer.short_answer} [{span.citation}]":
        # the short answer first, and where it is: characters of the article of citation [n]
        click.echo(f"{first}  (chars {span.start}-{span.end})\n\n{rest}" if rest else f"{first}  (chars {span.start}-{span.end})")
    else:
        click.echo(answer.answer)
    if answer.citations:
        click.echo("")
    for c in answer.citations:
        where = [part for part in (c.source, c.published_at[:10]) if part] + [f"chars {c.start}-{c.end}"]
        click.echo(f"[{c.n}] {c.title} ({', '.join(where)})")
        click.echo(f"    {c.sentence}")
        if c.dates:
            click.echo("    " + "; ".join(f"{d['text']} = {d['date']}" for d in c.dates))
        if c.also_in:
            click.echo(f"    also in: {', '.join(c.also_in)}")
    if answer.time and answer.time.get("kind") != "none":
        t = answer.time
        label = f" = {t['label']}" if t.get("label") else ""
        state = "applied" if t.get("applied") else f"not applied: {t.get('note', '')}".rstrip(": ")
        click.echo(f"\n(time: \u201c{t.get('phrase', '')}\u201d{label}, as of {answer.as_of[:10]}; {state})")
    if answer.answerer == "llm":
        click.echo(f"\n(written by {answer.llm_model}; every sentence checked against the sentences it cites)")
    for d in answer.dropped:
        click.echo(f"dropped: {d.sentence}  ({d.reason})", err=True)


@main.command()
@click.argument("question", nargs=-1, required=True)
@click.option("-k", "k", type=click.IntRange(MIN_K, MAX_K), default=None, help=K_HELP)
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="The day the question is asked (default: now): 'this week' and 'latest' are read against it, "
                   "and later articles are not searched. E.g. 2024-04-12.")
@click.option("--after", default=None, metavar="DATE", help="Only articles published on or after DATE.")
@click.option("--before", default=None, metavar="DATE", help="Only articles published before DATE.")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only articles from this source (repeat).")
@click.option("--article", "article_ids", multiple=True, metavar="ID", help="Only this article (repeat).")
@click.option("--exclude", "exclude_article_ids", multiple=True, metavar="ID", help="Not this article (repeat).")
@click.option("--time/--no-time", "use_time", default=None, help=USE_TIME_HELP)
@click.option("--history", multiple=True, metavar="QUESTION",
              help="An earlier question of the conversation (repeat, oldest first): a follow-up such as 'When did "
                   "they arrive?' is searched with it.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@llm_options
@common
@click.pass_context
def ask(ctx: click.Context, question: tuple[str, ...], k: int | None, as_of: str | None, after: str | None,
        before: str | None, sources: tuple[str, ...], article_ids: tuple[str, ...],
        exclude_article_ids: tuple[str, ...], use_time: bool | None, history: tuple[str, ...], as_json: bool,
        index_dir: str | None, chroma_url: str | None, model: str | None) -> None:
    """Answer a question from the indexed articles, with citations.

    Reads only: where there is no index it says where it looked and exits 1, creating nothing.
    """
    _setup(ctx, index_dir, chroma_url, model)
    engine = _engine(ctx)
    if not engine.exists:
        raise engine.no_index()
    filters = {"published_after": after, "published_before": before, "sources": list(sources),
               "article_ids": list(article_ids), "exclude_article_ids": list(exclude_article_ids)}
    answer = engine.ask(" ".join(question), k=k, as_of=as_of, use_time=use_time, history=list(history) or None,
                        filters={name: v for name, v in filters.items() if v})
    if as_json:
        click.echo(answer.to_json(indent=2))
    else:
        _print_answer(answer)


@main.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@common
@click.pass_context
def list_(ctx: click.Context, as_json: bool, index_dir: str | None, chroma_url: str | None,
          model: str | None) -> None:
    """List indexed articles with their sentence and chunk counts (where there is no index: exit 1)."""
    _setup(ctx, index_dir, chroma_url, model)
    engine = _engine(ctx)
    if not engine.exists:
        raise engine.no_index()
    articles = engine.articles()
    if as_json:
        click.echo(json.dumps([a.to_dict() for a in articles], indent=2, ensure_ascii=False))
        return
    if not articles:
        click.echo("No articles indexed yet: run `qa ingest seeds/`.")
        return
    size: dict[str, int] = {}
    for a in articles:
        size[a.story or a.id] = size.get(a.story or a.id, 0) + 1
    wide = (max(len(a.id) for a in articles), len(str(max(a.n_sentences for a in articles))),
            len(str(max(a.n_chunks for a in articles))))  # columns as wide as their longest entry
    for a in articles:
        story = a.story or a.id
        copies = f"  [story {story}: {size[story]} copies{', the original' if a.original else ''}]" \
            if size[story] > 1 else ""
        date = f", {a.published_at[:10]}" if a.published_at else ""
        click.echo(f"{a.id:<{wide[0]}}  {a.n_sentences:>{wide[1]}} sentences  {a.n_chunks:>{wide[2]}} chunks  "
                   f"{a.title}  ({a.source}{date}){copies}")
    shared = sum(1 for n in size.values() if n > 1)
    click.echo(f"{len(articles)} articles in {len(size)} stories ({shared} with copies), "
               f"{sum(a.n_sentences for a in articles)} sentences, {sum(a.n_chunks for a in articles)} chunks")


@main.command()
@click.argument("article_id")
@common
@click.pass_context
def remove(ctx: click.Context, article_id: str, index_dir: str | None, chroma_url: str | None,
           model: str | None) -> None:
    """Delete one article (by the id `qa list` shows); where there is no index: exit 1, creating nothing."""
    _setup(ctx, index_dir, chroma_url, model)
    engine = _engine(ctx)
    if not engine.exists:
        raise engine.no_index()
    engine.remove(article_id)
    click.echo(f"removed {article_id}")


@main.command()
@click.option("--repair", is_flag=True, help="Delete leftovers of interrupted writes; remove damaged articles.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the report as JSON (`ok` is false only when problems remain; each finding has its severity).")
@common
@click.pass_context
def check(ctx: click.Context, repair: bool, as_json: bool, index_dir: str | None, chroma_url: str | None,
          model: str | None) -> None:
    """Verify the index: every article whole, every sentence at its offsets.

    A `problem:` is what readers could see wrong, or what is lost: an article missing sentences or
    chunks, a sentence not at its offsets (`--repair` removes the article; re-ingest it). A `note:` is
    neither: parts an interrupted write left behind, invisible to readers (the next ingest or `--repair`
    removes them), or a derived index file to rebuild (rebuilt from the store at the next start).

    \b
    Exit status:
      0  no problems (with or without notes)
      1  problems remain, or the check could not run (no index there, or it is busy)
    """
    from index.layout import PROBLEM

    _setup(ctx, index_dir, chroma_url, model)
    engine = _engine(ctx)
    if not engine.exists:
        raise engine.no_index()
    found = engine.check(repair=repair)
    remaining = engine.check() if repair and found else found
    problems = [p for p in remaining if p.severity == PROBLEM]
    if as_json:
        click.echo(json.dumps({"ok": not problems, "articles": len(engine.articles()),
                               "problems": [p.to_dict() for p in found], "repaired": repair and bool(found),
                               "remaining": [p.to_dict() for p in remaining]}, indent=2, ensure_ascii=False))
    else:
        for p in found:
            click.echo(f"{'fixed' if repair and p not in remaining else p.severity}: {p}")
        whole = f"ok: {len(engine.articles())} articles, all whole, every sentence at its offsets"
        if not found:
            click.echo(f"{whole}; derived indexes intact")
        elif not remaining:
            click.echo(f"repaired {len(found)} finding(s); re-ingest any article named above")
        elif not problems:
            click.echo(f"{whole}; the notes above need no action (`qa check --repair` tidies them now)")
        elif not repair:
            click.echo("run `qa check --repair` to fix the problems")
    if problems:
        sys.exit(1)


@main.command(name="eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "squad"]), default="jsonl", show_default=True,
              help="jsonl: our question file against the current index. squad: SQuAD JSON, every paragraph "
                   "indexed as an article in a fresh index, every question asked open.")
@click.option("--limit", type=click.IntRange(1), default=None, help="squad: a fixed random sample of N questions.")
@click.option("--squad-index", type=click.Path(file_okay=False), default=None,
              help="squad: keep the SQuAD index in this directory and reuse it (default: a fresh temporary one).")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              help="squad: write report.md, results.jsonl and plots.png here.")
@click.option("--exclude-gold", is_flag=True,
              help="squad: ask every question again with its gold paragraph excluded; it should abstain then.")
@click.option("--reader-alone", is_flag=True,
              help="squad: score the reader alone instead, each question with its gold paragraph given (EM/F1).")
@click.option("--time/--no-time", "use_time", default=True, show_default=True,
              help="jsonl: read time in the questions against each one's as_of (--no-time: date words are words).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@llm_options
@common
@click.pass_context
def eval_(ctx: click.Context, file: str, fmt: str, limit: int | None, squad_index: str | None,
          report_dir: str | None, exclude_gold: bool, reader_alone: bool, use_time: bool, as_json: bool,
          index_dir: str | None, chroma_url: str | None, model: str | None) -> None:
    """Score answers against a question file (JSONL: question, answers, evidence; or SQuAD JSON)."""
    from qa.evaluation import evaluation as ev

    if reader_alone:
        from qa.answers.reading import load_reader
        from qa.evaluation.reader_alone import evaluate_reader_alone

        folder = ctx.ensure_object(dict).get("reader_path")
        reader = load_reader(folder)
        if reader is None:
            raise click.ClickException(f"no reader weights in {folder or 'qa/answers/reader_weights'}")
        found = evaluate_reader_alone(reader, file, limit=limit)
        click.echo(json.dumps(found, indent=2) if as_json else
                   f"reader alone, gold paragraph given: EM {found['em']:.4f}, F1 {found['f1']:.4f} "
                   f"({found['questions']:,} questions, {found['questions_per_s']} a second)")
        return

    if fmt == "jsonl":
        _setup(ctx, index_dir, chroma_url, model)
        try:
            result = ev.evaluate_jsonl(_engine(ctx), file, use_time=use_time)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(json.dumps(result, indent=2) if as_json else ev.format_table(result))
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="sourced-squad-") as tmp:
        _setup(ctx, squad_index or tmp, None, model)
        try:
            result = ev.evaluate_squad(_engine(ctx), file, limit=limit, progress=sys.stderr.isatty(),
                                       exclude_gold=exclude_gold)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        if report_dir:
            path = ev.write_report(result, report_dir)
            click.echo(f"report written to {path}", err=True)
        click.echo(json.dumps(ev.public_metrics(result), indent=2) if as_json else ev.format_squad_table(result))


@main.group()
def train() -> None:
    """Re-learn the shipped models: the evidence ranker (`pip install 'sourced[train]'`), the reader."""


@train.command(name="ranker")
@click.argument("squad_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--squad-index", type=click.Path(file_okay=False), required=True,
              help="Directory for the SQuAD index (built once, reused).")
@click.option("--features", type=click.Path(dir_okay=False), default=None,
              help="Cache of candidate features (.npz): written once, reused while the features are unchanged.")
@click.option("--model", "model", type=click.Choice(["trees", "linear"]), default="trees", show_default=True,
              help="Boosted trees (lambdarank) or a listwise linear/MLP scorer.")
@click.option("--hidden", type=click.IntRange(0), default=0, show_default=True,
              help="Hidden units of the linear scorer (0: no hidden layer).")
@click.option("--dry-run", is_flag=True, help="Report, but don't write qa/evidence/ranker_weights.json.")
@click.pass_context
def train_ranker(ctx: click.Context, squad_file: str, squad_index: str, features: str | None, model: str, hidden: int,
          dry_run: bool) -> None:
    """Learn the evidence ranker on half of SQuAD's titles; report the held-out half."""
    import importlib.util

    from qa.training.ranker import train as run

    if model == "trees" and importlib.util.find_spec("lightgbm") is None:
        raise click.ClickException("training the ranker's trees needs LightGBM: pip install 'sourced[train]' "
                                   "(or, in a clone, pip install -e '.[train]')")

    _setup(ctx, squad_index, None, None)
    result = run(_engine(ctx), squad_file, features=features, model=model, hidden=hidden, save=not dry_run,
                 progress=sys.stderr.isatty())
    click.echo(json.dumps(result, indent=2))


@train.command(name="reader")
@click.argument("train_file", type=click.Path(exists=True, dir_okay=False),
                default="../shared/train/squad2-style-train-silver.json")
@click.option("--work", type=click.Path(file_okay=False), required=True,
              help="Directory for the examples, the checkpoint, the calibration index and reads (kept: a run resumes).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Where the int8 reader goes (default: the shipped qa/answers/reader_weights).")
@click.option("--epochs", type=click.IntRange(1), default=1, show_default=True)
@click.option("--limit", type=click.IntRange(1), default=110_000, show_default=True,
              help="Train on a random sample of this many examples (the shipped reader: 110,000).")
@click.option("--threads", type=click.IntRange(1), default=2, show_default=True, help="torch threads for training.")
@click.option("--continue-from", "init", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Continue the finished --limit run whose checkpoint this is: train from its weights on the "
              "examples it left out.")
@click.option("--again-from", "again", type=click.Path(exists=True), default=None,
              help="Train the finished run whose checkpoint this is (or a reader folder such as "
              "qa/answers/reader_weights, its int8 weights dequantised) another epoch, on every example (a fresh "
              "schedule, lr 3e-5): a second epoch.")
@click.option("--near-misses", type=click.IntRange(1), default=None, metavar="N",
              help="With --again-from: train on the engine's own near misses for N questions of 120 training titles "
              "(their retrieval dumped once, 12 min) and 16,000 other examples, lr 2e-5 (reader v5: 10,000).")
@click.option("--lr", type=float, default=None,
              help="Peak learning rate (default 8e-5; 5e-5 with --continue-from, 3e-5 with --again-from, 2e-5 with "
              "--near-misses).")
@click.option("--stop-after", type=float, default=None, help="Stop after this many minutes (checkpointed; run again "
              "to resume).")
def train_reader(train_file: str, work: str, out: str | None, epochs: int, limit: int, threads: int,
                 init: str | None, again: str | None, near_misses: int | None, lr: float | None,
                 stop_after: float | None) -> None:
    """Fine-tune the reader from the packaged MiniLM on SQuAD-format training data (SQuAD v1.1 train with
    SQuAD 2.0's unanswerable questions), export it to int8 ONNX, fit its decision on held-apart titles.

    Hours on 2 cores: it checkpoints every 10 minutes and resumes where it stopped."""
    from qa.answers.reading import WEIGHTS
    from qa.training.reader import main as run

    if init and again:
        raise click.UsageError("--continue-from and --again-from are two ways to go on: give one.")
    if near_misses and not again:
        raise click.UsageError("--near-misses trains a finished reader further: give --again-from too.")
    default_lr = 2e-5 if near_misses else 3e-5 if again else 5e-5 if init else 8e-5
    argv = [train_file, "--out", str(out or WEIGHTS), "--work", work, "--epochs", str(epochs),
            "--threads", str(threads), "--lr", str(lr or default_lr)]
    if again:
        argv += ["--init", again]  # every example (or the near misses), from its weights
        argv += ["--near-misses", str(near_misses)] if near_misses else []
    else:
        argv += ["--rest", str(limit), "--init", init] if init else ["--limit", str(limit)]
    argv += ["--stop-after", str(stop_after)] if stop_after else []
    code = run(argv)
    if code:
        raise SystemExit(code)


@train.command(name="decision")
@click.argument("train_file", type=click.Path(exists=True, dir_okay=False),
                default="../shared/train/squad2-style-train-silver.json")
@click.option("--work", type=click.Path(file_okay=False), required=True,
              help="Directory for the calibration index and reads (a `qa train reader` work directory reuses its "
              "own; else it needs calibration_titles.json).")
@click.option("--reader-weights", "folder", type=click.Path(exists=True, file_okay=False), default=None,
              help="The reader whose decision is fitted (default: the shipped qa/answers/reader_weights).")
@click.option("--read", type=click.IntRange(1, 5), default=None,
              help="Cited sentences the decision reads (default 3).")
@click.option("--target", type=click.FloatRange(0.0, 0.5), default=None,
              help="False abstentions on the calibration titles the threshold is set for (default 0.075).")
def train_decision(train_file: str, work: str, folder: str | None, read: int | None, target: float | None) -> None:
    """Fit the reader's decision again, without training the reader: how many cited sentences it reads, how
    reader, ranker and term share combine, and the threshold, on the held-apart calibration titles."""
    from pathlib import Path

    from qa.answers.reading import WEIGHTS
    from qa.training.reader import READS, calibrate

    work_dir = Path(work)
    if not (work_dir / "dump" / "questions.jsonl").exists() and not (work_dir / "calibration_titles.json").exists():
        raise click.ClickException(f"{work_dir}: no calibration_titles.json (nor a dump of them); give the --work "
                                   "directory of a `qa train reader` run")
    fitted = calibrate(Path(folder or WEIGHTS), work_dir, train_file, n=read or READS, target=target)
    click.echo(json.dumps(fitted, indent=2))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (0.0.0.0 for all).")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True, envvar="PORT",
              help="Port (or $PORT).")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also serve requests sent to this host name (repeatable; or $QA_ALLOWED_HOSTS, comma-separated; "
                   "* for any). Served anyway: 127.0.0.1, localhost, ::1 and --host unless 0.0.0.0.")
@click.option("--allow-origin", "allow_origins", multiple=True, metavar="URL",
              help="Also accept browser requests from this origin, e.g. https://app.example (repeatable; or "
                   "$QA_ALLOWED_ORIGINS, comma-separated; * for any). The server's own page is always accepted.")
@llm_options
@common
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, allow_hosts: tuple[str, ...], allow_origins: tuple[str, ...],
          index_dir: str | None, chroma_url: str | None, model: str | None) -> None:
    """Serve the chat page at http://HOST:PORT/ and the HTTP API under /api (docs at /docs).

    Set QA_API_TOKEN to require it: the API takes it as `Authorization: Bearer TOKEN` (or `X-API-Token`), the
    page asks for it in a sign-in form (a session of QA_SESSION_DAYS days, 7 by default; restarts sign out).
    Requests to other host names (DNS rebinding) and from other web pages' origins are refused with 403.
    """
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from qa.shells.auth import SESSION_DAYS_ENV, session_days
    from qa.shells.guard import ORIGINS_ENV, check_origins, split_names
    from qa.shells.server import serve as run

    try:
        check_origins([*allow_origins, *split_names(os.environ.get(ORIGINS_ENV))])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--allow-origin' / $QA_ALLOWED_ORIGINS") from None
    try:
        session_days(os.environ.get(SESSION_DAYS_ENV))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    _setup(ctx, index_dir, chroma_url, model)
    run(_engine(ctx), host=host, port=port, allow_hosts=allow_hosts, allow_origins=allow_origins)


@main.command()
@click.option("--http", "http_port", type=click.IntRange(1, 65535), default=None, metavar="PORT",
              help="Serve streamable HTTP at http://127.0.0.1:PORT/mcp instead of stdio.")
@llm_options
@common
@click.pass_context
def mcp(ctx: click.Context, http_port: int | None, index_dir: str | None, chroma_url: str | None,
        model: str | None) -> None:
    """Serve Sourced to MCP clients: tools ask, search, get_article; the articles as resources.

    Over stdio by default (what Claude Desktop starts). With --http PORT, on 127.0.0.1 only; when
    QA_API_TOKEN is set, every request needs `Authorization: Bearer TOKEN`, as `qa serve` does.
    It only reads: where there is no index it says so on stderr and serves an empty one, making nothing.
    """
    import contextlib
    import os

    from qa.shells.mcp_server import run
    from qa.shells.server import warm_up

    _setup(ctx, index_dir, chroma_url, model)
    with contextlib.redirect_stdout(sys.stderr):  # over stdio, stdout is the protocol's alone
        engine = _engine(ctx)
        if not engine.exists:  # nothing is made: the tools answer that the index is empty until then
            click.echo(f"{engine.no_index()} Serving an empty index until then.", err=True)
        warm_up(engine)
    run(engine, http_port=http_port, token=os.environ.get("QA_API_TOKEN") or None)


if __name__ == "__main__":  # pragma: no cover
    main()
