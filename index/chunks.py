"""Group an article's sentences into overlapping, sentence-aligned chunks."""

from __future__ import annotations

from index.models import Chunk, Sentence

CHUNK_SENTENCES = 4
CHUNK_OVERLAP = 1
CHUNK_MAX_CHARS = 1000  # about 250 word pieces: the encoder's window is 256


def make_chunks(text: str, sentences: list[Sentence], *, size: int = CHUNK_SENTENCES,
                overlap: int = CHUNK_OVERLAP, max_chars: int = CHUNK_MAX_CHARS) -> list[Chunk]:
    """Windows of up to `size` sentences (and `max_chars`), consecutive windows sharing `overlap`."""
    if size < 1 or not 0 <= overlap < size:
        raise ValueError("chunk size must be >= 1 and overlap in [0, size)")
    chunks: list[Chunk] = []
    first = 0
    while first < len(sentences):
        last = first
        while (
            last + 1 < len(sentences)
            and last + 1 - first < size
            and sentences[last + 1].end - sentences[first].start <= max_chars
        ):
            last += 1
        start, end = sentences[first].start, sentences[last].end
        chunks.append(Chunk(sentences[first].article_id, len(chunks), first, last, text[start:end]))
        if last + 1 >= len(sentences):
            break
        first = max(first + 1, last + 1 - overlap)
    return chunks
