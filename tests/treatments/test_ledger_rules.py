"""The ledger's pure rules (treatments/ledger_rules.py): no database, every case."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from treatments import ledger_rules as rules
from treatments.ledger_rules import ContainerState, DrawSplit

CHICAGO = ZoneInfo("America/Chicago")

# --- The DEA number ---------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["FK1234563", "AB1234563", "B91234563", "MJ0000000"])
def test_a_well_formed_dea_number_passes(number):
    assert rules.dea_number_problem(number) is None


@pytest.mark.parametrize("last", "012456789")
def test_a_wrong_check_digit_is_named(last):
    # 1 + 3 + 5 + 2 * (2 + 4 + 6) = 33: the check digit is 3.
    problem = rules.dea_number_problem(f"FK123456{last}")
    assert problem == f"FK123456{last} fails the DEA check digit: check it against the certificate."


@pytest.mark.parametrize(
    "number",
    [
        "",
        "FK123456",
        "FK12345633",
        "F11234563",
        "fk1234563",
        "FK 1234563",
        "1K1234563",
        "FK12345X3",
    ],
)
def test_a_number_of_the_wrong_shape_is_refused_before_the_check_digit(number):
    assert rules.dea_number_problem(number) == (
        "A DEA registration number is two letters and seven digits, e.g. FK1234563."
    )


# --- The hash -----------------------------------------------------------------------------------

CONTENT = {
    "sequence": 7,
    "kind": "waste",
    "quantity": Decimal("-5"),
    "occurred_at": datetime(2026, 11, 23, 10, 42, tzinfo=CHICAGO),
    "method": "disposal_container",
    "witness": 3,
}


def test_the_hash_is_sha256_hex_and_depends_on_the_previous_hash():
    first = rules.entry_hash(rules.GENESIS_HASH, CONTENT)
    assert len(first) == 64 and int(first, 16) >= 0
    assert rules.entry_hash(first, CONTENT) != first
    assert rules.entry_hash(rules.GENESIS_HASH, CONTENT) == first


def test_the_hash_does_not_depend_on_the_order_fields_are_listed_in():
    backwards = dict(reversed(list(CONTENT.items())))
    assert list(backwards) != list(CONTENT)
    assert rules.entry_hash("a" * 64, backwards) == rules.entry_hash("a" * 64, CONTENT)


@pytest.mark.parametrize("same", [Decimal("-5.0"), Decimal("-5.00"), Decimal("-5")])
def test_decimals_hash_alike_whatever_their_trailing_zeros(same):
    assert rules.entry_hash("a" * 64, {**CONTENT, "quantity": same}) == rules.entry_hash(
        "a" * 64, CONTENT
    )


def test_a_fractional_decimal_keeps_its_fraction():
    half = rules.entry_hash("a" * 64, {**CONTENT, "quantity": Decimal("-5.5")})
    assert half == rules.entry_hash("a" * 64, {**CONTENT, "quantity": Decimal("-5.50")})
    assert half != rules.entry_hash("a" * 64, CONTENT)


def test_the_same_instant_in_another_zone_hashes_alike():
    instant = CONTENT["occurred_at"]
    for zone in (UTC, ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")):
        moved = {**CONTENT, "occurred_at": instant.astimezone(zone)}
        assert rules.entry_hash("a" * 64, moved) == rules.entry_hash("a" * 64, CONTENT)


@pytest.mark.parametrize(
    "change",
    [
        {"quantity": Decimal("-4")},
        {"kind": "administered"},
        {"witness": 4},
        {"witness": None},
        {"sequence": 8},
        {"occurred_at": datetime(2026, 11, 23, 10, 43, tzinfo=CHICAGO)},
        {"method": "breakage"},
    ],
)
def test_any_change_of_content_changes_the_hash(change):
    assert rules.entry_hash("a" * 64, {**CONTENT, **change}) != rules.entry_hash("a" * 64, CONTENT)


def test_dates_hash_as_iso_dates():
    assert rules.entry_hash("a" * 64, {"on": date(2026, 11, 23)}) == rules.entry_hash(
        "a" * 64, {"on": "2026-11-23"}
    )


# --- Draws: given and wasted ------------------------------------------------------------------


def D(value) -> Decimal:
    return Decimal(str(value))


@pytest.mark.parametrize(
    ("draws", "given", "expected"),
    [
        # One vial, the whole draw given: no waste.
        ([(1, D(35))], D(35), [DrawSplit(1, D(35), D(35), D(0))]),
        # One vial, part of the draw wasted.
        ([(1, D(40))], D(35), [DrawSplit(1, D(40), D(35), D(5))]),
        # Two vials: the first is used up, the rest comes from the second, its rest is waste.
        (
            [(1, D(20)), (2, D(30))],
            D(35),
            [DrawSplit(1, D(20), D(20), D(0)), DrawSplit(2, D(30), D(15), D(15))],
        ),
        # The dose fits in the first draw: the second draw is all waste.
        (
            [(1, D(40)), (2, D(10))],
            D(35),
            [DrawSplit(1, D(40), D(35), D(5)), DrawSplit(2, D(10), D(0), D(10))],
        ),
        # Nothing given (a dose not given after the draw): everything is waste.
        ([(1, D(40))], D(0), [DrawSplit(1, D(40), D(0), D(40))]),
        # Esketamine in devices: two packs, three devices given of four drawn.
        (
            [(1, D(2)), (2, D(2))],
            D(3),
            [DrawSplit(1, D(2), D(2), D(0)), DrawSplit(2, D(2), D(1), D(1))],
        ),
        # Fractions of a mg.
        ([(1, D("37.5"))], D("36.2"), [DrawSplit(1, D("37.5"), D("36.2"), D("1.3"))]),
        ([], D(0), []),
    ],
)
def test_split_draws(draws, given, expected):
    parts = rules.split_draws(draws, given)
    assert parts == expected
    assert sum((p.given for p in parts), D(0)) == given
    for part in parts:
        assert part.drawn == part.given + part.wasted
        assert part.wasted >= 0


# --- A container's state ----------------------------------------------------------------------

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("balance", "expires_on", "state"),
    [
        (D(500), date(2027, 6, 1), ContainerState.UNOPENED),
        (D("499.9"), date(2027, 6, 1), ContainerState.IN_USE),
        (D(5), date(2027, 6, 1), ContainerState.IN_USE),
        (D(0), date(2027, 6, 1), ContainerState.EMPTIED),
        # Expiring today is still usable; the day after it is expired.
        (D(200), TODAY, ContainerState.IN_USE),
        (D(200), date(2026, 11, 22), ContainerState.EXPIRED),
        (D(500), date(2026, 11, 22), ContainerState.EXPIRED),
        # Emptied wins over expired: nothing is left to dispose of.
        (D(0), date(2026, 11, 22), ContainerState.EMPTIED),
    ],
)
def test_container_state(balance, expires_on, state):
    assert (
        rules.container_state(received=D(500), balance=balance, expires_on=expires_on, today=TODAY)
        == state
    )


# --- The REMS monitoring form's deadline ------------------------------------------------------


@pytest.mark.parametrize(
    ("session_day", "due"),
    [
        (date(2026, 11, 23), date(2026, 11, 30)),
        # Across the end of daylight time (1 November 2026): still 7 calendar days.
        (date(2026, 10, 29), date(2026, 11, 5)),
        # Across its start (8 March 2026).
        (date(2026, 3, 5), date(2026, 3, 12)),
        # Across a month and a year.
        (date(2026, 12, 28), date(2027, 1, 4)),
    ],
)
def test_rems_form_due_seven_calendar_days_after_the_session(session_day, due):
    assert rules.rems_form_due(session_day) == due


@pytest.mark.parametrize(
    ("today", "urgent"),
    [
        (date(2026, 11, 23), False),  # 7 days left
        (date(2026, 11, 27), False),  # 3 days left
        (date(2026, 11, 28), True),  # 2 days left
        (date(2026, 11, 30), True),  # the last day
        (date(2026, 12, 2), True),  # late
    ],
)
def test_rems_form_urgent_within_two_days_of_the_limit(today, urgent):
    assert rules.rems_form_urgent(date(2026, 11, 30), today) is urgent
