"""Rule-based multilingual entity extraction: booking references, flight numbers, dates, airports, options, names.

``EntityExtractor.extract(text, language, context)`` returns non-overlapping entities sorted by position. ``context``
may carry ``now`` (ISO datetime), ``timezone``, ``expecting`` ("option", "last_name", "booking_reference", ...) and
``options`` (offered options: ``[{"index": 1, "flight_numbers": ["KL1234"], "departure_local": "14:05"}, ...]``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from bot.nlu.base import Entity
from bot.nlu.cjk import CJK_LANGUAGES, blank_cjk
from bot.nlu.entities.airports import AirportExtractor
from bot.nlu.entities.codes import find_booking_references, find_flight_numbers
from bot.nlu.entities.dates import find_dates
from bot.nlu.entities.intl import INTL_LANGUAGES, find_intl, find_names_intl
from bot.nlu.entities.names import find_last_names
from bot.nlu.entities.options import find_options

__all__ = ["EntityExtractor"]

_MENTION_RE = re.compile(r"(?<![\w.])@\w+")
_BARE_NUMBER_RE = re.compile(r"^\W*(?:the\s+|le\s+|el\s+|il\s+|de\s+|den\s+|am\s+|o\s+|dia\s+)?(?P<n>\d{1,4})"
                             r"(?P<o>st|nd|rd|th|er|e|o|\.)?\W*$", re.IGNORECASE)


def _day_of_month(text: str, m: re.Match[str], ctx: dict[str, Any]) -> Entity:
    from bot.nlu.entities.dates import today_from_context

    today = today_from_context(ctx)
    day = int(m.group("n"))
    value = None
    for months_ahead in range(3):
        month = (today.month - 1 + months_ahead) % 12 + 1
        year = today.year + (today.month - 1 + months_ahead) // 12
        try:
            value = dt.date(year, month, day)
        except ValueError:
            continue
        if value >= today:
            break
    assert value is not None
    return Entity("date", value.isoformat(), m.start("n"), m.end(), text[m.start("n"):m.end()].strip())


# when two entities overlap, the one with the higher priority stays
_PRIORITY = {"booking_reference": 6, "flight_number": 5, "airport": 4, "date": 3, "option": 2, "last_name": 1}


class EntityExtractor:
    def __init__(self, *, default_carrier: str = "KL", synonyms: dict[str, str] | None = None,
                 known_words: Iterable[str] = ()) -> None:
        self.default_carrier = default_carrier
        self.airports = AirportExtractor(synonyms)
        self.known_words = frozenset(known_words)

    def extract(self, text: str, language: str = "en", context: dict[str, Any] | None = None) -> list[Entity]:
        ctx = context or {}
        # @mentions are addressing, not content ("@KLM 2", "@KLM Nguyen"): blank them, keeping every offset
        text = _MENTION_RE.sub(lambda m: " " * len(m.group()), text)
        # Russian, Turkish, Japanese, Chinese: their own rules (intl.py); the rules below then see Chinese and
        # Japanese with their characters blanked, so that codes and numbers next to them have word boundaries
        intl = find_intl(text, language, ctx) if language in INTL_LANGUAGES else None
        raw = text
        if language in CJK_LANGUAGES:
            text = blank_cjk(text)
        expecting = ctx.get("expecting")
        flights = find_flight_numbers(text, self.default_carrier, language)
        refs = find_booking_references(
            text, expecting=expecting in ("booking_reference", "booking"), known_words=self.known_words,
            flight_spans=[(e.start, e.end) for e in flights],
        )
        # a booking reference announced as such beats the flight-number reading of the same characters
        ref_spans = [(e.start, e.end) for e in refs]
        flights = [f for f in flights if not any(f.start < b and a < f.end for a, b in ref_spans)]
        bare = _BARE_NUMBER_RE.match(text)
        if expecting == "flight_number" and not flights and bare and len(bare.group("n")) >= 2 and not bare.group("o"):
            # "1234" when asked for the flight number: the airline's own flight
            flights = [Entity("flight_number", f"{self.default_carrier}{bare.group('n')}", bare.start("n"),
                              bare.end("n"), bare.group("n"))]
        # Chinese/Japanese: digits next to characters ("等了6个小时") are no bare option unless options are on offer
        options_text = raw if language in CJK_LANGUAGES and expecting != "option" and not ctx.get("options") else text
        options = find_options(options_text, language, ctx) if expecting in (None, "option", "confirmation") else []
        dates = find_dates(text, language, ctx)
        if expecting == "date" and not dates and bare and 1 <= int(bare.group("n")) <= 31:
            # "the 3rd" / "3" when asked for a date: that day of this month, or of next month if it is past
            dates = [_day_of_month(text, bare, ctx)]
        if intl is not None:
            dates = [*intl.dates, *(d for d in dates
                                    if not any(d.start < i.end and i.start < d.end for i in intl.dates))]
            options = [*intl.options, *(o for o in options if not any(o.start < i.end and i.start < o.end
                                                                     for i in intl.options))]
        if expecting == "option":
            resolved = [o for o in options if o.text and not o.text.strip().isdigit()]
            # "KL1235" or "14:05" resolved to an offered option is the option, not a new flight/date
            if resolved:
                spans = [(o.start, o.end) for o in resolved]
                flights = [f for f in flights if not any(f.start < b and a < f.end for a, b in spans)]
            dates = [d for d in dates if not any(d.start < o.end and o.start < d.end for o in options)]
        else:
            options = [o for o in options if not any(o.start < d.end and d.start < o.end for d in dates)]
        airports = self.airports.find(text, language)
        if intl is not None:
            airports = [*intl.airports, *airports]
        candidates: list[Entity] = [*refs, *flights, *airports, *dates]
        if expecting == "option":
            candidates = [*options, *candidates]
        else:
            candidates = [*candidates, *options]
        chosen: list[Entity] = []
        for e in sorted(candidates, key=lambda e: -_PRIORITY.get(e.entity, 0) if expecting != "option" or
                        e.entity != "option" else -10):
            if any(e.start < c.end and c.start < e.end for c in chosen):
                continue
            chosen.append(e)
        names = find_names_intl(raw, language, ctx, [(c.start, c.end) for c in chosen]) if intl is not None else []
        names = names or find_last_names(text, language, ctx, known_words=self.known_words,
                                         taken=[(c.start, c.end) for c in chosen],
                                         refs=[(c.start, c.end) for c in chosen if c.entity == "booking_reference"])
        for n in names:
            if not any(n.start < c.end and c.start < n.end for c in chosen):
                chosen.append(n)
        chosen.sort(key=lambda e: (e.start, e.end))
        return chosen
