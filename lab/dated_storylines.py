"""Storylines that recur week after week with different facts: the Millbrook City Council's votes,
the Millbrook Mariners' results, Halvorsen Robotics' quarters and chief executives (wire stories),
and the Port of Calder strike. Each article is long, and its answering sentences are protected."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Callable

from lab.dated_questions import Family, Storyline, at
from lab.dated_text import WEEKDAYS, draft, pad, paragraphs

Ids = Callable[[str, datetime], str]
COURIER, TRIBUNE, WIRE = "Millbrook Courier", "Calder Valley Tribune", "Associated Press"
_VOTES = [  # (title, what was voted, answer, details)
    ("Millbrook council approves ${a} million budget", "to approve a ${a} million operating budget for the fiscal "
     "year that begins in July", "${a} million operating budget", "The budget adds {n} positions in the parks and "
     "fire departments and draws ${m} million from reserves."),
    ("Millbrook council rezones Riverside for housing", "to rezone the Riverside district for up to {n} new "
     "apartments", "rezone the Riverside district", "Developers must set aside {p} percent of the units for "
     "households earning less than the area median."),
    ("Millbrook to add protected bike lanes on Grant Avenue", "to add protected bike lanes along {p} miles of Grant "
     "Avenue", "protected bike lanes", "Construction is expected to close one lane of traffic for about {m} weeks."),
    ("Millbrook council ratifies police contract", "to ratify a four-year contract with the Millbrook Police "
     "Officers Association", "contract with the Millbrook Police Officers Association", "The contract raises "
     "starting pay to ${a},000 a year and adds {m} hours of crisis training."),
    ("Library bond heads to Millbrook ballot", "to place a ${a} million library bond on the November ballot",
     "library bond", "The bond would pay for a new central branch and repairs at {m} neighborhood libraries."),
    ("Millbrook bans plastic grocery bags", "to ban single-use plastic bags at grocery stores starting next January",
     "ban single-use plastic bags", "Stores may charge {p} cents for each paper bag they hand out."),
    ("Millbrook raises downtown parking rates", "to raise downtown parking meter rates to ${m}.{p} an hour",
     "downtown parking meter rates", "The city expects the change to bring in ${a},000 a year."),
    ("Millbrook water rates to rise", "to raise water rates by {p} percent over three years", "raise water rates",
     "Officials said the money would replace {n} miles of pipes installed before 1950."),
]
_SHORT = ["budget", "zoning", "bike lane", "police contract", "library bond", "plastic bag", "parking", "water rate"]
_OPPONENTS = ["Riverton Hawks", "Lakeside Rovers", "Port Adams Pioneers", "Cedar Falls Cougars", "Granite City Miners",
              "Bayview Pilots", "Hollister Rangers", "Westgate Wanderers", "Sutter Valley Suns", "Kern County Stags",
              "Fort Alden Blues", "Marston Harriers", "Oak Bay Tides", "Silver Creek Comets", "Halden Wolves",
              "Pike Harbor Gulls"]
_SCORERS = ["Jonah Achterberg", "Luca Brandvold", "Emeka Durojaiye", "Santi Okabe", "Tomasz Wielgus"]


def on(start: date, week: int, weekday: int, hour: int) -> datetime:
    """`hour` o'clock UTC on `weekday` (0 = Monday) of week `week` counted from the first Monday from `start`."""
    monday = start + timedelta(days=-start.weekday() % 7)
    return at(monday + timedelta(days=7 * week + weekday), hour, 0)


def _weeks(weeks: int, shares: tuple[float, ...]) -> list[int]:
    out: list[int] = []
    for share in shares:
        out.append(max(out[-1] + 1 if out else 0, round(weeks * share)))
    return out


def council(r: random.Random, start: date, weeks: int, ids: Ids) -> Storyline:
    """A vote every other Tuesday, each on something else."""
    told = Storyline("council")
    told.families.append(Family("council.vote", "council", (
        "What did the Millbrook City Council vote on most recently?", "What has the Millbrook City Council "
        "voted on recently?"), "What did the Millbrook City Council vote to do {period}?",
        since="What has the Millbrook City Council voted to do {period}?"))
    for i, week in enumerate(range(0, weeks, 2)):
        title, what, answer, detail = _VOTES[i % len(_VOTES)]
        slots = dict(a=r.randint(120, 480), n=f"{r.randint(3, 24) * 100:,}", m=r.randint(2, 12), p=r.randint(10, 30))
        when = on(start, week, 1, r.randint(15, 18))
        yes = r.randint(5, 8)
        evidence = f"On Tuesday, the Millbrook City Council voted {yes}-{9 - yes} {what.format(**slots)}."
        answer = answer.format(**slots)
        body = [evidence, detail.format(**slots),
                "Mayor Rosa Delgado said the vote showed \u201ca council willing to make hard choices.\u201d",
                f"Public comment lasted {r.randint(2, 4)} hours, with {r.randint(20, 90)} speakers."]
        if i:
            body.append(f"The vote came two weeks after the council's {_SHORT[(i - 1) % len(_SHORT)]} vote, which "
                        "drew a smaller crowd.")
        novak = ("Council member April Novak, who voted against the plan, called it \u201ca giveaway to "
                 "developers.\u201d") if i == 1 else (
                 f"Council member April Novak said she wanted to see \u201cmore numbers before item {i + 4}.\u201d")
        census = "Millbrook had 84,312 residents at the 2020 census, up from 79,040 in 2010."
        election = "Delgado won the 2022 mayoral election with 54 percent of the vote, defeating Desmond Hale."
        body += [novak] + ([census] if i == 0 else []) + ([election] if i == 1 else [])
        lead = f"MILLBROOK, Ore. \u2014 City leaders spent {WEEKDAYS[when.weekday()]} evening on item after item."
        made = draft(ids(COURIER, when), title.format(**slots), COURIER, when,
                     paragraphs(r, lead, body, pad(r, "Millbrook", "civic", 40),
                                total=r.randint(14, 36)), section="local", protected=(evidence, novak))
        told.drafts.append(made)
        told.fact("council.vote", made, evidence, answer)
        if i == 0:
            told.ask("topic", "What was Millbrook's population in the 2020 census?",
                     told.fact("council.census", made, census, "84,312"))
        if i == 1:
            told.ask("lookalike", "What did council member April Novak say about the Riverside housing plan?",
                     told.fact("council.novak", made, novak, "a giveaway to developers"))
            told.ask("topic", "Who won the 2022 mayoral election in Millbrook?",
                     told.fact("council.election", made, election, "Delgado"))
    return told


def team(r: random.Random, start: date, weeks: int, ids: Ids) -> Storyline:
    """A game every Saturday: the opponent, the score and the points change every week."""
    told = Storyline("team")
    told.families += [
        Family("team.result", "team", ("What was the Millbrook Mariners' latest result?", "How did the Millbrook "
               "Mariners do in their most recent game?"), "Who did the Millbrook Mariners play {period}?",
               ("this week", "last week", "on", "yesterday")),
        Family("team.points", "team", ("How many points do the Millbrook Mariners have now?",),
               "How many points did the Millbrook Mariners have {period}?", ("on",), changes=True)]
    points = 0
    for week in range(weeks):
        opponent = _OPPONENTS[week % len(_OPPONENTS)]
        when = on(start, week, 5, r.randint(16, 18))
        a, b = r.randint(0, 4), r.randint(0, 3)
        if a > b:
            result, points, word = f"beat the {opponent} {a}-{b}", points + 3, "win"
        elif a < b:
            result, word = f"lost {b}-{a} to the {opponent}", "loss"
        else:
            result, points, word = f"drew {a}-{b} with the {opponent}", points + 1, "draw"
        venue = "at Harbor Park" if week % 2 == 0 else "on the road"
        evidence = f"The Millbrook Mariners {result} on Saturday {venue}."
        table = f"The {word} leaves the Mariners with {points} points after {week + 1} game{'s' if week else ''} in the Cascade League."
        ferris = (f"\u201cWe defended like a team that believes,\u201d goalkeeper Will Ferris said after the game "
                  f"against the {opponent}.")
        body = [evidence, f"{r.choice(_SCORERS)} scored in the {r.randint(5, 88)}th minute.", table,
                f"Coach Teresa Lindqvist said the squad had trained {r.randint(3, 6)} times this week.",
                f"Attendance was {r.randint(4200, 8900):,}."] + ([ferris] if week == 2 else [])
        lead = f"MILLBROOK, Ore. \u2014 A crowd braved the wind {venue.replace('on the road', 'away from home')}."
        extra = pad(r, "Millbrook", "sport", 30)
        made = draft(ids(COURIER, when), f"Mariners {result.split(' the ')[0]} {opponent}", COURIER, when,
                     paragraphs(r, lead, body, extra, total=r.randint(10, 22)), section="sports",
                     protected=tuple(s for s in (evidence, table, ferris) if s in body))
        told.drafts.append(made)
        told.fact("team.result", made, evidence, opponent, result)
        told.fact("team.points", made, table, f"{points} points")
        if week == 2:
            told.ask("lookalike", f"What did Will Ferris say after the Mariners played the {opponent}?",
                     told.fact("team.ferris", made, ferris, "We defended like a team that believes"))
    return told


def company(r: random.Random, start: date, weeks: int, ids: Ids) -> Storyline:
    """Halvorsen Robotics (wire stories): two quarters' results and a new chief executive between them."""
    told = Storyline("company")
    told.families += [
        Family("company.ceo", "company", ("Who is the chief executive of Halvorsen Robotics?", "Who runs "
               "Halvorsen Robotics now?"), "", ()),
        Family("company.revenue", "company", ("What revenue did Halvorsen Robotics report for its latest "
               "quarter?",), "How much revenue did Halvorsen Robotics report {period}?", ("last week", "in", "on"),
               changes=True),
        Family("company.news", "company", ("What is the latest news from Halvorsen Robotics?",),
               "What did Halvorsen Robotics announce {period}?", ("this week", "last week", "in", "since"),
               since="What has Halvorsen Robotics announced {period}?")]
    q4, q1, cut = f"1.{r.randint(10, 29)}", f"1.{r.randint(30, 49)}", r.randint(220, 640)
    plan = [  # (weekday, title, news sentence, news answer, ceo sentence, ceo answer, revenue?)
        (3, f"Halvorsen Robotics revenue climbs to ${q4} billion", f"Halvorsen Robotics reported fourth-quarter "
         f"revenue of ${q4} billion on Thursday, up 14 percent from a year earlier.", f"${q4} billion",
         "Chief executive Dana Whitfield told analysts that demand for warehouse robots would stay strong.",
         "Dana Whitfield"),
        (0, "Halvorsen Robotics names Marcus Oyelaran chief executive", "Halvorsen Robotics named Marcus Oyelaran "
         "its chief executive on Monday, replacing Dana Whitfield, who is retiring after nine years.",
         "Marcus Oyelaran", "", "Marcus Oyelaran"),
        (2, f"Halvorsen Robotics to cut {cut} jobs", f"Halvorsen Robotics said on Wednesday that it would cut {cut} "
         "jobs, most of them at its assembly plant in Salem.", f"{cut} jobs", "", ""),
        (3, f"Halvorsen Robotics posts ${q1} billion in first-quarter revenue", f"Halvorsen Robotics reported "
         f"first-quarter revenue of ${q1} billion on Thursday, beating analysts' forecasts.", f"${q1} billion",
         "Marcus Oyelaran, who took over as chief executive this spring, said the company would open a plant in "
         "Ohio.", "Marcus Oyelaran"),
    ]
    times = "The Sunday Times reported that Halvorsen had held early talks to buy Kestrel Drones, a British maker."
    for i, (week, (day, title, news, answer, boss, boss_answer)) in enumerate(zip(_weeks(weeks, (.1, .4, .6, .85)),
                                                                                     plan)):
        when = on(start, week, day, r.randint(9, 14))
        body = [news] + ([boss] if boss else []) + ([times] if i == 1 else []) + [
            f"Shares of Halvorsen {r.choice(['rose', 'fell'])} {r.randint(2, 9)} percent in early trading.",
            "The Portland company makes robots that sort parcels in warehouses."]
        lead = "PORTLAND, Ore. \u2014 Investors had been waiting for news from Halvorsen Robotics for weeks."
        made = draft(ids(WIRE, when), title, WIRE, when,
                     paragraphs(r, lead, body, pad(r, "Portland", "business", 30),
                                total=r.randint(12, 26)), section="business", original=True,
                     protected=tuple(s for s in (news, boss, times) if s in body))
        told.drafts.append(made)
        told.fact("company.news", made, news, answer)
        if i in (0, 3):
            told.fact("company.revenue", made, news, answer)
        if boss_answer:
            told.fact("company.ceo", made, boss or news, boss_answer)
        if i == 0:
            told.ask("topic", "What was Halvorsen Robotics' revenue in the fourth quarter of 2023?",
                     told.fact("company.q4", made, news, answer))
        if i == 1:
            told.ask("lookalike", "What did the Sunday Times report about Halvorsen Robotics?",
                     told.fact("company.times", made, times, "Kestrel Drones"))
    return told


def strike(r: random.Random, start: date, weeks: int, ids: Ids) -> Storyline:
    """The Port of Calder dockworkers: a strike vote, a walkout, talks, a march, a deal, a return to work."""
    told = Storyline("strike")
    told.families.append(Family(
        "strike.status", "strike", ("What is the status of the Port of Calder strike?", "Are dockworkers at the "
        "Port of Calder still on strike?"), "What happened in the Port of Calder labor dispute {period}?",
        ask_before=True, since="What has happened in the Port of Calder labor dispute {period}?"))
    share, workers, ships, raise_ = r.randint(88, 97), r.randint(18, 29) * 100, r.randint(30, 60), r.randint(12, 21)
    plan = [  # (weekday, title, status sentence, answer)
        (0, "Calder dockworkers authorize strike", f"Members of Dockworkers Union Local 27 voted {share} percent in "
         "favor of authorizing a strike at the Port of Calder, the union said on Monday.", "authorizing a strike"),
        (2, "Dockworkers walk out at the Port of Calder", f"About {workers:,} dockworkers walked off the job at the "
         "Port of Calder on Wednesday after contract talks broke down.", "walked off the job"),
        (4, "Talks resume in Calder port strike", "Talks between the union and the Calder Port Authority resumed on "
         "Friday under a federal mediator, but the picket lines stayed up.", "resumed on Friday under a federal "
         "mediator"),
        (3, "Striking dockworkers march on City Hall", f"The strike entered its third week on Thursday with {ships} "
         "ships waiting off the coast.", "entered its third week"),
        (1, "Tentative deal reached in Calder port strike", f"Negotiators reached a tentative agreement on Tuesday "
         f"that would raise wages {raise_} percent over four years.", "tentative agreement"),
        (6, "Calder dockworkers ratify contract, end strike", "Dockworkers voted on Sunday to ratify the new "
         "contract, and the first crews were due back at the Port of Calder on Monday morning.",
         "ratify the new contract"),
    ]
    march = ("More than 600 striking dockworkers marched on City Hall on Thursday to demand that Mayor Rosa Delgado "
             "press the port authority to return to the table.")
    lockout = "The last major stoppage, the 2002 Port of Calder lockout, lasted 11 days."
    for i, (week, (day, title, status, answer)) in enumerate(zip(_weeks(weeks, (.25, .33, .42, .5, .6, .68)), plan)):
        when = on(start, week, day, r.randint(10, 17))
        body = [status] + ([lockout] if i == 1 else []) + ([march] if i == 3 else []) + [
            "Union president Lorena Marchetti said members were \u201cready for whatever comes next.\u201d",
            f"The port handled {r.randint(9, 14)} million tons of cargo last year, port records show.",
            f"Growers in the valley said {r.randint(40, 160)} containers of apples were stuck on the docks."]
        lead = f"CALDER, Wash. \u2014 The cranes along the waterfront told the story on {WEEKDAYS[when.weekday()]}."
        made = draft(ids(TRIBUNE, when), title, TRIBUNE, when,
                     paragraphs(r, lead, body, pad(r, "Calder", "labor", 40),
                                total=r.randint(16, 38)), section="local",
                     protected=tuple(s for s in (status, lockout, march) if s in body))
        told.drafts.append(made)
        told.fact("strike.status", made, status, answer)
        if i == 1:
            told.ask("topic", "How long did the 2002 Port of Calder lockout last?",
                     told.fact("strike.lockout", made, lockout, "11 days"))
        if i == 3:
            told.ask("lookalike", "Why did striking dockworkers march on City Hall?",
                     told.fact("strike.march", made, march, "press the port authority to return to the table"))
    return told
