"""Citation keys: answers refer to sentences by key (`article_id:index`), resolved and numbered here only.

An answerer writes `marker(key)` where it cites a sentence. `render` turns that keyed text into what
a reader sees, numbering citations by their place in the answer's citation list and dropping any key
that is not one of them (an extractive answerer never writes one; a generative one might).
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from qa.models import Citation

_OPEN, _CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧: never in a key, rare in news text
_KEY = re.compile(f"{_OPEN}([^{_OPEN}{_CLOSE}]+){_CLOSE}")


def marker(key: str) -> str:
    """Where an answer cites the sentence `key`."""
    return f"{_OPEN}{key}{_CLOSE}"


def keys(keyed: str) -> list[str]:
    """The keys an answer cites, in order of first mention."""
    return list(dict.fromkeys(_KEY.findall(keyed)))


def numbered(citation: Citation) -> str:
    """The plain marker: `[n]`."""
    return f"[{citation.n}]"


def render(keyed: str, citations: Sequence[Citation], *, link: Callable[[Citation], str] = numbered,
           prose: Callable[[str], str] = lambda text: text) -> str:
    """Keyed answer text as shown: each known key through `link`, unknown keys dropped, the rest through `prose`."""
    by_key = {c.key: c for c in citations}
    pieces = _KEY.split(keyed)
    out = []
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            out.append(prose(piece))
        elif piece in by_key:
            out.append(link(by_key[piece]))
    return "".join(out)
