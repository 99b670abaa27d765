"""Conversation repair: stop, change of mind, a question mid-flow, corrections, a person, misunderstandings."""

from __future__ import annotations

import pytest

from bot.dialogue.engine import FlowEngine
from tests.dialogue.conftest import LANGUAGES, WORDS, Chat, expecting, said, text_of
from tests.dialogue.fake_adapter import TOMORROW


async def at_confirmation(c: Chat, option: int = 1) -> None:
    await c.w("rebook", "rebook")
    await c.identify()
    await c.send("tomorrow", date=TOMORROW.isoformat())
    r = await c.send(str(option), "choose_option", option=option)
    assert expecting(r) == "confirmation"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_stop_mid_flow_changes_nothing(chat, airline, flows, language):
    c = chat(language)
    await at_confirmation(c)
    r = await c.w("stop", "stop")
    assert said(flows, r, "stopped", language)
    assert c.state["stack"] == [] and expecting(r) is None
    r = await c.w("yes", "affirm")  # a yes after stopping confirms nothing
    assert airline.changes() == 0
    assert any(e["action"] == "flow_finished" and e["outcome"] == "stopped" for e in c.results[-2].events)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_ask_for_a_person_at_any_point(chat, airline, flows, language):
    c = chat(language)
    await c.w("rebook", "rebook")
    await c.identify()
    r = await c.w("human", "request_human")
    assert r.handoff is not None and r.handoff.reason == "request_human"
    assert said(flows, r, "handoff_request", language)
    assert "X7K2PQ" in r.handoff.summary and "rebook" in r.handoff.summary and "Jansen" not in r.handoff.summary
    assert "request_human" in r.handoff.summary  # the last intents
    assert {"action": "handoff", "reason": "request_human"} in r.events
    assert airline.changes() == 0


async def test_change_of_mind_from_rebook_to_cancel_keeps_the_booking(chat, airline, flows):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify()
    r = await c.send("actually just cancel it", "cancel")
    assert said(flows, r, "change_of_mind", "en") and said(flows, r, "confirm_cancel_refund", "en")
    r = await c.w("yes", "affirm")
    assert airline.bookings["X7K2PQ"].status == "cancelled"


async def test_change_of_mind_during_identification_keeps_what_was_given(chat, flows):
    c = chat("de")
    await c.w("rebook", "rebook")
    await c.send("X7K2PQ", booking_reference="X7K2PQ")
    r = await c.w("cancel", "cancel")
    assert said(flows, r, "ask_last_name", "de")  # the reference is not asked again
    r = await c.send("Jansen", last_name="Jansen")
    assert said(flows, r, "confirm_cancel_refund", "de")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_question_mid_flow_is_answered_and_the_flow_resumes(chat, airline, flows, language):
    c = chat(language)
    await c.w("rebook", "rebook")
    await c.identify()
    r = await c.send("tomorrow", date=TOMORROW.isoformat())
    options = r.state["nlu_context"]["options"]
    # a flight status question in the middle: answered, then back to the options
    r = await c.send("KL1235?", "flight_status", flight_number="KL1235")
    assert said(flows, r, "status_delayed", language)
    assert said(flows, r, "back_to_flow", language) and said(flows, r, "offer_options", language)
    assert r.state["nlu_context"]["options"] == options
    # a policy question: answered, then back again
    r = await c.send("do I get a hotel?", "crisis_info")
    assert said(flows, r, "intent_crisis_info", language) and expecting(r) == "option"
    r = await c.send("2", "choose_option", option=2)
    assert expecting(r) == "confirmation"
    await c.w("yes", "affirm")
    assert airline.bookings["X7K2PQ"].segments[0].flight_number == "KL1005"


async def test_unfinished_digression_gives_way_to_the_flow_below(chat, airline):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify()
    await c.send("tomorrow", date=TOMORROW.isoformat())
    r = await c.send("KL9999?", "flight_status", flight_number="KL9999")  # unknown: asks which flight
    assert expecting(r) == "flight_number"
    r = await c.send("2", "choose_option", option=2)  # the passenger answers the options instead
    assert expecting(r) == "confirmation" and "KL1005" in text_of(r)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_correcting_the_option_at_confirmation(chat, airline, flows, language):
    c = chat(language)
    await at_confirmation(c, option=1)
    r = await c.send("no, it's KLM 1005", "deny", flight_number="KL1005")
    assert said(flows, r, "correction_ack", language) and said(flows, r, "confirm_rebook", language)
    assert "KL1005" in text_of(r) and "KL1003" not in text_of(r)
    await c.w("yes", "affirm")
    assert airline.bookings["X7K2PQ"].segments[0].flight_number == "KL1005"
    assert airline.changes() == 1


async def test_correcting_the_date_searches_again(chat, flows):
    c = chat()
    await at_confirmation(c)
    r = await c.send("no, the day after, the 26th", "deny", date="2026-11-26")
    assert said(flows, r, "correction_ack", "en") and expecting(r) == "option"
    assert "KL1009" in text_of(r)


async def test_another_booking_reference_starts_again(chat, flows):
    c = chat()
    await at_confirmation(c)
    r = await c.send("sorry, wrong booking, it's R3FSEM", "provide_info", booking_reference="R3FSEM")
    assert c.state["verified"] is None
    assert said(flows, r, "ask_last_name", "en")
    r = await c.send("de Vries")
    assert said(flows, r, "ask_travel_date", "en") and "R3FSEM" in text_of(r)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_two_misunderstandings_hand_off(chat, flows, language):
    c = chat(language)
    await c.w("rebook", "rebook")
    r = await c.send("hmm blah", "nlu_fallback", confidence=0.2)
    assert said(flows, r, "reference_format", language) and r.handoff is None
    assert expecting(r) == "booking_reference"
    r = await c.send("whatever qq", "out_of_scope", confidence=0.3)
    assert r.handoff is not None and r.handoff.reason == "misunderstood"
    assert said(flows, r, "handoff_misunderstood", language)


async def test_empty_messages_are_no_misunderstanding(chat, flows):
    # a stray Enter or whitespace, several times: the open question again, never a handoff
    c = chat()
    await c.w("rebook", "rebook")
    for _ in range(3):
        r = await c.send(" ", "nlu_fallback", confidence=1.0, flags=("empty",))
        assert r.handoff is None and expecting(r) == "booking_reference"
        assert said(flows, r, "ask_reference", "en")
    r = await c.send("hmm blah", "nlu_fallback", confidence=0.2)  # one real miss still asks once more
    assert r.handoff is None and expecting(r) == "booking_reference"
    c2 = chat()
    for _ in range(3):
        r = await c2.send("", "nlu_fallback", confidence=1.0, flags=("empty",))
        assert r.handoff is None and said(flows, r, "intent_help", "en")


async def test_one_miss_then_understood_resets_the_count(chat):
    c = chat()
    r = await c.send("blorp", "nlu_fallback", confidence=0.1)
    assert r.handoff is None
    await c.send("hello", "greet")
    r = await c.send("blarp", "nlu_fallback", confidence=0.1)
    assert r.handoff is None


@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
async def test_angry_passenger_hands_off(chat, flows, language):
    c = chat(language)
    await c.w("rebook", "rebook")
    r = await c.send("THIS IS RIDICULOUS!!!", "complaint", flags=("angry",))
    assert r.handoff is not None and r.handoff.reason == "angry"
    assert said(flows, r, "handoff_angry", language)


@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
async def test_angry_passenger_with_an_ask_is_served_then_handed_off_on_repeat(chat, flows, language):
    c = chat(language)
    r = await c.send("4 HOURS ON HOLD!!! rebook me NOW", "rebook", flags=("angry",))
    assert r.handoff is None
    assert expecting(r) == "booking_reference"
    r = await c.send("X7K2PQ", booking_reference="X7K2PQ")
    assert r.handoff is None and expecting(r) == "last_name"
    r = await c.send("STILL WAITING, RIDICULOUS!!! Jansen", "provide_info", flags=("angry",), last_name="Jansen")
    assert r.handoff is not None and r.handoff.reason == "angry"
    assert said(flows, r, "handoff_angry", language)


async def test_angry_venting_without_an_ask_hands_off_at_once(chat):
    c = chat()
    r = await c.send("worst airline ever, never again!!!", "complaint", flags=("angry",))
    assert r.handoff is not None and r.handoff.reason == "angry" and r.handoff.priority == 1


async def test_adapter_error_apologises_and_hands_off(chat, airline, flows):
    c = chat("nl")
    await c.w("rebook", "rebook")
    await c.send("X7K2PQ", booking_reference="X7K2PQ")
    airline.down = True
    r = await c.send("Jansen", last_name="Jansen")
    assert r.handoff is not None and r.handoff.reason == "adapter_error"
    assert said(flows, r, "adapter_error", "nl")
    assert c.state["stack"] == []


async def test_adapter_error_at_execution_changes_nothing(chat, airline):
    c = chat()
    await at_confirmation(c)
    airline.down = True
    r = await c.w("yes", "affirm")
    assert r.handoff is not None and r.handoff.reason == "adapter_error"
    assert "X7K2PQ" in r.handoff.summary and "KL1003" in r.handoff.summary
    airline.down = False
    assert airline.changes() == 0


async def test_unsupported_language_answers_in_english_and_keeps_state(chat, flows):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify()
    r = await c.send("明日のフライトはありますか", "nlu_fallback", confidence=0.1, flags=("unsupported_language",),
                     language="ja")
    assert said(flows, r, "unsupported_language", "en") and said(flows, r, "ask_travel_date", "en")
    assert {"action": "flag_language"} in r.events and r.handoff is None
    assert expecting(r) == "date"


async def test_switching_language_mid_flow(chat, airline, flows):
    c = chat("en")
    await c.w("rebook", "rebook")
    await c.identify()
    r = await c.send("morgen graag", date=TOMORROW.isoformat(), language="nl")
    assert said(flows, r, "offer_options", "nl")
    r = await c.send("la deuxième", "choose_option", option=2, language="fr")
    assert said(flows, r, "confirm_rebook", "fr")
    r = await c.send("ja", "affirm", language="de")
    assert said(flows, r, "rebook_done", "de")
    assert airline.changes() == 1


async def test_restart_between_every_message(settings, airline, flows):
    """A new engine (another process) for every message: the stored state carries the conversation."""
    state: dict = {}
    conversation = Chat(FlowEngine(settings, airline, flows))
    script = [
        ("change my flight", "rebook", {}),
        ("X7K2PQ", "provide_info", {"booking_reference": "X7K2PQ"}),
        ("Jansen", "provide_info", {"last_name": "Jansen"}),
        ("tomorrow", "provide_info", {"date": TOMORROW.isoformat()}),
        ("the 14:05", "choose_option", {}),
        ("yes", "affirm", {}),
    ]
    for text, intent, entities in script:
        conversation.engine = FlowEngine(settings, airline, flows)
        conversation.state = state
        r = await conversation.send(text, intent, **entities)
        state = conversation.state
    assert said(flows, r, "rebook_done", "en")
    assert airline.bookings["X7K2PQ"].segments[0].flight_number == "KL1005"


async def test_broken_state_starts_afresh(chat, flows):
    c = chat()
    c.state = {"v": 1, "stack": [{"flow": "no_such_flow", "step": "x", "slots": {}}], "counters": "garbage"}
    r = await c.send("hello", "greet")
    assert said(flows, r, "intent_greet", "en")
    c.state = {"v": 1, "stack": [{"flow": "rebook", "step": "nonsense", "slots": {}}]}
    r = await c.send("yes", "affirm")
    assert r.replies  # an answer, no exception


@pytest.mark.parametrize("language", LANGUAGES)
async def test_greet_help_thanks_fallback(chat, flows, language):
    c = chat(language)
    r = await c.send("hi", "greet")
    assert said(flows, r, "intent_greet", language) and "Demo Airlines" in text_of(r)
    r = await c.send("what can you do?", "help")
    assert said(flows, r, "intent_help", language)
    r = await c.send("thanks", "thanks")
    assert said(flows, r, "intent_thanks", language)
    r = await c.send("asdf qwer", "nlu_fallback", confidence=0.1)
    assert said(flows, r, "clarify", language) and r.handoff is None
    r = await c.send("zxcv", "out_of_scope", confidence=0.2)
    assert r.handoff is not None and r.handoff.reason == "misunderstood"


async def test_reference_and_name_before_the_wish(chat, flows):
    c = chat()
    r = await c.send("ABC123 here, name Jansen", booking_reference="X7K2PQ", last_name="Jansen")
    assert said(flows, r, "booking_found", "en") and said(flows, r, "what_to_do_found", "en")
    r = await c.w("rebook", "rebook")
    assert said(flows, r, "ask_travel_date", "en")


def test_words_cover_every_language():
    assert set(WORDS) == set(LANGUAGES)


async def test_unsure_intent_but_useful_data(chat, flows):
    c = chat()
    r = await c.send("KL1233??", "nlu_fallback", confidence=0.2, flight_number="KL1233")
    assert said(flows, r, "status_on_time", "en") and r.handoff is None
    c2 = chat()
    r = await c2.send("X7K2PQ", "nlu_fallback", confidence=0.2, booking_reference="X7K2PQ")
    assert said(flows, r, "ask_last_name", "en")  # the booking is looked up: its name is asked for
    r = await c2.w("cancel", "cancel")
    assert said(flows, r, "ask_last_name", "en")  # the reference given before is used
    r = await c2.send("Jansen", last_name="Jansen")
    assert said(flows, r, "confirm_cancel_refund", "en")


async def test_status_question_with_a_date_is_not_taken_as_the_travel_date(chat, flows):
    c = chat()
    await c.w("rebook", "rebook")
    await c.identify()
    r = await c.send("is KL1233 on time today?", "flight_status", flight_number="KL1233", date="2026-11-24")
    assert said(flows, r, "status_on_time", "en") and said(flows, r, "ask_travel_date", "en")
    assert "travel_date" not in c.state["stack"][-1]["slots"]
    await c.send("tomorrow", date=TOMORROW.isoformat())
    r = await c.send("is KL1235 on time today?", "flight_status", flight_number="KL1235", date="2026-11-24")
    assert said(flows, r, "status_delayed", "en") and expecting(r) == "option"
    assert c.state["stack"][-1]["slots"]["travel_date"] == TOMORROW.isoformat()


async def test_an_angry_message_with_the_booking_has_the_booking_looked_at_first(chat, flows):
    c = chat()
    r = await c.send("this is a disgrace!!! my flight is cancelled because of the volcano. booking C4NCLD dupont",
                     "complaint", flags=("angry", "disruption"), booking_reference="C4NCLD", last_name="dupont")
    assert r.handoff is None and said(flows, r, "eu261_offer", "en")
