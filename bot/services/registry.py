"""Which services a serving Runtime runs. Add a service by appending it here (``singleton`` ones run in the leader)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.services.base import Service
from bot.services.outbox import OutboxDispatcher
from bot.services.recovery import RecoveryService
from bot.services.sla import SlaMonitor

if TYPE_CHECKING:
    from bot.runtime import Runtime


def build_services(rt: Runtime) -> list[Service]:
    s = rt.settings
    services: list[Service] = [
        OutboxDispatcher(rt.store, rt.channels, idle_seconds=s.outbox_idle_seconds),
        RecoveryService(rt.pipeline),  # every process: stored-but-unanswered messages, lease heartbeat
        SlaMonitor(rt.pipeline.cases, interval=s.cases.monitor_seconds),
    ]
    telegram = rt.channels.get("telegram")
    if telegram is not None and s.telegram.mode == "polling":
        from bot.channels.telegram import TelegramChannel, TelegramPoller

        assert isinstance(telegram, TelegramChannel)
        services.append(TelegramPoller(telegram))
    crisis = getattr(rt, "crisis", None)
    if crisis is not None:
        from bot.services.crisis import CrisisScheduler

        services.append(CrisisScheduler(crisis.manager, interval=s.crisis_tick_seconds))
    from bot.channels.slack import socket_service

    slack = socket_service(rt.channels)
    if slack is not None:
        services.append(slack)
    x = rt.channels.get("x")
    if x is not None and s.x.mode == "polling":
        from bot.channels.x import XChannel, XPoller

        assert isinstance(x, XChannel)
        services.append(XPoller(x))
    return services
