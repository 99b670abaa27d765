"""The flows against the real demo airline (SqlReservationAdapter on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogue.engine import FlowEngine
from bot.reservations.sql.adapter import SqlReservationAdapter
from bot.reservations.sql.demo import demo_bookings
from bot.reservations.sql.seed import seed_demo
from bot.settings import Settings
from tests.dialogue.conftest import ROOT, Chat, expecting, said, text_of

ANCHOR = dt.datetime.now(dt.UTC).date()
NOW = dt.datetime.combine(ANCHOR, dt.time(5, 0), tzinfo=dt.UTC)


@pytest.fixture
async def demo(engine, flows):
    await seed_demo(engine, anchor=ANCHOR, days=3, bookings=300)
    adapter = SqlReservationAdapter(engine, Settings(seed_demo=False), clock=lambda: NOW)
    bot = FlowEngine(Settings(content_dir=ROOT), adapter, flows)
    picked = {b["tags"][0]: b for b in await demo_bookings(engine, limit=12, now=NOW)}
    return bot, adapter, picked


def chat(bot: FlowEngine, language: str) -> Chat:
    return Chat(bot, language, now=NOW)


async def test_rebook_cancel_and_refusals_with_the_demo_airline(demo, flows):
    bot, adapter, picked = demo
    simple = picked["simple change"]
    ref, name = simple["reference"], simple["passengers"][0]["last_name"]
    for language in ("en", "nl", "fr", "de"):
        before = await adapter.get_booking(ref)
        c = chat(bot, language)
        await c.w("rebook", "rebook")
        await c.send(ref.lower(), booking_reference=ref)
        r = await c.send(name.upper())  # a raw last name in capitals
        assert said(flows, r, "ask_travel_date", language), text_of(r)
        r = await c.send("asap", "provide_info")
        assert said(flows, r, "offer_options", language), text_of(r)
        option = r.state["nlu_context"]["options"][0]
        r = await c.send("1", "choose_option", option=1)
        assert said(flows, r, "confirm_rebook", language)
        r = await c.w("yes", "affirm")
        assert said(flows, r, "rebook_done", language), text_of(r)
        after = await adapter.get_booking(ref)
        assert after.version == before.version + 1
        assert [s.flight_number for s in after.segments] == option["flight_numbers"]
        r = await c.w("yes", "affirm")  # repeating the confirmation changes nothing more
        assert said(flows, r, "already_done", language)
        assert (await adapter.get_booking(ref)).version == after.version

    # a wrong last name is refused like an unknown reference
    c = chat(bot, "en")
    await c.w("cancel", "cancel")
    wrong = await c.identify(ref, name + "x")
    unknown = await c.identify("QQQQQ9", name)
    assert said(flows, wrong, "booking_not_found", "en") and text_of(wrong) == text_of(unknown)

    # cancel another booking
    other = picked.get("accented name") or picked["family of four"]
    c = chat(bot, "de")
    await c.w("cancel", "cancel")
    r = await c.identify(other["reference"], other["passengers"][0]["last_name"])
    assert expecting(r) == "confirmation", text_of(r)
    r = await c.w("yes", "affirm")
    assert "storniert" in text_of(r)
    assert (await adapter.get_booking(other["reference"])).status == "cancelled"
    version = (await adapter.get_booking(other["reference"])).version
    await c.w("yes", "affirm")
    assert (await adapter.get_booking(other["reference"])).version == version


async def test_eu261_and_handoffs_with_the_demo_airline(demo, flows):
    bot, adapter, picked = demo
    eu = picked.get("disrupted by the airline (EU261)")
    if eu is not None:
        c = chat(bot, "fr")
        await c.w("cancel", "cancel")
        r = await c.identify(eu["reference"], eu["passengers"][0]["last_name"])
        if expecting(r) == "option":  # (a partner or assisted EU261 booking hands off instead)
            assert said(flows, r, "eu261_offer", "fr")
            r = await c.send("3", "choose_option", option=3)
            assert said(flows, r, "confirm_cancel_eu261", "fr")
            await c.w("yes", "affirm")
            assert (await adapter.get_booking(eu["reference"])).status == "cancelled"
    for tag, reason in [("special assistance (wheelchair)", "special_assistance"),
                        ("unaccompanied minor", "unaccompanied_minor"),
                        ("partner-operated flight", "partner_operated")]:
        b = picked.get(tag)
        if b is None:
            continue
        c = chat(bot, "en")
        await c.w("rebook", "rebook")
        r = await c.identify(b["reference"], b["passengers"][0]["last_name"])
        assert r.handoff is not None, (tag, text_of(r))
        if tag != "partner-operated flight":
            assert r.handoff.reason == reason


async def test_flight_status_with_the_demo_airline(demo, flows):
    bot, _adapter, picked = demo
    seg = picked["simple change"]["segments"][0]
    day = seg["departure_local"][:10]
    c = chat(bot, "nl")
    r = await c.send(f"{seg['flight_number']} {day}", "flight_status", flight_number=seg["flight_number"], date=day)
    assert seg["departure_local"][11:] in text_of(r) or said(flows, r, "status_delayed", "nl"), text_of(r)
    r = await c.send("KL9999", "flight_status", flight_number="KL9999", date=day)
    assert said(flows, r, "unknown_flight", "nl")
