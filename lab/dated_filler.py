"""Filler: unrelated local and wire news across the whole span (town councils, companies, schools,
culture, the past), some carrying one fact a plain, topic or lookalike question asks about, each
fact told once in the archive. Also pairs of distinct stories by two reporters on one event: the
same names and numbers, written differently; they are not copies."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Callable

from lab.dated_questions import Storyline, at
from lab.dated_text import WEEKDAYS, Draft, draft, pad, paragraphs, person, town

Ids = Callable[[str, datetime], str]
WIRE = "Associated Press"
_ORG_A = ["Brightwater", "Northgate", "Redfield", "Silverline", "Oakmont", "Bluestone", "Harborview", "Ironwood",
          "Clearpath", "Summit Ridge", "Greenfield", "Westlake", "Copperleaf", "Highland", "Riverbend", "Stonebridge",
          "Maplecrest", "Foxhollow", "Lakeshore", "Eastwind"]
_ORG_B = ["Logistics", "Foods", "Energy", "Systems", "Health", "Bank", "Textiles", "Motors", "Pharmaceuticals",
          "Software", "Paper", "Steel"]
_PAPERS = ["Gazette", "Herald", "Daily News", "Observer", "Record"]
_PLANS = ["repave Main Street", "build a new fire station", "expand the public pool", "buy land for a park",
          "replace every streetlight with LEDs", "hire more police officers", "open a youth center"]
# domain -> (titles, leads, body sentences); slots: town, P, Q, org, plan, n, m, wd, year
_DOMAINS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "civic": (["{town} weighs plan to {plan}", "{town} council split over plan to {plan}"],
              ["The {town} Town Council spent {wd} night debating a plan to {plan}."],
              ["{P}, the council president, said the plan had been in the works for {m} months.",
               "The project would be paid for with a mix of state grants and a bond.",
               "Opponents said the town should fix its roads first.", "A final vote is expected in {m} weeks.",
               "\u201cWe heard every side of this,\u201d said {Q}, who chairs the finance committee.",
               "Property taxes would rise by about ${n} a year for a typical home, a town analysis found."]),
    "business": (["{org} shares slide after warning", "{org} bets on a new plant in {town}"],
                 ["{org} surprised investors on {wd} with a gloomier forecast for the rest of the year."],
                 ["The company employs about {n}0 people across {m} states.",
                  "{P}, an analyst who follows the company, said the warning was \u201clong overdue.\u201d",
                  "Rising costs for shipping and raw materials have squeezed margins since {year}.",
                  "{org} said it would announce more details with its next quarterly report.",
                  "Its shares have lost about a third of their value this year."]),
    "schools": (["{town} schools face tight budget", "{town} students push back on new schedule"],
                ["Parents filled the {town} High School auditorium on {wd} to hear the district's plans."],
                ["Superintendent {P} said enrollment had fallen by {n} students in five years.",
                 "The district plans to start classes {i}0 minutes later next fall.",
                 "\u201cOur kids deserve stability,\u201d said {Q}, a parent of two.",
                 "A survey found that {m}0 percent of families supported the change."]),
    "culture": (["A new season for the {town} playhouse", "{town} festival returns with {k}0 acts"],
                ["The {town} arts festival is back for the first time since {year}, organizers said on {wd}."],
                ["More than {n} volunteers help run the event each summer.",
                 "{P}, the festival's director, said ticket sales were ahead of last year's.",
                 "Local restaurants said the festival weekend is their busiest of the year.",
                 "The main stage will move to the riverside park this year."]),
}
_FACTS = [  # (key, domain, kind, sentence, question, answer); keys keep each fact unique in the archive
    ("jobs:{org}", "business", "plain", "{org} will cut {n} jobs at its {town} plant by the end of the year, the "
     "company said on {wd}.", "How many jobs will {org} cut at its {town} plant?", "{n}"),
    ("jobs:{org}", "business", "lookalike", "{org} will cut {n} jobs at its {town} plant by the end of the year, the "
     "company said on {wd}.", "May I ask how many jobs {org} is cutting at its {town} plant?", "{n}"),
    ("buy:{org}", "business", "plain", "{org} agreed to buy {org2} for ${m}.{d} billion in cash, the companies said.",
     "How much is {org} paying for {org2}?", "${m}.{d} billion"),
    ("paper:{P}", "business", "lookalike", "{P} told the Sunday Herald that {org} would move its headquarters to "
     "{town}.", "What did {P} tell the Sunday Herald about {org}?", "move its headquarters to {town}"),
    ("library:{town}", "culture", "plain", "The renovation of the {town} Public Library cost ${m}.{d} million, "
     "director {P} said.", "How much did the renovation of the {town} Public Library cost?", "${m}.{d} million"),
    ("museum:{town}", "culture", "plain", "The {town} Art Museum will show {m} paintings by {Q} starting next month.",
     "How many paintings by {Q} will the {town} Art Museum show?", "{m} paintings"),
    ("coach:{town}", "schools", "plain", "{P} was named head coach of the {town} High School football team on {wd}.",
     "Who was named head coach of the {town} High School football team?", "{P}"),
    ("raise:{town}", "schools", "plain", "The {town} school board approved a {d} percent raise for teachers, its "
     "first since {year}.", "What raise did the {town} school board approve for teachers?", "{d} percent"),
    ("march:{town}", "schools", "lookalike", "About {n} students marched on the {town} statehouse to protest a "
     "tuition increase.", "Why did students march on the statehouse in {town}?", "to protest a tuition increase"),
    ("mayor:{year}:{town}", "civic", "topic", "{P} won the {year} {town} mayoral race with {d}{m} percent of the "
     "vote.", "Who won the {year} mayoral race in {town}?", "{P}"),
    ("flood:{year}:{town}", "civic", "topic", "The {year} flood in {town} destroyed {n} homes, county records show.",
     "How many homes did the {year} flood in {town} destroy?", "{n} homes"),
]
_PAIRS = [  # (lead A, body A, lead B, body B): one event, two reporters
    ("A fire tore through the {org} warehouse on {street} early {wd}, sending up smoke seen for miles.",
     ["Firefighters from {k} departments fought the blaze for about {h} hours, Fire Chief {P} said.",
      "{i} firefighters were treated for minor injuries.", "\u201cThe building is a total loss,\u201d {P} said.",
      "The cause is under investigation.", "The warehouse stored paper goods and employed {e} people."],
     "{e} workers at {org} do not know when they will be back at work after {wd}'s fire.",
     ["Chief {P} of the {town} Fire Department said crews from {k} nearby towns were called in.",
      "It took roughly {h} hours to bring the flames under control.", "Neighbors on {street} heard a bang before dawn.",
      "State fire investigators reached the scene by midday.", "{i} firefighters suffered minor injuries, he said.",
      "A company spokesperson said {org} would keep paying its staff for now."]),
    ("State inspectors closed the {street} Bridge on {wd} after finding cracks in a support beam.",
     ["The bridge carries about {e} vehicles a day, the transportation department said.",
      "{P}, the state bridge engineer, said repairs would take at least {k} weeks.",
      "Detours add about {h} miles to the trip for commuters.", "The span was built in 19{i}5."],
     "Commuters who cross the {street} Bridge will need another route for at least {k} weeks.",
     ["An inspection on {wd} found cracks in a beam under the roadway, according to engineer {P}.",
      "Roughly {e} cars and trucks use the crossing daily.", "\u201cSafety comes first,\u201d {P} told the station.",
      "Drivers should expect about {h} extra miles on the posted detour.", "Business owners worried about sales."]),
]


def _slots(r: random.Random, where: tuple[str, str]) -> dict[str, object]:
    first, second = r.sample(_ORG_A, 2)
    return dict(town=where[0], P=person(r), Q=person(r), org=f"{first} {r.choice(_ORG_B)}",
                org2=f"{second} {r.choice(_ORG_B)}", plan=r.choice(_PLANS), n=r.randint(40, 900),
                m=r.randint(2, 9), d=r.randint(1, 9), wd="", year=r.randint(1996, 2022), street=person(r).split()[1],
                k=r.randint(3, 8), h=r.randint(2, 9), i=r.randint(2, 6), e=r.randint(40, 400))


class Filler:
    """Writes filler articles into `told`, keeping each fact's key unused elsewhere."""

    def __init__(self, r: random.Random, start: date, days: int, ids: Ids) -> None:
        self.r, self.start, self.days, self.ids = r, start, days, ids
        self.told = Storyline("filler")
        self.used: set[str] = set()

    def _when(self) -> datetime:
        return at(self.start + timedelta(days=self.r.randrange(self.days)), self.r.randint(6, 18),
                  self.r.choice((0, 10, 25, 40, 55)))

    def article(self, *, wire: bool, with_fact: bool) -> Draft:
        """One filler story (a wire original when `wire`), maybe telling one unused fact."""
        r, when, where = self.r, self._when(), town(self.r)
        slots = _slots(r, where) | {"wd": WEEKDAYS[when.weekday()]}
        fact = None
        if with_fact:
            key, domain, kind, sentence, question, answer = r.choice(_FACTS)
            fact = None if key.format(**slots) in self.used else (kind, sentence, question, answer)
            if fact:
                self.used.add(key.format(**slots))
        else:
            domain = r.choice(list(_DOMAINS))
        titles, leads, body = _DOMAINS[domain]
        lines = [s.format(**slots) for s in r.sample(body, r.randint(3, len(body)))]
        evidence = fact[1].format(**slots) if fact else ""
        if evidence:
            lines.insert(r.randint(0, 1), evidence)
        lead = f"{where[0].upper()}, {where[1]} \u2014 {r.choice(leads).format(**slots)}"
        source = WIRE if wire else f"{where[0]} {r.choice(_PAPERS)}"
        extra = pad(r, where[0], "business" if domain == "business" else "civic", 36)
        made = draft(self.ids(source, when), r.choice(titles).format(**slots), source, when,
                     paragraphs(r, lead, lines, extra, total=r.randint(12, 40)), section=domain, original=wire,
                     protected=(evidence,) if evidence else ())
        self.told.drafts.append(made)
        if fact:
            kind, _, question, answer = fact
            self.told.ask(kind, question.format(**slots),
                          self.told.fact(f"filler.{kind}", made, evidence, answer.format(**slots)))
        return made

    def pair(self) -> tuple[Draft, Draft]:
        """Two distinct stories on one event by two outlets, the second a few hours after the first."""
        r, when, where = self.r, self._when(), town(self.r)
        slots = _slots(r, where) | {"wd": WEEKDAYS[when.weekday()]}
        lead_a, body_a, lead_b, body_b = r.choice(_PAIRS)
        made = []
        for lead, body, source, later in ((lead_a, body_a, f"{where[0]} Herald", 0),
                                          (lead_b, body_b, f"Channel {r.randint(2, 13)} News", r.randint(1, 5))):
            stamp = when + timedelta(hours=later)
            text = f"{where[0].upper()}, {where[1]} \u2014 {lead.format(**slots)}"
            extra = pad(r, where[0], "civic", 30)
            made.append(draft(self.ids(source, stamp), lead.format(**slots).split(",")[0].rstrip("."), source,
                              stamp, paragraphs(r, text, [s.format(**slots) for s in body], extra,
                                                total=r.randint(10, 20)), section="local"))
        self.told.drafts += made
        return made[0], made[1]
