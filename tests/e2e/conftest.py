"""End-to-end fixtures: the real NLU (trained once per session), and `crisisbot serve` as a real subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bot.nlu import build_language_detector
from bot.nlu.embedded import EmbeddedBackend
from bot.nlu.language import LanguageDetector
from bot.settings import Settings
from tests.conftest import stop_processes


@pytest.fixture(scope="session")
def nlu_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def nlu(nlu_cache: Path) -> EmbeddedBackend:
    settings = Settings(cache_dir=nlu_cache)
    backend = EmbeddedBackend(settings)
    backend.load_or_train()
    # the language model too (trained with the intent model in a child process, unless that fell back to training
    # here): a `crisisbot serve` started by a test then only loads both from the cache
    from bot.nlu.embedded import load_language_model

    load_language_model(settings)
    return backend


@pytest.fixture(scope="session")
def detector(nlu_cache: Path, nlu: EmbeddedBackend) -> LanguageDetector:
    """As served: with the domain language model trained on intents/*.yml."""
    return build_language_detector(Settings(cache_dir=nlu_cache))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


Serve = Callable[[dict[str, str]], tuple[subprocess.Popen[bytes], int, Path]]


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Serve]:
    """Start `crisisbot serve` processes configured only by ``env``: (process, port, its output file). All are
    stopped at the end (terminated, killed if they do not stop)."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int, Path]:
        port = free_port()
        out = tmp_path / f"serve-{port}.out"
        with out.open("wb") as f:
            p = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port)], cwd=tmp_path,
                                 env=env, stdout=f, stderr=subprocess.STDOUT)
        procs.append(p)
        return p, port, out

    try:
        yield start
    finally:
        stop_processes(procs)


class Server:
    """`crisisbot serve` in a subprocess: start, wait until healthy, kill -9, start again on the same port."""

    def __init__(self, db_url: str, cache_dir: Path, workdir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISBOT_")}
        self.env.update(
            CRISISBOT_DATABASE_URL=db_url, CRISISBOT_CACHE_DIR=str(cache_dir), CRISISBOT_DEMO_BOOKINGS="200",
            CRISISBOT_DEMO_DAYS="5", CRISISBOT_LOG_LEVEL="WARNING",
        )
        self.env.update(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 120.0) -> float:
        """Start and wait for /healthz; returns the seconds it took."""
        started = time.monotonic()
        self.starts += 1
        log = open(self.workdir / f"serve-{self.starts}.log", "wb")  # noqa: SIM115 (the process owns it)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"serve did not become healthy in {timeout} s: {self.log_tail()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None

    def log_tail(self) -> str:
        logs = sorted(self.workdir.glob("serve-*.log"))
        return logs[-1].read_text(errors="replace")[-3000:] if logs else ""


@pytest.fixture
def server_factory(nlu: EmbeddedBackend, nlu_cache: Path, tmp_path: Path) -> Iterator[type]:
    made: list[Server] = []

    def make(db_url: str, **env: str) -> Server:
        s = Server(db_url, nlu_cache, tmp_path, **env)
        made.append(s)
        return s

    yield make  # type: ignore[misc]
    for s in made:
        s.kill()
