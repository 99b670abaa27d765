"""Can an attacker tell a wrong booking reference from a wrong last name by the time the answer takes?

    python bench/auth_timing.py [--db sqlite+aiosqlite:///x.db | postgresql+asyncpg://...] [--rounds 200]
                                [--floor 0.25]

Against the demo airline on a real database, it times (1) the reservation system's lookup alone for an unknown
reference and for a known reference with a wrong name, and (2) the whole failed verification (flows, throttle in the
database, the ``auth_failure_min_seconds`` floor) for both. Prints medians and percentiles per case.
Throttle limits are raised for the run (the point here is timing, not locking).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def summary(label: str, xs: list[float]) -> str:
    xs = sorted(xs)
    q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))] * 1000  # noqa: E731
    return f"{label:<40} n={len(xs):<4} p5 {q(0.05):7.2f} ms  p50 {q(0.5):7.2f} ms  p95 {q(0.95):7.2f} ms  " \
           f"mean {statistics.fmean(xs) * 1000:7.2f} ms"


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--floor", type=float, default=0.25, help="auth_failure_min_seconds")
    args = ap.parse_args()

    from bot.dialogue import build_dialogue
    from bot.dialogue.base import Turn
    from bot.nlu.base import Entity, IntentPrediction, Parse
    from bot.reservations.base import BookingNotFound
    from bot.reservations.sql.adapter import SqlReservationAdapter
    from bot.reservations.sql.demo import demo_bookings
    from bot.runtime import open_database
    from bot.settings import Settings
    from bot.store.throttle import VerificationThrottle

    url = args.db or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/auth_timing.db"
    settings = Settings(database_url=url, demo_bookings=2000, demo_days=5, auth_failure_min_seconds=args.floor,
                        auth_failures_per_reference=10**9, auth_failures_per_address=10**9,
                        max_auth_attempts_per_hour=10**9)
    engine = await open_database(settings)
    adapter = SqlReservationAdapter(engine, settings)
    await adapter.initialize()
    booking = next(b for b in await demo_bookings(engine, limit=5) if b["passengers"])
    ref = booking["reference"]

    # (1) the reservation system alone
    lookups: dict[str, list[float]] = {"lookup: unknown reference": [], "lookup: wrong last name": []}
    for i in range(args.rounds):
        for label, (r, n) in (("lookup: unknown reference", (f"Z{i % 10}Q{i % 7}ZZ", "Jansen")),
                              ("lookup: wrong last name", (ref, f"Nobody{i}"))):
            t = time.perf_counter()
            with contextlib.suppress(BookingNotFound):
                await adapter.find_booking(r, n)
            lookups[label].append(time.perf_counter() - t)

    # (2) the whole failed verification through the flows
    dialogue = build_dialogue(settings, adapter, throttle=VerificationThrottle(engine, settings))
    turns: dict[str, list[float]] = {"verification: unknown reference": [], "verification: wrong last name": []}

    def parse(text: str, intent: str, **ents: str) -> Parse:
        return Parse(text, "en", IntentPrediction(intent, 0.99),
                     entities=tuple(Entity(k, v, 0, len(text), text) for k, v in ents.items()))

    async def turn(state: dict, text: str, p: Parse) -> dict:
        import datetime as dt

        t = Turn(conversation_id=uuid.uuid4().hex, channel="rest", sender_id="bench", language="en", text=text,
                 parse=p, state=state, now=dt.datetime.now(dt.UTC))
        return (await dialogue.handle(t)).state

    rounds = max(10, args.rounds // 4)
    for i in range(rounds):
        for label, (r, n) in (("verification: unknown reference", (f"Z{i % 10}Q{i % 7}ZZ", "Jansen")),
                              ("verification: wrong last name", (ref, f"Nobody{i}"))):
            state = await turn({}, "cancel my booking", parse("cancel my booking", "cancel"))
            state = await turn(state, r, parse(r, "provide_info", booking_reference=r))
            t = time.perf_counter()
            await turn(state, n, parse(n, "provide_info", last_name=n))
            turns[label].append(time.perf_counter() - t)

    await adapter.shutdown()
    await engine.dispose()
    print(f"database: {url.split('://')[0]}; floor (auth_failure_min_seconds): {args.floor:.3f} s")
    for label, xs in (lookups | turns).items():
        print(summary(label, xs))
    a, b = (statistics.median(v) for v in lookups.values())
    c, d = (statistics.median(v) for v in turns.values())
    print(f"median difference, lookup alone: {abs(a - b) * 1000:.2f} ms; whole failed verification: "
          f"{abs(c - d) * 1000:.2f} ms")


if __name__ == "__main__":
    os.environ.setdefault("CRISISBOT_SEED_DEMO", "true")
    asyncio.run(main())
