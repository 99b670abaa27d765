"""The SLA monitor: once per deployment (a singleton, in the leader process), every ``CRISISBOT_CASES__MONITOR_SECONDS``
it runs one round of ``CaseDesk.sweep()``: priorities follow the waiting time, cases near or past their first-response
SLA are escalated (priority up, a message to the Slack escalation channel when configured, an audit row), claims left
unanswered past ``CRISISBOT_CASES__CLAIM_TIMEOUT_MINUTES`` go back to the queue, and the queue and SLA metrics are
refreshed. The desk's clock is the monitor's: tests give the desk their own clock and call ``tick()``.
"""

from __future__ import annotations

from typing import ClassVar

import structlog

from bot.cases import CaseDesk, SweepResult
from bot.services.base import PeriodicService

log = structlog.get_logger("crisisbot.sla")


class SlaMonitor(PeriodicService):
    name: ClassVar[str] = "sla_monitor"
    singleton: ClassVar[bool] = True

    def __init__(self, desk: CaseDesk, interval: float = 30.0) -> None:
        super().__init__()
        self.desk = desk
        self.interval = interval
        self.last: SweepResult | None = None

    async def tick(self) -> None:
        self.last = await self.desk.sweep()
        if self.last.escalated or self.last.released:
            log.info("sla_round", escalated=len(self.last.escalated), released=len(self.last.released))
