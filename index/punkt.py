"""Punkt with its patterns compiled by the standard library's `re`: deterministic, no time limit.

NLTK 3.10 runs every regex of its own under a wall-clock limit (`nltk.redos`, 5 s by default),
so on a busy machine a long live blog could fail to split depending on load. Punkt's patterns
are NLTK's own, fixed and linear; compiled with `re` they give the same sentences (checked on
all of SQuAD dev and on 50,000-character live blogs) about 3x faster, whatever the load.
Imported lazily: NLTK costs about 0.8 s to import.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from nltk.tokenize.punkt import PunktLanguageVars, PunktParameters, PunktSentenceTokenizer, PunktToken


class _LanguageVars(PunktLanguageVars):
    """Punkt's English language variables with its patterns compiled by `re` (no time limit)."""

    re_boundary_realignment = re.compile(PunktLanguageVars.re_boundary_realignment.pattern, re.MULTILINE)

    def _word_tokenizer_re(self) -> re.Pattern[str]:
        if not hasattr(self, "_re_word_tokenizer"):
            pattern = self._word_tokenize_fmt % {
                "NonWord": self._re_non_word_chars, "MultiChar": self._re_multi_char_punct,
                "WordStart": self._re_word_start,
            }
            self._re_word_tokenizer = re.compile(pattern, re.UNICODE | re.VERBOSE)
        return self._re_word_tokenizer

    def period_context_re(self) -> re.Pattern[str]:
        if not hasattr(self, "_re_period_context"):
            pattern = self._period_context_fmt % {
                "NonWord": self._re_non_word_chars, "SentEndChars": self._re_sent_end_chars,
            }
            self._re_period_context = re.compile(pattern, re.UNICODE | re.VERBOSE)
        return self._re_period_context


_NON_PUNCT = re.compile(r"[^\W\d]")


class _Token(PunktToken):
    """Punkt's token with its patterns compiled by `re` (no time limit)."""

    _RE_ELLIPSIS = re.compile(r"\.\.+$")
    _RE_NUMERIC = re.compile(r"^-?[\.,]?\d[\d,\.-]*\.?$")
    _RE_INITIAL = re.compile(r"[^\W\d]\.$")
    _RE_ALPHA = re.compile(r"[^\W\d]+$")

    @property
    def is_non_punct(self) -> bool:
        return bool(_NON_PUNCT.search(self.type))


def _lines(path: Path) -> list[str]:
    return [line.rstrip("\n") for line in path.open(encoding="utf-8")]


def load_params(lang_dir: Path) -> PunktParameters:
    """Punkt's trained parameters from a `punkt_tab` language folder (as `nltk`'s loader reads them).

    Read directly: `nltk.data` checks resource names and paths with regexes under the time limit too.
    """
    params = PunktParameters()
    params.collocations = {tuple(line.split("\t")) for line in _lines(lang_dir / "collocations.tab")}
    params.sent_starters = set(_lines(lang_dir / "sent_starters.txt"))
    params.abbrev_types = set(_lines(lang_dir / "abbrev_types.txt"))
    params.ortho_context = defaultdict(int, {word: int(flags) for word, flags in
                                             (line.split("\t") for line in _lines(lang_dir / "ortho_context.tab"))})
    return params


def untimed_punkt(lang_dir: Path) -> PunktSentenceTokenizer:
    """Punkt with the trained parameters in `lang_dir` (abbreviations, collocations, sentence starters)."""
    tokenizer = PunktSentenceTokenizer(lang_vars=_LanguageVars(), token_cls=_Token)
    tokenizer._params = load_params(lang_dir)
    return tokenizer
