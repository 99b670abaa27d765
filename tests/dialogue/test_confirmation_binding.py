"""An answer binds to the question it answered: a stale "yes" changes nothing and the current question is asked
again, in the passenger's language; a confirmation carries what it confirms and the change is checked against it."""

from __future__ import annotations

import json

import pytest

from bot.dialogue.base import Turn
from tests.dialogue.conftest import LANGUAGES, WORDS, Chat, expecting, make_parse, said, text_of
from tests.dialogue.test_rebook import to_options


async def send_stale(c: Chat, text: str, intent: str):
    """A message that arrived while the conversation stood at an earlier version (the pipeline sets ``stale``)."""
    turn = Turn(conversation_id=c.conversation_id, channel="rest", sender_id="sender-1", language=c.language,
                text=text, parse=make_parse(text, c.language, intent), state=json.loads(json.dumps(c.state)),
                now=c.now, stale=True)
    result = await c.engine.handle(turn)
    c.state = json.loads(json.dumps(result.state))
    return result


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_stale_yes_at_a_cancel_question_cancels_nothing_and_asks_again(chat, airline, flows, language):
    c = chat(language)
    await c.w("cancel", "cancel")
    r = await c.identify()
    assert said(flows, r, "confirm_cancel_refund", language)
    before = json.loads(json.dumps(c.state))

    r = await send_stale(c, WORDS[language]["yes"], "affirm")
    assert said(flows, r, "earlier_question", language)
    assert said(flows, r, "confirm_cancel_refund", language)  # the current question, again
    assert expecting(r) == "confirmation"
    assert airline.bookings["X7K2PQ"].status == "confirmed" and airline.changes() == 0
    assert c.state["stack"] == before["stack"]

    r = await c.w("yes", "affirm")  # a yes to the question as it stands now
    assert said(flows, r, "cancel_done_refund", language)
    assert airline.bookings["X7K2PQ"].status == "cancelled" and airline.changes() == 1


@pytest.mark.parametrize("language", ["en", "pl"])
async def test_a_stale_yes_at_a_rebook_question_rebooks_nothing(chat, airline, flows, language):
    c = chat(language)
    await to_options(c)
    r = await c.send("2", "choose_option", option=2)
    assert said(flows, r, "confirm_rebook", language)
    r = await send_stale(c, WORDS[language]["yes"], "affirm")
    assert said(flows, r, "earlier_question", language) and said(flows, r, "confirm_rebook", language)
    assert airline.changes() == 0
    r = await c.w("yes", "affirm")
    assert said(flows, r, "rebook_done", language) and airline.changes() == 1


async def test_a_stale_message_that_changes_nothing_is_handled_normally(chat, airline, flows):
    c = chat("en")
    await c.w("cancel", "cancel")
    await c.send("X7K2PQ", booking_reference="X7K2PQ")
    r = await send_stale(c, "Jansen", "provide_info")  # quick typing: no booking change, so no reason to refuse
    assert said(flows, r, "confirm_cancel_refund", "en")


async def test_a_yes_to_a_question_that_no_longer_matches_is_asked_again(chat, airline, flows):
    c = chat("en")
    await to_options(c)
    await c.send("2", "choose_option", option=2)
    frame = c.state["stack"][-1]
    assert frame["confirming"]["option_id"] == frame["slots"]["chosen"]["option_id"]
    # what would be done changed after the question was asked (here: another option in the slots)
    frame["slots"]["chosen"] = frame["slots"]["options"][0]
    r = await c.w("yes", "affirm")
    assert airline.changes() == 0
    assert said(flows, r, "confirm_rebook", "en") and expecting(r) == "confirmation"
    r = await c.w("yes", "affirm")  # now the yes answers the question shown
    assert said(flows, r, "rebook_done", "en") and airline.changes() == 1
    assert airline.bookings["X7K2PQ"].segments[0].flight_number == frame["slots"]["options"][0]["segments"][0][
        "flight_number"]


async def test_a_question_asked_before_confirmations_carried_their_terms_is_asked_again(chat, airline, flows):
    c = chat("en")
    await c.w("cancel", "cancel")
    await c.identify()
    c.state["stack"][-1].pop("confirming")  # a conversation parked before this release
    r = await c.w("yes", "affirm")
    assert airline.changes() == 0 and said(flows, r, "confirm_cancel_refund", "en")
    r = await c.w("yes", "affirm")
    assert airline.changes() == 1


async def test_the_change_checks_what_was_confirmed(chat, airline, flows):
    c = chat("en")
    await c.w("cancel", "cancel")
    await c.identify()
    await c.w("yes", "affirm")
    assert airline.changes() == 1
    # a flow that reaches the change without a confirmation (e.g. a state edited by hand) is sent back to it
    c2 = chat("en")
    await c2.w("cancel", "cancel")
    await c2.identify("M3RTNS", "Müller")
    frame = c2.state["stack"][-1]
    frame["confirmed"] = {**frame["confirming"], "voucher_amount": "1.00"}
    frame["step"] = "execute"
    frame["awaiting"] = False
    r = await c2.send("ok", "affirm")
    assert airline.bookings["M3RTNS"].status == "confirmed"
    assert said(flows, r, "confirm_cancel_voucher", "en") and expecting(r) == "confirmation"
    assert text_of(r)


@pytest.mark.parametrize("language", ["en", "de", "pl"])
async def test_a_yes_after_someone_else_changed_the_booking_changes_nothing_and_asks_again(
        chat, airline, flows, language):
    # two conversations on the same booking (two passengers, or one on two channels): the second one's change
    # happens between the first one's question and its yes
    a, b = chat(language), chat("en")
    await to_options(a)
    r = await a.send("1", "choose_option", option=1)
    assert said(flows, r, "confirm_rebook", language)
    await to_options(b)
    await b.send("3", "choose_option", option=3)
    r = await b.w("yes", "affirm")
    assert said(flows, r, "rebook_done", "en") and airline.changes() == 1
    moved_by_b = airline.bookings["X7K2PQ"].segments[0].flight_number

    r = await a.w("yes", "affirm")
    assert said(flows, r, "booking_changed_meanwhile", language) and said(flows, r, "confirm_rebook", language)
    assert airline.changes() == 1 and airline.bookings["X7K2PQ"].segments[0].flight_number == moved_by_b
    assert any(e["action"] == "booking_changed_meanwhile" for e in r.events)
    r = await a.send("yes", "affirm")  # a yes to the question asked about the booking as it is now
    assert said(flows, r, "rebook_done", language) and airline.changes() == 2


async def test_a_yes_to_cancel_after_someone_else_rebooked_asks_again(chat, airline, flows):
    a, b = chat(), chat()
    await a.w("cancel", "cancel")
    r = await a.identify()
    assert said(flows, r, "confirm_cancel_refund", "en")
    await to_options(b)
    await b.send("2", "choose_option", option=2)
    await b.w("yes", "affirm")
    r = await a.w("yes", "affirm")
    assert said(flows, r, "booking_changed_meanwhile", "en")
    assert airline.bookings["X7K2PQ"].status == "confirmed" and airline.changes() == 1
