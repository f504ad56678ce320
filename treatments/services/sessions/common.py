"""What every stage of the session log shares: the row lock, the future-time check, the route."""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from ...dosing import Route
from ...models import TreatmentSession
from ..booking import session_closed_refusal

Status = TreatmentSession.Status


# A time entered by hand may be a few minutes ahead of the server's clock.
FUTURE_SLACK = timedelta(minutes=5)


# Called inside the discharge's transaction with (session=, user=) once a session is completed
# (the follow-ups app schedules its surveys and tasks here).
COMPLETED_HOOKS: list[Callable[..., None]] = []


def locked(session: TreatmentSession) -> TreatmentSession:
    """The session's row, locked for this transaction; refused once the note is signed, and
    once the session is cancelled or a no-show (saying who cancelled it and when)."""
    fresh = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    closed = session_closed_refusal(fresh)
    if closed:
        raise ValidationError(closed, code="session_closed")
    if fresh.signed_at is not None:
        raise ValidationError(
            "The session note is signed and locked: add an addendum to record a change."
        )
    return fresh


def copy_fields(target: TreatmentSession, source: TreatmentSession, fields: Sequence[str]) -> None:
    for name in fields:
        setattr(target, name, getattr(source, name))


def not_in_future(value: datetime, field: str, errors: dict) -> None:
    if value > timezone.now() + FUTURE_SLACK:
        errors[field] = "This time is in the future."


def session_route(session: TreatmentSession) -> Route:
    """The route given, or the plan's before the dose."""
    return Route(session.route_given or session.plan_version.route)
