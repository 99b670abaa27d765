"""SqlReservationAdapter: finding bookings, flight status, alternatives, rebooking and cancelling."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.reservations.base import (
    AdapterUnavailable,
    BookingNotFound,
    ChangeNotAllowed,
    FlightNotFound,
    IdempotencyConflict,
    NoSeatsAvailable,
    SearchWishes,
)
from bot.reservations.sql.adapter import make_option_id
from bot.reservations.sql.models import ResFlight, ResInventory
from bot.store.db import create_engine
from tests.reservations.conftest import ANCHOR, INV, NOW, H, add_bookings, add_flight, make_adapter, sold


@pytest.fixture
async def world(airports):
    """LHR->AMS flights around the booking's own A (NOW+3h), and AMS->JFK flights for connections."""
    engine = airports
    f = {
        "A": await add_flight(engine, "KL9001", "LHR", "AMS", NOW + 3 * H),
        "B": await add_flight(engine, "KL9003", "LHR", "AMS", NOW + 8 * H),
        "C": await add_flight(engine, "KL9005", "LHR", "AMS", NOW + 26 * H),
        "cancelled": await add_flight(engine, "KL9007", "LHR", "AMS", NOW + 4 * H, status="cancelled"),
        "past": await add_flight(engine, "KL9009", "LHR", "AMS", NOW - 2 * H),
        "full": await add_flight(engine, "KL9011", "LHR", "AMS", NOW + 5 * H, capacity=150, sold=150),
        "late": await add_flight(engine, "KL9013", "LHR", "AMS", NOW + 60 * H),
        "J1": await add_flight(engine, "KL9601", "AMS", "JFK", NOW + 6 * H, block=8 * H),
        "J2": await add_flight(engine, "KL9603", "AMS", "JFK", NOW + 10 * H, block=8 * H),  # 40 min after B lands
        "J3": await add_flight(engine, "KL9605", "AMS", "JFK", NOW + 30 * H, block=8 * H),
    }
    return f


def option(legs, cabin="economy", journey=0):
    return make_option_id(journey, [{"flight_number": n, "local_date": d} for n, d in legs], cabin)


async def numbers_dates(engine, *ids):
    async with engine.connect() as conn:
        rows = (await conn.execute(select(ResFlight.id, ResFlight.flight_number, ResFlight.local_date)
                                   .where(ResFlight.id.in_(ids)))).all()
    by_id = {r.id: (r.flight_number, r.local_date) for r in rows}
    return [by_id[i] for i in ids]


# --- finding ----------------------------------------------------------------------------------------------------
async def test_find_booking_ignores_case_accents_spaces_and_particles(world, engine, adapter) -> None:
    f = world
    pax = [("Jürgen", "Müller"), ("Ana", "van der Berg"), ("João", "Gonçalves"), ("Ola", "Wiśniewski")]
    await add_bookings(engine, ["TSTAAA"], [f["A"]], passengers=pax)
    for name in ("Müller", "MULLER", "mueller", "vanderberg", "Van Der Berg", "van-der-berg", "Berg",
                 " GONÇALVES ", "goncalves", "wisniewski"):
        booking = await adapter.find_booking("tst aaa", name)
        assert booking.reference == "TSTAAA" and len(booking.passengers) == 4
    assert booking.passengers[0].last_name == "Müller"
    assert booking.segments[0].departure == NOW + 3 * H and booking.segments[0].departure.tzinfo is not None


async def test_wrong_reference_and_wrong_name_fail_alike(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTAAA"], [f["A"]], passengers=[("Jan", "Jansen")])
    errors = []
    for ref, name in (("TSTAAB", "Jansen"), ("TSTAAA", "Janssen"), ("TSTAAA", "Jan"), ("", "Jansen"),
                      ("TSTAAA", ""), ("x" * 5000, "Jansen"), ("TSTAAA", "%"), ("TSTAAA", None)):
        with pytest.raises(BookingNotFound) as exc:
            await adapter.find_booking(ref, name)
        errors.append(str(exc.value))
    assert len(set(errors)) == 1


async def test_flight_status(world, engine) -> None:
    delayed = await add_flight(engine, "KL9021", "LHR", "AMS", NOW + 2 * H)
    async with engine.begin() as conn:
        await conn.execute(update(ResFlight).where(ResFlight.id == delayed).values(
            status="delayed", estimated_departure=NOW + 3 * H, estimated_arrival=NOW + 4 * H))
    adapter = make_adapter(engine)
    day = (NOW + 3 * H).date()
    status = await adapter.flight_status("kl 9001", day)
    assert (status.flight_number, status.origin, status.destination, status.status) == ("KL9001", "LHR", "AMS",
                                                                                        "scheduled")
    assert status.scheduled_departure == NOW + 3 * H
    assert (await adapter.flight_status("KL9007", day)).status == "cancelled"
    late = await adapter.flight_status("9021", day)
    assert late.status == "delayed" and late.estimated_departure == NOW + 3 * H
    assert (await adapter.flight_status("KL9009", (NOW - 2 * H).date())).status == "arrived"
    assert (await make_adapter(engine, NOW + 3 * H + dt.timedelta(minutes=10)).flight_status("KL9001", day)).status \
        == "departed"
    for number, when in (("KL9001", day + dt.timedelta(days=1)), ("KL1", day), ("hello", day), ("", day)):
        with pytest.raises(FlightNotFound):
            await adapter.flight_status(number, when)


# --- alternatives -------------------------------------------------------------------------------------------------
async def test_alternatives_are_bookable_and_earliest_first(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTAAA"], [f["A"]], passengers=[("Jan", "Jansen"), ("Eva", "Jansen")])
    booking = await adapter.get_booking("TSTAAA")
    options = await adapter.search_alternatives(booking, SearchWishes(), limit=10)
    assert [o.segments[0].flight_number for o in options] == ["KL9003", "KL9005"]  # not A, cancelled, past, full
    for o in options:
        assert o.seats_available >= 2 and o.departure > NOW
        assert (o.segments[0].origin, o.segments[-1].destination) == ("LHR", "AMS")
        assert o.change_fee == Decimal("75")
    assert options == await adapter.search_alternatives(booking, SearchWishes(), limit=10)  # stable ids
    # a date wish: flights of that local date (and the days around it)
    later = await adapter.search_alternatives(booking, SearchWishes(date=(NOW + 60 * H).date(), date_window_days=0))
    assert [o.segments[0].flight_number for o in later] == ["KL9013"]
    assert len(await adapter.search_alternatives(booking, SearchWishes(), limit=1)) == 1


async def test_alternatives_need_a_seat_for_every_passenger(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTAAA"], [f["A"]], passengers=[("A", "Smith"), ("B", "Smith"), ("C", "Smith")])
    async with engine.begin() as conn:
        await conn.execute(update(ResInventory).where(ResInventory.flight_id == f["B"], ResInventory.cabin == "economy")
                           .values(capacity=100, sold=98))
    options = await adapter.search_alternatives(await adapter.get_booking("TSTAAA"), SearchWishes())
    assert [o.segments[0].flight_number for o in options] == ["KL9005"]


async def test_connections_via_the_hub_respect_minimum_connection_time(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTCON"], [f["A"], f["J1"]])
    booking = await adapter.get_booking("TSTCON")
    assert (booking.origin, booking.destination) == ("LHR", "JFK")
    options = await adapter.search_alternatives(booking, SearchWishes(), limit=10)
    assert options
    for o in options:
        first, second = o.segments
        assert (first.origin, first.destination, second.origin, second.destination) == ("LHR", "AMS", "AMS", "JFK")
        assert second.departure - first.arrival >= dt.timedelta(minutes=50)
        assert "KL9001" not in (first.flight_number, second.flight_number)
    pairs = [(o.segments[0].flight_number, o.segments[1].flight_number) for o in options]
    assert pairs == [("KL9003", "KL9605"), ("KL9005", "KL9605")]  # B + J2 is only 40 minutes


async def test_flown_booking_has_no_alternatives(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTOLD"], [f["past"]])
    assert await adapter.search_alternatives(await adapter.get_booking("TSTOLD"), SearchWishes()) == []
    assert (await adapter.get_booking("TSTOLD")).segments[0].status == "flown"
    with pytest.raises(ChangeNotAllowed):
        await adapter.rebook("TSTOLD", option(await numbers_dates(engine, f["B"])), "k1")


# --- rebooking ----------------------------------------------------------------------------------------------------
async def test_rebook_moves_booking_and_seats(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTAAA"], [f["A"]], passengers=[("Jan", "Jansen"), ("Eva", "Jansen")])
    booking = await adapter.get_booking("TSTAAA")
    chosen = (await adapter.search_alternatives(booking, SearchWishes()))[0]
    a_before, b_before = await sold(engine, f["A"]), await sold(engine, f["B"])
    result = await adapter.rebook("TSTAAA", chosen.option_id, "key-1")
    assert not result.idempotent_replay and result.fee_charged == Decimal("75")
    assert [s.flight_number for s in result.booking.segments] == ["KL9003"]
    assert result.booking.version == 2
    assert await sold(engine, f["A"]) == (a_before[0] - 2, a_before[1])
    assert await sold(engine, f["B"]) == (b_before[0] + 2, b_before[1])
    assert await adapter.get_booking("TSTAAA") == result.booking
    # the old flight is now an alternative again, the new one is not
    options = await adapter.search_alternatives(result.booking, SearchWishes(), limit=10)
    assert [o.segments[0].flight_number for o in options] == ["KL9001", "KL9005"]


async def test_same_key_replays_and_changes_nothing(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTAAA"], [f["A"]])
    opt_b = option(await numbers_dates(engine, f["B"]))
    first = await adapter.rebook("TSTAAA", opt_b, "key-1")
    seats = await sold(engine, f["B"])
    again = await adapter.rebook("tstaaa", opt_b, "key-1")
    assert again.idempotent_replay and again.booking == first.booking and again.fee_charged == first.fee_charged
    assert await sold(engine, f["B"]) == seats
    assert (await adapter.get_booking("TSTAAA")).version == 2


async def test_same_key_different_request_conflicts(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTAAA", "TSTAAB"], [f["A"]])
    opt_b, opt_c = option(await numbers_dates(engine, f["B"])), option(await numbers_dates(engine, f["C"]))
    await adapter.rebook("TSTAAA", opt_b, "key-1")
    for call in (adapter.rebook("TSTAAA", opt_c, "key-1"), adapter.rebook("TSTAAB", opt_b, "key-1"),
                 adapter.cancel("TSTAAA", "voucher", "key-1")):
        with pytest.raises(IdempotencyConflict):
            await call
    booking = await adapter.get_booking("TSTAAA")
    assert booking.version == 2 and booking.segments[0].flight_number == "KL9003" and booking.status == "confirmed"


async def test_light_fare_cannot_change_unless_the_airline_cancelled(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTLGT"], [f["A"]], fare="LIGHT")
    await add_bookings(engine, ["TSTDIS"], [f["cancelled"]], fare="LIGHT")
    opt_b = option(await numbers_dates(engine, f["B"]))
    light = await adapter.get_booking("TSTLGT")
    assert await adapter.search_alternatives(light, SearchWishes())  # may look, may not change
    with pytest.raises(ChangeNotAllowed):
        await adapter.rebook("TSTLGT", opt_b, "k1")
    assert (await adapter.get_booking("TSTLGT")).version == 1
    disrupted = await adapter.get_booking("TSTDIS")
    assert disrupted.disrupted and disrupted.segments[0].status == "cancelled_by_airline"
    options = await adapter.search_alternatives(disrupted, SearchWishes())
    assert options and all(o.change_fee == 0 for o in options)
    cancelled_before = await sold(engine, f["cancelled"])
    result = await adapter.rebook("TSTDIS", options[0].option_id, "k2")
    assert result.fee_charged == 0 and not result.booking.disrupted
    assert result.booking.segments[0].status == "confirmed"
    assert await sold(engine, f["cancelled"]) == (cancelled_before[0] - 1, cancelled_before[1])


async def test_no_seats_rolls_back_everything(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTAAA"], [f["A"]], passengers=[("Jan", "Jansen"), ("Eva", "Jansen")])
    chosen = (await adapter.search_alternatives(await adapter.get_booking("TSTAAA"), SearchWishes()))[0]
    async with engine.begin() as conn:  # somebody else buys all but one seat in the meantime
        await conn.execute(update(INV).where(INV.c.flight_id == f["B"], INV.c.cabin == "economy")
                           .values(sold=INV.c.capacity - 1))
    a_before = await sold(engine, f["A"])
    with pytest.raises(NoSeatsAvailable):
        await adapter.rebook("TSTAAA", chosen.option_id, "key-1")
    booking = await adapter.get_booking("TSTAAA")
    assert booking.version == 1 and booking.segments[0].flight_number == "KL9001"
    assert await sold(engine, f["A"]) == a_before
    async with engine.begin() as conn:
        await conn.execute(update(INV).where(INV.c.flight_id == f["B"], INV.c.cabin == "economy").values(sold=0))
    assert not (await adapter.rebook("TSTAAA", chosen.option_id, "key-1")).idempotent_replay  # the key was not used


async def test_invalid_or_stale_options_are_refused(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTAAA"], [f["A"], f["J1"]])
    nd = dict(zip(f, await numbers_dates(engine, *f.values()), strict=True))
    bad = ["", "garbage", "0:KL9003:economy", "0:KL9003/2026-13-01:economy", "0:KL9003/" + nd["B"][1].isoformat()
           + ":first", "7:" + option([nd["B"], nd["J3"]])[2:], option([nd["cancelled"], nd["J3"]]),
           option([nd["past"], nd["J3"]]), option([nd["B"], nd["J2"]]),  # 40 min connection
           option([nd["A"], nd["J3"]]),  # uses the current flight
           option([nd["B"], nd["C"]]), option([nd["B"], nd["J3"], nd["C"]]), None]
    for i, option_id in enumerate(bad):
        with pytest.raises(ChangeNotAllowed):
            await adapter.rebook("TSTAAA", option_id, f"k{i}")
    later = make_adapter(engine, NOW + 9 * H)
    with pytest.raises(ChangeNotAllowed):  # found before B left, chosen after
        await later.rebook("TSTAAA", option([nd["B"], nd["J3"]]), "k-late")
    assert (await adapter.get_booking("TSTAAA")).version == 1
    with pytest.raises(BookingNotFound):
        await adapter.rebook("NOPE22", option([nd["B"], nd["J3"]]), "k-x")
    with pytest.raises(ChangeNotAllowed):
        await adapter.rebook("TSTAAA", option([nd["B"], nd["J3"]]), "")


async def test_round_trip_changes_only_the_open_journey(world, engine) -> None:
    f = world
    back1 = await add_flight(engine, "KL9002", "AMS", "LHR", NOW + 20 * H)
    back2 = await add_flight(engine, "KL9004", "AMS", "LHR", NOW + 30 * H)
    await add_bookings(engine, ["TSTRTN"], [[f["past"]], [back1]])
    adapter = make_adapter(engine)
    booking = await adapter.get_booking("TSTRTN")
    assert [s.status for s in booking.segments] == ["flown", "confirmed"]
    options = await adapter.search_alternatives(booking, SearchWishes())
    assert [o.segments[0].flight_number for o in options] == ["KL9004"]
    result = await adapter.rebook("TSTRTN", options[0].option_id, "k1")
    assert [s.flight_number for s in result.booking.segments] == ["KL9009", "KL9004"]
    assert (await sold(engine, back1))[0] == 0 and (await sold(engine, back2))[0] == 1


# --- cancelling ---------------------------------------------------------------------------------------------------
async def test_cancel_modes_and_seat_release(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTSTD"], [f["A"]], fare="STANDARD", total="400.00",
                       passengers=[("Jan", "Jansen"), ("Eva", "Jansen")])
    await add_bookings(engine, ["TSTLGT"], [f["A"]], fare="LIGHT", total="120.00")
    await add_bookings(engine, ["TSTFLX"], [f["A"]], fare="FLEX", total="500.00")
    await add_bookings(engine, ["TSTDIS"], [f["cancelled"]], fare="LIGHT", total="150.00")
    seats = (await sold(engine, f["A"]))[0]

    with pytest.raises(ChangeNotAllowed):
        await adapter.cancel("TSTLGT", "refund", "c1")
    with pytest.raises(ChangeNotAllowed):
        await adapter.cancel("TSTSTD", "eu261_refund", "c2")
    with pytest.raises(ChangeNotAllowed):
        await adapter.cancel("TSTSTD", "banana", "c2b")  # type: ignore[arg-type]
    assert (await sold(engine, f["A"]))[0] == seats

    std = await adapter.cancel("TSTSTD", "refund", "c3")
    assert (std.refund_amount, std.fee_charged, std.voucher_amount) == (Decimal("300.00"), Decimal("100"), 0)
    assert std.booking.status == "cancelled" and std.booking.version == 2
    assert all(s.status == "cancelled" for s in std.booking.segments)
    assert (await sold(engine, f["A"]))[0] == seats - 2

    flex = await adapter.cancel("TSTFLX", "refund", "c4")
    assert flex.refund_amount == Decimal("500.00") and flex.fee_charged == 0
    light = await adapter.cancel("TSTLGT", "voucher", "c5")
    assert light.voucher_amount == Decimal("120.00") and light.refund_amount == 0
    assert (await sold(engine, f["A"]))[0] == seats - 4

    dis_seats = (await sold(engine, f["cancelled"]))[0]
    eu = await adapter.cancel("TSTDIS", "eu261_refund", "c6")
    assert eu.refund_amount == Decimal("150.00") and eu.fee_charged == 0
    assert (await sold(engine, f["cancelled"]))[0] == dis_seats - 1

    assert (await adapter.cancel("TSTSTD", "refund", "c3")).idempotent_replay
    with pytest.raises(ChangeNotAllowed):
        await adapter.cancel("TSTSTD", "voucher", "c7")
    with pytest.raises(ChangeNotAllowed):
        await adapter.rebook("TSTSTD", option(await numbers_dates(engine, f["B"])), "c8")
    assert (await sold(engine, f["A"]))[0] == seats - 4  # replays and refusals released nothing more


async def test_inventory_can_never_go_negative_or_oversold(world, engine) -> None:
    f = world
    for values in ({"sold": -1}, {"sold": 151}):
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(update(INV).where(INV.c.flight_id == f["full"], INV.c.cabin == "economy")
                                   .values(**values))


# --- failures ---------------------------------------------------------------------------------------------------------
async def test_database_failure_is_adapter_unavailable(tmp_path) -> None:
    broken = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")  # no schema
    try:
        adapter = make_adapter(broken)
        with pytest.raises(AdapterUnavailable):
            await adapter.find_booking("ABC123", "Jansen")
        with pytest.raises(AdapterUnavailable):
            await adapter.rebook("ABC123", "0:KL1000/2026-01-01:economy", "k")
        with pytest.raises(AdapterUnavailable):
            await adapter.flight_status("KL1000", ANCHOR)
        with pytest.raises(AdapterUnavailable):
            await make_adapter(broken, seed_demo=True).initialize()
    finally:
        await broken.dispose()


async def test_cabin_upgrade_is_not_a_rebooking(world, engine, adapter) -> None:
    f = world
    await add_bookings(engine, ["TSTAAA"], [f["A"]])
    booking = await adapter.get_booking("TSTAAA")
    assert await adapter.search_alternatives(booking, SearchWishes(cabin="business")) == []
    with pytest.raises(ChangeNotAllowed):
        await adapter.rebook("TSTAAA", option(await numbers_dates(engine, f["B"]), cabin="business"), "k1")
    b_business = await sold(engine, f["B"], "business")
    await add_bookings(engine, ["TSTBUS"], [f["A"]], cabin="business", fare="FLEX")
    business = await adapter.get_booking("TSTBUS")
    options = await adapter.search_alternatives(business, SearchWishes())
    assert options and all(s.cabin == "business" for o in options for s in o.segments)
    assert options[0].segments[0].flight_number == "KL9011"  # economy is full, business is not
    await adapter.rebook("TSTBUS", next(o for o in options if "KL9003" in o.option_id).option_id, "k2")
    assert (await sold(engine, f["B"], "business"))[0] == b_business[0] + 1


async def test_flight_status_accepts_an_iso_date_string(world, engine, adapter) -> None:
    day = (NOW + 3 * H).date()
    assert (await adapter.flight_status("KL9001", day.isoformat())).date == day
    with pytest.raises(FlightNotFound):
        await adapter.flight_status("KL9001", "tomorrow")


async def test_stranded_at_the_hub_rebooks_only_the_rest_of_the_trip(world, engine, adapter) -> None:
    f = world
    at_hub = NOW - 2 * H + dt.timedelta(hours=1, minutes=20)  # when KL9009 landed at AMS
    dead = await add_flight(engine, "KL9607", "AMS", "JFK", at_hub + 2 * H, block=8 * H, status="cancelled")
    await add_flight(engine, "KL9609", "AMS", "JFK", NOW - 1 * H, block=8 * H)  # left already: never offered
    await add_bookings(engine, ["TSTHUB"], [f["past"], dead], fare="LIGHT")
    booking = await adapter.get_booking("TSTHUB")
    assert [s.status for s in booking.segments] == ["flown", "cancelled_by_airline"] and booking.disrupted
    options = await adapter.search_alternatives(booking, SearchWishes(origin="LHR"), limit=10)
    assert [[s.flight_number for s in o.segments] for o in options] == [["KL9601"], ["KL9603"], ["KL9605"]]
    assert all(o.change_fee == 0 for o in options)
    past_seats, dead_seats = await sold(engine, f["past"]), await sold(engine, dead)
    result = await adapter.rebook("TSTHUB", options[0].option_id, "k1")
    assert [(s.flight_number, s.status) for s in result.booking.segments] == [("KL9009", "flown"),
                                                                              ("KL9601", "confirmed")]
    assert await sold(engine, f["past"]) == past_seats  # the flown flight keeps its passenger
    assert (await sold(engine, dead))[0] == dead_seats[0] - 1 and (await sold(engine, f["J1"]))[0] == 1

    j4 = await add_flight(engine, "KL9611", "AMS", "JFK", NOW + 12 * H, block=8 * H)
    await add_bookings(engine, ["TSTHB2"], [f["past"], f["J3"]], fare="FLEX")
    with pytest.raises(ChangeNotAllowed):  # cannot restart the trip from London
        await adapter.rebook("TSTHB2", option(await numbers_dates(engine, f["B"], j4)), "k2")
    moved = await adapter.rebook("TSTHB2", option(await numbers_dates(engine, j4)), "k3")
    assert [s.flight_number for s in moved.booking.segments] == ["KL9009", "KL9611"]
