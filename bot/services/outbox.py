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


class Pacer:
    """An even pace for many waiters: each ``take`` reserves the next free slot (``1/rate`` after the previous one)
    and sleeps until it. A waiter that wakes a little late does not push the later slots back, so the rate is used
    in full (a capped token bucket loses whatever a late waiter leaves unused); slots missed by more than
    ``catch_up`` slots are not made up, so a stall never turns into a burst.
    """

    def __init__(self, rate: float | None, catch_up: float = 0.0) -> None:
        self.rate = rate
        self.catch_up = catch_up
        self.next_slot = 0.0

    async def take(self) -> None:
        if not self.rate:
            return
        now = time.monotonic()
        slot = max(now - self.catch_up / self.rate, self.next_slot)
        self.next_slot = slot + 1.0 / self.rate
        if slot > now:
            await asyncio.sleep(slot - now)


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
        # an even pace: "30 a second" then holds in every one-second window, not 30 at once plus 30 more
        self.buckets = {n: Pacer(c.capabilities.rate_per_second) for n, c in self.channels.items()}
        self._recipient_buckets: OrderedDict[tuple[str, str], TokenBucket] = OrderedDict()
        self._tasks: list[asyncio.Task[None]] = []
        self._inflight: dict[str, int] = dict.fromkeys(self.channels, 0)
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
        if self.channels and not self._tasks:
            self._tasks = [asyncio.create_task(self._run(n), name=f"outbox-{n}") for n in self.channels]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        if tasks:  # what we claimed but did not finish goes back at once (the next leader need not wait for it)
            with contextlib.suppress(StoreError):
                await self.store.release_claims(self.worker)

    def claim_limit(self, channel: str) -> int:
        """How many rows of a channel to hold at once: no more than it can send well within ``claim_seconds``
        (a slow platform's rows must not outlive their claim, or they would be claimed and sent again)."""
        rate = self.channels[channel].capabilities.rate_per_second
        if not rate:
            return self.batch
        return max(1, min(self.batch, int(rate * self.claim_seconds / 4)))

    async def _run(self, channel: str) -> None:
        """One channel's loop: keeps its pipe full (claims more while the rows in flight run low), so the platform's
        rate is used without gaps between batches; channels never wait for each other."""
        inflight: set[asyncio.Task[None]] = set()
        try:
            while True:
                limit = self.claim_limit(channel)
                rows: list[OutboxRow] = []
                if self._inflight[channel] <= limit // 2:
                    try:
                        rows = await self.store.claim_outbox([channel], self.worker, limit - self._inflight[channel],
                                                             self.claim_seconds)
                    except StoreError:
                        log.exception("outbox_store_error")
                if rows:
                    self._inflight[channel] += len(rows)  # now, before the task runs: the next round counts them
                    task = asyncio.create_task(self._send_batch(channel, rows))
                    inflight.add(task)
                    task.add_done_callback(inflight.discard)
                else:
                    await asyncio.sleep(min(self.idle, 0.05) if self._inflight[channel] else self.idle)
        finally:
            for t in list(inflight):
                t.cancel()
            await asyncio.gather(*inflight, return_exceptions=True)

    async def _send_batch(self, channel: str, rows: list[OutboxRow]) -> None:
        try:
            await self._send_rows(rows)
        except StoreError:
            log.exception("outbox_store_error")  # the rows' claims expire; they are sent again then
        finally:
            self._inflight[channel] -= len(rows)

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
        await self._send_rows(rows)
        return len(rows)

    async def _send_rows(self, rows: list[OutboxRow]) -> None:
        groups: dict[tuple[str, str], list[OutboxRow]] = {}
        for row in rows:
            groups.setdefault((row.channel, row.recipient_id), []).append(row)
        await asyncio.gather(*(self._send_group(g) for g in groups.values()))

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
