"""Everything said in one message is kept, and options are chosen the way people answer -- tried as a new user would,
through the REST channel, with the demo airline, in several languages."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from babel.dates import get_day_names
from sqlalchemy import select, update

from bot.app import create_app
from bot.dialogue.formatting import local
from bot.nlu.embedded import EmbeddedBackend
from bot.nlu.language import LanguageDetector
from bot.reservations.base import SearchWishes
from bot.reservations.sql.adapter import P, load_state
from bot.reservations.sql.demo import _categories
from bot.reservations.sql.models import ResFlight, ResInventory
from bot.runtime import Runtime
from bot.settings import Settings


class Bot:
    def __init__(self, runtime: Runtime, client: httpx.AsyncClient) -> None:
        self.runtime, self.client = runtime, client
        self._free: list[dict[str, Any]] | None = None

    async def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        r = await self.client.post("/webhooks/rest/webhook",
                                   json={"sender": sender, "message": text, "message_id": uuid.uuid4().hex})
        assert r.status_code == 200, r.text
        return r.json()

    async def context(self, sender: str) -> dict[str, Any]:
        conv = await self.runtime.store.find_conversation("rest", sender)
        return (conv.state or {}).get("nlu_context") or {}

    async def booking(self) -> dict[str, Any]:
        """A demo booking nobody has used yet that can simply be rebooked: one passenger, one direct flight."""
        if self._free is None:
            self._free = []
            now = dt.datetime.now(dt.UTC)
            simple = dict(_categories(now))["simple change"]
            async with self.runtime.engine.connect() as conn:
                refs = list((await conn.execute(select(P.c.booking_reference).distinct())).scalars())
                for ref in sorted(refs):
                    state = await load_state(conn, ref)
                    if state is not None and simple(state):
                        self._free.append({"reference": ref, "last_name": state.passengers[0].last_name,
                                           "origin": state.segments[0].origin})
        adapter = self.runtime.adapter
        while self._free:
            b = self._free.pop(0)
            booking = await adapter.get_booking(b["reference"])
            if await adapter.search_alternatives(booking, SearchWishes(), limit=1):
                return b
        raise AssertionError("no demo booking left to rebook")


@pytest.fixture
async def bot(db_url: str, nlu: EmbeddedBackend, detector: LanguageDetector) -> AsyncIterator[Bot]:
    settings = Settings(database_url=db_url, demo_bookings=300, demo_days=10)
    rt = Runtime(settings, nlu=nlu, detector=detector)
    app = create_app(rt)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url="http://bot") as c:
        yield Bot(rt, c)


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["text"] for r in replies)


def weekday(language: str, day: dt.date) -> str:
    return get_day_names("wide", locale=language)[day.weekday()].lower()


def in_days(origin: str, n: int) -> dt.date:
    return local(dt.datetime.now(dt.UTC), origin).date() + dt.timedelta(days=n)


ONE_MESSAGE = {
    "nl": "hoi mijn vlucht morgen is geanuleerd, boeking {ref} naam {name}, kan ik {day} vliegen?",
    "en": "hi my flight tomorrow got cancelled, booking {ref} name {name}, can i fly on {day} instead?",
    "de": "hallo, mein Flug morgen fällt aus, buchung {ref} name {name}, kann ich am {day} fliegen?",
    "fr": "bonjour, mon vol de demain est annulé, réservation {ref} nom {name}, je peux partir {day} ?",
    "it": "salve, il mio volo di domani è stato cancellato, prenotazione {ref} nome {name}, posso partire {day}?",
    "pl": "dzień dobry, mój lot jutro odwołany, rezerwacja {ref} nazwisko {name}, czy mogę lecieć w {day}?",
}


@pytest.mark.parametrize("language", list(ONE_MESSAGE))
async def test_reference_lowercase_name_and_wished_day_in_one_message(bot: Bot, language: str):
    b = await bot.booking()
    day = in_days(b["origin"], 3)
    msg = ONE_MESSAGE[language].format(ref=b["reference"].lower(), name=b["last_name"].lower(),
                                       day=weekday(language, day))
    replies = await bot.say(f"one-{language}", msg)
    ctx = await bot.context(f"one-{language}")
    # found with the lower-case name, and the options are for the day asked for: no question about name or date
    assert b["reference"] in texts(replies), texts(replies)
    assert ctx.get("expecting") == "option", texts(replies)
    assert ctx["options"][0]["date_local"] == day.isoformat()


@pytest.mark.parametrize("answer", ["X7K2PQ, Jansen", "X7K2PQ Jansen", "x7k2pq jansen"])
async def test_reference_and_name_together_when_asked_for_the_reference(bot: Bot, answer: str):
    """The README's first try: the name after the code is the name, not a second booking code."""
    sender = f"readme-{answer}"
    replies = await bot.say(sender, "I want to rebook my flight")
    assert (await bot.context(sender)).get("expecting") == "booking_reference", texts(replies)
    replies = await bot.say(sender, answer)
    assert "X7K2PQ" in texts(replies) and "last name" not in texts(replies), texts(replies)
    assert (await bot.context(sender)).get("expecting") == "date"


async def test_after_a_wrong_name_the_reference_and_the_wished_day_are_kept(bot: Bot):
    b = await bot.booking()
    day = in_days(b["origin"], 2)
    msg = ONE_MESSAGE["nl"].format(ref=b["reference"].lower(), name="macdonald", day=weekday("nl", day))
    await bot.say("wrong", msg)
    assert (await bot.context("wrong")).get("expecting") == "last_name"  # only the name is asked again
    replies = await bot.say("wrong", b["last_name"])
    ctx = await bot.context("wrong")
    assert b["reference"] in texts(replies)
    assert ctx.get("expecting") == "option" and ctx["options"][0]["date_local"] == day.isoformat()


@pytest.mark.parametrize(("language", "template"), [
    ("pt", "olá, quero remarcar o meu voo, reserva {ref} apelido {name}, obrigada"),
    ("es", "hola, quiero cambiar mi vuelo, reserva {ref} apellido {name}, gracias"),
    ("de", "Hallo, ich möchte umbuchen, Buchung {ref} Nachname {name}, danke schön"),
])
async def test_a_closing_word_never_swallows_the_request(bot: Bot, language: str, template: str):
    b = await bot.booking()
    replies = await bot.say(f"close-{language}", template.format(ref=b["reference"].lower(), name=b["last_name"]))
    assert b["reference"] in texts(replies), texts(replies)
    assert (await bot.context(f"close-{language}")).get("expecting") == "date"


async def test_data_with_only_thanks_is_kept_and_the_bot_asks_what_to_do(bot: Bot):
    b = await bot.booking()
    replies = await bot.say("thx", f"reserva {b['reference'].lower()} apelido {b['last_name']}, obrigada")
    assert "De nada" not in texts(replies)
    assert b["reference"] in texts(replies)  # the booking is looked up at once, and the bot asks what to do
    replies = await bot.say("thx", "quero remarcar o voo")
    assert (await bot.context("thx")).get("expecting") == "date", texts(replies)


async def to_options(bot: Bot, sender: str, opener: str, when: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    b = await bot.booking()
    await bot.say(sender, opener)
    await bot.say(sender, b["reference"])
    await bot.say(sender, b["last_name"])
    replies = await bot.say(sender, when)
    ctx = await bot.context(sender)
    assert ctx.get("expecting") == "option", texts(replies)
    return b, ctx["options"]


@pytest.mark.parametrize(("opener", "whatever"), [
    ("ich möchte meinen Flug umbuchen", "egal, hauptsache schnell"),
    ("I need to change my flight", "whatever, just the first one"),
    ("ik wil mijn vlucht omboeken", "maakt niet uit, zo snel mogelijk weg"),
    ("quiero cambiar mi vuelo", "me da igual"),
])
async def test_whatever_at_the_date_question_is_the_first_available_flight(bot: Bot, opener: str, whatever: str):
    _b, options = await to_options(bot, "any", opener, whatever)
    assert options


@pytest.mark.parametrize("opener", [
    "I want another flight, the earliest one",
    "ich brauche einen anderen Flug, hauptsache schnell",
    "quiero cambiar mi vuelo, lo antes posible",
])
async def test_first_available_said_before_the_booking_is_not_asked_again(bot: Bot, opener: str):
    b = await bot.booking()
    await bot.say("early", opener)
    replies = await bot.say("early", f"{b['reference']} {b['last_name']}")
    ctx = await bot.context("early")
    assert ctx.get("expecting") == "option", texts(replies)
    assert ctx["options"]


async def test_si_grazie_at_the_confirmation_is_a_yes(bot: Bot):
    b, _options = await to_options(bot, "it", "vorrei cambiare il mio volo", "il prima possibile")
    await bot.say("it", "il primo")
    await bot.say("it", "si grazie")
    assert (await bot.runtime.adapter.get_booking(b["reference"])).version == 2


def by_time(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(options, key=lambda o: (o["date_local"], o["departure_local"]))


def hour_phrase(language: str, o: dict[str, Any]) -> str:
    h, m = (int(x) for x in o["departure_local"].split(":"))
    if language == "en":
        minutes = f":{m:02d}" if m else ""
        return f"the {h % 12 or 12}{minutes}{'pm' if h >= 12 else 'am'} one"
    if language == "de":
        return f"den um {h} Uhr {m:02d}" if m else f"den um {h} Uhr"
    return f"{h}h{m:02d}"


@pytest.mark.parametrize(("language", "opener", "asap", "pick"), [
    ("en", "I need to change my flight", "as soon as possible", "later"),
    ("en", "I need to change my flight", "as soon as possible", "earlier"),
    ("en", "I need to change my flight", "as soon as possible", "time"),
    ("de", "ich möchte meinen Flug umbuchen", "so bald wie möglich", "time"),
    ("fr", "je voudrais changer mon vol", "dès que possible", "second"),
    ("nl", "ik wil mijn vlucht omboeken", "zo snel mogelijk", "day part"),
    ("en", "I need to change my flight", "as soon as possible", "day and time"),
])
async def test_options_are_chosen_the_way_people_answer(bot: Bot, language: str, opener: str, asap: str, pick: str):
    _b, options = await to_options(bot, f"pick-{pick}", opener, asap)
    ordered = by_time(options)
    if pick == "later":
        text, want = "the later one", ordered[-1]
    elif pick == "earlier":
        text, want = "the earlier one please", ordered[0]
    elif pick == "second":
        text, want = "le deuxième", options[1]
    elif pick == "time":
        want = next(o for o in options if sum(x["departure_local"][:2] == o["departure_local"][:2]
                                              for x in options) == 1)
        text = hour_phrase(language, want)
    elif pick == "day part":
        parts = {"ochtend": range(5, 12), "middag": range(12, 18), "avond": range(18, 24)}

        def part(o: dict[str, Any]) -> str:
            return next(p for p, hours in parts.items() if int(o["departure_local"][:2]) in hours)

        keys = [(o["date_local"], part(o)) for o in options]
        want = next(o for o, k in zip(options, keys, strict=True) if keys.count(k) == 1)
        text = f"die van {weekday('nl', dt.date.fromisoformat(want['date_local']))} {part(want)}"
    else:
        want = options[-1]
        day = weekday("en", dt.date.fromisoformat(want["date_local"]))
        text = f"{day} the {want['departure_local']} one"
    replies = await bot.say(f"pick-{pick}", text)
    ctx = await bot.context(f"pick-{pick}")
    assert ctx.get("expecting") == "confirmation", (text, texts(replies))
    assert want["flight_numbers"][0] in texts(replies), (text, texts(replies))


@pytest.mark.parametrize(("language", "opener", "ahead"), [
    ("en", "I need to change my flight", 1), ("nl", "ik wil mijn vlucht omboeken", 2),
    ("de", "ich möchte meinen Flug umbuchen", 3), ("es", "quiero cambiar mi vuelo", 4),
])
async def test_a_list_for_a_named_day_starts_with_that_day(bot: Bot, language: str, opener: str, ahead: int):
    b = await bot.booking()
    day = in_days(b["origin"], ahead)
    await bot.say("day", opener)
    await bot.say("day", b["reference"])
    await bot.say("day", b["last_name"])
    await bot.say("day", weekday(language, day))
    ctx = await bot.context("day")
    assert ctx.get("expecting") == "option"
    assert ctx["options"][0]["date_local"] == day.isoformat()


async def test_no_free_seats_near_the_date_says_when_the_next_free_seats_are(bot: Bot):
    b = await bot.booking()
    day = in_days(b["origin"], 3)
    async with bot.runtime.engine.begin() as conn:  # the days around that date are sold out
        full = select(ResFlight.id).where(ResFlight.local_date.between(day - dt.timedelta(days=1),
                                                                        day + dt.timedelta(days=1)))
        await conn.execute(update(ResInventory).where(ResInventory.flight_id.in_(full))
                           .values(sold=ResInventory.capacity))
    await bot.say("full", "I need to change my flight")
    await bot.say("full", b["reference"])
    await bot.say("full", b["last_name"])
    replies = await bot.say("full", day.isoformat())
    ctx = await bot.context("full")
    assert "next free seats" in texts(replies), texts(replies)
    assert ctx.get("expecting") == "option"
    assert ctx["options"][0]["date_local"] > (day + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(("language", "template", "expecting"), [
    ("ja", "フライトを変更したいです。予約番号は{ref}、名前は{name}です", "date"),
    ("ja", "予約をキャンセルしたいです。予約番号は{ref}、名前は{name}です", "confirmation"),
    ("it", "Ciao, il mio volo {ref} {name} è in orario?", None),
    ("en", "Hi, this is Anna {name}. I'd like to change my flight {ref}", "date"),
])
async def test_the_ask_and_the_booking_in_one_message(bot: Bot, language: str, template: str,
                                                       expecting: str | None):
    b = await bot.booking()
    sender = f"ask-{language}-{expecting}"
    replies = await bot.say(sender, template.format(ref=b["reference"], name=b["last_name"]))
    assert b["reference"] in texts(replies), (b, texts(replies))  # found: no question for the reference or name
    assert (await bot.context(sender)).get("expecting") == expecting, texts(replies)


async def test_a_wrong_name_then_the_right_one_with_an_apology(bot: Bot):
    b = await bot.booking()
    await bot.say("sorry", f"hola quiero cambiar mi vuelo, reserva {b['reference']}")
    await bot.say("sorry", "Garcia")
    replies = await bot.say("sorry", f"perdón, es {b['last_name']}")
    assert b["reference"] in texts(replies), texts(replies)
    assert (await bot.context("sorry")).get("expecting") == "date"


async def test_the_first_one_after_a_date_picks_the_first_option(bot: Bot):
    _b, options = await to_options(bot, "first", "vorrei cambiare il mio volo", "dopodomani")
    replies = await bot.say("first", "il primo")
    ctx = await bot.context("first")
    assert ctx.get("expecting") == "confirmation", texts(replies)
    assert options[0]["flight_numbers"][0] in texts(replies)


@pytest.mark.parametrize(("language", "message"), [
    ("en", "CXEU26 Dubois, my flight was cancelled and I want a refund"),
    ("de", "Mein Flug wurde annulliert, ich will mein Geld zurück! Buchung CXEU26, Name Dubois"),
    ("es", "me cancelaron el vuelo, quiero el reembolso, reserva cxeu26 apellido dubois"),
    ("pl", "mój lot został odwołany, proszę o zwrot pieniędzy, rezerwacja CXEU26 nazwisko Dubois"),
])
async def test_a_refund_after_a_cancellation_by_the_airline_is_confirmed_straight_away(bot: Bot, language: str,
                                                                                       message: str):
    sender = f"refund-{language}"
    replies = await bot.say(sender, message)
    paid = (await bot.runtime.adapter.get_booking("CXEU26")).fare.total_paid
    assert "CXEU26" in texts(replies) and str(int(paid)) in texts(replies), texts(replies)
    assert (await bot.context(sender)).get("expecting") == "confirmation", texts(replies)
    assert len(replies[-1].get("buttons") or []) == 2  # yes / no, not the three EU261 choices


@pytest.mark.parametrize(("language", "message"), [
    ("en", "my flight was cancelled, booking CXEU26 name Dubois"),
    ("nl", "mijn vlucht is geannuleerd, boeking cxeu26 naam dubois"),
    ("it", "il mio volo è stato cancellato, prenotazione CXEU26 cognome Dubois"),
])
async def test_my_flight_was_cancelled_with_the_booking_gets_the_eu261_choice(bot: Bot, language: str, message: str):
    sender = f"cancelled-{language}"
    replies = await bot.say(sender, message)
    assert "CXEU26" in texts(replies), texts(replies)
    assert len(replies[-1].get("buttons") or []) == 3, texts(replies)  # rebook soon, rebook later, full refund
    assert (await bot.context(sender)).get("expecting") == "option", texts(replies)


@pytest.mark.parametrize(("message", "expecting"), [
    ("chnage my flgiht pls", "booking_reference"),
    ("I want to cancle my fligth", "booking_reference"),
    ("ik wil mijn vlcht omboken", "booking_reference"),
])
async def test_typos_in_the_ask_still_start_it(bot: Bot, message: str, expecting: str):
    sender = f"typo-{message}"
    replies = await bot.say(sender, message)
    assert (await bot.context(sender)).get("expecting") == expecting, texts(replies)


@pytest.mark.parametrize(("ask_person", "hotel", "word"), [
    ("I want to talk to a person", "who pays for the hotel tonight?", "hotel"),
    ("ich möchte mit einem Mitarbeiter sprechen", "Bekomme ich eine Entschädigung?", "250"),
    ("我想和人工客服说话", "改签要多少钱？", "flex"),
])
async def test_a_hotel_compensation_or_price_question_while_waiting_for_a_person_is_answered_and_the_place_kept(
        bot: Bot, ask_person: str, hotel: str, word: str):
    await bot.say("queued", ask_person)
    replies = await bot.say("queued", hotel)
    assert word in texts(replies).lower(), texts(replies)
    conv = await bot.runtime.store.find_conversation("rest", "queued")
    assert conv.owner == "queued"  # still waiting for the person
