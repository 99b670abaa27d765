"""Crisis mode as a passenger and comms staff see it, through the REST channel and the status page (the whole bot:
language detection, embedded NLU, flows, demo airline), on SQLite and PostgreSQL.

Staff start a volcanic-ash crisis; a French passenger asking whether change fees are waived gets the playbook's
French answer; rebooking an affected booking costs no fee (its fare would charge one); a handoff puts the affected
passenger first; /status, the Atom feed and the web chat banner show the update; ending posts the resolved update.
"""

from __future__ import annotations

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.dialogue.formatting import local
from bot.nlu.embedded import EmbeddedBackend
from bot.nlu.language import LanguageDetector
from bot.reservations.sql.models import ResBooking, ResIdempotency
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.models import AuditLog
from tests.crisis.conftest import ROOT


@pytest.fixture(scope="session")
def nlu(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedBackend:
    backend = EmbeddedBackend(Settings(cache_dir=tmp_path_factory.mktemp("nlu-cache")))
    backend.load_or_train()
    return backend


class Bot:
    def __init__(self, runtime: Runtime, client: httpx.AsyncClient) -> None:
        self.runtime, self.client = runtime, client

    async def say(self, sender: str, text: str) -> str:
        r = await self.client.post("/webhooks/rest/webhook",
                                   json={"sender": sender, "message": text, "message_id": uuid.uuid4().hex})
        assert r.status_code == 200, r.text
        return "\n".join(m["text"] for m in r.json())

    async def replies(self, sender: str, text: str) -> list[dict[str, Any]]:
        r = await self.client.post("/webhooks/rest/webhook",
                                   json={"sender": sender, "message": text, "message_id": uuid.uuid4().hex})
        assert r.status_code == 200, r.text
        return r.json()


def make_bot(db_url: str, nlu: EmbeddedBackend, **kw: Any) -> Any:
    settings = Settings(**({"database_url": db_url, "demo_bookings": 400, "demo_days": 4, "content_dir": ROOT,
                            "crisis_holding_queue": 1000} | kw))
    rt = Runtime(settings, nlu=nlu, detector=LanguageDetector(settings.languages, settings.default_language),
                 serving=True)
    return rt, create_app(rt)


@pytest.fixture
async def bot(db_url: str, nlu: EmbeddedBackend) -> AsyncIterator[Bot]:
    rt, app = make_bot(db_url, nlu)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
        yield Bot(rt, c)


async def standard_fare_booking(rt: Runtime) -> tuple[str, str, str, dt.datetime]:
    """A one-passenger, one-flight booking on a fare that charges a change fee, departing in the next two days."""
    now = dt.datetime.now(dt.UTC)
    async with rt.engine.connect() as conn:
        rows = (await conn.execute(
            select(ResBooking.reference).where(ResBooking.fare_basis == "STANDARD", ResBooking.status == "confirmed")
            .order_by(ResBooking.reference))).scalars().all()
    for ref in rows:
        b = await rt.adapter.get_booking(ref)
        s = b.segments
        last = b.passengers[0].last_name
        if (len(b.passengers) == 1 and len(s) == 1 and last.isascii() and last.isalpha()
                and s[0].cabin == "economy" and not b.special_assistance
                and not s[0].is_partner and now + dt.timedelta(hours=3) < s[0].departure < now + dt.timedelta(days=2)
                and b.fare.change_fee > 0):
            from bot.reservations.base import SearchWishes

            if await rt.adapter.search_alternatives(b, SearchWishes(earliest=now), limit=1):
                return ref, b.passengers[0].last_name, s[0].origin, s[0].departure
    raise AssertionError("no suitable demo booking")


async def test_crisis_mode_end_to_end(bot: Bot):
    rt = bot.runtime
    ref, name, origin, departure = await standard_fare_booking(rt)
    until = (departure + dt.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%MZ")
    st = await rt.crisis.manager.start("volcanic-ash", {"airports": origin, "until": until}, "alice")
    assert st["status"] == "active" and st["affected"]["booking_count"] > 0
    rt.crisis.invalidate()

    # a French passenger asks whether change fees are waived: the playbook's French answer
    answer = await bot.say("fr-1", "Bonjour, est-ce que les frais de modification sont supprimés ?")
    assert answer.startswith("Oui. Si votre vol dessert"), answer
    assert "sans frais" in answer
    # ... and in other languages, paraphrased
    assert (await bot.say("de-1", "Muss ich fürs Umbuchen bezahlen?")).startswith("Ja. Geht Ihr Flug")
    assert "hotel" in (await bot.say("en-1", "will you pay for a hotel tonight?")).lower()
    # a booking given with a crisis question: the passenger's own trip, with its flight's status and the crisis
    answer = await bot.say("en-4", f"is my flight cancelled because of the ash?? booking {ref} name {name.lower()}")
    assert ref in answer and "volcanic ash" in answer.lower(), answer
    assert "on time" not in answer and "unlikely to operate as planned" in answer, answer  # within the closure
    # ... and so is the same flight asked by its number
    flight = (await rt.adapter.get_booking(ref)).segments[0].flight_number
    answer = await bot.say("en-5", f"is {flight} on time on {local(departure, origin):%d %B}?")
    assert "on time" not in answer and "unlikely to operate as planned" in answer, answer

    # an affected passenger who asks for a human goes first in the queue
    for text in ("I want to cancel my booking", ref, name):
        await bot.say("en-3", text)
    await bot.say("en-3", "I want to talk to a human")
    async with rt.engine.connect() as conn:
        handoffs = [a.details for a in (await conn.execute(select(AuditLog.__table__).where(
            AuditLog.action == "handoff"))).all()]
    assert handoffs and handoffs[-1]["priority"] >= 2 and "affected" in handoffs[-1]["summary"]

    # rebooking an affected booking costs no fee, although its fare charges 75 EUR
    for text in ("I need to change my flight", ref, name, "as soon as possible", "1"):
        reply = await bot.say("en-2", text)
    assert "75" not in reply
    await bot.say("en-2", "yes")
    changed = await rt.adapter.get_booking(ref)
    assert changed.version == 2
    async with rt.engine.connect() as conn:
        result = (await conn.execute(select(ResIdempotency.result).where(
            ResIdempotency.booking_reference == ref))).scalar_one()
        actions = [(a.action, a.details) for a in (await conn.execute(select(AuditLog.__table__))).all()]
    assert result["fee_charged"] == "0"
    assert any(a == "crisis_waiver" and ref not in str(d) for a, d in actions)  # audited, reference masked

    # a passenger whose trip the crisis does not touch asks about compensation: what EU261 gives them, not the
    # crisis's "extraordinary circumstances" answer
    async with rt.engine.connect() as conn:
        refs = (await conn.execute(select(ResBooking.reference).where(ResBooking.status == "confirmed")
                                   .order_by(ResBooking.reference))).scalars().all()
    for other in refs:
        b = await rt.adapter.get_booking(other)
        if len(b.passengers) == 1 and all(s.departure > departure + dt.timedelta(hours=8) for s in b.segments):
            break  # after the crisis's end
    found = await bot.say("en-6", f"{other} {b.passengers[0].last_name}")
    assert other in found, found
    answer = await bot.say("en-6", "will I get compensation?")
    assert "250" in answer and "ash is an extraordinary circumstance" not in answer, answer

    # the status page, the feed and the web chat banner show the update
    page = await bot.client.get("/status?lang=fr")
    assert page.status_code == 200 and "Cendres volcaniques" in page.text and 'name="viewport"' in page.text
    feed = await bot.client.get("/status/feed.atom", params={"lang": "de"})
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.tag == "{http://www.w3.org/2005/Atom}feed" and root.find("a:id", ns) is not None
    entries = root.findall("a:entry", ns)
    assert len(entries) == 1 and "Vulkanasche" in entries[0].find("a:title", ns).text
    for tag in ("id", "updated", "content"):
        assert entries[0].find(f"a:{tag}", ns) is not None
    banner = (await bot.client.get("/status/banner.json", headers={"accept-language": "es-ES,es;q=0.9"})).json()
    assert banner["active"] and banner["language"] == "es" and "Ceniza volcánica" in banner["crises"][0]["title"]

    # the end posts the resolved update everywhere, and crisis mode stops
    st = await rt.crisis.manager.end(st["id"], "bob")
    assert st["status"] == "ended"
    rt.crisis.invalidate()
    rt.channels["status"]._cache.clear()
    page = await bot.client.get("/status?lang=en")
    assert "resolved" in page.text.lower() and "All our flights are operating normally." in page.text
    root = ET.fromstring((await bot.client.get("/status/feed.atom?lang=en")).content)
    assert len(root.findall("a:entry", ns)) == 2
    assert not (await bot.client.get("/status/banner.json")).json()["active"]
    after = await bot.say("fr-3", "Est-ce que les frais de modification sont supprimés ?")
    assert not after.startswith("Oui. Si votre vol dessert")


async def test_holding_message_when_the_queue_is_long_and_requests_queued_in_an_it_outage(db_url, nlu):
    rt, app = make_bot(db_url, nlu, crisis_holding_queue=0)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
        bot = Bot(rt, c)
        st = await rt.crisis.manager.start("it-outage", {"until": "+3h"}, "alice")
        rt.crisis.invalidate()
        first = await bot.replies("nl-1", "Goedemiddag")
        assert len(first) >= 2 and first[0]["text"].startswith("Ons boekingssysteem is tijdelijk uitgevallen; we ")
        again = await bot.replies("nl-1", "ik wil mijn vlucht omboeken")
        assert len(again) == 1 and "bewaren je verzoek" in again[0]["text"]  # taken, not started; no 2nd holding
        await rt.crisis.manager.end(st["id"], "alice")
        rt.crisis.invalidate()
        resumed = await bot.say("nl-1", "oké")  # the system is back: the change asked for goes ahead
        assert "boekingscode" in resumed.lower() or "boeking" in resumed.lower()
        async with rt.engine.connect() as conn:
            actions = [a.action for a in (await conn.execute(select(AuditLog.__table__))).all()]
        assert "crisis_request_queued" in actions and "crisis_request_resumed" in actions
        assert "crisis_holding" in actions
