"""The outbox delivers push channels' messages once, respects rate limits and retries after failures."""

from __future__ import annotations

from typing import ClassVar

from bot.channels.base import Capabilities, Channel, split_text
from bot.errors import ChannelError, RateLimited
from bot.messages import OutboundMessage
from bot.services.outbox import OutboxDispatcher
from bot.store.repo import NewOutbound, Store


class FlakyChannel(Channel):
    name: ClassVar[str] = "flaky"
    capabilities: ClassVar[Capabilities] = Capabilities(buttons=False, max_length=20)

    def __init__(self, fail_first: list[Exception]) -> None:
        self.fail_first = fail_first
        self.sent: list[str] = []

    async def send(self, msg: OutboundMessage) -> str | None:
        if self.fail_first:
            raise self.fail_first.pop(0)
        self.sent.extend(self.render(msg).texts)
        return f"p-{msg.outbox_id}"


async def test_pending_messages_are_sent_once_with_plain_text_fallback(engine):
    store = Store(engine)
    await store.add_outbound(None, [NewOutbound("flaky", "u1", {"text": "Pick one", "buttons": [
        {"title": "KL1", "payload": "1"}, {"title": "KL2", "payload": "2"}]}, visible=False)])
    ch = FlakyChannel([])
    d = OutboxDispatcher(store, {"flaky": ch})
    assert await d.drain_once() == 1
    assert ch.sent == ["Pick one\n1. KL1", "2. KL2"]  # numbered list, split at the channel's length limit
    assert await d.drain_once() == 0
    assert (await store.outbox_counts()) == {"sent": 1}


async def test_rate_limited_and_failed_sends_are_retried_later(engine):
    store = Store(engine)
    await store.add_outbound(None, [NewOutbound("flaky", "u1", {"text": "hello"}, visible=False)])
    ch = FlakyChannel([RateLimited("429", retry_after=0), ChannelError("boom")])
    d = OutboxDispatcher(store, {"flaky": ch})
    await d.drain_once()  # 429
    assert ch.sent == [] and (await store.outbox_counts()) == {"pending": 1}
    await d.drain_once()  # error: backs off 2 s
    assert await d.drain_once() == 0 and ch.sent == []
    from sqlalchemy import update

    from bot.store.db import utcnow
    from bot.store.models import OutboxItem

    async with store.transaction() as s:  # time passes
        await s.execute(update(OutboxItem).values(next_attempt_at=utcnow()))
    await d.drain_once()
    assert ch.sent == ["hello"] and (await store.outbox_counts()) == {"sent": 1}


async def test_a_message_that_keeps_failing_ends_failed_not_lost(engine):
    store = Store(engine)
    await store.add_outbound(None, [NewOutbound("flaky", "u1", {"text": "x"}, visible=False)])
    d = OutboxDispatcher(store, {"flaky": FlakyChannel([ChannelError("down")] * 3)}, max_attempts=2)
    from sqlalchemy import update

    from bot.store.db import utcnow
    from bot.store.models import OutboxItem

    for _ in range(3):
        await d.drain_once()
        async with store.transaction() as s:
            await s.execute(update(OutboxItem).values(next_attempt_at=utcnow()))
    assert (await store.outbox_counts()) == {"failed": 1}


def test_split_text_prefers_word_boundaries():
    assert split_text("one two three four", 9) == ("one two", "three", "four")
    assert split_text("short", 10) == ("short",)


class SlowChannel(Channel):
    name: ClassVar[str] = "slow"
    capabilities: ClassVar[Capabilities] = Capabilities(rate_per_second=100 / 900)  # X-like: 100 posts in 15 min

    def __init__(self) -> None:
        self.started = 0

    async def send(self, msg: OutboundMessage) -> str | None:
        import asyncio

        self.started += 1
        await asyncio.sleep(60)
        return None


async def test_a_clean_stop_puts_unfinished_claims_back_and_slow_platforms_claim_little(engine):
    import asyncio

    store = Store(engine)
    await store.add_outbound(None, [NewOutbound("slow", f"u{i}", {"text": "x"}, visible=False) for i in range(20)])
    ch = SlowChannel()
    d = OutboxDispatcher(store, {"slow": ch}, claim_seconds=60.0, idle_seconds=0.01)
    assert d.claim_limit("slow") == 1  # no more than it can send well within its claim
    await d.start()
    for _ in range(200):
        if ch.started:
            break
        await asyncio.sleep(0.01)
    assert (await store.outbox_counts()) == {"sending": 1, "pending": 19}
    await d.stop()
    assert (await store.outbox_counts()) == {"pending": 20}  # the next leader need not wait for the claim to expire


async def test_a_channels_extra_reply_is_added_once_however_many_ask_at_once(engine):
    """X's public answer to a mention: a redelivered event, a second poller and a restart may all ask for it at the
    same moment; the passenger sees one."""
    import asyncio

    store = Store(engine)
    rec = await store.record_inbound(channel="x", sender_id="u1", platform_message_id="tweet:1", text="help")
    conv = rec.conversation_id
    extra = NewOutbound("x", "u1", {"text": "We answer by DM", "in_reply_to": "1"})
    # nothing said yet in the turn (a colleague owns the conversation): no public reply either
    assert await store.add_reply_once(rec.message_id, conv, "x_public_reply", extra) is None
    await store.add_replies(rec.message_id, conv, [NewOutbound("x", "u1", {"text": "Hello by DM"})])
    added = await asyncio.gather(*(store.add_reply_once(rec.message_id, conv, "x_public_reply", extra)
                                   for _ in range(8)))
    assert sum(a is not None for a in added) == 1
    kinds = [r.payload.get("kind") for r in await store.replies_to(rec.message_id, conv)]
    assert kinds == [None, "x_public_reply"]
