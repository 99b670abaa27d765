"""Slack (slack-bolt AsyncApp, slack-sdk AsyncWebClient): passengers in direct messages, agents and comms staff in
channels.

Paths (Events API over HTTP; every request signed with the app's signing secret, v0 HMAC over the raw body, at most
5 minutes old: 401 otherwise)::

    POST /webhooks/slack/events       message.im (passengers), message.channels/groups (agents' thread replies),
                                      url_verification answered
    POST /webhooks/slack/interactive  Block Kit buttons: a passenger's choice, an agent's Claim / Resolve / Return
    POST /webhooks/slack/commands     /crisis list|status|start|update|end for authorised staff

or Socket Mode (``CRISISBOT_SLACK__SOCKET_MODE=true`` with ``CRISISBOT_SLACK__APP_TOKEN``): the same handlers over
Slack's websocket, run by one singleton service (``SlackSocketService``) in the leader process.

The framework-neutral core is ``SlackCore`` (bolt listeners + sending); ``SlackChannel`` is the thin Starlette
adapter (routes, request verification) and the outbox's ``send``.

Passengers: a direct message is an ``InboundMessage`` whose sender is the Slack user id (replies are posted to that
id: the app's DM with them). Deduped by ``client_msg_id`` (else the ``event_id``) per (channel, sender), so Slack's
retries (``X-Slack-Retry-Num``) are acknowledged without a second turn. Buttons are Block Kit actions; a click is
the button's payload as the passenger's message.

Text from passengers and agents is never markup: ``&``, ``<`` and ``>`` are escaped (no ``<!channel>``, ``<@U..>``
or links), messages go out with ``mrkdwn: false`` and blocks use ``plain_text``.
"""

from __future__ import annotations

import re
import shlex
import time
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.base import Capabilities, Channel, ChannelContext
from bot.errors import BadRequest, ChannelError, RateLimited, Unauthorized
from bot.messages import InboundMessage, OutboundMessage
from bot.services.base import Service
from bot.settings import Settings

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

log = structlog.get_logger("crisisbot.slack")

PASSENGER_ACTION = re.compile(r"^reply:\d+$")
CASE_ACTION = re.compile(r"^case:(claim|resolve|return|release)$")
REFUSED = ("Sorry, this is for the airline's staff only. Ask an administrator to add you to the agents' queue "
           "channel or to CRISISBOT_SLACK__STAFF_USERS.")
STAFF_CACHE_SECONDS = 60.0


def escape(text: str) -> str:
    """Slack's control characters as entities: passenger or agent text never becomes a mention, link or command."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> dict[str, Any]:
    # plain_text objects are shown as they are (no mrkdwn, no mentions); Slack caps them at 3,000 characters
    return {"type": "plain_text", "text": text[:3000] or " ", "emoji": True}


def agent_id(name: str, user: str) -> str:
    """How a Slack agent is named on a case: the display name for the card and the signature, the user id to check
    who owns the case ("Anna de Vries (slack:U123)" signs as "Anna")."""
    return f"{' '.join(name.split())[:80] or user} (slack:{user})"


def agent_user(agent: str | None) -> str | None:
    m = re.search(r"\(slack:([A-Z0-9]+)\)$", agent or "")
    return m.group(1) if m else None


def agent_display(agent: str | None) -> str:
    return re.sub(r"\s*\(slack:[A-Z0-9]+\)$", "", agent or "")


class CrisisCommands(Protocol):
    """What ``/crisis`` needs of the crisis playbooks (bot/crisis); each returns the text to show the staff member."""

    async def list(self) -> str: ...
    async def status(self, ref: str | None) -> str: ...
    async def start(self, playbook: str, params: dict[str, str], actor: str) -> str: ...
    async def update(self, ref: str, stage: str | None, params: dict[str, str], actor: str) -> str: ...
    async def end(self, ref: str, actor: str) -> str: ...


CRISIS_USAGE = ("Usage: `/crisis list` | `/crisis status [id]` | `/crisis start <playbook> name=value ...` | "
                "`/crisis update <id> [stage=<stage>] [name=value ...]` | `/crisis end <id>`")


def parse_crisis_command(text: str) -> tuple[str, list[str], dict[str, str]]:
    """``start volcanic-ash airports=AMS,CDG until=...`` -> ("start", ["volcanic-ash"], {"airports": ..., ...})."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise BadRequest(f"cannot read the command: {exc}") from None
    if not words:
        return "help", [], {}
    args: list[str] = []
    params: dict[str, str] = {}
    for w in words[1:]:
        if "=" in w and not w.startswith("="):
            k, _, v = w.partition("=")
            params[k.strip()] = v.strip()
        else:
            args.append(w)
    return words[0].lower(), args, params


class SlackCore:
    """The framework-neutral part: the bolt app's listeners and the Web API calls (used by HTTP and Socket Mode)."""

    def __init__(self, settings: Settings, ctx: ChannelContext, client: AsyncWebClient) -> None:
        self.settings = settings
        self.ctx = ctx
        self.client = client
        self.crisis: CrisisCommands | None = None
        self._staff_cache: tuple[float, frozenset[str]] | None = None
        self._names: dict[str, str] = {}
        self.app = self._build_app()

    # ------------------------------------------------------------------ bolt
    def _build_app(self) -> AsyncApp:
        from slack_bolt.async_app import AsyncApp

        s = self.settings.slack
        app = AsyncApp(
            client=self.client,
            signing_secret=s.signing_secret.get_secret_value() if s.signing_secret else None,
            request_verification_enabled=s.signing_secret is not None,
            process_before_response=True,  # stored (and answered) before Slack gets its 200: nothing lost
            ignoring_self_events_enabled=True,
            url_verification_enabled=True,
            raise_error_for_unhandled_request=False,
        )
        app.event("message")(self._on_message)
        app.action(re.compile(r"^(reply:\d+|case:[a-z]+)$"))(self._on_action)
        app.command("/crisis")(self._on_crisis)
        return app

    async def _on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("subtype") or event.get("bot_id") or not isinstance(event.get("user"), str):
            return  # edits, joins, bots (ourselves included): not a person writing
        text = event.get("text")
        if not isinstance(text, str):
            return
        if event.get("channel_type") == "im":
            await self.passenger_says(
                user=event["user"], text=text,
                message_id=str(event.get("client_msg_id") or body.get("event_id") or f"ts:{event.get('ts')}"),
                metadata={"slack_channel": event.get("channel"), "ts": event.get("ts")},
            )
            return
        thread = event.get("thread_ts")
        if thread and thread != event.get("ts"):
            await self._agent_thread_reply(event, body, str(event.get("channel")), str(thread))

    async def passenger_says(self, *, user: str, text: str, message_id: str,
                             metadata: dict[str, Any] | None = None) -> None:
        await self.ctx.receiver.receive(InboundMessage(
            channel="slack", sender_id=user, text=text[:10_000], message_id=message_id[:255],
            metadata=metadata or {},
        ))

    async def _on_action(self, ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        user = (body.get("user") or {}).get("id")
        if not isinstance(user, str):
            return
        action_id = str(action.get("action_id", ""))
        value = str(action.get("value", ""))
        if PASSENGER_ACTION.match(action_id):
            channel = (body.get("channel") or {}).get("id", "")
            await self.passenger_says(user=user, text=value, message_id=f"action:{action.get('action_ts')}:{user}",
                                      metadata={"slack_channel": channel, "button": True})
            return
        m = CASE_ACTION.match(action_id)
        if m is None:
            return
        if not await self.is_staff(user):
            await self.ephemeral(body, user, REFUSED)
            return
        try:
            case_id = int(value)
        except ValueError:
            return
        message = await self.case_action(m.group(1), case_id, user)
        if message:
            await self.ephemeral(body, user, message)

    async def ephemeral(self, body: dict[str, Any], user: str, text: str) -> None:
        channel = (body.get("channel") or {}).get("id")
        if channel:
            try:
                await self.client.chat_postEphemeral(channel=channel, user=user, text=escape(text))
            except SlackApiError as exc:
                log.warning("slack_ephemeral_failed", error=str(exc.response.get("error")))

    # ------------------------------------------------------------------ staff
    async def is_staff(self, user: str) -> bool:
        s = self.settings.slack
        if user in s.staff_users:
            return True
        if s.staff_users or not s.queue_channel:
            return False  # an explicit list is the whole list
        now = time.monotonic()
        if self._staff_cache is None or now - self._staff_cache[0] > STAFF_CACHE_SECONDS:
            members: set[str] = set()
            cursor: str | None = None
            try:
                queues = {s.queue_channel, *self._case_queues()}
                for channel in sorted(q for q in queues if q):
                    while True:
                        r = await self.client.conversations_members(channel=channel, cursor=cursor, limit=200)
                        members.update(r.get("members") or [])
                        cursor = (r.get("response_metadata") or {}).get("next_cursor") or None
                        if not cursor:
                            break
            except SlackApiError as exc:
                log.warning("slack_members_failed", error=str(exc.response.get("error")))
                return False
            self._staff_cache = (now, frozenset(members))
        return user in self._staff_cache[1]

    def _case_queues(self) -> list[str]:
        cases = getattr(self.settings, "cases", None)
        return [str(v) for v in (getattr(cases, "slack_queues", None) or {}).values()]

    async def agent_name(self, user: str) -> str:
        if user not in self._names:
            name = user
            try:
                r = await self.client.users_info(user=user)
                u = r.get("user") or {}
                p = u.get("profile") or {}
                name = p.get("real_name") or u.get("real_name") or p.get("display_name") or u.get("name") or user
            except SlackApiError as exc:
                log.warning("slack_users_info_failed", error=str(exc.response.get("error")))
            self._names[user] = agent_id(str(name), user)
        return self._names[user]

    # ------------------------------------------------------------------ cases (bot/cases)
    def desk(self) -> Any:
        """The handoff desk (bot/cases): the pipeline's own, else one on the same store (it keeps no state)."""
        desk = getattr(self.ctx.receiver, "cases", None)
        if desk is not None:
            return desk
        from bot.cases import CaseDesk  # type: ignore[import-untyped,unused-ignore]  # the handoff desk

        return CaseDesk(self.ctx.store, self.settings)

    async def case_action(self, verb: str, case_id: int, user: str) -> str | None:
        """An agent's button on a case card; returns a note for that agent only (or None)."""
        from bot.errors import CrisisbotError

        agent = await self.agent_name(user)
        desk = self.desk()
        try:
            if verb == "claim":
                await desk.claim(case_id, agent)
                return None
            view = await desk.get(case_id)
            if view.claimed_by and view.claimed_by != agent and verb in ("resolve", "release"):
                return f"Case {case_id} is claimed by {agent_display(view.claimed_by)}."
            if view.state == "queued" and verb in ("resolve", "return"):
                await desk.claim(case_id, agent)  # taking it to close it: the audit says who did
            if verb == "resolve":
                await desk.resolve(case_id, agent)
            elif verb == "return":
                await desk.return_to_bot(case_id, agent)
            else:
                await desk.release(case_id, agent)
        except CrisisbotError as exc:
            return agent_display(str(exc)) or f"Case {case_id}: not possible now."
        return None

    async def _agent_thread_reply(self, event: dict[str, Any], body: dict[str, Any], channel: str,
                                  thread: str) -> None:
        case_id = await self.case_for_thread(channel, thread)
        if case_id is None:
            return
        key = str(event.get("client_msg_id") or body.get("event_id") or event.get("ts"))
        user = str(event["user"])
        from bot.errors import CrisisbotError

        if not await self.is_staff(user):
            await self._thread_note(channel, thread, REFUSED)
            return
        agent = await self.agent_name(user)
        desk = self.desk()
        try:
            view = await desk.get(case_id)
            if agent_user(view.claimed_by) != user:
                who = agent_display(view.claimed_by) if view.claimed_by else "nobody yet"
                await self._thread_note(channel, thread, f"Not relayed: case {case_id} is claimed by {who}. "
                                                         "Only the agent who claimed it talks to the passenger.")
                return
            await desk.reply(case_id, agent, str(event.get("text", "")), source=f"slack:{channel}:{key}")
        except CrisisbotError as exc:
            await self._thread_note(channel, thread, f"Not relayed: {agent_display(str(exc))}")
            return

    async def _thread_note(self, channel: str, thread: str, text: str) -> None:
        try:
            await self.client.chat_postMessage(channel=channel, thread_ts=thread, text=escape(text), mrkdwn=False)
        except SlackApiError as exc:
            log.warning("slack_note_failed", error=str(exc.response.get("error")))

    async def case_for_thread(self, channel: str, ts: str) -> int | None:
        """The case whose card is the message ``ts`` in ``channel`` (the card's outbox row holds its ts)."""
        from sqlalchemy import select

        from bot.store.models import OutboxItem

        async with self.ctx.store.transaction() as s:
            rows = (await s.execute(
                select(OutboxItem.payload).where(OutboxItem.channel == "slack", OutboxItem.recipient_id == channel,
                                                 OutboxItem.platform_message_id == ts)
            )).all()
        for (payload,) in rows:
            if (payload or {}).get("kind") == "case_card" and isinstance(payload.get("case_id"), int):
                return int(payload["case_id"])
        return None

    async def card_ts(self, outbox_id: Any) -> str | None:
        if not isinstance(outbox_id, int):
            return None
        from sqlalchemy import select

        from bot.store.models import OutboxItem

        async with self.ctx.store.transaction() as s:
            return (await s.execute(
                select(OutboxItem.platform_message_id).where(OutboxItem.id == outbox_id)
            )).scalar_one_or_none()

    # ------------------------------------------------------------------ /crisis
    async def _on_crisis(self, ack: Any, command: dict[str, Any]) -> None:
        user = str(command.get("user_id", ""))
        if not await self.is_staff(user):
            await ack(text=REFUSED, response_type="ephemeral")
            return
        text = await self.crisis_command(str(command.get("text", "")), user)
        await ack(text=text[:3000], response_type="ephemeral")

    async def crisis_command(self, text: str, user: str) -> str:
        from bot.errors import CrisisbotError

        try:
            verb, args, params = parse_crisis_command(text)
        except BadRequest as exc:
            return f"{exc}\n{CRISIS_USAGE}"
        if verb not in ("list", "status", "start", "update", "end"):
            return CRISIS_USAGE
        crisis = self.crisis or default_crisis_commands(self.ctx, self.settings)
        if crisis is None:
            return "Crisis playbooks are not available in this installation."
        # the staff member's name, as `crisisbot crisis ... --by NAME` takes it (CRISISBOT_CRISIS_STAFF lists names)
        actor = agent_display(await self.agent_name(user))
        try:
            if verb == "list":
                return await crisis.list()
            if verb == "status":
                return await crisis.status(args[0] if args else None)
            if not args:
                return CRISIS_USAGE
            if verb == "start":
                return await crisis.start(args[0], params, actor)
            if verb == "update":
                stage = params.pop("stage", None) or (args[1] if len(args) > 1 else None)
                return await crisis.update(args[0], stage, params, actor)
            return await crisis.end(args[0], actor)
        except (CrisisbotError, LookupError, ValueError) as exc:
            return f"Not done: {exc}"
        except Exception:
            log.exception("slack_crisis_command_failed", verb=verb)
            return "The crisis service failed (logged). Check `/crisis status` before trying again."

    # ------------------------------------------------------------------ sending
    async def call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """One Web API call with the platform's failures translated once: 429 -> RateLimited(retry_after), the rest
        (5xx, network, ok=false) -> ChannelError (the outbox retries with backoff)."""
        import aiohttp

        try:
            r = await self.client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            resp = exc.response
            if resp.status_code == 429:
                try:
                    retry = float(resp.headers.get("Retry-After", resp.headers.get("retry-after", 1)))
                except (TypeError, ValueError):
                    retry = 1.0
                raise RateLimited(f"slack {method}: rate limited", retry_after=max(retry, 0.0)) from None
            raise ChannelError(f"slack {method}: {resp.status_code} {resp.get('error')}") from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise ChannelError(f"slack {method}: {type(exc).__name__}") from None
        return dict(r.data) if isinstance(r.data, dict) else {}


def default_crisis_commands(ctx: ChannelContext, settings: Settings) -> CrisisCommands | None:
    """The crisis playbooks' manager behind ``/crisis`` (the pipeline's crisis mode keeps it), when this installation
    runs one."""
    manager = getattr(getattr(ctx.receiver, "crisis", None), "manager", None)
    return ManagerCrisisCommands(manager) if manager is not None else None


class ManagerCrisisCommands:
    """``CrisisCommands`` over bot/crisis's CrisisManager (start/update/end/status/list_crises/resolve_id), with short
    texts for Slack."""

    def __init__(self, manager: Any) -> None:
        self.m = manager

    @staticmethod
    def _line(c: dict[str, Any]) -> str:
        nxt = c.get("next_update_at")
        return (f"{c.get('id')}: {c.get('title') or c.get('playbook') or c.get('playbook_id')} - {c.get('status')}, "
                f"stage {c.get('stage')}" + (f", next update {nxt}" if nxt else ""))

    async def list(self) -> str:
        playbooks = getattr(self.m, "playbooks", None)
        ids = sorted(getattr(playbooks, "playbooks", None) or getattr(playbooks, "by_id", None) or [])
        running = await self.m.list_crises()
        lines = [f"Playbooks: {', '.join(map(str, ids)) or '-'}"]
        lines += [self._line(c) for c in running] or ["No crisis is running."]
        return "\n".join(lines)

    async def status(self, ref: str | None) -> str:
        st = await self.m.status(await self.m.resolve_id(ref) if ref else None)
        crises = st.get("crises", [st]) if isinstance(st, dict) else []
        return "\n".join(self._line(c) for c in crises) or "No crisis is running."

    async def start(self, playbook: str, params: dict[str, str], actor: str) -> str:
        return "Started " + self._line(await self.m.start(playbook, params, actor))

    async def update(self, ref: str, stage: str | None, params: dict[str, str], actor: str) -> str:
        cid = await self.m.resolve_id(ref)
        return "Updated " + self._line(await self.m.update(cid, actor, stage=stage, given=params or None))

    async def end(self, ref: str, actor: str) -> str:
        return "Ended " + self._line(await self.m.end(await self.m.resolve_id(ref), actor))


class SlackChannel(Channel):
    name: ClassVar[str] = "slack"
    # section blocks hold 3,000 characters; chat.postMessage ~1 message a second per channel (bursts allowed)
    capabilities: ClassVar[Capabilities] = Capabilities(
        buttons=True, markup=False, max_length=3000, rate_per_recipient=1.0, broadcast=True,
    )

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        s = self.settings.slack
        if s.bot_token is None:
            raise ValueError("the Slack channel needs CRISISBOT_SLACK__BOT_TOKEN")
        self.client = AsyncWebClient(token=s.bot_token.get_secret_value(), base_url=_base_url(s.base_url),
                                     timeout=15)
        self.core = SlackCore(self.settings, ctx, self.client)
        self.verifier = (SignatureVerifier(s.signing_secret.get_secret_value())
                         if s.signing_secret is not None else None)
        from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

        self.handler = AsyncSlackRequestHandler(self.core.app)

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        s = settings.slack
        return s.bot_token is not None and (s.signing_secret is not None or (s.socket_mode and s.app_token is not None))

    def describe(self) -> str:
        s = self.settings.slack
        mode = "socket mode" if s.socket_mode else "events /webhooks/slack/{events,interactive,commands}"
        return f"slack: {mode}"

    def broadcast_recipient(self) -> str | None:
        return self.settings.slack.status_channel

    def routes(self) -> list[BaseRoute]:
        from starlette.routing import Route

        from bot.channels.base import verified

        if self.settings.slack.socket_mode or self.verifier is None:
            return []
        endpoint = verified(self.check_signature)(self.handle)
        return [Route(f"/webhooks/slack/{p}", endpoint, methods=["POST"]) for p in ("events", "interactive",
                                                                                      "commands")]

    def check_signature(self, request: Request, body: bytes) -> None:
        """Slack's v0 signature over the raw body with the signing secret, at most 5 minutes old; 401 otherwise."""
        assert self.verifier is not None
        if not self.verifier.is_valid_request(body, dict(request.headers)):
            raise Unauthorized("invalid or missing Slack signature")

    async def handle(self, request: Request) -> Response:
        if request.headers.get("x-slack-retry-num"):
            log.info("slack_retry", attempt=request.headers.get("x-slack-retry-num"),
                     reason=request.headers.get("x-slack-retry-reason"))
        _check_shape(request.url.path, await request.body())
        response = await self.handler.handle(request)
        if response.status_code >= 500:
            # a listener failed (the database, most likely): the event was not taken, Slack delivers it again
            log.warning("slack_handler_failed", status=response.status_code)
            from starlette.responses import JSONResponse

            return JSONResponse({"error": "temporarily unavailable, retry"}, status_code=503,
                                headers={"Retry-After": "1"})
        return response

    async def shutdown(self) -> None:
        session = getattr(self.client, "session", None)
        if session is not None:
            await session.close()

    # ------------------------------------------------------------------ outbox
    async def send(self, msg: OutboundMessage) -> str | None:
        kind = msg.kind
        if kind == "case_card":
            return await self._send_card(msg)
        if kind in ("case_claimed", "case_released", "case_closed", "case_message", "case_escalation"):
            return await self._send_case_event(msg)
        rendered = self.render(msg)
        last: str | None = None
        for i, part in enumerate(rendered.texts):
            args: dict[str, Any] = {"channel": msg.recipient_id, "text": escape(part), "mrkdwn": False,
                                    "unfurl_links": False, "unfurl_media": False}
            if rendered.buttons and i == len(rendered.texts) - 1:
                args["blocks"] = [
                    {"type": "section", "text": plain(part)},
                    {"type": "actions", "block_id": f"reply-{msg.outbox_id}", "elements": [
                        {"type": "button", "action_id": f"reply:{n}", "text": plain(b["title"][:75]),
                         "value": str(b["payload"])[:2000]}
                        for n, b in enumerate(rendered.buttons[:25])
                    ]},
                ]
            thread = msg.payload.get("thread")
            if isinstance(thread, str) and thread:
                args["thread_ts"] = thread
            r = await self.core.call("chat.postMessage", **args)
            last = str(r.get("ts")) if r.get("ts") else last
        return last

    def card_blocks(self, card: dict[str, Any]) -> list[dict[str, Any]]:
        fields = [plain(f"{f['label']}: {f['value']}") for f in card.get("fields", [])][:10]
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": plain(str(card.get("title", "Case"))[:150])},
            {"type": "section", "text": plain(str(card.get("summary") or "-"))},
        ]
        if fields:
            blocks.append({"type": "section", "fields": fields})
        if card.get("claimed_by"):
            blocks.append({"type": "context", "elements": [
                plain(f"{card.get('state', 'claimed').capitalize()} by {agent_display(card['claimed_by'])}")]})
        elif card.get("state") not in (None, "queued"):
            blocks.append({"type": "context", "elements": [plain(str(card["state"]).capitalize())]})
        actions = card.get("actions") or []
        if actions:
            blocks.append({"type": "actions", "block_id": f"case-{card.get('case_id')}", "elements": [
                {"type": "button", "action_id": f"case:{a['id']}", "text": plain(a["label"]), "value": str(a["value"]),
                 **({"style": "primary"} if a["id"] == "claim" else {})}
                for a in actions
            ]})
        return blocks

    async def _send_card(self, msg: OutboundMessage) -> str | None:
        card = msg.payload.get("card") or {}
        r = await self.core.call("chat.postMessage", channel=msg.recipient_id, text=escape(msg.text or "New case"),
                                 blocks=self.card_blocks(card), mrkdwn=False, unfurl_links=False)
        return str(r["ts"]) if r.get("ts") else None

    async def _send_case_event(self, msg: OutboundMessage) -> str | None:
        ts = await self.core.card_ts(msg.payload.get("card_outbox_id"))
        if msg.kind in ("case_claimed", "case_released", "case_closed") and ts:
            case_id = msg.payload.get("case_id")
            try:
                desk = self.core.desk()
                view = await desk.get(int(str(case_id)))  # the card as it is now (a later event may have changed it)
                card = desk.card(view)
                await self.core.call("chat.update", channel=msg.recipient_id, ts=ts, text=escape(msg.text),
                                     blocks=self.card_blocks(card))
            except (ImportError, TypeError, ValueError, LookupError) as exc:
                log.warning("slack_card_update_skipped", error=type(exc).__name__)
        label = {"case_message": "Passenger: "}.get(msg.kind, "")
        args: dict[str, Any] = {"channel": msg.recipient_id, "text": escape(f"{label}{msg.text}")[:3900],
                                "mrkdwn": False, "unfurl_links": False}
        if ts:
            args["thread_ts"] = ts
        r = await self.core.call("chat.postMessage", **args)
        return str(r["ts"]) if r.get("ts") else None


def _check_shape(path: str, body: bytes) -> None:
    """What bolt cannot parse is a 400 here, not a 500 there: events are a JSON object, interactivity a form with a
    JSON object in ``payload``, commands a form with a ``command``."""
    import json
    import urllib.parse

    try:
        text = body.decode("utf-8")
        if path.endswith("/events"):
            data = json.loads(text)
            ok = isinstance(data, dict) and (data.get("type") != "event_callback"
                                             or isinstance(data.get("event"), dict))
        else:
            form = urllib.parse.parse_qs(text, strict_parsing=True)
            if path.endswith("/interactive"):
                ok = isinstance(json.loads(form.get("payload", [""])[0]), dict)
            else:
                ok = bool(form.get("command"))
    except (UnicodeDecodeError, ValueError):
        ok = False
    if not ok:
        raise BadRequest("not a Slack request body")


def _base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class SlackSocketService(Service):
    """Socket Mode: one websocket connection per deployment (a singleton, in the leader process) that feeds the
    same bolt app as the HTTP endpoints."""

    name: ClassVar[str] = "slack-socket"
    singleton: ClassVar[bool] = True

    def __init__(self, channel: SlackChannel, app_token: str) -> None:
        self.channel = channel
        self.app_token = app_token
        self.handler: Any = None

    def build_handler(self) -> Any:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        # apps.connections.open goes through the bolt app's client, so CRISISBOT_SLACK__BASE_URL applies
        return AsyncSocketModeHandler(self.channel.core.app, self.app_token)

    async def start(self) -> None:
        self.handler = self.build_handler()
        await self.handler.connect_async()

    async def stop(self) -> None:
        if self.handler is not None:
            await self.handler.close_async()
            self.handler = None


def socket_service(channels: dict[str, Channel]) -> SlackSocketService | None:
    ch = channels.get("slack")
    if not isinstance(ch, SlackChannel):
        return None
    s = ch.settings.slack
    if not (s.socket_mode and s.app_token is not None):
        return None
    return SlackSocketService(ch, s.app_token.get_secret_value())

