"""Crisis broadcast figures: seconds from `crisis start` until every enabled channel and language has the first
update, and how long personal notices for ~5,000 affected bookings take. Prints; asserts nothing.

    .venv/bin/python bench/crisis.py [--db URL] [--bookings 5000] [--per-language-targets]

The platform channels are in-process stand-ins with the platforms' limits (the Capabilities the channel modules
declare: Telegram 30 msg/s overall and 1/s per chat, Slack 1/s per channel, X 1 post/s per account (well within
its 100 posts per 15 minutes), e-mail 20/s) and a 40 ms
round trip per send; the outbox dispatcher, the store and the crisis runner are the real ones.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from bot.channels.base import Capabilities, Channel
from bot.crisis.channels import limit_of
from bot.crisis.manager import CrisisManager
from bot.crisis.playbook import load_playbooks
from bot.messages import OutboundMessage
from bot.reservations.sql.adapter import SqlReservationAdapter
from bot.reservations.sql.seed import reset_demo
from bot.services.outbox import OutboxDispatcher
from bot.settings import SUPPORTED_LANGUAGES, Settings
from bot.store.db import create_engine
from bot.store.models import OutboxItem
from bot.store.repo import Store
from bot.store.schema import create_schema

ROOT = Path(__file__).resolve().parents[1]
LANGS = tuple(dict.fromkeys((*SUPPORTED_LANGUAGES, "ru", "tr", "ja", "zh")))


def fake(name: str, caps: Capabilities, recipient: str | None, latency: float = 0.04) -> Channel:
    class Fake(Channel):
        capabilities: ClassVar[Capabilities] = caps

        def __init__(self) -> None:
            self.sent = 0

        def broadcast_recipient(self) -> str | None:
            return recipient

        async def send(self, msg: OutboundMessage) -> str | None:
            await asyncio.sleep(latency)
            self.sent += len(self.render(msg).texts)
            return str(msg.outbox_id)

    Fake.name = name
    return Fake()


def channels() -> dict[str, Channel]:
    return {
        "telegram": fake("telegram", Capabilities(max_length=4096, rate_per_second=30, rate_per_recipient=1.0,
                                                  broadcast=True), "@demo_status"),
        "slack": fake("slack", Capabilities(max_length=40_000, rate_per_recipient=1.0, broadcast=True), "C0STATUS"),
        "x": fake("x", Capabilities(max_length=280, rate_per_recipient=1.0, broadcast=True), "timeline"),
        "email": fake("email", Capabilities(max_length=100_000, rate_per_second=20.0), None),
    }


async def pending(engine, like: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(OutboxItem).where(
            OutboxItem.dedupe_key.like(like), OutboxItem.status != "sent"))).scalar_one())


async def first_rows(engine) -> float:
    """When the first update's outbox rows became visible (committed)."""
    while not await exists(engine, "crisis:%"):  # noqa: ASYNC110 - the database is what we watch
        await asyncio.sleep(0.01)
    return time.perf_counter()


async def exists(engine, like: str) -> bool:
    async with engine.connect() as conn:
        return bool((await conn.execute(select(func.count()).select_from(OutboxItem).where(
            OutboxItem.dedupe_key.like(like)))).scalar_one())


async def drained(engine, like: str, every: float) -> None:
    """Return once every outbox row whose key is like ``like`` is sent (polling, as a watcher would)."""
    while await pending(engine, like):  # noqa: ASYNC110 - the database is what we watch
        await asyncio.sleep(every)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None)
    ap.add_argument("--bookings", type=int, default=5000)
    ap.add_argument("--per-language-targets", action="store_true",
                    help="a Telegram chat / Slack channel / X account per language "
                         "(CRISISBOT_CRISIS_BROADCAST_TARGETS)")
    ap.add_argument("--skip-notices", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.db or f"sqlite+aiosqlite:///{tmp}/bench.db"
    targets = {}
    if args.per_language_targets:
        targets = {ch: {lang: f"{ch}-{lang}" for lang in LANGS} for ch in ("telegram", "slack", "x")}
    s = Settings(database_url=url, seed_demo=False, content_dir=ROOT, languages=LANGS,
                 crisis_broadcast_targets=targets)
    engine = create_engine(url)
    await create_schema(engine)
    counts = await reset_demo(engine, anchor=dt.datetime.now(dt.UTC).date(), days=14, bookings=args.bookings)
    store = Store(engine)
    chans = channels()
    limits = [limit_of(c) for c in chans.values()]
    from bot.crisis.render import DEFAULT_LIMITS

    limits += [DEFAULT_LIMITS["status"], DEFAULT_LIMITS["webchat"]]
    adapter = SqlReservationAdapter(engine, s)
    manager = CrisisManager(engine, s, load_playbooks(ROOT), adapter, limits)
    dispatcher = OutboxDispatcher(store, chans, idle_seconds=0.2)
    await dispatcher.start()
    try:
        t0 = time.perf_counter()
        committed = asyncio.create_task(first_rows(engine))
        st = await manager.start("it-outage", {"until": "+14d"}, "bench")  # every booking still to fly is in scope
        t_commit = (await committed) - t0
        await drained(engine, f"crisis:{st['id']}:u%", 0.05)
        t_all = time.perf_counter() - t0
        rows = sum(len(v) for v in st["broadcasts"].values() if v)
        print(f"database: {url.split(':')[0]}; {counts.get('res_bookings')} bookings; "
              f"{len(manager.languages)} languages")
        print(f"first update: committed (status page, web chat banner, outbox rows) {t_commit:.2f} s after start; "
              f"delivered on every channel and language {t_all:.2f} s after start "
              f"({'one target per language' if targets else 'one target per channel'}; {rows} channel-languages)")
        if args.skip_notices:
            return
        affected = st["affected"]["booking_count"]
        t1 = time.perf_counter()
        written = await manager.send_notices(st["id"], page=500)
        t_written = time.perf_counter() - t1
        await drained(engine, f"crisis:{st['id']}:n:%", 0.2)
        t_sent = time.perf_counter() - t1
        print(f"personal notices: {affected} affected bookings, {written} notices (e-mail) written to the outbox "
              f"in {t_written:.1f} s, all delivered in {t_sent:.1f} s (e-mail at 20/s, 40 ms per send)")
    finally:
        await dispatcher.stop()
        await adapter.shutdown()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
