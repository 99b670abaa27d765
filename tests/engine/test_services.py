"""Services: singletons run in exactly one process (leader lease in the database), and move when it dies;
the outbox keeps one recipient's messages in order when a send fails."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import update

from bot.channels.base import Capabilities, Channel
from bot.errors import ChannelError
from bot.messages import OutboundMessage
from bot.services.base import Service
from bot.services.leader import ServiceSupervisor
from bot.services.outbox import OutboxDispatcher
from bot.store.db import utcnow
from bot.store.models import OutboxItem, ServiceLease
from bot.store.repo import NewOutbound, Store


class Recorder(Service):
    def __init__(self, name: str, log: list[str]) -> None:
        self.label, self.log = name, log
        self.running = False

    async def start(self) -> None:
        self.running = True
        self.log.append(f"start {self.label}")

    async def stop(self) -> None:
        if self.running:
            self.log.append(f"stop {self.label}")
        self.running = False


class Single(Recorder):
    singleton: ClassVar[bool] = True


async def test_one_leader_runs_the_singletons_and_a_clean_stop_hands_them_over(engine):
    store = Store(engine)
    log: list[str] = []
    a_single, b_single = Single("a-outbox", log), Single("b-outbox", log)
    a_local, b_local = Recorder("a-local", log), Recorder("b-local", log)
    a = ServiceSupervisor(store, [a_local, a_single], lease_seconds=30, holder="a")
    b = ServiceSupervisor(store, [b_local, b_single], lease_seconds=30, holder="b")
    await a.start()
    await b.start()
    assert a.is_leader and not b.is_leader
    assert a_single.running and not b_single.running
    assert a_local.running and b_local.running  # ordinary services run everywhere
    assert not await b.contend()  # the lease is held and fresh: b waits
    await a.stop()  # a clean stop releases the lease at once
    assert not a_single.running and not a_local.running
    assert await b.contend() and b_single.running
    await b.stop()


async def test_a_dead_leaders_lease_is_taken_over_when_it_expires(engine):
    store = Store(engine)
    log: list[str] = []
    dead = ServiceSupervisor(store, [Single("dead", log)], lease_seconds=5, holder="dead")
    assert await dead.contend()  # leads, then "dies": never renews, never releases
    heir_service = Single("heir", log)
    heir = ServiceSupervisor(store, [heir_service], lease_seconds=5, holder="heir")
    assert not await heir.contend()
    async with store.transaction() as conn:  # time passes beyond the lease
        await conn.execute(
            update(ServiceLease.__table__).values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    assert await heir.contend() and heir_service.running
    # the old leader, should it come back, learns it lost the lease and stops its singletons
    assert not await dead.contend()
    assert log[-1] == "stop dead"
    await heir.stop()


class OrderChannel(Channel):
    name: ClassVar[str] = "push"
    capabilities: ClassVar[Capabilities] = Capabilities(max_length=1000, rate_per_recipient=1000.0)

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail_once = {"first to u1"}

    async def send(self, msg: OutboundMessage) -> str | None:
        if msg.text in self.fail_once:
            self.fail_once.discard(msg.text)
            raise ChannelError("5xx")
        self.sent.append((msg.recipient_id, msg.text))
        return None


async def test_a_failed_send_holds_back_that_recipients_later_messages_only(engine):
    store = Store(engine)
    await store.add_outbound(None, [
        NewOutbound("push", "u1", {"text": "first to u1"}, visible=False),
        NewOutbound("push", "u1", {"text": "second to u1"}, visible=False),
        NewOutbound("push", "u2", {"text": "only to u2"}, visible=False),
    ])
    ch = OrderChannel()
    d = OutboxDispatcher(store, {"push": ch})
    await d.drain_once()
    assert ch.sent == [("u2", "only to u2")]  # u2 is not held up by u1's failure
    for _ in range(3):  # u1's retry is not due yet: its second message must not overtake the first
        await d.drain_once()
    assert ("u1", "second to u1") not in ch.sent
    async with store.transaction() as conn:  # the retry becomes due
        await conn.execute(update(OutboxItem.__table__).values(next_attempt_at=utcnow()))
    for _ in range(3):
        await d.drain_once()
    assert [t for r, t in ch.sent if r == "u1"] == ["first to u1", "second to u1"]
    assert await store.outbox_counts() == {"sent": 3}
