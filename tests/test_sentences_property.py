"""Property: whatever the text, every sentence is exactly `text[start:end]`, in order, trimmed, and
together the sentences cover every visible character."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import sentences as sentences_module
from index.sentences import MAX_SENTENCE_CHARS, split_sentences

pytestmark = pytest.mark.timeout(180)

PIECES = [
    "U.S.", "Dr.", "Jan.", "Gen.", "e.g.", "3.5", "$1.2bn", "...", "?!", "!", "?", ".", ",", ";", "—", "-",
    "\"", "'", "(", ")", "«", "»", "“", "”", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\u00a0", "\u200b",
    "Mr. Smith", "said", "The", "rain", "fell", "in", "Paris", "مرحبا بالعالم", "שלום", "😀", "👩‍👩‍👧",
    "e\u0301", "ﬁ", "İstanbul", "ß", "x" * 60, "Word" * 40,
]

texts = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=80).map("".join),
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=60).map(" ".join),
)


def _check(text: str) -> None:
    found = split_sentences("a", text)
    covered = [False] * len(text)
    previous_end = 0
    for i, s in enumerate(found):
        assert s.index == i
        assert text[s.start : s.end] == s.text
        assert previous_end <= s.start < s.end <= len(text)
        assert not s.text[0].isspace() and not s.text[-1].isspace()
        assert len(s.text) <= MAX_SENTENCE_CHARS
        previous_end = s.end
        for j in range(s.start, s.end):
            covered[j] = True
    missed = [ch for ch, c in zip(text, covered) if not c and not ch.isspace()]
    assert missed == [], f"characters outside every sentence: {missed[:10]}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_offsets_hold_for_any_text(text: str) -> None:
    _check(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.integers(min_value=8, max_value=200))
def test_offsets_hold_when_long_lines_are_cut_into_windows(text: str, window: int) -> None:
    old = sentences_module.PUNKT_WINDOW
    sentences_module.PUNKT_WINDOW = window  # exercise the windowing that huge lines get
    try:
        _check(text * 3)
    finally:
        sentences_module.PUNKT_WINDOW = old
