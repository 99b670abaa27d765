"""Identification: same answer for a wrong reference and a wrong name, attempt limit, step-up code."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogue.engine import FlowEngine
from tests.dialogue.conftest import LANGUAGES, Chat, digits, expecting, said, text_of
from tests.dialogue.fake_adapter import TOMORROW


@pytest.mark.parametrize("language", LANGUAGES)
async def test_wrong_name_and_unknown_reference_get_the_same_answer(chat, flows, language):
    c = chat(language)
    await c.w("cancel", "cancel")
    wrong_name = await c.identify("X7K2PQ", "Jensen")
    unknown_ref = await c.identify("ZZZ999", "Jansen")
    assert said(flows, wrong_name, "booking_not_found", language)
    # the same answer; the reference is kept and the name asked again
    assert text_of(wrong_name) == text_of(unknown_ref)
    assert said(flows, wrong_name, "ask_last_name_again", language)
    assert expecting(wrong_name) == expecting(unknown_ref) == "last_name"
    assert all("Jansen" not in str(e) and "X7K2PQ" not in str(e) for e in wrong_name.events + unknown_ref.events)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_after_a_wrong_name_the_reference_is_kept(chat, flows, language):
    c = chat(language)
    await c.w("rebook", "rebook")
    wrong = await c.identify("X7K2PQ", "Jensen")
    assert said(flows, wrong, "ask_last_name_again", language) and expecting(wrong) == "last_name"
    r = await c.send("Jansen", last_name="Jansen")  # just the name: found with the reference given before
    assert said(flows, r, "booking_found", language) and expecting(r) == "date"


async def test_after_a_wrong_name_another_reference_starts_over_with_it(chat, flows):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify("ZZZ999", "Jansen")
    r = await c.send("X7K2PQ", booking_reference="X7K2PQ")
    assert expecting(r) == "last_name"
    r = await c.send("Jansen", last_name="Jansen")
    assert said(flows, r, "booking_found", "en")


async def test_case_and_accent_insensitive_last_name(chat):
    c = chat()
    await c.w("rebook", "rebook")
    r = await c.identify("m3rtns", "MULLER" if False else "müller")
    assert expecting(r) == "date"
    c2 = chat()
    await c2.w("rebook", "rebook")
    r = await c2.send("x7k2pq")  # a lone reference, no entity from the NLU
    assert expecting(r) == "last_name"
    r = await c2.send("JANSEN")
    assert expecting(r) == "date"


async def test_a_word_like_cancel_is_not_taken_for_a_reference(chat, flows):
    c = chat()
    await c.w("rebook", "rebook")
    r = await c.send("cancel", "cancel")
    # a change of mind, not a booking reference "CANCEL"
    assert said(flows, r, "change_of_mind", "en") and expecting(r) == "booking_reference"


async def test_attempts_are_limited_per_hour(chat, airline, flows, settings):
    c = chat()
    await c.w("rebook", "rebook")
    for i in range(settings.max_auth_attempts_per_hour - 1):
        r = await c.identify("X7K2PQ", f"Wrong{i}")
        assert said(flows, r, "booking_not_found", "en")
    r = await c.identify("X7K2PQ", "Wrong-last")
    assert said(flows, r, "auth_locked", "en")
    assert c.state["stack"] == []
    calls = len(airline.calls)
    # even the right name is not tried any more within the hour
    r = await c.w("rebook", "rebook")
    assert said(flows, r, "auth_locked", "en")
    assert c.state["stack"] == []
    assert len(airline.calls) == calls
    # an hour later it works again
    later = c.now + dt.timedelta(hours=1, minutes=1)
    await c.send("change my flight", "rebook", now=later)
    await c.send("X7K2PQ", booking_reference="X7K2PQ", now=later)
    r = await c.send("Jansen", last_name="Jansen", now=later)
    assert expecting(r) == "date"


async def test_verification_is_remembered_across_flows(chat, airline):
    c = chat()
    await c.w("status", "flight_status")
    await c.identify()
    finds = [m for m, _ in airline.calls].count("find_booking")
    r = await c.w("rebook", "rebook")
    assert expecting(r) == "date"  # not asked again
    assert [m for m, _ in airline.calls].count("find_booking") == finds + 1  # re-read, not re-asked


@pytest.fixture
def otp_engine(settings, airline, flows):
    return FlowEngine(settings.model_copy(update={"step_up_otp": True}), airline, flows)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_step_up_code_guards_the_change(otp_engine, airline, flows, language):
    c = Chat(otp_engine, language)
    await c.w("rebook", "rebook")
    await c.identify()
    await c.send("tomorrow", date=TOMORROW.isoformat())
    await c.send("1", "choose_option", option=1)
    r = await c.w("yes", "affirm")
    assert said(flows, r, "ask_otp", language) and expecting(r) == "otp"
    assert len(r.side_messages) == 1 and r.side_messages[0].recipient == "passenger@example.org"
    code = digits(r.side_messages[0].text)
    assert code and code not in text_of(r) and code not in str(r.state)
    assert airline.changes() == 0
    wrong = "000000" if code != "000000" else "111111"
    r = await c.send(wrong)
    assert said(flows, r, "otp_wrong", language) and airline.changes() == 0
    r = await c.send(code)
    assert said(flows, r, "rebook_done", language)
    assert airline.changes() == 1


async def test_step_up_three_wrong_codes_change_nothing(otp_engine, airline, flows):
    c = Chat(otp_engine)
    await c.w("cancel", "cancel")
    await c.identify()
    r = await c.w("yes", "affirm")
    code = digits(r.side_messages[0].text)
    wrong = "000000" if code != "000000" else "111111"
    await c.send(wrong)
    await c.send(wrong)
    r = await c.send(wrong)
    assert said(flows, r, "otp_failed", "en")
    assert c.state["stack"] == [] and airline.changes() == 0
    assert airline.bookings["X7K2PQ"].status == "confirmed"


async def test_step_up_without_contact_hands_off(otp_engine, airline):
    c = Chat(otp_engine)
    await c.w("cancel", "cancel")
    await c.identify("NOMAIL", "Quiet")
    r = await c.w("yes", "affirm")
    assert r.handoff is not None and r.handoff.reason == "step_up_no_contact"
    assert airline.changes() == 0
