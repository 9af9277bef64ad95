"""Options the `qa` commands share: where the index is, which model, and the ingest limits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from index.encoding import ENCODERS
from index.loaders import Limits
from qa.settings import ANSWERERS

index_option = click.option(
    "--index", "index_dir", envvar="QA_INDEX_DIR", type=click.Path(file_okay=False),
    help="Index directory (default $QA_INDEX_DIR or ./.sourced-index).",
)
chroma_option = click.option(
    "--chroma-url", envvar="QA_CHROMA_URL", default=None,
    help="Use a Chroma server (e.g. http://127.0.0.1:8000) instead of the embedded store.",
)
model_option = click.option("--model", default=None, help="sentence-transformers model name or local path.")


def _remember_encoder(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(dict)["encoder"] = value


encoder_option = click.option(
    "--encoder", type=click.Choice(ENCODERS), default=None, expose_value=False, callback=_remember_encoder,
    help="How the model runs: auto (int8 onnxruntime where the model allows; the default), onnx-int8, "
    "onnx (float32) or torch (sentence-transformers).",
)


def common(f: Any) -> Any:
    """--index, --chroma-url, --model and --encoder on every command."""
    return encoder_option(model_option(chroma_option(index_option(f))))


class Bytes(click.ParamType):
    """A byte count: 4000000000, 500MB, 4GB, 64KiB."""

    name = "bytes"
    _UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
              "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?\s*", str(value), re.IGNORECASE)
        count = int(float(found[1]) * self._UNITS[(found[2] or "").lower()]) if found else 0
        if count < 1:
            self.fail(f"'{value}' is not a byte count (e.g. 500MB, 4GB)", param, ctx)
        return count


def limit_options(f: Any) -> Any:
    """--max-* options for `Limits`; each left out keeps its default."""
    d = Limits()
    for option in reversed([
        click.option("--max-article-chars", type=click.IntRange(1), default=None,
                     help=f"Longest article text, in characters (default {d.max_article_chars:,})."),
        click.option("--max-article-sentences", type=click.IntRange(1), default=None,
                     help=f"Most sentences in one article (default {d.max_article_sentences:,})."),
        click.option("--max-file-bytes", type=Bytes(), default=None,
                     help=f"Largest .txt/.md/.html file, read whole (default {d.max_file_bytes / 1e6:g}MB)."),
        click.option("--max-archive-bytes", type=Bytes(), default=None,
                     help=f"Largest .json/.jsonl file, read record by record (default {d.max_archive_bytes / 1e9:g}GB)."),
        click.option("--max-record-bytes", type=Bytes(), default=None,
                     help="Largest JSONL line or JSON list item; larger ones are skipped unread "
                          "(default 4 bytes per --max-article-chars, plus 64KiB)."),
        click.option("--max-files", type=click.IntRange(1), default=None,
                     help=f"Most files under the given paths (default {d.max_files:,})."),
    ]):
        f = option(f)
    return f


def _remember(name: str) -> Any:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value is not None:
            ctx.ensure_object(dict)[name] = value
    return callback


def _reader_weights(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    if not (Path(value) / "reader.json").is_file():
        raise click.BadParameter(f"'{value}' holds no reader (no reader.json; `qa train reader --out DIR` writes "
                                 "one).", ctx, param)
    ctx.ensure_object(dict)["reader_path"] = value


def llm_options(f: Any) -> Any:
    """--llm URL, --llm-model, --llm-timeout, --reader/--no-reader, --reader-weights and --answerer (the key only from $QA_LLM_API_KEY)."""
    for option in reversed([
        click.option("--llm", "llm_url", envvar="QA_LLM_URL", default=None, expose_value=False,
                     callback=_remember("llm_url"), metavar="URL",
                     help="Write answers with an LLM on this OpenAI-compatible server (e.g. "
                          "http://127.0.0.1:8080/v1; or $QA_LLM_URL); every sentence is verified against its "
                          "citations. The key, if it needs one, from $QA_LLM_API_KEY."),
        click.option("--llm-model", envvar="QA_LLM_MODEL", default=None, expose_value=False,
                     callback=_remember("llm_model"),
                     help="The LLM's model name (default $QA_LLM_MODEL, else the first the server lists)."),
        click.option("--llm-timeout", type=click.FloatRange(0.1), default=None, expose_value=False,
                     callback=_remember("llm_timeout_s"),
                     help="Seconds the LLM may take for an answer before the extractive one is given (default 30)."),
        click.option("--reader/--no-reader", "reader", default=None, expose_value=False, callback=_remember("reader"),
                     help="Read the evidence for a short answer and whether it answers at all (default on); "
                          "--no-reader gives the previous release's rule-based short answers."),
        click.option("--reader-weights", type=click.Path(file_okay=False, exists=True), default=None,
                     expose_value=False, callback=_reader_weights, metavar="DIR",
                     help="Read with the reader in DIR (as `qa train reader --out DIR` writes it) instead of the "
                          "shipped one."),
        click.option("--answerer", type=click.Choice(ANSWERERS), default=None, expose_value=False,
                     callback=_remember("answerer"),
                     help="extractive (quotes), llm (generated and verified), auto (llm when --llm is given; "
                          "the default)."),
    ]):
        f = option(f)
    return f
