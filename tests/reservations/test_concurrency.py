"""Concurrent rebookings: seats are never oversold, and one idempotency key changes a booking once."""

from __future__ import annotations

import asyncio
import collections

from bot.reservations.base import ChangeResult, NoSeatsAvailable
from bot.reservations.sql.adapter import make_option_id
from tests.reservations.conftest import NOW, H, add_bookings, add_flight, make_adapter, sold


async def test_last_ten_seats_go_to_exactly_ten_of_two_hundred(airports) -> None:
    engine = airports
    current = await add_flight(engine, "KL9001", "LHR", "AMS", NOW + 3 * H, capacity=250)
    target = await add_flight(engine, "KL9003", "LHR", "AMS", NOW + 8 * H, capacity=100, sold=90)
    refs = [f"C{i:05d}" for i in range(200)]
    await add_bookings(engine, refs, [current])
    adapter = make_adapter(engine)
    option_id = make_option_id(0, [{"flight_number": "KL9003", "local_date": (NOW + 8 * H).date()}], "economy")

    results = await asyncio.gather(*(adapter.rebook(ref, option_id, f"key-{ref}") for ref in refs),
                                   return_exceptions=True)

    kinds = collections.Counter(type(r).__name__ for r in results)
    assert kinds == {"ChangeResult": 10, "NoSeatsAvailable": 190}
    assert await sold(engine, target) == (100, 100)
    assert await sold(engine, current) == (190, 250)
    winners = {r.booking.reference for r in results if isinstance(r, ChangeResult)}
    for ref, r in zip(refs, results, strict=True):
        booking = await adapter.get_booking(ref)
        if ref in winners:
            assert booking.version == 2 and booking.segments[0].flight_number == "KL9003"
        else:
            assert isinstance(r, NoSeatsAvailable)
            assert booking.version == 1 and booking.segments[0].flight_number == "KL9001"


async def test_fifty_requests_with_one_key_change_the_booking_once(airports) -> None:
    engine = airports
    current = await add_flight(engine, "KL9001", "LHR", "AMS", NOW + 3 * H)
    target = await add_flight(engine, "KL9003", "LHR", "AMS", NOW + 8 * H)
    await add_bookings(engine, ["ONEKEY"], [current], passengers=[("Jan", "Jansen"), ("Eva", "Jansen")])
    adapter = make_adapter(engine)
    option_id = make_option_id(0, [{"flight_number": "KL9003", "local_date": (NOW + 8 * H).date()}], "economy")

    results = await asyncio.gather(*(adapter.rebook("ONEKEY", option_id, "same-key") for _ in range(50)))

    assert sum(not r.idempotent_replay for r in results) == 1
    assert {r.booking for r in results} == {results[0].booking}
    booking = await adapter.get_booking("ONEKEY")
    assert booking.version == 2 and booking.segments[0].flight_number == "KL9003"
    assert (await sold(engine, target))[0] == 2 and (await sold(engine, current))[0] == 0


async def test_concurrent_cancels_with_one_key_refund_once(airports) -> None:
    engine = airports
    current = await add_flight(engine, "KL9001", "LHR", "AMS", NOW + 3 * H)
    await add_bookings(engine, ["ONECAN"], [current], fare="FLEX", total="250.00")
    adapter = make_adapter(engine)
    results = await asyncio.gather(*(adapter.cancel("ONECAN", "refund", "cancel-key") for _ in range(20)))
    assert sum(not r.idempotent_replay for r in results) == 1
    assert all(r.refund_amount == 250 and r.booking.status == "cancelled" for r in results)
    assert (await sold(engine, current))[0] == 0
