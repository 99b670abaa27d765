"""Handoff cases on SQLite and PostgreSQL: a handoff opens a case, the waiting passenger is never left without an
answer, can withdraw, an agent claims (exactly one), replies (signed, on the passenger's channel), resolves; the SLA
monitor escalates and releases. The pipeline runs with small stand-ins for the NLU and the dialogue."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from sqlalchemy import select, update

from bot.cases import CaseDesk
from bot.errors import BadRequest, CaseConflict, CaseNotFound
from bot.pipeline import InboundMessage, Pipeline
from bot.services.sla import SlaMonitor
from bot.settings import Settings
from bot.store.models import Case, OutboxItem
from bot.store.repo import Store
from tests.fakes.parts import CountingEngine, KeywordNLU, PrefixDetector


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += dt.timedelta(minutes=minutes)


def make(engine, clock: Clock | None = None, **settings) -> tuple[Pipeline, CaseDesk]:
    s = Settings(**settings)
    store = Store(engine)
    desk = CaseDesk(store, s, clock=clock)
    p = Pipeline(store=store, detector=PrefixDetector(), nlu=KeywordNLU(), dialogue=CountingEngine(), settings=s,
                 cases=desk)
    return p, desk


def msg(text: str, sender: str = "alice", channel: str = "rest", inline: bool = True) -> InboundMessage:
    return InboundMessage(channel=channel, sender_id=sender, text=text, inline_reply=inline)


async def owner(p: Pipeline, sender: str = "alice", channel: str = "rest") -> str:
    conv = await p.store.find_conversation(channel, sender)
    return conv.owner


async def test_a_handoff_opens_a_case_and_tells_the_passenger_where_they_stand(engine):
    p, desk = make(engine)
    r = await p.receive(msg("nl: I want a human"))
    texts = [m.text for m in r.replies]
    assert texts[0] == "A colleague will take over."
    assert "nummer 1 in de wachtrij" in texts[1] and "binnen 60 min" in texts[1]  # no recent figures: the SLA
    assert r.replies[1].buttons == ({"title": "Terug naar de assistent", "payload": "/stop"},)
    [case] = await desk.list_cases()
    assert (case.state, case.reason, case.language, case.channel, case.recipient_id) == (
        "queued", "request_human", "nl", "rest", "alice")
    assert case.first_message_id == r.inbound_id and case.intent == "request_human"
    assert case.position == 1 and case.expected_minutes is None
    assert (case.sla_due_at - case.opened_at) == dt.timedelta(minutes=60)
    audit = await p.store.audit(r.conversation_id)
    opened = [a for a in audit if a["action"] == "case_opened"]
    assert opened and opened[0]["details"]["case_id"] == case.id and opened[0]["actor"] == "bot"


async def test_no_passenger_message_while_queued_ever_gets_an_empty_reply(engine):
    p, desk = make(engine)
    await p.receive(msg("nl: I want a human"))
    others = ["3", "hallo?? optie 3 graag", "", "nl: ?", "I want a human", "hello", "x" * 3000, "🙂", "/affirm",
              "boom", "cancel?"[:5]]
    for text in others:
        r = await p.receive(msg(text))
        assert r.replies, f"no reply to {text!r}"
        assert "nummer 1 in de wachtrij" in r.replies[0].text
        assert "toegevoegd" in r.replies[0].text
    [case] = await desk.list_cases()
    assert case.state == "queued" and case.passenger_messages == len(others)
    assert await owner(p) == "queued"
    # every message is in the case's transcript, each with its acknowledgement
    shown = await desk.get(case.id, transcript=True)
    inbound = [t["text"] for t in shown.transcript if t["direction"] == "in"]
    assert inbound[-3:] == ["x" * 3000, "🙂", "/affirm"] or "hallo?? optie 3 graag" in inbound


async def test_the_queue_position_follows_the_cases_ahead(engine):
    p, desk = make(engine)
    for who in ("a", "b", "c"):
        await p.receive(msg("I want a human", sender=who))
    r = await p.receive(msg("still there?", sender="c"))
    assert "number 3 in the queue" in r.replies[0].text
    cases = await desk.list_cases()
    await desk.claim(cases[0].id, "Anna de Vries")
    r = await p.receive(msg("and now?", sender="c"))
    assert "number 2 in the queue" in r.replies[0].text


async def test_the_expected_wait_comes_from_recent_handling(engine):
    clock = Clock()
    p, desk = make(engine, clock=clock)
    for who in ("a", "b", "c", "d"):
        await p.receive(msg("I want a human", sender=who))
    cases = await desk.list_cases()
    for c in cases[:2]:  # two answered in the last hour: 30 minutes a case
        await desk.claim(c.id, "Anna")
        await desk.reply(c.id, "Anna", "Hello, I'm looking into it.")
    r = await p.receive(msg("how long?", sender="d"))
    assert "number 2 in the queue, about 60 min" in r.replies[0].text
    clock.advance(120)  # nobody answered for two hours: no estimate is pretended
    r = await p.receive(msg("how long now?", sender="d"))
    assert "number 2 in the queue; we aim to reply within 60 min" in r.replies[0].text


@pytest.mark.parametrize("words", ["stop", "never mind", "/stop", "Laat maar", "Стоп", "ストップ", "算了"])
async def test_stop_while_queued_returns_the_passenger_to_the_bot(engine, words):
    p, desk = make(engine)
    await p.receive(msg("I want a human"))
    r = await p.receive(msg(words))
    assert [m.text for m in r.replies] == ["Okay, I've cancelled your request for a colleague. I'm here again: "
                                           "what can I do for you?"]
    assert await owner(p) == "bot"
    [case] = await desk.list_cases(states=("returned",))
    assert (case.close_reason, case.closed_by) == ("withdrawn", "passenger")
    assert await desk.list_cases() == []
    r = await p.receive(msg("hello"))  # the bot answers again
    assert r.replies[0].text.startswith("[en] turn 2: greet")
    audit = [a["action"] for a in await p.store.audit(case.conversation_id)]
    assert "case_withdrawn" in audit and "handoff_withdrawn" in audit


async def test_a_new_request_while_queued_is_served_by_the_bot(engine):
    p, desk = make(engine)
    await p.receive(msg("I want a human"))
    r = await p.receive(msg("I want to rebook my flight"))
    assert [m.text for m in r.replies] == [
        "Okay, I've cancelled your request for a colleague and will help you myself.", "[en] turn 2: rebook"]
    assert await owner(p) == "bot"
    assert (await desk.list_cases(states=("returned",)))[0].close_reason == "withdrawn"


async def test_claim_reply_resolve_through_the_pipeline(engine):
    p, desk = make(engine)
    await p.receive(msg("I want a human"))
    [case] = await desk.list_cases()
    claimed = await desk.claim(case.id, "Anna de Vries")
    assert (claimed.state, claimed.claimed_by) == ("claimed", "Anna de Vries")
    assert await owner(p) == "agent"
    # the passenger writes before the agent answered: at most one short note naming the agent
    r = await p.receive(msg("hello? anyone?"))
    assert [m.text for m in r.replies] == ["Anna has your case and sees your messages here."]
    r = await p.receive(msg("rebook please"))
    assert r.replies == []  # the bot says nothing of its own while a person has the conversation
    await desk.reply(case.id, "Anna de Vries", "Hi, I found a seat on the evening flight. Shall I book it?")
    # REST: the agent's reply travels in the response to the passenger's next message
    r = await p.receive(msg("yes please"))
    assert [(m.text, m.kind, m.payload.get("agent_name")) for m in r.replies] == [
        ("Hi, I found a seat on the evening flight. Shall I book it?\n\n– Anna", "agent", "Anna")]
    r = await p.receive(msg("thanks"))
    assert r.replies == []  # delivered once
    view = await desk.get(case.id, transcript=True)
    assert view.passenger_messages == 4 and view.first_response_at is not None
    agent_rows = [t for t in view.transcript if t["author"] == "agent:Anna de Vries"]
    assert len(agent_rows) == 1 and agent_rows[0]["status"] == "sent"
    resolved = await desk.resolve(case.id, "Anna de Vries")
    assert resolved.state == "resolved" and await owner(p) == "bot"
    r = await p.receive(msg("hello"))
    assert r.replies[0].text.startswith("[en] turn 2: greet")  # the bot has the conversation again
    audit = await p.store.audit(case.conversation_id)
    transitions = [(a["action"], a["actor"], a["details"].get("to")) for a in audit if a["action"].startswith("case_")]
    assert transitions == [("case_opened", "bot", "queued"), ("case_claimed", "agent:Anna de Vries", "claimed"),
                           ("case_replied", "agent:Anna de Vries", None),
                           ("case_resolved", "agent:Anna de Vries", "resolved")]


async def test_web_chat_gets_the_agent_reply_when_it_polls(engine):
    from bot.channels.base import ChannelContext
    from bot.channels.webchat import WebchatChannel

    p, desk = make(engine)
    chat = WebchatChannel(ChannelContext(settings=p.settings, receiver=p, store=p.store))
    await chat.post(json.dumps({"session_id": "session-123", "text": "I want a human"}).encode())
    [case] = await desk.list_cases()
    await desk.claim(case.id, "Piet")
    await desk.reply(case.id, "Piet", "Goedemiddag, ik kijk even mee.")
    polled = await chat.poll({"session_id": "session-123", "after": "0"})
    assert [m["text"] for m in polled["messages"]] == ["Goedemiddag, ik kijk even mee.\n\n– Piet"]
    assert (await chat.poll({"session_id": "session-123", "after": "0"}))["messages"] == []


async def test_agents_cannot_act_on_cases_that_are_not_theirs(engine):
    p, desk = make(engine)
    await p.receive(msg("I want a human"))
    [case] = await desk.list_cases()
    with pytest.raises(CaseConflict, match="claim it first"):
        await desk.reply(case.id, "Anna", "hello")
    await desk.claim(case.id, "Anna")
    assert (await desk.claim(case.id, "Anna")).claimed_by == "Anna"  # claiming your own again changes nothing
    with pytest.raises(CaseConflict, match="claimed by Anna"):
        await desk.claim(case.id, "Bram")
    with pytest.raises(CaseConflict, match="claimed by Anna"):
        await desk.reply(case.id, "Bram", "hi")
    with pytest.raises(CaseConflict, match="claimed by Anna"):
        await desk.resolve(case.id, "Bram")
    with pytest.raises(BadRequest):
        await desk.reply(case.id, "Anna", "   ")
    with pytest.raises(BadRequest):
        await desk.claim(case.id, "")
    with pytest.raises(CaseNotFound):
        await desk.claim(9999, "Anna")
    released = await desk.release(case.id, "Anna")
    assert released.state == "queued" and released.claimed_by is None and await owner(p) == "queued"
    await desk.claim(case.id, "Bram")
    returned = await desk.return_to_bot(case.id, "Bram")
    assert returned.state == "returned" and await owner(p) == "bot"
    with pytest.raises(CaseConflict, match="returned"):
        await desk.claim(case.id, "Anna")
    # the passenger is told the bot has them again, in the response to their next message
    r = await p.receive(msg("ok?"))
    assert r.replies[0].text.startswith("Bram has handed this conversation back to me")


async def test_twenty_concurrent_claims_give_exactly_one_owner(db_url):
    from bot.store.db import create_engine
    from bot.store.schema import create_schema

    engines = [create_engine(db_url) for _ in range(4)]  # as if from several processes
    try:
        await create_schema(engines[0])
        p, desk = make(engines[0])
        await p.receive(msg("I want a human"))
        [case] = await desk.list_cases()
        desks = [CaseDesk(Store(engines[i % 4]), p.settings) for i in range(20)]

        async def attempt(i: int) -> str | None:
            try:
                await desks[i].claim(case.id, f"agent {i}")
                return f"agent {i}"
            except CaseConflict:
                return None

        winners = [w for w in await asyncio.gather(*(attempt(i) for i in range(20))) if w]
        assert len(winners) == 1
        view = await desk.get(case.id)
        assert (view.state, view.claimed_by) == ("claimed", winners[0])
        claims = [a for a in await p.store.audit(case.conversation_id) if a["action"] == "case_claimed"]
        assert len(claims) == 1 and claims[0]["actor"] == f"agent:{winners[0]}"
    finally:
        for e in engines:
            await e.dispose()


async def test_a_claim_during_the_passengers_withdrawal_never_loses_either(engine):
    """The passenger says "stop" while an agent claims: either the claim wins (the message goes to the agent) or the
    withdrawal wins (the claim is refused); never both, never a case that is claimed for a bot conversation."""
    p, desk = make(engine)
    for i in range(6):
        sender = f"p{i}"
        await p.receive(msg("I want a human", sender=sender))
        case = await desk.open_case((await p.store.find_conversation("rest", sender)).id)
        outcome = await asyncio.gather(p.receive(msg("stop", sender=sender)), desk.claim(case.id, "Anna"),
                                       return_exceptions=True)
        view = await desk.get(case.id)
        conv_owner = await owner(p, sender)
        if isinstance(outcome[1], CaseConflict):
            assert (view.state, conv_owner) == ("returned", "bot")
        else:
            assert (view.state, conv_owner) == ("claimed", "agent")


async def test_case_context_and_audit_keep_personal_data_out_of_the_audit_log(engine):
    from bot.dialogue.base import HandoffRequest

    p, desk = make(engine)
    r = await p.receive(msg("hello"))
    conv = await p.store.find_conversation("rest", "alice")
    handoff = HandoffRequest(
        "special_assistance", "reason=special_assistance; booking=X7K2PQ",
        context={"booking": {"reference": "X7K2PQ", "last_name": "Jansen", "at": "2026-12-07T10:00:00+00:00"},
                 "flows": ["rebook@check"], "departure": (dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)).isoformat(),
                 "offered": [{"option": 1, "segments": [{"flight_number": "KL1234", "origin": "AMS",
                                                         "destination": "LHR", "departure": "x"}]}]},
    )
    _notes, write = await desk.prepare_open(conv, handoff, language="en", parse=None, inbound_id=r.inbound_id)
    async with p.store.transaction() as s:
        await write(s, dt.datetime.now(dt.UTC))
    [case] = await desk.list_cases()
    assert case.booking["reference"] == "X7K2PQ" and "booking" not in case.context
    assert case.skills == ["special_assistance"] and case.priority >= 30  # departs within 6 hours
    assert case.context["offered"][0]["segments"][0]["flight_number"] == "KL1234"
    card = desk.card(case)
    assert {"label": "Booking", "value": "X7K2PQ"} in card["fields"]
    assert [a["id"] for a in card["actions"]] == ["claim", "resolve", "return"]
    await desk.claim(case.id, "Anna")
    await desk.reply(case.id, "Anna", "Dear Ms Jansen, your booking X7K2PQ is safe.")
    await desk.resolve(case.id, "Anna")
    audit = json.dumps(await p.store.audit(case.conversation_id))
    assert "X7K2PQ" not in audit and "Jansen" not in audit


async def test_priority_follows_departure_crisis_and_waiting(engine):
    from bot.cases.routing import compute_priority

    now = dt.datetime.now(dt.UTC)

    def prio(**kw):
        args = dict(base=0, opened_at=now, now=now, departure_at=None, crisis_affected=False, escalation_level=0)
        return compute_priority(**{**args, **kw})

    soon, tomorrow, later = (now + dt.timedelta(hours=h) for h in (2, 20, 200))
    assert prio(departure_at=soon) > prio(departure_at=tomorrow) > prio(departure_at=later) == prio()
    assert prio(crisis_affected=True) > prio()
    assert prio(opened_at=now - dt.timedelta(minutes=40)) > prio()
    assert prio(escalation_level=2) > prio(escalation_level=1) > prio()
    # the crisis playbooks mark cases; the queue order follows
    p, desk = make(engine)
    for who in ("a", "b"):
        await p.receive(msg("I want a human", sender=who))
    first, second = await desk.list_cases()
    await desk.set_crisis_impact(second.id, affected=True, crisis_id="storm-ams")
    assert [c.id for c in await desk.list_cases()] == [second.id, first.id]
    assert (await desk.get(second.id)).position == 1


async def test_list_filters_by_state_language_and_skill(engine):
    p, desk = make(engine)
    await p.receive(msg("nl: I want a human", sender="a"))
    await p.receive(msg("fr: I want a human", sender="b"))
    async with p.store.transaction() as s:
        await s.execute(update(Case).where(Case.language == "fr").values(skills=["refunds"]))
    assert [c.language for c in await desk.list_cases(language="nl")] == ["nl"]
    assert [c.language for c in await desk.list_cases(skill="refunds")] == ["fr"]
    assert await desk.list_cases(states=("resolved",)) == []
    with pytest.raises(BadRequest):
        await desk.list_cases(states=("open",))


async def test_sla_monitor_escalates_and_releases_unanswered_claims(engine):
    from bot import metrics

    clock = Clock()
    p, desk = make(engine, clock=clock, slack={"bot_token": "xoxb-test", "escalation_channel": "C-ESC",
                                              "queue_channel": "C-QUEUE"})
    await p.receive(msg("nl: I want a human", sender="a"))
    await p.receive(msg("nl: I want a human", sender="b"))
    first, second = await desk.list_cases()
    monitor = SlaMonitor(desk)
    assert monitor.singleton
    await monitor.tick()
    assert monitor.last.escalated == [] and monitor.last.queued == {"nl": 2}
    assert metrics.CASES_QUEUED.labels("nl")._value.get() == 2
    await desk.claim(second.id, "Anna")
    clock.advance(16)  # Anna claimed and never answered: back to the queue
    await monitor.tick()
    assert monitor.last.released == [second.id]
    view = await desk.get(second.id)
    assert (view.state, view.claimed_by) == ("queued", None) and await owner(p, "b") == "queued"
    clock.advance(35)  # 51 minutes: near the 60-minute SLA
    before = (await desk.get(first.id)).priority
    await monitor.tick()
    assert sorted(monitor.last.escalated) == sorted([first.id, second.id])
    near = await desk.get(first.id)
    assert near.escalation_level == 1 and near.priority > before
    clock.advance(10)  # past it
    await monitor.tick()
    assert (await desk.get(first.id)).escalation_level == 2
    await monitor.tick()
    assert monitor.last.escalated == []  # escalated once per level
    assert metrics.CASES_PAST_SLA._value.get() == 2
    async with p.store.transaction() as s:
        rows = (await s.execute(select(OutboxItem.__table__).where(OutboxItem.channel == "slack"))).all()
    kinds = [(r.recipient_id, r.payload["kind"]) for r in rows]
    assert kinds.count(("C-QUEUE", "case_card")) == 2
    assert kinds.count(("C-ESC", "case_escalation")) == 4
    assert ("C-QUEUE", "case_released") in kinds and ("C-QUEUE", "case_claimed") in kinds
    card = next(r.payload for r in rows if r.payload["kind"] == "case_card")
    assert card["card"]["title"].startswith("Case ") and card["card"]["actions"][0]["id"] == "claim"
    assert all(not r.visible for r in rows)  # none in the passenger's transcript
    # an answered case is not escalated; SLA compliance is measured on first responses
    await desk.claim(first.id, "Bram")
    await desk.reply(first.id, "Bram", "Sorry for the wait.")
    await monitor.tick()
    assert metrics.CASE_SLA_COMPLIANCE._value.get() == 0.0
    assert metrics.CASE_FIRST_RESPONSE.labels("p50")._value.get() == pytest.approx(61 * 60, abs=5)


async def test_a_passenger_queued_without_a_case_gets_one(engine):
    """Conversations queued before cases existed (or set by hand) are not left unseen."""
    from bot.store.models import Conversation

    p, desk = make(engine)
    r = await p.receive(msg("hello"))
    async with p.store.transaction() as s:
        await s.execute(update(Conversation).where(Conversation.id == r.conversation_id)
                        .values(owner="queued", handoff_reason="misunderstood"))
    r = await p.receive(msg("3"))
    assert "number 1 in the queue" in r.replies[0].text
    [case] = await desk.list_cases()
    assert case.reason == "misunderstood"


async def test_a_question_while_queued_keeps_the_place(engine):
    p, _desk = make(engine)
    await p.receive(msg("I want a human"))
    r = await p.receive(msg("while i wait, is my flight on time?"))
    assert await owner(p) == "queued" and "in the queue" in r.replies[-1].text
