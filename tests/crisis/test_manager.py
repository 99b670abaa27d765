"""Running a crisis: start, approval, authorisation, updates, the cadence on a controllable clock, the end,
and a restart in the middle of a broadcast (nothing doubled, nothing lost). SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import ClassVar

import pytest
from sqlalchemy import func, select, update

from bot.channels.base import Capabilities, Channel
from bot.crisis.manager import CrisisError, NotAuthorised
from bot.crisis.playbook import PLAYBOOK_LANGUAGES
from bot.messages import OutboundMessage
from bot.services.outbox import OutboxDispatcher
from bot.store.db import utcnow
from bot.store.models import OutboxItem
from bot.store.repo import Store
from tests.crisis.conftest import NOW, SAMPLE_PARAMS, make_manager

MIN = dt.timedelta(minutes=1)


async def _outbox(engine, like: str = "crisis:%") -> list[OutboxItem]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(OutboxItem.__table__).where(OutboxItem.dedupe_key.like(like))
                                        .order_by(OutboxItem.id))).all())


async def _audit(engine) -> list[tuple[str, str]]:
    from bot.store.models import AuditLog

    async with engine.connect() as conn:
        return [(r.actor, r.action) for r in (await conn.execute(select(AuditLog).order_by(AuditLog.id))).all()]


@pytest.mark.parametrize("playbook_id", sorted(SAMPLE_PARAMS))
async def test_each_playbook_starts_broadcasts_and_ends(seeded, playbooks, playbook_id):
    m = make_manager(seeded, playbooks)
    st = await m.start(playbook_id, SAMPLE_PARAMS[playbook_id], "alice", now=NOW)
    assert st["status"] == "active" and st["stage"] == "investigating"
    assert st["affected"]["flight_count"] > 0 and st["affected"]["booking_count"] > 0
    assert st["next_update_at"] == (NOW + dt.timedelta(minutes=playbooks.get(playbook_id).cadence.every_minutes)
                                    ).isoformat()
    rows = await _outbox(seeded)
    langs = m.languages
    # one row per broadcasting push channel and language, to the channel's broadcast recipient
    assert sorted((r.channel, r.payload["language"]) for r in rows) == sorted(
        (ch, lang) for ch in ("telegram", "x", "slack") for lang in langs)
    assert {r.recipient_id for r in rows if r.channel == "telegram"} == {"@demo_status"}
    fr = next(r for r in rows if r.channel == "slack" and r.payload["language"] == "fr")
    assert (fr.payload["kind"] == "broadcast" and "Prochaine mise à jour" in fr.payload["text"]) or \
        "prochaine" in fr.payload["text"].lower()
    # the status page and web chat read it from the database: every language the bot speaks
    assert set(st["broadcasts"]["status"]) == set(langs) and set(st["broadcasts"]["webchat"]) == set(langs)
    assert all(cell["pending"] == 1 for ch in ("telegram", "x", "slack") for cell in st["broadcasts"][ch].values())
    st = await m.end(st["id"], "bob", now=NOW + 30 * MIN)
    assert st["status"] == "ended" and st["ended_by"] == "bob" and st["next_update_at"] is None
    end = [r for r in await _outbox(seeded) if r.payload["update_kind"] == "end"]
    assert len(end) == 3 * len(langs)
    assert all(r.payload["stage"] == "resolved" for r in end)
    # the start's rows no platform took yet are stale once the end is out: cancelled, not sent late
    assert {r.status for r in await _outbox(seeded) if r.payload["update_kind"] == "start"} == {"cancelled"}
    assert ("staff:alice", "crisis_started") in await _audit(seeded)
    assert ("staff:bob", "crisis_published") in await _audit(seeded)


async def test_the_texts_follow_the_stage_and_updated_parameters(seeded, playbooks):
    m = make_manager(seeded, playbooks)
    st = await m.start("volcanic-ash", {"airports": "AMS", "until": "2026-12-09T18:00Z"}, "alice", now=NOW)
    with pytest.raises(CrisisError, match="already running"):
        await m.start("volcanic-ash", {"airports": "CDG", "until": "+1d"}, "alice", now=NOW)
    st = await m.update(st["id"], "alice", stage="identified", given={"until": "2026-12-10T06:00Z"},
                        notes={"en": "Gate agents at AMS hand out meal vouchers."}, now=NOW + 10 * MIN)
    assert st["stage"] == "identified" and st["params"]["until"] == "2026-12-10T06:00:00+00:00"
    latest = st["updates"][-1]
    assert "10 Dec 07:00 CET" in latest["text_en"] and latest["text_en"].endswith("meal vouchers.")
    # the cadence restarts from the staff update
    assert st["next_update_at"] == (NOW + 10 * MIN + dt.timedelta(hours=2)).isoformat()
    with pytest.raises(CrisisError, match="resolved"):
        await m.update(st["id"], "alice", stage="resolved", now=NOW)
    assert await m.resolve_id("volcanic-ash") == st["id"]


async def test_two_person_approval(seeded, playbooks):
    m = make_manager(seeded, playbooks, crisis_approval=True, crisis_staff=("alice", "bob", "carol"))
    st = await m.start("strike", SAMPLE_PARAMS["strike"], "alice", now=NOW)
    assert st["status"] == "pending" and st["awaiting_approval"] == [1]
    assert await _outbox(seeded) == []  # nothing is sent before a second person approves
    assert await m.active() == []  # and crisis mode is not on
    with pytest.raises(NotAuthorised, match="second person"):
        await m.approve(st["id"], "alice", now=NOW)
    with pytest.raises(NotAuthorised, match="not crisis staff"):
        await m.approve(st["id"], "mallory", now=NOW)
    st = await m.approve(st["id"], "Bob", now=NOW + MIN)
    assert st["status"] == "active" and st["approved_by"] == "Bob" and st["started_at"] == (NOW + MIN).isoformat()
    assert len(await _outbox(seeded)) == 3 * len(m.languages)
    # an update waits for approval too; a rejected one is never sent
    st = await m.update(st["id"], "bob", stage="identified", now=NOW + 5 * MIN)
    assert st["awaiting_approval"] == [2] and st["stage"] == "investigating"
    st = await m.reject(st["id"], "carol", now=NOW + 6 * MIN)
    assert st["awaiting_approval"] == [] and st["updates"][1]["status"] == "rejected"
    st = await m.end(st["id"], "carol", now=NOW + 7 * MIN)
    assert st["status"] == "active" and st["awaiting_approval"] == [3]
    st = await m.approve(st["id"], "alice", now=NOW + 8 * MIN)
    assert st["status"] == "ended" and st["ended_by"] == "carol"
    actions = await _audit(seeded)
    assert ("staff:alice", "crisis_started") in actions and ("staff:carol", "crisis_rejected") in actions
    assert ("staff:alice", "crisis_published") in actions


async def test_only_crisis_staff_may_act(seeded, playbooks):
    m = make_manager(seeded, playbooks, crisis_staff=("alice",))
    with pytest.raises(NotAuthorised):
        await m.start("it-outage", {}, "eve", now=NOW)
    with pytest.raises(NotAuthorised):
        await m.start("it-outage", {}, "", now=NOW)
    st = await m.start("it-outage", {}, "ALICE", now=NOW)
    with pytest.raises(NotAuthorised):
        await m.end(st["id"], "eve", now=NOW)
    assert (await m.status(st["id"]))["status"] == "active"


async def test_the_cadence_posts_no_news_once_per_missed_slot(seeded, playbooks):
    m = make_manager(seeded, playbooks)
    other = make_manager(seeded, playbooks)  # a second process
    st = await m.start("severe-weather", {"weather": "fog", "until": "+12h"}, "alice", now=NOW)
    slot = NOW + dt.timedelta(hours=1)
    assert await m.tick(now=slot - MIN) == 0
    # both processes wake at the slot: one message
    assert sorted(await asyncio.gather(m.tick(now=slot), other.tick(now=slot + dt.timedelta(seconds=1)))) == [0, 1]
    assert await m.tick(now=slot + 2 * MIN) == 0
    st = await m.status(st["id"])
    no_news = [u for u in st["updates"] if u["kind"] == "no_news"]
    assert len(no_news) == 1 and no_news[0]["author"] == "system"
    assert "no new information yet" in no_news[0]["text_en"] and "Next update at 09:00 CET" in no_news[0]["text_en"]
    assert st["next_update_at"] == (slot + dt.timedelta(hours=1)).isoformat()
    # staff post in time: the slot moves, no automatic message
    await m.update(st["id"], "alice", stage="identified", now=slot + 50 * MIN)
    assert await m.tick(now=slot + 60 * MIN) == 0
    # the bot was down for five hours: one message, then the next slot ahead of now
    later = slot + dt.timedelta(hours=7)
    assert await m.tick(now=later) == 1
    st = await m.status(st["id"])
    assert st["next_update_at"] == (slot + 50 * MIN + dt.timedelta(hours=7)).isoformat()
    assert [u["kind"] for u in st["updates"]] == ["start", "no_news", "update", "no_news"]
    await m.end(st["id"], "alice", now=later)
    assert await m.tick(now=later + dt.timedelta(days=1)) == 0


class Recorder(Channel):
    name: ClassVar[str] = "telegram"
    capabilities: ClassVar[Capabilities] = Capabilities(max_length=4096, broadcast=True)

    def __init__(self, crash_after: int | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.crash_after = crash_after

    async def send(self, msg: OutboundMessage) -> str | None:
        if self.crash_after is not None and len(self.sent) >= self.crash_after:
            raise asyncio.CancelledError  # the process dies in the middle of the broadcast
        self.sent.append((msg.recipient_id, msg.payload["language"]))
        return f"tg-{msg.outbox_id}"


async def test_a_restart_in_the_middle_of_a_broadcast_neither_doubles_nor_loses(seeded, playbooks):
    from bot.crisis.render import ChannelLimit

    channels = [ChannelLimit("telegram", 4096, recipient="@demo_status"), ChannelLimit("status", 10_000)]
    m = make_manager(seeded, playbooks, channels=channels)
    # started no later than the real clock: the dispatcher sends what is due now (NOW is 06:00 UTC today)
    started = min(NOW, utcnow())
    await m.start("volcanic-ash", SAMPLE_PARAMS["volcanic-ash"], "alice", now=started)
    store = Store(seeded)
    first = Recorder(crash_after=4)
    d1 = OutboxDispatcher(store, {"telegram": first}, batch=3, claim_seconds=30)
    with pytest.raises(asyncio.CancelledError):
        for _ in range(10):
            await d1.drain_once()
    assert len(first.sent) == 4
    # the crashed process's claims expire; the start is retried by a restarted CLI as well: no new rows
    async with store.transaction() as s:
        await s.execute(update(OutboxItem).where(OutboxItem.status == "sending").values(claimed_until=utcnow()))
    with pytest.raises(CrisisError, match="already running"):
        await m.start("volcanic-ash", SAMPLE_PARAMS["volcanic-ash"], "alice", now=started)
    second = Recorder()
    d2 = OutboxDispatcher(store, {"telegram": second}, batch=3, claim_seconds=30)
    while await d2.drain_once():
        pass
    everything = first.sent + second.sent
    assert sorted(everything) == sorted(("@demo_status", lang) for lang in m.languages)  # each language once
    assert len(set(everything)) == len(everything)
    st = await m.status()
    assert all(cell == {"sent": 1, "pending": 0, "failed": 0}
               for cell in st["crises"][0]["broadcasts"]["telegram"].values())


async def test_personal_notices_resume_after_a_restart_without_doubles(seeded, playbooks):
    from bot.store.models import Contact, Conversation

    m = make_manager(seeded, playbooks)
    st = await m.start("volcanic-ash", SAMPLE_PARAMS["volcanic-ash"], "alice", now=NOW)
    affected = []
    after = ""
    while True:
        page = await m.adapter.affected_bookings(m.scope(playbooks.get("volcanic-ash"),
                                                         st["params"], NOW), after=after, limit=100)
        affected += page
        if len(page) < 100:
            break
        after = page[-1].reference
    assert len(affected) == st["affected"]["booking_count"]
    # passengers who talked to us on Telegram and verified their booking: their channel is known
    known = affected[::7]
    async with seeded.begin() as conn:
        for i, b in enumerate(known):
            await conn.execute(Contact.__table__.insert().values(id=f"c{i}", channel="telegram",
                                                                 platform_user_id=f"tg{i}", created_at=NOW))
            await conn.execute(Conversation.__table__.insert().values(
                id=f"v{i}", contact_id=f"c{i}", channel="telegram", sender_id=f"tg{i}",
                language=PLAYBOOK_LANGUAGES[i % len(PLAYBOOK_LANGUAGES)], owner="bot", version=1,
                state={"verified": {"reference": b.reference}}, created_at=NOW, updated_at=NOW))
    assert await m.send_notices(st["id"], page=20, now=NOW, max_pages=2) > 0
    restarted = make_manager(seeded, playbooks)  # the process died after two pages
    await restarted.send_notices(st["id"], page=20, now=NOW)
    rows = await _outbox(seeded, f"crisis:{st['id']}:n:%")
    assert sorted(r.recipient_id for r in rows) == sorted(f"tg{i}" for i in range(len(known)))
    by_recipient = {r.recipient_id: r for r in rows}
    sample = by_recipient["tg1"]
    assert known[1].reference in sample.payload["text"] and known[1].flight_number in sample.payload["text"]
    assert sample.payload["language"] == PLAYBOOK_LANGUAGES[1]
    st = await m.status(st["id"])
    assert st["notices"]["done"] is True and st["notices"]["by_channel"] == {"telegram": {"pending": len(known)}}
    async with seeded.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(OutboxItem))).scalar_one() == \
            len(known) + 3 * len(m.languages)


async def test_the_scheduler_service_runs_the_cadence_on_its_clock(seeded, playbooks):
    from bot.services.crisis import CrisisScheduler

    m = make_manager(seeded, playbooks)
    clock = [NOW]
    service = CrisisScheduler(m, clock=lambda: clock[0], notice_page=50)
    st = await m.start("it-outage", {"until": "+6h"}, "alice", now=NOW)
    await service.tick()
    assert [u["kind"] for u in (await m.status(st["id"]))["updates"]] == ["start"]
    clock[0] = NOW + dt.timedelta(minutes=61)  # the hourly slot was missed
    await service.tick()
    await service.tick()
    st = await m.status(st["id"])
    assert [u["kind"] for u in st["updates"]] == ["start", "no_news"]
    assert st["notices"]["done"] is True  # nobody's channel is known here: nothing to send, but the work is done
    assert service.singleton  # runs in the leader process only


async def test_requests_taken_during_an_it_outage_are_answered_when_the_system_is_back(seeded, playbooks):
    from bot.store.models import Contact, Conversation

    m = make_manager(seeded, playbooks)
    st = await m.start("it-outage", {}, "alice", now=NOW)
    async with seeded.begin() as conn:
        for i, (cid, lang) in enumerate((("c-wait", "de"), ("c-other", "fr"))):
            await conn.execute(Contact.__table__.insert().values(id=f"k{i}", channel="telegram",
                                                                 platform_user_id=f"tg-{cid}", created_at=NOW))
            state = {"crisis_request": {"crisis": st["id"], "change": "rebook"}} if cid == "c-wait" else {}
            await conn.execute(Conversation.__table__.insert().values(
                id=cid, contact_id=f"k{i}", channel="telegram", sender_id=f"tg-{cid}", language=lang, owner="bot",
                version=1, state=state, created_at=NOW, updated_at=NOW))
    await m.end(st["id"], "alice", now=NOW + dt.timedelta(hours=2))
    rows = await _outbox(seeded, f"crisis:{st['id']}:q:%")
    assert [(r.recipient_id, r.payload["language"]) for r in rows] == [("tg-c-wait", "de")]
    assert rows[0].payload["text"].startswith("Störung des Buchungssystems: behoben.")
