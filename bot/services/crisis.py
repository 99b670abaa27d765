"""The crisis scheduler: posts "no news yet" when staff miss a slot, and writes the personal notices.

A singleton service (the leader process only); even so every step is safe to run in several processes at once: a
slot is claimed with a compare-and-set on ``crises.next_update_at`` and a unique (crisis, slot), notices page by a
cursor that moves in the same transaction as their outbox rows (see bot.crisis.manager). The clock is injectable, and
``tick()`` is one round, so tests drive it without sleeping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import ClassVar

import structlog

from bot.crisis.manager import CrisisManager
from bot.services.base import PeriodicService

log = structlog.get_logger("crisisbot.crisis")


class CrisisScheduler(PeriodicService):
    name: ClassVar[str] = "crisis"
    singleton: ClassVar[bool] = True

    def __init__(self, manager: CrisisManager, *, interval: float = 5.0, notice_page: int = 500,
                 notice_pages_per_tick: int = 4, clock: Callable[[], dt.datetime] | None = None) -> None:
        super().__init__()
        self.manager = manager
        self.interval = interval
        self.notice_page = notice_page
        self.notice_pages_per_tick = notice_pages_per_tick
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))

    async def tick(self) -> None:
        now = self.clock()
        posted = await self.manager.tick(now=now)
        if posted:
            log.info("crisis_no_news_posted", count=posted)
        for crisis in await self.manager.active():
            if not crisis["notices_done"]:
                await self.manager.send_notices(crisis["id"], page=self.notice_page, now=now,
                                                max_pages=self.notice_pages_per_tick)
