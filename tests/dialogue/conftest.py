"""Dialogue test helpers: a chat driver that builds Parse objects directly (no NLU model)."""

from __future__ import annotations

import json
import re
import string
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.dialogue.base import Turn, TurnResult
from bot.dialogue.engine import FlowEngine
from bot.dialogue.loader import FlowSet, load_flows
from bot.nlu.base import Entity, IntentPrediction, Parse
from bot.settings import Settings
from tests.dialogue.fake_adapter import NOW, FakeAdapter, make_airline

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("en", "nl", "fr", "de", "es", "it", "pt", "pl", "sv", "da")

# what a passenger types, per language (the parse is built by hand; the text matters for raw answers)
WORDS = {
    "en": {"yes": "yes", "no": "no", "rebook": "I want to change my flight", "cancel": "cancel my booking",
           "status": "is my flight on time?", "stop": "stop", "human": "I want to talk to a person"},
    "nl": {"yes": "ja", "no": "nee", "rebook": "ik wil mijn vlucht omboeken", "cancel": "annuleer mijn boeking",
           "status": "is mijn vlucht op tijd?", "stop": "stop", "human": "ik wil een medewerker spreken"},
    "fr": {"yes": "oui", "no": "non", "rebook": "je veux changer mon vol", "cancel": "annulez ma réservation",
           "status": "mon vol est-il à l'heure ?", "stop": "arrêtez", "human": "je veux parler à quelqu'un"},
    "de": {"yes": "ja", "no": "nein", "rebook": "ich möchte meinen Flug umbuchen", "cancel": "Buchung stornieren",
           "status": "ist mein Flug pünktlich?", "stop": "stopp", "human": "ich möchte einen Mitarbeiter sprechen"},
    "es": {"yes": "sí", "no": "no", "rebook": "quiero cambiar mi vuelo", "cancel": "cancelar mi reserva",
           "status": "¿mi vuelo va a tiempo?", "stop": "para", "human": "quiero hablar con una persona"},
    "it": {"yes": "sì", "no": "no", "rebook": "voglio cambiare il mio volo", "cancel": "cancella la prenotazione",
           "status": "il mio volo è in orario?", "stop": "basta", "human": "voglio parlare con un operatore"},
    "pt": {"yes": "sim", "no": "não", "rebook": "quero alterar o meu voo", "cancel": "cancelar a minha reserva",
           "status": "o meu voo está a horas?", "stop": "parar", "human": "quero falar com uma pessoa"},
    "pl": {"yes": "tak", "no": "nie", "rebook": "chcę zmienić lot", "cancel": "anuluj rezerwację",
           "status": "czy mój lot jest o czasie?", "stop": "stop", "human": "chcę rozmawiać z konsultantem"},
    "sv": {"yes": "ja", "no": "nej", "rebook": "jag vill boka om min flygning", "cancel": "avboka min bokning",
           "status": "är mitt flyg i tid?", "stop": "sluta", "human": "jag vill prata med en person"},
    "da": {"yes": "ja", "no": "nej", "rebook": "jeg vil ombooke mit fly", "cancel": "annuller min booking",
           "status": "er mit fly til tiden?", "stop": "stop", "human": "jeg vil tale med en medarbejder"},
}


def make_parse(text: str, language: str, intent: str, confidence: float = 0.95,
               flags: tuple[str, ...] = (), **entities: Any) -> Parse:
    ents = []
    for name, value in entities.items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            ents.append(Entity(entity=name, value=v, start=0, end=len(text), text=str(v)))
    return Parse(text=text, language=language, intent=IntentPrediction(intent, confidence),
                 intent_ranking=(IntentPrediction(intent, confidence),), entities=tuple(ents), flags=flags)


class Chat:
    """One conversation. The state goes through json.dumps/json.loads between turns, as the store would do it."""

    def __init__(self, engine: FlowEngine, language: str = "en", now=NOW) -> None:
        self.engine = engine
        self.language = language
        self.now = now
        self.state: dict[str, Any] = {}
        self.conversation_id = uuid.uuid4().hex
        self.results: list[TurnResult] = []

    async def send(self, text: str, intent: str = "provide_info", *, confidence: float = 0.95,
                   flags: tuple[str, ...] = (), language: str | None = None, now=None, **entities: Any) -> TurnResult:
        lang = language or self.language
        parse = make_parse(text, lang, intent, confidence, flags, **entities)
        turn = Turn(conversation_id=self.conversation_id, channel="rest", sender_id="sender-1", language=lang,
                    text=text, parse=parse, state=json.loads(json.dumps(self.state)), now=now or self.now)
        result = await self.engine.handle(turn)
        self.state = json.loads(json.dumps(result.state))
        self.results.append(result)
        return result

    async def w(self, word: str, intent: str, **kw: Any) -> TurnResult:
        return await self.send(WORDS[self.language][word], intent, **kw)

    async def identify(self, reference: str = "X7K2PQ", last_name: str = "Jansen") -> TurnResult:
        await self.send(reference, booking_reference=reference)
        return await self.send(last_name, last_name=last_name)


def text_of(result: TurnResult) -> str:
    return "\n".join(r.text for r in result.replies)


def fragments(template: str) -> list[str]:
    """The literal parts of a response template (between placeholders)."""
    parts = [lit for lit, _, _, _ in string.Formatter().parse(template)]
    return [p.strip() for p in parts if len(p.strip()) >= 3]


def said(flows: FlowSet, result: TurnResult, key: str, language: str) -> bool:
    """Whether the turn's replies contain the response ``key`` as written for ``language``."""
    template = flows.response(key, language)
    assert template is not None, key
    text = text_of(result)
    frags = fragments(template) or [template.strip()]
    return all(f in text for f in frags)


def expecting(result: TurnResult) -> str | None:
    return (result.state.get("nlu_context") or {}).get("expecting")


@pytest.fixture(scope="session")
def flows() -> FlowSet:
    return load_flows(ROOT)


@pytest.fixture
def airline() -> FakeAdapter:
    return make_airline()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(content_dir=ROOT, database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")


@pytest.fixture
def flow_engine(settings: Settings, airline: FakeAdapter, flows: FlowSet) -> FlowEngine:
    return FlowEngine(settings, airline, flows)


@pytest.fixture
def chat(flow_engine: FlowEngine):
    def make(language: str = "en") -> Chat:
        return Chat(flow_engine, language)

    return make


def digits(text: str) -> str | None:
    m = re.search(r"\b(\d{6})\b", text)
    return m.group(1) if m else None
