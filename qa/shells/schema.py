"""Request shapes more than one door takes (the JSON API, the OpenAI-compatible chat, the MCP tools)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
