"""End-to-end pipeline throughput: inbound -> dedupe -> lease -> language -> NLU -> dialogue -> outbox, on a real DB.

    python bench/pipeline.py [--db postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--messages 3000]
                             [--conversations 300] [--concurrency 64] [--fake]

By default it runs the real language detector, embedded NLU and flows against the demo airline (seeded once into a
fresh database); ``--fake`` swaps NLU and dialogue for trivial stand-ins to measure the pipeline and store alone.
Prints messages/s and latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MESSAGES = [
    "hi", "I want to rebook my flight", "can I cancel my booking?", "is KL1234 on time tomorrow?",
    "ik wil mijn vlucht omboeken", "je veux annuler mon vol", "Ist mein Flug morgen pünktlich?", "thanks!",
    "do I get a hotel if my flight is cancelled?", "quiero cambiar mi vuelo", "X7K2PQ", "Jansen", "yes", "no",
    "the second one", "help", "where is my refund?", "my bag is lost", "I want to talk to a human",
]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=os.environ.get("CRISISBOT_TEST_DATABASE_URL",
                                                   "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--conversations", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--fake", action="store_true", help="trivial NLU and dialogue: the pipeline and store alone")
    ap.add_argument("--processes", type=int, default=1, help="worker processes sharing the database")
    ap.add_argument("--worker", type=int, default=-1, help=argparse.SUPPRESS)
    ap.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker >= 0:
        await run_worker(args)
        return

    import asyncpg
    from sqlalchemy.engine import make_url

    from bot.runtime import Runtime
    from bot.settings import Settings

    name = f"cb_bench_{uuid.uuid4().hex[:8]}"
    url = args.db
    is_pg = url.startswith("postgres")
    if is_pg:
        admin = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url = make_url(url).set(database=name).render_as_string(hide_password=False)
    kwargs = _runtime_kwargs(args.fake)
    settings = Settings(database_url=url, demo_bookings=2000, demo_days=7)
    try:
        t0 = time.perf_counter()
        async with Runtime(settings, **kwargs) as rt:
            print(f"start-up (migrate, seed, NLU): {time.perf_counter() - t0:.1f} s")
            if args.processes > 1:
                await run_processes(args, url)
                return
            latencies, elapsed = await drive(rt.pipeline, workload(args.messages), args)
            lat = sorted(latencies)
            mode = "fake NLU+dialogue" if args.fake else "real"
            print(f"backend: {'PostgreSQL' if is_pg else 'SQLite'}; mode: {mode}")
            print(f"messages: {len(lat)} over {args.conversations} conversations, concurrency {args.concurrency}")
            print(f"throughput: {len(lat) / elapsed:.0f} messages/s")
            p99 = lat[int(len(lat) * 0.99) - 1]
            print(f"latency p50 {statistics.median(lat) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    finally:
        if is_pg:
            conn = await asyncpg.connect(admin)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()


def workload(n: int) -> list[tuple[int, str]]:
    rng = random.Random(7)
    return [(i, rng.choice(MESSAGES)) for i in range(n)]


async def drive(pipeline: object, items: list[tuple[int, str]], args: argparse.Namespace) -> tuple[list[float], float]:
    """Send the messages with ``args.concurrency`` tasks; returns the latencies and the elapsed time."""
    from bot.pipeline import InboundMessage

    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            i, text = queue.get_nowait()
            t = time.perf_counter()
            await pipeline.receive(InboundMessage(  # type: ignore[attr-defined]
                channel="rest", sender_id=f"bench-{i % args.conversations}", text=text, message_id=f"b{i}"))
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    return latencies, time.perf_counter() - start


def _runtime_kwargs(fake: bool) -> dict:
    if not fake:
        return {}
    from tests.fakes.parts import CountingEngine, KeywordNLU, NoReservations, PrefixDetector

    return {"nlu": KeywordNLU(), "detector": PrefixDetector(), "dialogue": CountingEngine(),
            "adapter": NoReservations()}


async def run_worker(args: argparse.Namespace) -> None:
    """One of --processes workers: its share of the messages; prints 'count elapsed latencies...' on stdout."""
    from bot.runtime import Runtime
    from bot.settings import Settings

    settings = Settings(database_url=args.url, demo_bookings=2000, demo_days=7, log_level="WARNING")
    async with Runtime(settings, **_runtime_kwargs(args.fake)) as rt:
        # conversations are split between workers, like a load balancer hashing the sender
        mine = [(i, t) for i, t in workload(args.messages) if (i % args.conversations) % args.processes == args.worker]
        print("ready", flush=True)
        sys.stdin.readline()  # start together
        latencies, elapsed = await drive(rt.pipeline, mine, args)
        print(len(latencies), elapsed, " ".join(f"{x:.5f}" for x in latencies), flush=True)


async def run_processes(args: argparse.Namespace, url: str) -> None:
    procs = []
    for w in range(args.processes):
        cmd = [sys.executable, __file__, "--worker", str(w), "--url", url, "--messages", str(args.messages),
               "--conversations", str(args.conversations), "--concurrency", str(args.concurrency),
               "--processes", str(args.processes)] + (["--fake"] if args.fake else [])
        procs.append(await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE))
    for p in procs:
        while (await p.stdout.readline()).strip() != b"ready":
            pass
    start = time.perf_counter()
    for p in procs:
        p.stdin.write(b"go\n")
        await p.stdin.drain()
    lat: list[float] = []
    for p in procs:
        out, _ = await p.communicate()
        parts = out.decode().split()
        lat.extend(float(x) for x in parts[2:])
    elapsed = time.perf_counter() - start
    lat.sort()
    print(f"processes: {args.processes}; messages: {len(lat)} over {args.conversations} conversations, "
          f"concurrency {args.concurrency} per process; mode: {'fake NLU+dialogue' if args.fake else 'real'}")
    print(f"throughput: {len(lat) / elapsed:.0f} messages/s")
    p99 = lat[int(len(lat) * 0.99) - 1]
    print(f"latency p50 {statistics.median(lat) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
