"""Handoff desk figures: opening cases through the pipeline, acknowledging waiting passengers, concurrent claims, and
one SLA-monitor round over many open cases.

    .venv/bin/python bench/cases.py [--db URL] [--cases 1000] [--claimers 20]

The NLU and dialogue are trivial stand-ins (tests/fakes): the figures are the desk's and the store's. Without --db a
fresh SQLite file; with a PostgreSQL URL a fresh database is created beside the one named and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def main(args: argparse.Namespace) -> None:
    from bot.cases import CaseDesk
    from bot.errors import CaseConflict
    from bot.pipeline import InboundMessage, Pipeline
    from bot.settings import Settings
    from bot.store.db import create_engine
    from bot.store.repo import Store
    from bot.store.schema import create_schema
    from tests.fakes.parts import CountingEngine, KeywordNLU, PrefixDetector

    url, drop = args.db, None
    if url is None:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench-cases.db"
    elif url.startswith("postgresql"):
        import asyncpg
        from sqlalchemy.engine import make_url

        name = f"bench_cases_{uuid.uuid4().hex[:8]}"
        admin = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url, drop = make_url(url).set(database=name).render_as_string(hide_password=False), (admin, name)
    engine = create_engine(url)
    try:
        await create_schema(engine)
        settings = Settings()
        clock_now = [dt.datetime.now(dt.UTC)]
        desk = CaseDesk(Store(engine), settings, clock=lambda: clock_now[0])
        p = Pipeline(store=Store(engine), detector=PrefixDetector(), nlu=KeywordNLU(), dialogue=CountingEngine(),
                     settings=settings, cases=desk)
        sem = asyncio.Semaphore(16)

        async def say(sender: str, text: str) -> float:
            async with sem:
                t = time.perf_counter()
                r = await p.receive(InboundMessage("rest", sender, text, inline_reply=True))
                assert r.replies
                return time.perf_counter() - t

        t0 = time.perf_counter()
        opened = await asyncio.gather(*(say(f"p{i}", "I want a human") for i in range(args.cases)))
        t_open = time.perf_counter() - t0
        t0 = time.perf_counter()
        acked = await asyncio.gather(*(say(f"p{i}", "hello?") for i in range(args.cases)))
        t_ack = time.perf_counter() - t0

        def ms(xs: list[float], q: float) -> str:
            return f"{statistics.quantiles(xs, n=100)[int(q) - 1] * 1000:.1f} ms"

        print(f"database: {url.split('://')[0]}; {args.cases} passengers, 16 in flight")
        print(f"handoff turn (opens a case, position and wait): {args.cases / t_open:.0f}/s, "
              f"p50 {ms(opened, 50)}, p99 {ms(opened, 99)}")
        print(f"waiting passenger's message (ack with position and wait): {args.cases / t_ack:.0f}/s, "
              f"p50 {ms(acked, 50)}, p99 {ms(acked, 99)}")

        [first] = await desk.list_cases(limit=1)
        desks = [CaseDesk(Store(engine), settings) for _ in range(args.claimers)]

        async def claim(i: int) -> bool:
            try:
                await desks[i].claim(first.id, f"agent {i}")
                return True
            except CaseConflict:
                return False

        t0 = time.perf_counter()
        won = sum(await asyncio.gather(*(claim(i) for i in range(args.claimers))))
        print(f"{args.claimers} concurrent claims of one case: {won} owner, all answered in "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")

        clock_now[0] += dt.timedelta(minutes=52)  # every case near its SLA: each is escalated in this round
        t0 = time.perf_counter()
        result = await desk.sweep()
        print(f"SLA round over {args.cases} open cases, {len(result.escalated)} escalated: "
              f"{time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        await desk.sweep()
        print(f"SLA round with nothing to change: {time.perf_counter() - t0:.2f} s")
    finally:
        await engine.dispose()
        if drop is not None:
            import asyncpg

            conn = await asyncpg.connect(drop[0])
            await conn.execute(f'DROP DATABASE IF EXISTS "{drop[1]}" WITH (FORCE)')
            await conn.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--claimers", type=int, default=20)
    asyncio.run(main(ap.parse_args()))
