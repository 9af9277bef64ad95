"""The dated archive's writing: an article draft (paragraphs of sentences, a dateline, the sentences
questions quote), the record it becomes, and the people, places and background sentences that pad a
story out to news length. Names come from pools that never hold the storylines' own names."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime

FIRST = [
    "Maria", "James", "Aisha", "Daniel", "Priya", "Thomas", "Elena", "Kwame", "Sofia", "Robert", "Mei", "Carlos",
    "Hannah", "Omar", "Grace", "Luis", "Nadia", "Peter", "Yuki", "Samuel", "Fatima", "George", "Ingrid", "Tariq",
    "Claire", "Diego", "Beatrice", "Viktor", "Leah", "Ahmed", "Rachel", "Mateo", "Joanna", "Kofi", "Alice", "Ravi",
    "Helen", "Marcus", "Irene", "Felix", "Lucia", "Arjun", "Nora", "Walter", "Simone", "Hugo", "Esther", "Raymond",
]
LAST = [
    "Alvarez", "Brennan", "Chen", "Dubois", "Ellison", "Fischer", "Garza", "Haddad", "Ibarra", "Jensen", "Kowalski",
    "Larsen", "Mbeki", "Nakamura", "O'Connell", "Petrov", "Quintero", "Rasmussen", "Sato", "Thornton", "Usman",
    "Vance", "Whitaker", "Xu", "Yilmaz", "Zamora", "Abernathy", "Bishop", "Castellanos", "Drummond", "Eriksen",
    "Fairbanks", "Gallagher", "Holloway", "Iverson", "Jablonski", "Kaplan", "Lindgren", "Moreau", "Nguyen", "Osei",
    "Pemberton", "Ramirez", "Sullivan", "Tanaka", "Underwood", "Valdez", "Webb", "Youssef", "Ziegler", "Mercer",
]
TOWNS = [
    ("Ashford", "Vt."), ("Brenton", "Ohio"), ("Carrow", "Neb."), ("Dunmore", "Pa."), ("Elkton", "Md."),
    ("Fairhaven", "Mass."), ("Glenwood", "Iowa"), ("Harlow", "Texas"), ("Ivydale", "W.Va."), ("Jasper", "Ind."),
    ("Kingsley", "Mich."), ("Lakemont", "N.Y."), ("Marlow", "Okla."), ("Northfield", "Minn."), ("Oakridge", "Tenn."),
    ("Pinecrest", "Fla."), ("Quarry Hill", "Conn."), ("Redmond Falls", "Idaho"), ("Stanton", "Ky."),
    ("Tillman", "Ga."), ("Upton", "Wyo."), ("Vernon", "Ariz."), ("Westbury", "N.J."), ("Yarrow", "Colo."),
    ("Ridgefield", "Kan."), ("Bellmont", "Ill."), ("Crestview", "Ala."), ("Dover Plains", "Mo."),
]
ROLES = [
    "a spokesperson for the county", "the city manager", "a state senator", "the school superintendent",
    "a professor of economics at the state university", "the county sheriff", "a local business owner",
    "the fire chief", "the director of the regional planning office", "a longtime resident",
]
_OPENERS = ["", "", "", "On Monday, ", "Earlier, ", "By late afternoon, ", "In interviews, ", "For their part, ",
            "Last month, ", "Separately, ", "Even so, ", "At the same time, "]
_SUBJECTS = {
    "civic": ["officials", "residents", "local business owners", "city staff", "neighbors", "parents", "volunteers"],
    "storm": ["emergency managers", "residents", "utility officials", "volunteers", "shop owners", "farmers"],
    "sport": ["fans", "club officials", "season-ticket holders", "rival coaches", "local bar owners"],
    "business": ["analysts", "investors", "company officials", "suppliers", "customers", "former employees"],
    "labor": ["union leaders", "port officials", "truck drivers", "shippers", "growers", "dockworkers"],
}
_PREDICATES = [
    "asked for more time to review the numbers", "said they had not been consulted",
    "pointed to a similar effort that stalled two years ago", "said they expected more news before the summer",
    "raised concerns about the cost", "warned that delays could push the price higher",
    "said the details were still being worked out", "praised the speed of the response",
    "questioned whether the response went far enough", "said they planned to meet again next month",
    "said the change would take effect gradually", "called for an independent review",
    "said the mood was better than expected", "declined to discuss the matter further",
]
_TAILS = ["", "", "", " this week", ", according to a report released on Thursday", " in recent weeks",
          ", two people familiar with the matter said"]
_POOLS: dict[str, list[str]] = {  # background by subject; slots: where, P, role, n, m, d, wd, year, town
    "any": [
        "{P} did not respond to a request for comment.", "\u201cWe have to get this right,\u201d said {P}, {role}.",
        "\u201cNobody I have talked to saw this coming,\u201d {P} said.",
        "{P}, {role}, said the figures would be updated on {wd}.",
        "\u201cIt is going to take years, not months,\u201d {P} told reporters.",
        "{P}, who has lived in {where} for {m} years, said the mood had changed.",
        "Copies of the documents were posted online late on {wd}.", "The report runs to {n} pages.",
    ],
    "civic": [
        "Residents lined up at the microphone well before the meeting began.",
        "{P}, who owns a hardware store downtown, urged officials to slow down.",
        "Staff had recommended the change in a {m}-page memo.", "The overflow room was full by 6 p.m.",
        "The city attorney, {P}, said the measure could face a legal challenge.",
        "Several speakers held signs that read \u201cListen to us.\u201d",
        "{P}, a council member since {year}, said she had received more than {n} emails on the issue.",
        "The finance director said the change would not touch the general fund this year.",
        "A neighborhood association had collected {n} signatures on a petition.",
        "Some residents said they learned of the proposal only last week.",
        "The meeting was streamed online and watched by about {n} people.",
        "A similar proposal in {town} was abandoned in {year} after a lawsuit.",
        "The state has set aside ${m}.{d} million for similar projects since {year}.",
    ],
    "storm": [
        "Shelters in {where} reported that {n} people spent the night on cots.",
        "Utility crews worked through the night to clear downed lines.",
        "The National Weather Service said another band of rain could arrive by {wd}.",
        "{P}, who lives near the river, said the water reached her porch steps.",
        "Insurance adjusters began arriving in the hardest-hit neighborhoods.",
        "The Red Cross said it needed volunteers and blood donations.",
        "Several roads into the Coast Range remained closed because of mudslides.",
        "Farmers said flooded fields would delay spring planting by weeks.",
        "{P}, a county commissioner, said damage estimates would take weeks to compile.",
        "Grocery stores in {where} ran short of bottled water and batteries.",
        "The state opened a hotline for residents seeking help with damaged homes.",
        "Volunteers filled sandbags outside the fire station in {where}.",
        "Forecasters said it was the strongest storm to hit the coast since 2007.",
        "Federal disaster officials were expected to tour the area on {wd}.",
    ],
    "sport": [
        "The Mariners had {m} shots on target to their opponents' {d}.",
        "{P}, a season-ticket holder since {year}, said the atmosphere was the best in years.",
        "Lindqvist made {d} changes to the starting lineup.", "The referee added {d} minutes of stoppage time.",
        "A yellow card in the first half means the captain will miss the next match.",
        "Fans sang through the final minutes despite the cold.", "The Cascade League season runs through October.",
        "Midfielder {P} left the field with a hamstring injury.",
        "The club said a new scoreboard would be installed over the summer.",
        "Ticket prices rose by ${d} this season, the club said.",
    ],
    "business": [
        "{P}, an analyst at a Seattle investment firm, called the quarter \u201csolid but unspectacular.\u201d",
        "The company has spent heavily on a new line of robotic arms.",
        "Competition from cheaper imports has pressured prices across the industry.",
        "Analysts had expected slightly weaker results, according to a survey by FactSet.",
        "Orders from grocery chains rose for a third straight quarter.",
        "The company said it had {n} open positions, many of them for engineers.",
        "Higher interest rates have made customers more cautious about big purchases.",
        "The stock has gained about {m}{d} percent over the past 12 months.",
    ],
    "labor": [
        "Picketers carried signs that read \u201cFair contract now.\u201d",
        "Truck drivers waiting to pick up containers said they had been idle for days.",
        "Retailers warned of empty shelves if the dispute dragged on.",
        "{P}, a crane operator with {m} years at the port, said morale was high.",
        "Federal officials said they were watching the talks closely.",
        "Farmers in eastern Washington said they were losing money every day the docks stayed shut.",
        "The union's strike fund pays members ${n} a week.", "A food bank set up tables near the main gate.",
    ],
}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_WORD = re.compile(r"[A-Za-z0-9$%']+")


def person(r: random.Random) -> str:
    """A random full name."""
    return f"{r.choice(FIRST)} {r.choice(LAST)}"


def town(r: random.Random) -> tuple[str, str]:
    """A random (town, state abbreviation) of the filler world."""
    return r.choice(TOWNS)


def background(r: random.Random, where: str, subject: str = "civic") -> str:
    """One composed background sentence (people, a hedge, a source), mentioning no storyline."""
    opener = r.choice(_OPENERS)
    text = f"{opener}{r.choice(_SUBJECTS[subject])} in {where} {r.choice(_PREDICATES)}{r.choice(_TAILS)}."
    return text[0].upper() + text[1:]


def pad(r: random.Random, where: str, subject: str, n: int) -> list[str]:
    """`n` background sentences on `subject` ("civic", "storm", "sport", "business", "labor"), none twice."""
    templates = _POOLS[subject] + _POOLS["any"]
    chosen = r.sample(templates, min(len(templates), n))
    out = [t.format(where=where, P=person(r), role=r.choice(ROLES), n=r.randint(12, 480), m=r.randint(3, 40),
                    d=r.randint(1, 9), wd=r.choice(WEEKDAYS), town=town(r)[0], year=r.randint(2009, 2021))
           for t in chosen]
    out += [background(r, where, subject) for _ in range(n - len(out))]
    r.shuffle(out)
    return out


def paragraphs(r: random.Random, lead: str, body: list[str], pad: list[str], *, total: int) -> list[list[str]]:
    """Lead paragraph, then `body` in order with `pad` sentences mixed in, cut into paragraphs of 1-4."""
    sentences = list(body)
    for extra in pad[: max(0, total - 1 - len(body))]:
        sentences.insert(r.randint(1, len(sentences)) if sentences else 0, extra)
    out = [[lead]]
    while sentences:
        size = r.choice((1, 2, 2, 3, 3, 4))
        out.append(sentences[:size])
        sentences = sentences[size:]
    return out


@dataclass(frozen=True)
class Draft:
    """One article before it is a record: paragraphs of sentences and the sentences questions quote."""

    id: str
    title: str
    source: str
    published: datetime
    paragraphs: tuple[tuple[str, ...], ...]
    section: str = "news"
    original: bool = False
    protected: frozenset[str] = field(default_factory=frozenset)

    @property
    def text(self) -> str:
        """Paragraphs separated by blank lines."""
        return "\n\n".join(" ".join(p) for p in self.paragraphs)

    def record(self) -> dict[str, object]:
        """The JSONL record."""
        domain = re.sub(r"[^a-z]", "", self.source.lower()) + ".example.com"
        slug = "-".join(w.lower() for w in _WORD.findall(self.title)[:8]).replace("'", "")
        out: dict[str, object] = {
            "id": self.id, "title": self.title, "source": self.source,
            "url": f"https://{domain}/{self.published:%Y/%m/%d}/{self.section}/{slug}",
            "published_at": self.published.strftime("%Y-%m-%dT%H:%M:%SZ"), "text": self.text,
        }
        if self.original:
            out["original"] = True
        return out


def draft(id: str, title: str, source: str, published: datetime, paras: list[list[str]], *,
          section: str = "news", original: bool = False, protected: tuple[str, ...] = ()) -> Draft:
    """A `Draft`, checking that every protected sentence is in it."""
    made = Draft(id, title, source, published, tuple(tuple(p) for p in paras), section, original,
                 frozenset(protected))
    missing = [s for s in protected if s not in made.text]
    if missing:
        raise AssertionError(f"{id}: protected sentence not in the text: {missing[0]!r}")
    return made


def words(text: str) -> list[str]:
    """Lower-cased word tokens (what overlap is measured on)."""
    return [w.lower() for w in _WORD.findall(text)]


def shingle_overlap(a: str, b: str, n: int = 5) -> float:
    """Jaccard overlap of the two texts' word `n`-grams."""
    wa, wb = words(a), words(b)
    sa = {tuple(wa[i : i + n]) for i in range(max(1, len(wa) - n + 1))}
    sb = {tuple(wb[i : i + n]) for i in range(max(1, len(wb) - n + 1))}
    return len(sa & sb) / max(1, len(sa | sb))
