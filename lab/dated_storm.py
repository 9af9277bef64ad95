"""Storm Ada: a live blog the day it comes ashore (tens of thousands of characters of timestamped
updates), then a wire story a day for a week, each with the new death toll and the homes still dark."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Callable

from lab.dated_questions import Family, Storyline, at
from lab.dated_storylines import COURIER, WIRE, on
from lab.dated_text import WEEKDAYS, draft, pad, paragraphs, person

Ids = Callable[[str, datetime], str]
DAYS = 8
_TOWNS = ["Millbrook", "Cape Ferrel", "Nestucca Bay", "Tillery", "Seal Rock", "Harlan County", "Otter Point"]
_ROADS = ["Route 18", "Highway 101", "the Alder Creek bridge", "the Coast Range pass on Route 22"]
_UPDATES = [
    "Wind gusts of {n} mph were recorded at {town}, the National Weather Service said.",
    "{town} has received {d}.{m} inches of rain since midnight.",
    "Crews closed {road} after a mudslide covered both lanes.",
    "The Red Cross opened a shelter at {town} High School; {n} people had checked in by the last count.",
    "Ferry service to {town} is suspended until further notice.",
    "\u201cStay home if you can,\u201d {who}, a county commissioner, wrote on social media.",
    "All schools in {town} will stay closed on Monday, the district said.",
    "A tree fell on a house in {town}; the family of four escaped unhurt, firefighters said.",
    "The Coast Guard said it had pulled {m} people from flooded cars near {town}.",
    "Gov. Lydia Crane declared a state of emergency for {m} counties, freeing state money for repairs.",
    "Photos from {town} show water up to the windows of parked cars.",
    "The storm surge at {town} reached {d} feet above normal high tide, forecasters said.",
    "Hospitals in {town} switched to generators but were treating patients, a spokesperson said.",
    "The state transportation department said {road} was closed in both directions.",
    "{who}, who runs a bakery in {town}, said she had never seen the harbor this high.",
    "A flood warning remains in effect for the Tillery River until {d} p.m.",
    "Video posted by residents of {town} shows waves breaking over the sea wall.",
    "The airport in {town} canceled all flights for the rest of the day.",
    "Officials in {town} asked residents to boil tap water until further notice.",
    "Gusts are forecast to ease after sunset, the weather service said, but the rain will continue.",
    "A mobile home park in {town} was evacuated as Alder Creek rose.",
    "Police in {town} said they had answered {m} calls about fallen trees in an hour.",
    "{who} of the National Weather Service said rain was falling at half an inch an hour at the peak.",
    "Emergency managers urged people not to drive through standing water.",
    "The county jail in {town} moved inmates to upper floors as a precaution.",
    "This is a developing story. Refresh for updates.",
]


def _live_blog(r: random.Random, toll: int, dark: int, chars: int) -> tuple[list[list[str]], str, str]:
    """Timestamped updates from 6 a.m. to midnight; (paragraphs, the toll sentence, the outage sentence)."""
    toll_line = (f"Harlan County officials confirmed at least {toll} deaths linked to Storm Ada, Sheriff Dale "
                 "Kemper said.")
    dark_line = f"About {dark:,} customers were without power on Sunday night, according to Pacific Coast Power."
    paras: list[list[str]] = [["Storm Ada came ashore near Cape Ferrel before dawn on Sunday, and its rain and wind "
                               "are moving inland. Follow along for the latest."]]
    step = max(4, 18 * 60 * 330 // max(chars, 3300))  # minutes between updates of about 330 characters
    placed, minute = 0, 6 * 60
    while minute < 24 * 60 - 5:
        hour, mins = divmod(minute, 60)
        paras.append([f"{(hour - 1) % 12 + 1}:{mins:02d} {'a.m.' if hour < 12 else 'p.m.'} PT"])
        update = [t.format(n=r.randint(40, 95), d=r.randint(1, 9), m=r.randint(2, 30), town=r.choice(_TOWNS),
                           road=r.choice(_ROADS), who=person(r)) for t in r.sample(_UPDATES, r.randint(2, 4))]
        if minute >= 16 * 60 and placed == 0:
            update.insert(1, toll_line)
            placed = 1
        elif minute >= 21 * 60 and placed == 1:
            update.insert(1, dark_line)
            placed = 2
        paras.append(update)
        minute += r.randint(step // 2, step * 3 // 2)
    return paras, toll_line, dark_line


def storm(r: random.Random, start: date, weeks: int, ids: Ids, *, blog_chars: int = 36_000) -> Storyline:
    """Day one is a live blog; days two to eight are wire stories with a rising death toll."""
    told = Storyline("storm")
    told.families += [
        Family("storm.toll", "storm", ("How many people has Storm Ada killed?", "What is the death toll from "
               "Storm Ada so far?"), "What was the death toll from Storm Ada {period}?", ("yesterday", "on"),
               ask_before=True, changes=True),
        Family("storm.power", "storm", ("How many customers are still without power after Storm Ada?",),
               "How many customers were without power after Storm Ada {period}?", ("yesterday", "on"), changes=True)]
    first = on(start, round(weeks * 0.45), 6, 23).date()
    tolls, dark = [r.randint(2, 4)], [r.randint(180, 240) * 1000]
    for _ in range(DAYS - 1):
        tolls.append(tolls[-1] + r.randint(2, 7))
        dark.append(int(dark[-1] * r.uniform(0.45, 0.75)) // 100 * 100)
    paras, toll_line, dark_line = _live_blog(r, tolls[0], dark[0], blog_chars)
    blog = draft(ids(COURIER, at(first, 22, 30)), "Live updates: Storm Ada slams the Oregon coast", COURIER,
                 at(first, 22, 30), paras, section="weather",
                 protected=(toll_line, dark_line))
    told.drafts.append(blog)
    told.fact("storm.toll", blog, toll_line, str(tolls[0]))
    told.fact("storm.power", blog, dark_line, f"{dark[0]:,}")
    flood = "The 1998 flood caused $41 million in damage in Millbrook, the costliest disaster in the city's history."
    for k in range(1, DAYS):
        day = first + timedelta(days=k)
        when = at(day, r.randint(9, 15))
        name = WEEKDAYS[day.weekday()]
        toll = (f"The death toll from Storm Ada rose to {tolls[k]} on {name}, up from {tolls[k - 1]} a day earlier, "
                "the Harlan County emergency management office said.")
        power = f"About {dark[k]:,} customers were still without power on {name}, according to Pacific Coast Power."
        body = [toll, power] + ([flood] if k == 2 else []) + [
            f"Crews from {r.randint(3, 9)} states were helping to restore service, the utility said.",
            f"\u201cWe are still finding people who need help,\u201d Sheriff Dale Kemper said on {name}.",
            f"The storm dropped up to {r.randint(8, 16)} inches of rain on parts of the Coast Range."]
        lead = f"MILLBROOK, Ore. \u2014 Another gray morning brought little relief along the coast on {name}."
        made = draft(ids(WIRE, when), f"Storm Ada death toll rises to {tolls[k]}", WIRE, when,
                     paragraphs(r, lead, body, pad(r, "Harlan County", "storm", 30),
                                total=r.randint(14, 28)), section="weather", original=True,
                     protected=tuple(s for s in (toll, power, flood) if s in body))
        told.drafts.append(made)
        told.fact("storm.toll", made, toll, str(tolls[k]))
        told.fact("storm.power", made, power, f"{dark[k]:,}")
        if k == 2:
            told.ask("topic", "How much damage did the 1998 flood cause in Millbrook?",
                     told.fact("storm.flood", made, flood, "$41 million"))
    return told
