"""Read article files (.txt .md .html .json .jsonl) into `Article`s, naming every bad input.

.json and .jsonl archives are streamed record by record (`index.records`); other files hold one
article each and are read whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Sequence

from index.dates import BadDate, as_published, date_from_url
from index.models import Article, LoadProblem
from index.records import HEAD_BYTES, FileProblem, Record, json_records, jsonl_records, utf8_chunks

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl")
STREAMED = (".json", ".jsonl")  # archives: read record by record, never whole
CHUNK_BYTES = 1 << 20
_SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_BLANKS = re.compile(r"[ \t\f\v\r\u00a0]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")  # control characters but tab and newline


@dataclass(frozen=True)
class Limits:
    """Input limits; every front end passes the same ones."""

    max_file_bytes: int = 20_000_000  # a file read whole: .txt .md .html, and any upload (`parse_bytes`)
    max_archive_bytes: int = 4_000_000_000  # a .json or .jsonl file read from disk (streamed)
    max_record_bytes: int | None = None  # one JSONL line or JSON list item; None: see `record_bytes`
    max_article_chars: int = 2_000_000
    max_article_sentences: int = 20_000  # bounds one article's splitting, embedding and storage work
    max_files: int = 100_000
    max_title_chars: int = 1_000  # an article's metadata: longer is refused, naming the field
    max_source_chars: int = 300  # (a file name, a source's default, is at most 255 bytes on disk)
    max_url_chars: int = 2_048  # (the sitemaps protocol's limit)
    max_date_chars: int = 100  # a longer date is no date: indexed without one, as a bad date is

    @property
    def record_bytes(self) -> int:
        """Largest record read: `max_record_bytes`, else 4 bytes per allowed character plus 64 KiB of fields."""
        return self.max_record_bytes if self.max_record_bytes is not None else 4 * self.max_article_chars + 65_536


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
             published_at: str = "", path: str = "", line: int | None = None, original: bool = False) -> Article:
    text = normalise(text)
    return Article(
        id=article_id_for(identity),
        title=" ".join(title.split()) or derive_title(text),
        text=text,
        source=source,
        url=url,
        published_at=published_at,
        content_hash=content_hash(text),
        original=original,
        path=path,
        line=line,
    )


def _check_text(text: str, limits: Limits) -> str | None:
    if not any(ch.isalnum() for ch in text):
        return "has no text"
    if len(text) > limits.max_article_chars:
        return f"is too long ({len(text):,} characters; the limit is {limits.max_article_chars:,})"
    return None


def _check_metadata(article: Article, limits: Limits, *, file_source: bool = False) -> str | None:
    """What is too long in an article's title, source or url, or None."""
    for name, value, limit in (("title", article.title, limits.max_title_chars),
                               ("source", article.source, limits.max_source_chars),
                               ("url", article.url, limits.max_url_chars)):
        if len(value) > limit:
            what = "source (its file name)" if name == "source" and file_source else name
            return f"article {what} is too long ({len(value):,} characters; the limit is {limit:,})"
    return None


def _given_id(record: dict) -> str | None:
    """The record's own `id`, shortened to one line, for naming it in a problem."""
    value = record.get("id")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = " ".join(str(value).split())
    return (text[:80] + "…" if len(text) > 80 else text) or None


_ID_FIELD = re.compile(rb'"id"\s*:\s*("(?:[^"\\\n]|\\.){1,400}"|-?\d{1,40})')


def _sniffed_id(data: bytes) -> str | None:
    """The `id` of a record that cannot be parsed (too large, bad JSON), if its bytes show one early."""
    found = _ID_FIELD.search(data[:HEAD_BYTES])
    if found is None:
        return None
    try:
        value = json.loads(found.group(1).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return _given_id({"id": value})


def _from_record(record: object, path: str, line: int | None, limits: Limits) -> Article | LoadProblem:
    if not isinstance(record, dict):
        return LoadProblem(path, "expected a JSON object with a 'text' or 'body' field", line)
    given = _given_id(record)
    text = record.get("text", record.get("body"))
    if not isinstance(text, str):
        return LoadProblem(path, "has no 'text' or 'body' string field", line, given)
    text = normalise(text)
    if problem := _check_text(text, limits):
        return LoadProblem(path, f"article text {problem}", line, given)
    fields = {}
    for name in ("title", "url", "source", "published_at", "date", "id"):
        value = record.get(name)
        if value is not None and not isinstance(value, (str, int, float)):
            return LoadProblem(path, f"field '{name}' must be a string", line, given)
        fields[name] = "" if value is None else str(value)
    where = f"{path}:{line}" if line is not None else path
    identity = fields["id"] or fields["url"] or where
    field_name = "published_at" if record.get("published_at") not in (None, "") else "date"
    published, date_problem = _published(record.get(field_name), field_name, fields["url"], limits)
    article = _article(
        identity, text, title=fields["title"], source=fields["source"] or Path(path).name,
        url=fields["url"], published_at=published, path=path, line=line,
        original=record.get("original") is True,
    )
    if problem := _check_metadata(article, limits, file_source=not fields["source"]):
        return LoadProblem(path, problem, line, given)
    return replace(article, date_problem=date_problem) if date_problem else article


def _published(value: object, field_name: str, url: str, limits: Limits) -> tuple[str, str]:
    """(the publication date, in the zone it names (`as_published`), or ''; the problem with the given one or '')."""
    if value is None or value == "":
        return date_from_url(url), ""
    if len(str(value)) > limits.max_date_chars:
        return "", (f"field '{field_name}' is too long for a date ({len(str(value)):,} characters; the limit is "
                    f"{limits.max_date_chars:,}); the article is indexed without a date")
    try:
        return as_published(value), ""  # type: ignore[arg-type]
    except BadDate as exc:
        return "", f"field '{field_name}': {exc}; the article is indexed without a date"


def _from_json(record: Record, path: str, limits: Limits) -> Article | LoadProblem:
    """One JSONL line or JSON list item -> an article, or the one problem it has."""
    if record.data is None:
        return LoadProblem(path, f"record is too large ({record.size:,} bytes; the limit is {limits.record_bytes:,})",
                           record.number, _sniffed_id(record.head))
    try:
        raw = record.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LoadProblem(path, f"is not UTF-8 text (byte 0x{record.data[exc.start]:02x} at offset {exc.start} "
                                 "of the record); save it as UTF-8", record.number, _sniffed_id(record.data))
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as exc:
        where = f"column {exc.colno}" if exc.lineno == 1 else f"line {exc.lineno} column {exc.colno}"
        return LoadProblem(path, f"is not valid JSON ({exc.msg}: {where})", record.number, _sniffed_id(record.data))
    except RecursionError:
        return LoadProblem(path, "is not valid JSON (nested too deeply)", record.number, _sniffed_id(record.data))
    return _from_record(parsed, path, record.number, limits)


def _records(name: str, suffix: str, chunks: Iterable[bytes], limits: Limits) -> Iterator[Article | LoadProblem]:
    """The articles of a .json or .jsonl stream, and one problem per bad record (or for the file)."""
    read = jsonl_records if suffix == ".jsonl" else json_records
    empty = True
    try:
        for record in read(utf8_chunks(chunks), limits.record_bytes):
            empty = False
            item = _from_json(record, name, limits)
            if isinstance(item, Article) and item.date_problem:
                yield LoadProblem(name, item.date_problem, item.line, item.id, severity="warning")
            yield item
    except FileProblem as exc:
        yield LoadProblem(name, str(exc))
        return
    if empty:
        yield LoadProblem(name, "is empty")


def _document(name: str, data: bytes, identity: str, suffix: str, limits: Limits) -> Article | LoadProblem:
    """A .txt, .md or .html file: one article."""
    try:
        raw = decode(data)
    except ValueError as exc:
        return LoadProblem(name, str(exc))
    title = ""
    if suffix in (".html", ".htm"):
        title, raw = html_to_text(raw)
    text = normalise(raw)
    if suffix in (".md", ".markdown"):
        heading = re.match(r"#\s+(.+)", text)
        title = heading.group(1).strip() if heading else ""
    if problem := _check_text(text, limits):
        return LoadProblem(name, problem)
    article = _article(identity, text, title=title, source=Path(name).name, path=name)
    if problem := _check_metadata(article, limits, file_source=True):
        return LoadProblem(name, problem)
    return article


def _unsupported(name: str, suffix: str) -> LoadProblem:
    return LoadProblem(name, f"unsupported file type '{suffix or '(none)'}'; use {', '.join(SUPPORTED)}")


def parse_bytes(name: str, data: bytes, *, identity: str | None = None,
                limits: Limits = Limits()) -> list[Article | LoadProblem]:
    """Parse one file's bytes (an upload) by its extension. `identity` defaults to `name`."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        return [_unsupported(name, suffix)]
    if len(data) > limits.max_file_bytes:
        return [LoadProblem(name, f"is too large ({len(data):,} bytes; the limit is {limits.max_file_bytes:,})")]
    if not data.strip():
        return [LoadProblem(name, "is empty")]
    if suffix in STREAMED:
        return list(_records(name, suffix, [data], limits))
    return [_document(name, data, identity or name, suffix, limits)]


def walk(paths: Sequence[str | Path], limits: Limits = Limits()) -> Iterator[Path | LoadProblem]:
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


class Loader:
    """Articles from files and folders, and a `LoadProblem` for each input (file or record) that is not one.

    Archives stream: memory stays bounded by the largest record, not the file. `bytes_read` of
    `bytes_total` says how far it has got (the files are walked, and sized, when iteration starts).
    """

    def __init__(self, paths: Sequence[str | Path], limits: Limits = Limits()) -> None:
        self.paths = list(paths)
        self.limits = limits
        self.bytes_read = 0
        self.bytes_total = 0

    def __iter__(self) -> Iterator[Article | LoadProblem]:
        found = [(item, _size(item)) for item in walk(self.paths, self.limits)]
        self.bytes_total = sum(size for item, size in found if isinstance(size, int) and self._cap(item) >= size)
        for item, size in found:
            if isinstance(item, LoadProblem):
                yield item
            elif isinstance(size, OSError):
                yield LoadProblem(str(item), f"cannot be read ({size.strerror or size})")
            elif size is not None:
                yield from self._file(item, size)

    def _cap(self, item: Path | LoadProblem) -> int:
        """The byte limit for a file (-1: not read at all)."""
        if isinstance(item, LoadProblem) or item.suffix.lower() not in SUPPORTED:
            return -1
        return self.limits.max_archive_bytes if item.suffix.lower() in STREAMED else self.limits.max_file_bytes

    def _file(self, path: Path, size: int) -> Iterator[Article | LoadProblem]:
        name, suffix, cap = str(path), path.suffix.lower(), self._cap(path)
        if cap < 0:
            yield _unsupported(name, path.suffix)
            return
        if size > cap:
            yield LoadProblem(name, f"is too large ({size:,} bytes; the limit is {cap:,})")
            return
        try:
            with path.open("rb") as f:
                if suffix in STREAMED:
                    yield from _records(name, suffix, self._chunks(f), self.limits)
                    return
                data = f.read(cap + 1)
                self.bytes_read += len(data)
        except OSError as exc:
            yield LoadProblem(name, f"cannot be read ({exc.strerror or exc})")
            return
        yield from parse_bytes(name, data, identity=os.path.abspath(name), limits=self.limits)

    def _chunks(self, f: BinaryIO) -> Iterator[bytes]:
        while chunk := f.read(CHUNK_BYTES):
            self.bytes_read += len(chunk)
            yield chunk


def _size(item: Path | LoadProblem) -> int | OSError | None:
    if isinstance(item, LoadProblem):
        return None
    try:
        return item.stat().st_size
    except OSError as exc:
        return exc


def load(paths: Sequence[str | Path], limits: Limits = Limits()) -> Loader:
    """Articles from files and folders, and a `LoadProblem` for each input that is not one (see `Loader`)."""
    return Loader(paths, limits)
