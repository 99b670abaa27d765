"""E-mail through a real SMTP server on localhost (aiosmtpd): sent once through the outbox, a temporary refusal is
retried, a permanent one fails the message without retrying, and no address appears in the stored error."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from bot.channels.base import ChannelContext
from bot.channels.email import EmailChannel, subject_of
from bot.channels.registry import enabled_channel_names
from bot.services.outbox import OutboxDispatcher
from bot.settings import Settings, SmtpSettings
from bot.store.db import utcnow
from bot.store.models import OutboxItem
from bot.store.repo import NewOutbound, Store


class Mailbox:
    def __init__(self) -> None:
        self.received: list[Message] = []
        self.answers: dict[str, list[str]] = {}  # recipient -> scripted answers to RCPT, used in turn

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        scripted = self.answers.get(address)
        if scripted:
            return scripted.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def settings_for(port: int, db_url: str = "sqlite+aiosqlite:///:memory:") -> Settings:
    return Settings(database_url=db_url, smtp=SmtpSettings(host="127.0.0.1", port=port, starttls=False,
                                                          from_address="service@demo-airlines.example"))


def test_email_is_off_without_a_host_and_on_with_one():
    assert "email" not in enabled_channel_names(Settings())
    assert "email" in enabled_channel_names(settings_for(2525))


def test_subject_is_the_first_sentence():
    assert subject_of("Your code is 123456. It is valid for 10 minutes.", "Demo") == "Your code is 123456."
    assert subject_of("", "Demo Airlines") == "Demo Airlines"
    assert len(subject_of("x" * 300, "Demo")) == 78


async def test_one_time_code_is_mailed_once_through_the_outbox(engine, smtp_server):
    box, port = smtp_server
    store = Store(engine)
    channel = EmailChannel(ChannelContext(settings_for(port), receiver=None, store=store))  # type: ignore[arg-type]
    await store.add_outbound(None, [NewOutbound("email", "anna.jansen@example.com",
                                                {"text": "Your Demo Airlines verification code is 482913. It is "
                                                         "valid for 10 minutes."}, visible=False)])
    d = OutboxDispatcher(store, {"email": channel})
    assert await d.drain_once() == 1
    assert await d.drain_once() == 0
    assert len(box.received) == 1
    mail = box.received[0]
    assert mail["To"] == "anna.jansen@example.com"
    assert mail["From"] == "service@demo-airlines.example"
    assert mail["Subject"] == "Your Demo Airlines verification code is 482913."
    assert "482913" in mail.get_payload(decode=True).decode()
    assert await store.outbox_counts() == {"sent": 1}


async def test_temporary_refusal_is_retried_and_permanent_refusal_fails_at_once(engine, smtp_server):
    box, port = smtp_server
    box.answers["later@example.com"] = ["451 4.3.0 Mailbox busy, try again later"]
    box.answers["nobody@example.com"] = ["550 5.1.1 No such user"]
    store = Store(engine)
    channel = EmailChannel(ChannelContext(settings_for(port), receiver=None, store=store))  # type: ignore[arg-type]
    await store.add_outbound(None, [
        NewOutbound("email", "later@example.com", {"text": "Update on your flight."}, visible=False),
        NewOutbound("email", "nobody@example.com", {"text": "Update on your flight."}, visible=False),
    ])
    d = OutboxDispatcher(store, {"email": channel})
    await d.drain_once()
    assert box.received == []
    async with store.transaction() as s:
        rows = {r.recipient_id: r for r in (await s.execute(select(OutboxItem.__table__))).all()}
    assert rows["nobody@example.com"].status == "failed"  # never retried
    assert rows["later@example.com"].status == "pending"
    for row in rows.values():  # the stored error names the answer, never the address
        assert "example.com" not in (row.last_error or "")
    async with store.transaction() as s:  # the retry becomes due
        await s.execute(update(OutboxItem.__table__).values(next_attempt_at=utcnow()))
    await d.drain_once()
    assert [m["To"] for m in box.received] == ["later@example.com"]
    assert await store.outbox_counts() == {"sent": 1, "failed": 1}


async def test_an_unreachable_server_keeps_the_message_for_later(engine):
    store = Store(engine)
    channel = EmailChannel(ChannelContext(settings_for(free_port()), receiver=None, store=store))  # type: ignore[arg-type]
    await store.add_outbound(None, [NewOutbound("email", "anna@example.com", {"text": "Hello."}, visible=False)])
    await OutboxDispatcher(store, {"email": channel}).drain_once()
    assert await store.outbox_counts() == {"pending": 1}
