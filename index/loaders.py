"""Read article files (.txt .md .html .json .jsonl) into `Article`s, naming every bad input."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

from index.models import Article, LoadProblem

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl")
_SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_BLANKS = re.compile(r"[ \t\f\v\r\u00a0]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")  # control characters but tab and newline


@dataclass(frozen=True)
class Limits:
    """Input limits; every front end passes the same ones."""

    max_file_bytes: int = 20_000_000
    max_article_chars: int = 2_000_000
    max_article_sentences: int = 20_000  # bounds one article's splitting, embedding and storage work
    max_files: int = 100_000


def content_hash(text: str) -> str:
    """Short hash of an article's text: equal text, equal hash."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def article_id_for(identity: str) -> str:
    """Article id: a given safe id as is, anything else hashed."""
    if _SAFE_ID.fullmatch(identity) and not identity.startswith("."):
        return identity
    return hashlib.sha1(identity.encode("utf-8")).hexdigest()[:16]


def derive_title(text: str, limit: int = 80) -> str:
    """A title for an untitled article: its first sentence or line, shortened at a word."""
    from index.sentences import sentence_spans

    spans = sentence_spans(text[:2000])
    first = text[spans[0][0] : spans[0][1]] if spans else text.strip()
    first = " ".join(first.split())
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0].rstrip(",;:-")
    return (cut or first[:limit]) + "…"


def decode(data: bytes) -> str:
    """Bytes -> text: UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValueError(f"is not valid UTF-16 ({exc.reason} at byte {exc.start})") from None
    if b"\x00" in data[:8192]:
        raise ValueError("looks binary (it holds NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise ValueError("holds NUL characters, not text")
    return text


def normalise(text: str) -> str:
    """Unify line ends and drop control characters; keep everything a reader sees."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return text.strip()


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page: blocks become lines, script/style are dropped."""

    _BLOCKS = {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
        "section", "article", "header", "footer", "blockquote", "pre", "figcaption", "dd", "dt", "hr",
    }
    _HIDDEN = {"script", "style", "noscript", "template", "svg", "iframe"}
    _HEAD_ONLY = {"head", "title", "meta", "link", "style", "script", "base", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.h1 = ""
        self._hidden = 0
        self._in_title = False
        self._in_h1 = False
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "title":
            self._in_title = False  # a title holds no tags: an unclosed one ends at the next tag
        if tag == "head":
            self._in_head = True
        elif tag not in self._HEAD_ONLY:
            self._in_head = False  # as browsers do: <body> or any body element closes an unclosed <head>
        if tag == "title":
            self._in_title = True
        elif tag in self._HIDDEN:
            self._hidden += 1
        elif tag == "h1":
            self._in_h1 = True
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        if tag == "title":
            self._in_title = False
        elif tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "h1":
            self._in_h1 = False
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._hidden and not self._in_head:
            if self._in_h1:
                self.h1 += data
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, str]:
    """Return (title, visible text) of an HTML document."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (_BLANKS.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    text = "\n".join(line for line in lines if line)
    title = " ".join((parser.title or parser.h1).split())
    return title, text


def _article(identity: str, text: str, *, title: str = "", source: str, url: str = "",
             published_at: str = "") -> Article:
    text = normalise(text)
    return Article(
        id=article_id_for(identity),
        title=" ".join(title.split()) or derive_title(text),
        text=text,
        source=source,
        url=url,
        published_at=published_at,
        content_hash=content_hash(text),
    )


def _check_text(text: str, limits: Limits) -> str | None:
    if not any(ch.isalnum() for ch in text):
        return "has no text"
    if len(text) > limits.max_article_chars:
        return f"is too long ({len(text):,} characters; the limit is {limits.max_article_chars:,})"
    return None


def _from_record(record: object, path: str, line: int | None, limits: Limits) -> Article | LoadProblem:
    if not isinstance(record, dict):
        return LoadProblem(path, "expected a JSON object with a 'text' or 'body' field", line)
    text = record.get("text", record.get("body"))
    if not isinstance(text, str):
        return LoadProblem(path, "has no 'text' or 'body' string field", line)
    text = normalise(text)
    if problem := _check_text(text, limits):
        return LoadProblem(path, f"article text {problem}", line)
    fields = {}
    for name in ("title", "url", "source", "published_at", "date", "id"):
        value = record.get(name)
        if value is not None and not isinstance(value, (str, int, float)):
            return LoadProblem(path, f"field '{name}' must be a string", line)
        fields[name] = "" if value is None else str(value)
    where = f"{path}:{line}" if line is not None else path
    identity = fields["id"] or fields["url"] or where
    return _article(
        identity, text, title=fields["title"], source=fields["source"] or Path(path).name,
        url=fields["url"], published_at=fields["published_at"] or fields["date"],
    )


def parse_bytes(name: str, data: bytes, *, identity: str | None = None,
                limits: Limits = Limits()) -> list[Article | LoadProblem]:
    """Parse one file's bytes by its extension. `identity` defaults to `name`."""
    identity = identity or name
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        return [LoadProblem(name, f"unsupported file type '{suffix or '(none)'}'; use {', '.join(SUPPORTED)}")]
    if len(data) > limits.max_file_bytes:
        return [LoadProblem(name, f"is too large ({len(data):,} bytes; the limit is {limits.max_file_bytes:,})")]
    if not data.strip():
        return [LoadProblem(name, "is empty")]
    try:
        raw = decode(data)
    except ValueError as exc:
        return [LoadProblem(name, str(exc))]
    if suffix == ".jsonl":
        out: list[Article | LoadProblem] = []
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                out.append(LoadProblem(name, f"is not valid JSON ({getattr(exc, 'msg', 'too deeply nested')})", number))
                continue
            out.append(_from_record(record, name, number, limits))
        return out or [LoadProblem(name, "holds no JSON lines")]
    if suffix == ".json":
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            return [LoadProblem(name, f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})")]
        except RecursionError:
            return [LoadProblem(name, "is not valid JSON (nested too deeply)")]
        records = parsed if isinstance(parsed, list) else [parsed]
        if not records:
            return [LoadProblem(name, "holds an empty JSON list")]
        if len(records) == 1:
            return [_from_record(records[0], name, None, limits)]
        return [_from_record(r, name, i, limits) for i, r in enumerate(records, start=1)]
    title = ""
    if suffix in (".html", ".htm"):
        title, raw = html_to_text(raw)
    text = normalise(raw)
    if suffix in (".md", ".markdown"):
        heading = re.match(r"#\s+(.+)", text)
        title = heading.group(1).strip() if heading else ""
    if problem := _check_text(text, limits):
        return [LoadProblem(name, problem)]
    return [_article(identity, text, title=title, source=Path(name).name)]


def walk(paths: list[str | Path], limits: Limits = Limits()) -> Iterator[Path | LoadProblem]:
    """Every file under the given paths, recursively, each once; symlink loops are not followed."""
    seen: set[str] = set()
    count = 0
    for root in paths:
        root = Path(root)
        if not root.exists():
            yield LoadProblem(str(root), "does not exist")
            continue
        if root.is_file():
            candidates: Iterator[Path] = iter([root])
        else:
            candidates = _walk_dir(root)
        for path in candidates:
            try:
                real = os.path.realpath(path)
            except OSError:
                real = str(path)
            if real in seen:
                continue
            seen.add(real)
            count += 1
            if count > limits.max_files:
                yield LoadProblem(str(root), f"holds more than {limits.max_files:,} files; ingest it in parts")
                return
            yield path


def _walk_dir(root: Path) -> Iterator[Path]:
    visited: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in visited:
            dirnames[:] = []
            continue
        visited.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def load(paths: list[str | Path], limits: Limits = Limits()) -> Iterator[Article | LoadProblem]:
    """Articles from files and folders, and a `LoadProblem` for each input that is not one."""
    for item in walk(paths, limits):
        if isinstance(item, LoadProblem):
            yield item
            continue
        name = str(item)
        if item.suffix.lower() not in SUPPORTED:
            yield LoadProblem(name, f"unsupported file type '{item.suffix or '(none)'}'; use {', '.join(SUPPORTED)}")
            continue
        try:
            size = item.stat().st_size
            if size > limits.max_file_bytes:
                yield LoadProblem(name, f"is too large ({size:,} bytes; the limit is {limits.max_file_bytes:,})")
                continue
            data = item.read_bytes()
        except OSError as exc:
            yield LoadProblem(name, f"cannot be read ({exc.strerror or exc})")
            continue
        yield from parse_bytes(name, data, identity=os.path.abspath(name), limits=limits)
