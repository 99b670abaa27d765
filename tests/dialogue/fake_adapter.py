"""An in-memory ReservationAdapter for dialogue tests: bookings, flights with seats, idempotency keys."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from bot.dialogue.formatting import local
from bot.reservations.base import (
    AdapterUnavailable,
    Booking,
    BookingNotFound,
    CancelMode,
    ChangeNotAllowed,
    ChangeResult,
    FareRules,
    FlightNotFound,
    FlightStatus,
    IdempotencyConflict,
    NoSeatsAvailable,
    Passenger,
    RebookOption,
    ReservationAdapter,
    SearchWishes,
    Segment,
)

UTC = dt.UTC


def _name_key(name: str) -> str:
    t = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in t if not unicodedata.combining(c) and c.isalnum())


@dataclass
class Flight:
    number: str
    origin: str
    destination: str
    departure: dt.datetime
    arrival: dt.datetime
    seats: int = 50
    carrier: str = "KL"
    status: str = "scheduled"
    estimated_departure: dt.datetime | None = None

    def segment(self, status: str = "confirmed") -> Segment:
        return Segment(
            flight_number=self.number,
            operating_carrier=self.carrier,
            origin=self.origin,
            destination=self.destination,
            departure=self.departure,
            arrival=self.arrival,
            status=status,  # type: ignore[arg-type]
        )

    @property
    def key(self) -> str:
        return f"{self.number}@{local(self.departure, self.origin).date().isoformat()}"


@dataclass
class FakeAdapter(ReservationAdapter):
    bookings: dict[str, Booking] = field(default_factory=dict)
    flights: list[Flight] = field(default_factory=list)
    down: bool = False
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, reference or flight)
    _done: dict[str, tuple[tuple[str, ...], ChangeResult]] = field(default_factory=dict)

    def _check(self) -> None:
        if self.down:
            raise AdapterUnavailable("reservation system down")

    def flight(self, key: str) -> Flight:
        for f in self.flights:
            if f.key == key:
                return f
        raise FlightNotFound(key)

    async def find_booking(self, reference: str, last_name: str) -> Booking:
        self._check()
        self.calls.append(("find_booking", reference))
        b = self.bookings.get((reference or "").upper().replace(" ", ""))
        if b is None or not any(_name_key(p.last_name) == _name_key(last_name or "") for p in b.passengers):
            raise BookingNotFound("no such booking")
        return b

    async def get_booking(self, reference: str) -> Booking:
        self._check()
        b = self.bookings.get(reference.upper())
        if b is None:
            raise BookingNotFound("no such booking")
        return b

    async def flight_status(self, flight_number: str, date: dt.date) -> FlightStatus:
        self._check()
        self.calls.append(("flight_status", flight_number))
        for f in self.flights:
            if f.number == flight_number and local(f.departure, f.origin).date() == date:
                delay = (f.estimated_departure - f.departure) if f.estimated_departure else dt.timedelta(0)
                return FlightStatus(
                    flight_number=f.number,
                    date=date,
                    origin=f.origin,
                    destination=f.destination,
                    scheduled_departure=f.departure,
                    scheduled_arrival=f.arrival,
                    estimated_departure=f.estimated_departure,
                    estimated_arrival=f.arrival + delay if f.estimated_departure else None,
                    status=f.status,  # type: ignore[arg-type]
                    operating_carrier=f.carrier,
                )
        raise FlightNotFound(flight_number)

    async def search_alternatives(
        self, booking: Booking, wishes: SearchWishes, *, limit: int = 3
    ) -> list[RebookOption]:
        self._check()
        self.calls.append(("search_alternatives", booking.reference))
        origin = wishes.origin or booking.origin
        destination = wishes.destination or booking.destination
        current = {s.flight_number + "@" + local(s.departure, s.origin).date().isoformat() for s in booking.segments}
        need = booking.party_size

        def ok(f: Flight) -> bool:
            return f.status != "cancelled" and f.seats >= need and f.key not in current

        def day_ok(f: Flight) -> bool:
            if wishes.earliest and f.departure < wishes.earliest:
                return False
            if wishes.date is None:
                return True
            d = local(f.departure, f.origin).date()
            return abs((d - wishes.date).days) <= wishes.date_window_days

        journeys: list[list[Flight]] = []
        for f in self.flights:
            if f.origin == origin and ok(f) and day_ok(f):
                if f.destination == destination:
                    journeys.append([f])
                elif f.destination == "AMS":
                    for g in self.flights:
                        if (
                            g.origin == "AMS"
                            and g.destination == destination
                            and ok(g)
                            and dt.timedelta(minutes=45) <= g.departure - f.arrival <= dt.timedelta(hours=12)
                        ):
                            journeys.append([f, g])
        journeys.sort(key=lambda j: j[0].departure)
        fee = Decimal("0") if booking.disrupted else booking.fare.change_fee
        return [
            RebookOption(
                option_id="+".join(f.key for f in j),
                segments=tuple(f.segment() for f in j),
                seats_available=min(f.seats for f in j),
                change_fee=fee,
                currency=booking.fare.currency,
            )
            for j in journeys[:limit]
        ]

    def _replay(self, key: str, request: tuple[str, ...]) -> ChangeResult | None:
        if key in self._done:
            stored_request, result = self._done[key]
            if stored_request != request:
                raise IdempotencyConflict(key)
            return result.model_copy(update={"idempotent_replay": True})
        return None

    async def rebook(self, reference: str, option_id: str, idempotency_key: str) -> ChangeResult:
        self._check()
        self.calls.append(("rebook", reference))
        replay = self._replay(idempotency_key, ("rebook", reference, option_id))
        if replay:
            return replay
        b = self.bookings[reference]
        if b.status != "confirmed":
            raise ChangeNotAllowed("cancelled")
        new = [self.flight(k) for k in option_id.split("+")]
        if any(f.seats < b.party_size for f in new):
            raise NoSeatsAvailable(option_id)
        for s in b.segments:
            for f in self.flights:
                if f.number == s.flight_number and f.departure == s.departure:
                    f.seats += b.party_size
        for f in new:
            f.seats -= b.party_size
        fee = Decimal("0") if b.disrupted else b.fare.change_fee
        booking = b.model_copy(update={"segments": tuple(f.segment() for f in new), "version": b.version + 1})
        self.bookings[reference] = booking
        result = ChangeResult(booking=booking, fee_charged=fee, currency=b.fare.currency)
        self._done[idempotency_key] = (("rebook", reference, option_id), result)
        return result

    async def cancel(self, reference: str, mode: CancelMode, idempotency_key: str) -> ChangeResult:
        self._check()
        self.calls.append(("cancel", reference))
        replay = self._replay(idempotency_key, ("cancel", reference, mode))
        if replay:
            return replay
        b = self.bookings[reference]
        if b.status != "confirmed":
            raise ChangeNotAllowed("already cancelled")
        fare = b.fare
        refund = voucher = Decimal("0")
        if mode == "eu261_refund":
            if not b.disrupted:
                raise ChangeNotAllowed("not disrupted")
            refund = fare.total_paid
        elif mode in ("refund", "fee_refund"):
            if not fare.refundable:
                raise ChangeNotAllowed("not refundable")
            refund = fare.total_paid - fare.cancel_fee
        else:
            voucher = fare.total_paid
        booking = b.model_copy(update={"status": "cancelled", "version": b.version + 1})
        self.bookings[reference] = booking
        result = ChangeResult(
            booking=booking,
            refund_amount=refund,
            voucher_amount=voucher,
            fee_charged=fare.cancel_fee if mode == "fee_refund" else Decimal("0"),
            currency=fare.currency,
        )
        self._done[idempotency_key] = (("cancel", reference, mode), result)
        return result

    def changes(self) -> int:
        """How many changes really happened (replays excluded)."""
        return len(self._done)


# ---------------------------------------------------------------- a small demo airline around NOW

NOW = dt.datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Amsterdam
TOMORROW = dt.date(2026, 11, 25)


def _at(day: int, hh: int, mm: int = 0) -> dt.datetime:
    """UTC time ``day`` days after 2026-11-24."""
    return dt.datetime(2026, 11, 24 + day, hh, mm, tzinfo=UTC)


def make_airline() -> FakeAdapter:
    flights = [
        # AMS-LHR: today 10:00 local (09:00 UTC), tomorrow three departures
        Flight("KL1001", "AMS", "LHR", _at(0, 9), _at(0, 10, 15), seats=20),
        Flight("KL1003", "AMS", "LHR", _at(1, 6, 5), _at(1, 7, 20), seats=30),  # 07:05 local
        Flight("KL1005", "AMS", "LHR", _at(1, 13, 5), _at(1, 14, 20), seats=30),  # 14:05 local
        Flight("KL1007", "AMS", "LHR", _at(1, 17, 35), _at(1, 18, 50), seats=1),  # 18:35 local, one seat
        Flight("KL1009", "AMS", "LHR", _at(2, 8), _at(2, 9, 15), seats=30),
        # CDG-AMS-LHR connections, CDG-LHR nothing direct
        Flight("KL2001", "CDG", "AMS", _at(1, 7), _at(1, 8, 15), seats=30),
        Flight("KL2003", "CDG", "AMS", _at(1, 11), _at(1, 12, 15), seats=30),
        Flight("KL2005", "CDG", "AMS", _at(0, 6), _at(0, 7, 15), seats=30),
        # AMS-CDG: the cancelled one and its replacements
        Flight("KL1231", "AMS", "CDG", _at(0, 10), _at(0, 11, 15), seats=40, status="cancelled"),
        Flight("KL1233", "AMS", "CDG", _at(0, 14), _at(0, 15, 15), seats=40),
        Flight("KL1235", "AMS", "CDG", _at(0, 18), _at(0, 19, 15), seats=40, status="scheduled",
               estimated_departure=_at(0, 18, 50)),
        Flight("KL1237", "AMS", "CDG", _at(1, 8), _at(1, 9, 15), seats=40),
        # AMS-JFK (time zones far apart)
        Flight("KL641", "AMS", "JFK", _at(1, 9, 30), _at(1, 17, 45), seats=10),
        Flight("KL643", "AMS", "JFK", _at(2, 9, 30), _at(2, 17, 45), seats=10),
        # partner operated
        Flight("KL6021", "AMS", "ATL", _at(1, 9), _at(1, 19), seats=10, carrier="DL"),
        Flight("KL1600", "AMS", "FCO", _at(0, 6), _at(0, 8, 20), seats=10, status="departed"),
    ]
    by_key = {f.number: f for f in flights}

    def booking(ref: str, names: list[str], flights_: list[str], *, fare: FareRules | None = None,
                statuses: list[str] | None = None, passengers: list[Passenger] | None = None,
                email: str | None = "passenger@example.org") -> Booking:
        segs = tuple(
            by_key[n].segment((statuses or ["confirmed"] * len(flights_))[i]) for i, n in enumerate(flights_)
        )
        return Booking(
            reference=ref,
            status="confirmed",
            passengers=tuple(passengers or [Passenger(first_name="Anna", last_name=n) for n in names]),
            segments=segs,
            fare=fare or FareRules(fare_basis="YFLEX", changeable=True, change_fee=Decimal("50"), refundable=True,
                                   cancel_fee=Decimal("0"), total_paid=Decimal("240")),
            contact_email=email,
        )

    saver = FareRules(fare_basis="VSAVER", changeable=True, change_fee=Decimal("75"), refundable=False,
                      cancel_fee=Decimal("0"), total_paid=Decimal("180"))
    semi = FareRules(fare_basis="MSEMI", changeable=True, change_fee=Decimal("0"), refundable=True,
                     cancel_fee=Decimal("60"), total_paid=Decimal("300"))
    bookings = [
        booking("X7K2PQ", ["Jansen"], ["KL1001"]),  # plain: AMS-LHR today
        booking("M3RTNS", ["Müller", "Müller"], ["KL1001"], fare=saver),  # two passengers, accent, saver fare
        booking("C4NCLD", ["Dupont"], ["KL1231"], statuses=["cancelled_by_airline"], fare=saver),  # EU261
        booking("R3FSEM", ["de Vries"], ["KL1001"], fare=semi),  # refundable with a fee
        booking("WCHR01", ["Smith"], ["KL1001"],
                passengers=[Passenger(first_name="Ann", last_name="Smith", special_assistance="WCHR")]),
        booking("UMNR01", ["Kid"], ["KL1001"],
                passengers=[Passenger(first_name="Tim", last_name="Kid", type="unaccompanied_minor")]),
        booking("GRP001", [f"Groep{i}" if i else "Bakker" for i in range(7)], ["KL1001"]),
        booking("PTNR01", ["Brown"], ["KL6021"]),
        booking("MULTI1", ["Rossi"], ["KL2005", "KL1001"]),  # CDG-AMS-LHR connection, fine
        booking("RTRIP1", ["Rossi"], ["KL1001", "KL1009"]),  # AMS-LHR, then something: complex
        booking("NYC001", ["Lee"], ["KL641"]),
        booking("NOMAIL", ["Quiet"], ["KL1001"], email=None),
        booking("LIGHT1", ["Visser"], ["KL1001"], fare=FareRules(
            fare_basis="LIGHT", changeable=False, change_fee=Decimal("0"), refundable=False,
            cancel_fee=Decimal("0"), total_paid=Decimal("89"))),
    ]
    # make RTRIP1 a real round trip
    rt = bookings[9]
    back = Flight("KL1010", "LHR", "AMS", _at(3, 10), _at(3, 12, 15), seats=30)
    flights.append(back)
    bookings[9] = rt.model_copy(update={"segments": (by_key["KL1001"].segment(), back.segment())})
    return FakeAdapter(bookings={b.reference: b for b in bookings}, flights=flights)
