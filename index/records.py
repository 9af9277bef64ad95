"""JSON Lines and JSON lists read record by record from a stream of bytes, in bounded memory.

Records are cut apart by ASCII bytes alone (newlines; quotes, brackets and commas), which never occur
inside a UTF-8 multi-byte character: nothing is decoded until a record is whole, so one badly encoded
record is refused on its own. A record over the byte limit is skipped as it is read, never held.
"""

from __future__ import annotations

import codecs
import itertools
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from index.errors import SourcedError

SNIFF_BYTES = 8192  # how much of a file is looked at to tell binary and UTF-16 from UTF-8
HEAD_BYTES = 4096  # kept of a record over the limit, so its problem can name the article's id
_STRUCTURE = re.compile(rb'["\[\]{},]')
_STRING_BODY = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.S)  # up to a closing quote or a trailing backslash
_SPACE = re.compile(rb"[ \t\r\n]*")
_QUOTE, _COMMA, _OPEN_LIST, _CLOSE_LIST = b'"'[0], b","[0], b"["[0], b"]"[0]
_OPENERS, _CLOSERS = frozenset(b"[{"), frozenset(b"]}")


class FileProblem(SourcedError, ValueError):
    """A problem with a whole file; its message completes '<file> ...'."""


@dataclass(frozen=True)
class Record:
    """One JSONL line or JSON list item: its bytes, or None when it is larger than the limit."""

    number: int | None  # line (JSONL) or item (JSON list), from 1; None when the file is one record
    data: bytes | None
    size: int  # bytes
    head: bytes = b""  # the first HEAD_BYTES of a record over the limit


def utf8_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The stream as UTF-8: a UTF-8 BOM dropped, UTF-16 with a BOM transcoded, binary refused."""
    rest = iter(chunks)
    first = b""
    for chunk in rest:
        first += chunk
        if len(first) >= SNIFF_BYTES:
            break
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        decoder = codecs.getincrementaldecoder("utf-16")()
        try:
            for chunk in itertools.chain([first], rest):
                yield decoder.decode(chunk).encode("utf-8")
            yield decoder.decode(b"", final=True).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileProblem(f"is not valid UTF-16 ({exc.reason})") from None
        return
    if b"\x00" in first[:SNIFF_BYTES]:
        raise FileProblem("looks binary (it holds NUL bytes), not text")
    yield first.removeprefix(codecs.BOM_UTF8)
    yield from rest


def jsonl_records(chunks: Iterable[bytes], limit: int) -> Iterator[Record]:
    """The non-blank lines of a JSON Lines stream; a line over `limit` bytes is counted, not kept."""
    number = 0
    parts: list[bytes] = []
    size = 0
    head = b""
    for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            size += len(piece)
            if size <= limit:
                parts.append(piece)
            elif not head:
                head = (b"".join(parts) + piece)[:HEAD_BYTES]
                parts.clear()
            if end < 0:
                break
            number += 1
            if record := _line(number, parts, size, limit, head):
                yield record
            parts, size, head = [], 0, b""
            start = end + 1
    if size and (record := _line(number + 1, parts, size, limit, head)):
        yield record


def _line(number: int, parts: list[bytes], size: int, limit: int, head: bytes) -> Record | None:
    if size > limit:
        return Record(number, None, size, head)
    data = b"".join(parts)
    return Record(number, data, size) if data.strip() else None


class _Buffer:
    """The bytes of a stream read so far, minus those dropped from the front."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self.data = bytearray()
        self.dropped = 0  # bytes dropped before data[0]

    def more(self) -> bool:
        """Read the next chunk; False at the end of the stream."""
        chunk = next(self._chunks, None)
        if chunk is None:
            return False
        self.data += chunk
        return True

    def drop(self, upto: int) -> None:
        """Forget data[:upto] (positions into data shift down by `upto`)."""
        del self.data[:upto]
        self.dropped += upto

    def skip_space(self, pos: int) -> int:
        """The position of the next non-space byte at or after `pos` (len(data) at the end)."""
        while True:
            pos = _SPACE.match(self.data, pos).end()  # type: ignore[union-attr]  # always matches
            if pos < len(self.data) or not self.more():
                return pos


def json_records(chunks: Iterable[bytes], limit: int) -> Iterator[Record]:
    """The items of a JSON list one at a time, or a file's one JSON value; an item over `limit` bytes is skipped."""
    buf = _Buffer(chunks)
    pos = buf.skip_space(0)
    if pos == len(buf.data):
        raise FileProblem("is empty")
    if buf.data[pos] != _OPEN_LIST:
        yield _whole(buf, pos, limit)
        return
    pos = buf.skip_space(pos + 1)
    if pos < len(buf.data) and buf.data[pos] == _CLOSE_LIST:
        raise FileProblem("holds an empty JSON list")
    number = 0
    while True:
        if pos > SNIFF_BYTES * 128:  # keep the buffer about one chunk long
            buf.drop(pos)
            pos = 0
        number += 1
        record, pos = _item(buf, pos, limit, number)
        pos = buf.skip_space(pos)
        after = buf.data[pos] if pos < len(buf.data) else None
        if after == _CLOSE_LIST and number == 1:
            record = Record(None, record.data, record.size)  # a one-item list is one record, as a bare object
        yield record
        if after == _COMMA:
            pos = buf.skip_space(pos + 1)
            continue
        if after is None:
            raise FileProblem(f"is not valid JSON (the file ends after item {number}, before the list's closing ']')")
        if after != _CLOSE_LIST:
            raise FileProblem(f"is not valid JSON (expected ',' or ']' after item {number})")
        if buf.skip_space(pos + 1) < len(buf.data):
            raise FileProblem("is not valid JSON (text after the list's closing ']')")
        return


def _whole(buf: _Buffer, pos: int, limit: int) -> Record:
    """The rest of the stream as one record."""
    while len(buf.data) - pos <= limit and buf.more():
        pass
    if len(buf.data) - pos <= limit:
        return Record(None, bytes(buf.data[pos:]).rstrip(), len(buf.data) - pos)
    start = buf.dropped + pos
    head = bytes(buf.data[pos : pos + HEAD_BYTES])
    while True:
        buf.drop(len(buf.data))
        if not buf.more():
            return Record(None, None, buf.dropped - start, head)


def _item(buf: _Buffer, pos: int, limit: int, number: int) -> tuple[Record, int]:
    """The list item starting at `pos`, and the position just after it."""
    data = buf.data
    start = buf.dropped + pos
    depth = 0
    in_string = over = False
    head = b""
    while True:
        end = None
        if in_string:
            pos = _STRING_BODY.match(data, pos).end()  # type: ignore[union-attr]  # always matches
            if pos < len(data) and data[pos] == _QUOTE:
                pos += 1
                in_string = False
                end = pos if depth == 0 else None
            else:
                end = -1  # the string goes on past what has been read
        else:
            found = _STRUCTURE.search(data, pos)
            if found is None:
                pos, end = len(data), -1
            else:
                at, byte = found.start(), data[found.start()]
                pos = at + 1
                if byte == _QUOTE:
                    in_string = True
                elif byte in _OPENERS:
                    depth += 1
                elif depth == 0:  # a comma or the list's closing bracket ends a bare value
                    pos = end = at
                elif byte in _CLOSERS:
                    depth -= 1
                    end = pos if depth == 0 else None
        if end is None:
            continue
        if end >= 0:
            break
        if over:
            buf.drop(pos)
            pos = 0
        elif buf.dropped + len(data) - start > limit:
            over = True
            head = bytes(data[start - buf.dropped : start - buf.dropped + HEAD_BYTES])
            buf.drop(pos)
            pos = 0
        if not buf.more():
            if in_string or depth:
                raise FileProblem(f"is not valid JSON (the file ends inside item {number})")
            pos = end = len(data)
            break
    size = buf.dropped + end - start
    if over or size > limit:
        return Record(number, None, size, head or bytes(data[start - buf.dropped :][:HEAD_BYTES])), pos
    return Record(number, bytes(data[start - buf.dropped : end]).strip(), size), pos
