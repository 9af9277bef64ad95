"""What kind of answer a question wants: words of one sentence, a digest of what the articles say, or yes/no.

The reader was trained to find a span (SQuAD: a name, a number, a phrase) and to judge whether a sentence
holds one. News readers also ask for digests ("What happened in the port strike this week?", "What is the
latest on Storm Ada?", "How did the Mariners do?") and yes/no ("Are the dockworkers still on strike?").
No span answers those, so the reader's "no span here" is no reason to say the articles don't say. They
are answered with the evidence quoted when one cited article holds every word the question's topic is made
of (`topic_words`: "What is the latest on the French elections?" over articles without "elections" is
still not answered); otherwise the reader's decision stands. So is a question asking what its subject did
("What did Halvorsen Robotics announce this week?", `asks_what_was_done`) when no span answers it: the reader
does not take "named Marcus Oyelaran its chief executive" for an announcement.
"""

from __future__ import annotations

import re
from typing import Literal

from qa.text import STOPWORDS, numbers, words

Form = Literal["span", "digest", "yes/no"]

# "May I ask how many ...", "Can you tell me who ...": a polite wrapper around the real question
_FILLER = re.compile(r"^(?:(?:so|and|but|ok|okay|well|please)\b[,\s]+)+", re.IGNORECASE)
_WRAPPER = re.compile(r"^(?:(?:may|can|could) i ask|(?:can|could|would|will) "
                      r"you (?:please )?tell me|do you know|(?:please )?tell me)\b[,:\s]*(?=\w+)", re.IGNORECASE)
_ABOUT = re.compile(r"^(?:(?:can|could|would|will) you\s+)?(?:please\s+)?"
                    r"(?:tell me|talk about|fill me in)\s+(?:(?:more\s+)?about|on)\b", re.IGNORECASE)
_DIGEST = re.compile(
    r"^(?:what(?:'s|’s|\s+is|\s+was|\s+are|\s+were)\s+(?:the\s+)?(?:latest|newest|current\s+(?:status|situation)|"
    r"status|situation|update|news)\b"
    r"|what(?:'s|’s|\s+is|\s+was|\s+has|\s+have|\s+had)?\s+(?:been\s+)?(?:happened|happening|going\s+on)\b"
    r"|what(?:'s|’s|\s+is)\s+new\s+(?:with|at|in|on|about|from)\b"
    r"|how\s+(?:did|does|do|is|are|was|were|has|have)\b.*\b(?:do|doing|done|go|going|gone|fare|fared|faring)\b"
    r"|(?:give me|summari[sz]e|update me|catch me up|brief me|any news|any updates?|an update)\b)", re.IGNORECASE)
# "What did Halvorsen Robotics announce this week?", "What has the council voted on recently?": what was done, a
# digest of its subject's news; not "What did Microsoft announce that it would rename SkyDrive to?" (a span)
_DONE = re.compile(r"^what\s+(?:did|does|do|has|have|had|will)\s+(?P<subject>(?:\S+\s+){0,5}?\S+)\s+"
                   r"(?:announce|announced|decide|decided|agree|agreed|approve|approved|propose|proposed|unveil|"
                   r"unveiled|vote|voted|rule|ruled)"
                   r"(?:\s+(?:on|upon|to|for))?(?:\s+(?:this|last|in|on|since|during|over|at|recently|so\s+far|today|"
                   r"yesterday)\b[^?]*)?\s*\?*\s*$", re.IGNORECASE)
_YES_NO = re.compile(r"^(?:is|are|was|were|am|do|does|did|has|have|had|can|could|will|would|should|shall|may|might|"
                     r"must|isn't|aren't|wasn't|weren't|don't|doesn't|didn't|hasn't|haven't|hadn't|won't|"
                     r"wouldn't|can't|couldn't|shouldn't)\b", re.IGNORECASE)
# the words of a digest's or yes/no question's form, not of its topic
_FORM_WORDS = frozenset("""latest newest new news recent recently current currently status situation update updates
    happened happen happening going gone go goes doing done fare fared faring still now today yesterday tonight
    week month year tell give summarize summarise brief catch fill talk please know ask may might must shall
    isn't aren't wasn't weren't don't doesn't didn't hasn't haven't hadn't won't wouldn't can't couldn't
    shouldn't ever yet already""".split())
_ALTERNATIVE = re.compile(r"\bor\b", re.IGNORECASE)  # "Was the test a failure or a success?": a span names it


def question_form(question: str) -> Form:
    """'digest' (what happened, the latest, the status, how X did), 'yes/no', or 'span' (everything else)."""
    q = _FILLER.sub("", question.strip().lstrip("¿¡\"'“ "))
    if _ABOUT.match(q):
        return "digest"
    q = _WRAPPER.sub("", q, count=1)
    if _DIGEST.match(q):
        return "digest"
    if _YES_NO.match(q) and not _ALTERNATIVE.search(q):
        return "yes/no"
    return "span"


def asks_what_was_done(question: str) -> bool:
    """"What did Halvorsen Robotics announce this week?", "What has the council voted on recently?": a span
    question ("a $382 million budget" answers it) whose subject's news, quoted, answers it too when no span does."""
    return _what_was_done(question) is not None


def _what_was_done(question: str) -> re.Match[str] | None:
    """The match of `_DONE` (its subject), or None."""
    return _DONE.match(_FILLER.sub("", question.strip()))


def is_choice(question: str) -> bool:
    """The question offers its answers ("Was the test a failure or a success?", "Paris or Lyon?")."""
    return bool(_ALTERNATIVE.search(question))


def topic_words(question: str) -> list[str]:
    """The question's words that name its topic: no function words, no words of its form ("latest", "status",
    "happened", "still"); 'What is the latest on the Port of Calder strike?' -> ['port', 'calder', 'strike'];
    of what was done, its subject: 'What did the Millbrook council decide this week?' -> ['millbrook', 'council']."""
    done = _what_was_done(question)
    return list(dict.fromkeys(w for w in words(done["subject"] if done else question)
                              if w not in STOPWORDS and w not in _FORM_WORDS and (len(w) > 1 or w.isdigit())))


# "When was the Port of Calder ferry service announced?": a passive question, its subject, then its verb
_PASSIVE = re.compile(r"^(?:when|where|why|how)\s+(?:was|were|is|are|will\s+be|has\s+been|have\s+been|had\s+been)"
                      r"\s+(?:the\s+)?(?P<subject>[^?]+?)\s+(?:[a-z]+ed|[a-z]+[ew]n|built|held|made|sold|won|found|"
                      r"begun|run|set|put|paid|led|shut|brought|bought|taught|left|lost|kept|sent|spent|struck|hit|"
                      r"cut|chosen|given|taken|known|shown|drawn|seen|done|met|told|said|named|sung|read)\s*\?*\s*$")
_JOINS = frozenset({"of", "the", "and", "de", "du", "la"})  # inside a name: "Port of Calder"
_WHEN_WORDS = frozenset("first last again ever also still once recently finally originally".split())


def named_subject(question: str) -> list[str]:
    """The topic words of a passive question whose subject is a name and the things of it the question is
    about ("the Port of Calder ferry service" in "When was the Port of Calder ferry service announced?" ->
    ['port', 'calder', 'ferry', 'service']), else []. A cited article on the port but not its ferry service
    does not answer when it was announced."""
    q = _FILLER.sub("", question.strip())
    m = _PASSIVE.match(q[:1].lower() + q[1:])  # the verb in lower case: "When was the Apple Store Opened" is no form
    if not m:
        return []
    tokens = m["subject"].split()
    i = 0
    while i < len(tokens) and (tokens[i][:1].isupper() or (i > 0 and tokens[i].lower() in _JOINS)):
        i += 1
    name, things = tokens[:i], tokens[i:]
    while things and things[-1].lower() in _WHEN_WORDS:  # "the Disney and ABC merger first announced"
        things.pop()
    if not name or not things or len(things) > 3 or any("'" in w or "’" in w for w in name) or not all(
            w.isalpha() and w.islower() and w not in STOPWORDS and not w.endswith("ly") for w in things):
        return []
    return topic_words(" ".join(name + things))


_COUNT = re.compile(r"\bhow (?:many|much)\b", re.IGNORECASE)
_HOW_MUCH = re.compile(r"\bhow much\b", re.IGNORECASE)
_PRICE = re.compile(r"\b(?:cost|costs|costing|price|prices|priced|pay|paid|pays|spend|spent|worth|fee|fees|charge|"
                    r"charged|salary|wages?|fined?|sell|sold|buy|bought|earn|earned)\b", re.IGNORECASE)
_MONEY = re.compile(r"[$€£¥]|\b(?:dollars?|euros?|pounds?|yen|yuan|francs?|rubles?|roubles?|cents?|pence|usd|eur|gbp|"
                    r"cfa)\b", re.IGNORECASE)
_VAGUE = re.compile(r"\b(?:several|a few|few|numerous|a number of|a handful|countless|many|much|most|all|none|no)\b",
                    re.IGNORECASE)  # amounts without a number: "several ways", "none of them"


def amount_wanted(question: str) -> str | None:
    """'price' for "How much did it cost?", 'count' for other "how many / how much" questions, else None."""
    if not _COUNT.search(question):
        return None
    return "price" if _HOW_MUCH.search(question) and _PRICE.search(question) else "count"


def holds_amount(text: str, kind: str) -> bool:
    """Whether a sentence holds an amount of that kind: money for a price, any number or quantity for a count."""
    if kind == "price":
        return bool(_MONEY.search(text))
    return bool(numbers(text) or _VAGUE.search(text))
