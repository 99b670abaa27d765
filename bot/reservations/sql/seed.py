"""The deterministic demo airline: a hub-and-spoke network around AMS, its flights, seats and bookings.

``build_demo(anchor=..., days=..., bookings=...)`` is pure (same input, same output: one ``random.Random`` with a fixed
seed); ``seed_demo(engine, ...)`` writes it with bulk inserts in one transaction.

The schedule covers the local departure dates ``anchor - 1 day`` .. ``anchor + days - 1`` (so some bookings are in
the past). Outbound flights leave AMS in waves (local time, converted to UTC); each return flight leaves the spoke
after the aircraft's turnaround, so inbound banks connect at AMS. A few flights are operated by partners (DL on
AMS-ATL, AF on one AMS-CDG rotation), ~3% of rotations are cancelled by the airline (their bookings' segments are
``cancelled_by_airline``: the EU261 flow) and ~8% of flights are delayed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import random
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.reservations.sql.models import (
    ResAirport,
    ResBooking,
    ResFlight,
    ResInventory,
    ResMeta,
    ResPassenger,
    ResSegment,
)
from bot.reservations.sql.normalise import REFERENCE_ALPHABET, name_key

SEED = 20100415  # the ash cloud
HUB = "AMS"
CARRIER = "KL"
MIN_CONNECTION = dt.timedelta(minutes=50)
MAX_CONNECTION = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Route:
    spoke: str
    city: str
    per_day: int  # flights per day per direction
    long_haul: bool = False
    partner: str | None = None  # operating carrier of the whole route (codeshare)
    partner_rotation: tuple[int, str] | None = None  # (rotation index, carrier): one rotation by a partner


HUB_CITY = "Amsterdam"
ROUTES: tuple[Route, ...] = (
    Route("LHR", "London", 4),
    Route("MAN", "Manchester", 3),
    Route("EDI", "Edinburgh", 2),
    Route("DUB", "Dublin", 3),
    Route("CDG", "Paris", 4, partner_rotation=(1, "AF")),
    Route("NCE", "Nice", 2),
    Route("FRA", "Frankfurt", 3),
    Route("MUC", "Munich", 3),
    Route("BER", "Berlin", 3),
    Route("ZRH", "Zurich", 3),
    Route("VIE", "Vienna", 2),
    Route("BRU", "Brussels", 2),
    Route("MAD", "Madrid", 3),
    Route("BCN", "Barcelona", 4),
    Route("LIS", "Lisbon", 2),
    Route("OPO", "Porto", 1),
    Route("FCO", "Rome", 3),
    Route("MXP", "Milan", 2),
    Route("ATH", "Athens", 1),
    Route("CPH", "Copenhagen", 3),
    Route("ARN", "Stockholm", 2),
    Route("OSL", "Oslo", 2),
    Route("WAW", "Warsaw", 2),
    Route("KRK", "Krakow", 1),
    Route("PRG", "Prague", 2),
    Route("JFK", "New York", 1, long_haul=True),
    Route("ATL", "Atlanta", 1, long_haul=True, partner="DL"),
    Route("LAX", "Los Angeles", 1, long_haul=True),
    Route("YYZ", "Toronto", 1, long_haul=True),
    Route("GRU", "Sao Paulo", 1, long_haul=True),
    Route("DXB", "Dubai", 1, long_haul=True),
    Route("SIN", "Singapore", 1, long_haul=True),
    Route("NRT", "Tokyo", 1, long_haul=True),
    Route("JNB", "Johannesburg", 1, long_haul=True),
)

# departure waves at AMS (local time) by frequency
WAVES = {
    1: ((9, 40),),
    2: ((7, 45), (17, 35)),
    3: ((7, 15), (12, 40), (18, 10)),
    4: ((7, 0), (10, 45), (14, 25), (19, 5)),
}
LONG_HAUL_DEPARTURES = ((10, 30), (11, 15), (12, 5), (12, 50), (13, 35), (14, 20), (15, 10), (17, 25), (21, 40))

# fare families: changeable, change fee, refundable, cancel fee, price factor
FARES: dict[str, tuple[bool, Decimal, bool, Decimal, float]] = {
    "LIGHT": (False, Decimal("0"), False, Decimal("0"), 1.0),
    "STANDARD": (True, Decimal("75"), True, Decimal("100"), 1.35),
    "FLEX": (True, Decimal("0"), True, Decimal("0"), 1.9),
}

# --- names --------------------------------------------------------------------------------------------------------
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "nl": (
        ("Daan", "Sem", "Lucas", "Jeroen", "Pieter", "Bram", "Joris", "Sanne", "Emma", "Lotte", "Fleur", "Anouk",
         "Marieke", "Femke", "Eline", "Thijs", "Ruud", "Hendrik"),
        ("de Jong", "Jansen", "de Vries", "van den Bosch", "van Dijk", "Bakker", "Visser", "Smit", "Meijer",
         "de Boer", "Mulder", "van der Berg", "Dekker", "van Leeuwen", "Brouwer", "de Groot", "Hendriks",
         "van 't Hof", "Kuijpers", "Vermeulen"),
    ),
    "fr": (
        ("Jean", "Pierre", "Louis", "Hugo", "Théo", "Mathéo", "Élise", "Chloé", "Léa", "Camille", "Amélie",
         "Océane", "François", "Hélène", "Loïc", "Gaëlle", "Jérôme", "Noémie"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy", "Moreau", "Lefèvre",
         "Laurent", "Girard", "Bonnet", "Mercier", "Lefebvre", "Chevalier", "Faure", "Rousseau", "Bélanger",
         "Desrosiers"),
    ),
    "de": (
        ("Lukas", "Jonas", "Maximilian", "Felix", "Jürgen", "Günter", "Uwe", "Sophie", "Hannah", "Lena", "Anja",
         "Katharina", "Jörg", "Sören", "Mia", "Greta", "Björn", "Dörte"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schäfer", "Koch",
         "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Krüger",
         "von Essen"),
    ),
    "es": (
        ("José", "Alejandro", "Sergio", "Javier", "Álvaro", "Íñigo", "Andrés", "María", "Lucía", "Sofía",
         "Martina", "Paula", "Nuria", "Begoña", "Ramón", "Inés", "Raúl", "Noelia"),
        ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
         "Jiménez", "Ruiz", "Hernández", "Díaz", "Muñoz", "Álvarez", "Romero", "Núñez", "Peña", "Ibáñez",
         "de la Fuente"),
    ),
    "it": (
        ("Giuseppe", "Marco", "Luca", "Alessandro", "Francesco", "Niccolò", "Matteo", "Giulia", "Chiara",
         "Francesca", "Alessia", "Sara", "Federica", "Giorgio", "Elena", "Lorenzo", "Beatrice", "Gabriele"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
         "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Lombardi", "D'Angelo",
         "Fabbri"),
    ),
    "pt": (
        ("João", "Tiago", "Gonçalo", "Duarte", "Rodrigo", "Afonso", "Sebastião", "Inês", "Beatriz", "Leonor",
         "Matilde", "Mariana", "Conceição", "Luís", "Ana", "Vitória", "Caetano", "Thaís"),
        ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Gonçalves",
         "Sousa", "Fernandes", "Gomes", "Lopes", "Marques", "Magalhães", "Araújo", "Simões", "Conceição",
         "dos Santos", "Brandão"),
    ),
    "pl": (
        ("Jakub", "Kacper", "Michał", "Łukasz", "Paweł", "Krzysztof", "Wojciech", "Zofia", "Małgorzata",
         "Agnieszka", "Katarzyna", "Joanna", "Aleksandra", "Bartłomiej", "Grażyna", "Jędrzej", "Zuzanna", "Anna"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
         "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Wojciechowski", "Krawczyk",
         "Piotrowski", "Grabowski", "Nowakowska", "Sikora"),
    ),
    "sc": (
        ("Lars", "Anders", "Erik", "Nils", "Magnus", "Søren", "Jørgen", "Astrid", "Ingrid", "Freja", "Saga",
         "Maja", "Signe", "Åsa", "Björn", "Sigrid", "Mette", "Kåre"),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Jensen", "Nielsen",
         "Hansen", "Pedersen", "Sørensen", "Rasmussen", "Berg", "Haugen", "Lindqvist", "Åberg", "Strøm",
         "Ødegaard", "Bjørnstad", "Löfgren"),
    ),
    "en": (
        ("Oliver", "George", "Harry", "Jack", "James", "William", "Noah", "Olivia", "Amelia", "Isla", "Emily",
         "Charlotte", "Siobhan", "Aoife", "Liam", "Grace", "Seán", "Zoë"),
        ("Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
         "Roberts", "O'Brien", "Murphy", "Walsh", "Kelly", "MacDonald", "Campbell", "Fitzgerald", "Clarke",
         "Ó Súilleabháin"),
    ),
}
COUNTRY_LANG = {"NL": "nl", "GB": "en", "IE": "en", "US": "en", "CA": "en", "ZA": "en", "SG": "en", "FR": "fr",
                "BE": "fr", "DE": "de", "AT": "de", "CH": "de", "ES": "es", "PT": "pt", "BR": "pt", "IT": "it",
                "PL": "pl", "SE": "sc", "DK": "sc", "NO": "sc"}
PHONE_PREFIX = {"nl": "+31 6", "en": "+44 7700", "fr": "+33 6", "de": "+49 151", "es": "+34 6", "it": "+39 3",
                "pt": "+351 91", "pl": "+48 5", "sc": "+46 70"}
ASSISTANCE = (("WCHR", 60), ("WCHS", 15), ("WCHC", 8), ("BLND", 7), ("DEAF", 5), ("DPNA", 5))


@cache
def airport_info() -> dict[str, dict[str, Any]]:
    """Name, country, time zone, coordinates for the network's airports (from ``airportsdata``)."""
    import airportsdata

    data = airportsdata.load("IATA")
    cities = {HUB: HUB_CITY} | {r.spoke: r.city for r in ROUTES}
    return {
        code: {"iata": code, "name": data[code]["name"], "city": city, "country": data[code]["country"],
               "tz": data[code]["tz"], "lat": data[code]["lat"], "lon": data[code]["lon"]}
        for code, city in cities.items()
    }


def distance_km(a: str, b: str) -> float:
    info = airport_info()
    lat1, lon1, lat2, lon2 = (math.radians(x) for x in (info[a]["lat"], info[a]["lon"], info[b]["lat"],
                                                          info[b]["lon"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def block_time(origin: str, destination: str) -> dt.timedelta:
    """Gate to gate: taxi and climb allowance + cruise (~780 km/h short haul, ~850 long haul; westbound slower)."""
    km = distance_km(origin, destination)
    info = airport_info()
    minutes = km / (850 if km > 2500 else 780) * 60
    if km > 2500:
        minutes *= 1.07 if info[destination]["lon"] < info[origin]["lon"] else 0.95
    minutes += 40
    return dt.timedelta(minutes=int(math.ceil(minutes / 5) * 5))


def _round5(t: dt.datetime) -> dt.datetime:
    extra = (-t.minute) % 5
    return (t + dt.timedelta(minutes=extra)).replace(second=0, microsecond=0)


# --- the data set ---------------------------------------------------------------------------------------------------
@dataclass
class DemoData:
    anchor: dt.date
    days: int
    meta: list[dict[str, Any]] = field(default_factory=list)
    airports: list[dict[str, Any]] = field(default_factory=list)
    flights: list[dict[str, Any]] = field(default_factory=list)
    inventory: list[dict[str, Any]] = field(default_factory=list)
    bookings: list[dict[str, Any]] = field(default_factory=list)
    passengers: list[dict[str, Any]] = field(default_factory=list)
    segments: list[dict[str, Any]] = field(default_factory=list)


def build_demo(*, anchor: dt.date, days: int = 14, bookings: int = 5000) -> DemoData:
    """The whole demo data set as lists of row dicts (deterministic for the same arguments)."""
    if days < 1 or bookings < 0:
        raise ValueError("days must be >= 1 and bookings >= 0")
    rng = random.Random(SEED)
    data = DemoData(anchor=anchor, days=days)
    info = airport_info()
    data.meta = [{"key": "anchor_date", "value": anchor.isoformat()}, {"key": "hub", "value": HUB},
                 {"key": "airline_code", "value": CARRIER}, {"key": "days", "value": str(days)},
                 {"key": "bookings", "value": str(bookings)}]
    data.airports = [{k: a[k] for k in ("iata", "name", "city", "country", "tz")} for a in info.values()]
    _build_flights(rng, data)
    showcase = min(len(SHOWCASE), bookings)
    _build_bookings(rng, data, bookings - showcase)
    _add_showcase_bookings(data, showcase)
    _add_background_load(rng, data)
    return data


def _build_flights(rng: random.Random, data: DemoData) -> None:
    info = airport_info()
    hub_tz = ZoneInfo(info[HUB]["tz"])
    dates = [data.anchor + dt.timedelta(days=i) for i in range(-1, data.days)]
    long_haul_slots = list(LONG_HAUL_DEPARTURES)
    rng.shuffle(long_haul_slots)
    euro_index = long_index = 0
    flight_id = 0
    for route in ROUTES:
        spoke_tz = ZoneInfo(info[route.spoke]["tz"])
        out_block = block_time(HUB, route.spoke)
        back_block = block_time(route.spoke, HUB)
        if route.long_haul:
            slots = [long_haul_slots[long_index % len(long_haul_slots)]]
            base = 6000 + 10 * long_index if route.partner else 600 + 10 * long_index
            long_index += 1
            turnaround = dt.timedelta(minutes=210)
            economy, business = rng.randrange(240, 301, 4), rng.randrange(30, 41, 2)
        else:
            slots = list(WAVES[route.per_day])
            base = 1000 + 20 * euro_index
            euro_index += 1
            turnaround = dt.timedelta(minutes=40)
            economy, business = rng.randrange(150, 190, 3), rng.randrange(20, 31, 2)
        jitter = [rng.choice((-15, -10, -5, 0, 5, 10, 15)) for _ in slots]
        for k, (hh, mm) in enumerate(slots):
            carrier = route.partner or CARRIER
            number_base = base
            if route.partner_rotation and route.partner_rotation[0] == k:
                carrier = route.partner_rotation[1]
                number_base = 2000 + base % 1000  # codeshare range
            out_no, back_no = f"{CARRIER}{number_base + 2 * k}", f"{CARRIER}{number_base + 2 * k + 1}"
            for day in dates:
                local = dt.datetime.combine(day, dt.time(hh, mm), tzinfo=hub_tz) + dt.timedelta(minutes=jitter[k])
                dep = local.astimezone(dt.UTC)
                arr = dep + out_block
                back_dep = _round5(arr + turnaround)
                back_arr = back_dep + back_block
                flight_id += 1
                data.flights.append(_flight(flight_id, out_no, carrier, HUB, route.spoke, local.date(), dep, arr))
                flight_id += 1
                data.flights.append(_flight(flight_id, back_no, carrier, route.spoke, HUB,
                                            back_dep.astimezone(spoke_tz).date(), back_dep, back_arr))
                for fid in (flight_id - 1, flight_id):
                    data.inventory.append({"flight_id": fid, "cabin": "economy", "capacity": economy, "sold": 0})
                    data.inventory.append({"flight_id": fid, "cabin": "business", "capacity": business, "sold": 0})
    # disruptions: ~3% of rotations cancelled (out and back), ~8% of other flights delayed
    for i in range(0, len(data.flights), 2):
        roll = rng.random()
        if roll < 0.03:
            for f in data.flights[i : i + 2]:
                f["status"] = "cancelled"
        elif roll < 0.11:
            for f in data.flights[i : i + 2 if rng.random() < 0.6 else i + 1]:
                delay = dt.timedelta(minutes=rng.choice((20, 35, 45, 60, 90, 120, 150, 185, 240, 320)))
                f["status"] = "delayed"
                f["estimated_departure"] = f["scheduled_departure"] + delay
                f["estimated_arrival"] = f["scheduled_arrival"] + delay


def _flight(fid: int, number: str, carrier: str, origin: str, destination: str, local_date: dt.date,
            dep: dt.datetime, arr: dt.datetime) -> dict[str, Any]:
    return {"id": fid, "flight_number": number, "operating_carrier": carrier, "origin": origin,
            "destination": destination, "local_date": local_date, "scheduled_departure": dep,
            "scheduled_arrival": arr, "status": "scheduled", "estimated_departure": None, "estimated_arrival": None}


class _Bookings:
    """Helper state for placing bookings onto flights without overselling."""

    def __init__(self, data: DemoData) -> None:
        self.data = data
        self.by_route_date: dict[tuple[str, str, dt.date], list[dict[str, Any]]] = {}
        self.from_hub: dict[str, list[dict[str, Any]]] = {}
        for f in data.flights:
            self.by_route_date.setdefault((f["origin"], f["destination"], f["local_date"]), []).append(f)
            if f["origin"] == HUB:
                self.from_hub.setdefault(f["destination"], []).append(f)
        for flights in self.from_hub.values():
            flights.sort(key=lambda f: f["scheduled_departure"])
        self.inventory = {(i["flight_id"], i["cabin"]): i for i in data.inventory}

    def free(self, flight: dict[str, Any], cabin: str) -> int:
        inv = self.inventory[(flight["id"], cabin)]
        return inv["capacity"] - inv["sold"]

    def direct(self, rng: random.Random, origin: str, destination: str, day: dt.date) -> dict[str, Any] | None:
        flights = self.by_route_date.get((origin, destination, day))
        return rng.choice(flights) if flights else None

    def connection(self, leg1: dict[str, Any], destination: str) -> dict[str, Any] | None:
        earliest = leg1["scheduled_arrival"] + MIN_CONNECTION
        for f in self.from_hub.get(destination, ()):
            if f["scheduled_departure"] >= earliest:
                return f if f["scheduled_departure"] - leg1["scheduled_arrival"] <= MAX_CONNECTION else None
        return None


def _journey(rng: random.Random, b: _Bookings, origin: str, destination: str,
             day: dt.date) -> list[dict[str, Any]] | None:
    if HUB in (origin, destination):
        f = b.direct(rng, origin, destination, day)
        return [f] if f else None
    leg1 = b.direct(rng, origin, HUB, day)
    if not leg1:
        return None
    leg2 = b.connection(leg1, destination)
    return [leg1, leg2] if leg2 else None


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("ø", "o").replace("Ø", "O"))
    return "".join(c for c in text if c.isascii() and (c.isalnum())).lower()


def _build_bookings(rng: random.Random, data: DemoData, count: int) -> None:
    b = _Bookings(data)
    info = airport_info()
    spokes = [r.spoke for r in ROUTES]
    spoke_weights = [r.per_day + (1 if r.long_haul else 0) for r in ROUTES]
    first_day, last_day = data.anchor - dt.timedelta(days=1), data.anchor + dt.timedelta(days=data.days - 1)
    dates = [first_day + dt.timedelta(days=i) for i in range(data.days + 1)]
    refs: set[str] = {b.reference for b in SHOWCASE}
    created_base = dt.datetime.combine(data.anchor, dt.time(0), tzinfo=dt.UTC)
    langs = list(NAMES)
    made = attempts = 0
    while made < count:
        attempts += 1
        if attempts > count * 20 + 1000:  # pathological sizes (tiny network, huge count): stop, never loop forever
            break
        kind = rng.random()
        a = rng.choices(spokes, spoke_weights)[0]
        if kind < 0.65:  # direct hub <-> spoke
            origin, destination = (HUB, a) if rng.random() < 0.5 else (a, HUB)
        else:  # spoke -> hub -> spoke
            z = rng.choices(spokes, spoke_weights)[0]
            if z == a:
                continue
            origin, destination = a, z
        round_trip = rng.random() < 0.35
        day = rng.choice(dates)
        pax = rng.choices((1, 2, 3, 4), (45, 30, 13, 12))[0]
        business = rng.random() < 0.1
        cabin = "business" if business else "economy"
        out = _journey(rng, b, origin, destination, day)
        if not out:
            continue
        journeys = [out]
        if round_trip:
            back_day = day + dt.timedelta(days=rng.randint(2, 7))
            back = _journey(rng, b, destination, origin, back_day) if back_day <= last_day else None
            if back and back[0]["scheduled_departure"] > out[-1]["scheduled_arrival"]:
                journeys.append(back)
        flights = [f for j in journeys for f in j]
        if any(b.free(f, cabin) < pax for f in flights):
            continue
        ref = "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(6))
        if ref in refs:
            continue
        refs.add(ref)
        made += 1
        for f in flights:
            b.inventory[(f["id"], cabin)]["sold"] += pax
        # fare
        family = rng.choices(("STANDARD", "FLEX"), (55, 45))[0] if business else \
            rng.choices(("LIGHT", "STANDARD", "FLEX"), (40, 40, 20))[0]
        changeable, change_fee, refundable, cancel_fee, factor = FARES[family]
        price = sum(60 + distance_km(f["origin"], f["destination"]) * 0.075 for f in flights)
        price *= factor * (3.2 if business else 1.0) * pax
        total = Decimal(str(round(price))).quantize(Decimal("0.01"))
        # passengers
        country = info[a]["country"]
        lang = COUNTRY_LANG.get(country) if rng.random() < 0.6 else None
        lang = lang or rng.choice(langs)
        firsts, lasts = NAMES[lang]
        family_name = rng.choice(lasts)
        same_family = pax > 1 and rng.random() < 0.7
        people: list[dict[str, Any]] = []
        given = rng.sample(firsts, pax)
        for p in range(pax):
            last = family_name if (p == 0 or same_family) else rng.choice(lasts)
            ptype, assist = "adult", None
            if same_family and p >= 2:
                ptype = "infant" if rng.random() < 0.15 else "child"
            if pax == 1 and rng.random() < 0.02:
                ptype, assist = "unaccompanied_minor", "UMNR"
            elif ptype == "adult" and rng.random() < 0.035:
                assist = rng.choices([c for c, _ in ASSISTANCE], [w for _, w in ASSISTANCE])[0]
            people.append({"booking_reference": ref, "position": p, "first_name": given[p],
                           "last_name": last, "last_name_key": name_key(last), "type": ptype,
                           "special_assistance": assist})
        data.passengers.extend(people)
        lead = people[0]
        email = f"{_ascii(lead['first_name'])}.{_ascii(lead['last_name'])}{rng.randint(1, 99)}@example.com"
        phone = f"{PHONE_PREFIX[lang]} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        created = created_base - dt.timedelta(minutes=rng.randint(60 * 24, 60 * 24 * 90))
        cancelled_by_customer = rng.random() < 0.01
        data.bookings.append({
            "reference": ref, "status": "cancelled" if cancelled_by_customer else "confirmed",
            "fare_basis": family, "changeable": changeable, "change_fee": change_fee, "refundable": refundable,
            "cancel_fee": cancel_fee, "currency": "EUR", "total_paid": total, "contact_email": email,
            "contact_phone": phone, "version": 1, "created_at": created, "updated_at": created,
        })
        for j, legs in enumerate(journeys):
            for pos, f in enumerate(legs):
                status = "cancelled_by_airline" if f["status"] == "cancelled" else "confirmed"
                if cancelled_by_customer:
                    status = "cancelled"
                data.segments.append({"booking_reference": ref, "journey": j, "position": pos, "flight_id": f["id"],
                                      "cabin": cabin, "status": status, "active": True})
        if cancelled_by_customer:  # their seats went back on sale
            for f in flights:
                b.inventory[(f["id"], cabin)]["sold"] -= pax


@dataclass(frozen=True, slots=True)
class Showcase:
    """A booking that exists in every demo seed, so the README's and the replies' examples work as written."""

    reference: str
    first_name: str
    last_name: str
    destination: str  # (the cancelled one flies wherever the airline cancelled a departure)
    day_offset: int  # days after the seed date
    fare: str
    cancelled_by_airline: bool = False


SHOWCASE: tuple[Showcase, ...] = (
    # the README's walk-through and the example in the bot's own prompts
    Showcase("X7K2PQ", "Anna", "Jansen", "LHR", 2, "FLEX"),
    # a flight the airline cancelled: the EU261 choice (rebook free of charge or a full refund)
    Showcase("CXEU26", "Marie", "Dubois", "CDG", 1, "STANDARD", cancelled_by_airline=True),
    # a LIGHT fare: no changes unless the airline disrupted the flight
    Showcase("LGHT7F", "Jonas", "Becker", "FRA", 3, "LIGHT"),
)


def _add_showcase_bookings(data: DemoData, count: int) -> None:
    b = _Bookings(data)
    created = dt.datetime.combine(data.anchor, dt.time(0), tzinfo=dt.UTC) - dt.timedelta(days=30)
    for sc in SHOWCASE[:count]:
        day = data.anchor + dt.timedelta(days=min(sc.day_offset, data.days - 1))
        if sc.cancelled_by_airline:  # the first departure from the hub the airline cancelled, from the seed date on
            candidates = sorted(
                (f for f in data.flights if f["origin"] == HUB and f["status"] == "cancelled"
                 and f["local_date"] >= data.anchor and b.free(f, "economy") > 0),
                key=lambda f: f["scheduled_departure"],
            )
        else:
            candidates = [f for f in b.by_route_date.get((HUB, sc.destination, day), [])
                          if f["status"] == "scheduled" and b.free(f, "economy") > 0]
        flight = candidates[0] if candidates else None
        if flight is None:
            continue
        b.inventory[(flight["id"], "economy")]["sold"] += 1
        changeable, change_fee, refundable, cancel_fee, factor = FARES[sc.fare]
        km = distance_km(HUB, flight["destination"])
        total = Decimal(str(round((60 + km * 0.075) * factor))).quantize(Decimal("0.01"))
        data.bookings.append({
            "reference": sc.reference, "status": "confirmed", "fare_basis": sc.fare, "changeable": changeable,
            "change_fee": change_fee, "refundable": refundable, "cancel_fee": cancel_fee, "currency": "EUR",
            "total_paid": total, "contact_email": f"{_ascii(sc.first_name)}.{_ascii(sc.last_name)}@example.com",
            "contact_phone": "+31 6 100 0000", "version": 1, "created_at": created, "updated_at": created,
        })
        data.passengers.append({"booking_reference": sc.reference, "position": 0, "first_name": sc.first_name,
                                "last_name": sc.last_name, "last_name_key": name_key(sc.last_name),
                                "type": "adult", "special_assistance": None})
        data.segments.append({"booking_reference": sc.reference, "journey": 0, "position": 0,
                              "flight_id": flight["id"], "cabin": "economy",
                              "status": "cancelled_by_airline" if flight["status"] == "cancelled" else "confirmed",
                              "active": True})


def _add_background_load(rng: random.Random, data: DemoData) -> None:
    """Seats sold to people who are not in the demo data: some flights end up nearly or fully sold out."""
    for inv in data.inventory:
        roll = rng.random()
        if roll < 0.06:
            target = inv["capacity"]
        elif roll < 0.16:
            target = inv["capacity"] - rng.randint(1, 4)
        else:
            target = int(inv["capacity"] * rng.uniform(0.35, 0.9))
        inv["sold"] = min(inv["capacity"], max(inv["sold"], target))


# --- writing it -----------------------------------------------------------------------------------------------------
CHUNK = 2000


async def demo_is_seeded(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return bool(await conn.scalar(select(func.count()).select_from(ResMeta.__table__)))


async def reset_demo(engine: AsyncEngine, *, anchor: dt.date, days: int = 14, bookings: int = 5000) -> dict[str, int]:
    """Delete the demo airline (bookings, flights, idempotency keys) and seed it afresh, e.g. when it went stale."""
    from bot.reservations.sql.models import ResIdempotency

    async with engine.begin() as conn:
        for model in (ResIdempotency, ResSegment, ResPassenger, ResBooking, ResInventory, ResFlight, ResAirport,
                      ResMeta):
            await conn.execute(delete(model))
    return await seed_demo(engine, anchor=anchor, days=days, bookings=bookings)


async def seed_demo(engine: AsyncEngine, *, anchor: dt.date, days: int = 14, bookings: int = 5000) -> dict[str, int]:
    """Write the demo airline in one transaction; returns row counts. Does nothing when it is already seeded
    (also when another process seeds it at the same moment: the meta rows are written first and collide)."""
    data = await asyncio.to_thread(build_demo, anchor=anchor, days=days, bookings=bookings)  # CPU: off the loop
    tables = [
        (ResMeta, data.meta), (ResAirport, data.airports), (ResFlight, data.flights), (ResInventory, data.inventory),
        (ResBooking, data.bookings), (ResPassenger, data.passengers), (ResSegment, data.segments),
    ]
    try:
        async with engine.begin() as conn:
            if await conn.scalar(select(func.count()).select_from(ResMeta.__table__)):
                return {}
            for model, rows in tables:
                for i in range(0, len(rows), CHUNK):
                    await conn.execute(insert(model), rows[i : i + CHUNK])
            if conn.dialect.name == "postgresql":  # explicit ids were written: move the sequence past them
                await conn.execute(text(
                    "SELECT setval(pg_get_serial_sequence('res_flights', 'id'), (SELECT max(id) FROM res_flights))"
                ))
    except IntegrityError:
        if await demo_is_seeded(engine):
            return {}
        raise
    return {model.__tablename__: len(rows) for model, rows in tables}
