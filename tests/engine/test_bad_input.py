"""Bad input over HTTP gets a clear 4xx, never a 500 or a 503 that a retrying client would repeat forever; nothing of
a refused request is stored (a message over the limit is refused whole, not stored cut). Fuzzed too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.app import create_app
from bot.channels.inputs import MAX_MESSAGE_CHARS
from bot.errors import StoreDataError, StoreError
from bot.runtime import Runtime
from bot.settings import Settings
from bot.store.models import Message
from tests.fakes.parts import CountingEngine, KeywordNLU, NoReservations, PrefixDetector

REST = "/webhooks/rest/webhook"
MSG = "/webchat/api/message"
POLL = "/webchat/api/poll"


class App:
    def __init__(self, client: TestClient, runtime: Runtime) -> None:
        self.client, self.runtime = client, runtime

    def rest(self, body: bytes | dict[str, Any]) -> Any:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.client.post(REST, content=content, headers={"Content-Type": "application/json"})

    def webchat(self, body: bytes | dict[str, Any]) -> Any:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.client.post(MSG, content=content, headers={"Content-Type": "application/json"})

    def stored(self) -> int:
        async def count() -> int:
            async with self.runtime.engine.connect() as conn:
                return (await conn.execute(select(func.count()).select_from(Message))).scalar_one()

        return self.client.portal.call(count)  # type: ignore[union-attr]


@pytest.fixture
def app(db_url: str) -> Iterator[App]:
    settings = Settings(database_url=db_url, seed_demo=False)
    rt = Runtime(settings, nlu=KeywordNLU(), detector=PrefixDetector(), dialogue=CountingEngine(),
                 adapter=NoReservations())  # type: ignore[arg-type]
    with TestClient(create_app(rt), raise_server_exceptions=False) as c:
        yield App(c, rt)


def refused(r: Any, status: int, fragment: str) -> None:
    assert r.status_code == status, r.text
    assert fragment in r.json()["error"], r.json()
    assert "retry" not in r.json()["error"]


NUL_CASES = [
    ({"sender": "a\x00b", "message": "hi"}, "sender"),
    ({"sender": "a", "message": "my booking X7K2PQ\x00"}, "message"),
    ({"sender": "a", "message": "hi", "message_id": "1\x002"}, "message_id"),
    ({"sender": "a", "message": "hi", "metadata": {"k\x00": 1}}, "NUL"),
]


@pytest.mark.parametrize(("body", "field"), NUL_CASES)
def test_a_nul_character_is_a_400_that_names_the_field(app: App, body: dict[str, Any], field: str):
    refused(app.rest(body), 400, field)
    assert "NUL" in app.rest(body).json()["error"]
    assert app.stored() == 0


def test_huge_numbers_deep_nesting_and_non_strings_are_400s(app: App):
    refused(app.rest(b'{"sender": ' + b"7" * 5000 + b', "message": "hi"}'), 400, "digits")
    refused(app.rest(b"[" * 50_000 + b"]" * 50_000), 400, "nested too deeply")
    refused(app.rest(b'{"sender": "a", "message": "hi", "metadata": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"),
            400, "nested too deeply")
    refused(app.rest({"sender": True, "message": "hi"}), 400, "sender must be a string")
    refused(app.rest({"sender": None, "message": "hi"}), 400, "sender must be a string")
    refused(app.rest({"sender": ["a"], "message": "hi"}), 400, "sender must be a string")
    refused(app.rest({"sender": "a", "message": "hi", "message_id": False}), 400, "message_id must be a string")
    refused(app.rest({"sender": "a\nb", "message": "hi"}), 400, "control characters")
    refused(app.rest({"sender": "a" * 256, "message": "hi"}), 400, "too long")
    refused(app.rest(b'{"sender": "a", "message": "hi", "metadata": {"x": NaN}}'), 400, "NaN")
    refused(app.rest(b'{"sender": "a", "message": "hi", "metadata": {"x": 1e999}}'), 400, "out of range")
    refused(app.rest(b'{"sender": "a\\ud800", "message": "hi"}'), 400, "not valid Unicode")
    refused(app.rest(b'{"sender": "a", "message": "\xff"}'), 400, "UTF-8")
    refused(app.rest({"sender": "a", "message": "hi", "metadata": [1]}), 400, "metadata must be a JSON object")
    refused(app.client.post(REST, content=b"{}", headers={"Idempotency-Key": "k" * 300}), 400, "sender")
    assert app.stored() == 0
    # integers are ids some widgets send: still accepted
    ok = app.rest({"sender": 12345, "message": "hello", "message_id": 7})
    assert ok.status_code == 200 and ok.json()[0]["recipient_id"] == "12345"


def test_a_message_over_the_documented_limit_is_refused_whole_with_413(app: App):
    over = "x" * (MAX_MESSAGE_CHARS + 1)
    refused(app.rest({"sender": "long", "message": over}), 413, f"at most {MAX_MESSAGE_CHARS}")
    refused(app.webchat({"session_id": "session-long", "text": over}), 413, f"at most {MAX_MESSAGE_CHARS}")
    refused(app.rest(b'{"sender": "a", "message": "' + b"y" * 300_000 + b'"}'), 413, "too large")
    assert app.stored() == 0  # nothing stored cut
    at_limit = app.rest({"sender": "long", "message": "hello " + "x" * (MAX_MESSAGE_CHARS - 6)})
    assert at_limit.status_code == 200
    assert app.stored() == 1


def test_web_chat_bad_input(app: App):
    refused(app.webchat(b"[" * 50_000), 400, "nested too deeply")
    refused(app.webchat({"session_id": "session-123", "text": "a\x00"}), 400, "text must not contain NUL")
    refused(app.webchat({"session_id": "session-123", "text": "a", "message_id": "\x00"}), 400, "message_id")
    refused(app.webchat({"session_id": True, "text": "a"}), 400, "session_id")
    refused(app.webchat({"session_id": "session-123", "text": 5}), 400, "text must be a string")
    assert app.stored() == 0
    for after in ("1e30", "1" + "0" * 30, "-1", "x", "9223372036854775808", "１２"):
        refused(app.client.get(POLL, params={"session_id": "session-123", "after": after}), 400, "after")
    refused(app.client.get(POLL, params={"after": "1"}), 400, "session_id")
    ok = app.client.get(POLL, params={"session_id": "session-123", "after": str(2**63 - 1)})
    assert ok.status_code == 200 and ok.json() == {"messages": []}


def test_pages_send_a_content_security_policy_and_nosniff(app: App):
    page = app.client.get("/")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "connect-src 'self'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    for r in (app.rest({"sender": "a", "message": "hi"}), app.rest(b"nope"), app.client.get("/healthz"),
              app.client.get("/no-such-page")):
        assert r.headers["x-content-type-options"] == "nosniff"


def test_the_page_may_be_framed_by_the_airlines_own_site_when_configured():
    from bot.channels.webchat import page_headers

    h = page_headers("https://www.airline.example")
    assert h["Content-Security-Policy"].endswith("frame-ancestors https://www.airline.example")
    assert "X-Frame-Options" not in h
    assert "frame-ancestors https://a.example 'self'" in page_headers("https://a.example; 'self'")[
        "Content-Security-Policy"]


def test_503_only_for_faults_that_can_pass(app: App, monkeypatch: pytest.MonkeyPatch):
    store = app.runtime.store

    async def down(**_kw: Any) -> Any:
        raise StoreError("database error: connection refused")

    monkeypatch.setattr(store, "record_inbound", down)
    r = app.rest({"sender": "a", "message": "hi"})
    assert r.status_code == 503 and r.headers["retry-after"] and "retry" in r.json()["error"]

    async def refuses(**_kw: Any) -> Any:
        raise StoreDataError("the database refused a value: CharacterNotInRepertoireError")

    monkeypatch.setattr(store, "record_inbound", refuses)
    r = app.rest({"sender": "a", "message": "hi"})
    assert r.status_code == 400 and "retry-after" not in r.headers


def test_values_the_database_refuses_are_not_reported_as_passing_faults(app: App):
    """Past the channels' checks, the store still says 'this value', not 'the database is down'."""
    store = app.runtime.store

    async def huge_cursor() -> None:
        await store.pending_for_recipient("webchat", "session-123", 2**70)

    with pytest.raises(StoreDataError):
        app.client.portal.call(huge_cursor)  # type: ignore[union-attr]
    if store.engine.dialect.name == "postgresql":
        async def nul_sender() -> None:
            await store.record_inbound(channel="rest", sender_id="a\x00", platform_message_id=None, text="hi")

        with pytest.raises(StoreDataError):
            app.client.portal.call(nul_sender)  # type: ignore[union-attr]


# ---- fuzzing: whatever the body, never a 500 (nor a 503: the database is up) --------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
field_values = st.one_of(st.text(max_size=40), st.integers(), json_values)
bodies = st.one_of(
    st.fixed_dictionaries({"sender": field_values, "message": field_values},
                          optional={"message_id": field_values, "metadata": json_values}),
    json_values,
).map(lambda v: json.dumps(v).encode())
raw = st.binary(max_size=200)


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(bodies, raw))
def test_fuzzed_rest_bodies_never_get_a_5xx(app: App, body: bytes):
    r = app.rest(body)
    assert r.status_code in (200, 400, 413), (body[:200], r.status_code, r.text[:200])
    if r.status_code != 200:
        assert r.json()["error"]


webchat_bodies = st.one_of(
    st.fixed_dictionaries({"session_id": st.one_of(st.from_regex(r"\A[A-Za-z0-9_-]{6,70}\Z"), field_values),
                           "text": field_values}, optional={"message_id": field_values}),
    json_values,
).map(lambda v: json.dumps(v).encode())


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(webchat_bodies, raw), after=st.one_of(st.text(max_size=25), st.integers().map(str)))
def test_fuzzed_web_chat_requests_never_get_a_5xx(app: App, body: bytes, after: str):
    r = app.webchat(body)
    assert r.status_code in (200, 400, 413), (body[:200], r.status_code, r.text[:200])
    p = app.client.get(POLL, params={"session_id": "session-fuzz", "after": after})
    assert p.status_code in (200, 400), (after, p.status_code, p.text[:200])

