"""Fixtures for the demo airline: a small seed on a fixed clock, and helpers to add flights and bookings by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.reservations.sql.adapter import SqlReservationAdapter
from bot.reservations.sql.models import ResAirport, ResBooking, ResFlight, ResInventory, ResPassenger, ResSegment
from bot.reservations.sql.normalise import name_key
from bot.reservations.sql.seed import FARES, seed_demo
from bot.settings import Settings

ANCHOR = dt.datetime.now(dt.UTC).date()
NOW = dt.datetime.combine(ANCHOR, dt.time(5, 0), tzinfo=dt.UTC)  # the adapter's clock in these tests
F = ResFlight.__table__
INV = ResInventory.__table__


def make_adapter(engine: AsyncEngine, now: dt.datetime = NOW, **settings: Any) -> SqlReservationAdapter:
    return SqlReservationAdapter(engine, Settings(**({"seed_demo": False} | settings)), clock=lambda: now)


@pytest.fixture
async def seeded(engine: AsyncEngine) -> AsyncEngine:
    """300 bookings over 3 days (anchor - 1 .. anchor + 1)."""
    await seed_demo(engine, anchor=ANCHOR, days=2, bookings=300)
    return engine


@pytest.fixture
async def network(engine: AsyncEngine) -> AsyncEngine:
    """The airports and flights of the demo airline, no bookings: tests add their own."""
    await seed_demo(engine, anchor=ANCHOR, days=2, bookings=0)
    return engine


@pytest.fixture
def adapter(engine: AsyncEngine) -> SqlReservationAdapter:
    return make_adapter(engine)


async def add_flight(engine: AsyncEngine, number: str, origin: str, destination: str, departure: dt.datetime, *,
                     block: dt.timedelta = dt.timedelta(hours=1, minutes=20), capacity: int = 180, sold: int = 0,
                     business: int = 20, status: str = "scheduled") -> int:
    async with engine.begin() as conn:
        tz = await conn.scalar(select(ResAirport.tz).where(ResAirport.iata == origin))
        res = await conn.execute(insert(F).values(
            flight_number=number, operating_carrier=number[:2], origin=origin, destination=destination,
            local_date=departure.astimezone(ZoneInfo(tz)).date(), scheduled_departure=departure,
            scheduled_arrival=departure + block, status=status,
        ).returning(F.c.id))
        flight_id = res.scalar_one()
        await conn.execute(insert(INV), [{"flight_id": flight_id, "cabin": "economy", "capacity": capacity,
                                          "sold": sold},
                                         {"flight_id": flight_id, "cabin": "business", "capacity": business,
                                          "sold": 0}])
    return flight_id


async def add_bookings(engine: AsyncEngine, refs: Sequence[str], flights: Sequence[int | Sequence[int]], *,
                       passengers: Sequence[tuple[str, str]] = (("Jan", "Jansen"),), fare: str = "STANDARD",
                       cabin: str = "economy", total: str = "400.00",
                       assistance: str | None = None) -> None:
    """Bookings with the same shape; ``flights`` is one journey (ids) or a list of journeys. Seats are taken."""
    journeys = [list(flights)] if flights and isinstance(flights[0], int) else [list(j) for j in flights]
    changeable, change_fee, refundable, cancel_fee, _ = FARES[fare]
    async with engine.begin() as conn:
        cancelled = set((await conn.execute(
            select(F.c.id).where(F.c.id.in_([f for j in journeys for f in j]), F.c.status == "cancelled")
        )).scalars())
        await conn.execute(insert(ResBooking), [
            {"reference": ref, "status": "confirmed", "fare_basis": fare, "changeable": changeable,
             "change_fee": change_fee, "refundable": refundable, "cancel_fee": cancel_fee, "currency": "EUR",
             "total_paid": Decimal(total), "contact_email": "test@example.com", "contact_phone": None,
             "version": 1, "created_at": NOW, "updated_at": NOW}
            for ref in refs
        ])
        await conn.execute(insert(ResPassenger), [
            {"booking_reference": ref, "position": i, "first_name": first, "last_name": last,
             "last_name_key": name_key(last), "type": "adult", "special_assistance": assistance if i == 0 else None}
            for ref in refs for i, (first, last) in enumerate(passengers)
        ])
        await conn.execute(insert(ResSegment), [
            {"booking_reference": ref, "journey": j, "position": pos, "flight_id": fid, "cabin": cabin,
             "status": "cancelled_by_airline" if fid in cancelled else "confirmed", "active": True}
            for ref in refs for j, legs in enumerate(journeys) for pos, fid in enumerate(legs)
        ])
        for fid in {f for j in journeys for f in j}:
            n = len(refs) * len(passengers) * sum(j.count(fid) for j in journeys)
            await conn.execute(update(INV).where(INV.c.flight_id == fid, INV.c.cabin == cabin)
                               .values(sold=INV.c.sold + n))


async def sold(engine: AsyncEngine, flight_id: int, cabin: str = "economy") -> tuple[int, int]:
    """(sold, capacity)"""
    async with engine.connect() as conn:
        row = (await conn.execute(select(INV.c.sold, INV.c.capacity)
                                  .where(INV.c.flight_id == flight_id, INV.c.cabin == cabin))).one()
    return row.sold, row.capacity


async def flight_id(engine: AsyncEngine, number: str, day: dt.date) -> int:
    async with engine.connect() as conn:
        query = select(F.c.id).where(F.c.flight_number == number, F.c.local_date == day)
        return (await conn.execute(query)).scalar_one()


async def count(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)))


@pytest.fixture
async def airports(engine: AsyncEngine) -> AsyncEngine:
    """Only the airports: tests build a small world of their own flights."""
    from bot.reservations.sql.seed import build_demo

    async with engine.begin() as conn:
        await conn.execute(insert(ResAirport), build_demo(anchor=ANCHOR, days=1, bookings=0).airports)
    return engine


H = dt.timedelta(hours=1)
