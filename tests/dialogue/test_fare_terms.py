"""What a change or a cancellation costs ("is there a fee?", "wat kost dat?"): the terms of the passenger's own ticket
(flows/fare_terms.yml), also in the middle of a rebooking; at the yes/no the confirmation, which names the amount."""

from __future__ import annotations

from tests.dialogue.conftest import expecting, said, text_of
from tests.dialogue.test_rebook import to_options


async def test_a_light_ticket_asking_the_price_hears_it_cannot_be_changed(chat, airline, flows):
    c = chat("de")
    r = await c.send("LIGHT1 visser, was kostet eine Umbuchung?", "nlu_fallback", confidence=0.45,
                     flags=("price",), booking_reference="LIGHT1", last_name="visser")
    assert said(flows, r, "fare_terms_not_changeable", "de") and "LIGHT" in text_of(r)
    assert airline.changes() == 0


async def test_the_price_without_a_booking_is_the_fares_in_general(chat, flows):
    c = chat("nl")
    r = await c.send("wat kost omboeken?", "nlu_fallback", confidence=0.45, flags=("price",))
    assert said(flows, r, "fare_terms_general", "nl")


async def test_a_fee_question_at_the_options_gets_the_fee_then_the_options_again(chat, airline, flows):
    c = chat()
    await to_options(c)
    r = await c.send("is there a fee?", "out_of_scope", flags=("price",))
    assert said(flows, r, "fare_terms_fees", "en") and "50" in text_of(r)  # YFLEX: a change costs 50
    assert said(flows, r, "back_to_flow", "en") and expecting(r) == "option"
    assert airline.changes() == 0


async def test_a_fee_question_at_the_confirmation_asks_it_again_and_changes_nothing(chat, airline, flows):
    c = chat()
    await to_options(c)
    await c.send("2", "choose_option", option=2)
    r = await c.send("how much is that?", "out_of_scope", flags=("price",))
    assert said(flows, r, "not_changed_yet", "en") and expecting(r) == "confirmation"
    assert airline.changes() == 0
