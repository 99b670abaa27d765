"""What a passenger says is understood the way people say it: data kept across questions, options chosen by
description, short yes/no answers in any language, "whatever" to the date question."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogue.base import Turn
from bot.nlu.base import Entity, IntentPrediction, Parse
from bot.nlu.entities.options import describe_option
from tests.dialogue.conftest import Chat, expecting, said, text_of
from tests.dialogue.fake_adapter import TOMORROW, Flight, _at


async def test_a_wished_date_given_before_the_name_is_kept(chat, flows):
    c = chat("nl")
    await c.send("boeking X7K2PQ, kan ik morgen vliegen?", "rebook", booking_reference="X7K2PQ",
                 date=TOMORROW.isoformat())
    r = await c.send("Jansen", last_name="Jansen")  # the follow-up question did not drop the date
    assert said(flows, r, "booking_found", "nl") and expecting(r) == "option"
    assert {o["date_local"] for o in r.state["nlu_context"]["options"]} == {TOMORROW.isoformat()}


async def test_the_booked_flights_date_is_not_taken_for_the_wished_one(flow_engine):
    text = "my flight tomorrow is cancelled, booking X7K2PQ, name Jansen"
    # the parse as the NLU gives it: the date right after "my flight" is the booked flight's
    parse = Parse(text=text, language="en", intent=IntentPrediction("rebook", 0.95),
                  intent_ranking=(IntentPrediction("rebook", 0.95),),
                  entities=(Entity("date", TOMORROW.isoformat(), 10, 18, "tomorrow"),
                            Entity("booking_reference", "X7K2PQ", 41, 47, "X7K2PQ"),
                            Entity("last_name", "Jansen", 54, 60, "Jansen")))
    c = Chat(flow_engine, "en")
    r = await flow_engine.handle(Turn(conversation_id=c.conversation_id, channel="rest", sender_id="s",
                                      language="en", text=text, parse=parse, state={}, now=c.now))
    assert expecting(r) == "date"  # asked, not guessed from "my flight tomorrow"


async def test_a_day_and_a_time_pick_that_days_flight(chat, airline, flows):
    # the same departure time on two days: "wednesday the 7:05 one" must not pick Thursday's 07:05
    airline.flights.append(Flight("KL1011", "AMS", "LHR", _at(2, 6, 5), _at(2, 7, 20), seats=30))
    c = chat("en")
    await c.w("rebook", "rebook")
    await c.identify()
    day2 = TOMORROW + dt.timedelta(days=1)
    r = await c.send("thursday", date=day2.isoformat())
    options = r.state["nlu_context"]["options"]
    assert options[0]["date_local"] == day2.isoformat()  # the list starts with the day asked for
    wanted = next(o for o in options if o["date_local"] == TOMORROW.isoformat() and o["departure_local"] == "07:05")
    # the NLU matched the time against the first option; the description decides
    r = await c.send(f"{TOMORROW.strftime('%A').lower()} the 7:05 one", "choose_option", option=1)
    assert said(flows, r, "confirm_rebook", "en")
    assert wanted["flight_numbers"][0] in text_of(r) and "KL1011" not in text_of(r)


@pytest.mark.parametrize(("language", "text", "intent"), [
    ("it", "si grazie", "thanks"), ("de", "ja bitte", "thanks"), ("en", "ok thanks", "thanks"),
    ("pt", "sim, obrigada", "thanks"), ("es", "vale gracias", "nlu_fallback"), ("pl", "tak, dziękuję", "thanks"),
])
async def test_a_polite_yes_at_the_confirmation_is_a_yes(chat, airline, flows, language, text, intent):
    c = chat(language)
    await c.w("rebook", "rebook")
    await c.identify()
    await c.send("tomorrow", date=TOMORROW.isoformat())
    await c.send("1", "choose_option", option=1)
    r = await c.send(text, intent, confidence=0.9 if intent != "nlu_fallback" else 0.2)
    assert said(flows, r, "rebook_done", language), text_of(r)


async def test_a_polite_no_at_the_confirmation_changes_nothing(chat, airline, flows):
    c = chat("nl")
    await c.w("rebook", "rebook")
    await c.identify()
    await c.send("morgen", date=TOMORROW.isoformat())
    await c.send("1", "choose_option", option=1)
    r = await c.send("nee dank je", "thanks")
    assert not said(flows, r, "rebook_done", "nl")
    assert (await airline.get_booking("X7K2PQ")).segments[0].flight_number == "KL1001"


@pytest.mark.parametrize(("language", "text", "intent"), [
    ("es", "me da igual", "stop"), ("de", "egal, hauptsache schnell", "complaint"),
    ("en", "whatever, just the first one", "choose_option"), ("fr", "peu importe", "deny"),
])
async def test_whatever_to_the_date_question_means_the_first_available(chat, flows, language, text, intent):
    c = chat(language)
    await c.w("rebook", "rebook")
    await c.identify()
    r = await c.send(text, intent)
    assert said(flows, r, "offer_options", language) and expecting(r) == "option", text_of(r)


async def test_a_closing_word_with_booking_data_does_not_end_the_conversation(chat, flows):
    c = chat("pt")
    r = await c.send("reserva X7K2PQ apelido Jansen, obrigada", "thanks", booking_reference="X7K2PQ",
                     last_name="Jansen")
    assert said(flows, r, "booking_found", "pt") and said(flows, r, "what_to_do_found", "pt")
    r = await c.w("rebook", "rebook")
    assert expecting(r) == "date"


OPTS = [
    {"index": 1, "flight_numbers": ["KL1"], "departure_local": "07:55", "date_local": "2026-12-10", "stops": 0},
    {"index": 2, "flight_numbers": ["KL2"], "departure_local": "15:00", "date_local": "2026-12-10", "stops": 1},
    {"index": 3, "flight_numbers": ["KL3"], "departure_local": "07:55", "date_local": "2026-12-11", "stops": 1},
]


@pytest.mark.parametrize(("language", "text", "index"), [
    ("en", "friday the 7:55 one", 3), ("en", "thursday 7:55", 1), ("en", "the 3pm", 2), ("en", "the 3 pm one", 2),
    ("de", "den um 15 Uhr", 2), ("fr", "celui de 15h", 2), ("en", "the direct one", 1), ("en", "the later one", 3),
    ("en", "the earlier one", 1), ("nl", "die van vrijdag", 3), ("nl", "die van donderdag middag", 2),
    ("it", "quello di giovedì pomeriggio", 2), ("es", "el directo", 1), ("pl", "ten o godzinie 15", 2),
    ("en", "the 7:55", None), ("en", "2", None), ("en", "the second one", None), ("en", "friday at 3pm", None),
])
def test_options_described(language: str, text: str, index: int | None) -> None:
    assert describe_option(text, language, OPTS) == index


async def test_a_booking_and_another_day_to_fly_is_a_rebooking(chat, flows):
    c = chat("nl")
    r = await c.send("boeking X7K2PQ naam Jansen, kan ik morgen vliegen?", "provide_info",
                     booking_reference="X7K2PQ", last_name="Jansen", date=TOMORROW.isoformat())
    assert said(flows, r, "booking_found", "nl") and expecting(r) == "option"
