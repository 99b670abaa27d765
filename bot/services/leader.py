"""Leader election through the database: once-per-deployment services run in exactly one process.

Every process runs a ``ServiceSupervisor``. It starts the ordinary services at once, and tries every
``lease_seconds / 3`` to take or renew the ``services`` lease row. The holder starts the singleton services; a
process that loses the lease (it could not renew in time) stops them. When the leader dies, its lease expires and
another process takes over within ``lease_seconds``; a clean shutdown releases the lease at once.

This is how ``crisisbot serve --workers N`` and several hosts behave as one bot: platform rate limits, scheduled
crisis updates and SLA checks are kept by one dispatcher, not one per worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid

import structlog

from bot import metrics
from bot.errors import StoreError
from bot.services.base import Service
from bot.store import leases
from bot.store.repo import Store

log = structlog.get_logger("crisisbot.leader")

LEASE_NAME = "services"


def process_id() -> str:
    return f"{socket.gethostname()[:32]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class ServiceSupervisor:
    def __init__(self, store: Store, services: list[Service], *, lease_seconds: float = 10.0,
                 holder: str | None = None) -> None:
        self.store = store
        self.services = list(services)
        self.lease_seconds = lease_seconds
        self.holder = holder or process_id()
        self.is_leader = False
        self._started: list[Service] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def local(self) -> list[Service]:
        return [s for s in self.services if not s.singleton]

    @property
    def singletons(self) -> list[Service]:
        return [s for s in self.services if s.singleton]

    async def start(self) -> None:
        for svc in self.local:
            await svc.start()
            self._started.append(svc)
        if self.singletons:
            await self.contend()  # the first round at once, so a single process leads from its start
            self._task = asyncio.create_task(self._loop(), name="leader-election")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._stop_singletons()
        if self.singletons:
            with contextlib.suppress(StoreError):
                await leases.release(self.store, LEASE_NAME, self.holder)
        for svc in reversed(self._started):
            await self._stop(svc)
        self._started.clear()

    async def contend(self) -> bool:
        """One round: take or renew the lease, and start or stop the singletons accordingly."""
        try:
            held = await leases.take_or_renew(self.store, LEASE_NAME, self.holder, self.lease_seconds)
        except StoreError:
            log.warning("leader_lease_unreachable")
            held = False
        if held and not self.is_leader:
            self.is_leader = True
            log.info("leader_elected", services=[s.name for s in self.singletons])
            for svc in self.singletons:
                await svc.start()
        elif not held and self.is_leader:
            log.warning("leader_lost")
            await self._stop_singletons()
        metrics.LEADER.set(1 if self.is_leader else 0)
        return self.is_leader

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                await self.contend()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("leader_round_failed")

    async def _stop_singletons(self) -> None:
        if self.is_leader:
            for svc in reversed(self.singletons):
                await self._stop(svc)
        self.is_leader = False

    @staticmethod
    async def _stop(svc: Service) -> None:
        try:
            await svc.stop()
        except Exception:
            log.exception("service_stop_failed", service=svc.name)
