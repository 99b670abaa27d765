"""Fixtures for crisis playbooks: the shipped playbooks, a seeded demo airline on a fixed clock, a crisis manager."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.crisis.manager import CrisisManager
from bot.crisis.playbook import PlaybookSet, load_playbooks
from bot.crisis.render import ChannelLimit
from bot.reservations.sql.adapter import SqlReservationAdapter
from bot.reservations.sql.seed import seed_demo
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ANCHOR = dt.datetime.now(dt.UTC).date()
NOW = dt.datetime.combine(ANCHOR, dt.time(6, 0), tzinfo=dt.UTC)

# the platforms a deployment broadcasts on (their channel modules live elsewhere; the limits are the platforms')
CHANNELS = [
    ChannelLimit("telegram", 4096, personal=True, recipient="@demo_status"),
    ChannelLimit("x", 280, threads=True, personal=True, recipient="timeline"),
    ChannelLimit("slack", 40_000, recipient="C0STATUS"),
    ChannelLimit("webchat", 10_000, personal=True),
    ChannelLimit("status", 10_000),
]

# sample parameters for every shipped playbook
SAMPLE_PARAMS: dict[str, dict[str, str]] = {
    "volcanic-ash": {"airports": "AMS,CDG", "until": "+30h"},
    "strike": {"kind": "atc", "airports": "CDG", "until": "+24h"},
    "it-outage": {"until": "+4h"},
    "severe-weather": {"weather": "snow", "until": "+12h"},
}


@pytest.fixture(scope="session")
def playbooks() -> PlaybookSet:
    return load_playbooks(ROOT)


@pytest.fixture
async def seeded(engine: AsyncEngine) -> AsyncEngine:
    await seed_demo(engine, anchor=ANCHOR, days=2, bookings=300)
    return engine


def settings(**kw: Any) -> Settings:
    return Settings(**({"seed_demo": False, "content_dir": ROOT} | kw))


def make_manager(engine: AsyncEngine, playbooks: PlaybookSet, *, now: dt.datetime = NOW,
                 channels: list[ChannelLimit] | None = None, **kw: Any) -> CrisisManager:
    s = settings(**kw)
    adapter = SqlReservationAdapter(engine, s, clock=lambda: now)
    return CrisisManager(engine, s, playbooks, adapter, CHANNELS if channels is None else channels)
