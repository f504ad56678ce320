"""The witness of a waste or a disposal: a second licensed member of staff (a clinician) who
confirms at the same screen with their own password and authenticator code."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.roles import CLINICIAN, has_role
from clinic.services import staff_confirm


@dataclass(frozen=True)
class Witness:
    """A confirmed witness: made only by ``witness_confirm``."""

    user: object
    confirmed_at: datetime


def witness_confirm(*, request, by, username: str, password: str, token: str) -> Witness:
    """Check the witness's credentials. Errors are keyed ``witness_username``,
    ``witness_password`` and ``witness_token`` (the fields of the forms that ask)."""
    if not username.strip():
        raise ValidationError({"witness_username": "Enter the witness's user name."})
    if username.strip().lower() == by.get_username().lower():
        raise ValidationError(
            {"witness_username": "You cannot witness your own waste: a second clinician must."}
        )
    try:
        user = staff_confirm(request=request, username=username, password=password, token=token)
    except ValidationError as error:
        raise ValidationError(
            {f"witness_{field}": messages for field, messages in error.message_dict.items()}
        ) from None
    if user.pk == by.pk:
        raise ValidationError(
            {"witness_username": "You cannot witness your own waste: a second clinician must."}
        )
    if not has_role(user, [CLINICIAN]):
        raise ValidationError(
            {"witness_username": "The witness must be a licensed clinician on the staff."}
        )
    return Witness(user=user, confirmed_at=timezone.now())
