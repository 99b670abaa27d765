"""Actions: Python functions called by flow steps by name. Flows decide the order and the replies.

An action gets an ``ActionContext`` and returns an outcome (a string a step's ``next`` maps to another step).
Everything an action leaves for the replies goes into the frame's slots as JSON-able values.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.dialogue.base import CLIENT_ADDRESS
from bot.dialogue.formatting import local, local_today, to_decimal
from bot.dialogue.time_of_day import time_window
from bot.privacy import fingerprint, remember
from bot.reservations.base import (
    AdapterUnavailable,
    Booking,
    BookingNotFound,
    ChangeNotAllowed,
    FlightNotFound,
    FlightStatus,
    IdempotencyConflict,
    NoSeatsAvailable,
    RebookOption,
    SearchWishes,
    Segment,
)

if TYPE_CHECKING:
    from bot.dialogue.engine import Run

# the bot takes no payments: an option costing more than the fare rules' change fee goes to a colleague
PAYMENT_LIMIT = Decimal("0")
VERIFIED_TTL = dt.timedelta(hours=2)
OTP_TRIES = 3
OTP_TTL = dt.timedelta(minutes=10)
MAX_DAYS_AHEAD = 330


@dataclass
class ActionContext:
    run: Run
    frame: dict[str, Any]
    args: dict[str, Any]

    @property
    def slots(self) -> dict[str, Any]:
        return self.frame["slots"]

    @property
    def state(self) -> dict[str, Any]:
        return self.run.state

    @property
    def adapter(self) -> Any:
        return self.run.engine.adapter

    @property
    def settings(self) -> Any:
        return self.run.engine.settings

    @property
    def now(self) -> dt.datetime:
        return self.run.turn.now

    def event(self, action: str, **data: Any) -> None:
        self.run.result.events.append({"action": action, **data})

    async def booking(self) -> Booking:
        """The verified booking (fetched once per turn). Raises BookingNotFound when none is verified."""
        return await self.run.verified_booking()

    def waiver(self, booking: Booking) -> dict[str, Any]:
        """The crisis waiver for this booking as adapter keyword arguments (none when no crisis covers it)."""
        crisis = self.run.turn.crisis
        found = crisis.waiver_for(booking, self.now) if crisis is not None else None
        if found is None:
            return {}
        active, waiver = found
        if not self.slots.get("crisis_waiver"):
            self.slots["crisis_waiver"] = waiver.code
            self.event("crisis_waiver", crisis=active.id, code=waiver.code, reference=fingerprint(booking.reference))
        return {"waiver": waiver}

    def idempotency_key(self, change: str, detail: str) -> str:
        return f"{self.run.turn.conversation_id}:{self.frame['id']}:{change}:{detail}"


Action = Callable[[ActionContext], Awaitable[str]]


class StaleAnswer(Exception):
    """The message answers a question the conversation has moved past: it must not execute a change."""


class Unconfirmed(Exception):
    """A change about to be executed differs from what the passenger confirmed (or was never confirmed)."""


class BookingChanged(Unconfirmed):
    """The booking was changed (another conversation, an agent) after the question the yes answers was asked."""


def confirm_terms(state: dict[str, Any], slots: dict[str, Any]) -> dict[str, Any]:
    """What a confirmation question confirms: the booking, the option or mode, and the money. The confirm step
    stores it with the question; the passenger's yes binds to it; the change executes only if it still holds."""
    verified = state.get("verified") or {}
    terms: dict[str, Any] = {"reference": verified.get("reference") or slots.get("booking_reference")}
    chosen = slots.get("chosen")
    if isinstance(chosen, dict):
        for k in ("option_id", "change_fee", "fare_difference", "currency"):
            terms[k] = chosen.get(k)
    for k in ("cancel_mode", "refund_amount", "voucher_amount", "cancel_fee"):
        if slots.get(k) is not None:
            terms[k] = slots[k]
    return terms


def require_confirmed(ctx: ActionContext, booking: Booking | None = None, *, done_already: bool = False) -> None:
    """Before a booking change: the message must answer the current question, the change must be the one the
    passenger said yes to, and the booking must still be the one the question was asked about (unless it already
    is what the yes asked for: the same yes again after a crash, which the adapter answers as a replay)."""
    if ctx.run.turn.stale:
        raise StaleAnswer()
    confirmed = ctx.frame.get("confirmed")
    if not confirmed or confirmed != confirm_terms(ctx.state, ctx.slots):
        raise Unconfirmed()
    asked_version = ctx.frame.get("confirm_version")
    if booking is not None and asked_version is not None and booking.version != asked_version and not done_already:
        raise BookingChanged()


@dataclass(frozen=True)
class ActionSpec:
    name: str
    fn: Action
    outcomes: tuple[str, ...]
    sets: tuple[str, ...] = ()  # the slots it fills (flows may test them in a branch)


ACTIONS: dict[str, ActionSpec] = {}
CONDITIONS: dict[str, Callable[[Run], bool]] = {}


def action(name: str, outcomes: tuple[str, ...], sets: tuple[str, ...] = ()) -> Callable[[Action], Action]:
    def register(fn: Action) -> Action:
        ACTIONS[name] = ActionSpec(name, fn, outcomes, sets)
        return fn

    return register


def segment_dict(s: Segment) -> dict[str, Any]:
    return {
        "flight_number": s.flight_number,
        "operating_carrier": s.operating_carrier,
        "origin": s.origin,
        "destination": s.destination,
        "departure": s.departure.isoformat(),
        "arrival": s.arrival.isoformat(),
        "cabin": s.cabin,
        "status": s.status,
    }


def option_dict(o: RebookOption) -> dict[str, Any]:
    return {
        "option_id": o.option_id,
        "segments": [segment_dict(s) for s in o.segments],
        "seats_available": o.seats_available,
        "change_fee": str(o.change_fee),
        "fare_difference": str(o.fare_difference),
        "currency": o.currency,
    }


def status_dict(s: FlightStatus) -> dict[str, Any]:
    def iso(v: dt.datetime | None) -> str | None:
        return v.isoformat() if v else None

    return {
        "flight_number": s.flight_number,
        "date": s.date.isoformat(),
        "origin": s.origin,
        "destination": s.destination,
        "scheduled_departure": iso(s.scheduled_departure),
        "scheduled_arrival": iso(s.scheduled_arrival),
        "estimated_departure": iso(s.estimated_departure),
        "estimated_arrival": iso(s.estimated_arrival),
        "status": s.status,
    }


def _remember_booking(ctx: ActionContext, b: Booking) -> None:
    ctx.slots["current_segments"] = [segment_dict(s) for s in b.segments if s.status != "flown"] or [
        segment_dict(s) for s in b.segments
    ]
    ctx.slots["disrupted"] = b.disrupted


# ---------------------------------------------------------------- identification


def auth_failures(state: dict[str, Any], now: dt.datetime) -> list[str]:
    """Failed verifications in the last hour (older ones are dropped)."""
    counters = state.setdefault("counters", {})
    recent = []
    for ts in counters.get("auth_failures", []):
        try:
            if now - dt.datetime.fromisoformat(ts) < dt.timedelta(hours=1):
                recent.append(ts)
        except (TypeError, ValueError):
            continue
    counters["auth_failures"] = recent
    return recent


@action("check_auth_limit", outcomes=("ok", "locked"))
async def check_auth_limit(ctx: ActionContext) -> str:
    if len(auth_failures(ctx.state, ctx.now)) >= ctx.settings.max_auth_attempts_per_hour:
        ctx.event("auth_locked", scope="conversation")
        return "locked"
    return "ok"


@action(
    "verify_booking",
    outcomes=("found", "not_found", "locked"),
    sets=('booking_reference', 'current_segments', 'disrupted'),
)
async def verify_booking(ctx: ActionContext) -> str:
    """Reference + last name against the reservation system, within three limits on failed attempts: this
    conversation's, the reference's (whoever asks) and the client address's (web channels); see bot.store.throttle.
    A wrong reference and a wrong name get the same answer, after the same time (auth_failure_min_seconds)."""
    started = time.monotonic()
    failures = auth_failures(ctx.state, ctx.now)
    if len(failures) >= ctx.settings.max_auth_attempts_per_hour:
        ctx.event("auth_locked", scope="conversation")
        metrics.AUTH_REFUSED.labels("conversation").inc()
        return "locked"
    reference = str(ctx.slots.get("booking_reference") or "").upper()
    last_name = str(ctx.slots.get("last_name") or "").strip()
    remember(reference, last_name)  # masked in any log line or audit row of this turn
    throttle = getattr(ctx.run.engine, "throttle", None)
    address = CLIENT_ADDRESS.get()
    if throttle is not None:
        lock = await throttle.locked(reference, address, ctx.now)
        if lock is not None:
            ctx.event("auth_refused", scope=lock.scope, reference=fingerprint(reference))
            metrics.AUTH_REFUSED.labels(lock.scope).inc()
            return "locked"
    try:
        booking = await ctx.adapter.find_booking(reference, last_name)
    except BookingNotFound:
        failures.append(ctx.now.isoformat())
        ctx.event("auth_failed", reference=fingerprint(reference))
        metrics.AUTH_FAILURES.inc()
        for lock in await throttle.failed(reference, address, ctx.now) if throttle is not None else ():
            who = {"reference": fingerprint(reference)} if lock.scope == "reference" else {
                "client_address": fingerprint(address)}
            ctx.event(f"auth_{lock.scope}_locked", failures=lock.failures, until=lock.until.isoformat(), **who)
            metrics.AUTH_LOCKS.labels(lock.scope).inc()
        remaining = float(ctx.settings.auth_failure_min_seconds) - (time.monotonic() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)
        if len(failures) >= ctx.settings.max_auth_attempts_per_hour:
            ctx.event("auth_locked", scope="conversation")
            metrics.AUTH_LOCKS.labels("conversation").inc()
            return "locked"
        return "not_found"
    ctx.state["verified"] = {"reference": booking.reference, "last_name": last_name, "at": ctx.now.isoformat()}
    ctx.run.booking_cache = booking
    _remember_booking(ctx, booking)
    ctx.slots["booking_reference"] = booking.reference
    ctx.event("booking_verified", reference=fingerprint(booking.reference))
    return "found"


def is_verified(state: dict[str, Any], now: dt.datetime) -> bool:
    v = state.get("verified")
    if not isinstance(v, dict) or not v.get("reference"):
        return False
    try:
        return now - dt.datetime.fromisoformat(v["at"]) < VERIFIED_TTL
    except (KeyError, TypeError, ValueError):
        return False


CONDITIONS["verified"] = lambda run: is_verified(run.state, run.turn.now)


# ---------------------------------------------------------------- checks shared by rebook and cancel


@action(
    "check_booking",
    outcomes=(
        "ok",
        "cancelled",
        "flown",
        "special_assistance",
        "unaccompanied_minor",
        "group",
        "partner",
        "multi_segment",
        "not_changeable",
    ),
    sets=("current_segments", "disrupted"),
)
async def check_booking(ctx: ActionContext) -> str:
    """What the bot may not do alone: the triggers that hand a change to a colleague."""
    b = await ctx.booking()
    _remember_booking(ctx, b)
    change = ctx.args.get("change", "rebook")
    if b.status == "cancelled":
        return "cancelled"
    open_segments = [s for s in b.segments if s.status not in ("flown", "cancelled")]
    if not open_segments:
        return "flown"
    if any(p.type == "unaccompanied_minor" or (p.special_assistance or "").upper() == "UMNR" for p in b.passengers):
        return "unaccompanied_minor"
    if b.special_assistance:
        return "special_assistance"
    if b.party_size > ctx.settings.group_handoff_size:
        return "group"
    if any(s.is_partner for s in b.segments):
        return "partner"
    if change == "rebook":
        partly_flown = len(open_segments) != len(b.segments)
        if len(b.segments) > 2 or b.origin == b.destination or partly_flown:
            return "multi_segment"
        if not b.fare.changeable and not b.disrupted and not ctx.waiver(b).get("waiver"):
            return "not_changeable"
    return "ok"


@action("check_disruption", outcomes=("disrupted", "not_disrupted", "cancelled"),
        sets=("current_segments", "disrupted"))
async def check_disruption(ctx: ActionContext) -> str:
    """Whether the airline disrupted the booking's trip (and the booking still stands)."""
    b = await ctx.booking()
    _remember_booking(ctx, b)
    if b.status == "cancelled":
        return "cancelled"
    open_segments = [s for s in b.segments if s.status not in ("flown", "cancelled")]
    return "disrupted" if b.disrupted and open_segments else "not_disrupted"


@action("fare_terms", outcomes=("waived", "free", "fees", "no_refund", "not_changeable"),
        sets=("fare", "change_fee", "cancel_fee", "currency"))
async def fare_terms(ctx: ActionContext) -> str:
    """What changing or cancelling the verified booking costs ("what does it cost?")."""
    b = await ctx.booking()
    if (b.disrupted and b.status != "cancelled") or ctx.waiver(b).get("waiver"):
        return "waived"
    fare = b.fare
    ctx.slots.update(fare=fare.fare_basis, change_fee=str(fare.change_fee), cancel_fee=str(fare.cancel_fee),
                     currency=fare.currency)
    if not fare.changeable:
        return "not_changeable"
    if not fare.refundable:
        return "no_refund"
    if not fare.change_fee and not fare.cancel_fee:
        return "free"
    return "fees"


# ---------------------------------------------------------------- rebook


def _origin(ctx: ActionContext) -> str:
    segs = ctx.slots.get("current_segments") or []
    return segs[0]["origin"] if segs else ctx.settings.hub


@action("check_travel_date", outcomes=("ok", "past", "too_far"))
async def check_travel_date(ctx: ActionContext) -> str:
    value = ctx.slots.get("travel_date")
    if value == "asap":
        return "ok"
    try:
        wanted = dt.date.fromisoformat(str(value))
    except ValueError:
        return "past"
    today = local_today(_origin(ctx), ctx.now)
    if wanted < today:
        return "past"
    if wanted > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        return "too_far"
    return "ok"


NEXT_FREE_DAYS = 30  # how far ahead to look for the next free seats when none are free near the wished date


@action("search_alternatives", outcomes=("found", "later", "none"),
        sets=('options', 'chosen', 'next_free_date', 'time_of_day'))
async def search_alternatives(ctx: ActionContext) -> str:
    """Up to three options: on the day asked for first (then the days after it, then the days before it), or as soon
    as possible. When nothing near the wished date has seats, the next free seats after it ("later")."""
    b = await ctx.booking()
    value = ctx.slots.get("travel_date")
    ctx.slots.pop("chosen", None)
    ctx.slots.pop("next_free_date", None)
    more_after = ctx.slots.pop("more_after", None)
    if more_after:  # the flights after the last one shown
        earliest = max(ctx.now, dt.datetime.fromisoformat(str(more_after)) + dt.timedelta(minutes=1))
        wishes = SearchWishes(date=None, earliest=earliest)
        value = None
    elif value in (None, "asap"):
        wishes = SearchWishes(date=None, earliest=ctx.now)
    else:
        wishes = SearchWishes(date=dt.date.fromisoformat(str(value)), date_window_days=1, earliest=ctx.now)
    found = await ctx.adapter.search_alternatives(b, wishes, limit=12, **ctx.waiver(b))
    options = [o for o in found if o.seats_available >= b.party_size]
    crisis = ctx.run.turn.crisis
    if crisis is not None:  # never offer a flight that the running crisis cancels too
        options = [o for o in options if not any(
            c.scope.matches(s.flight_number, s.origin, s.destination, s.departure)
            for c in crisis.crises for s in o.segments)]
    if wishes.date is not None:
        wanted = wishes.date

        def day(o: RebookOption) -> dt.date:
            return local(o.departure, o.segments[0].origin).date()

        # the part of the day asked for ("saturday evening", "after 6pm"), in this message or an earlier one
        window = time_window(ctx.run.parse.text) or (ctx.state.get("carry") or {}).get("time_of_day") or \
            ctx.slots.get("time_of_day")
        if window:
            ctx.slots["time_of_day"] = list(window)

        def outside(o: RebookOption) -> bool:
            if not window:
                return False
            t = local(o.departure, o.segments[0].origin)
            return not window[0] <= t.hour + t.minute / 60 < window[1]

        # the day asked for first (in the part of the day asked for first), in time order; then the days after it,
        # then the days before it
        options.sort(key=lambda o: (day(o) != wanted, day(o) < wanted, outside(o), o.departure))
    options = options[:3]
    outcome = "found"
    if not options:
        # nothing free near the wished date (or soon): when are the next free seats?
        start = wishes.earliest or ctx.now
        if wishes.date is not None:
            first_day = wishes.date - dt.timedelta(days=wishes.date_window_days)
            start = max(ctx.now, dt.datetime.combine(first_day, dt.time(0), tzinfo=local(ctx.now, _origin(ctx)).tzinfo))
        later = SearchWishes(date=None, earliest=start, horizon_days=NEXT_FREE_DAYS)
        found = await ctx.adapter.search_alternatives(b, later, limit=12, **ctx.waiver(b))
        options = [o for o in found if o.seats_available >= b.party_size]
        if crisis is not None:
            options = [o for o in options if not any(
                c.scope.matches(s.flight_number, s.origin, s.destination, s.departure)
                for c in crisis.crises for s in o.segments)]
        options = options[:3]
        if options:
            outcome = "later"
            ctx.slots["next_free_date"] = local(options[0].departure, options[0].segments[0].origin).date().isoformat()
    ctx.slots["options"] = [option_dict(o) for o in options]
    return outcome if options else "none"


def options_context(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the NLU needs to resolve "the second one", "the 14:05" or "KL1235" against the offered options."""
    out = []
    for i, o in enumerate(options, start=1):
        first = o["segments"][0]
        out.append(
            {
                "index": i,
                "flight_numbers": [s["flight_number"] for s in o["segments"]],
                "departure_local": local(first["departure"], first["origin"]).strftime("%H:%M"),
                "date_local": local(first["departure"], first["origin"]).date().isoformat(),
                "stops": len(o["segments"]) - 1,
            }
        )
    return out


@action("check_option", outcomes=("ok", "out_of_range", "more"), sets=('chosen', 'more_after'))
async def check_option(ctx: ActionContext) -> str:
    options = ctx.slots.get("options") or []
    raw = ctx.slots.get("option")
    if raw is None:
        return "out_of_range"
    if raw == "more" and options:  # "anything later?", "none of these": search again after the last one shown
        ctx.slots["more_after"] = max(o["segments"][0]["departure"] for o in options)
        return "more"
    try:
        n = int(raw)
    except (TypeError, ValueError):
        return "out_of_range"
    if not 1 <= n <= len(options):
        return "out_of_range"
    ctx.slots["chosen"] = options[n - 1]
    return "ok"


@action("check_payment", outcomes=("ok", "beyond_policy"))
async def check_payment(ctx: ActionContext) -> str:
    chosen = ctx.slots.get("chosen") or {}
    if to_decimal(chosen.get("fare_difference", 0)) > PAYMENT_LIMIT:
        return "beyond_policy"
    return "ok"


def _record_change(ctx: ActionContext, change: str, reference: str, replay: bool) -> None:
    ctx.state["last_change"] = {
        "change": change,
        "flow_id": ctx.frame["id"],
        "at": ctx.now.isoformat(),
    }
    ctx.event(
        "change_executed",
        change=change,
        reference=fingerprint(reference),
        result="replay" if replay else "done",
        flow_id=ctx.frame["id"],
    )


@action("rebook", outcomes=("done", "no_seats", "not_allowed"), sets=('new_segments', 'fee_charged', 'currency'))
async def rebook(ctx: ActionContext) -> str:
    b = await ctx.booking()
    chosen = ctx.slots.get("chosen") or {}
    option_id = chosen.get("option_id")
    if not option_id:
        return "not_allowed"
    now_on = [(s.flight_number, s.departure.isoformat()) for s in b.segments]
    require_confirmed(ctx, b, done_already=now_on == [(s.get("flight_number"), s.get("departure"))
                                                     for s in chosen.get("segments") or []])
    key = ctx.idempotency_key("rebook", option_id)
    try:
        result = await ctx.adapter.rebook(b.reference, option_id, key, **ctx.waiver(b))
    except NoSeatsAvailable:
        return "no_seats"
    except ChangeNotAllowed:
        return "not_allowed"
    except IdempotencyConflict as exc:
        raise AdapterUnavailable("idempotency conflict") from exc
    ctx.run.booking_cache = result.booking
    ctx.frame.pop("confirmed", None)
    ctx.slots["new_segments"] = [segment_dict(s) for s in result.booking.segments]
    ctx.slots["fee_charged"] = str(result.fee_charged)
    ctx.slots["currency"] = result.currency
    _record_change(ctx, "rebook", b.reference, result.idempotent_replay)
    return "done"


# ---------------------------------------------------------------- cancel


@action(
    "cancel_terms",
    outcomes=("disrupted", "refund", "fee_refund", "voucher"),
    sets=('currency', 'total_paid', 'cancel_mode', 'refund_amount', 'cancel_fee', 'voucher_amount', 'travellers'),
)
async def cancel_terms(ctx: ActionContext) -> str:
    b = await ctx.booking()
    fare = b.fare
    # a cancellation is for the whole booking: with several travellers the question says so, by first name
    ctx.slots["travellers"] = [p.first_name for p in b.passengers] if len(b.passengers) > 1 else []
    ctx.slots["currency"] = fare.currency
    ctx.slots["total_paid"] = str(fare.total_paid)
    if b.disrupted:
        ctx.slots["cancel_mode"] = "eu261_refund"
        ctx.slots["refund_amount"] = str(fare.total_paid)
        return "disrupted"
    waiver = ctx.waiver(b).get("waiver")
    if waiver is not None and waiver.refund:  # the crisis policy: a full refund whatever the fare
        ctx.slots["cancel_mode"] = "refund"
        ctx.slots["cancel_fee"] = "0"
        ctx.slots["refund_amount"] = str(fare.total_paid)
        return "refund"
    if fare.refundable:
        ctx.slots["cancel_mode"] = "fee_refund" if fare.cancel_fee > 0 else "refund"
        ctx.slots["cancel_fee"] = str(fare.cancel_fee)
        ctx.slots["refund_amount"] = str(max(fare.total_paid - fare.cancel_fee, Decimal("0")))
        return ctx.slots["cancel_mode"]
    ctx.slots["cancel_mode"] = "voucher"
    ctx.slots["voucher_amount"] = str(fare.total_paid)
    return "voucher"


@action("cancel", outcomes=("done", "not_allowed"), sets=('refund_amount', 'voucher_amount', 'fee_charged', 'currency'))
async def cancel(ctx: ActionContext) -> str:
    b = await ctx.booking()
    mode = ctx.slots.get("cancel_mode") or "refund"
    require_confirmed(ctx, b, done_already=b.status == "cancelled")
    key = ctx.idempotency_key("cancel", mode)
    try:
        result = await ctx.adapter.cancel(b.reference, mode, key, **ctx.waiver(b))
    except ChangeNotAllowed:
        return "not_allowed"
    except IdempotencyConflict as exc:
        raise AdapterUnavailable("idempotency conflict") from exc
    ctx.run.booking_cache = result.booking
    ctx.frame.pop("confirmed", None)
    ctx.slots["refund_amount"] = str(result.refund_amount)
    ctx.slots["voucher_amount"] = str(result.voucher_amount)
    ctx.slots["fee_charged"] = str(result.fee_charged)
    ctx.slots["currency"] = result.currency
    _record_change(ctx, "cancel", b.reference, result.idempotent_replay)
    return "done"


# ---------------------------------------------------------------- flight status

STATUS_OUTCOMES = ("on_time", "delayed", "cancelled", "departed", "arrived", "not_found", "affected")


def _status_outcome(s: FlightStatus) -> str:
    if s.status == "scheduled":
        est = s.estimated_departure
        if est and est - s.scheduled_departure >= dt.timedelta(minutes=15):
            return "delayed"
        return "on_time"
    return s.status


@action("flight_status", outcomes=STATUS_OUTCOMES, sets=('status', 'status_query', 'crisis_note'))
async def flight_status(ctx: ActionContext) -> str:
    number = str(ctx.slots.get("flight_number") or "").upper().replace(" ", "")
    date_value = ctx.slots.get("status_date") or ctx.run.entity("date")
    try:
        day = dt.date.fromisoformat(str(date_value)) if date_value else local_today(ctx.settings.hub, ctx.now)
    except ValueError:
        day = local_today(ctx.settings.hub, ctx.now)
    try:
        status = await ctx.adapter.flight_status(number, day)
    except FlightNotFound:
        ctx.slots["status_query"] = {"flight_number": number, "date": day.isoformat()}
        return "not_found"
    ctx.slots["status"] = status_dict(status)
    outcome = _status_outcome(status)
    crisis = ctx.run.turn.crisis
    affecting = crisis.affecting_flight(status.flight_number, status.origin, status.destination,
                                        status.scheduled_departure) if crisis is not None else None
    if affecting is not None and outcome != "cancelled":
        # "is KL1124 on time?" while its airport is closed: not "on time", whatever the schedule still says
        ctx.slots["crisis_note"] = affecting.texts("holding", ctx.run.language, ctx.settings, ctx.now)
        if outcome in ("on_time", "delayed"):
            return "affected"
    return outcome


# a connection: the next flight leaves within this time of the previous one's arrival (else it is another journey)
CONNECTION_GAP = dt.timedelta(hours=24)
# which flight of a journey the answer starts with: the one that needs the passenger's attention first
_STATUS_FIRST = {"cancelled": 0, "affected": 1, "delayed": 2}


@action("booking_flight_status", outcomes=STATUS_OUTCOMES,
        sets=('status', 'status_query', 'other_statuses', 'crisis_note'))
async def booking_flight_status(ctx: ActionContext) -> str:
    """The status of every flight of the booking's next journey (a connection's second flight too), starting with a
    cancelled or delayed one."""
    b = await ctx.booking()
    upcoming = [s for s in b.segments if s.status not in ("flown",)] or list(b.segments)
    journey = upcoming[:1]
    for seg in upcoming[1:]:
        if seg.departure - journey[-1].arrival > CONNECTION_GAP:
            break
        journey.append(seg)
    found: list[tuple[str, dict[str, Any]]] = []
    for seg in journey:
        try:
            status = await ctx.adapter.flight_status(seg.flight_number, local(seg.departure, seg.origin).date())
        except FlightNotFound:
            continue
        found.append((_status_outcome(status), status_dict(status)))
    if not found:
        seg = journey[0]
        ctx.slots["status_query"] = {
            "flight_number": seg.flight_number,
            "date": local(seg.departure, seg.origin).date().isoformat(),
        }
        return "not_found"
    crisis = ctx.run.turn.crisis
    affecting = crisis.affecting(b, ctx.now) if crisis is not None else None
    if affecting is not None:
        # the schedule may not show it yet: a flight planned within the crisis's airports and hours is not "on time"
        found = [("affected" if o in ("on_time", "delayed") and affecting.scope.matches(
            st["flight_number"], st["origin"], st["destination"], dt.datetime.fromisoformat(st["scheduled_departure"]))
            else o, st) for o, st in found]
    head = min(range(len(found)), key=lambda i: (_STATUS_FIRST.get(found[i][0], 3), i))
    ctx.slots["status"] = found[head][1]
    ctx.slots["other_statuses"] = [{**st, "outcome": o} for i, (o, st) in enumerate(found) if i != head]
    if affecting is not None and found[head][0] != "cancelled":
        # what the running crisis means for this trip comes with the status
        ctx.slots["crisis_note"] = affecting.texts("holding", ctx.run.language, ctx.settings, ctx.now)
    return found[head][0]


# ---------------------------------------------------------------- step-up one-time code


def _otp_hash(conversation_id: str, code: str) -> str:
    return hmac.new(conversation_id.encode(), code.encode(), hashlib.sha256).hexdigest()


@action("send_otp", outcomes=("sent", "no_contact"), sets=('otp_hash', 'otp_tries', 'otp_expires'))
async def send_otp(ctx: ActionContext) -> str:
    from bot.dialogue.base import SideMessage

    b = await ctx.booking()
    if not b.contact_email:
        return "no_contact"
    code = f"{secrets.randbelow(1_000_000):06d}"
    ctx.slots["otp_hash"] = _otp_hash(ctx.run.turn.conversation_id, code)
    ctx.slots["otp_tries"] = 0
    ctx.slots["otp_expires"] = (ctx.now + OTP_TTL).isoformat()
    text = ctx.run.text("otp_email").format(code=code, airline=ctx.settings.airline_name)
    ctx.run.result.side_messages.append(SideMessage(channel="email", recipient=b.contact_email, text=text))
    ctx.event("otp_sent", reference=fingerprint(b.reference))
    return "sent"


@action("check_otp", outcomes=("ok", "wrong", "exhausted"), sets=('otp_tries',))
async def check_otp(ctx: ActionContext) -> str:
    code = str(ctx.slots.get("otp_code") or "")
    expires = ctx.slots.get("otp_expires")
    expired = not expires or ctx.now > dt.datetime.fromisoformat(expires)
    good = not expired and hmac.compare_digest(
        ctx.slots.get("otp_hash") or "", _otp_hash(ctx.run.turn.conversation_id, code)
    )
    if good:
        ctx.slots.pop("otp_hash", None)
        return "ok"
    ctx.slots["otp_tries"] = int(ctx.slots.get("otp_tries") or 0) + 1
    if ctx.slots["otp_tries"] >= OTP_TRIES or expired:
        ctx.slots.pop("otp_hash", None)
        return "exhausted"
    return "wrong"


def _step_up_enabled(run: Run) -> bool:
    return bool(run.engine.settings.step_up_otp)


CONDITIONS["settings.step_up_otp"] = _step_up_enabled
CONDITIONS["disrupted"] = lambda run: bool(run.top_slots().get("disrupted"))
# the message that started the cancellation asked for the money back (set by the engine from the parse's "refund" flag)
CONDITIONS["refund_asked"] = lambda run: bool(run.top_slots().get("refund_asked"))
# the booking given without an ask came with a question about the flight or news of a disruption (set by the engine)
CONDITIONS["status_asked"] = lambda run: bool(run.top_slots().get("status_asked"))
