"""Writes of the esketamine REMS: the patient's enrollment (before the first dose) and the
submission of a session's Patient Monitoring Form (once, after the session)."""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.roles import CLINICIAN
from intake.models import Patient

from ..dosing import Route
from ..models import RemsEnrollment, RemsFormSubmission, TreatmentSession
from ..selectors import rems as selectors

ALREADY_ENROLLED = "The patient's REMS enrollment is already recorded."
ALREADY_SUBMITTED = "This session's monitoring form is already marked as submitted."


def _not_in_future(errors: dict, field: str, value: date | None, today: date) -> None:
    if value is None:
        errors[field] = ValidationError("Enter the date.")
    elif value > today:
        errors[field] = ValidationError("This date is in the future.")


def rems_enrollment_record(
    *,
    patient: Patient,
    patient_signed_on: date | None,
    prescriber,
    prescriber_signed_on: date | None,
    enrolled_on: date | None,
    recorded_by,
) -> RemsEnrollment:
    """Record the patient's REMS enrollment: both signatures, then the enrollment, none in the
    future, the prescriber a clinician. A patient is enrolled once."""
    today = timezone.localdate()
    errors: dict[str, ValidationError] = {}
    _not_in_future(errors, "patient_signed_on", patient_signed_on, today)
    _not_in_future(errors, "prescriber_signed_on", prescriber_signed_on, today)
    _not_in_future(errors, "enrolled_on", enrolled_on, today)
    if not errors and enrolled_on < max(patient_signed_on, prescriber_signed_on):
        errors["enrolled_on"] = ValidationError(
            "The enrollment cannot be before either signature of the enrollment form."
        )
    if prescriber is None:
        errors["prescriber"] = ValidationError("Choose the prescriber who signed.")
    elif not (
        get_user_model()
        .objects.filter(pk=prescriber.pk, is_active=True, groups__name=CLINICIAN)
        .exists()
    ):
        errors["prescriber"] = ValidationError("The prescriber must be one of the clinicians.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return RemsEnrollment.objects.create(
                patient=patient,
                patient_signed_on=patient_signed_on,
                prescriber=prescriber,
                prescriber_signed_on=prescriber_signed_on,
                enrolled_on=enrolled_on,
                recorded_by=recorded_by,
            )
    except IntegrityError as error:
        # The one-to-one on the patient: someone else recorded it first (or it was there).
        if RemsEnrollment.objects.filter(patient=patient).exists():
            raise ValidationError(ALREADY_ENROLLED) from error
        raise


def form_submit_refusal(session: TreatmentSession) -> str | None:
    """Why the session's monitoring form cannot be marked as submitted (None: it can)."""
    if session.route_given != Route.ESKETAMINE_NASAL:
        return "The REMS monitoring form is for intranasal esketamine sessions."
    if session.status != TreatmentSession.Status.COMPLETED:
        return "The monitoring form is submitted once the session is completed (discharged)."
    return None


def rems_form_submit(
    *, session: TreatmentSession, submitted_on: date | None, by
) -> RemsFormSubmission:
    """Mark the session's Patient Monitoring Form as submitted to the REMS, on a day from the
    session's to today. Once."""
    refusal = form_submit_refusal(session)
    if refusal:
        raise ValidationError(refusal)
    if submitted_on is None:
        raise ValidationError({"submitted_on": "Enter the date the form was submitted."})
    if submitted_on > timezone.localdate():
        raise ValidationError({"submitted_on": "This date is in the future."})
    if submitted_on < selectors.form_day(session):
        raise ValidationError({"submitted_on": "The form cannot be submitted before the session."})
    try:
        with transaction.atomic():
            return RemsFormSubmission.objects.create(
                session=session, submitted_on=submitted_on, submitted_by=by
            )
    except IntegrityError as error:
        if RemsFormSubmission.objects.filter(session=session).exists():
            raise ValidationError(ALREADY_SUBMITTED) from error
        raise
