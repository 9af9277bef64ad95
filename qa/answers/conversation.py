"""Follow-up questions: fold the conversation into the retrieval query, without an LLM.

A follow-up that leans on earlier turns ("When did they arrive?", "And how many Russian
instructors arrived?", "What about France?") is searched together with the content words of
the previous question, so pronouns and ellipsis find the right article. A question that
stands on its own is searched as it is.
"""

from __future__ import annotations

import re
from typing import Sequence

from qa import text as tx

_PRONOUNS = frozenset(
    "he she it they them their theirs his her hers its this that these those there then him".split()
)
_LEADS = re.compile(r"^\s*(and|but|also|so|then)\b[\s,]*", re.IGNORECASE)
_ABOUT = re.compile(r"^\s*(and\s+)?(what|how)\s+about\b", re.IGNORECASE)


def needs_context(question: str) -> bool:
    """True when a question leans on the conversation: 'what about ...', a pronoun and no name, or one word."""
    words = tx.words(question)
    if not words:
        return False
    if _ABOUT.match(question):
        return True
    if any(w in _PRONOUNS for w in words) and not tx.key_terms(question):
        return True  # "When did they arrive?"; but "France withdrew its troops" names its subject
    return len(tx.terms(question)) <= 1


def previous_questions(history: Sequence[object]) -> list[str]:
    """User turns from a history of {"role", "content"} dicts or (user, assistant) pairs, oldest first."""
    out = []
    for turn in history or []:
        if isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                out.append(turn["content"])
        elif isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
            out.append(turn[0])
        elif isinstance(turn, str):
            out.append(turn)
    return out


def contextualize(question: str, history: Sequence[object] | None) -> str:
    """The query to retrieve with: the question, plus the previous question's words when it leans on it."""
    previous = previous_questions(history or [])
    if not previous or not needs_context(question):
        return question
    last = previous[-1]
    extra = [w for w in re.findall(r"[^\W_]+(?:['’][^\W_]+)*", last)
             if w.lower() not in tx.STOPWORDS and w.lower() not in _PRONOUNS]
    body = _LEADS.sub("", question).strip() or question
    return f"{body} ({' '.join(extra)})" if extra else body
