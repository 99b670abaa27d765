"""Verification throttling that a new sender id cannot reset: failed verifications are counted per booking reference
(whoever asks, on any channel) and per client address (web channels), in the database, on SQLite and PostgreSQL.

The attack from the field: 40 rotating sender ids, 5 guesses each, and a 41st sender verifies at once. Here every
guess comes from a new conversation (the per-conversation limit never triggers)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from bot.dialogue.base import CLIENT_ADDRESS
from bot.dialogue.engine import FlowEngine
from bot.privacy import fingerprint
from bot.settings import Settings
from bot.store.db import create_engine
from bot.store.schema import create_schema
from bot.store.throttle import VerificationThrottle, address_key, reference_key
from tests.dialogue.conftest import NOW, ROOT, Chat, expecting, said, text_of


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def engine(db_url: str, settings: Settings, airline, flows) -> AsyncIterator[FlowEngine]:
    db = create_engine(db_url)
    await create_schema(db)
    try:
        yield FlowEngine(settings, airline, flows, throttle=VerificationThrottle(db, settings))
    finally:
        await db.dispose()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(content_dir=ROOT, auth_failures_per_reference=10, auth_failures_per_address=30,
                    auth_window_minutes=60, auth_lock_minutes=60, auth_failure_min_seconds=0.05)


async def attempt(engine: FlowEngine, reference: str, name: str, *, now: dt.datetime = NOW,
                  address: str | None = None) -> tuple[Chat, Any]:
    """A new conversation (a new sender id) that tries one reference and name."""
    CLIENT_ADDRESS.set(address)
    c = Chat(engine, now=now)
    await c.send("I want to cancel my booking", "cancel")
    await c.send(reference, booking_reference=reference)
    r = await c.send(name, last_name=name)
    return c, r


def events(result: Any, action: str) -> list[dict[str, Any]]:
    return [e for e in result.events if e["action"] == action]


async def test_rotating_sender_ids_cannot_reset_the_limit_on_a_reference(engine: FlowEngine, flows, settings):
    locks_before = metric("crisisbot_auth_locks_total", scope="reference")
    refused_before = metric("crisisbot_auth_refused_total", scope="reference")
    lock_events = []
    for i in range(settings.auth_failures_per_reference):
        _c, r = await attempt(engine, "X7K2PQ", f"Guess{i}")
        assert said(flows, r, "booking_not_found", "en"), text_of(r)
        lock_events += events(r, "auth_reference_locked")
    # the failure that reached the limit locked the reference: audited once, with a fingerprint, and counted
    assert len(lock_events) == 1
    assert lock_events[0]["reference"] == fingerprint("X7K2PQ")
    assert "X7K2PQ" not in json.dumps(lock_events)
    assert metric("crisisbot_auth_locks_total", scope="reference") == locks_before + 1
    # a new sender with the right name is refused now: guessing gains nothing
    c, r = await attempt(engine, "X7K2PQ", "Jansen")
    assert said(flows, r, "auth_locked", "en") and expecting(r) != "date"
    assert c.state.get("verified") is None
    assert events(r, "auth_refused")[0]["scope"] == "reference"
    assert metric("crisisbot_auth_refused_total", scope="reference") == refused_before + 1
    # other bookings are not affected
    _c, r = await attempt(engine, "M3RTNS", "Müller")
    assert not said(flows, r, "auth_locked", "en") and not said(flows, r, "booking_not_found", "en")


async def test_a_reference_is_the_same_however_it_is_written(engine: FlowEngine, flows, settings):
    for i in range(settings.auth_failures_per_reference):
        await attempt(engine, "x7k2pq" if i % 2 else "X7K2PQ", f"Guess{i}")
    _c, r = await attempt(engine, "x7k2pq", "Jansen")
    assert said(flows, r, "auth_locked", "en")
    assert reference_key("x7k2pq") == reference_key(" X7K2PQ ")


async def test_an_unknown_reference_is_locked_like_a_real_one(engine: FlowEngine, flows, settings):
    """A lock says nothing about whether the booking exists."""
    for name in ("Jansen",) * settings.auth_failures_per_reference:
        await attempt(engine, "ZZZ999", name)
    _c, unknown = await attempt(engine, "ZZZ999", "Jansen")
    for i in range(settings.auth_failures_per_reference):
        await attempt(engine, "R3FSEM", f"Wrong{i}")
    _c, real = await attempt(engine, "R3FSEM", "de Vries")
    assert said(flows, unknown, "auth_locked", "en") and text_of(unknown) == text_of(real)


async def test_the_lock_passes_after_a_while(engine: FlowEngine, flows, settings):
    for i in range(settings.auth_failures_per_reference):
        await attempt(engine, "X7K2PQ", f"Guess{i}")
    _c, r = await attempt(engine, "X7K2PQ", "Jansen", now=NOW + dt.timedelta(minutes=59))
    assert said(flows, r, "auth_locked", "en")
    c, r = await attempt(engine, "X7K2PQ", "Jansen", now=NOW + dt.timedelta(minutes=61))
    assert c.state["verified"]["reference"] == "X7K2PQ"


async def test_failures_in_different_windows_do_not_add_up(engine: FlowEngine, flows, settings):
    for i in range(settings.auth_failures_per_reference - 1):
        await attempt(engine, "X7K2PQ", f"Guess{i}")
    later = NOW + dt.timedelta(minutes=61)
    for i in range(settings.auth_failures_per_reference - 1):
        await attempt(engine, "X7K2PQ", f"Again{i}", now=later)
    c, _r = await attempt(engine, "X7K2PQ", "Jansen", now=later)
    assert c.state["verified"]["reference"] == "X7K2PQ"


async def test_one_client_address_spraying_many_references_is_locked(engine: FlowEngine, flows, settings):
    refs = ["X7K2PQ", "M3RTNS", "C4NCLD", "R3FSEM", "WCHR01"]
    before = metric("crisisbot_auth_locks_total", scope="address")
    lock_events = []
    for i in range(settings.auth_failures_per_address):  # 6 per reference: no reference reaches its own limit
        _c, r = await attempt(engine, refs[i % len(refs)], f"Guess{i}", address="203.0.113.7")
        lock_events += events(r, "auth_address_locked")
    assert len(lock_events) == 1 and lock_events[0]["client_address"] == fingerprint("203.0.113.7")
    assert metric("crisisbot_auth_locks_total", scope="address") == before + 1
    _c, r = await attempt(engine, "X7K2PQ", "Jansen", address="203.0.113.7")
    assert said(flows, r, "auth_locked", "en")
    assert events(r, "auth_refused")[0]["scope"] == "address"
    # another client verifies the same booking at once
    c, _r = await attempt(engine, "X7K2PQ", "Jansen", address="198.51.100.20")
    assert c.state["verified"]["reference"] == "X7K2PQ"
    # ... and so does a turn that has no client address (a non-web channel)
    c, _r = await attempt(engine, "M3RTNS", "Müller", address=None)
    assert c.state["verified"]["reference"] == "M3RTNS"


async def test_an_ipv6_client_is_counted_per_64_prefix(engine: FlowEngine, flows, settings):
    refs = ["X7K2PQ", "M3RTNS", "C4NCLD", "R3FSEM", "WCHR01"]
    for i in range(settings.auth_failures_per_address):
        await attempt(engine, refs[i % len(refs)], f"Guess{i}", address=f"2001:db8:1:2::{i + 1:x}")
    _c, r = await attempt(engine, "X7K2PQ", "Jansen", address="2001:db8:1:2:ffff::1")
    assert said(flows, r, "auth_locked", "en")
    assert address_key("::ffff:203.0.113.7") == address_key("203.0.113.7")
    assert address_key("testclient") is None


async def test_processes_share_the_count(db_url: str, settings: Settings, airline, flows):
    """Two engines on one database (two processes), failures at the same time: each is counted once, and exactly
    one of them reports the lock."""
    db1, db2 = create_engine(db_url), create_engine(db_url)
    await create_schema(db1)
    try:
        engines = [FlowEngine(settings, airline, flows, throttle=VerificationThrottle(db, settings))
                   for db in (db1, db2)]
        results = await asyncio.gather(*(attempt(engines[i % 2], "X7K2PQ", f"Guess{i}") for i in range(14)))
        assert sum(len(events(r, "auth_reference_locked")) for _c, r in results) == 1
        async with db1.connect() as conn:
            from sqlalchemy import text

            failures = (await conn.execute(text("SELECT failures FROM auth_throttle WHERE key = :k"),
                                           {"k": reference_key("X7K2PQ")})).scalar_one()
        # every failed attempt counted once (attempts that came after the lock were refused, not counted)
        assert failures == sum(len(events(r, "auth_failed")) for _c, r in results) >= 10
        _c, r = await attempt(engines[1], "X7K2PQ", "Jansen")
        assert said(flows, r, "auth_locked", "en")
    finally:
        await db1.dispose()
        await db2.dispose()


async def test_the_throttle_keeps_no_reference_or_address_in_clear(engine: FlowEngine, db_url: str, settings):
    await attempt(engine, "X7K2PQ", "Guess", address="203.0.113.7")
    async with engine.throttle.engine.connect() as conn:
        from sqlalchemy import text

        rows = (await conn.execute(text("SELECT key FROM auth_throttle"))).scalars().all()
    assert len(rows) == 2 and all(k.startswith(("ref:", "addr:")) for k in rows)
    assert not any("X7K2PQ" in k.upper() or "203.0.113.7" in k for k in rows)


async def test_a_wrong_reference_and_a_wrong_name_take_the_same_minimum_time(db_url: str, airline, flows):
    """The answer to a failed verification never comes sooner than auth_failure_min_seconds, whichever part was
    wrong (the reservation system's lookups for an unknown reference and a wrong name differ)."""
    settings = Settings(content_dir=ROOT, auth_failure_min_seconds=0.3)
    db = create_engine(db_url)
    await create_schema(db)
    try:
        engine = FlowEngine(settings, airline, flows, throttle=VerificationThrottle(db, settings))
        answers = []
        for ref, name in (("ZZZ999", "Jansen"), ("X7K2PQ", "Jensen")):
            c = Chat(engine)
            await c.send("I want to cancel my booking", "cancel")
            await c.send(ref, booking_reference=ref)
            started = time.monotonic()
            r = await c.send(name, last_name=name)
            assert time.monotonic() - started >= 0.3
            answers.append(text_of(r))
        assert answers[0] == answers[1]
    finally:
        await db.dispose()
