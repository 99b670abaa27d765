"""Drains the outbox: per channel, at the platform's rate, with retries; never loses or doubles a message.

Channels whose replies travel inline (REST, web chat, console) mark their rows delivered themselves; this
dispatcher serves the channels that push (Telegram, Slack, X, e-mail ...), registered by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid

import structlog

from bot import metrics
from bot.channels.base import Channel
from bot.errors import ChannelError, RateLimited, StoreError
from bot.pipeline import OutboundMessage
from bot.store.repo import Store

log = structlog.get_logger("crisisbot.outbox")


class TokenBucket:
    def __init__(self, rate: float | None, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate or 1.0)
        self.tokens = self.capacity
        self.updated = time.monotonic()

    async def take(self) -> None:
        if not self.rate:
            return
        while True:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)


class OutboxDispatcher:
    def __init__(
        self,
        store: Store,
        channels: dict[str, Channel],
        *,
        batch: int = 50,
        idle_seconds: float = 0.5,
        max_attempts: int = 8,
        claim_seconds: float = 60.0,
    ) -> None:
        self.store = store
        self.channels = {n: c for n, c in channels.items() if not c.capabilities.inline_replies}
        self.batch, self.idle, self.max_attempts, self.claim_seconds = batch, idle_seconds, max_attempts, claim_seconds
        self.worker = f"outbox-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.buckets = {n: TokenBucket(c.capabilities.rate_per_second) for n, c in self.channels.items()}
        self._task: asyncio.Task[None] | None = None

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

    async def drain_once(self) -> int:
        """Claim and send one batch; returns how many items were attempted."""
        rows = await self.store.claim_outbox(list(self.channels), self.worker, self.batch, self.claim_seconds)
        for row in rows:
            channel = self.channels[row.channel]
            msg = OutboundMessage.from_row(row)
            await self.buckets[row.channel].take()
            try:
                platform_id = await channel.send(msg)
            except RateLimited as exc:
                metrics.OUTBOX_RETRIES.labels(row.channel).inc()
                await self.store.retry_outbox(row.id, str(exc), exc.retry_after, self.max_attempts + row.attempts + 1)
                continue
            except ChannelError as exc:
                metrics.OUTBOX_RETRIES.labels(row.channel).inc()
                delay = min(2 ** row.attempts, 300)
                await self.store.retry_outbox(row.id, str(exc), delay, self.max_attempts)
                log.warning("outbox_send_failed", channel=row.channel, attempt=row.attempts + 1, error=str(exc))
                continue
            await self.store.mark_delivered([row.id], [platform_id])
            metrics.OUTBOX_SENT.labels(row.channel).inc()
        return len(rows)
