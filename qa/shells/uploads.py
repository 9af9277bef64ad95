"""Articles sent to POST /api/articles: read as (file name, bytes) for `QA.ingest_uploads`, each file's outcome back."""

from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING, Any

from fastapi import Request

from qa.errors import SourcedError
from qa.shells.http_errors import ApiError
from qa.shells.report import outcomes

if TYPE_CHECKING:
    from index.models import IngestReport
    from qa.engine import QA

MAX_FILES = 100

OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
            "application/json": {"schema": {"oneOf": [
                {"$ref": "#/components/schemas/ArticleIn"},
                {"type": "array", "items": {"$ref": "#/components/schemas/ArticleIn"}},
            ]}},
        },
    },
}
ARTICLE_SCHEMA = {
    "type": "object", "required": ["text"],
    "properties": {name: {"type": "string"} for name in ("text", "title", "source", "url", "published_at", "id")},
}


async def read_upload(request: Request, limit: int) -> list[tuple[str, bytes]]:
    """The files of a multipart upload or the articles of a JSON body, each at most `limit` bytes."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit * MAX_FILES:
        raise ApiError(413, f"The upload is too large (the limit is {limit:,} bytes per file).")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        return await _files(request, limit)
    if kind == "application/json":
        return _json_articles(await _json_body(request, limit))
    raise ApiError(415, "Send multipart/form-data with a 'files' field, or application/json articles.")


async def _files(request: Request, limit: int) -> list[tuple[str, bytes]]:
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
    except Exception:  # noqa: BLE001 - starlette raises several kinds for broken multipart bodies
        raise ApiError(400, "The multipart body could not be read.") from None
    uploads = [v for _, v in form.multi_items() if not isinstance(v, str)]
    if not uploads:
        raise ApiError(422, "No files in the upload: send them in a multipart field named 'files'.")
    items = []
    for up in uploads:
        name = os.path.basename(up.filename or "upload.txt")
        if up.size is not None and up.size > limit:
            raise ApiError(413, f"{name} is too large ({up.size:,} bytes; the limit is {limit:,}).")
        data = await up.read(limit + 1)
        if len(data) > limit:
            raise ApiError(413, f"{name} is too large (the limit is {limit:,} bytes).")
        items.append((name, data))
    return items


async def _json_body(request: Request, limit: int) -> Any:
    data = bytearray()
    async for part in request.stream():
        data += part
        if len(data) > limit:
            raise ApiError(413, f"The JSON body is too large (the limit is {limit:,} bytes).")
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "The request body is not valid JSON.") from None


def _json_articles(parsed: Any) -> list[tuple[str, bytes]]:
    """Each article object (or list item) as a .json file named by its id, or by a digest of its content."""
    if isinstance(parsed, dict) and isinstance(parsed.get("articles"), list):
        parsed = parsed["articles"]
    records = parsed if isinstance(parsed, list) else [parsed]
    if not records:
        raise ApiError(422, "No articles in the request.")
    items = []
    for i, record in enumerate(records, start=1):
        try:
            raw = json.dumps(record, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise ApiError(422, f"Article {i} is not valid Unicode text (it holds a lone surrogate).") from None
        ident = record.get("id") if isinstance(record, dict) else None
        name = f"{ident}.json" if isinstance(ident, str) and ident else \
            f"article-{hashlib.sha1(raw).hexdigest()[:12]}.json"
        if not isinstance(record, dict):
            name = f"article {i}.json"
        items.append((name, raw))
    return items


def ingest_files(engine: QA, items: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    """Index the files of one request in one commit; what became of each (see `file_result`)."""
    try:
        reports = engine.ingest_uploads(items)
    except SourcedError as exc:
        return [{"file": name, "ok": False, "articles": [], "errors": [str(exc)], "warnings": []} for name, _ in items]
    return [file_result(name, report) for (name, _), report in zip(items, reports)]


def file_result(name: str, report: IngestReport) -> dict[str, Any]:
    """What became of one file: {file, ok, articles: [{id, status, warnings?}], errors, warnings}.

    `errors` name the records that were not indexed; `warnings` the faults of articles indexed all the same
    (an unreadable date), each also under its article (the key only when it has some). `ok`: every record
    of the file was indexed.
    """
    warned: dict[str, list[str]] = {}
    for p in report.warnings:
        warned.setdefault(p.article_id or "", []).append(str(p))
    articles = [{"id": article_id, "status": outcome, **({"warnings": warned[article_id]} if article_id in warned else {})}
                for outcome, article_id in outcomes(report)]
    errors = [str(p) for p in report.failures]
    return {"file": name, "ok": bool(articles) and not errors, "articles": articles, "errors": errors,
            "warnings": [str(p) for p in report.warnings]}
