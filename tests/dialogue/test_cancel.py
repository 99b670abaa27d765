"""Cancel: what the fare allows, the EU261 choice, confirmation, idempotency."""

from __future__ import annotations

import pytest

from tests.dialogue.conftest import LANGUAGES, WORDS, expecting, said, text_of


@pytest.mark.parametrize("language", LANGUAGES)
async def test_cancel_refundable_fare_in_every_language(chat, airline, flows, language):
    c = chat(language)
    await c.w("cancel", "cancel")
    r = await c.identify()
    assert said(flows, r, "confirm_cancel_refund", language)
    assert "240" in text_of(r)
    assert expecting(r) == "confirmation"
    assert airline.bookings["X7K2PQ"].status == "confirmed"
    r = await c.w("yes", "affirm")
    assert said(flows, r, "cancel_done_refund", language)
    assert airline.bookings["X7K2PQ"].status == "cancelled"
    r = await c.w("yes", "affirm")
    assert said(flows, r, "already_done", language)
    assert airline.changes() == 1 and [m for m, _ in airline.calls].count("cancel") == 1


@pytest.mark.parametrize("language", LANGUAGES)
async def test_cancel_non_refundable_fare_gives_a_voucher(chat, airline, flows, language):
    c = chat(language)
    await c.w("cancel", "cancel")
    r = await c.identify("M3RTNS", "Müller")
    assert said(flows, r, "confirm_cancel_voucher", language) and "180" in text_of(r)
    r = await c.w("yes", "affirm")
    assert said(flows, r, "cancel_done_voucher", language)
    assert airline.bookings["M3RTNS"].status == "cancelled"


async def test_cancel_fee_is_stated(chat, airline, flows):
    c = chat("de")
    await c.w("cancel", "cancel")
    r = await c.identify("R3FSEM", "De Vries")
    assert said(flows, r, "confirm_cancel_fee_refund", "de")
    assert "60,00" in text_of(r) and "240,00" in text_of(r)  # fee and what comes back, German formatting
    r = await c.w("yes", "affirm")
    assert "240,00" in text_of(r)


async def test_declining_keeps_the_booking(chat, airline, flows):
    c = chat("fr")
    await c.w("cancel", "cancel")
    await c.identify()
    r = await c.w("no", "deny")
    assert said(flows, r, "cancel_kept", "fr")
    assert airline.bookings["X7K2PQ"].status == "confirmed" and airline.changes() == 0
    assert c.state["stack"] == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_eu261_full_refund(chat, airline, flows, language):
    c = chat(language)
    await c.w("cancel", "cancel")
    r = await c.identify("C4NCLD", "Dupont")
    assert said(flows, r, "eu261_offer", language)
    for key in ("eu261_asap", "eu261_later", "eu261_refund"):
        assert said(flows, r, key, language)
    assert len(r.replies[-1].buttons) == 3
    r = await c.send("3", "choose_option", option=3)
    assert said(flows, r, "confirm_cancel_eu261", language) and "180" in text_of(r)
    r = await c.w("yes", "affirm")
    assert said(flows, r, "cancel_done_refund", language)
    b = airline.bookings["C4NCLD"]
    assert b.status == "cancelled"


async def test_eu261_reroute_as_soon_as_possible(chat, airline, flows):
    c = chat()
    await c.w("cancel", "cancel")
    await c.identify("C4NCLD", "Dupont")
    r = await c.send("the first one", "choose_option", option=1)
    assert said(flows, r, "offer_options", "en") and "KL1233" in text_of(r)
    await c.send("1", "choose_option", option=1)
    r = await c.w("yes", "affirm")
    assert said(flows, r, "rebook_done", "en")
    assert airline.bookings["C4NCLD"].segments[0].flight_number == "KL1233"
    assert airline.bookings["C4NCLD"].status == "confirmed"


async def test_eu261_reroute_later(chat, flows):
    c = chat("nl")
    await c.w("cancel", "cancel")
    await c.identify("C4NCLD", "Dupont")
    r = await c.send("2", "choose_option", option=2)
    assert said(flows, r, "ask_travel_date", "nl")
    r = await c.send("morgen", date="2026-11-25")
    assert "KL1237" in text_of(r)


async def test_a_day_at_the_eu261_choice_is_a_new_flight_that_day(chat, airline, flows):
    c = chat()
    await c.w("cancel", "cancel")
    await c.identify("C4NCLD", "Dupont")
    r = await c.send("ok then i'd rather go tomorrow", "provide_info", date="2026-11-25")
    assert "KL1237" in text_of(r) and expecting(r) == "option"  # tomorrow's flights at once
    assert airline.changes() == 0


async def test_eu261_choice_out_of_range_keeps_state(chat, airline, flows):
    c = chat()
    await c.w("cancel", "cancel")
    await c.identify("C4NCLD", "Dupont")
    r = await c.send("7", "choose_option", option=7)
    assert said(flows, r, "not_understood", "en") and said(flows, r, "eu261_offer", "en")
    assert expecting(r) == "option" and airline.changes() == 0


async def test_already_cancelled(chat, airline, flows):
    c = chat()
    await c.w("cancel", "cancel")
    await c.identify()
    await c.w("yes", "affirm")
    c2 = chat()
    await c2.w("rebook", "rebook")
    r = await c2.identify()
    assert said(flows, r, "booking_cancelled", "en") and airline.changes() == 1


async def test_special_assistance_cancel_hands_off(chat, airline):
    c = chat()
    await c.w("cancel", "cancel")
    r = await c.identify("WCHR01", "Smith")
    assert r.handoff is not None and r.handoff.reason == "special_assistance"
    assert airline.changes() == 0


@pytest.mark.parametrize(("language", "text", "intent"), [
    ("pt", "não, melhor alterar para sexta-feira", "deny"),
    ("en", "actually no, can I just move it to the day after tomorrow?", "nlu_fallback"),
    ("de", "nein, lieber auf übermorgen umbuchen", "deny"),
])
async def test_no_with_another_day_at_the_cancellation_rebooks_instead(chat, airline, flows, language, text, intent):
    from tests.dialogue.fake_adapter import TOMORROW

    c = chat(language)
    await c.w("cancel", "cancel")
    r = await c.identify()
    assert expecting(r) == "confirmation"
    day = (TOMORROW.toordinal() + 1)
    wished = type(TOMORROW).fromordinal(day).isoformat()
    r = await c.send(text, intent, confidence=0.5 if intent == "nlu_fallback" else 0.95, date=wished)
    assert said(flows, r, "change_of_mind", language), text_of(r)
    assert said(flows, r, "offer_options", language) and expecting(r) == "option"
    assert airline.bookings["X7K2PQ"].status == "confirmed" and airline.changes() == 0
    assert all(o["departure_local"] for o in r.state["nlu_context"]["options"])


async def test_yes_with_a_day_at_the_cancellation_still_cancels(chat, airline, flows):
    from tests.dialogue.fake_adapter import TOMORROW

    c = chat()
    await c.w("cancel", "cancel")
    await c.identify()
    r = await c.send("yes", "affirm", date=TOMORROW.isoformat())
    assert said(flows, r, "cancel_done_refund", "en")
    assert airline.bookings["X7K2PQ"].status == "cancelled"


async def test_yes_to_the_eu261_choice_shows_it_again_without_a_handoff(chat, airline, flows):
    c = chat()
    await c.w("cancel", "cancel")
    await c.identify("C4NCLD", "Dupont")
    for _ in range(2):
        r = await c.w("yes", "affirm")
        assert r.handoff is None and said(flows, r, "eu261_offer", "en")
        assert not said(flows, r, "not_understood", "en")
    r = await c.send("3", "choose_option", option=3)
    assert said(flows, r, "confirm_cancel_eu261", "en")
    assert airline.changes() == 0


async def test_a_refund_asked_for_after_a_cancellation_by_the_airline_is_confirmed_without_the_eu261_menu(
        chat, airline, flows):
    c = chat("de")
    await c.w("cancel", "cancel", flags=("disruption", "refund"))
    r = await c.identify("C4NCLD", "Dupont")
    assert not said(flows, r, "eu261_offer", "de")
    assert said(flows, r, "confirm_cancel_eu261", "de") and "180" in text_of(r)
    assert airline.bookings["C4NCLD"].status == "confirmed"
    r = await c.w("yes", "affirm")
    assert said(flows, r, "cancel_done_refund", "de")
    assert airline.bookings["C4NCLD"].status == "cancelled"


async def test_a_refund_asked_for_on_a_flight_that_flies_gets_the_fares_terms(chat, airline, flows):
    c = chat()
    await c.w("cancel", "cancel", flags=("refund",))
    r = await c.identify()
    assert said(flows, r, "confirm_cancel_refund", "en") and not said(flows, r, "confirm_cancel_eu261", "en")


async def test_a_plain_cancel_after_a_cancellation_by_the_airline_still_offers_the_three_choices(chat, flows):
    c = chat()
    await c.w("cancel", "cancel", flags=("disruption",))
    r = await c.identify("C4NCLD", "Dupont")
    assert said(flows, r, "eu261_offer", "en") and len(r.replies[-1].buttons) == 3


async def test_my_flight_was_cancelled_with_the_booking_offers_the_eu261_choice(chat, airline, flows):
    c = chat("fr")
    r = await c.send("mon vol a été annulé, réservation C4NCLD nom Dupont", "provide_info",
                     flags=("disruption",), booking_reference="C4NCLD", last_name="Dupont")
    assert said(flows, r, "booking_found", "fr") and said(flows, r, "eu261_offer", "fr")
    assert not said(flows, r, "what_to_do_with_booking", "fr")
    r = await c.send("3", "choose_option", option=3)
    assert said(flows, r, "confirm_cancel_eu261", "fr")
    assert airline.changes() == 0


async def test_my_flight_was_cancelled_for_a_flight_that_flies_says_its_status(chat, airline, flows):
    c = chat()
    r = await c.send("my flight was cancelled?? X7K2PQ Jansen", "provide_info", flags=("disruption",),
                     booking_reference="X7K2PQ", last_name="Jansen")
    assert said(flows, r, "booking_found", "en") and "KL1001" in text_of(r)
    assert not said(flows, r, "eu261_offer", "en") and not said(flows, r, "what_to_do_with_booking", "en")
    assert any(said(flows, r, k, "en") for k in ("status_on_time", "status_delayed", "status_departed"))
    assert c.state["stack"] == [] and airline.changes() == 0


@pytest.mark.parametrize(("language", "doubtful_yes"), [
    ("en", "yes but wait, is there a fee?"),
    ("en", "yes but wait"),
    ("fr", "oui mais attendez, il y a des frais ?"),
    ("de", "ja, aber moment, behalte ich meinen Sitzplatz?"),
    ("nl", "ja maar wacht, blijft mijn stoel hetzelfde?"),
    ("es", "sí, pero espera"),
    ("ja", "はい、でもちょっと待って"),
])
async def test_a_yes_with_a_doubt_changes_nothing_and_asks_again(chat, airline, flows, language, doubtful_yes):
    c = chat(language)
    await c.send("cancel my booking", "cancel")
    await c.identify()
    r = await c.send(doubtful_yes, "affirm", confidence=0.99)
    assert airline.bookings["X7K2PQ"].status == "confirmed" and airline.changes() == 0
    assert said(flows, r, "not_changed_yet", language) and said(flows, r, "confirm_cancel_refund", language)
    assert expecting(r) == "confirmation"
    r = await c.send("はい" if language == "ja" else WORDS[language]["yes"], "affirm")
    assert airline.bookings["X7K2PQ"].status == "cancelled"


async def test_no_to_the_cancellation_chosen_instead_of_a_flight_goes_back_to_the_flights(chat, airline, flows):
    c = chat("es")
    await c.w("rebook", "rebook")
    await c.identify()
    r = await c.send("el viernes", date="2026-11-27")
    assert expecting(r) == "option"
    options = c.state["stack"][-1]["slots"]["options"]
    r = await c.send("espera, mejor cancela la reserva y devuélveme el dinero", "cancel", flags=("refund",))
    assert said(flows, r, "confirm_cancel_refund", "es")
    r = await c.send("no no, cambié de idea", "deny")
    assert said(flows, r, "cancel_kept", "es") and said(flows, r, "back_to_flow", "es")
    assert expecting(r) == "option" and c.state["stack"][-1]["slots"]["options"] == options
    r = await c.send("1", "choose_option", option=1)
    assert expecting(r) == "confirmation" and airline.changes() == 0


async def test_a_no_with_words_after_it_at_a_confirmation_is_a_no(chat, airline, flows):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify()
    await c.send("friday", date="2026-11-27")
    await c.send("just cancel it", "cancel")
    r = await c.send("no, go back to the flights", "nlu_fallback", confidence=0.4)
    assert said(flows, r, "cancel_kept", "en") and expecting(r) == "option"
    assert airline.bookings["X7K2PQ"].status == "confirmed"


async def test_no_problem_at_a_confirmation_is_no_no(chat, airline, flows):
    c = chat()
    await c.w("cancel", "cancel")
    await c.identify()
    r = await c.send("no problem, go ahead", "nlu_fallback", confidence=0.4)
    assert not said(flows, r, "cancel_kept", "en") and airline.bookings["X7K2PQ"].status == "confirmed"


async def test_thanks_after_a_cancellation_wishes_no_good_trip(chat, airline, flows):
    c = chat("fr")
    await c.w("cancel", "cancel")
    await c.identify()
    await c.w("yes", "affirm")
    assert airline.bookings["X7K2PQ"].status == "cancelled"
    r = await c.send("merci", "thanks")
    assert said(flows, r, "intent_thanks_short", "fr") and "Bon voyage" not in text_of(r)


@pytest.mark.parametrize(("language", "words", "then"), [
    ("en", "as soon as possible please", "offer_options"),
    ("nl", "zo snel mogelijk", "offer_options"),
    ("de", "so bald wie möglich", "offer_options"),
    ("es", "lo antes posible", "offer_options"),
    ("da", "et nyt fly hurtigst muligt", "offer_options"),
    ("en", "another day", "ask_travel_date"),
    ("fr", "je préfère être remboursé", "confirm_cancel_eu261"),
    ("en", "Cancel and get a full refund", "confirm_cancel_eu261"),
])
async def test_the_eu261_choice_in_the_passengers_words(chat, flows, language, words, then):
    c = chat(language)
    await c.send("cancel my booking", "cancel")
    r = await c.identify("C4NCLD", "Dupont")
    assert said(flows, r, "eu261_offer", language)
    r = await c.send(words, "complaint", confidence=0.6)
    assert said(flows, r, then, language), text_of(r)


async def test_cancelling_a_booking_of_several_travellers_says_it_cancels_it_for_all(chat, airline, flows):
    c = chat()
    await c.w("cancel", "cancel")
    await c.identify("M3RTNS", "Müller")
    r = c.results[-1]
    assert expecting(r) == "confirmation" and "2 travellers" in text_of(r), text_of(r)
    assert airline.changes() == 0


async def test_cancelling_a_booking_of_one_traveller_says_nothing_about_others(chat, flows):
    c = chat()
    await c.w("cancel", "cancel")
    r = await c.identify()
    assert expecting(r) == "confirmation" and "travellers" not in text_of(r)
