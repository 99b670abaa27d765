"""Drains the outbox: per channel, at the platform's rates, with retries; never loses or doubles a message.

Channels whose replies travel inline (REST, web chat, console) mark their rows delivered themselves; this
dispatcher serves the channels that push (Telegram, Slack, X, e-mail ...). It is a singleton service: one
dispatcher per deployment (the leader process), so a platform's rate limits hold for the whole deployment.

Within one batch, rows are grouped by recipient and each group is sent in order, concurrently with the other
groups; the channel's overall rate and the per-recipient rate are token buckets, taken once per API call (a message
split into parts waits for them before every part: ``Channel.pace``). When a row of a recipient fails, that
recipient's later rows in the batch are put back untouched, so a retry never overtakes.

Failures: ``RateLimited`` (429) -> again after ``retry_after`` seconds, not earlier, without using up an attempt;
``ChannelError`` (5xx, network) -> exponential backoff, ``failed`` after ``max_attempts``; ``Undeliverable`` (the
passenger blocked the bot, the chat is gone) -> ``failed`` at once. A message that failed half-way through its parts
goes on from the first part not delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import ClassVar

import structlog

from bot import metrics
from bot.channels.base import Channel
from bot.errors import ChannelError, RateLimited, StoreError, Undeliverable
from bot.messages import OutboundMessage
from bot.services.base import Service
from bot.store.repo import OutboxRow, Store

log = structlog.get_logger("crisisbot.outbox")


class TokenBucket:
    def __init__(self, rate: float | None, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate or 1.0)
        self.tokens = self.capacity
        self.updated = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * (self.rate or 0))
        self.updated = now

    async def ready(self) -> None:
        """Wait until a token is there, without taking it."""
        if not self.rate:
            return
        while True:
            self._refill()
            if self.tokens >= 1:
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)

    async def take(self) -> None:
        if not self.rate:
            return
        while True:
            await self.ready()
            self._refill()
            if self.tokens >= 1:
                self.tokens -= 1
                return


class OutboxDispatcher(Service):
    name: ClassVar[str] = "outbox"
    singleton: ClassVar[bool] = True

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        *,
        batch: int = 100,
        idle_seconds: float = 0.5,
        max_attempts: int = 8,
        claim_seconds: float = 60.0,
    ) -> None:
        self.store = store
        self.channels = {n: c for n, c in channels.items() if not c.capabilities.inline_replies}
        self.batch, self.idle, self.max_attempts, self.claim_seconds = batch, idle_seconds, max_attempts, claim_seconds
        self.worker = f"outbox-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        # smooth (burst 1): "30 a second" then holds in every one-second window, not 30 at once plus 30 more
        self.buckets = {n: TokenBucket(c.capabilities.rate_per_second, burst=1.0) for n, c in self.channels.items()}
        self._recipient_buckets: OrderedDict[tuple[str, str], TokenBucket] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        for n, c in self.channels.items():
            c.pace = functools.partial(self.pace, n)

    async def pace(self, channel: str, recipient: str) -> None:
        """Wait until one more API call to ``recipient`` on ``channel`` is within the platform's rate limits."""
        recipient_bucket = self._recipient_bucket(channel, recipient)
        if recipient_bucket is None:
            await self.buckets[channel].take()
            return
        # the recipient's token is taken when the call goes out, not before waiting for the channel's: otherwise a
        # wait for the channel's token shortens the gap between two messages to one chat below the platform's limit
        # (one recipient's messages are sent one after the other, so nobody else takes its token meanwhile)
        await recipient_bucket.ready()
        await self.buckets[channel].take()
        await recipient_bucket.take()

    async def start(self) -> None:
        if self.channels and self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                n = await self.drain_once()
            except StoreError:
                log.exception("outbox_store_error")
                n = 0
            if n == 0:
                await asyncio.sleep(self.idle)

    def _recipient_bucket(self, channel: str, recipient: str) -> TokenBucket | None:
        rate = self.channels[channel].capabilities.rate_per_recipient
        if not rate:
            return None
        key = (channel, recipient)
        bucket = self._recipient_buckets.get(key)
        if bucket is None:
            bucket = self._recipient_buckets[key] = TokenBucket(rate, burst=1.0)
            while len(self._recipient_buckets) > 10_000:  # forget the least recently used
                self._recipient_buckets.popitem(last=False)
        else:
            self._recipient_buckets.move_to_end(key)
        return bucket

    async def drain_once(self) -> int:
        """Claim and send one batch; returns how many items were attempted."""
        rows = await self.store.claim_outbox(list(self.channels), self.worker, self.batch, self.claim_seconds)
        groups: dict[tuple[str, str], list[OutboxRow]] = {}
        for row in rows:
            groups.setdefault((row.channel, row.recipient_id), []).append(row)
        await asyncio.gather(*(self._send_group(g) for g in groups.values()))
        return len(rows)

    async def _send_group(self, rows: list[OutboxRow]) -> None:
        for i, row in enumerate(rows):
            if not await self._send_one(row):
                await self.store.release_outbox([r.id for r in rows[i + 1:]])
                return

    async def _send_one(self, row: OutboxRow) -> bool:
        channel = self.channels[row.channel]
        msg = OutboundMessage.from_row(row)
        await self.pace(row.channel, row.recipient_id)
        try:
            platform_id = await channel.send(msg)
        except RateLimited as exc:
            metrics.OUTBOX_RETRIES.labels(row.channel).inc()
            # a 429 is the platform pacing us, not a failure of the message: it does not use up an attempt
            await self.store.retry_outbox(row.id, str(exc), exc.retry_after, self.max_attempts + row.attempts + 1,
                                          parts_sent=exc.parts_sent, platform_id=exc.platform_id)
            log.info("outbox_rate_limited", channel=row.channel, retry_after=exc.retry_after)
            return False
        except Undeliverable as exc:
            metrics.OUTBOX_FAILED.labels(row.channel).inc()
            await self.store.fail_outbox(row.id, str(exc), parts_sent=exc.parts_sent, platform_id=exc.platform_id)
            log.warning("outbox_undeliverable", channel=row.channel, error=str(exc))
            return False
        except ChannelError as exc:
            metrics.OUTBOX_RETRIES.labels(row.channel).inc()
            delay = min(2 ** row.attempts, 300)
            await self.store.retry_outbox(row.id, str(exc), delay, self.max_attempts,
                                          parts_sent=exc.parts_sent, platform_id=exc.platform_id)
            log.warning("outbox_send_failed", channel=row.channel, attempt=row.attempts + 1, error=str(exc))
            return False
        except Exception as exc:  # a channel bug: keep the row, try again later, never crash the dispatcher
            log.exception("outbox_send_crashed", channel=row.channel)
            await self.store.retry_outbox(row.id, f"{type(exc).__name__}", min(2 ** row.attempts, 300),
                                          self.max_attempts)
            return False
        await self.store.mark_delivered([row.id], [platform_id])
        metrics.OUTBOX_SENT.labels(row.channel).inc()
        return True
