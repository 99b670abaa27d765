"""Canary values (a booking reference, a last name, an e-mail address, a phone number) planted through every path
that logs, errors included, at DEBUG level with SQL echo on: none of them may be found in the captured log output or
in the audit_log rows, in any case. On SQLite and PostgreSQL.

Paths: the REST channel and the whole pipeline (real flows); a reservation system that fails with the passenger's
data in its error text (traceback, handoff summary in the audit log); an NLU backend that fails quoting the message;
the database refusing a message (a NUL character in the sender on PostgreSQL; a constraint error quoting SQL
parameters on both) with the traceback logged; a request refused as bad input; an error nobody expected (500).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from sqlalchemy import insert, select

from bot.app import create_app
from bot.errors import StoreDataError
from bot.logging import configure_logging
from bot.messages import InboundMessage
from bot.reservations.base import BookingNotFound
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.models import AuditLog
from tests.fakes.parts import PrefixDetector, ScriptNLU

REFERENCE = "KQ7ZX2"
NAME = "Vandersloot"
EMAIL = "canary.person@example.org"
PHONE = "+31 6 1234 5678"
CANARIES = (REFERENCE, NAME, EMAIL, PHONE, "0612345678", "1234 5678")


class FailingAdapter:
    """A reservation system that fails, quoting what it was asked (as third-party clients do)."""

    def __init__(self) -> None:
        self.calls = 0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def find_booking(self, reference: str, last_name: str) -> Any:
        self.calls += 1
        if reference.upper() == "ZZ9Z99":
            raise BookingNotFound("no booking with that reference and last name")
        raise RuntimeError(
            f"PSS lookup failed for {reference.lower()}/{last_name.upper()} (contact {EMAIL}, {PHONE}, 0612345678)"
        )


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    buf = io.StringIO()
    configure_logging("DEBUG", json=True, stream=buf)
    try:
        yield buf
    finally:
        root.handlers, _ = saved
        root.setLevel(saved[1])
        for name in ("sqlalchemy.engine", "asyncio", "httpx"):
            logging.getLogger(name).setLevel(logging.WARNING)


def leaks(text: str) -> list[str]:
    low = text.casefold()
    return [c for c in CANARIES if c.casefold() in low]


async def test_no_canary_in_logs_or_audit_rows_whatever_path_logs(db_url: str, captured: io.StringIO):
    settings = Settings(database_url=db_url, seed_demo=False, db_echo=True, log_level="DEBUG",
                        auth_failure_min_seconds=0.0)
    adapter = FailingAdapter()
    rt = Runtime(settings, nlu=ScriptNLU(), detector=PrefixDetector(), adapter=adapter)  # type: ignore[arg-type]
    app = create_app(rt)
    log = structlog.get_logger("crisisbot.test")

    async def say(c: httpx.AsyncClient, sender: str, text: str) -> httpx.Response:
        return await c.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.44", 5555))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://b") as c:
        # 1. the whole pipeline at DEBUG with SQL echo; a wrong guess first (audited), then the failing system
        for text in ("cancel my booking", "ZZ9Z99", NAME):
            assert (await say(c, "p1", text)).status_code == 200
        for text in (REFERENCE.lower(), NAME):
            assert (await say(c, "p1", text)).status_code == 200
        assert adapter.calls == 2  # the failing lookup ran: its traceback was logged, the passenger handed off
        # 2. more personal data while queued for a human, and in the sender's name
        assert (await say(c, "p1", f"mail me at {EMAIL} or call {PHONE}")).status_code == 200
        # 3. an NLU backend that fails quoting the message
        assert (await say(c, "p2", f"nlu-fail {NAME} {REFERENCE.lower()} {EMAIL}")).status_code == 200
        # 4. refused input: a NUL character in the sender, the message quoting everything
        r = await say(c, f"{NAME}\x00", f"{REFERENCE} {NAME} {EMAIL} {PHONE}")
        assert r.status_code == 400 and not leaks(r.text)

        # 5. the database refuses a value (NUL in the sender on PostgreSQL), traceback logged
        if rt.engine.dialect.name == "postgresql":
            with pytest.raises(StoreDataError):
                await rt.pipeline.receive(InboundMessage("rest", f"{NAME}\x00", f"{REFERENCE} {EMAIL} {PHONE}"))
            try:
                await rt.pipeline.receive(InboundMessage("rest", f"x{NAME}\x00", f"{REFERENCE} {EMAIL} {PHONE}"))
            except StoreDataError:
                log.exception("store_error")
        # 6. a constraint error quoting SQL parameters (both databases), traceback logged
        try:
            async with rt.engine.begin() as conn:
                await conn.execute(insert(AuditLog).values(
                    actor=None, action="note", conversation_id=None,
                    details={"note": f"{REFERENCE} {NAME} {EMAIL} {PHONE}"}))
        except Exception:
            log.exception("direct_insert_failed", detail=f"{REFERENCE} {EMAIL}")
        # 7. an error nobody expected, with the passenger's data in its text: a 500, logged
        class Broken:
            async def receive(self, _msg: InboundMessage) -> Any:
                raise RuntimeError(f"bug while handling {REFERENCE} for {EMAIL} / {PHONE}")

        for channel in rt.channels.values():
            channel.receiver = Broken()  # type: ignore[assignment]
        r = await say(c, "p3", "hello")
        assert r.status_code == 500 and not leaks(r.text)

        async with rt.engine.connect() as conn:
            audit = [dict(a._mapping) for a in (await conn.execute(select(AuditLog.action, AuditLog.details))).all()]

    output = captured.getvalue()
    # every path was taken and logged (otherwise this test would prove nothing)
    for sign in ('"dialogue failure; handing off"', "Traceback", "PSS lookup failed", "nlu_failed",
                 "SQL parameters hidden", "INSERT INTO messages", "direct_insert_failed", "unhandled_error"):
        assert sign in output, sign
    if rt.engine.dialect.name == "postgresql":
        assert "CharacterNotInRepertoire" in output or "StoreDataError" in output
    actions = {a["action"] for a in audit}
    assert {"handoff", "auth_failed"} <= actions, actions
    assert "booking=" in json.dumps(audit)  # the handoff summary is there, with its reference masked
    assert leaks(output) == [], [line for line in output.splitlines() if leaks(line)][:3]
    assert leaks(json.dumps(audit, ensure_ascii=False)) == [], audit
