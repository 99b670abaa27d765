"""Rebook end to end: every language, idempotency, bad input, handoff triggers."""

from __future__ import annotations

import json

import pytest

from bot.dialogue.base import Turn
from bot.dialogue.engine import FlowEngine
from bot.privacy import fingerprint
from tests.dialogue.conftest import LANGUAGES, NOW, Chat, expecting, make_parse, said, text_of
from tests.dialogue.fake_adapter import TOMORROW


async def to_options(c: Chat, reference: str = "X7K2PQ", last_name: str = "Jansen") -> None:
    await c.w("rebook", "rebook")
    await c.identify(reference, last_name)
    r = await c.send("tomorrow", date=TOMORROW.isoformat())
    assert expecting(r) == "option", text_of(r)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_rebook_happy_path_in_every_language(chat, airline, flows, language):
    c = chat(language)
    r = await c.w("rebook", "rebook")
    assert said(flows, r, "ask_reference", language)
    assert expecting(r) == "booking_reference"
    r = await c.send("X7K2PQ", booking_reference="X7K2PQ")
    assert said(flows, r, "ask_last_name", language)
    r = await c.send("jansen")  # raw answer, lower case
    assert said(flows, r, "ask_travel_date", language)
    assert "X7K2PQ" in text_of(r)
    r = await c.send("25/11", date=TOMORROW.isoformat())
    assert said(flows, r, "offer_options", language)
    options = r.state["nlu_context"]["options"]
    assert [o["departure_local"] for o in options] == ["07:05", "14:05", "18:35"]  # Amsterdam local time
    assert len(r.replies[-1].buttons) == 3
    r = await c.send("2", "choose_option", option=2)
    assert said(flows, r, "confirm_rebook", language)
    assert "KL1005" in text_of(r) and "50" in text_of(r)  # the option and the change fee
    assert expecting(r) == "confirmation"
    assert airline.changes() == 0
    r = await c.w("yes", "affirm")
    assert said(flows, r, "rebook_done", language)
    assert airline.bookings["X7K2PQ"].segments[0].flight_number == "KL1005"
    assert airline.changes() == 1
    assert any(e["action"] == "change_executed" and e["reference"] == fingerprint("X7K2PQ") for e in r.events)
    # a second yes changes nothing
    r = await c.w("yes", "affirm")
    assert said(flows, r, "already_done", language)
    assert airline.changes() == 1
    assert [m for m, _ in airline.calls].count("rebook") == 1


async def test_times_are_local_and_formatted_for_the_locale(chat, flows):
    c = chat("de")
    await c.w("rebook", "rebook")
    await c.identify("NYC001", "Lee")
    r = await c.send("morgen", date=TOMORROW.isoformat())
    # KL643 leaves AMS 10:30 local and lands at JFK 12:45 New York time (KL641, tomorrow, is the current one)
    assert "10:30" in text_of(r) and "12:45" in text_of(r)
    assert "Do., 26. Nov." in text_of(r)


async def test_choice_by_time_or_flight_number(chat, airline):
    c = chat()
    await to_options(c)
    r = await c.send("the 18:35 please", "choose_option")
    assert "KL1007" in text_of(r) and expecting(r) == "confirmation"
    c2 = chat()
    await to_options(c2)
    r = await c2.send("KL 1003", "choose_option", flight_number="KL1003")
    assert "KL1003" in text_of(r) and expecting(r) == "confirmation"


async def test_connection_through_the_hub(chat):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify("MULTI1", "Rossi")
    r = await c.send("tomorrow", date=TOMORROW.isoformat())
    assert "KL2001 + KL1003" in text_of(r) or "KL2001 + KL1005" in text_of(r)
    assert "via Amsterdam" in text_of(r)


async def test_as_soon_as_possible(chat, airline):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify()
    r = await c.send("as soon as possible please")
    assert expecting(r) == "option"
    assert r.state["nlu_context"]["options"][0]["flight_numbers"] == ["KL1003"]


async def test_everything_in_the_first_message(chat):
    c = chat()
    r = await c.send("rebook X7K2PQ Jansen to tomorrow", "rebook", booking_reference="X7K2PQ", last_name="Jansen",
                     date=TOMORROW.isoformat())
    assert expecting(r) == "option"


async def test_option_out_of_range_keeps_state(chat, airline, flows):
    c = chat()
    await to_options(c)
    before = c.state["stack"]
    r = await c.send("5", "choose_option", option=5)
    assert said(flows, r, "option_out_of_range", "en") and "3" in text_of(r)
    assert expecting(r) == "option"
    assert c.state["stack"][-1]["slots"]["options"] == before[-1]["slots"]["options"]
    r = await c.send("1", "choose_option", option=1)
    assert expecting(r) == "confirmation" and "KL1003" in text_of(r)
    assert airline.changes() == 0


async def test_date_in_the_past_is_refused(chat, airline, flows):
    c = chat("fr")
    await c.w("rebook", "rebook")
    await c.identify()
    r = await c.send("le 3 novembre", date="2026-11-03")
    assert said(flows, r, "date_in_past", "fr") and said(flows, r, "ask_travel_date", "fr")
    assert expecting(r) == "date"
    assert ("search_alternatives", "X7K2PQ") not in airline.calls


async def test_no_options_asks_for_another_date(chat, flows):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify()
    r = await c.send("in two weeks", date="2026-12-08")
    assert said(flows, r, "no_options", "en") and expecting(r) == "date"


async def test_retried_confirmation_after_a_crash_changes_once(settings, airline, flows):
    """The pipeline crashed after the change but before storing the state: the same message comes again."""
    engine = FlowEngine(settings, airline, flows)
    c = Chat(engine)
    await to_options(c)
    await c.send("2", "choose_option", option=2)
    saved = json.loads(json.dumps(c.state))
    turn = Turn(conversation_id=c.conversation_id, channel="rest", sender_id="s", language="en", text="yes",
                parse=make_parse("yes", "en", "affirm"), state=saved, now=NOW)
    first = await engine.handle(turn)
    again = await FlowEngine(settings, airline, flows).handle(turn)  # another process, same stored state
    assert "KL1005" in text_of(first) and "KL1005" in text_of(again)
    assert airline.changes() == 1
    results = [e["result"] for r in (first, again) for e in r.events if e["action"] == "change_executed"]
    assert results == ["done", "replay"]


async def test_deny_at_confirmation_offers_the_options_again(chat, airline, flows):
    c = chat("nl")
    await to_options(c)
    await c.send("2", "choose_option", option=2)
    r = await c.w("no", "deny")
    assert said(flows, r, "choose_other", "nl") and expecting(r) == "option"
    r = await c.send("3", "choose_option", option=3)
    assert "KL1007" in text_of(r)
    await c.w("yes", "affirm")
    assert airline.bookings["X7K2PQ"].segments[0].flight_number == "KL1007"


async def test_seat_gone_before_confirmation(chat, airline, flows):
    c = chat()
    await to_options(c)
    await c.send("3", "choose_option", option=3)  # KL1007, one seat
    next(f for f in airline.flights if f.number == "KL1007").seats = 0
    r = await c.w("yes", "affirm")
    assert said(flows, r, "seats_gone", "en") and expecting(r) == "option"
    assert "KL1007" not in text_of(r)
    assert airline.changes() == 0


async def test_party_needs_a_seat_each(chat):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify("M3RTNS", "mueller" if False else "MÜLLER")
    r = await c.send("tomorrow", date=TOMORROW.isoformat())
    assert "KL1007" not in text_of(r)  # one seat left, two passengers


@pytest.mark.parametrize(
    ("reference", "name", "reason"),
    [
        ("WCHR01", "Smith", "special_assistance"),
        ("UMNR01", "Kid", "unaccompanied_minor"),
        ("GRP001", "Bakker", "group"),
        ("PTNR01", "Brown", "partner_operated"),
        ("RTRIP1", "Rossi", "multi_segment"),
    ],
)
async def test_cases_for_a_colleague(chat, airline, reference, name, reason):
    c = chat()
    await c.w("rebook", "rebook")
    await c.send(reference, booking_reference=reference)
    r = await c.send(name, last_name=name)
    assert r.handoff is not None and r.handoff.reason == reason
    assert reference in r.handoff.summary and "rebook" in r.handoff.summary
    assert name not in r.handoff.summary
    assert r.replies[-1].kind == "handoff"
    assert c.state["stack"] == []
    assert airline.changes() == 0


async def test_payment_beyond_policy_hands_off(chat, airline, monkeypatch):
    from decimal import Decimal

    original = airline.search_alternatives

    async def pricier(booking, wishes, *, limit=3):
        return [o.model_copy(update={"fare_difference": Decimal("120")}) for o in await original(booking, wishes,
                                                                                                  limit=limit)]

    monkeypatch.setattr(airline, "search_alternatives", pricier)
    c = chat()
    await to_options(c)
    r = await c.send("1", "choose_option", option=1)
    assert r.handoff is not None and r.handoff.reason == "payment_beyond_policy"
    assert airline.changes() == 0


async def test_disrupted_booking_rebooks_free(chat, airline, flows):
    c = chat()
    await c.w("rebook", "rebook")
    r = await c.identify("C4NCLD", "Dupont")
    # the airline cancelled the flight and no day was named: the EU261 choice first, whatever was asked
    assert said(flows, r, "eu261_offer", "en") and len(r.replies[-1].buttons) == 3
    r = await c.send("1", "choose_option", option=1)
    assert "KL1233" in text_of(r)
    r = await c.send("1", "choose_option", option=1)
    assert "no charge" in text_of(r)
    await c.w("yes", "affirm")
    assert airline.bookings["C4NCLD"].segments[0].flight_number == "KL1233"


async def test_fare_without_changes_says_so(chat, airline, flows):
    c = chat("de")
    await c.w("rebook", "rebook")
    r = await c.identify("LIGHT1", "Visser")
    assert said(flows, r, "fare_not_changeable", "de") and r.handoff is None
    assert c.state["stack"] == [] and ("search_alternatives", "LIGHT1") not in airline.calls


async def test_events_carry_no_personal_data(chat, airline):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify()
    await c.send("tomorrow", date=TOMORROW.isoformat())
    await c.send("2", "choose_option", option=2)
    await c.w("yes", "affirm")
    events = [e for r in c.results for e in r.events]
    actions = [e["action"] for e in events]
    for expected in ("flow_started", "booking_verified", "change_executed", "flow_finished"):
        assert expected in actions
    blob = json.dumps(events)
    assert "X7K2PQ" not in blob and "Jansen" not in blob and "@" not in blob
    finished = [e for e in events if e["action"] == "flow_finished" and e["flow"] == "rebook"]
    assert finished and finished[0]["outcome"] == "done"


@pytest.mark.parametrize(("language", "text"), [
    ("en", "the first one"), ("en", "the earliest"), ("it", "il primo"), ("de", "den ersten"), ("fr", "le premier"),
    ("es", "el primero"), ("pt", "o primeiro"), ("nl", "de eerste"),
])
async def test_first_option_is_no_new_travel_date(chat, airline, flows, language, text):
    # the date question takes "the first one" as "as soon as possible"; at the options it picks option 1
    c = chat(language)
    await to_options(c)
    offered = c.state["stack"][-1]["slots"]["options"]
    r = await c.send(text, "choose_option", option=1)
    assert expecting(r) == "confirmation", text_of(r)
    assert not said(flows, r, "correction_ack", language)
    assert c.state["stack"][-1]["slots"]["options"] == offered
    assert c.state["stack"][-1]["slots"]["travel_date"] == TOMORROW.isoformat()


@pytest.mark.parametrize(("language", "text", "word", "own"), [
    ("pl", "Chcę zmienić lot na jutro, rezerwacja X7K2PQ, nazwisko Jansen", "jutro", False),
    ("es", "quiero cambiar mi vuelo a mañana, reserva X7K2PQ, apellido Jansen", "mañana", False),
    ("it", "vorrei spostare il volo a domani, prenotazione X7K2PQ, cognome Jansen", "domani", False),
    ("pl", "mój lot na jutro został odwołany, rezerwacja X7K2PQ, nazwisko Jansen", "jutro", True),
])
async def test_change_my_flight_to_a_day_is_the_wished_day(flow_engine, flows, language, text, word, own):
    from bot.nlu.base import Entity, IntentPrediction, Parse

    at = text.index(word)
    ref = text.index("X7K2PQ")
    entities = (Entity("date", TOMORROW.isoformat(), at, at + len(word), word),
                Entity("booking_reference", "X7K2PQ", ref, ref + 6, "X7K2PQ"),
                Entity("last_name", "Jansen", len(text) - 6, len(text), "Jansen"))
    parse = Parse(text=text, language=language, intent=IntentPrediction("rebook", 0.95),
                  intent_ranking=(IntentPrediction("rebook", 0.95),), entities=entities)
    turn = Turn(conversation_id="c-date-to", channel="rest", sender_id="s", language=language, text=text,
                parse=parse, state={}, now=NOW)
    r = await flow_engine.handle(turn)
    # "zmienić lot na jutro" = change the flight to tomorrow; "mój lot na jutro" = my flight of tomorrow
    assert expecting(r) == ("date" if own else "option"), text_of(r)


async def test_yes_to_a_single_option_takes_it_and_to_several_asks_which(chat, airline, flows):
    c = chat()
    await to_options(c)
    offered = c.state["stack"][-1]["slots"]["options"]
    assert len(offered) > 1
    for _ in range(2):  # twice: no misunderstanding is counted, so no handoff
        r = await c.send("yes please", "affirm")
        assert r.handoff is None and expecting(r) == "option"
        assert said(flows, r, "offer_options", "en") and not said(flows, r, "not_understood", "en")
    c.state["stack"][-1]["slots"]["options"] = offered[:1]
    r = await c.send("yes", "affirm")
    assert expecting(r) == "confirmation" and said(flows, r, "confirm_rebook", "en")


async def test_disrupted_booking_with_a_day_named_goes_straight_to_the_options(chat, flows):
    c = chat()
    await c.send("my flight was cancelled, can you rebook me for tomorrow?", "rebook", date="2026-11-25")
    r = await c.identify("C4NCLD", "Dupont")
    assert not said(flows, r, "eu261_offer", "en") and expecting(r) == "option"


async def test_the_later_choice_of_eu261_asks_the_day_once(chat, flows):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify("C4NCLD", "Dupont")
    r = await c.send("2", "choose_option", option=2)
    assert said(flows, r, "ask_travel_date", "en") and not said(flows, r, "eu261_offer", "en")


async def test_the_part_of_the_day_asked_for_comes_first(chat, flows):
    c = chat("de")
    await c.send("ich möchte auf morgen Nachmittag umbuchen", "rebook", date="2026-11-25")
    r = await c.identify()
    options = c.state["stack"][-1]["slots"]["options"]
    assert expecting(r) == "option" and options[0]["segments"][0]["flight_number"] == "KL1005"  # 14:05, not 07:05
    c2 = chat()
    await c2.send("rebook me tomorrow evening after 6pm", "rebook", date="2026-11-25")
    await c2.identify()
    assert c2.state["stack"][-1]["slots"]["options"][0]["segments"][0]["flight_number"] == "KL1007"  # 18:35


@pytest.mark.parametrize(("language", "ask"), [("en", "is there nothing later that day?"), ("en", "none of these"),
                                               ("de", "keiner davon, etwas später bitte"), ("nl", "iets later?")])
async def test_anything_later_shows_the_flights_after_the_last_one_shown(chat, flows, language, ask):
    c = chat(language)
    await c.send("rebook", "rebook", date="2026-11-25")
    await c.identify()
    shown = c.state["stack"][-1]["slots"]["options"]
    last = max(o["segments"][0]["departure"] for o in shown)
    r = await c.send(ask, "nlu_fallback", confidence=0.3)
    assert expecting(r) == "option" and not said(flows, r, "confirm_rebook", language)
    again = c.state["stack"][-1]["slots"]["options"]
    assert again and all(o["segments"][0]["departure"] > last for o in again)


@pytest.mark.parametrize(("reference", "name", "key"), [("PTNR01", "Brown", "handoff_partner"),
                                                       ("RTRIP1", "Rossi", "handoff_complex")])
async def test_a_handoff_for_a_partner_flight_or_several_flights_says_why(chat, flows, reference, name, key):
    c = chat("de")
    await c.w("rebook", "rebook")
    await c.send(reference, booking_reference=reference)
    r = await c.send(name, last_name=name)
    assert r.handoff is not None and said(flows, r, key, "de")


async def test_another_day_with_a_time_at_the_options_is_a_new_search_not_one_of_them(chat, airline, flows):
    c = chat()
    await to_options(c)  # tomorrow's flights: 07:05, 14:05, 18:35
    r = await c.send("no i meant the 26th, in the afternoon at 14:05", "provide_info", date="2026-11-26")
    assert expecting(r) == "option", text_of(r)  # not tomorrow's 14:05 offered for confirmation
    assert "KL1009" in text_of(r) and airline.changes() == 0  # the 26th's flight is among the new options
