"""Request shapes more than one door takes (the JSON API, the OpenAI-compatible chat, the MCP tools): the options of
`qa.options.AskOptions` are spelled here once (`AskFields`, and the annotated types the MCP tools take)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qa.options import K_HELP, MAX_K, MIN_K, USE_TIME_HELP


def lone_surrogate(value: Any) -> str | None:
    """The path ('messages.0.content') of the first string in a JSON value, key or value, that is not valid
    Unicode (it holds a lone surrogate, as `"\\ud800"` in JSON gives), else None."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return path or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and lone_surrogate(key):
                    return "a field name"
                stack.append((name, child))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{path}.{i}" if path else str(i), child) for i, child in enumerate(item))
    return None


class RequestBody(BaseModel):
    """A request body: every string in it valid Unicode, else a validation error naming where."""

    @model_validator(mode="before")
    @classmethod
    def _unicode(cls, data: Any) -> Any:
        found = lone_surrogate(data)
        if found:
            shown = found if len(found) <= 80 else found[:80] + "…"
            raise ValueError(f"'{shown}' is not valid Unicode text (it holds a lone surrogate)")
        return data


class Filters(BaseModel):
    """Limit retrieval to some articles or sources."""

    model_config = ConfigDict(extra="forbid")
    article_ids: list[str] | None = Field(None, description="Only these article ids.")
    sources: list[str] | None = Field(None, description="Only articles from these sources (or with these titles).")
    exclude_article_ids: list[str] | None = Field(None, description="Never these article ids.")
    published_after: str | float | None = Field(
        None, description="Only articles published at or after this date (ISO 8601, 2024/04/12, epoch seconds).",
        examples=["2024-04-01"])
    published_before: str | float | None = Field(None, description="Only articles published before this date.")


AS_OF_HELP = ("The day the question is asked (ISO 8601, 2024/04/12 or epoch seconds; default: now): 'this week' and "
              "'latest' are read against it; articles published after it are not searched.")
ANSWERER_HELP = ("extractive: quoted sentences; llm: written by the server's LLM, every sentence verified against its "
                 "citations (extractive, with a warning, when that fails); auto (the default): llm when the server "
                 "was started with one.")
K = Annotated[int | None, Field(ge=MIN_K, le=MAX_K, description=K_HELP)]
AsOf = Annotated[str | float | None, Field(description=AS_OF_HELP, examples=["2024-04-12"])]
Answerer = Annotated[Literal["auto", "extractive", "llm"] | None, Field(description=ANSWERER_HELP)]
UseTime = Annotated[bool | None, Field(description=USE_TIME_HELP)]
ASK_FIELDS = ("k", "filters", "as_of", "answerer", "use_time")  # every option but `history`, whose shape each door has


class AskFields(BaseModel):
    """The options every JSON door takes beside the question (`qa.options.AskOptions`; `history` is each door's)."""

    model_config = ConfigDict(extra="forbid")
    k: K = None
    filters: Filters | None = None
    as_of: AsOf = None
    answerer: Answerer = None
    use_time: UseTime = None
