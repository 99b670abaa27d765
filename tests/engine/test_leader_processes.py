"""Two real `crisisbot serve` processes on one PostgreSQL database: exactly one leads (runs the outbox dispatcher
and the other once-per-deployment services); when it is killed with SIGKILL, the other takes over within seconds."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import stop_processes

pytestmark = pytest.mark.postgres


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def health(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]
    except OSError:
        return None


def wait_for(cond, timeout: float) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if cond():
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


def test_killed_leader_is_replaced_within_seconds(db_url: str, tmp_path: Path):
    if not db_url.startswith("postgresql"):
        pytest.skip("several processes share a server database; SQLite serves one process")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISBOT_")}
    env.update(CRISISBOT_DATABASE_URL=db_url, CRISISBOT_DEMO_BOOKINGS="50", CRISISBOT_LEADER_LEASE_SECONDS="2",
               CRISISBOT_LOG_LEVEL="WARNING")
    # the NLU model of all languages is trained once and cached before the two servers start: on a busy two-core
    # machine the first training alone can take minutes, and this test is about leadership, not training
    subprocess.run([sys.executable, "-m", "bot.cli", "nlu", "parse"], input="hello\n", cwd=tmp_path, env=env,
                   capture_output=True, text=True, timeout=900, check=True)
    ports = [free_port(), free_port()]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # one after the other: the first start may train the NLU (cached for the second), and seeds the demo
        for port in ports:
            procs.append(subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
                                          cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
            wait_for(lambda port=port: health(port) is not None, 240)
        states = [health(p) for p in ports]
        leaders = [i for i, h in enumerate(states) if h and h["leader"]]
        assert len(leaders) == 1, states
        leader, other = leaders[0], 1 - leaders[0]
        procs[leader].send_signal(signal.SIGKILL)
        procs[leader].wait(10)
        took = wait_for(lambda: bool((health(ports[other]) or {}).get("leader")), 15)
        print(f"takeover after SIGKILL of the leader: {took:.1f} s (lease 2 s)")
    finally:
        stop_processes(procs)
