"""Flight status: by flight number and date, from the verified booking, unknown flights."""

from __future__ import annotations

import pytest

from tests.dialogue.conftest import LANGUAGES, expecting, said, text_of


@pytest.mark.parametrize("language", LANGUAGES)
async def test_status_by_flight_number(chat, flows, language):
    c = chat(language)
    r = await c.send("KL1233", "flight_status", flight_number="KL1233")
    assert said(flows, r, "status_on_time", language)
    text = text_of(r).replace("15.00", "15:00").replace("16.15", "16:15")  # Danish writes 15.00
    assert "15:00" in text and "16:15" in text  # local times in Amsterdam and Paris
    assert c.state["stack"] == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_status_delayed_and_cancelled(chat, flows, language):
    c = chat(language)
    r = await c.send("KL1235 today", "flight_status", flight_number="KL1235", date="2026-11-24")
    assert said(flows, r, "status_delayed", language) and "19:50" in text_of(r).replace("19.50", "19:50")
    r = await c.send("KL1231", "flight_status", flight_number="KL1231")
    assert said(flows, r, "status_cancelled", language)


async def test_status_with_a_date(chat, flows):
    c = chat()
    r = await c.send("KL1009 on the 26th", "flight_status", flight_number="KL1009", date="2026-11-26")
    assert said(flows, r, "status_on_time", "en") and "Thu 26 Nov" in text_of(r)


async def test_unknown_flight_asks_again(chat, airline, flows):
    c = chat("de")
    r = await c.send("KL9999", "flight_status", flight_number="KL9999")
    assert said(flows, r, "unknown_flight", "de") and "KL9999" in text_of(r)
    assert expecting(r) == "flight_number"
    r = await c.send("1233")  # the digits alone: the airline's own flight
    assert said(flows, r, "status_on_time", "de")
    assert airline.changes() == 0


async def test_status_asks_for_the_flight(chat, flows):
    c = chat()
    r = await c.w("status", "flight_status")
    assert said(flows, r, "ask_flight_number", "en") and expecting(r) == "flight_number"
    r = await c.send("KL 1600", flight_number="KL1600")
    assert said(flows, r, "status_departed", "en")


async def test_status_from_the_verified_booking(chat, flows):
    c = chat()
    await c.w("status", "flight_status")
    r = await c.identify("C4NCLD", "Dupont")
    assert said(flows, r, "status_cancelled", "en") and "KL1231" in text_of(r)
    # once verified, the booking answers directly
    r = await c.w("status", "flight_status")
    assert said(flows, r, "status_cancelled", "en")


async def test_flight_number_without_intent(chat, flows):
    c = chat()
    r = await c.send("KL1233", "provide_info", flight_number="KL1233")
    assert said(flows, r, "status_on_time", "en")
