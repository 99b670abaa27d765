"""Telegram through python-telegram-bot 22 (its ``Bot`` and HTTPX request machinery; the Bot API base URL is a
setting, so tests point it at a local fake server).

Inbound, one of two modes (``CRISISBOT_TELEGRAM__MODE``):

* ``webhook`` (default): Telegram POSTs updates to ``/webhooks/telegram``; a request without the right
  ``X-Telegram-Bot-Api-Secret-Token`` gets 403. The update is answered (200) only after the pipeline stored it, so an
  update Telegram retries after a failure is neither lost nor processed twice (its ``update_id`` is the dedupe key).
  With ``CRISISBOT_PUBLIC_URL`` set, the webhook is registered (setWebhook) at start.
* ``polling``: ``TelegramPoller``, a once-per-deployment service (it runs in the leader process only), calls
  getUpdates; its offset lives in the database (``channel_cursors``) and moves on only after the updates before it are
  stored, so a restart neither reprocesses nor loses updates.

Private chats only (group and channel posts are acknowledged and ignored). Buttons become an inline keyboard; a
pressed button (a callback query) is answered (answerCallbackQuery) and its payload becomes the passenger's message.

Outbound through the outbox (Telegram is a push channel: the dispatcher sends): at most ~30 messages/s overall and
1/s per chat, split at 4,096 UTF-16 code units, always plain text (no ``parse_mode``: nothing a passenger or an
agent writes can be read as HTML or Markdown). 429 -> ``RateLimited(retry_after)``; 5xx and network errors ->
``ChannelError`` (retried with backoff); 403 (the passenger blocked the bot) and 400 (chat not found ...) ->
``Undeliverable`` (failed at once: retrying cannot help).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import warnings
from collections.abc import Awaitable, Iterable
from typing import Any, ClassVar, TypeVar

import structlog
import telegram
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import error as tg_error
from telegram.request import HTTPXRequest

from bot.channels.base import Capabilities, Channel, ChannelContext, utf16_length, verified
from bot.errors import (
    BadRequest,
    ChannelError,
    ConcurrencyConflict,
    ConfigurationError,
    Forbidden,
    RateLimited,
    StoreError,
    Undeliverable,
)
from bot.messages import InboundMessage, OutboundMessage
from bot.services.base import PeriodicService
from bot.settings import Settings
from bot.store import cursors

log = structlog.get_logger("crisisbot.telegram")

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
ALLOWED_UPDATES = ("message", "callback_query")
CALLBACK_DATA_MAX = 64  # bytes: Telegram's limit on callback_data

T = TypeVar("T")


def retry_after_seconds(exc: tg_error.RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about the int form; we accept both
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def translated(call: Awaitable[T]) -> T:
    """Await a PTB call and translate its errors into bot.errors, once, here at the edge."""
    try:
        return await call
    except tg_error.RetryAfter as exc:
        raise RateLimited(f"telegram: {exc.message}", retry_after_seconds(exc)) from None
    except tg_error.Forbidden as exc:  # 403: bot blocked by the user, user deactivated, ...
        raise Undeliverable(f"telegram: {exc.message}") from None
    except tg_error.ChatMigrated as exc:
        raise Undeliverable(f"telegram: chat migrated to {exc.new_chat_id}") from None
    except tg_error.BadRequest as exc:  # 400: chat not found, message invalid: the same request fails again
        raise Undeliverable(f"telegram: {exc.message}") from None
    except tg_error.InvalidToken:
        raise ChannelError("telegram: the bot token was rejected (401/404)") from None  # never the token itself
    except tg_error.TelegramError as exc:  # 5xx, timeouts, network, 409
        raise ChannelError(f"telegram: {type(exc).__name__}: {exc.message}") from None


def keyboard(buttons: Iterable[dict[str, str]], outbox_id: int) -> telegram.InlineKeyboardMarkup:
    """Buttons as an inline keyboard: short titles side by side (up to 4 a row), longer ones one a row.

    A payload longer than Telegram's 64 bytes of callback data travels as a reference (``#<outbox id>:<index>``) that
    ``TelegramChannel.resolve_callback`` looks up again.
    """
    items = list(buttons)
    keys = []
    for i, b in enumerate(items):
        payload = str(b["payload"])
        data = payload if len(payload.encode()) <= CALLBACK_DATA_MAX and not payload.startswith("#") else \
            f"#{outbox_id}:{i}"
        keys.append(telegram.InlineKeyboardButton(text=str(b["title"])[:256], callback_data=data))
    width = 4 if all(len(str(b["title"])) <= 8 for b in items) else 1
    return telegram.InlineKeyboardMarkup([keys[i:i + width] for i in range(0, len(keys), width)])


class TelegramChannel(Channel):
    name: ClassVar[str] = "telegram"
    capabilities: ClassVar[Capabilities] = Capabilities(
        buttons=True, markup=False, max_length=4096, rate_per_second=30.0, rate_per_recipient=1.0, broadcast=True,
    )
    def measure(self, text: str) -> int:
        return utf16_length(text)

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        tg = self.settings.telegram
        assert tg.token is not None
        self.tg = tg
        self.bot = telegram.Bot(
            tg.token.get_secret_value(),
            base_url=tg.base_url,
            request=HTTPXRequest(connection_pool_size=64, read_timeout=tg.timeout, write_timeout=tg.timeout,
                                 connect_timeout=tg.timeout, pool_timeout=tg.timeout),
            get_updates_request=HTTPXRequest(connection_pool_size=2, read_timeout=tg.timeout,
                                             connect_timeout=tg.timeout),
        )

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        return settings.telegram.token is not None

    @property
    def bot_id(self) -> str:
        assert self.tg.token is not None
        return self.tg.token.get_secret_value().split(":", 1)[0]

    # ---- life cycle ------------------------------------------------------------------------------------------------

    async def initialize(self) -> None:
        if self.tg.mode == "webhook" and self.tg.secret_token is None:
            raise ConfigurationError(
                "Telegram webhook mode needs CRISISBOT_TELEGRAM__SECRET_TOKEN (it authenticates Telegram's requests); "
                "or set CRISISBOT_TELEGRAM__MODE=polling"
            )
        try:
            await self.bot.initialize()  # getMe: checks the token
        except tg_error.InvalidToken:
            raise ConfigurationError("the Telegram Bot API rejected CRISISBOT_TELEGRAM__TOKEN") from None
        except tg_error.TelegramError as exc:  # the API is unreachable now: sending retries later
            log.warning("telegram_unreachable_at_start", error=f"{type(exc).__name__}: {exc.message}")
        if self.tg.mode == "webhook" and self.settings.public_url:
            await self.register_webhook(self.settings.public_url.rstrip("/") + WEBHOOK_PATH)

    async def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            await self.bot.shutdown()

    async def register_webhook(self, url: str) -> None:
        assert self.tg.secret_token is not None
        try:
            await translated(self.bot.set_webhook(url, secret_token=self.tg.secret_token.get_secret_value(),
                                                  allowed_updates=list(ALLOWED_UPDATES)))
            log.info("telegram_webhook_registered", url=url)
        except ChannelError as exc:
            log.warning("telegram_webhook_not_registered", error=str(exc))

    def describe(self) -> str:
        if self.tg.mode == "polling":
            how = "long polling (getUpdates; offset kept in the database; runs in the leader process)"
        else:
            how = f"webhook POST {WEBHOOK_PATH} (X-Telegram-Bot-Api-Secret-Token checked)"
        extra = f"; broadcasts to {self.tg.broadcast_chat_id}" if self.tg.broadcast_chat_id else ""
        return f"telegram: {how}; Bot API {self.tg.base_url.rstrip('/')}/…{extra}"

    def broadcast_recipient(self) -> str | None:
        return self.tg.broadcast_chat_id

    # ---- inbound ---------------------------------------------------------------------------------------------------

    def _check_secret(self, request: Request, _body: bytes) -> None:
        expected = self.tg.secret_token
        given = request.headers.get(SECRET_HEADER)
        if expected is None or given is None or not hmac.compare_digest(
            given.encode(), expected.get_secret_value().encode()
        ):
            raise Forbidden("missing or wrong X-Telegram-Bot-Api-Secret-Token")

    def routes(self) -> list[BaseRoute]:
        if self.tg.mode != "webhook":
            return []

        @verified(self._check_secret)
        async def webhook(request: Request) -> Response:
            body = await request.body()  # read (at most MAX_WEBHOOK_BODY bytes, else 413) by ``verified``
            await self.handle_update(self.parse_update(body))
            return JSONResponse({"ok": True})  # only now: the update is stored (and answered, through the outbox)

        return [Route(WEBHOOK_PATH, webhook, methods=["POST"])]

    def parse_update(self, body: bytes) -> telegram.Update:
        try:
            data = json.loads(body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadRequest(f"body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise BadRequest("body is not a Telegram update (an object with an integer update_id)")
        try:
            update = telegram.Update.de_json(data, self.bot)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadRequest(f"malformed Telegram update: {type(exc).__name__}") from exc
        return update

    async def handle_update(self, update: telegram.Update) -> bool:
        """Hand one update to the pipeline; True when it was a passenger's message (stored and processed)."""
        inbound, callback = await self.to_inbound(update)
        if inbound is not None:
            await self.receiver.receive(inbound)
        if callback is not None:
            # after the message is stored: stops the button's spinner; cosmetic, so never fatal
            try:
                await translated(self.bot.answer_callback_query(callback.id))
            except ChannelError as exc:
                log.info("telegram_callback_not_answered", error=str(exc))
        return inbound is not None

    async def to_inbound(
        self, update: telegram.Update
    ) -> tuple[InboundMessage | None, telegram.CallbackQuery | None]:
        uid = str(update.update_id)
        if update.message is not None:
            m = update.message
            if m.chat.type != telegram.constants.ChatType.PRIVATE or (m.from_user and m.from_user.is_bot):
                return None, None  # groups and channels are not passenger conversations
            user = m.from_user
            text = m.text or m.caption or ""
            meta: dict[str, Any] = {"telegram_message_id": m.message_id}
            if user is not None and user.language_code:
                meta["language_code"] = user.language_code
            if not text:
                meta["non_text"] = True  # a sticker, photo without caption, location ...
            return InboundMessage(
                channel=self.name, sender_id=str(m.chat.id), text=text, message_id=uid,
                sender_name=user.first_name if user else None, metadata=meta,
            ), None
        if update.callback_query is not None:
            cq = update.callback_query
            chat = cq.message.chat if cq.message is not None else None
            if chat is not None and chat.type != telegram.constants.ChatType.PRIVATE:
                return None, None
            chat_id = str(chat.id) if chat is not None else str(cq.from_user.id)
            payload = await self.resolve_callback(cq.data or "", chat_id)
            if payload is None:
                return None, cq
            return InboundMessage(
                channel=self.name, sender_id=chat_id, text=payload, message_id=uid,
                sender_name=cq.from_user.first_name, metadata={"callback": True},
            ), cq
        return None, None  # edited messages, member updates, ...: nothing to answer

    async def resolve_callback(self, data: str, chat_id: str) -> str | None:
        """The payload a pressed button stands for (a long one travels as ``#<outbox id>:<index>``)."""
        if not data.startswith("#"):
            return data
        try:
            oid, index = (int(x) for x in data[1:].split(":", 1))
        except ValueError:
            return None
        from bot.store.db import table_of
        from bot.store.models import OutboxItem

        table = table_of(OutboxItem)
        async with self.ctx.store.transaction() as conn:
            row = (
                await conn.execute(
                    select(table.c.payload).where(table.c.id == oid, table.c.channel == self.name,
                                                  table.c.recipient_id == chat_id)
                )
            ).first()
        buttons = (row.payload or {}).get("buttons", []) if row is not None else []
        return str(buttons[index]["payload"]) if 0 <= index < len(buttons) else None

    # ---- outbound --------------------------------------------------------------------------------------------------

    async def send(self, msg: OutboundMessage) -> str | None:
        async def part(text: str, buttons: tuple[dict[str, str], ...], _previous: str | None) -> str | None:
            sent = await translated(
                self.bot.send_message(
                    chat_id=msg.recipient_id,
                    text=text,  # plain text: no parse_mode, so no markup is ever interpreted
                    reply_markup=keyboard(buttons, msg.outbox_id) if buttons else None,
                )
            )
            return str(sent.message_id)

        return await self.deliver(msg, part)


class TelegramPoller(PeriodicService):
    """Long polling (``CRISISBOT_TELEGRAM__MODE=polling``): once per deployment, offset in the database.

    One round (``tick``): getUpdates from the stored offset, hand every update to the pipeline (one sender's updates
    in order, senders concurrently), then move the offset past what is stored. An update that could not be stored
    (database down) keeps the offset before it: it comes again, and what was stored already is deduplicated.
    """

    name: ClassVar[str] = "telegram-poller"
    singleton: ClassVar[bool] = True
    interval: float = 0.0  # a round waits in getUpdates itself (long polling)

    def __init__(self, channel: TelegramChannel, *, limit: int = 100) -> None:
        super().__init__()
        self.channel = channel
        self.store = channel.ctx.store
        self.limit = limit
        self.cursor = f"telegram:{channel.bot_id}:updates"
        self.poll_timeout = channel.tg.poll_timeout
        self._webhook_removed = False
        self._failures = 0

    async def tick(self) -> None:
        try:
            await self.poll_once()
            self._failures = 0
        except RateLimited as exc:
            await asyncio.sleep(exc.retry_after)
        except (ChannelError, StoreError) as exc:
            self._failures += 1
            delay = min(2 ** self._failures, 60)
            log.warning("telegram_poll_failed", error=str(exc), retry_in=delay)
            await asyncio.sleep(delay)

    async def poll_once(self, wait: float | None = None) -> int:
        """One getUpdates round; returns how many updates were handed to the pipeline."""
        bot = self.channel.bot
        if not self._webhook_removed:  # getUpdates answers 409 while a webhook is set
            await translated(bot.delete_webhook(drop_pending_updates=False))
            self._webhook_removed = True
        offset = await cursors.get(self.store, self.cursor)
        updates = await translated(
            bot.get_updates(offset=offset, limit=self.limit,
                            timeout=round(self.poll_timeout if wait is None else wait),
                            allowed_updates=list(ALLOWED_UPDATES))
        )
        if not updates:
            return 0
        by_sender: dict[str, list[telegram.Update]] = {}
        for u in updates:
            chat = u.effective_chat
            by_sender.setdefault(str(chat.id) if chat else "", []).append(u)
        failed: list[int] = []

        async def run(group: list[telegram.Update]) -> int:
            n = 0
            for u in group:
                try:
                    n += await self.channel.handle_update(u)
                except (StoreError, ConcurrencyConflict):
                    failed.append(u.update_id)  # not stored: keep the offset before it; this sender waits
                    return n
                except Exception:  # a bug on one update must not stop polling; a stored one is recovered later
                    log.exception("telegram_update_failed", update_id=u.update_id)
            return n

        handled = sum(await asyncio.gather(*(run(g) for g in by_sender.values())))
        next_offset = min(failed) if failed else max(u.update_id for u in updates) + 1
        if offset is None or next_offset > offset:
            await cursors.advance(self.store, self.cursor, next_offset)
        if failed:
            raise StoreError(f"{len(failed)} update(s) not stored; they come again")
        return handled
