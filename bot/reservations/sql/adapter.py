"""``SqlReservationAdapter``: the demo airline's reservation system on its own SQL tables (SQLite or PostgreSQL).

Changes (rebook, cancel) run in ONE transaction each::

    idempotency row (key PK)  ->  booking row locked (FOR UPDATE; SQLite: BEGIN IMMEDIATE)  ->  validate
    ->  seats taken with a conditional UPDATE (sold + n <= capacity), old seats released, in flight-id order
    ->  segments rewritten, booking.version + 1  ->  result stored in the idempotency row  ->  COMMIT

A repeated key with the same request returns the stored result (``idempotent_replay=True``); a repeated key with a
different request raises IdempotencyConflict. Only project exceptions leave the adapter.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.reservations.base import (
    AdapterUnavailable,
    AffectedBooking,
    Booking,
    BookingNotFound,
    CancelMode,
    ChangeNotAllowed,
    ChangeResult,
    FareRules,
    FlightNotFound,
    FlightScope,
    FlightStatus,
    IdempotencyConflict,
    NoSeatsAvailable,
    Passenger,
    RebookOption,
    ReservationAdapter,
    ReservationError,
    SearchWishes,
    Segment,
    Waiver,
)
from bot.reservations.sql.models import (
    ResBooking,
    ResFlight,
    ResIdempotency,
    ResInventory,
    ResMeta,
    ResPassenger,
    ResSegment,
)
from bot.reservations.sql.normalise import names_match, normalise_flight_number, normalise_reference
from bot.settings import Settings
from bot.store.db import table_of

log = logging.getLogger(__name__)

B = table_of(ResBooking)
P = table_of(ResPassenger)
S = table_of(ResSegment)
F = table_of(ResFlight)
INV = table_of(ResInventory)
IDEM = table_of(ResIdempotency)
META = table_of(ResMeta)

MIN_CONNECTION = dt.timedelta(minutes=50)
MAX_CONNECTION = dt.timedelta(hours=24)
DEFAULT_HORIZON = dt.timedelta(days=2)
MAX_HORIZON_DAYS = 60  # the widest search without a date ("when are there free seats at all?")
SEAT_HOLDING = ("confirmed", "cancelled_by_airline")
CANCEL_MODES = ("refund", "voucher", "fee_refund", "eu261_refund")
MAX_KEY = 200
ATTEMPTS = 8


# --- loaded state ---------------------------------------------------------------------------------------------------
@dataclass
class _Seg:
    id: int
    journey: int
    position: int
    flight_id: int
    cabin: str
    status: str
    flight_number: str
    operating_carrier: str
    origin: str
    destination: str
    local_date: dt.date
    departure: dt.datetime
    arrival: dt.datetime
    flight_status: str
    estimated_departure: dt.datetime | None

    def departed(self, now: dt.datetime) -> bool:
        return (self.estimated_departure or self.departure) <= now


@dataclass
class _State:
    row: Row[Any]
    passengers: list[Row[Any]]
    segments: list[_Seg]
    journeys: dict[int, list[_Seg]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for s in self.segments:
            self.journeys.setdefault(s.journey, []).append(s)

    @property
    def disrupted(self) -> bool:
        return any(s.status == "cancelled_by_airline" for s in self.segments)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


_SEG_COLUMNS = (
    S.c.id, S.c.journey, S.c.position, S.c.flight_id, S.c.cabin, S.c.status, F.c.flight_number,
    F.c.operating_carrier, F.c.origin, F.c.destination, F.c.local_date, F.c.scheduled_departure,
    F.c.scheduled_arrival, F.c.status.label("flight_status"), F.c.estimated_departure,
)


async def load_state(conn: AsyncConnection, reference: str, *, lock: bool = False) -> _State | None:
    query = select(B).where(B.c.reference == reference)
    if lock:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    passengers = list(
        (await conn.execute(select(P).where(P.c.booking_reference == reference).order_by(P.c.position))).all()
    )
    seg_rows = await conn.execute(
        select(*_SEG_COLUMNS)
        .join(F, F.c.id == S.c.flight_id)
        .where(S.c.booking_reference == reference, S.c.active.is_(True))
        .order_by(S.c.journey, S.c.position)
    )
    return _State(row, passengers, [_Seg(*r) for r in seg_rows])


def to_booking(state: _State, now: dt.datetime) -> Booking:
    r = state.row
    return Booking(
        reference=r.reference,
        status=r.status,
        passengers=tuple(
            Passenger(first_name=p.first_name, last_name=p.last_name, type=p.type,
                      special_assistance=p.special_assistance)
            for p in state.passengers
        ),
        segments=tuple(_segment(s, now) for s in state.segments),
        fare=FareRules(
            fare_basis=r.fare_basis, changeable=r.changeable, change_fee=Decimal(r.change_fee),
            refundable=r.refundable, cancel_fee=Decimal(r.cancel_fee), currency=r.currency,
            total_paid=Decimal(r.total_paid),
        ),
        contact_email=r.contact_email,
        contact_phone=r.contact_phone,
        version=r.version,
    )


def _segment(s: _Seg, now: dt.datetime) -> Segment:
    status = s.status
    if status == "confirmed" and s.departed(now):
        status = "flown"
    return Segment(flight_number=s.flight_number, operating_carrier=s.operating_carrier, origin=s.origin,
                   destination=s.destination, departure=s.departure, arrival=s.arrival, cabin=s.cabin, status=status)


# --- option ids -----------------------------------------------------------------------------------------------------
def make_option_id(journey: int, legs: list[dict[str, Any]], cabin: str) -> str:
    """ "0:KL1001/2026-11-24+KL643/2026-11-24:economy" - stable across searches, re-validated by rebook()."""
    flights = "+".join(f"{leg['flight_number']}/{leg['local_date'].isoformat()}" for leg in legs)
    return f"{journey}:{flights}:{cabin}"


def parse_option_id(option_id: str) -> tuple[int, list[tuple[str, dt.date]], str]:
    try:
        journey_text, legs_text, cabin = option_id.split(":")
        journey = int(journey_text)
        legs = []
        for part in legs_text.split("+"):
            number, day = part.split("/")
            legs.append((number, dt.date.fromisoformat(day)))
    except (ValueError, AttributeError):
        raise ChangeNotAllowed("unknown option") from None
    if cabin not in ("economy", "business") or not 1 <= len(legs) <= 2 or journey < 0:
        raise ChangeNotAllowed("unknown option")
    return journey, legs, cabin


# --- the adapter ----------------------------------------------------------------------------------------------------
class _KeyTaken(Exception):
    """The idempotency key was inserted by a concurrent request."""


class _Retry(Exception):
    """Transient database condition (deadlock, serialization failure, busy): run the transaction again."""


async def _confirmed_for_change(conn: AsyncConnection, ref: str) -> _State:
    """The booking, locked for the change; only a confirmed booking can be changed or cancelled."""
    state = await load_state(conn, ref, lock=True)
    if state is None:
        raise BookingNotFound("no booking with that reference")
    if state.row.status != "confirmed":
        raise ChangeNotAllowed("the booking is already cancelled")
    return state


class SqlReservationAdapter(ReservationAdapter):
    def __init__(self, engine: AsyncEngine, settings: Settings | None = None, *,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.engine = engine
        self.settings = settings or Settings()
        self.hub = self.settings.hub
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def now(self) -> dt.datetime:
        return _utc(self._clock())

    # -- lifecycle
    async def initialize(self) -> None:
        """Seed the demo airline when its tables are empty and ``settings.seed_demo`` is on (schema: migrations)."""
        if not self.settings.seed_demo:
            return
        from bot.reservations.sql.seed import demo_is_seeded, seed_demo

        try:
            if await demo_is_seeded(self.engine):
                return
            counts = await seed_demo(self.engine, anchor=self.now().date(), days=self.settings.demo_days,
                                     bookings=self.settings.demo_bookings)
        except SQLAlchemyError as exc:
            raise AdapterUnavailable(
                f"demo airline tables unusable ({type(exc).__name__}); run `crisisbot db upgrade`"
            ) from exc
        if counts:
            log.info("demo airline seeded: %s", counts)

    async def anchor_date(self) -> dt.date | None:
        """The date the demo airline was seeded for (None when not seeded)."""
        async with self._reading() as conn:
            value = await conn.scalar(select(META.c.value).where(META.c.key == "anchor_date"))
        return dt.date.fromisoformat(value) if value else None

    # -- reading
    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        """A read connection; database errors become AdapterUnavailable."""
        try:
            async with self.engine.connect() as conn:
                yield conn
        except ReservationError:
            raise
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("reservation read failed: %s", type(exc).__name__)
            raise AdapterUnavailable("the reservation system failed") from exc

    async def find_booking(self, reference: str, last_name: str) -> Booking:
        ref = normalise_reference(reference)
        if ref is None or not isinstance(last_name, str) or not last_name.strip():
            raise BookingNotFound("no booking with that reference and last name")
        async with self._reading() as conn:
            state = await load_state(conn, ref)
        if state is None or not any(names_match(last_name, p.last_name) for p in state.passengers):
            raise BookingNotFound("no booking with that reference and last name")
        return to_booking(state, self.now())

    async def get_booking(self, reference: str) -> Booking:
        ref = normalise_reference(reference)
        if ref is None:
            raise BookingNotFound("no booking with that reference")
        async with self._reading() as conn:
            state = await load_state(conn, ref)
        if state is None:
            raise BookingNotFound("no booking with that reference")
        return to_booking(state, self.now())

    async def flight_status(self, flight_number: str, date: dt.date) -> FlightStatus:
        number = normalise_flight_number(flight_number, self.settings.airline_code)
        if isinstance(date, str):
            try:
                date = dt.date.fromisoformat(date.strip())
            except ValueError:
                raise FlightNotFound("no such flight on that date") from None
        if isinstance(date, dt.datetime):
            date = date.date()
        if number is None or not isinstance(date, dt.date):
            raise FlightNotFound("no such flight on that date")
        async with self._reading() as conn:
            f = (await conn.execute(select(F).where(F.c.flight_number == number, F.c.local_date == date))).first()
        if f is None:
            raise FlightNotFound("no such flight on that date")
        return self._flight_status(f)

    def _flight_status(self, f: Any) -> FlightStatus:
        now = self.now()
        dep = f.estimated_departure or f.scheduled_departure
        arr = f.estimated_arrival or f.scheduled_arrival
        status = f.status
        if status != "cancelled":
            status = "arrived" if arr <= now else "departed" if dep <= now else status
        return FlightStatus(
            flight_number=f.flight_number, date=f.local_date, origin=f.origin, destination=f.destination,
            scheduled_departure=f.scheduled_departure, scheduled_arrival=f.scheduled_arrival,
            estimated_departure=f.estimated_departure, estimated_arrival=f.estimated_arrival, status=status,
            operating_carrier=f.operating_carrier,
        )

    # -- searching
    def _pick_journey(self, state: _State, wishes: SearchWishes, now: dt.datetime) -> int | None:
        open_journeys = [j for j, segs in sorted(state.journeys.items()) if _split(segs, now)[1]]
        if not open_journeys:
            return None
        want_from, want_to = (wishes.origin or "").upper(), (wishes.destination or "").upper()
        for j in open_journeys:
            segs = _split(state.journeys[j], now)[1]
            if (want_from and want_from == segs[0].origin) or (
                not want_from and want_to and want_to == segs[-1].destination
            ):
                return j
        for j in open_journeys:
            if any(s.status == "cancelled_by_airline" for s in state.journeys[j]):
                return j
        return open_journeys[0]

    async def search_alternatives(
        self, booking: Booking, wishes: SearchWishes, *, limit: int = 3, waiver: Waiver | None = None
    ) -> list[RebookOption]:
        if limit <= 0:
            return []
        ref = normalise_reference(booking.reference)
        if ref is None:
            raise BookingNotFound("no booking with that reference")
        now = self.now()
        async with self._reading() as conn:
            state = await load_state(conn, ref)
            if state is None:
                raise BookingNotFound("no booking with that reference")
            if state.row.status != "confirmed":
                return []
            j = self._pick_journey(state, wishes, now)
            if j is None:
                return []
            flown, segs = _split(state.journeys[j], now)
            origin = segs[0].origin if flown else (wishes.origin or segs[0].origin).upper()
            destination = (wishes.destination or segs[-1].destination).upper()
            if origin == destination:
                return []
            cabin = wishes.cabin or segs[0].cabin
            if _is_upgrade(segs, cabin):
                return []  # a cabin upgrade is a new fare, not a rebooking
            party = len(state.passengers)
            exclude = {s.flight_id for s in state.segments}
            start = max(now, _utc(wishes.earliest)) if wishes.earliest else now
            if flown:  # the passenger is on the way: continue from where the last flight lands
                start = max(start, flown[-1].arrival + MIN_CONNECTION - dt.timedelta(seconds=1))
            horizon = DEFAULT_HORIZON if wishes.horizon_days is None else dt.timedelta(
                days=max(1, min(wishes.horizon_days, MAX_HORIZON_DAYS)))
            if wishes.date:
                window = max(0, min(wishes.date_window_days, 14))
                days = [wishes.date + dt.timedelta(days=d) for d in range(-window, window + 1)]
                first = await self._legs(conn, origin, destination, cabin, party, after=start, dates=days)
            else:
                days = None
                first = await self._legs(conn, origin, destination, cabin, party, after=start,
                                         before=start + horizon)
            itineraries = [[leg] for leg in first if leg["id"] not in exclude]
            if self.hub not in (origin, destination):
                legs1 = await self._legs(conn, origin, self.hub, cabin, party, after=start, dates=days,
                                         before=None if days else start + horizon)
                legs1 = [leg for leg in legs1 if leg["id"] not in exclude]
                if legs1:
                    legs2 = await self._legs(
                        conn, self.hub, destination, cabin, party,
                        after=min(leg["scheduled_arrival"] for leg in legs1) + MIN_CONNECTION - dt.timedelta(seconds=1),
                        before=max(leg["scheduled_arrival"] for leg in legs1) + MAX_CONNECTION,
                    )
                    legs2 = [leg for leg in legs2 if leg["id"] not in exclude]
                    for leg1 in legs1:
                        leg2 = next((x for x in legs2 if _connects(leg1, x)), None)
                        if leg2 is not None:
                            itineraries.append([leg1, leg2])
        if waiver is not None and waiver.rebook_until is not None:
            until = _utc(waiver.rebook_until)
            itineraries = [legs for legs in itineraries if _utc(legs[0]["scheduled_departure"]) < until]
        itineraries.sort(key=lambda legs: (legs[0]["scheduled_departure"], legs[-1]["scheduled_arrival"], len(legs)))
        waived = state.disrupted or (waiver is not None and waiver.change_fee)
        fee = Decimal("0") if waived else Decimal(state.row.change_fee)
        return [
            RebookOption(
                option_id=make_option_id(j, legs, cabin),
                segments=tuple(_leg_segment(leg, cabin) for leg in legs),
                seats_available=min(leg["free"] for leg in legs),
                change_fee=fee,
                currency=state.row.currency,
            )
            for legs in itineraries[:limit]
        ]

    async def _legs(self, conn: AsyncConnection, origin: str, destination: str, cabin: str, party: int, *,
                    after: dt.datetime, before: dt.datetime | None = None,
                    dates: list[dt.date] | None = None) -> list[dict[str, Any]]:
        """Bookable flights on a route: not cancelled, departing after ``after``, a seat for every passenger."""
        free = (INV.c.capacity - INV.c.sold).label("free")
        query = (
            select(F, free)
            .join(INV, and_(INV.c.flight_id == F.c.id, INV.c.cabin == cabin))
            .where(F.c.origin == origin, F.c.destination == destination, F.c.status != "cancelled",
                   F.c.scheduled_departure > after, INV.c.capacity - INV.c.sold >= party)
            .order_by(F.c.scheduled_departure)
        )
        if before is not None:
            query = query.where(F.c.scheduled_departure <= before)
        if dates is not None:
            query = query.where(F.c.local_date.in_(dates))
        return [dict(r._mapping) for r in await conn.execute(query)]

    # -- changing
    async def rebook(
        self, reference: str, option_id: str, idempotency_key: str, *, waiver: Waiver | None = None
    ) -> ChangeResult:
        ref = normalise_reference(reference)
        if ref is None:
            raise BookingNotFound("no booking with that reference")
        if not isinstance(option_id, str):
            raise ChangeNotAllowed("unknown option")
        request: dict[str, Any] = {"operation": "rebook", "reference": ref, "option_id": option_id}
        if waiver is not None:
            request["waiver"] = waiver.model_dump(mode="json")
        return await self._idempotent("rebook", idempotency_key, request, ref,
                                      lambda conn: self._rebook(conn, ref, option_id, waiver))

    async def cancel(
        self, reference: str, mode: CancelMode, idempotency_key: str, *, waiver: Waiver | None = None
    ) -> ChangeResult:
        ref = normalise_reference(reference)
        if ref is None:
            raise BookingNotFound("no booking with that reference")
        if mode not in CANCEL_MODES:
            raise ChangeNotAllowed(f"unknown cancel mode {mode!r}")
        request: dict[str, Any] = {"operation": "cancel", "reference": ref, "mode": mode}
        if waiver is not None:
            request["waiver"] = waiver.model_dump(mode="json")
        return await self._idempotent("cancel", idempotency_key, request, ref,
                                      lambda conn: self._cancel(conn, ref, mode, waiver))

    # -- crisis scope
    def _scope_query(self, scope: FlightScope) -> Any:
        cond = [F.c.scheduled_departure >= scope.start, F.c.scheduled_departure < scope.end]
        where_any = []
        if scope.airports:
            if scope.direction in ("any", "departing"):
                where_any.append(F.c.origin.in_(scope.airports))
            if scope.direction in ("any", "arriving"):
                where_any.append(F.c.destination.in_(scope.airports))
        if scope.flight_numbers:
            where_any.append(F.c.flight_number.in_(scope.flight_numbers))
        if where_any:
            cond.append(or_(*where_any))
        return and_(*cond)

    async def affected_flights(self, scope: FlightScope) -> list[FlightStatus]:
        async with self._reading() as conn:
            rows = (await conn.execute(
                select(F).where(self._scope_query(scope)).order_by(F.c.scheduled_departure, F.c.flight_number)
            )).all()
        return [self._flight_status(r) for r in rows]

    async def affected_bookings(
        self, scope: FlightScope, *, after: str = "", limit: int = 1000
    ) -> list[AffectedBooking]:
        now = self.now()
        in_scope = and_(B.c.status == "confirmed", self._scope_query(scope),
                        or_(F.c.scheduled_departure > now, S.c.status == "cancelled_by_airline"))
        refs_query = (
            select(B.c.reference)
            .join(S, and_(S.c.booking_reference == B.c.reference, S.c.active.is_(True),
                          S.c.status.in_(SEAT_HOLDING)))
            .join(F, F.c.id == S.c.flight_id)
            .where(B.c.reference > after, in_scope)
            .group_by(B.c.reference)
            .order_by(B.c.reference)
            .limit(limit)
        )
        async with self._reading() as conn:
            refs = list((await conn.execute(refs_query)).scalars().all())
            if not refs:
                return []
            rows = (await conn.execute(
                select(B.c.reference, B.c.contact_email, B.c.contact_phone, F.c.flight_number, F.c.origin,
                       F.c.destination, F.c.scheduled_departure)
                .join(S, and_(S.c.booking_reference == B.c.reference, S.c.active.is_(True),
                              S.c.status.in_(SEAT_HOLDING)))
                .join(F, F.c.id == S.c.flight_id)
                .where(B.c.reference.in_(refs), in_scope)
                .order_by(B.c.reference, F.c.scheduled_departure)
            )).all()
            counts = dict((await conn.execute(
                select(P.c.booking_reference, func.count()).where(P.c.booking_reference.in_(refs))
                .group_by(P.c.booking_reference)
            )).all())
        out: dict[str, AffectedBooking] = {}
        for r in rows:
            if r.reference not in out:
                out[r.reference] = AffectedBooking(
                    reference=r.reference, flight_number=r.flight_number, origin=r.origin,
                    destination=r.destination, departure=_utc(r.scheduled_departure),
                    party_size=int(counts.get(r.reference, 1)), contact_email=r.contact_email,
                    contact_phone=r.contact_phone,
                )
        return [out[ref] for ref in refs if ref in out]

    async def _idempotent(self, operation: str, key: str, request: dict[str, Any], reference: str,
                          run: Callable[[AsyncConnection], Awaitable[ChangeResult]]) -> ChangeResult:
        if not isinstance(key, str) or not key.strip():
            raise ChangeNotAllowed("an idempotency key is required")
        key = key.strip()
        if len(key) > MAX_KEY:
            key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        fingerprint = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        delay = 0.02
        for _attempt in range(ATTEMPTS):
            try:
                async with self.engine.begin() as conn:
                    stored = (await conn.execute(select(IDEM).where(IDEM.c.key == key))).first()
                    if stored is None:
                        try:
                            await conn.execute(insert(IDEM).values(
                                key=key, operation=operation, fingerprint=fingerprint, booking_reference=reference,
                                result=None, created_at=self.now(),
                            ))
                        except IntegrityError:
                            raise _KeyTaken() from None
                        result = await run(conn)
                        await conn.execute(
                            update(IDEM).where(IDEM.c.key == key).values(result=result.model_dump(mode="json"))
                        )
                        return result
                if stored.fingerprint != fingerprint:
                    raise IdempotencyConflict("idempotency key already used for a different request")
                if stored.result is not None:
                    return ChangeResult.model_validate(stored.result).model_copy(update={"idempotent_replay": True})
                # a committed row without result cannot happen (same transaction); treat as in flight
            except _KeyTaken:
                pass  # a concurrent request holds the key: read its result on the next round
            except ReservationError:
                raise
            except DBAPIError as exc:
                if not _transient(exc):
                    log.warning("reservation %s failed: %s", operation, type(exc.orig).__name__)
                    raise AdapterUnavailable("the reservation system failed") from exc
            except (SQLAlchemyError, OSError, TimeoutError) as exc:
                log.warning("reservation %s failed: %s", operation, type(exc).__name__)
                raise AdapterUnavailable("the reservation system failed") from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)
        raise AdapterUnavailable("the reservation system is busy; try again")

    async def _rebook(self, conn: AsyncConnection, ref: str, option_id: str,
                      waiver: Waiver | None = None) -> ChangeResult:
        now = self.now()
        state = await _confirmed_for_change(conn, ref)
        journey, leg_keys, cabin = parse_option_id(option_id)
        if journey not in state.journeys:
            raise ChangeNotAllowed("unknown option")
        flown, old = _split(state.journeys[journey], now)
        if not old:
            raise ChangeNotAllowed("this part of the trip has already been flown")
        disrupted = state.disrupted
        waived = waiver is not None and waiver.change_fee
        if not state.row.changeable and not disrupted and not waived:
            raise ChangeNotAllowed("the fare does not allow changes")
        if _is_upgrade(old, cabin):
            raise ChangeNotAllowed("a cabin upgrade is not a rebooking")
        legs = []
        for number, day in leg_keys:
            f = (await conn.execute(select(F).where(F.c.flight_number == number, F.c.local_date == day))).first()
            if f is None:
                raise ChangeNotAllowed("the option is no longer available")
            legs.append(f)
        current = {s.flight_id for s in state.segments}
        for i, f in enumerate(legs):
            if f.status == "cancelled" or f.scheduled_departure <= now or f.id in current:
                raise ChangeNotAllowed("the option is no longer available")
            if waived and waiver is not None and waiver.rebook_until is not None and i == 0 \
                    and _utc(f.scheduled_departure) >= _utc(waiver.rebook_until):
                raise ChangeNotAllowed("the option departs after the crisis rebooking window")
            if i and (f.origin != legs[i - 1].destination or f.origin != self.hub
                      or not _connects(legs[i - 1]._mapping, f._mapping)):
                raise ChangeNotAllowed("the option is not a valid connection")
        if flown and (legs[0].origin != old[0].origin
                      or legs[0].scheduled_departure < flown[-1].arrival + MIN_CONNECTION):
            raise ChangeNotAllowed("the option does not continue the trip already under way")
        party = len(state.passengers)
        deltas: dict[tuple[int, str], int] = {}
        for f in legs:
            deltas[(f.id, cabin)] = deltas.get((f.id, cabin), 0) + party
        for s in old:
            if s.status in SEAT_HOLDING:
                deltas[(s.flight_id, s.cabin)] = deltas.get((s.flight_id, s.cabin), 0) - party
        await _apply_seat_deltas(conn, deltas)
        await conn.execute(update(S).where(S.c.id.in_([s.id for s in old])).values(active=False))
        await conn.execute(insert(S), [
            {"booking_reference": ref, "journey": journey, "position": len(flown) + i, "flight_id": f.id,
             "cabin": cabin, "status": "confirmed", "active": True}
            for i, f in enumerate(legs)
        ])
        await conn.execute(update(B).where(B.c.reference == ref).values(version=B.c.version + 1, updated_at=now))
        fee = Decimal("0") if disrupted or waived else Decimal(state.row.change_fee)
        new_state = await load_state(conn, ref)
        assert new_state is not None
        return ChangeResult(booking=to_booking(new_state, now), fee_charged=fee, currency=state.row.currency)

    async def _cancel(self, conn: AsyncConnection, ref: str, mode: str, waiver: Waiver | None = None) -> ChangeResult:
        now = self.now()
        state = await _confirmed_for_change(conn, ref)
        if state.segments and not any(_split(segs, now)[1] for segs in state.journeys.values()):
            raise ChangeNotAllowed("the trip has already been flown")
        total = Decimal(state.row.total_paid)
        disrupted = state.disrupted
        refund = voucher = fee = Decimal("0")
        if mode in ("refund", "fee_refund"):
            if disrupted or (waiver is not None and waiver.refund):
                refund = total
            elif state.row.refundable:
                fee = min(total, Decimal(state.row.cancel_fee))
                refund = total - fee
            else:
                raise ChangeNotAllowed("the fare is not refundable")
        elif mode == "voucher":
            voucher = total
        elif mode == "eu261_refund":
            if not disrupted:
                raise ChangeNotAllowed("only for flights cancelled by the airline")
            refund = total
        deltas: dict[tuple[int, str], int] = {}
        for s in state.segments:
            if s.status in SEAT_HOLDING:
                deltas[(s.flight_id, s.cabin)] = deltas.get((s.flight_id, s.cabin), 0) - len(state.passengers)
        await _apply_seat_deltas(conn, deltas)
        await conn.execute(
            update(S).where(S.c.booking_reference == ref, S.c.active.is_(True), S.c.status == "confirmed")
            .values(status="cancelled")
        )
        await conn.execute(update(B).where(B.c.reference == ref)
                           .values(status="cancelled", version=B.c.version + 1, updated_at=now))
        new_state = await load_state(conn, ref)
        assert new_state is not None
        return ChangeResult(booking=to_booking(new_state, now), fee_charged=fee, refund_amount=refund,
                            voucher_amount=voucher, currency=state.row.currency)


async def _apply_seat_deltas(conn: AsyncConnection, deltas: dict[tuple[int, str], int]) -> None:
    """Take and release seats in (flight id, cabin) order, so concurrent changes never deadlock."""
    for (flight_id, cabin), delta in sorted(deltas.items()):
        where = and_(INV.c.flight_id == flight_id, INV.c.cabin == cabin)
        if delta > 0:
            res = await conn.execute(
                update(INV).where(where, INV.c.sold + delta <= INV.c.capacity).values(sold=INV.c.sold + delta)
            )
            if res.rowcount != 1:
                raise NoSeatsAvailable("not enough free seats on the chosen flight")
        elif delta < 0:
            await conn.execute(
                update(INV).where(where)
                .values(sold=case((INV.c.sold >= -delta, INV.c.sold + delta), else_=0))
            )


def _split(segs: list[_Seg], now: dt.datetime) -> tuple[list[_Seg], list[_Seg]]:
    """(flights already flown, the rest still open to change) of one journey, e.g. stranded at the hub:
    ([LHR-AMS flown], [AMS-JFK cancelled by the airline])."""
    started = [i for i, s in enumerate(segs) if s.status != "cancelled_by_airline" and s.departed(now)]
    cut = started[-1] + 1 if started else 0
    return segs[:cut], segs[cut:]


def _is_upgrade(segs: list[_Seg], cabin: str) -> bool:
    return cabin == "business" and any(s.cabin != "business" for s in segs)


def _connects(leg1: Any, leg2: Any) -> bool:
    gap = leg2["scheduled_departure"] - leg1["scheduled_arrival"]
    return MIN_CONNECTION <= gap <= MAX_CONNECTION


def _leg_segment(leg: dict[str, Any], cabin: str) -> Segment:
    return Segment(flight_number=leg["flight_number"], operating_carrier=leg["operating_carrier"],
                   origin=leg["origin"], destination=leg["destination"], departure=leg["scheduled_departure"],
                   arrival=leg["scheduled_arrival"], cabin=cabin)


def _transient(exc: DBAPIError) -> bool:
    """PostgreSQL deadlock or serialization failure: worth another try. (SQLite already waited busy_timeout.)"""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40P01", "40001")


__all__ = ["SqlReservationAdapter", "load_state", "to_booking"]
