"""The message pipeline on SQLite and PostgreSQL: dedupe, serialisation, persistence, ownership, recovery."""

from __future__ import annotations

import asyncio

import pytest

from bot.pipeline import InboundMessage, Pipeline, clean_text
from bot.settings import Settings
from bot.store.db import create_engine
from bot.store.repo import Store
from tests.fakes.parts import CountingEngine, KeywordNLU, PrefixDetector


def make_pipeline(engine, dialogue=None, nlu=None, **settings) -> Pipeline:
    return Pipeline(
        store=Store(engine),
        detector=PrefixDetector(),
        nlu=nlu or KeywordNLU(),
        dialogue=dialogue or CountingEngine(),
        settings=Settings(**settings),
    )


def msg(text: str, sender: str = "alice", mid: str | None = None, channel: str = "rest") -> InboundMessage:
    return InboundMessage(channel=channel, sender_id=sender, text=text, message_id=mid)


async def test_message_is_understood_answered_and_stored(engine):
    p = make_pipeline(engine)
    r = await p.receive(msg("hello there", mid="m1"))
    assert [m.text for m in r.replies] == ["[en] turn 1: greet"]
    assert r.replies[0].buttons == ({"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"})
    transcript = await p.store.transcript(r.conversation_id)
    assert [(t["direction"], t["text"]) for t in transcript] == [("in", "hello there"), ("out", "[en] turn 1: greet")]
    assert transcript[0]["parse"]["intent"]["name"] == "greet"
    assert transcript[0]["parse"]["language"] == "en"
    assert (await p.store.audit(r.conversation_id))[0]["action"] == "turn"


async def test_nlu_receives_the_context_the_dialogue_left(engine):
    nlu = KeywordNLU()
    p = make_pipeline(engine, nlu=nlu)
    await p.receive(msg("hello"))
    await p.receive(msg("rebook"))
    assert nlu.calls[0][2] == {}
    assert nlu.calls[1][2] == {"expecting": "anything", "turn": 1}


async def test_a_retried_message_is_processed_once_and_answered_the_same(engine):
    dialogue = CountingEngine()
    p = make_pipeline(engine, dialogue=dialogue)
    first = await p.receive(msg("rebook please", mid="tg-42"))
    again = await p.receive(msg("rebook please", mid="tg-42"))
    assert again.duplicate and not first.duplicate
    assert [m.text for m in again.replies] == [m.text for m in first.replies]
    assert len(dialogue.turns) == 1
    # the same id on another channel is another message
    other = await p.receive(msg("rebook please", mid="tg-42", channel="webchat"))
    assert not other.duplicate and len(dialogue.turns) == 2


async def test_concurrent_retries_of_one_message_run_one_turn(engine):
    dialogue = CountingEngine(delay=0.02)
    p = make_pipeline(engine, dialogue=dialogue)
    results = await asyncio.gather(*(p.receive(msg("hello", mid="same")) for _ in range(8)))
    assert len(dialogue.turns) == 1
    assert {tuple(m.text for m in r.replies) for r in results} == {("[en] turn 1: greet",)}


async def test_messages_of_one_conversation_never_run_concurrently(engine):
    dialogue = CountingEngine(delay=0.005)
    p = make_pipeline(engine, dialogue=dialogue)
    await asyncio.gather(*(p.receive(msg(f"hello {i}", mid=f"m{i}")) for i in range(15)))
    conv = await p.store.find_conversation("rest", "alice")
    assert conv.state["count"] == 15  # a lost update would leave fewer


async def test_two_processes_share_the_work_without_lost_updates(db_url):
    from bot.store.schema import create_schema

    e1, e2 = create_engine(db_url), create_engine(db_url)
    try:
        await create_schema(e1)
        p1 = make_pipeline(e1, dialogue=CountingEngine(delay=0.005))
        p2 = make_pipeline(e2, dialogue=CountingEngine(delay=0.005))
        await asyncio.gather(*((p1 if i % 2 else p2).receive(msg(f"hi {i}", mid=f"x{i}")) for i in range(12)))
        conv = await p1.store.find_conversation("rest", "alice")
        assert conv.state["count"] == 12
    finally:
        await e1.dispose()
        await e2.dispose()


async def test_a_restart_continues_the_conversation_with_its_language(db_url):
    from bot.store.schema import create_schema

    e1 = create_engine(db_url)
    await create_schema(e1)
    p1 = make_pipeline(e1)
    await p1.receive(msg("nl: hallo"))
    await e1.dispose()

    e2 = create_engine(db_url)  # a new process
    try:
        p2 = make_pipeline(e2)
        r = await p2.receive(msg("ok"))  # too short to tell: keeps Dutch
        assert r.replies[0].text == "[nl] turn 2: nlu_fallback"
    finally:
        await e2.dispose()


async def test_handoff_queues_the_conversation_and_the_bot_only_acknowledges(engine):
    dialogue = CountingEngine()
    p = make_pipeline(engine, dialogue=dialogue)
    r = await p.receive(msg("I want a human"))
    assert r.replies[0].text == "A colleague will take over."
    assert "number 1 in the queue" in r.replies[1].text
    conv = await p.store.find_conversation("rest", "alice")
    assert (conv.owner, conv.handoff_reason) == ("queued", "request_human")
    for text in ("hello?", "hello??"):  # acknowledged every time, never an empty reply
        ack = await p.receive(msg(text))
        assert len(ack.replies) == 1 and "added to your case" in ack.replies[0].text
    assert len(dialogue.turns) == 1
    assert any(a["action"] == "handoff" for a in await p.store.audit(conv.id))


async def test_no_reply_while_an_agent_owns_the_conversation(engine):
    from sqlalchemy import update

    from bot.store.models import Conversation

    p = make_pipeline(engine)
    r = await p.receive(msg("hello"))
    async with p.store.transaction() as s:
        await s.execute(update(Conversation).where(Conversation.id == r.conversation_id).values(owner="agent"))
    r2 = await p.receive(msg("rebook"))
    assert r2.replies == []
    transcript = await p.store.transcript(r.conversation_id)
    assert transcript[-1]["text"] == "rebook" and transcript[-1]["parse"]["intent"]["name"] == "rebook"


async def test_a_failing_flow_apologises_and_hands_off(engine):
    p = make_pipeline(engine)
    r = await p.receive(msg("nl: boom"))
    assert "collega" in r.replies[0].text
    conv = await p.store.find_conversation("rest", "alice")
    assert (conv.owner, conv.handoff_reason) == ("queued", "bot_error")


async def test_unsupported_language_is_flagged_and_answered_in_english(engine):
    p = make_pipeline(engine)
    r = await p.receive(msg("xx: merhaba"))
    assert r.replies[0].text.startswith("[en]")
    audit = await p.store.audit(r.conversation_id)
    assert any(a["action"] == "flag_language" for a in audit)
    transcript = await p.store.transcript(r.conversation_id)
    assert "unsupported_language" in transcript[0]["parse"]["flags"]


async def test_a_message_stored_by_a_dead_process_is_answered_after_restart(engine):
    p = make_pipeline(engine)
    # the process died right after storing the message
    rec = await p.store.record_inbound(channel="rest", sender_id="bob", platform_message_id="lost-1", text="hello")
    assert await p.recover(older_than_seconds=0) == 1
    replies = await p.store.replies_to(rec.message_id)
    assert [r.payload["text"] for r in replies] == ["[en] turn 1: greet"]
    assert await p.recover(older_than_seconds=0) == 0
    # the platform retries the same message later: answered from the store, not processed again
    again = await p.receive(msg("hello", sender="bob", mid="lost-1"))
    assert again.duplicate and [m.text for m in again.replies] == ["[en] turn 1: greet"]


async def test_bad_text_is_cleaned_not_rejected(engine):
    p = make_pipeline(engine)
    r = await p.receive(msg("hel\x00lo\x07 " + "x" * 50_000))
    transcript = await p.store.transcript(r.conversation_id)
    stored = transcript[0]["text"]
    assert "\x00" not in stored and "\x07" not in stored and len(stored) <= 20_000
    assert r.replies


def test_clean_text_keeps_newlines_and_unicode():
    assert clean_text("  Zürich\nmorgen 🙂 ") == "Zürich\nmorgen 🙂"


@pytest.mark.parametrize("sender", ["a", "x" * 255])
async def test_any_sender_starts_a_new_conversation(engine, sender):
    p = make_pipeline(engine)
    r = await p.receive(msg("hello", sender=sender))
    conv = await p.store.find_conversation("rest", sender)
    assert conv is not None and conv.id == r.conversation_id
