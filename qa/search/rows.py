"""Rows spread over segments, read as if they were one array or one list (nothing is copied)."""

from __future__ import annotations

import bisect
from typing import Callable, Generic, Sequence, TypeVar

import numpy as np

T = TypeVar("T")


class StackedRows:
    """Row blocks (memory-mapped matrices) read as one matrix: `m[rows]`, `m @ v`, `len(m)`, `m.shape`."""

    def __init__(self, blocks: Sequence[np.ndarray], dim: int) -> None:
        self.blocks = [b for b in blocks if len(b)]
        self.offsets = np.cumsum([0] + [len(b) for b in self.blocks]).astype(np.int64)
        self.dim = int(self.blocks[0].shape[1]) if self.blocks else dim
        self.shape = (int(self.offsets[-1]), self.dim)
        self.ndim = 2

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: np.ndarray | int) -> np.ndarray:
        if isinstance(rows, (int, np.integer)):
            return self[np.asarray([rows])][0]
        rows = np.asarray(rows, np.int64)
        if len(self.blocks) == 1:
            return np.asarray(self.blocks[0][rows])
        out = np.empty((len(rows), self.dim), np.float32)
        which = np.searchsorted(self.offsets, rows, side="right") - 1
        for b in np.unique(which).tolist():
            at = which == b
            out[at] = self.blocks[b][rows[at] - self.offsets[b]]
        return out

    def __matmul__(self, vector: np.ndarray) -> np.ndarray:
        if not self.blocks:
            return np.zeros(0, np.float32)
        return np.concatenate([b @ vector for b in self.blocks])


class RowView(dict, Generic[T]):  # type: ignore[type-arg]
    """A per-row value over segments, decoded when first read and kept: `view[row]`, `len(view)`, `view.get(row)`.

    Features read a few thousand row values a question, most of them several times (a sentence's
    terms are also its neighbours' context), so a read that was decoded before is one dict lookup:
    the view is a dict of the rows read so far, filled by `__missing__`, emptied past `CACHED`.
    `len` is the number of rows, not of rows read.
    """

    CACHED = 1 << 16

    def __init__(self, offsets: np.ndarray, read: Callable[[int, int], T]) -> None:
        super().__init__()
        self.offsets = [int(x) for x in offsets]  # first global row of each segment, then the total
        self._n = self.offsets[-1]
        self._read = read  # (segment, local row) -> value

    def __len__(self) -> int:
        return self._n

    def __missing__(self, row: int) -> T:
        row = int(row)
        if not 0 <= row < self._n:
            raise IndexError(row)
        s = bisect.bisect_right(self.offsets, row) - 1
        value = self._read(s, row - self.offsets[s])
        if dict.__len__(self) >= self.CACHED:
            self.clear()
        self[row] = value
        return value

    def __iter__(self):  # type: ignore[override]
        return (self[row] for row in range(self._n))

    def get(self, row: int, default: T | None = None) -> T | None:  # type: ignore[override]
        """The value of a row; `default` when it is empty (antecedents: most rows have none)."""
        value = self[row]
        return value if value else default
