"""The question-vector cache both encoders share: computed once, least recently used dropped first."""

from __future__ import annotations

import numpy as np

from index.encoding import QueryCache


def test_vectors_are_computed_once_and_the_least_recently_used_goes_first():
    calls: list[str] = []

    def compute(text: str) -> np.ndarray:
        calls.append(text)
        return np.full(3, len(calls), np.float32)

    cache = QueryCache(size=2)
    first = cache.get("a", compute)
    assert cache.get("a", compute) is first and calls == ["a"]
    cache.get("b", compute)
    cache.get("a", compute)  # "a" is now the most recent
    cache.get("c", compute)  # so "b" goes
    cache.get("a", compute)
    cache.get("b", compute)
    assert calls == ["a", "b", "c", "b"]
    cache.clear()
    cache.get("a", compute)
    assert calls[-1] == "a" and len(calls) == 5
