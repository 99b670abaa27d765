"""A booking given without an ask the bot can serve is looked at first (flows/booking_given.yml)."""

from __future__ import annotations

import pytest

from tests.dialogue.conftest import expecting, said, text_of


async def test_a_booking_alone_is_looked_up_and_the_bot_asks_what_to_do(chat, airline, flows):
    c = chat("nl")
    r = await c.send("X7K2PQ Jansen", booking_reference="X7K2PQ", last_name="Jansen")
    assert said(flows, r, "booking_found", "nl") and said(flows, r, "what_to_do_found", "nl")
    assert not said(flows, r, "what_to_do_with_booking", "nl")  # no "thank you" twice
    assert airline.changes() == 0


async def test_a_wrong_booking_is_said_at_once_not_after_the_next_ask(chat, flows):
    c = chat()
    r = await c.send("X7K2QP Jansen", booking_reference="X7K2QP", last_name="Jansen")
    assert said(flows, r, "booking_not_found", "en") and not said(flows, r, "what_to_do_found", "en")
    assert expecting(r) == "last_name"


async def test_what_happened_to_my_flight_with_the_booking_says_its_status(chat, flows):
    c = chat()
    r = await c.send("what happened to my flight? X7K2PQ Jansen", booking_reference="X7K2PQ", last_name="Jansen")
    assert "KL1001" in text_of(r)
    assert any(said(flows, r, k, "en") for k in ("status_on_time", "status_delayed", "status_departed"))


async def test_a_day_once_the_booking_is_known_is_a_rebooking(chat, flows):
    c = chat()
    await c.send("X7K2PQ Jansen", booking_reference="X7K2PQ", last_name="Jansen")
    r = await c.send("I'd rather go on the 26th", date="2026-11-26")
    assert expecting(r) == "option" and not said(flows, r, "what_to_do_found", "en")


async def test_a_hotel_question_gets_what_care_we_give(chat, flows):
    c = chat("fr")
    r = await c.send("et pour l'hôtel cette nuit ? qui paie ?", "crisis_info", flags=("care",))
    assert said(flows, r, "intent_care", "fr") and not said(flows, r, "intent_crisis_info", "fr")


async def test_care_and_compensation_asked_in_the_middle_of_a_rebooking_then_back(chat, airline, flows):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify()
    r = await c.send("will I get compensation for this mess? and who pays for the hotel tonight?", "complaint",
                     flags=("care", "compensation"), date="2026-11-24")
    assert said(flows, r, "intent_care", "en") and said(flows, r, "intent_compensation", "en")
    assert said(flows, r, "back_to_flow", "en") and expecting(r) == "date"  # "tonight" is no travel date here
    assert airline.changes() == 0


async def test_a_rebooking_asked_with_a_hotel_in_the_same_message_is_a_rebooking(chat, flows):
    c = chat()
    r = await c.send("rebook me tomorrow, and I need a hotel", "rebook", flags=("care",), date="2026-11-25")
    assert not said(flows, r, "intent_care", "en") and expecting(r) == "booking_reference"


async def test_a_hotel_question_with_the_booking_answers_and_looks_at_the_booking(chat, flows):
    c = chat()
    r = await c.send("our flight got cancelled, we're stuck with no hotel. C4NCLD Dupont", "crisis_info",
                     flags=("disruption", "care"), booking_reference="C4NCLD", last_name="Dupont")
    assert said(flows, r, "intent_care", "en") and said(flows, r, "booking_found", "en")
    assert said(flows, r, "eu261_offer", "en")


async def test_a_day_name_is_no_booking_reference(chat, flows):
    c = chat()
    await c.w("rebook", "rebook")
    r = await c.send("monday", date="2026-11-30")
    assert expecting(r) == "booking_reference" and not said(flows, r, "ask_last_name", "en")
    r = await c.send("X7K2PQ")  # a reference the NLU did not mark is still taken
    assert said(flows, r, "ask_last_name", "en")


@pytest.mark.parametrize(("language", "unsure"), [("de", "hmm weiß nicht"), ("en", "not sure"),
                                                  ("nl", "misschien")])
async def test_not_sure_at_a_confirmation_changes_nothing_and_asks_again(chat, airline, flows, language, unsure):
    c = chat(language)
    await c.w("cancel", "cancel")
    await c.identify()
    r = await c.send(unsure, "deny", confidence=0.7)
    assert said(flows, r, "not_changed_yet", language) and said(flows, r, "confirm_cancel_refund", language)
    assert not said(flows, r, "cancel_kept", language) and airline.changes() == 0


async def test_the_status_of_a_connection_gives_every_flight_of_the_journey(chat, flows):
    c = chat()
    r = await c.send("whats the status of my booking MULTI1 rossi, i have a connection in amsterdam",
                     booking_reference="MULTI1", last_name="rossi")
    assert "KL2005" in text_of(r) and "KL1001" in text_of(r)
    assert not said(flows, r, "what_to_do_found", "en")


async def test_a_cancelled_booking_is_said_to_be_cancelled_at_once(chat, airline, flows):
    airline.bookings["X7K2PQ"] = airline.bookings["X7K2PQ"].model_copy(update={"status": "cancelled"})
    c = chat("nl")
    r = await c.send("hallo mijn boeking is X7K2PQ en mijn naam is Jansen", booking_reference="X7K2PQ",
                     last_name="Jansen")
    assert said(flows, r, "booking_cancelled", "nl") and not said(flows, r, "what_to_do_found", "nl")


async def test_a_care_question_in_the_message_that_asks_for_a_new_flight_is_answered_too(chat, flows):
    c = chat()
    r = await c.send("strike again!! rebook me please. who pays for our food and will we get compensation??",
                     "rebook", flags=("care", "compensation"))
    assert said(flows, r, "intent_care", "en") and said(flows, r, "intent_compensation", "en")
    assert expecting(r) == "booking_reference"  # the rebooking goes on: its question comes last
    last = r.replies[-1].text.lower()
    assert "hotel" not in last and "compensation" not in last and "booking" in last
