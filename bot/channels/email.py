"""E-mail, outbound only: one-time codes, personal crisis notices and agents' replies to passengers known by address.

SMTP through aiosmtplib (``CRISISBOT_SMTP__HOST``, ``__PORT``, ``__USERNAME``, ``__PASSWORD``, ``__STARTTLS``,
``__USE_TLS``, ``__FROM_ADDRESS``); the channel is off until ``HOST`` is set. Messages leave through the outbox like
every push channel: a 4xx answer or a lost connection is retried with backoff, a 5xx refusal of the recipient
("no such user") fails the message at once. Error texts never carry the address (personal data).
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import ClassVar

import aiosmtplib

from bot.channels.base import Capabilities, Channel
from bot.errors import ChannelError, Undeliverable
from bot.messages import OutboundMessage
from bot.settings import Settings

_FIRST_SENTENCE = re.compile(r"^(.+?[.!?。！？])(\s|$)", re.S)
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def subject_of(text: str, fallback: str, limit: int = 78) -> str:
    """The first sentence of the text, on one line, at most ``limit`` characters."""
    first = text.strip().splitlines()[0] if text.strip() else fallback
    m = _FIRST_SENTENCE.match(first)
    subject = (m.group(1) if m else first).strip()
    return subject if len(subject) <= limit else subject[: limit - 1].rstrip() + "…"


class EmailChannel(Channel):
    name: ClassVar[str] = "email"
    capabilities: ClassVar[Capabilities] = Capabilities(buttons=False, max_length=100_000, rate_per_second=5.0)

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        return bool(settings.smtp.host)

    def describe(self) -> str:
        smtp = self.settings.smtp
        tls = "TLS" if smtp.use_tls else ("STARTTLS" if smtp.starttls else "plain")
        return f"email: outbound via {smtp.host}:{smtp.port} ({tls})"

    def compose(self, msg: OutboundMessage) -> EmailMessage:
        smtp = self.settings.smtp
        text = "\n\n".join(self.render(msg).texts)
        mail = EmailMessage()
        mail["From"] = smtp.from_address
        mail["To"] = msg.recipient_id
        mail["Subject"] = str(msg.payload.get("subject") or subject_of(text, self.settings.airline_name))
        mail["Date"] = formatdate(localtime=False)
        domain = smtp.from_address.rpartition("@")[2] or None
        # one Message-ID per outbox row: a retry after a lost acknowledgement is recognisably the same message
        mail["Message-ID"] = make_msgid(idstring=f"outbox-{msg.outbox_id}", domain=domain)
        mail.set_content(text)
        return mail

    async def send(self, msg: OutboundMessage) -> str | None:
        if not _ADDRESS.match(msg.recipient_id):
            raise Undeliverable("not an e-mail address")
        smtp = self.settings.smtp
        mail = self.compose(msg)
        try:
            await aiosmtplib.send(
                mail,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password.get_secret_value() if smtp.password else None,
                use_tls=smtp.use_tls,
                start_tls=False if smtp.use_tls else smtp.starttls,
                timeout=smtp.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({r.code for r in exc.recipients})
            raise self._refused(codes[0] if codes else 550) from None
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as exc:
            raise self._refused(exc.code) from None
        except aiosmtplib.SMTPResponseException as exc:  # login, sender, greeting: our configuration, not the message
            raise ChannelError(f"SMTP server refused us ({exc.code} {type(exc).__name__}): check CRISISBOT_SMTP__*"
                               ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP server unreachable: {type(exc).__name__}") from None
        return str(mail["Message-ID"])

    @staticmethod
    def _refused(code: int) -> ChannelError:
        if 500 <= code < 600:
            return Undeliverable(f"SMTP refused the message for good ({code})")
        return ChannelError(f"SMTP refused the message for now ({code})")
