"""What a question asks, said as a clause: "Who is the president of France?" -> "who the president of France is".

An abstention names what is missing ("The articles don't say who the president of France is."). The
question is turned back into statement order: a wh-word alone before "is/was/will/can ..." moves the verb
to the end; "did/does/do" is folded into the verb ("When did they arrive?" -> "when they arrived"); a
wh-phrase that is its own subject ("How many troops are in Agadez?", "Who leads Niger?") stays as it is.
Anything else is quoted whole.
"""

from __future__ import annotations

import re

_WH = r"(?:how (?:many|much|long|old|far|often|big)|how|who(?:m|se)?|what|which|when|where|why)"
_BE = r"(?:is|are|was|were|will|would|can|could|shall|should|may|might|must|has|have|had)"
_QUESTION = re.compile(rf"^\s*(?P<wh>{_WH})\b(?P<mid>(?:\s+[\w'’-]+)*?)\s+(?P<aux>{_BE}|did|does|do)\s+(?P<rest>.+?)\s*\?*\s*$",
                       re.IGNORECASE)
_NO_AUX = re.compile(rf"^\s*(?P<wh>{_WH})\s+(?P<rest>.+?)\s*\?*\s*$", re.IGNORECASE)
_AUX_WORDS = re.compile(rf"\b(?:{_BE}|did|does|do)\b", re.IGNORECASE)
_BE_WORDS = re.compile(rf"\b(?:{_BE})\b", re.IGNORECASE)
_IRREGULAR_PAST = dict(pair.split(":") for pair in (
    "be:was go:went come:came take:took make:made say:said get:got give:gave see:saw know:knew find:found "
    "leave:left win:won lose:lost begin:began become:became build:built buy:bought pay:paid send:sent "
    "tell:told think:thought bring:brought hold:held meet:met run:ran sell:sold spend:spent write:wrote "
    "speak:spoke break:broke choose:chose fall:fell feel:felt fight:fought grow:grew keep:kept lead:led "
    "put:put set:set cut:cut hit:hit let:let stand:stood teach:taught understand:understood draw:drew "
    "drive:drove eat:ate fly:flew forget:forgot hear:heard rise:rose seek:sought shoot:shot sit:sat "
    "strike:struck throw:threw wear:wore catch:caught do:did have:had mean:meant sleep:slept".split()))


_PRONOUNS = frozenset("i you he she it we they".split())
_DETERMINERS = frozenset("the a an this that these those his her its their our my your each every".split())
_MODALS = frozenset("will would can could shall should may might must".split())
_PARTICIPLES = frozenset("built made done gone taken given seen known found held led paid sent told thought "
                         "brought sold spent written spoken broken chosen fallen grown kept put set cut hit let "
                         "won lost begun become drawn driven eaten flown forgotten heard risen sought shot struck "
                         "thrown worn caught been had born killed".split())
_IRREGULAR_PAST.update(withdraw="withdrew", undergo="underwent", overcome="overcame", arise="arose", cost="cost",
                       hurt="hurt", spread="spread", shut="shut", quit="quit", bet="bet", burst="burst", cast="cast",
                       split="split", forecast="forecast", broadcast="broadcast")


def _past(verb: str) -> str | None:
    low = verb.lower()
    if low in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[low]
    if low.endswith("e"):
        return verb + "d"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ied"
    if re.search(r"[^aeiou][aeiou][^aeiouwxy]$", low):
        return None  # stop/stopped, visit/visited: the stress decides; don't guess
    return verb + "ed"


def _third_person(verb: str) -> str | None:
    low = verb.lower()
    if low in ("have", "be", "do", "go"):
        return {"have": "has", "be": "is", "do": "does", "go": "goes"}[low]
    if re.search(r"(?:s|sh|ch|x|z|o)$", low):
        return verb + "es"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ies"
    return verb + "s"


def _participle(word: str) -> bool:
    """A verb's participle ("built", "elected", "rising"); a capitalised word inside a question is a name
    ("the United States", "Red Deer")."""
    if word[:1].isupper():
        return False
    low = word.lower()
    return low in _PARTICIPLES or (len(low) > 4 and (low.endswith("ed") or low.endswith("ing")))


_FOLLOWS_VERB = frozenset("in on at of to for from with by into after before during since about over under "
                          "this that last next".split()) | _DETERMINERS | _PRONOUNS


def _split(rest: str) -> tuple[list[str], list[str]] | None:
    """(subject, the rest from its verb) of 'the Russian instructors do in Niger'; None when unclear.

    The verb is the first lower-case word after a pronoun, a name, or a determiner's noun phrase that ends the
    clause or is followed by a preposition, a determiner or a pronoun ('the drone base cost' splits before
    'cost', not 'base')."""
    words = rest.split()
    for i in range(1, min(len(words), 6)):
        subject, verb = words[:i], words[i]
        if not re.fullmatch(r"[a-z]+", verb) or verb in _FOLLOWS_VERB:
            continue
        after = words[i + 1] if i + 1 < len(words) else ""
        if after and not (after.lower() in _FOLLOWS_VERB or after[:1].isupper() or after[:1].isdigit()):
            continue
        head = subject[0].lower()
        if i == 1 and (head in _PRONOUNS or subject[0][:1].isupper()):
            return subject, words[i:]
        if i > 1 and head not in _PRONOUNS and (head in _DETERMINERS or subject[0][:1].isupper()) \
                and subject[-1].lower() not in _DETERMINERS:
            return subject, words[i:]
    return None


def _statement(rest: str, aux: str, subject_wh: bool = True) -> str | None:
    """'they arrive' + did -> 'they arrived'; 'the instructors do in Niger' + will -> 'the instructors will do
    in Niger'; 'the base built' + was -> 'the base was built'; 'the president of France' + is -> '... is'."""
    low = aux.lower()
    if low in ("did", "does", "do"):
        found = _split(rest)
        if not found:
            return None
        subject, tail = found
        form = {"did": _past, "does": _third_person}.get(low, lambda v: v)(tail[0])
        return None if form is None else " ".join(subject + [form] + tail[1:])
    if low in _MODALS or low in ("has", "have", "had"):
        found = _split(rest)
        if found:
            return " ".join(found[0] + [low] + found[1])
        return None
    words = rest.split()  # a form of "be"
    if len(words) > 1 and _participle(words[-1]):
        return " ".join(words[:-1] + [low, words[-1]])
    if any(_participle(w) for w in words[1:]):
        found = _split(rest)
        return " ".join(found[0] + [low] + found[1]) if found and _participle(found[1][0]) else None
    if not subject_wh:  # "why Niger is important"
        found = _split(rest)
        if found:
            return " ".join(found[0] + [low] + found[1])
    return f"{rest} {low}"  # "who the president of France is"


def asked(question: str) -> str | None:
    """The question as a clause ("who the president of France is"), or None when it can't be said so."""
    q = question.strip()
    if "\n" in q or len(q) > 200:
        return None
    found = _QUESTION.match(q)
    if found:
        wh, mid, aux, rest = found["wh"].lower(), found["mid"].strip(), found["aux"], found["rest"]
        if _BE_WORDS.search(rest) or _AUX_WORDS.search(mid):
            return None  # "Who is it that was ...": leave it be
        if mid and wh not in ("what", "which", "whose", "how many", "how much"):
            return None  # "Why exactly is ...": too unusual to turn around
        if mid and aux.lower() not in ("did", "does", "do"):
            if aux.lower() in _MODALS or aux.lower() in ("has", "have", "had"):  # "how many people has X killed"
                clause = _statement(rest, aux)
                if clause is not None:
                    return f"{wh} {mid} {clause}"  # "how many people Storm Ada has killed"
            return f"{wh} {mid} {aux.lower()} {rest}"  # "how many US troops are in Agadez": its own subject
        if not mid and wh in ("who", "what", "which") and _participle(rest.split()[0]):
            return f"{wh} {aux.lower()} {rest}"  # "who was elected mayor": the wh-word is the subject
        clause = _statement(rest, aux, subject_wh=wh in ("who", "what", "which", "whom", "whose"))
        if clause is None:
            return None
        return f"{wh} {mid} {clause}" if mid else f"{wh} {clause}"
    found = _NO_AUX.match(q)
    if found and not _AUX_WORDS.search(found["rest"]) and found["wh"].lower() in ("who", "what", "which"):
        return f"{found['wh'].lower()} {found['rest']}"  # "who leads Niger": the wh-word is the subject
    return None


def not_said(question: str) -> str:
    """The first sentence of an abstention that names what is missing."""
    clause = asked(question)
    if clause:
        return f"The articles don't say {clause}."
    return f"The articles don't answer “{question.strip()}”."
