"""The reservation seam: what the bot may read and change in the airline's reservation system.

Implementations: ``bot.reservations.sql`` (the demo airline, its own tables); later a real PSS over HTTP.
Every change takes an idempotency key: the same key never changes a booking twice and returns the same result.
"""

from __future__ import annotations

import abc
import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.errors import CrisisbotError
from bot.lifecycle import AsyncResource

Cabin = Literal["economy", "business"]
CancelMode = Literal["refund", "voucher", "fee_refund", "eu261_refund"]


class ReservationError(CrisisbotError):
    """Base of every reservation error."""


class BookingNotFound(ReservationError):
    """No booking with that reference and last name (the two are never told apart)."""


class FlightNotFound(ReservationError):
    """No such flight on that date."""


class NoSeatsAvailable(ReservationError):
    """The chosen option has fewer free seats than the booking has passengers."""


class ChangeNotAllowed(ReservationError):
    """The fare, the booking's state or the option does not allow this change."""


class IdempotencyConflict(ReservationError):
    """The idempotency key was already used for a different request."""


class AdapterUnavailable(ReservationError):
    """The reservation system could not be reached or failed."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Passenger(_Model):
    first_name: str
    last_name: str
    type: Literal["adult", "child", "infant", "unaccompanied_minor"] = "adult"
    special_assistance: str | None = None  # e.g. "WCHR" (wheelchair), "UMNR" (unaccompanied minor)


class Segment(_Model):
    flight_number: str  # marketing flight number, e.g. "KL1234"
    operating_carrier: str  # e.g. "KL", or a partner "DL"
    origin: str  # IATA
    destination: str  # IATA
    departure: dt.datetime  # aware, UTC
    arrival: dt.datetime  # aware, UTC
    cabin: Cabin = "economy"
    status: Literal["confirmed", "cancelled_by_airline", "cancelled", "flown"] = "confirmed"

    @property
    def is_partner(self) -> bool:
        return self.operating_carrier != self.flight_number[:2]


class FareRules(_Model):
    fare_basis: str
    changeable: bool
    change_fee: Decimal
    refundable: bool
    cancel_fee: Decimal
    currency: str = "EUR"
    total_paid: Decimal = Decimal("0")


class Booking(_Model):
    reference: str
    status: Literal["confirmed", "cancelled"]
    passengers: tuple[Passenger, ...]
    segments: tuple[Segment, ...]  # the current itinerary, in order of travel
    fare: FareRules
    contact_email: str | None = None
    contact_phone: str | None = None
    version: int = 1  # increases with every change

    @property
    def party_size(self) -> int:
        return len(self.passengers)

    @property
    def origin(self) -> str:
        return self.segments[0].origin

    @property
    def destination(self) -> str:
        return self.segments[-1].destination

    @property
    def disrupted(self) -> bool:
        """True when the airline cancelled one of its segments (EU261 choice applies)."""
        return any(s.status == "cancelled_by_airline" for s in self.segments)

    @property
    def special_assistance(self) -> bool:
        return any(p.special_assistance for p in self.passengers)


class FlightStatus(_Model):
    flight_number: str
    date: dt.date  # local departure date at the origin
    origin: str
    destination: str
    scheduled_departure: dt.datetime  # aware, UTC
    scheduled_arrival: dt.datetime
    estimated_departure: dt.datetime | None = None
    estimated_arrival: dt.datetime | None = None
    status: Literal["scheduled", "delayed", "cancelled", "departed", "arrived"] = "scheduled"
    operating_carrier: str = ""


class SearchWishes(_Model):
    """What the passenger asked for. Empty fields mean "same as the booking" / "as soon as possible"."""

    date: dt.date | None = None  # preferred local departure date
    date_window_days: int = 1  # also search this many days either side of ``date``
    origin: str | None = None
    destination: str | None = None
    cabin: Cabin | None = None
    earliest: dt.datetime | None = None  # not before (aware)
    horizon_days: int | None = None  # without ``date``: look this many days ahead (None: the adapter's default)


class RebookOption(_Model):
    option_id: str  # opaque, stable: pass back to rebook()
    segments: tuple[Segment, ...]
    seats_available: int  # free seats on the tightest segment
    change_fee: Decimal
    fare_difference: Decimal = Decimal("0")
    currency: str = "EUR"

    @property
    def departure(self) -> dt.datetime:
        return self.segments[0].departure

    @property
    def arrival(self) -> dt.datetime:
        return self.segments[-1].arrival


class ChangeResult(_Model):
    booking: Booking
    idempotent_replay: bool = False  # True when the key had been used already and nothing changed now
    fee_charged: Decimal = Decimal("0")
    refund_amount: Decimal = Decimal("0")
    voucher_amount: Decimal = Decimal("0")
    currency: str = "EUR"


class FlightScope(_Model):
    """The flights a crisis affects: by airport, direction and departure window, or by flight number.

    No airports and no flight numbers: every flight departing in the window. Both: a flight matching either.
    """

    airports: tuple[str, ...] = ()
    direction: Literal["any", "departing", "arriving"] = "any"
    start: dt.datetime  # aware; departures from here ...
    end: dt.datetime  # ... until here (exclusive)
    flight_numbers: tuple[str, ...] = ()

    def matches(self, flight_number: str, origin: str, destination: str, departure: dt.datetime) -> bool:
        if not self.start <= departure < self.end:
            return False
        if not self.airports and not self.flight_numbers:
            return True
        if flight_number in self.flight_numbers:
            return True
        if not self.airports:
            return False
        if self.direction == "departing":
            return origin in self.airports
        if self.direction == "arriving":
            return destination in self.airports
        return origin in self.airports or destination in self.airports

    def affects(self, booking: Booking, now: dt.datetime | None = None) -> bool:
        """True when a segment of the confirmed booking still to fly is in scope."""
        if booking.status != "confirmed":
            return False
        return any(
            self.matches(s.flight_number, s.origin, s.destination, s.departure)
            for s in booking.segments
            if s.status != "flown" and (now is None or s.departure > now or s.status == "cancelled_by_airline")
        )


class AffectedBooking(_Model):
    """One affected booking, with what a personal notice needs (no names)."""

    reference: str
    flight_number: str  # the first affected segment
    origin: str
    destination: str
    departure: dt.datetime
    party_size: int = 1
    contact_email: str | None = None
    contact_phone: str | None = None


class Waiver(_Model):
    """A crisis policy applied to a change: passed with search, rebook and cancel, part of the request's identity."""

    code: str  # e.g. "CRISIS-volcanic-ash-3f2a": recorded with the change
    change_fee: bool = False  # no change fee, and a change is allowed whatever the fare's rules
    refund: bool = False  # a full refund whatever the fare's rules
    rebook_until: dt.datetime | None = None  # a waived change departs before this


class ReservationAdapter(AsyncResource):
    """Read and change bookings. All times are aware UTC datetimes; airports are IATA codes."""

    @abc.abstractmethod
    async def find_booking(self, reference: str, last_name: str) -> Booking:
        """The booking with this reference whose passengers include ``last_name`` (case- and accent-insensitive).

        Raises BookingNotFound for an unknown reference and for a wrong name alike.
        """

    @abc.abstractmethod
    async def get_booking(self, reference: str) -> Booking:
        """The booking by reference alone (staff tools, demo CLI). Raises BookingNotFound."""

    @abc.abstractmethod
    async def flight_status(self, flight_number: str, date: dt.date) -> FlightStatus:
        """Status of a flight on a local departure date. Raises FlightNotFound."""

    @abc.abstractmethod
    async def search_alternatives(
        self, booking: Booking, wishes: SearchWishes, *, limit: int = 3, waiver: Waiver | None = None
    ) -> list[RebookOption]:
        """Up to ``limit`` options, earliest first, with a seat for every passenger; connections via the hub allowed.

        With a ``waiver``: no change fee, and only options departing before its ``rebook_until``.
        """

    @abc.abstractmethod
    async def rebook(
        self, reference: str, option_id: str, idempotency_key: str, *, waiver: Waiver | None = None
    ) -> ChangeResult:
        """Move the whole booking to the option. Raises NoSeatsAvailable, ChangeNotAllowed, IdempotencyConflict."""

    @abc.abstractmethod
    async def cancel(
        self, reference: str, mode: CancelMode, idempotency_key: str, *, waiver: Waiver | None = None
    ) -> ChangeResult:
        """Cancel the booking and release its seats. Raises ChangeNotAllowed, IdempotencyConflict."""

    async def affected_flights(self, scope: FlightScope) -> list[FlightStatus]:
        """The flights in scope, by departure. Adapters that cannot tell raise AdapterUnavailable."""
        raise AdapterUnavailable(f"{type(self).__name__} cannot list flights by scope")

    async def affected_bookings(
        self, scope: FlightScope, *, after: str = "", limit: int = 1000
    ) -> list[AffectedBooking]:
        """Confirmed bookings with a segment still to fly in scope, by reference; page with ``after``."""
        raise AdapterUnavailable(f"{type(self).__name__} cannot list bookings by scope")
