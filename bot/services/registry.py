"""Which services a serving Runtime runs. Add a service by appending it here (``singleton`` ones run in the leader)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.services.base import Service
from bot.services.outbox import OutboxDispatcher
from bot.services.recovery import RecoveryService

if TYPE_CHECKING:
    from bot.runtime import Runtime


def build_services(rt: Runtime) -> list[Service]:
    s = rt.settings
    services: list[Service] = [
        OutboxDispatcher(rt.store, rt.channels, idle_seconds=s.outbox_idle_seconds),
        RecoveryService(rt.pipeline),  # every process: stored-but-unanswered messages, lease heartbeat
    ]
    x = rt.channels.get("x")
    if x is not None and s.x.mode == "polling":
        from bot.channels.x import XChannel, XPoller

        assert isinstance(x, XChannel)
        services.append(XPoller(x))
    return services
