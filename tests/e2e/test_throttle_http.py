"""Verification throttling through the web channels, as an attacker would try it: the whole bot (flows, demo airline,
the database throttle) behind REST and the web chat, every guess from a new sender id, on SQLite and PostgreSQL.

The NLU is a small script (a six-character code is a booking reference, a word is a last name) so that the test is
about throttling, not understanding.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.privacy import fingerprint
from bot.reservations.sql.demo import demo_bookings
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.models import AuditLog
from tests.fakes.parts import PrefixDetector, ScriptNLU


class Bot:
    def __init__(self, runtime: Runtime, app: Any) -> None:
        self.runtime, self.app = runtime, app

    async def attempt(self, reference: str, name: str, *, address: str, channel: str = "rest") -> str:
        """One new sender (a fresh id) from ``address``: cancel, reference, name. Returns the last answer."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        sender = uuid.uuid4().hex
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
            for text in ("cancel my booking", reference, name):
                if channel == "rest":
                    r = await c.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
                    assert r.status_code == 200, r.text
                    answer = "\n".join(m["text"] for m in r.json())
                else:
                    r = await c.post("/webchat/api/message", json={"session_id": sender, "text": text})
                    assert r.status_code == 200, r.text
                    answer = "\n".join(m["text"] for m in r.json()["messages"])
        return answer

    async def audit(self) -> list[dict[str, Any]]:
        async with self.runtime.engine.connect() as conn:
            rows = (await conn.execute(select(AuditLog.action, AuditLog.details))).all()
        return [{"action": a, **d} for a, d in rows]

    async def metrics(self) -> str:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://bot") as c:
            return (await c.get("/metrics")).text


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[Bot]:
    settings = Settings(database_url=db_url, demo_bookings=60, demo_days=3, auth_failures_per_reference=8,
                        auth_failures_per_address=12, auth_failure_min_seconds=0.01)
    rt = Runtime(settings, nlu=ScriptNLU(), detector=PrefixDetector())
    app = create_app(rt)
    async with app.router.lifespan_context(app):
        yield Bot(rt, app)


NOT_FOUND = "couldn't find a booking"
LOCKED = "For your security"


async def bookings(bot: Bot, n: int) -> list[tuple[str, str]]:
    out = []
    for b in await demo_bookings(bot.runtime.engine, limit=40):
        if b["status"] == "confirmed" and b["passengers"]:
            out.append((b["reference"], b["passengers"][0]["last_name"]))
    assert len(out) >= n
    return out[:n]


async def test_a_new_sender_per_guess_does_not_reset_the_limit(bot: Bot):
    [(ref, name)] = await bookings(bot, 1)
    for i in range(8):  # each guess from a new sender id and a new address: only the reference's count grows
        assert NOT_FOUND in await bot.attempt(ref, f"Guesser{i}", address=f"198.51.100.{i + 1}")
    # the right name, from yet another sender and address: refused while the reference is locked
    answer = await bot.attempt(ref, name, address="192.0.2.200", channel="webchat")
    assert LOCKED in answer and NOT_FOUND not in answer
    audit = await bot.audit()
    locks = [a for a in audit if a["action"] == "auth_reference_locked"]
    assert len(locks) == 1 and locks[0]["reference"] == fingerprint(ref)
    assert ref not in json.dumps(audit) and name not in json.dumps(audit)
    assert 'crisisbot_auth_locks_total{scope="reference"}' in await bot.metrics()


async def test_one_address_rotating_sender_ids_and_references_is_locked(bot: Bot):
    targets = await bookings(bot, 4)
    for i in range(12):  # 3 per reference: no reference reaches its own limit
        ref, _ = targets[i % 4]
        channel = "rest" if i % 2 else "webchat"
        assert NOT_FOUND in await bot.attempt(ref, f"Guesser{i}", address="203.0.113.9", channel=channel)
    ref, name = targets[0]
    assert LOCKED in await bot.attempt(ref, name, address="203.0.113.9")
    locks = [a for a in await bot.audit() if a["action"] == "auth_address_locked"]
    assert len(locks) == 1 and locks[0]["client_address"] == fingerprint("203.0.113.9")
    # the passenger at another address is not affected
    answer = await bot.attempt(ref, name, address="198.51.100.77")
    assert f"found your booking {ref}" in answer and LOCKED not in answer


async def test_wrong_reference_and_wrong_name_read_the_same(bot: Bot):
    [(ref, _name)] = await bookings(bot, 1)
    wrong_name = await bot.attempt(ref, "Nobody", address="198.51.100.50")
    wrong_ref = await bot.attempt("ZZ9Z99", "Nobody", address="198.51.100.51")
    assert wrong_name == wrong_ref and NOT_FOUND in wrong_ref


async def test_a_throttle_the_database_cannot_answer_means_retry_not_a_handoff(bot: Bot, monkeypatch):
    """Fail closed, and retryably: no verification without the throttle, and a 503 that passes (not a handoff)."""
    from bot.errors import StoreError
    from bot.store.throttle import VerificationThrottle

    [(ref, name)] = await bookings(bot, 1)

    async def down(*_a: Any, **_kw: Any) -> Any:
        raise StoreError("database error: connection refused")

    transport = httpx.ASGITransport(app=bot.app, client=("198.51.100.90", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
        for text in ("cancel my booking", ref):
            assert (await c.post("/webhooks/rest/webhook", json={"sender": "s1", "message": text})).status_code == 200
        monkeypatch.setattr(VerificationThrottle, "locked", down)
        r = await c.post("/webhooks/rest/webhook", json={"sender": "s1", "message": name, "message_id": "m3"})
        assert r.status_code == 503 and r.headers["retry-after"]
        monkeypatch.undo()
        r = await c.post("/webhooks/rest/webhook", json={"sender": "s1", "message": name, "message_id": "m3"})
        assert r.status_code == 200 and f"found your booking {ref}" in r.json()[0]["text"]
