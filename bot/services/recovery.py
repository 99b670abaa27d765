"""Recovery: the service that makes "nothing lost" hold while the bot runs, not only at its next start.

Two loops in every process (leases make it safe to run them everywhere, so it needs no leader):

* the heartbeat renews the short leases of the conversations this process is working on, so that a lease of a
  process that died (``kill -9``, a lost host) expires within ``lease_seconds`` and another process takes over;
* the sweeper processes, every ``recovery_interval`` seconds, the inbound messages that were stored but never
  processed (their process died mid-turn, or its request gave up) once their conversation's lease is free or
  expired, conversation by conversation in arrival order. Their replies go to the outbox: a web chat polls them, a
  REST client gets them with its retry or its next message.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from bot.errors import StoreError
from bot.pipeline import Pipeline
from bot.services.base import Service

log = structlog.get_logger("crisisbot.recovery")


class RecoveryService(Service):
    """Not a singleton: every process sweeps (leases keep two sweepers off one conversation) and renews its own
    leases."""

    name = "recovery"
    singleton = False

    def __init__(self, pipeline: Pipeline, *, interval: float | None = None, heartbeat: float | None = None) -> None:
        self.pipeline = pipeline
        s = pipeline.settings
        self.interval = interval if interval is not None else s.recovery_interval
        self.heartbeat = heartbeat if heartbeat is not None else max(s.lease_seconds / 3, 0.2)
        self._tasks: list[asyncio.Task[None]] = []
        self.sweeps = 0  # completed sweeps (for tests and metrics)

    async def start(self) -> None:
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self._heartbeat_loop(), name="crisisbot-lease-heartbeat"),
            asyncio.create_task(self._sweep_loop(), name="crisisbot-recovery-sweeper"),
        ]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t

    async def sweep(self) -> int:
        """One sweep now; returns how many messages it processed."""
        count = await self.pipeline.recover()
        self.sweeps += 1
        return count

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            try:
                await self.pipeline.renew_leases()
            except StoreError as exc:
                log.warning("lease_heartbeat_failed", error=type(exc).__name__)
            except Exception:
                log.exception("lease_heartbeat_failed")

    async def _sweep_loop(self) -> None:
        while True:
            try:
                await self.sweep()
            except StoreError as exc:
                log.warning("recovery_sweep_failed", error=type(exc).__name__)
            except Exception:
                log.exception("recovery_sweep_failed")
            await asyncio.sleep(self.interval)
