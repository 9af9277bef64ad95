"""`python -m lab COMMAND`: the workshop's entry point (benchmarks, generators, experiments).

Run from the repository root with the project's venv (`.venv/bin/python -m lab --help`); the extras it needs
beyond the product are `pip install -e '.[lab]'`.
"""

from __future__ import annotations

import os
import sys

import click

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@click.group()
def lab() -> None:
    """Sourced's workshop: benchmarks, synthetic archives, experiments (not part of the installed product)."""


@lab.command()
@click.option("--squad", "squad_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="SQuAD JSON the sample and synthetic articles come from (default ../shared/eval/squad-dev-v1.1.json).")
@click.option("--sizes", default="1000,10000,50000", show_default=True,
              help="Index sizes (articles) to time queries at, comma-separated.")
@click.option("--quick", is_flag=True, help="A tiny run for CI: seconds to a minute, figures meaningless.")
@click.option("--archive", is_flag=True,
              help="Instead: ingest a synthetic news archive (JSONL, live blogs included) and compare "
                   "with plain sentence-transformers.")
@click.option("--articles", type=click.IntRange(10), default=200, show_default=True,
              help="With --archive: articles in the archive.")
@click.option("--runs", type=click.IntRange(1), default=3, show_default=True,
              help="With --archive or --scale: runs to take the median of.")
@click.option("--scale", is_flag=True,
              help="Instead: serving a large news index (cold start, peak RSS, query p50/p95 over HTTP, "
                   "commit -> answerable on a running server).")
@click.option("--sentences", type=click.IntRange(1000), default=250_000, show_default=True,
              help="With --scale: about how many sentences the index holds.")
@click.option("--scale-index", type=click.Path(file_okay=False), default=None,
              help="With --scale: build the index here once and reuse it (default: a temporary one).")
@click.option("--reader", "reader_bench", is_flag=True,
              help="Instead: what reading adds to a question (SQuAD questions with and without the reader).")
@click.option("--squad-index", "bench_index", type=click.Path(file_okay=False), default=None,
              help="With --reader: build the SQuAD index here once and reuse it.")
@click.option("--reader-weights", "reader_path", type=click.Path(file_okay=False, exists=True), default=None,
              help="With --reader: the reader in this folder (as `qa train reader --out DIR` writes it).")
@click.option("--filters", "filter_bench", is_flag=True,
              help="Instead: what a new date window, source filter or 3,000-id list costs a question, against the "
                   "same question unfiltered (synthetic dated news of about --sentences sentences).")
@click.option("--stories", "stories_bench", is_flag=True,
              help="Instead: a generated dated archive of --articles articles with syndicated copies: story "
                   "clusters against the ground truth, what answers cite, the cost of dates and stories in ingest.")
@click.option("--checker", is_flag=True,
              help="Instead: precision and recall of the LLM answer checker on claims built from SQuAD.")
@click.option("--questions", type=click.IntRange(10), default=2000, show_default=True,
              help="With --checker: SQuAD questions to build claims from.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
def bench(squad_file: str | None, sizes: str, quick: bool, archive: bool, articles: int, runs: int,
          scale: bool, sentences: int, scale_index: str | None, reader_bench: bool, bench_index: str | None,
          reader_path: str | None, filter_bench: bool, stories_bench: bool, checker: bool, questions: int, as_json: bool) -> None:
    """Benchmark ingest throughput, query latency by index size, cold start, memory; llama-index side by side."""
    from lab import bench as b

    if stories_bench:
        from lab.stories_bench import run_stories_bench

        click.echo(b.to_json(run_stories_bench(articles=articles, log=lambda msg: click.echo(msg, err=True))))
        return
    if filter_bench:
        from lab.filter_bench import run_filter_bench

        found = run_filter_bench(sentences=sentences, runs=runs, index=scale_index,
                                 log=lambda msg: click.echo(msg, err=True))
        click.echo(b.to_json(found))
        return
    if reader_bench:
        from lab.reader_bench import format_reader_bench, run_reader_bench

        found = run_reader_bench(squad_file or b.DEFAULT_SQUAD, questions=questions, runs=runs,
                                 squad_index=bench_index, reader_path=reader_path,
                                 log=lambda msg: click.echo(msg, err=True))
        click.echo(b.to_json(found) if as_json else format_reader_bench(found))
        return
    if checker:
        from lab.checker_bench import format_checker_bench, run_checker_bench
        from qa.answers.reading import load_reader

        reader = load_reader(reader_path)  # the same claims checked by the words alone, then with the reader
        found = {"words": run_checker_bench(squad_file or b.DEFAULT_SQUAD, limit=questions),
                 "reader": run_checker_bench(squad_file or b.DEFAULT_SQUAD, limit=questions, reader=reader)}
        click.echo(b.to_json(found) if as_json else
                   "\n\n".join(f"{how}:\n{format_checker_bench(f)}" for how, f in
                               (("by the words alone", found["words"]), ("with the reader", found["reader"]))))
        return

    if scale:
        from lab.scale_bench import format_scale_bench, run_scale_bench

        found = run_scale_bench(sentences=sentences, index=scale_index, runs=runs,
                                log=lambda msg: click.echo(msg, err=True))
        click.echo(b.to_json(found) if as_json else format_scale_bench(found))
        return

    if archive:
        from lab.archive_bench import format_archive_bench, run_archive_bench

        found = run_archive_bench(articles=articles, runs=runs, log=lambda msg: click.echo(msg, err=True))
        click.echo(b.to_json(found) if as_json else format_archive_bench(found))
        return

    try:
        wanted = tuple(int(x) for x in sizes.split(",") if x.strip())
    except ValueError:
        raise click.ClickException(f"--sizes must be comma-separated integers, not '{sizes}'") from None
    if quick and sizes == "1000,10000,50000":
        wanted = (200,)
    result = b.run_bench(squad_file or b.DEFAULT_SQUAD, sizes=wanted, quick=quick,
                         log=lambda msg: click.echo(msg, err=True))
    click.echo(b.to_json(result) if as_json else b.format_bench(result))


@lab.command(name="upload-bench")
@click.option("--uploads", type=click.IntRange(1), default=1000, show_default=True, help="Upload requests to send.")
@click.option("--files", type=click.IntRange(1), default=3, show_default=True, help="Articles per upload request.")
@click.option("--every", type=click.IntRange(1), default=50, show_default=True, help="Record the figures every N uploads.")
@click.option("--nofile", type=click.IntRange(64), default=1024, show_default=True, help="The server's `ulimit -n`.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
def upload_bench(uploads: int, files: int, every: int, nofile: int, as_json: bool) -> None:
    """Commit uploads against a running server: open files, mapped bytes, RSS, question latency over time."""
    from lab import bench as b
    from lab.upload_bench import format_upload_bench, run_upload_bench

    found = run_upload_bench(uploads=uploads, files=files, every=every, nofile=nofile,
                             log=lambda msg: click.echo(msg, err=True))
    click.echo(b.to_json(found) if as_json else format_upload_bench(found))


@lab.command(name="dated-archive", context_settings=PASS_THROUGH)
@click.pass_context
def dated_archive(ctx: click.Context) -> None:
    """Write a dated synthetic news archive and its questions (DIR [--seed N --weeks N --articles N])."""
    from lab.dated_archive import main

    main(ctx.args)


@lab.command(name="train-recency")
@click.option("--seeds", default="1,2,3", show_default=True, help="Seeds of the generated dated archives fitted on.")
def train_recency_cmd(seeds: str) -> None:
    """Fit the age-feature weights of "latest" questions on generated dated archives (a few minutes)."""
    from lab.train_recency import train_recency

    train_recency(seeds=tuple(int(s) for s in seeds.split(",") if s.strip()),
                  log=lambda msg: click.echo(msg, err=True))


def _script(name: str, module: str, doc: str) -> None:
    """A workshop script with its own argument parser, run as a subcommand."""

    @lab.command(name=name, context_settings=PASS_THROUGH, help=doc)
    @click.pass_context
    def run(ctx: click.Context) -> None:
        import importlib

        sys.argv = [f"python -m lab {name}", *ctx.args]
        importlib.import_module(module).main()


_script("time-libraries", "lab.time_libraries", "Time-expression libraries against qa.dates (prints a table).")
_script("llm-over-archive", "lab.llm_over_archive", "LLM answers over a large index: INDEX_DIR LLM_URL.")
_script("citation-relevance", "lab.citation_relevance",
        "Which later citations bear on their question, read on the SQuAD sample (--squad-index DIR).")
_script("syndication-bench", "lab.syndication_bench", "What story clustering costs at ingest, against the encoder.")


if __name__ == "__main__":
    lab()
