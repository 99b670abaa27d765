"""The adapter on the seeded demo airline: every booking can be found, alternatives are sane, seats add up."""

from __future__ import annotations

import collections
import datetime as dt
import random
import unicodedata

from sqlalchemy import select

from bot.reservations.base import ChangeNotAllowed, NoSeatsAvailable, SearchWishes
from bot.reservations.sql.models import ResBooking, ResInventory, ResPassenger, ResSegment
from tests.reservations.conftest import NOW, make_adapter


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


async def all_refs(engine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(ResBooking.reference).order_by(ResBooking.reference))).scalars())


async def background_load(engine) -> dict[tuple[int, str], int]:
    """sold minus the passengers of active segments of confirmed bookings: must never change."""
    async with engine.connect() as conn:
        pax = collections.Counter(
            (await conn.execute(select(ResPassenger.booking_reference))).scalars()
        )
        confirmed = set((await conn.execute(
            select(ResBooking.reference).where(ResBooking.status == "confirmed"))).scalars())
        booked: collections.Counter[tuple[int, str]] = collections.Counter()
        for s in await conn.execute(select(ResSegment).where(ResSegment.active.is_(True))):
            if s.booking_reference in confirmed and s.status in ("confirmed", "cancelled_by_airline"):
                booked[(s.flight_id, s.cabin)] += pax[s.booking_reference]
        rows = (await conn.execute(select(ResInventory))).all()
    return {(r.flight_id, r.cabin): r.sold - booked[(r.flight_id, r.cabin)] for r in rows}


async def test_every_booking_is_found_by_any_passenger_name(seeded) -> None:
    adapter = make_adapter(seeded)
    refs = await all_refs(seeded)
    assert len(refs) == 300
    for ref in refs[::3]:
        booking = await adapter.get_booking(ref)
        for p in booking.passengers:
            for typed in (p.last_name, p.last_name.upper(), strip_accents(p.last_name).lower()):
                assert (await adapter.find_booking(ref.lower(), typed)).reference == ref


async def test_alternatives_on_seeded_bookings_are_sane(seeded) -> None:
    adapter = make_adapter(seeded)
    checked = 0
    for ref in (await all_refs(seeded))[::2]:
        booking = await adapter.get_booking(ref)
        options = await adapter.search_alternatives(booking, SearchWishes(), limit=5)
        if booking.status != "confirmed":
            assert options == []
        for o in options:
            checked += 1
            assert o.seats_available >= booking.party_size and o.departure > NOW
            assert [o.departure for o in options] == sorted(o.departure for o in options)
            legs = o.segments
            if len(legs) == 2:
                assert legs[0].destination == "AMS" == legs[1].origin
                assert legs[1].departure - legs[0].arrival >= dt.timedelta(minutes=50)
            current = {(s.flight_number, s.departure) for s in booking.segments}
            assert not current & {(s.flight_number, s.departure) for s in legs}
            ends = (legs[0].origin, legs[-1].destination)
            journeys = {(s.origin, s.destination) for s in booking.segments}
            assert ends in journeys or ends in {(a.origin, b.destination) for a, b in
                                                zip(booking.segments, booking.segments[1:], strict=False)}
            assert o.change_fee == (0 if booking.disrupted else booking.fare.change_fee)
    assert checked > 50


async def test_seats_always_add_up_after_many_changes(seeded) -> None:
    adapter = make_adapter(seeded)
    before = await background_load(seeded)
    rng = random.Random(5)
    refs = await all_refs(seeded)
    changed = 0
    for i, ref in enumerate(rng.sample(refs, 80)):
        booking = await adapter.get_booking(ref)
        try:
            if i % 3 == 0:
                await adapter.cancel(ref, rng.choice(["voucher", "refund", "eu261_refund"]), f"c{i}")
            else:
                options = await adapter.search_alternatives(booking, SearchWishes(), limit=3)
                if options:
                    await adapter.rebook(ref, rng.choice(options).option_id, f"r{i}")
            changed += 1
        except (ChangeNotAllowed, NoSeatsAvailable):
            pass
    assert changed > 20
    after = await background_load(seeded)
    assert after == before
    assert all(v >= 0 for v in after.values())
