"""The Rasa backend against a real local HTTP server (Starlette + uvicorn on 127.0.0.1, a free port)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from bot.errors import NLUError
from bot.nlu import build_nlu
from bot.nlu.rasa import RasaBackend
from bot.settings import Settings

TOKEN = "s3cret"
SEEN: list[dict] = []


async def parse(request: Request):
    if request.query_params.get("token") != TOKEN:
        return JSONResponse({"message": "unauthorised"}, status_code=401)
    body = await request.json()
    SEEN.append(body)
    text = body["text"]
    if text == "boom":
        return JSONResponse({"error": "model crashed"}, status_code=500)
    if text == "slow":
        await asyncio.sleep(2)
    if text == "garbage":
        return PlainTextResponse("<html>oops</html>")
    return JSONResponse({
        "text": text,
        "intent": {"name": "rebook", "confidence": 0.91},
        "intent_ranking": [{"name": "rebook", "confidence": 0.91}, {"name": "cancel", "confidence": 0.05}],
        "entities": [
            {"entity": "airport", "start": 21, "end": 27, "value": "CDG", "role": "destination",
             "confidence_entity": 0.98, "extractor": "DIETClassifier"},
            {"entity": "date", "start": 28, "end": 36, "value": "2026-11-24", "extractor": "RegexEntityExtractor"},
            {"entity": "hotel_name", "start": 0, "end": 1, "value": "X"},
        ],
    })


@pytest.fixture(scope="module")
def rasa_url() -> Iterator[str]:
    app = Starlette(routes=[Route("/model/parse", parse, methods=["POST"]),
                            Route("/status", lambda r: JSONResponse({"model_file": "nlu.tar.gz"}))])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("fake Rasa server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


def settings(url: str, **kw) -> Settings:
    return Settings(nlu_backend="rasa", rasa_url=url, rasa_token=TOKEN, rasa_timeout=0.5, **kw)


async def test_parse_converts_rasa_answer(rasa_url: str) -> None:
    backend = build_nlu(settings(rasa_url))
    assert isinstance(backend, RasaBackend)
    async with backend:
        p = await backend.parse("can I fly instead to Parijs tomorrow", "nl")
        assert SEEN[-1] == {"text": "can I fly instead to Parijs tomorrow"}
        assert await backend.status() == {"model_file": "nlu.tar.gz"}
    assert p.language == "nl"
    assert (p.intent.name, p.intent.confidence) == ("rebook", 0.91)
    assert [r.name for r in p.intent_ranking] == ["rebook", "cancel"]
    assert p.first("airport", "destination") == "CDG"
    assert p.entities[0].text == "Parijs" and p.entities[0].extractor == "DIETClassifier"
    assert p.first("date") == "2026-11-24"
    assert p.first("hotel_name") is None  # entities we do not know are dropped
    assert p.to_dict()["entities"][0]["role"] == "destination"


async def test_below_threshold_is_fallback(rasa_url: str) -> None:
    async with RasaBackend(settings(rasa_url, nlu_threshold=0.95)) as backend:
        p = await backend.parse("hello", "en")
    assert p.intent.name == "nlu_fallback" and p.intent_ranking[1].name == "rebook"


async def test_empty_input_never_reaches_rasa(rasa_url: str) -> None:
    before = len(SEEN)
    async with RasaBackend(settings(rasa_url)) as backend:
        p = await backend.parse("   ", "en")
    assert p.intent.name == "nlu_fallback" and "empty" in p.flags and len(SEEN) == before


@pytest.mark.parametrize(("text", "message"), [("boom", "500"), ("slow", "timed out"), ("garbage", "not JSON")])
async def test_server_errors_become_nlu_errors(rasa_url: str, text: str, message: str) -> None:
    async with RasaBackend(settings(rasa_url)) as backend:
        with pytest.raises(NLUError, match=message):
            await backend.parse(text, "en")


async def test_wrong_token_and_unreachable_server(rasa_url: str) -> None:
    async with RasaBackend(settings(rasa_url).model_copy(update={"rasa_token": None})) as backend:
        with pytest.raises(NLUError, match="401"):
            await backend.parse("hello", "en")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead = sock.getsockname()[1]
    sock.close()
    async with RasaBackend(settings(f"http://127.0.0.1:{dead}")) as backend:
        with pytest.raises(NLUError, match="unreachable"):
            await backend.parse("hello", "en")
