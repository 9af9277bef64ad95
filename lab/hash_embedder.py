"""An embedder without a model: bag-of-hashed-words unit vectors, for fast tests and large bench indexes."""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np


class HashEmbedder:
    """Deterministic vectors from hashed words: texts sharing words get similar vectors; 384 wide by default."""

    name = "hash-embedder"
    dim = 384

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text."""
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int(hashlib.md5(word.strip(".,?!\"'").encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1.0
            out[i, 0] += 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def encode_query(self, text: str) -> np.ndarray:
        """One question's vector."""
        return self.encode([text])[0]
