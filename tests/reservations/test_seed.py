"""The demo airline's seed: deterministic, realistic enough to demo, consistent seat counts."""

from __future__ import annotations

import collections
import datetime as dt
from zoneinfo import ZoneInfo

import airportsdata
import pytest
from sqlalchemy import func, select

from bot.reservations.sql import SqlReservationAdapter, build_demo, reset_demo, seed_demo
from bot.reservations.sql.models import ResAirport, ResBooking, ResFlight, ResInventory, ResPassenger, ResSegment
from bot.reservations.sql.normalise import REFERENCE_ALPHABET
from bot.reservations.sql.seed import HUB, ROUTES
from bot.settings import Settings
from bot.store.db import create_engine
from bot.store.schema import create_schema
from tests.reservations.conftest import ANCHOR, count

BRIEF_AIRPORTS = set(
    "AMS LHR MAN EDI DUB CDG NCE FRA MUC BER ZRH VIE BRU MAD BCN LIS OPO FCO MXP ATH CPH ARN OSL WAW KRK PRG "
    "JFK ATL LAX YYZ GRU DXB SIN NRT JNB".split()
)


@pytest.fixture(scope="module")
def demo():
    return build_demo(anchor=dt.date(2026, 3, 27), days=14, bookings=5000)  # spans the EU summer-time switch


def test_same_input_same_output(demo) -> None:
    again = build_demo(anchor=dt.date(2026, 3, 27), days=14, bookings=5000)
    for name in ("airports", "flights", "inventory", "bookings", "passengers", "segments"):
        assert getattr(again, name) == getattr(demo, name), name
    other = build_demo(anchor=dt.date(2026, 3, 28), days=14, bookings=5000)
    assert min(f["local_date"] for f in other.flights) == dt.date(2026, 3, 27)


def test_sizes_follow_the_arguments() -> None:
    small = build_demo(anchor=ANCHOR, days=3, bookings=250)
    assert len(small.bookings) == 250
    assert {f["local_date"] for f in small.flights if f["origin"] == HUB} == {
        ANCHOR + dt.timedelta(days=d) for d in range(-1, 3)
    }


def test_network_is_the_brief_hub_and_spoke(demo) -> None:
    data = airportsdata.load("IATA")
    assert {a["iata"] for a in demo.airports} == BRIEF_AIRPORTS
    assert all(a["tz"] == data[a["iata"]]["tz"] for a in demo.airports)
    per_route_day = collections.Counter((f["origin"], f["destination"], f["local_date"]) for f in demo.flights
                                        if f["origin"] == HUB)
    days = {f["local_date"] for f in demo.flights if f["origin"] == HUB}
    assert len(days) == 15  # 14 days + the day before
    for route in ROUTES:
        for day in days:
            assert 1 <= per_route_day[(HUB, route.spoke, day)] <= 4
            if route.long_haul:
                assert per_route_day[(HUB, route.spoke, day)] == 1
        back = [f for f in demo.flights if f["origin"] == route.spoke]
        assert len(back) == len(days) * route.per_day and all(f["destination"] == HUB for f in back)
    assert per_route_day[(HUB, "LHR", min(days))] > per_route_day[(HUB, "OPO", min(days))]
    assert {f["operating_carrier"] for f in demo.flights} >= {"KL", "DL", "AF"}
    assert all(f["flight_number"].startswith("KL") for f in demo.flights)


def test_departures_are_local_times_and_block_times_realistic(demo) -> None:
    ams = ZoneInfo("Europe/Amsterdam")
    for f in demo.flights:
        minutes = (f["scheduled_arrival"] - f["scheduled_departure"]).total_seconds() / 60
        if {f["origin"], f["destination"]} == {"AMS", "LHR"}:
            assert 55 <= minutes <= 90
        if {f["origin"], f["destination"]} == {"AMS", "SIN"}:
            assert 11 * 60 <= minutes <= 14 * 60
        if f["origin"] == HUB:
            local = f["scheduled_departure"].astimezone(ams)
            assert local.date() == f["local_date"]
            assert 6 <= local.hour <= 22
    # the same AMS departure keeps its local clock time across the summer-time switch (29 March 2026)
    kl1000 = {f["local_date"]: f["scheduled_departure"] for f in demo.flights if f["flight_number"] == "KL1000"}
    before, after = kl1000[dt.date(2026, 3, 28)], kl1000[dt.date(2026, 3, 30)]
    assert before.astimezone(ams).time() == after.astimezone(ams).time()
    assert before.time() != after.time()


def test_bookings_are_varied(demo) -> None:
    refs = [b["reference"] for b in demo.bookings]
    assert len(set(refs)) == len(refs) == 5000
    assert all(len(r) == 6 and set(r) <= set(REFERENCE_ALPHABET) for r in refs)
    party = collections.Counter(p["booking_reference"] for p in demo.passengers)
    assert set(party.values()) == {1, 2, 3, 4}
    assert sum(1 for n in party.values() if n == 4) > 50
    assert {b["fare_basis"] for b in demo.bookings} == {"LIGHT", "STANDARD", "FLEX"}
    light = next(b for b in demo.bookings if b["fare_basis"] == "LIGHT")
    assert not light["changeable"] and not light["refundable"]
    assistance = collections.Counter(p["special_assistance"] for p in demo.passengers)
    assert assistance["WCHR"] > 10 and assistance["UMNR"] > 5
    last_names = {p["last_name"] for p in demo.passengers}
    assert {"Müller", "Gonçalves", "Wiśniewski", "van der Berg"} <= last_names
    by_ref: dict[str, list[dict]] = collections.defaultdict(list)
    for s in demo.segments:
        by_ref[s["booking_reference"]].append(s)
    flights = {f["id"]: f for f in demo.flights}
    round_trips = connections = partner = 0
    for segs in by_ref.values():
        journeys = collections.defaultdict(list)
        for s in segs:
            journeys[s["journey"]].append(flights[s["flight_id"]])
        round_trips += len(journeys) == 2
        for legs in journeys.values():
            if len(legs) == 2:
                connections += 1
                assert legs[0]["destination"] == HUB == legs[1]["origin"]
                gap = legs[1]["scheduled_departure"] - legs[0]["scheduled_arrival"]
                assert dt.timedelta(minutes=50) <= gap <= dt.timedelta(hours=24)
        partner += any(f["operating_carrier"] != "KL" for legs in journeys.values() for f in legs)
    assert round_trips > 500 and connections > 500 and partner > 50


def test_disruptions_and_seat_counts_are_consistent(demo) -> None:
    flights = {f["id"]: f for f in demo.flights}
    cancelled = [f for f in demo.flights if f["status"] == "cancelled"]
    assert 0.01 * len(flights) < len(cancelled) < 0.06 * len(flights)
    assert any(f["status"] == "delayed" and f["estimated_departure"] > f["scheduled_departure"]
               for f in demo.flights)
    for s in demo.segments:
        if s["status"] != "cancelled":
            assert (s["status"] == "cancelled_by_airline") == (flights[s["flight_id"]]["status"] == "cancelled")
    assert any(s["status"] == "cancelled_by_airline" for s in demo.segments)
    pax = collections.Counter(p["booking_reference"] for p in demo.passengers)
    booked: collections.Counter[tuple[int, str]] = collections.Counter()
    for s in demo.segments:
        if s["status"] != "cancelled":
            booked[(s["flight_id"], s["cabin"])] += pax[s["booking_reference"]]
    for inv in demo.inventory:
        assert booked[(inv["flight_id"], inv["cabin"])] <= inv["sold"] <= inv["capacity"]
        assert (150 <= inv["capacity"] <= 300) if inv["cabin"] == "economy" else (20 <= inv["capacity"] <= 40)
    full = sum(1 for inv in demo.inventory if inv["sold"] == inv["capacity"])
    nearly = sum(1 for inv in demo.inventory if 0 < inv["capacity"] - inv["sold"] <= 4)
    assert full > 20 and nearly > 20


async def test_default_size_seed_on_sqlite(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await create_schema(engine)
        adapter = SqlReservationAdapter(engine, Settings())  # the defaults: 5000 bookings, 14 days
        await adapter.initialize()
        assert await count(engine, ResAirport) >= 25
        assert await count(engine, ResBooking) >= 5000
        async with engine.connect() as conn:
            days = await conn.scalar(select(func.count(func.distinct(ResFlight.local_date))))
        assert days >= 14
        assert await adapter.anchor_date() == dt.datetime.now(dt.UTC).date()
    finally:
        await engine.dispose()


async def test_seed_writes_the_data_set_once(engine) -> None:
    counts = await seed_demo(engine, anchor=ANCHOR, days=2, bookings=200)
    expected = build_demo(anchor=ANCHOR, days=2, bookings=200)
    assert counts["res_bookings"] == await count(engine, ResBooking) == 200
    assert await count(engine, ResPassenger) == len(expected.passengers)
    assert await count(engine, ResSegment) == len(expected.segments)
    async with engine.connect() as conn:
        total_sold = await conn.scalar(select(func.sum(ResInventory.sold)))
    assert total_sold == sum(i["sold"] for i in expected.inventory)
    assert await seed_demo(engine, anchor=ANCHOR + dt.timedelta(days=1), days=2, bookings=200) == {}
    assert await count(engine, ResBooking) == 200
    # a stale demo can be replaced by a fresh one
    await reset_demo(engine, anchor=ANCHOR + dt.timedelta(days=1), days=2, bookings=50)
    assert await count(engine, ResBooking) == 50
    assert await SqlReservationAdapter(engine, Settings()).anchor_date() == ANCHOR + dt.timedelta(days=1)


async def test_initialize_seeds_only_when_asked_and_empty(engine) -> None:
    await SqlReservationAdapter(engine, Settings(seed_demo=False)).initialize()
    assert await count(engine, ResFlight) == 0
    adapter = SqlReservationAdapter(engine, Settings(demo_bookings=120, demo_days=2))
    await adapter.initialize()
    assert await count(engine, ResBooking) == 120
    await SqlReservationAdapter(engine, Settings(demo_bookings=500, demo_days=2)).initialize()
    assert await count(engine, ResBooking) == 120
