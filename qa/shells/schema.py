"""Request shapes more than one door takes (the JSON API, the OpenAI-compatible chat, the MCP tools)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


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
