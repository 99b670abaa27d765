"""`crisisbot demo bookings`: a varied sample to try the bot with, as JSON-able dicts and as text."""

from __future__ import annotations

import json

from bot.reservations.base import SearchWishes
from bot.reservations.sql import demo_bookings, format_bookings_text, seed_demo
from tests.reservations.conftest import ANCHOR, NOW, make_adapter


async def test_default_sample_covers_the_cases_worth_trying(engine) -> None:
    await seed_demo(engine, anchor=ANCHOR, days=3, bookings=400)
    sample = await demo_bookings(engine, limit=12, now=NOW)
    json.dumps(sample)  # JSON-able
    tags = {t for item in sample for t in item["tags"]}
    assert {"simple change", "disrupted by the airline (EU261)", "LIGHT fare (no changes)",
            "special assistance (wheelchair)", "connection via the hub"} <= tags
    assert len({item["reference"] for item in sample}) == len(sample) <= 12
    adapter = make_adapter(engine)
    for item in sample:
        booking = await adapter.find_booking(item["reference"], item["passengers"][0]["last_name"])
        assert item["version"] == booking.version and item["disrupted"] == booking.disrupted
        assert [s["flight_number"] for s in item["segments"]] == [s.flight_number for s in booking.segments]
        if "simple change" in item["tags"]:
            assert booking.party_size == 1 and booking.fare.changeable
            assert await adapter.search_alternatives(booking, SearchWishes())
        if "disrupted by the airline (EU261)" in item["tags"]:
            assert any(s["status"] == "cancelled_by_airline" for s in item["segments"])
        if "connection via the hub" in item["tags"]:
            assert item["segments"][0]["destination"] == "AMS" == item["segments"][1]["origin"]
    assert len(await demo_bookings(engine, limit=3, now=NOW)) == 3

    text = format_bookings_text(sample)
    for item in sample:
        assert item["reference"] in text and item["passengers"][0]["last_name"] in text


async def test_one_booking_by_reference(engine) -> None:
    await seed_demo(engine, anchor=ANCHOR, days=2, bookings=50)
    first = (await demo_bookings(engine, limit=1, now=NOW))[0]
    again = await demo_bookings(engine, reference=first["reference"].lower(), now=NOW)
    assert [b["reference"] for b in again] == [first["reference"]]
    seg = again[0]["segments"][0]
    assert seg["departure_utc"].endswith("+00:00") and len(seg["departure_local"]) == 16
    assert await demo_bookings(engine, reference="ZZZZZZ") == []
    assert await demo_bookings(engine, reference="not a ref") == []
    assert format_bookings_text([]) == "No demo bookings found."
