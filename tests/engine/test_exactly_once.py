"""Exactly once, for the right message (pipeline and store, SQLite and PostgreSQL): arrival order per conversation,
the version a message answers, dedupe per sender, short heartbeat leases and the recovery sweeper."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from bot.pipeline import InboundMessage
from bot.services.recovery import RecoveryService
from bot.store.db import create_engine
from bot.store.models import Message
from tests.engine.test_pipeline import make_pipeline
from tests.fakes.parts import CountingEngine


def msg(text: str, sender: str = "alice", mid: str | None = None, channel: str = "rest",
        inline: bool = True) -> InboundMessage:
    return InboundMessage(channel=channel, sender_id=sender, text=text, message_id=mid, inline_reply=inline)


async def received_count(store) -> int:
    async with store.transaction() as s:
        return (await s.execute(select(func.count()).select_from(Message).where(Message.status == "received"))).scalar()


async def until(predicate, within: float = 15.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await predicate():
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


# ---------------------------------------------------------------- dedupe per sender


async def test_two_web_chat_widgets_numbering_1_2_3_each_get_their_own_replies(engine):
    dialogue = CountingEngine()
    p = make_pipeline(engine, dialogue=dialogue)
    a = [await p.receive(msg("hello", sender="widget-a", mid=str(i), channel="webchat")) for i in (1, 2, 3)]
    b = [await p.receive(msg("rebook", sender="widget-b", mid=str(i), channel="webchat")) for i in (1, 2, 3)]
    assert len(dialogue.turns) == 6  # the second widget's messages are processed, not taken for repeats
    assert not any(r.duplicate for r in a + b)
    assert [m.text for r in b for m in r.replies] == [f"[en] turn {i}: rebook" for i in (1, 2, 3)]
    assert all(m.recipient_id == "widget-b" for r in b for m in r.replies)
    # a real retry is still recognised, per sender
    again = await p.receive(msg("rebook", sender="widget-b", mid="3", channel="webchat"))
    assert again.duplicate and [m.text for m in again.replies] == ["[en] turn 3: rebook"]
    assert len(dialogue.turns) == 6


async def test_same_message_id_from_two_senders_at_once(engine):
    dialogue = CountingEngine(delay=0.01)
    p = make_pipeline(engine, dialogue=dialogue)
    results = await asyncio.gather(*(p.receive(msg("hello", sender=f"s{i}", mid="1")) for i in range(6)))
    assert len(dialogue.turns) == 6
    for i, r in enumerate(results):
        assert [m.recipient_id for m in r.replies] == [f"s{i}"]


# ---------------------------------------------------------------- arrival order and versions


async def test_an_earlier_stored_message_is_processed_first_in_its_own_turn(engine):
    dialogue = CountingEngine()
    p = make_pipeline(engine, dialogue=dialogue)
    await p.receive(msg("hello", mid="m1"))
    # a process stored "rebook" and died before its turn (its lease expires)
    await p.store.record_inbound(channel="rest", sender_id="alice", platform_message_id="m2", text="rebook",
                                 lease_owner="dead-process", lease_seconds=0.2)
    await asyncio.sleep(0.3)
    r = await p.receive(msg("cancel", mid="m3"))
    assert [t.text for t in dialogue.turns] == ["hello", "rebook", "cancel"]  # arrival order, one turn each
    assert [m.text for m in r.replies] == ["[en] turn 2: rebook", "[en] turn 3: cancel"]
    assert await received_count(p.store) == 0


async def test_a_message_stored_during_another_processs_turn_is_bound_to_the_earlier_version(db_url):
    from bot.store.schema import create_schema

    e1, e2 = create_engine(db_url), create_engine(db_url)
    try:
        await create_schema(e1)
        slow, fast = CountingEngine(delay=0.5), CountingEngine()
        p1, p2 = make_pipeline(e1, dialogue=slow), make_pipeline(e2, dialogue=fast)
        await p1.receive(msg("hello", mid="m1"))
        first = asyncio.create_task(p1.receive(msg("rebook", mid="m2")))
        await until(lambda: asyncio.sleep(0, len(slow.turns) == 2))
        second = await p2.receive(msg("yes", mid="m3"))  # stored while p1's turn runs, processed after it
        await first
        assert [t.text for t in slow.turns + fast.turns] == ["hello", "rebook", "yes"]
        assert fast.turns[0].stale and not slow.turns[1].stale
        assert second.replies[0].text == "[en] turn 3: nlu_fallback"
    finally:
        await e1.dispose()
        await e2.dispose()


# ---------------------------------------------------------------- leases and recovery while running


async def test_the_sweeper_answers_a_message_a_dead_process_left_without_a_restart(engine):
    p = make_pipeline(engine, lease_seconds=0.5, recovery_grace_seconds=0.2)
    service = RecoveryService(p, interval=0.1)
    await service.start()
    try:
        rec = await p.store.record_inbound(channel="webchat", sender_id="bob", platform_message_id="x",
                                           text="hello", lease_owner="dead-process", lease_seconds=0.5)
        await until(lambda: _processed(p, rec.message_id))
        replies = await p.store.replies_to(rec.message_id)
        assert [r.payload["text"] for r in replies] == ["[en] turn 1: greet"]
        assert [r.status for r in replies] == ["pending"]  # waits for the web chat's poll
    finally:
        await service.stop()


async def _processed(p, message_id: int) -> bool:
    return await p.store.inbound_status(message_id) == "processed"


async def test_a_live_turn_longer_than_the_lease_keeps_it_with_the_heartbeat(db_url):
    from bot.store.schema import create_schema

    e1, e2 = create_engine(db_url), create_engine(db_url)
    try:
        await create_schema(e1)
        slow = CountingEngine(delay=1.5)
        p1 = make_pipeline(e1, dialogue=slow, lease_seconds=0.6)
        p2 = make_pipeline(e2, lease_seconds=0.6, recovery_grace_seconds=0.0)
        heartbeat = RecoveryService(p1, interval=60)
        await heartbeat.start()
        try:
            turn = asyncio.create_task(p1.receive(msg("hello", mid="m1")))
            await until(lambda: asyncio.sleep(0, len(slow.turns) == 1))
            conv_id = None
            for _ in range(10):  # for 1 s, well past the 0.6 s lease, nobody else can take it
                conv = await p2.store.find_conversation("rest", "alice")
                conv_id = conv.id
                assert await p2.store.acquire_lease(conv_id, p2.worker_id, 0.6) is None
                assert await p2.recover(0.0) == 0
                await asyncio.sleep(0.1)
            r = await turn
            assert [m.text for m in r.replies] == ["[en] turn 1: greet"]
        finally:
            await heartbeat.stop()
    finally:
        await e1.dispose()
        await e2.dispose()


async def test_a_retry_of_a_message_held_by_a_dead_process_is_answered(engine):
    p = make_pipeline(engine, lease_seconds=1.0, lock_wait_seconds=20)
    await p.store.record_inbound(channel="rest", sender_id="carol", platform_message_id="r1", text="hello",
                                 lease_owner="dead-process", lease_seconds=1.0)
    started = time.monotonic()
    r = await p.receive(msg("hello", sender="carol", mid="r1"))  # the platform retries: answered, not refused
    waited = time.monotonic() - started
    assert [m.text for m in r.replies] == ["[en] turn 1: greet"]
    assert waited < 15  # bounded by the dead lease, not by lock_wait_seconds
    assert await received_count(p.store) == 0


async def test_recovery_in_two_processes_processes_each_message_once(db_url):
    from bot.store.schema import create_schema

    e1, e2 = create_engine(db_url), create_engine(db_url)
    try:
        await create_schema(e1)
        d1, d2 = CountingEngine(delay=0.01), CountingEngine(delay=0.01)
        p1, p2 = make_pipeline(e1, dialogue=d1), make_pipeline(e2, dialogue=d2)
        for i in range(30):
            for j in range(2):
                await p1.store.record_inbound(channel="rest", sender_id=f"u{i}", platform_message_id=f"{j}",
                                              text=f"hello {j}", lease_owner="dead", lease_seconds=0.1)
        await asyncio.sleep(0.2)
        counts = await asyncio.gather(p1.recover(0.0), p2.recover(0.0), p1.recover(0.0), p2.recover(0.0))
        assert sum(counts) == 60
        assert len(d1.turns) + len(d2.turns) == 60
        assert await received_count(p1.store) == 0
        for i in range(30):
            conv = await p1.store.find_conversation("rest", f"u{i}")
            assert conv.state["count"] == 2
            texts = [t["text"] for t in await p1.store.transcript(conv.id) if t["direction"] == "in"]
            assert texts == ["hello 0", "hello 1"]
    finally:
        await e1.dispose()
        await e2.dispose()
