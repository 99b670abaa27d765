"""The demo airline's own tables (prefix ``res_``), on the same metadata as the bot's tables.

Seat accounting invariant: ``res_inventory.sold`` = background load + the passengers of every *active* segment of a
*confirmed* booking on that flight and cabin (segments whose status is confirmed or cancelled_by_airline). Rebooking
deactivates the old segments (kept for history) and releases their seats; cancelling releases them too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base, UTCDateTime, utcnow

Money = Numeric(10, 2)


class ResMeta(Base):
    """Key/value facts about the seeded demo data (``anchor_date``, ``hub``, ``airline_code``)."""

    __tablename__ = "res_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class ResAirport(Base):
    __tablename__ = "res_airports"

    iata: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    city: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    tz: Mapped[str] = mapped_column(String(64))


class ResFlight(Base):
    """One flight on one local departure date. ``flight_number`` is the marketing number (e.g. KL1001)."""

    __tablename__ = "res_flights"
    __table_args__ = (
        UniqueConstraint("flight_number", "local_date"),
        Index("ix_res_flights_route_departure", "origin", "destination", "scheduled_departure"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flight_number: Mapped[str] = mapped_column(String(8))
    operating_carrier: Mapped[str] = mapped_column(String(3))
    origin: Mapped[str] = mapped_column(ForeignKey("res_airports.iata"))
    destination: Mapped[str] = mapped_column(ForeignKey("res_airports.iata"))
    local_date: Mapped[dt.date] = mapped_column(Date)  # departure date in the origin's time zone
    scheduled_departure: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    scheduled_arrival: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | delayed | cancelled
    estimated_departure: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    estimated_arrival: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ResInventory(Base):
    """Seats per flight and cabin. Taken with ``UPDATE ... SET sold = sold + n WHERE sold + n <= capacity``."""

    __tablename__ = "res_inventory"
    __table_args__ = (
        CheckConstraint("sold <= capacity", name="sold_le_capacity"),
        CheckConstraint("sold >= 0", name="sold_ge_zero"),
    )

    flight_id: Mapped[int] = mapped_column(ForeignKey("res_flights.id"), primary_key=True)
    cabin: Mapped[str] = mapped_column(String(16), primary_key=True)  # economy | business
    capacity: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0)


class ResBooking(Base):
    __tablename__ = "res_bookings"

    reference: Mapped[str] = mapped_column(String(6), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="confirmed")  # confirmed | cancelled
    fare_basis: Mapped[str] = mapped_column(String(16))
    changeable: Mapped[bool] = mapped_column(Boolean)
    change_fee: Mapped[Decimal] = mapped_column(Money)
    refundable: Mapped[bool] = mapped_column(Boolean)
    cancel_fee: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    total_paid: Mapped[Decimal] = mapped_column(Money)
    contact_email: Mapped[str | None] = mapped_column(String(255))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResPassenger(Base):
    __tablename__ = "res_passengers"
    __table_args__ = (Index("ix_res_passengers_booking", "booking_reference", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booking_reference: Mapped[str] = mapped_column(ForeignKey("res_bookings.reference"))
    position: Mapped[int] = mapped_column(Integer)
    first_name: Mapped[str] = mapped_column(String(64))
    last_name: Mapped[str] = mapped_column(String(64))
    last_name_key: Mapped[str] = mapped_column(String(64), index=True)  # see adapter.name_key()
    type: Mapped[str] = mapped_column(String(24), default="adult")  # adult | child | infant | unaccompanied_minor
    special_assistance: Mapped[str | None] = mapped_column(String(8))  # WCHR, WCHS, UMNR, BLND, DEAF, ...


class ResSegment(Base):
    """One flight of a booking. ``journey`` 0 = outbound, 1 = return; ``position`` orders flights in a journey."""

    __tablename__ = "res_segments"
    __table_args__ = (
        Index("ix_res_segments_booking", "booking_reference", "active", "journey", "position"),
        Index("ix_res_segments_flight", "flight_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    booking_reference: Mapped[str] = mapped_column(ForeignKey("res_bookings.reference"))
    journey: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer)
    flight_id: Mapped[int] = mapped_column(ForeignKey("res_flights.id"))
    cabin: Mapped[str] = mapped_column(String(16), default="economy")
    status: Mapped[str] = mapped_column(String(24), default="confirmed")  # confirmed|cancelled_by_airline|cancelled
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False once replaced by a rebooking


class ResIdempotency(Base):
    """One row per idempotency key; written in the same transaction as the change it guards."""

    __tablename__ = "res_idempotency"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    operation: Mapped[str] = mapped_column(String(16))  # rebook | cancel
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the request
    booking_reference: Mapped[str] = mapped_column(String(6))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
