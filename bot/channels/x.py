"""X / Twitter (API v2 through tweepy's ``AsyncClient``): direct messages carry the conversation, public mentions get
a short public reply that moves the passenger to direct messages, crisis updates are posts (threaded when long).

Inbound, one of two modes (``CRISISBOT_X__MODE``):

* ``webhook``: Account Activity-style events POSTed to ``/webhooks/x`` (``tweet_create_events``,
  ``direct_message_events``), signed with ``x-twitter-webhooks-signature`` = ``sha256=`` base64(HMAC-SHA256(consumer
  secret, raw body)), 403 otherwise; ``GET /webhooks/x?crc_token=...`` answers the CRC challenge.
* ``polling``: the ``XPoller`` service (once per deployment) reads new mentions and DM events every
  ``poll_seconds``; the last ids seen are kept in the database, so a restart neither loses nor repeats anything.

Either way an event is handed to the pipeline with its platform id (``tweet:<id>``, ``dm:<id>``): an event delivered
five times is one message. The account's own posts and DMs are ignored.

A public mention goes through the pipeline like a DM from its author (a mention that asks "rebook" opens the
DM conversation with that ask understood); its replies travel by DM. The public answer is one fixed text per language
(``bot/texts.py``: ``x_public_reply``) that never repeats what the passenger posted, so a booking code, name, e-mail
or phone posted publicly is never echoed; it carries the "send a DM" deep link.

Outbound through the outbox: DMs (``create_direct_message``), public replies and broadcasts as posts
(``create_tweet``); a broadcast longer than 280 weighted characters becomes a reply chain, resumable after a failure
half-way (parts already posted are not posted again). Posts stay within ``posts_per_15min`` for the whole
deployment: the outbox dispatcher runs in one process, and the window is read back from the outbox after a restart.

tweepy builds the request (OAuth 1.0a user context, or a bearer token), maps HTTP errors to its exceptions, and we
translate them here, once: 429 -> ``RateLimited`` (until ``x-rate-limit-reset``), 5xx / network -> ``ChannelError``
(retried with backoff), 400/403/404 -> ``Undeliverable`` (the passenger cannot receive DMs from us: not retried).
tweepy hard-codes ``https://api.twitter.com``; a session that rebases that prefix onto ``base_url`` lets tests (and
proxies) point it elsewhere without reimplementing any of it.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import hashlib
import hmac
import importlib
import importlib.util
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import aiohttp
import structlog
import tweepy
import tweepy.errors
from sqlalchemy import select
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tweepy.asynchronous import AsyncClient
from yarl import URL

from bot import errors
from bot.channels.base import Capabilities, Channel, ChannelContext, read_body, verified
from bot.errors import BadRequest, ChannelError, Forbidden, RateLimited
from bot.messages import InboundMessage, OutboundMessage, ReceiveResult
from bot.services.base import PeriodicService
from bot.settings import Settings
from bot.texts import text_for

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.routing import BaseRoute

log = structlog.get_logger("crisisbot.x")

TWITTER_API = "https://api.twitter.com"  # what tweepy's AsyncBaseClient.request puts before every route
TIMELINE = "timeline"  # the recipient of public posts (crisis broadcasts)
PUBLIC_REPLY = "x_public_reply"  # outbox kind: the short public answer to a mention
POST_LIMIT = 280  # weighted characters per post
DM_LIMIT = 10_000  # characters per direct message
POST_WINDOW = 15 * 60.0  # the tier's posting window (posts_per_15min)
SIGNATURE_HEADER = "x-twitter-webhooks-signature"

# Undeliverable (not retried) landed with the Telegram channel; without it a refusal is an ordinary ChannelError
Undeliverable: type[ChannelError] = getattr(errors, "Undeliverable", ChannelError)


# ---- counting as X counts ------------------------------------------------------------------------------------------

_URL = re.compile(r"https?://\S+", re.IGNORECASE)
# twitter-text v3: code points in these ranges weigh 1, every other code point (CJK, emoji ...) weighs 2
_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
URL_WEIGHT = 23


def _char_weight(ch: str) -> int:
    cp = ord(ch)
    return 1 if any(lo <= cp <= hi for lo, hi in _LIGHT) else 2


def weighted_length(text: str) -> int:
    """A post's length as X counts it (twitter-text v3): every URL 23, CJK and emoji 2, most other characters 1.

    Emoji sequences joined by zero-width joiners count a little more here than on X (each part 2): conservative.
    """
    total, pos = 0, 0
    for m in _URL.finditer(text):
        total += sum(_char_weight(c) for c in text[pos:m.start()]) + URL_WEIGHT
        pos = m.end()
    return total + sum(_char_weight(c) for c in text[pos:])


def _fit(text: str, limit: int) -> int:
    """The longest prefix (in code points) of ``text`` that weighs at most ``limit``."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if weighted_length(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def split_weighted(text: str, limit: int) -> list[str]:
    """Split on paragraph, line or word boundaries so that no part weighs more than ``limit``; a URL is never cut."""
    text = text.strip()
    parts: list[str] = []
    while weighted_length(text) > limit:
        fit = max(_fit(text, limit), 1)
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = text.rfind(sep, 0, fit + 1)
            if cut > fit // 3:
                break
        if cut <= 0:
            cut = fit
            for m in _URL.finditer(text):  # do not cut through a link
                if m.start() < cut < m.end() and m.start() > 0:
                    cut = m.start()
        part = text[:cut].rstrip()
        if part:
            parts.append(part)
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def thread_parts(text: str, limit: int = POST_LIMIT) -> list[str]:
    """A post, or a numbered reply chain ("1/3" ...) whose every part is at most ``limit`` weighted characters."""
    if weighted_length(text.strip()) <= limit:
        return [text.strip()]
    reserve = len(" (99/99)")
    pieces = split_weighted(text, limit - reserve)
    n = len(pieces)
    return [f"{p} ({i}/{n})" for i, p in enumerate(pieces, 1)]


# ---- the HTTP session that points tweepy at the configured API -----------------------------------------------------


class RebasedSession:
    """What tweepy's ``AsyncClient`` uses as its ``session``: an aiohttp session whose requests to
    ``https://api.twitter.com`` go to ``base_url`` instead (tweepy still builds, signs and judges every request)."""

    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))

    def rebase(self, url: str | URL) -> str | URL:
        raw = str(url)
        if self.base_url == TWITTER_API or not raw.startswith(TWITTER_API):
            return url
        rebased = self.base_url + raw[len(TWITTER_API):]
        return URL(rebased, encoded=True) if isinstance(url, URL) else rebased

    def request(self, method: str, url: str | URL, **kwargs: Any) -> Any:
        return self._session.request(method, self.rebase(url), **kwargs)

    @property
    def closed(self) -> bool:
        return self._session.closed

    async def close(self) -> None:
        await self._session.close()


def translate(exc: BaseException) -> ChannelError:
    """tweepy's and aiohttp's errors as bot.errors, in one place."""
    if isinstance(exc, tweepy.errors.TooManyRequests):
        reset = exc.reset_time
        wait = max(1.0, reset - time.time()) if reset else 60.0
        return RateLimited(f"X API rate limit (429), retry in {wait:.0f}s", min(wait, POST_WINDOW))
    if isinstance(exc, tweepy.errors.TwitterServerError):
        return ChannelError(f"X API server error ({exc.response.status})")
    if isinstance(exc, tweepy.errors.Unauthorized):
        return ChannelError("X API refused our credentials (401)")
    if isinstance(exc, (tweepy.errors.Forbidden, tweepy.errors.BadRequest, tweepy.errors.NotFound)):
        codes = ", ".join(str(c) for c in getattr(exc, "api_codes", [])[:3])
        return Undeliverable(f"X API refused the message ({exc.response.status}{': ' + codes if codes else ''})")
    if isinstance(exc, tweepy.errors.HTTPException):
        return ChannelError(f"X API error ({exc.response.status})")
    if isinstance(exc, (aiohttp.ClientError, TimeoutError)):
        return ChannelError(f"X API unreachable ({type(exc).__name__})")
    return ChannelError(f"X API call failed ({type(exc).__name__})")


def signature(secret: str, data: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


_LEADING_MENTIONS = re.compile(r"^(?:\s*@\w{1,15})+\s*")


class PostWindow:
    """At most ``limit`` posts in any 15 minutes (the account tier's limit), for the whole deployment: posts are made
    by the outbox dispatcher, which runs in one process; after a restart the window is read back from the outbox."""

    def __init__(self, limit: int, window: float = POST_WINDOW) -> None:
        self.limit, self.window = max(1, limit), window
        self.times: collections.deque[float] = collections.deque()
        self.seeded = False

    def seed(self, times: Iterable[float]) -> None:
        self.times.extend(sorted(times))
        self.seeded = True

    def wait_for(self, n: int, now: float | None = None) -> float:
        """Seconds until ``n`` more posts fit (0: now)."""
        now = time.time() if now is None else now
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()
        n = min(n, self.limit)
        over = len(self.times) + n - self.limit
        if over <= 0:
            return 0.0
        return max(0.5, self.times[over - 1] + self.window - now)

    def add(self, when: float | None = None) -> None:
        self.times.append(time.time() if when is None else when)


class XChannel(Channel):
    name: ClassVar[str] = "x"
    capabilities: ClassVar[Capabilities] = Capabilities(
        buttons=False, markup=False, max_length=DM_LIMIT, broadcast=True,
        rate_per_second=None, rate_per_recipient=1.0,
    )

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        s = ctx.settings.x
        # the overall send rate: the tier's DMs and posts per 15 minutes (posts are also held to their own window)
        self.capabilities = Capabilities(  # type: ignore[misc]
            buttons=False, markup=False, max_length=DM_LIMIT, broadcast=True,
            rate_per_second=(s.dms_per_15min + s.posts_per_15min) / POST_WINDOW, rate_per_recipient=1.0,
        )
        self.xs = s
        self.user_id: str | None = s.user_id
        self.posts = PostWindow(s.posts_per_15min)
        self.client: AsyncClient | None = None
        self.session: RebasedSession | None = None

    # ---- settings and life cycle -----------------------------------------------------------------------------------

    @staticmethod
    def _secret(value: Any) -> str | None:
        return value.get_secret_value() if value is not None else None

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        s = settings.x
        user_context = all(v is not None for v in (s.consumer_key, s.consumer_secret, s.access_token,
                                                    s.access_token_secret))
        return user_context or s.bearer_token is not None

    @property
    def user_auth(self) -> bool:
        return self.xs.access_token is not None and self.xs.consumer_key is not None

    async def initialize(self) -> None:
        s = self.xs
        self.session = RebasedSession(s.base_url, s.timeout)
        self.client = AsyncClient(
            bearer_token=self._secret(s.bearer_token), consumer_key=self._secret(s.consumer_key),
            consumer_secret=self._secret(s.consumer_secret), access_token=self._secret(s.access_token),
            access_token_secret=self._secret(s.access_token_secret),
        )
        self.client.session = self.session
        if self.user_id is None:
            try:
                me = await self.call(self.client.get_me, user_auth=self.user_auth)
                self.user_id = str(me.data.id)
            except ChannelError as exc:  # not fatal: known from the webhook's for_user_id, or the next call
                log.warning("x_get_me_failed", error=str(exc))

    async def shutdown(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None
        self.client = None

    def describe(self) -> str:
        mode = "webhook /webhooks/x" if self.xs.mode == "webhook" else f"polling every {self.xs.poll_seconds:g}s"
        return f"x: {mode}, posts <= {self.xs.posts_per_15min}/15 min"

    def broadcast_recipient(self) -> str | None:
        return TIMELINE

    async def call(self, fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """One API call through tweepy, its errors translated."""
        try:
            return await fn(*args, **kwargs)
        except (tweepy.errors.TweepyException, aiohttp.ClientError, TimeoutError) as exc:
            raise translate(exc) from None

    # ---- inbound ---------------------------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        if self.xs.mode != "webhook":
            return []
        return [Route("/webhooks/x", self.crc, methods=["GET"]),
                Route("/webhooks/x", verified(self.check_signature)(self.webhook), methods=["POST"])]

    def _consumer_secret(self) -> str:
        secret = self._secret(self.xs.consumer_secret)
        if not secret:
            raise Forbidden("the X webhook needs CRISISBOT_X__CONSUMER_SECRET")
        return secret

    async def crc(self, request: Request) -> Response:
        token = request.query_params.get("crc_token", "")
        if not token or len(token) > 1024:
            raise BadRequest("crc_token missing")
        return JSONResponse({"response_token": signature(self._consumer_secret(), token.encode())})

    def check_signature(self, request: Request, body: bytes) -> None:
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), signature(self._consumer_secret(), body).encode()):
            raise Forbidden("missing or wrong x-twitter-webhooks-signature")

    async def webhook(self, request: Request) -> Response:
        body = await read_body(request, 1024 * 1024)
        try:
            event = json.loads(body)
        except ValueError:
            raise BadRequest("the body is not JSON") from None
        if not isinstance(event, dict):
            raise BadRequest("the body is not a JSON object")
        for_user = event.get("for_user_id")
        if isinstance(for_user, (str, int)) and self.user_id is None:
            self.user_id = str(for_user)
        handled = 0
        for tweet in _list(event.get("tweet_create_events")):
            handled += await self.handle_tweet_event(tweet)
        for dm in _list(event.get("direct_message_events")):
            handled += await self.handle_dm_event(dm)
        return JSONResponse({"ok": True, "handled": handled})

    def _own(self, user_id: str) -> bool:
        return self.user_id is not None and user_id == self.user_id

    async def handle_tweet_event(self, tweet: dict[str, Any]) -> int:
        """An Account Activity ``tweet_create_events`` item (v1.1 shape)."""
        user = _dict(tweet.get("user"))
        tweet_id = _id(tweet.get("id_str") or tweet.get("id"))
        author = _id(user.get("id_str") or user.get("id"))
        if tweet_id is None or author is None or self._own(author) or "retweeted_status" in tweet:
            return 0
        extended = _dict(tweet.get("extended_tweet"))
        text = extended.get("full_text") or tweet.get("full_text") or tweet.get("text") or ""
        name = user.get("name") if isinstance(user.get("name"), str) else None
        await self.handle_mention(tweet_id, author, str(text), name)
        return 1

    async def handle_dm_event(self, dm: dict[str, Any]) -> int:
        """An Account Activity ``direct_message_events`` item (``message_create``)."""
        if dm.get("type") != "message_create" or not isinstance(dm.get("message_create"), dict):
            return 0
        mc = dm["message_create"]
        event_id, sender = _id(dm.get("id")), _id(mc.get("sender_id"))
        data = _dict(mc.get("message_data"))
        if event_id is None or sender is None or self._own(sender):
            return 0
        await self.handle_dm(event_id, sender, str(data.get("text") or ""))
        return 1

    async def handle_dm(self, event_id: str, sender: str, text: str) -> ReceiveResult:
        return await self.receiver.receive(
            InboundMessage(channel=self.name, sender_id=sender, text=text, message_id=f"dm:{event_id}",
                           metadata={"x": "dm", "dm_event_id": event_id})
        )

    async def handle_mention(self, tweet_id: str, author: str, text: str, name: str | None = None) -> ReceiveResult:
        """A public mention: the ask goes through the pipeline as the start (or next turn) of the author's DM
        conversation, and the mention gets one short public reply that moves the passenger to DMs."""
        asked = _LEADING_MENTIONS.sub("", text).strip() or text
        result = await self.receiver.receive(
            InboundMessage(channel=self.name, sender_id=author, text=asked, message_id=f"tweet:{tweet_id}",
                           sender_name=name, metadata={"x": "mention", "tweet_id": tweet_id})
        )
        await self._public_reply_once(result, tweet_id, author)
        return result

    async def _public_reply_once(self, result: ReceiveResult, tweet_id: str, author: str) -> None:
        """One public reply per mention, whoever handles it and however often (a redelivered event, a second process,
        a poll after a restart: the store checks and adds in one transaction); none while a colleague owns the
        conversation (the bot said nothing then)."""
        from bot.store.repo import NewOutbound

        text = text_for("x_public_reply", result.language or "en")
        await self.ctx.store.add_reply_once(
            result.inbound_id, result.conversation_id, PUBLIC_REPLY,
            NewOutbound(channel=self.name, recipient_id=author, payload={"text": text, "in_reply_to": tweet_id}),
        )

    # ---- outbound --------------------------------------------------------------------------------------------------

    async def send(self, msg: OutboundMessage) -> str | None:
        if self.client is None:
            raise ChannelError("the X channel is not initialised")
        if msg.kind == PUBLIC_REPLY:
            reply_to = _id(msg.payload.get("in_reply_to"))
            return await self._post_parts(msg, [msg.text[:POST_LIMIT * 2]][:1], reply_to, deep_link=True)
        if msg.recipient_id == TIMELINE:
            return await self._post_parts(msg, thread_parts(msg.text), _id(msg.payload.get("in_reply_to")))
        return await self._send_dm(msg)

    async def _send_dm(self, msg: OutboundMessage) -> str | None:
        assert self.client is not None
        texts = [t for t in self.render(msg).texts if t.strip()]
        done = int(getattr(msg, "parts_sent", 0) or 0)
        last: str | None = getattr(msg, "last_platform_id", None)
        for i, text in enumerate(texts):
            if i < done:
                continue
            try:
                r = await self.call(self.client.create_direct_message, participant_id=msg.recipient_id, text=text,
                                    user_auth=self.user_auth)
            except ChannelError as exc:
                _progress(exc, i, done, last)
                raise
            last = _id((r.data or {}).get("dm_event_id")) or last
        return last

    def _deep_link(self) -> str | None:
        return f"https://twitter.com/messages/compose?recipient_id={self.user_id}" if self.user_id else None

    async def _post_parts(self, msg: OutboundMessage, parts: list[str], reply_to: str | None,
                          deep_link: bool = False) -> str | None:
        """Posts ``parts`` as a reply chain (each part answers the previous one). Parts posted by an earlier attempt
        are skipped; the tier's window is checked for the whole rest of the chain before the first post."""
        assert self.client is not None
        done = int(getattr(msg, "parts_sent", 0) or 0)
        last: str | None = getattr(msg, "last_platform_id", None) if done else None
        await self._seed_window()
        wait = self.posts.wait_for(len(parts) - done)
        if wait > 0:
            raise RateLimited(f"X posting limit ({self.xs.posts_per_15min} per 15 min) reached", wait)
        for i, text in enumerate(parts):
            if i < done:
                continue
            kwargs: dict[str, Any] = {"text": text, "user_auth": self.user_auth}
            target = last or reply_to
            if target:
                kwargs["in_reply_to_tweet_id"] = target
            if deep_link and self._deep_link():
                kwargs["direct_message_deep_link"] = self._deep_link()
            try:
                r = await self.call(self.client.create_tweet, **kwargs)
            except ChannelError as exc:
                _progress(exc, i, done, last)
                raise
            self.posts.add()
            last = _id((r.data or {}).get("id")) or last
        return last

    async def _seed_window(self) -> None:
        """Read back the posts of the last 15 minutes from the outbox (after a restart or a change of leader)."""
        if self.posts.seeded:
            return
        from bot.store.models import OutboxItem

        t = OutboxItem.__table__
        since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=POST_WINDOW)
        times: list[float] = []
        async with self.ctx.store.transaction() as conn:
            rows = (await conn.execute(
                select(t.c.recipient_id, t.c.payload, t.c.sent_at)
                .where(t.c.channel == self.name, t.c.status == "sent", t.c.sent_at >= since)
            )).all()
        for recipient, payload, sent_at in rows:
            payload = payload or {}
            if payload.get("kind") == PUBLIC_REPLY:
                n = 1
            elif recipient == TIMELINE:
                n = len(thread_parts(str(payload.get("text", ""))))
            else:
                continue
            at = sent_at.replace(tzinfo=dt.UTC) if sent_at.tzinfo is None else sent_at
            times.extend([at.timestamp()] * n)
        self.posts.seed(times)


def _progress(exc: ChannelError, i: int, done: int, last: str | None) -> None:
    """Record on the error how far a multi-part message got, so the outbox's retry sends only the rest."""
    if i > done:
        exc.parts_sent = i
        exc.platform_id = last


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


_ID = re.compile(r"^[0-9]{1,20}$")


def _id(value: Any) -> str | None:
    """A platform id (a decimal snowflake), or None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    return value if isinstance(value, str) and _ID.match(value) else None


# ---- polling ---------------------------------------------------------------------------------------------------------


# the channel cursors store (bot/store/cursors.py, table channel_cursors) keeps the last ids polled
HAVE_CURSORS = importlib.util.find_spec("bot.store.cursors") is not None
MENTIONS_CURSOR = "x:mentions"
DMS_CURSOR = "x:dm_events"


class XPoller(PeriodicService):
    """Polling mode: new mentions and DM events every ``poll_seconds``, once per deployment (the leader). The last
    ids handled are kept in the database (channel cursors): after a restart nothing is reprocessed or lost."""

    name: ClassVar[str] = "x-poller"
    singleton: ClassVar[bool] = True

    def __init__(self, channel: XChannel) -> None:
        super().__init__()
        self.channel = channel
        self.interval = channel.xs.poll_seconds

    async def start(self) -> None:
        if not HAVE_CURSORS:  # never poll without a place to keep how far we read: everything would be re-read
            log.error("x_polling_unavailable", reason="no channel cursor store in this version")
            return
        await super().start()

    async def tick(self) -> None:
        await self.poll_mentions()
        await self.poll_dms()

    async def _cursor(self, name: str) -> int | None:
        cursors = importlib.import_module("bot.store.cursors")
        position = await cursors.get(self.channel.ctx.store, name)
        return int(position) if position is not None else None

    async def _advance(self, name: str, position: int) -> None:
        cursors = importlib.import_module("bot.store.cursors")
        await cursors.advance(self.channel.ctx.store, name, position)

    async def poll_mentions(self) -> int:
        ch = self.channel
        assert ch.client is not None
        if ch.user_id is None:
            me = await ch.call(ch.client.get_me, user_auth=ch.user_auth)
            ch.user_id = str(me.data.id)
        since = await self._cursor(MENTIONS_CURSOR)
        found: list[tuple[int, str, str, str | None]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"max_results": 100, "expansions": ["author_id"],
                                      "tweet_fields": ["author_id", "created_at"], "user_auth": ch.user_auth}
            if since is not None:
                params["since_id"] = since
            if token:
                params["pagination_token"] = token
            r = await ch.call(ch.client.get_users_mentions, ch.user_id, **params)
            names = {str(u.id): u.name for u in (r.includes or {}).get("users", [])}
            for t in r.data or []:
                author = str(t.author_id) if t.author_id is not None else None
                if author and _id(str(t.id)):
                    found.append((int(t.id), author, t.text or "", names.get(author)))
            token = (r.meta or {}).get("next_token")
            if not token or since is None:  # the first poll ever answers the latest page only, not the archive
                break
        n = 0
        for tweet_id, author, text, name in sorted(found):
            if not ch._own(author):
                await ch.handle_mention(str(tweet_id), author, text, name)
                n += 1
            await self._advance(MENTIONS_CURSOR, tweet_id)
        return n

    async def poll_dms(self) -> int:
        ch = self.channel
        assert ch.client is not None
        since = await self._cursor(DMS_CURSOR)
        found: list[tuple[int, str, str]] = []
        token: str | None = None
        while True:  # newest first: read back until the last one handled
            params: dict[str, Any] = {"max_results": 100, "event_types": "MessageCreate",
                                      "dm_event_fields": ["id", "text", "sender_id", "created_at",
                                                          "dm_conversation_id", "event_type"],
                                      "user_auth": ch.user_auth}
            if token:
                params["pagination_token"] = token
            r = await ch.call(ch.client.get_direct_message_events, **params)
            reached = False
            for e in r.data or []:
                eid = _id(str(e.id))
                if eid is None:
                    continue
                if since is not None and int(eid) <= since:
                    reached = True
                    continue
                sender = _id(str(e.sender_id)) if getattr(e, "sender_id", None) is not None else None
                if sender:
                    found.append((int(eid), sender, e.text or ""))
            token = (r.meta or {}).get("next_token")
            if reached or not token or since is None:
                break
        n = 0
        for position, sender, text in sorted(found):
            if not ch._own(sender):
                await ch.handle_dm(str(position), sender, text)
                n += 1
            await self._advance(DMS_CURSOR, position)
        return n
