"""The service seam: long-running background work with a life cycle, started and stopped by the Runtime."""

from __future__ import annotations

import abc
import asyncio
import contextlib
from typing import ClassVar

import structlog

from bot.lifecycle import AsyncResource

log = structlog.get_logger("crisisbot.services")


class Service(AsyncResource):
    """Background work. ``singleton`` services run once per deployment (in the leader process only)."""

    name: ClassVar[str] = "service"
    singleton: ClassVar[bool] = False

    @abc.abstractmethod
    async def start(self) -> None:
        """Begin the work (return quickly: spawn a task)."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """End the work; idempotent. Whatever was in flight must be safe to redo by another process."""

    async def initialize(self) -> None:
        await self.start()

    async def shutdown(self) -> None:
        await self.stop()


class PeriodicService(Service):
    """Runs ``tick()`` every ``interval`` seconds in a task; an error in one tick is logged, never fatal.

    Tests call ``tick()`` directly instead of sleeping.
    """

    interval: float = 1.0

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    @abc.abstractmethod
    async def tick(self) -> None:
        """One round of work."""

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"service-{self.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("service_tick_failed", service=self.name)
            await asyncio.sleep(self.interval)
