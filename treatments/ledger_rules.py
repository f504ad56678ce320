"""The controlled-substance ledger's rules, as plain functions (no Django): the DEA number's
check digit, the hash chain, how a session's draws split into the dose given and the waste, a
container's state, and the REMS monitoring form's deadline.

The ledger itself (models, services, pages) is in ``treatments``: every entry it writes is a
receipt, a dose given, a waste, a disposal, a loss, a count or a reversing entry, each chained
to the one before it under the same DEA registration.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

# The first entry of a registration's chain points at this.
GENESIS_HASH = "0" * 64

DEA_NUMBER = re.compile(r"^[A-Z][A-Z9][0-9]{7}$")


def dea_number_problem(number: str) -> str | None:
    """Why ``number`` is not a well-formed DEA registration number (None: it is). Two letters
    and seven digits; the last digit is the check digit: the sum of digits 1, 3 and 5 plus
    twice the sum of digits 2, 4 and 6 ends in it."""
    if not DEA_NUMBER.match(number):
        return "A DEA registration number is two letters and seven digits, e.g. FK1234563."
    digits = [int(c) for c in number[2:]]
    total = digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])
    if total % 10 != digits[6]:
        return f"{number} fails the DEA check digit: check it against the certificate."
    return None


def _plain(value):
    """A value as the chain hashes it: Decimals normalised ("5.0" and "5" hash alike), dates
    and times in ISO form."""
    if isinstance(value, Decimal):
        normal = value.normalize()
        return format(normal, "f") if normal == normal.to_integral() else str(normal)
    if isinstance(value, datetime):
        # However it was handed in, the instant as the database gives it back: in UTC.
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def entry_hash(previous_hash: str, content: dict) -> str:
    """The hash an entry carries: SHA-256 of the previous entry's hash and the entry's content
    (keys sorted, so the order fields are listed in never matters)."""
    canonical = json.dumps(
        {key: _plain(value) for key, value in content.items()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(f"{previous_hash}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class DrawSplit:
    """One container's part of a session: drawn = given + wasted."""

    container_id: int
    drawn: Decimal
    given: Decimal
    wasted: Decimal


def split_draws(draws: list[tuple[int, Decimal]], given: Decimal) -> list[DrawSplit]:
    """What each container drawn from gave and wasted: the dose is counted from the first
    container drawn until it is used up, the rest of the draws is waste. ``given`` must not
    exceed the total drawn (the caller refuses that)."""
    left = given
    parts = []
    for container_id, drawn in draws:
        from_this = min(drawn, left)
        left -= from_this
        parts.append(DrawSplit(container_id, drawn, from_this, drawn - from_this))
    return parts


class ContainerState:
    UNOPENED = "unopened"
    IN_USE = "in use"
    EMPTIED = "emptied"
    EXPIRED = "expired"


def container_state(*, received: Decimal, balance: Decimal, expires_on: date, today: date) -> str:
    """Where a container is in its life: unopened while nothing has left it, in use once
    opened, emptied at zero; past its expiry date with something left it is expired (to be
    disposed of, witnessed), whatever else."""
    if balance <= 0:
        return ContainerState.EMPTIED
    if expires_on < today:
        return ContainerState.EXPIRED
    return ContainerState.UNOPENED if balance >= received else ContainerState.IN_USE


# --- The esketamine REMS Patient Monitoring Form --------------------------------------------

REMS_FORM_DAYS = 7
REMS_FORM_URGENT_DAYS = 2


def rems_form_due(session_day: date) -> date:
    """The last day the Patient Monitoring Form may be submitted: 7 calendar days after the
    session's day in the clinic's zone (calendar days, so a daylight-saving change between
    them moves nothing)."""
    return session_day + timedelta(days=REMS_FORM_DAYS)


def rems_form_urgent(due: date, today: date) -> bool:
    """Within 2 days of the limit (or past it)."""
    return (due - today).days <= REMS_FORM_URGENT_DAYS


# --- DEA Form 106 -----------------------------------------------------------------------------

# The complete DEA Form 106 is filed within 45 days of discovering the theft or loss.
DEA_FORM_106_DAYS = 45


def dea_notice_due(discovered_on: date) -> date:
    """The day written notice of a theft or significant loss is due at the DEA field office:
    within one business day of discovery (21 CFR 1301.76(b)), so the next weekday after the
    day it was discovered (a Friday's discovery is due on Monday). Federal holidays are not
    skipped: the date errs early, never late."""
    due = discovered_on + timedelta(days=1)
    while due.weekday() >= 5:  # Saturday, Sunday
        due += timedelta(days=1)
    return due
