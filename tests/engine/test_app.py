"""The web app over HTTP: Rasa-compatible REST channel, web chat, health and metrics, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from tests.fakes.parts import CountingEngine, KeywordNLU, NoReservations, PrefixDetector


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=db_url, seed_demo=False)
    rt = Runtime(settings, nlu=KeywordNLU(), detector=PrefixDetector(), dialogue=CountingEngine(),
                 adapter=NoReservations())  # type: ignore[arg-type]
    with TestClient(create_app(rt)) as c:
        yield c


def test_rest_webhook_speaks_rasas_format(client: TestClient):
    r = client.post("/webhooks/rest/webhook", json={"sender": "u1", "message": "hello"})
    assert r.status_code == 200
    assert r.json() == [
        {
            "recipient_id": "u1",
            "text": "[en] turn 1: greet",
            "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        }
    ]


def test_rest_retry_with_same_message_id_is_answered_once(client: TestClient):
    body = {"sender": "u2", "message": "rebook", "message_id": "abc"}
    first = client.post("/webhooks/rest/webhook", json=body).json()
    again = client.post("/webhooks/rest/webhook", json=body).json()
    assert first == again
    nxt = client.post("/webhooks/rest/webhook", json={"sender": "u2", "message": "rebook"}).json()
    assert nxt[0]["text"] == "[en] turn 2: rebook"  # the retry did not count as a turn


def test_idempotency_key_header_deduplicates(client: TestClient):
    h = {"Idempotency-Key": "k-1"}
    client.post("/webhooks/rest/webhook", json={"sender": "u3", "message": "hello"}, headers=h)
    client.post("/webhooks/rest/webhook", json={"sender": "u3", "message": "hello"}, headers=h)
    r = client.post("/webhooks/rest/webhook", json={"sender": "u3", "message": "hello"})
    assert r.json()[0]["text"] == "[en] turn 2: greet"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({"message": "hi"}).encode(), "sender"),
        (json.dumps({"sender": "x"}).encode(), "message"),
        (json.dumps({"sender": "", "message": "hi"}).encode(), "sender"),
        (json.dumps({"sender": "x", "message": 5}).encode(), "message"),
    ],
)
def test_malformed_rest_bodies_get_a_clear_400(client: TestClient, body: bytes, fragment: str):
    r = client.post("/webhooks/rest/webhook", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert fragment in r.json()["error"]


def test_web_chat_page_and_api(client: TestClient):
    page = client.get("/")
    assert page.status_code == 200 and "webchat/api/message" in page.text
    r = client.post("/webchat/api/message", json={"session_id": "session-123", "text": "nl: hallo", "message_id": "1"})
    assert r.status_code == 200
    assert r.json()["messages"][0]["text"] == "[nl] turn 1: nlu_fallback"
    assert r.json()["language"] == "nl"
    assert client.get("/webchat/api/poll", params={"session_id": "session-123"}).json() == {"messages": []}
    bad = client.post("/webchat/api/message", json={"session_id": "short", "text": "hi"})
    assert bad.status_code == 400 and "session_id" in bad.json()["error"]
    assert client.get("/webchat/api/poll", params={"session_id": "session-123", "after": "x"}).status_code == 400


def test_health_and_metrics(client: TestClient):
    assert client.get("/healthz").json()["status"] == "ok"
    client.post("/webhooks/rest/webhook", json={"sender": "m", "message": "hello"})
    text = client.get("/metrics").text
    assert 'crisisbot_messages_received_total{channel="rest"}' in text
    assert "crisisbot_nlu_parse_seconds_bucket" in text


def test_webhook_secret_is_verified(db_url: str):
    settings = Settings(database_url=db_url, seed_demo=False, webhook_secret="s3cret")
    rt = Runtime(settings, nlu=KeywordNLU(), detector=PrefixDetector(), dialogue=CountingEngine(),
                 adapter=NoReservations())  # type: ignore[arg-type]
    with TestClient(create_app(rt)) as c:
        assert c.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hi"}).status_code == 401
        ok = c.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hi"},
                    headers={"X-Crisisbot-Token": "s3cret"})
        assert ok.status_code == 200
