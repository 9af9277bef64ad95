"""Follow-up questions: fold the conversation into the retrieval query, without an LLM.

A follow-up that leans on earlier turns ("When did they arrive?", "And how many Russian
instructors arrived?", "What about France?") is searched together with the content words of
the previous question, so pronouns and ellipsis find the right article. A question that
stands on its own is searched as it is: one that names its subject ("What did the council decide
this week?": "this week" is no pronoun). A pronoun borrows only what it can stand for ("they" a plural
or a group, "he"/"she" a person, "it" a thing), and a question the articles did not answer lends
nothing: its topic is not what the next question is about.
"""

from __future__ import annotations

import re
from typing import Sequence

from qa import text as tx

_PRONOUNS = frozenset(
    "he she it they them their theirs his her hers its this that these those there then him".split()
)
_DEMONSTRATIVES = frozenset("this that these those".split())
_PLURAL = frozenset("they them their theirs".split())
_PERSONAL = frozenset("he she him his her hers".split())
_THING = frozenset("it its".split())
# "this week", "that decision": a determiner before its noun, not a pronoun; "When did that happen?" is one
_AFTER_PRONOUN = frozenset(tx.STOPWORDS | {"happen", "happened", "mean", "means", "meant", "cost", "take", "took",
                                           "start", "started", "end", "ended"})
_PERSON_NOUNS = frozenset("""president minister prime chancellor king queen leader chief ceo director mayor
    governor senator general commander spokesman spokeswoman spokesperson official officer man woman coach
    player captain founder author singer actor secretary ambassador judge pope""".split())
_GROUP_NOUNS = frozenset("""council government team club company board army police people troops soldiers group
    committee parliament congress union party police staff crew band family couple""".split())
_ABSTAINED = re.compile(r"The articles don['’]t (?:say|answer)|Nothing in the (?:indexed )?articles", re.IGNORECASE)
_LEADS = re.compile(r"^\s*(and|but|also|so|then)\b[\s,]*", re.IGNORECASE)
_ABOUT = re.compile(r"^\s*(and\s+)?(what|how)\s+about\b", re.IGNORECASE)


def needs_context(question: str) -> bool:
    """True when a question leans on the conversation: 'what about ...', a pronoun and no name, or one word."""
    words = tx.words(question)
    if not words:
        return False
    if _ABOUT.match(question):
        return True
    if pronouns(question) and not tx.key_terms(question):
        return True  # "When did they arrive?"; but "France withdrew its troops" names its subject
    return len(tx.terms(question)) <= 1


def pronouns(question: str) -> list[str]:
    """The question's pronouns that point back ("they", "it", "that" in "When did that happen?"), not
    determiners ("this week")."""
    words = tx.words(question)
    out = []
    for i, w in enumerate(words):
        if w not in _PRONOUNS:
            continue
        if w in _DEMONSTRATIVES and i + 1 < len(words) and words[i + 1] not in _AFTER_PRONOUN:
            continue  # "this week", "those reports"
        out.append(w)
    return out


def can_stand_for(pronoun_words: Sequence[str], previous: str) -> bool:
    """Whether the question's pronouns can point at what the previous question is about: "they" at a plural
    or a group ("the soldiers", "the council"), "he"/"she" at a person, "it" at a thing."""
    wanted = set(pronoun_words)
    if not wanted & (_PLURAL | _PERSONAL | _THING):
        return True  # "there", "then", "that": any earlier topic
    nouns = [w for w in tx.words(previous) if w not in tx.STOPWORDS]
    people = any(w in _PERSON_NOUNS for w in nouns) or bool(tx.names(previous))
    plural = any(w in _GROUP_NOUNS or (w.endswith("s") and not w.endswith("ss") and len(w) > 3) for w in nouns)
    if wanted & _PLURAL and plural:
        return True
    if wanted & _PERSONAL and people:
        return True
    return bool(wanted & _THING) and bool(nouns)


def previous_questions(history: Sequence[object]) -> list[str]:
    """User turns from a history of {"role", "content"} dicts or (user, assistant) pairs, oldest first."""
    return [question for question, _ in exchanges(history)]


def exchanges(history: Sequence[object]) -> list[tuple[str, str | None]]:
    """(question, the reply to it, when the history has one) of each user turn, oldest first."""
    out: list[tuple[str, str | None]] = []
    for turn in history or []:
        if isinstance(turn, dict):
            content = turn.get("content")
            if turn.get("role") == "user" and isinstance(content, str):
                out.append((content, None))
            elif turn.get("role") == "assistant" and isinstance(content, str) and out and out[-1][1] is None:
                out[-1] = (out[-1][0], content)
        elif isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
            reply = turn[1] if len(turn) > 1 and isinstance(turn[1], str) else None
            out.append((turn[0], reply))
        elif isinstance(turn, str):
            out.append((turn, None))
    return out


def contextualize(question: str, history: Sequence[object] | None) -> str:
    """The query to retrieve with: the question, plus the previous question's words when it leans on it."""
    previous = exchanges(history or [])
    if not previous or not needs_context(question):
        return question
    last, reply = previous[-1]
    if reply is not None and _ABSTAINED.search(reply[:300]):
        return question  # the articles did not answer it: its topic is not this question's
    if not can_stand_for(pronouns(question), last):
        return question
    extra = [w for w in re.findall(r"[^\W_]+(?:['’][^\W_]+)*", last)
             if w.lower() not in tx.STOPWORDS and w.lower() not in _PRONOUNS]
    body = _LEADS.sub("", question).strip() or question
    return f"{body} ({' '.join(extra)})" if extra else body
