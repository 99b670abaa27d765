"""A local fake of the X API v2 (the endpoints the X channel uses), answering like the real one.

* ``POST /2/tweets`` (``reply.in_reply_to_tweet_id``, ``direct_message_deep_link``) -> ``{"data": {"id", "text"}}``;
  a post over 280 weighted characters is refused (403, like X).
* ``POST /2/dm_conversations/with/:participant_id/messages`` -> ``{"data": {"dm_conversation_id", "dm_event_id"}}``;
  a participant in ``closed_dms`` gets 403 (they do not accept DMs from us).
* ``GET /2/users/me``, ``GET /2/users/:id/mentions`` (``since_id``, ``max_results``, ``pagination_token``, newest
  first, ``includes.users``), ``GET /2/dm_events`` (newest first, paginated).
* Every request must carry OAuth 1.0a user-context or bearer authorisation (401 otherwise).
* Scripted failures per method name ("create_tweet", "create_dm", "mentions", "dm_events", "me"): a 429 carries
  ``x-rate-limit-reset`` (epoch seconds), like X.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from aiohttp import web

from bot.channels.x import weighted_length
from tests.fakes.api_server import FakeApiServer

ACCOUNT_ID = "1500000000000000001"
ACCOUNT_NAME = "Crisis Air"

_ids = itertools.count(1_800_000_000_000_000_000)


def new_id() -> str:
    return str(next(_ids))


class FakeXApi(FakeApiServer):
    def __init__(self) -> None:
        super().__init__()
        self.tweets: list[dict[str, Any]] = []  # everything posted by the account, in order
        self.dms: list[dict[str, Any]] = []  # every DM the account sent
        self.mentions: list[dict[str, Any]] = []  # mentions of the account (newest last), served by GET mentions
        self.dm_inbox: list[dict[str, Any]] = []  # DM events (both directions) served by GET /2/dm_events
        self.users: dict[str, str] = {}
        self.closed_dms: set[str] = set()
        # limits like X's, when set (``enforce``): DMs per second (a tier's 15-minute budget scaled down for a bench)
        # and posts per 15 minutes; a request over one gets 429 with x-rate-limit-reset
        self.dm_rate: float | None = None
        self.post_limit: int | None = None
        self._dm_times: list[float] = []
        self._post_times: list[float] = []
        self.limit_violations = 0

    def enforce(self, *, dms_per_second: float | None = None, posts_per_15min: int | None = None) -> None:
        self.dm_rate, self.post_limit = dms_per_second, posts_per_15min

    def _over(self, times: list[float], limit: float, window: float) -> bool:
        """Whether one more request now would exceed ``limit`` requests in a sliding ``window`` (with a little slack
        for scheduling jitter: the platform counts in whole windows too)."""
        now = time.monotonic()
        while times and times[0] <= now - window:
            times.pop(0)
        if len(times) + 1 > limit:
            self.limit_violations += 1
            return True
        times.append(now)
        return False

    def _too_many(self, method: str, params: dict[str, Any]) -> web.Response:
        self.record(method, params, 429)
        return web.json_response({"title": "Too Many Requests", "status": 429, "detail": "Too Many Requests"},
                                 status=429, headers={"x-rate-limit-reset": str(int(time.time()) + 1)})

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/2/tweets", self.create_tweet),
            web.post("/2/dm_conversations/with/{pid}/messages", self.create_dm),
            web.get("/2/users/me", self.me),
            web.get("/2/users/{uid}/mentions", self.get_mentions),
            web.get("/2/dm_events", self.get_dm_events),
        ]

    # ---- what tests use ----------------------------------------------------------------------------------------------

    def dms_to(self, user_id: str) -> list[str]:
        return [d["text"] for d in self.dms if d["participant_id"] == user_id]

    def replies_to(self, tweet_id: str) -> list[dict[str, Any]]:
        return [t for t in self.tweets if t.get("in_reply_to_tweet_id") == tweet_id]

    def add_mention(self, author: str, text: str, name: str = "Passenger") -> str:
        tid = new_id()
        self.users[author] = name
        self.mentions.append({"id": tid, "text": text, "author_id": author, "edit_history_tweet_ids": [tid]})
        return tid

    def add_dm(self, sender: str, text: str) -> str:
        eid = new_id()
        self.dm_inbox.append({"id": eid, "event_type": "MessageCreate", "text": text, "sender_id": sender,
                              "dm_conversation_id": f"{sender}-{ACCOUNT_ID}"})
        return eid

    # ---- plumbing ----------------------------------------------------------------------------------------------------

    def _auth_ok(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        return (auth.startswith("OAuth ") and "oauth_consumer_key" in auth and "oauth_signature" in auth) or (
            auth.startswith("Bearer ") and len(auth) > 7
        )

    async def _gate(self, request: web.Request, method: str, params: dict[str, Any]) -> web.Response | None:
        if not self._auth_ok(request):
            self.record(method, params, 401)
            return web.json_response({"title": "Unauthorized", "status": 401, "detail": "Unauthorized"}, status=401)
        s = self.scripted(method)
        if s is not None:
            self.record(method, params, s.status)
            headers = dict(s.headers)
            if s.status == 429 and "x-rate-limit-reset" not in headers:
                headers["x-rate-limit-reset"] = str(int(time.time()) + 1)
            return web.json_response(s.body or {"title": "Error", "status": s.status}, status=s.status,
                                     headers=headers)
        return None

    async def create_tweet(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = await self._gate(request, "create_tweet", body)
        if refused is not None:
            return refused
        text = str(body.get("text", ""))
        if self.post_limit is not None and self._over(self._post_times, self.post_limit, 900.0):
            return self._too_many("create_tweet", body)
        if weighted_length(text) > 280:
            self.record("create_tweet", body, 403)
            return web.json_response({"detail": "Your Tweet text is too long.", "status": 403, "title": "Forbidden"},
                                     status=403)
        tid = new_id()
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        self.tweets.append({"id": tid, "text": text, "in_reply_to_tweet_id": reply_to,
                            "direct_message_deep_link": body.get("direct_message_deep_link")})
        self.record("create_tweet", body)
        return web.json_response({"data": {"id": tid, "text": text, "edit_history_tweet_ids": [tid]}}, status=201)

    async def create_dm(self, request: web.Request) -> web.Response:
        body = await request.json()
        pid = request.match_info["pid"]
        params = {**body, "participant_id": pid}
        refused = await self._gate(request, "create_dm", params)
        if refused is not None:
            return refused
        if self.dm_rate is not None and self._over(self._dm_times, self.dm_rate + 1, 1.0):
            return self._too_many("create_dm", params)
        if pid in self.closed_dms:
            self.record("create_dm", params, 403)
            return web.json_response(
                {"detail": "You are not permitted to send Direct Messages to this user.", "status": 403,
                 "title": "Forbidden", "type": "about:blank"}, status=403)
        eid = new_id()
        self.dms.append({"participant_id": pid, "text": body.get("text", ""), "id": eid})
        self.dm_inbox.append({"id": eid, "event_type": "MessageCreate", "text": body.get("text", ""),
                              "sender_id": ACCOUNT_ID, "dm_conversation_id": f"{pid}-{ACCOUNT_ID}"})
        self.record("create_dm", params)
        return web.json_response({"data": {"dm_conversation_id": f"{pid}-{ACCOUNT_ID}", "dm_event_id": eid}},
                                 status=201)

    async def me(self, request: web.Request) -> web.Response:
        refused = await self._gate(request, "me", {})
        if refused is not None:
            return refused
        self.record("me", {})
        return web.json_response({"data": {"id": ACCOUNT_ID, "name": ACCOUNT_NAME, "username": "crisisair"}})

    @staticmethod
    def _page(items: list[dict[str, Any]], request: web.Request, default: int) -> tuple[list[dict[str, Any]],
                                                                                         dict[str, Any]]:
        """Newest first, ``max_results`` per page, ``pagination_token`` = the index to go on from."""
        q = request.query
        newest_first = sorted(items, key=lambda t: int(t["id"]), reverse=True)
        if "since_id" in q:
            newest_first = [t for t in newest_first if int(t["id"]) > int(q["since_id"])]
        size = int(q.get("max_results", default))
        start = int(q.get("pagination_token", "0") or 0)
        page = newest_first[start:start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = page[0]["id"], page[-1]["id"]
        if start + size < len(newest_first):
            meta["next_token"] = str(start + size)
        return page, meta

    async def get_mentions(self, request: web.Request) -> web.Response:
        refused = await self._gate(request, "mentions", dict(request.query))
        if refused is not None:
            return refused
        self.record("mentions", dict(request.query))
        page, meta = self._page(self.mentions, request, 10)
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = page
            authors = {t["author_id"] for t in page}
            body["includes"] = {"users": [{"id": a, "name": self.users.get(a, "Passenger"), "username": f"u{a}"}
                                          for a in sorted(authors)]}
        return web.json_response(body)

    async def get_dm_events(self, request: web.Request) -> web.Response:
        refused = await self._gate(request, "dm_events", dict(request.query))
        if refused is not None:
            return refused
        self.record("dm_events", dict(request.query))
        page, meta = self._page(self.dm_inbox, request, 100)
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = page
        return web.json_response(body)
