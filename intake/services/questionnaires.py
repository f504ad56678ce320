"""Writes for the intake: links, the questionnaire's steps, consent, submission and alerts."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from clinic.broker import task_enqueue

from .. import scoring, units
from ..consent import (
    CONSENT_TO_TREATMENT,
    CONSENT_VERSION,
    PRIVACY_NOTICE,
    PRIVACY_VERSION,
    text_digest,
)
from ..medications import flag_medications
from ..models import (
    Assessment,
    ClinicalAlert,
    ConsentSignature,
    Intake,
    IntakeLink,
    Patient,
    PatientLink,
)
from ..patient_messages import INTAKE_LINK, patient_message_request
from ..questionnaire import SCREENING_QUESTIONS, STEP_SLUGS, STEPS, Step
from ..questionnaire_state import (
    ABOUT_RECORD_FIELDS,
    bind_step,
    medication_names,
    storable_answers,
)
from ..tasks import notify_clinicians_of_alert
from .patients import patient_record_measurement, patient_update

TOKEN_BYTES = 32


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedLink:
    """A link just made. ``token`` is its secret when it is shown on screen (this is the one
    moment it exists in full); None for a link sent by email or text, whose secret the outbox
    makes when it sends the message (``intake_link_token_issue``)."""

    link: IntakeLink
    token: str | None

    @property
    def path(self) -> str:
        return reverse("intake:link_open", kwargs={"token": self.token})

    @property
    def url(self) -> str:
        return settings.CLINIC_BASE_URL.rstrip("/") + self.path


def _open_intake_for(patient: Patient, created_by) -> Intake:
    intake = (
        Intake.objects.select_for_update()
        .filter(patient=patient)
        .exclude(status=Intake.Status.SUBMITTED)
        .order_by("-created_at")
        .first()
    )
    if intake is None:
        intake = Intake.objects.create(patient=patient, created_by=created_by)
    return intake


def intake_link_channel_refusal(*, patient: Patient, channel: str) -> str | None:
    """Why a link cannot be sent to this patient this way (a phrase for staff), or None."""
    if channel not in IntakeLink.Channel.values:
        return "unknown way of sending"
    if channel == IntakeLink.Channel.EMAIL and not patient.email:
        return "no email address on file"
    if channel == IntakeLink.Channel.SMS:
        if not patient.mobile:
            return "no mobile number on file"
        # No texts without recorded consent (TCPA); email needs only an address.
        if not patient.consent_sms:
            return "the patient has not agreed to text messages"
    return None


def intake_link_issue(*, patient: Patient, channel: str, created_by) -> IssuedLink:
    """A new link to the patient's open intake (made if needed). Older links stop working.

    Email and SMS go through the outbox (its row is written in this transaction); the message
    holds only the link. Raises ValueError (with a sentence for staff) when the channel cannot
    reach the patient.
    """
    refusal = intake_link_channel_refusal(patient=patient, channel=channel)
    if refusal:
        raise ValueError(f"The link cannot be sent this way: {refusal}.")
    now = timezone.now()
    # A link sent by message gets its working secret when the message goes: until then it
    # holds the hash of one nobody ever sees.
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        intake = _open_intake_for(patient, created_by)
        _revoke_active_links(intake, revoked_by=created_by, now=now)
        link = IntakeLink.objects.create(
            intake=intake,
            token_hash=token_digest(token),
            channel=channel,
            created_by=created_by,
            expires_at=now + timedelta(days=settings.CLINIC_INTAKE_LINK_DAYS),
        )
        intake.link_expires_at = link.expires_at
        if intake.status == Intake.Status.REVOKED:
            intake.status = (
                Intake.Status.IN_PROGRESS if intake.started_at else Intake.Status.INVITED
            )
        intake.save(update_fields=["link_expires_at", "status", "updated_at"])
        on_screen = channel == IntakeLink.Channel.SCREEN
        if not on_screen:
            patient_message_request(
                purpose=INTAKE_LINK,
                patient_id=patient.pk,
                key=f"intake_link:{link.pk}",
                intake_link_id=link.pk,
            )
    return IssuedLink(link=link, token=token if on_screen else None)


def intake_link_token_issue(*, link: IntakeLink) -> str:
    """A new secret for a link whose message is about to go (the outbox calls this as it
    sends): the full URL to put in the message. Only its hash is stored, so every send carries
    a fresh one and the one before stops working."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link.token_hash = token_digest(token)
    IntakeLink.objects.filter(pk=link.pk).update(token_hash=link.token_hash)
    return IssuedLink(link=link, token=token).url


def _revoke_active_links(intake: Intake, *, revoked_by, now) -> int:
    # Saved one by one (a patient has one or two) so each revocation is in the audit trail.
    links = list(
        IntakeLink.objects.select_related("intake").filter(intake=intake, revoked_at__isnull=True)
    )
    for link in links:
        link.revoked_at = now
        link.revoked_by = revoked_by
        link.save(update_fields=["revoked_at", "revoked_by"])
    return len(links)


def intake_link_revoke(*, intake: Intake, revoked_by) -> int:
    """Stop every link to this intake working. The answers so far are kept."""
    with transaction.atomic():
        locked = Intake.objects.select_for_update().get(pk=intake.pk)
        count = _revoke_active_links(locked, revoked_by=revoked_by, now=timezone.now())
        if locked.status != Intake.Status.SUBMITTED:
            locked.status = Intake.Status.REVOKED
            locked.save(update_fields=["status", "updated_at"])
    return count


def intake_link_find(*, token: str) -> IntakeLink | None:
    if not token or len(token) > 100:
        return None
    return (
        IntakeLink.objects.select_related("intake__patient")
        .filter(token_hash=token_digest(token))
        .first()
    )


def patient_link_check_birth_date(
    *, link: PatientLink, patient: Patient, date_of_birth: date
) -> bool:
    """Check the date of birth on any patient link (intake or survey); after
    ``CLINIC_INTAKE_LINK_MAX_ATTEMPTS`` misses the link locks."""
    if link.refusal() is not None:
        return False
    now = timezone.now()
    links = type(link).objects.filter(pk=link.pk)
    if patient.date_of_birth == date_of_birth:
        links.update(failed_attempts=0, last_opened_at=now)
        links.filter(first_opened_at__isnull=True).update(first_opened_at=now)
        return True
    # Counted in the database, so parallel guesses cannot slip past the limit.
    links.update(failed_attempts=F("failed_attempts") + 1)
    links.filter(
        locked_at__isnull=True,
        failed_attempts__gte=settings.CLINIC_INTAKE_LINK_MAX_ATTEMPTS,
    ).update(locked_at=now)
    link.refresh_from_db(fields=["failed_attempts", "locked_at"])
    return False


def intake_link_confirm_birth_date(*, link: IntakeLink, date_of_birth: date) -> bool:
    confirmed = patient_link_check_birth_date(
        link=link, patient=link.intake.patient, date_of_birth=date_of_birth
    )
    if confirmed:
        Intake.objects.filter(pk=link.intake_id, status=Intake.Status.INVITED).update(
            status=Intake.Status.OPENED
        )
    return confirmed


class IntakeLocked(Exception):
    """The intake was submitted: the patient can no longer change it."""


def _first_incomplete(intake: Intake) -> Step:
    for step in STEPS:
        if step.slug not in intake.completed_steps:
            return step
    return STEPS[-1]


def intake_reachable_step(*, intake: Intake, slug: str) -> Step:
    """The step the patient may open: the one asked for, unless an earlier one is unfinished."""
    first_open = _first_incomplete(intake)
    wanted = STEP_SLUGS.index(slug) if slug in STEP_SLUGS else len(STEPS)
    if wanted <= STEP_SLUGS.index(first_open.slug):
        return STEPS[wanted]
    return first_open


def intake_step_save(*, intake: Intake, step: Step, data, action: str, request_meta: dict):
    """Save what the patient typed on a step and note where they are.

    ``action`` is "next" (the step must be valid to count as done and to move on), "back" or
    "stay" (the draft is kept as typed, minus oversized values, and the step stays unfinished
    if it is not valid). Resuming later opens the step the patient went to.

    Returns the bound form(s) so the view can show errors beside the fields.
    """
    if action not in ("next", "back", "stay"):
        raise ValueError(f"unknown action {action!r}")
    if intake.is_submitted:
        raise IntakeLocked
    bound = bind_step(step, data, intake=intake)
    valid = bound.is_valid()
    advance = action == "next"
    if advance and not valid:
        return bound
    with transaction.atomic():
        locked = Intake.objects.select_for_update().get(pk=intake.pk)
        if locked.is_submitted:
            raise IntakeLocked
        locked.answers[step.slug] = storable_answers(bound, valid=valid)
        completed = [s for s in locked.completed_steps if s != step.slug]
        if valid and step.slug != "review":
            completed.append(step.slug)
        locked.completed_steps = [s for s in STEP_SLUGS if s in completed]
        now = timezone.now()
        locked.started_at = locked.started_at or now
        if locked.status in (Intake.Status.INVITED, Intake.Status.OPENED):
            locked.status = Intake.Status.IN_PROGRESS
        index = STEP_SLUGS.index(step.slug)
        if advance:
            locked.current_step = STEP_SLUGS[min(index + 1, len(STEPS) - 1)]
        elif action == "back":
            locked.current_step = STEP_SLUGS[max(index - 1, 0)]
        else:
            locked.current_step = step.slug
        locked.save(
            update_fields=[
                "answers",
                "completed_steps",
                "started_at",
                "status",
                "current_step",
                "updated_at",
            ]
        )
        if valid and step.slug == "questionnaires":
            answers = bound.form.phq9_answers()
            if scoring.phq9_item9_positive(answers):
                alert_raise(
                    patient_id=locked.patient_id,
                    kind=ClinicalAlert.Kind.PHQ9_ITEM9,
                    source_kind="intake",
                    source_id=locked.pk,
                )
        signed_name = bound.form.cleaned_data.get("signature") if valid else None
        already_signed = (
            signed_name
            and locked.signatures.filter(version=CONSENT_VERSION, signed_name=signed_name).exists()
        )
        if valid and step.slug == "consent" and not already_signed:
            consent_sign(
                intake=locked,
                signed_name=bound.form.cleaned_data["signature"],
                request_meta=request_meta,
            )
    # The caller's intake now holds what was saved: the row as locked and written above, with
    # no second read of its answers.
    for field in Intake._meta.concrete_fields:
        setattr(intake, field.attname, getattr(locked, field.attname))
    return bound


def consent_sign(*, intake: Intake, signed_name: str, request_meta: dict) -> list[ConsentSignature]:
    """Record the typed-name signature on both documents, each with its exact text."""
    now = timezone.now()
    return [
        ConsentSignature.objects.create(  # one by one, so each lands in the audit trail
            intake=intake,
            patient_id=intake.patient_id,
            document=document,
            version=version,
            text=text,
            text_sha256=text_digest(text),
            signed_name=signed_name,
            signed_at=now,
            ip_address=request_meta.get("ip"),
            user_agent=(request_meta.get("user_agent") or "")[:300],
        )
        for document, version, text in (
            (ConsentSignature.Document.TREATMENT, CONSENT_VERSION, CONSENT_TO_TREATMENT),
            (ConsentSignature.Document.PRIVACY, PRIVACY_VERSION, PRIVACY_NOTICE),
        )
    ]


@dataclass
class IncompleteIntake(Exception):
    """A step is missing or no longer valid: the patient is sent back to it."""

    step: Step


def intake_flags(bound_steps: dict) -> list[dict]:
    flags: list[dict] = []
    questionnaires = bound_steps["questionnaires"].form
    item9 = int(questionnaires.cleaned_data["phq9_9"])
    if item9 > 0:
        label = dict(scoring.ANSWER_CHOICES)[item9]
        flags.append({"kind": "item9", "label": f"PHQ-9 item 9 (thoughts of self-harm): {label}"})
    medical = bound_steps["medical"].form.cleaned_data
    answer_labels = {"yes": "Yes", "unsure": "Not sure"}
    for code, question in SCREENING_QUESTIONS:
        answer = medical.get(f"screen_{code}")
        if answer in answer_labels:
            flags.append(
                {
                    "kind": "screening",
                    "code": code,
                    "label": question,
                    "answer": answer_labels[answer],
                }
            )
    for flag in flag_medications(medication_names(bound_steps["medications"])):
        flags.append(
            {
                "kind": "medication",
                "code": flag.drug_class,
                "label": f"{flag.drug_class}: {flag.medication}",
            }
        )
    return flags


def intake_submit(*, intake: Intake, data, request_meta: dict) -> Intake:
    """Check every step again, compute the scores on the server, lock the intake and copy the
    confirmed contact details, height and weight to the patient's record."""
    if intake.is_submitted:
        raise IntakeLocked
    review = bind_step(STEPS[-1], data, intake=intake)
    bound_steps = {}
    for step in STEPS[:-1]:
        bound = bind_step(step, intake.answers.get(step.slug), intake=intake)
        if step.slug not in intake.answers or not bound.is_valid():
            raise IncompleteIntake(step)
        bound_steps[step.slug] = bound
    if not review.is_valid():
        return review
    gad7 = scoring.score_gad7(bound_steps["questionnaires"].form.gad7_answers())
    phq9_answers = bound_steps["questionnaires"].form.phq9_answers()
    phq9 = scoring.score_phq9(phq9_answers)
    now = timezone.now()
    with transaction.atomic():
        locked = Intake.objects.select_for_update().select_related("patient").get(pk=intake.pk)
        if locked.is_submitted:
            raise IntakeLocked
        if not locked.signatures.filter(version=CONSENT_VERSION).exists():
            raise IncompleteIntake(STEPS[STEP_SLUGS.index("consent")])
        about = bound_steps["about"].form.cleaned_data
        patient_update(
            patient=locked.patient,
            details={name: about[name] for name in ABOUT_RECORD_FIELDS},
        )
        height_in = about["height_feet"] * 12 + about["height_inches"]
        patient_record_measurement(
            patient=locked.patient,
            recorded_by=None,
            weight_kg=units.kg_from_lb(about["weight_lb"]),
            height_cm=units.cm_from_in(Decimal(height_in)),
            source="intake",
        )
        difficulty = bound_steps["questionnaires"].form.cleaned_data.get("phq9_difficulty") or ""
        for instrument, answers, score, extra in (
            (
                Assessment.Instrument.GAD7,
                bound_steps["questionnaires"].form.gad7_answers(),
                gad7,
                "",
            ),
            (Assessment.Instrument.PHQ9, phq9_answers, phq9, difficulty),
        ):
            Assessment.objects.create(
                patient_id=locked.patient_id,
                instrument=instrument,
                answers=answers,
                total=score.total,
                band=score.band,
                difficulty=extra,
                taken_at=now,
                source_kind="intake",
                source_id=locked.pk,
            )
        locked.status = Intake.Status.SUBMITTED
        locked.submitted_at = now
        locked.current_step = "review"
        locked.gad7_total, locked.gad7_band = gad7.total, gad7.band
        locked.phq9_total, locked.phq9_band = phq9.total, phq9.band
        locked.phq9_item9 = phq9_answers[8]
        locked.flags = intake_flags(bound_steps)
        locked.save(
            update_fields=[
                "status",
                "submitted_at",
                "current_step",
                "gad7_total",
                "gad7_band",
                "phq9_total",
                "phq9_band",
                "phq9_item9",
                "flags",
                "updated_at",
            ]
        )
        if scoring.phq9_item9_positive(phq9_answers):
            alert_raise(
                patient_id=locked.patient_id,
                kind=ClinicalAlert.Kind.PHQ9_ITEM9,
                source_kind="intake",
                source_id=locked.pk,
            )
        intake_answers_changed(locked)
    return locked


def intake_request_more_information(*, previous: Intake, request: str, requested_by) -> bool:
    """A new intake for the patient, prefilled with their last answers and showing the
    clinician's question; the link goes by their preferred channel. False when it could not
    be sent (no usable channel): the caller hands it to the front desk."""
    patient = previous.patient
    channel = (
        IntakeLink.Channel.EMAIL if patient.preferred_contact == "email" else IntakeLink.Channel.SMS
    )
    if intake_link_channel_refusal(patient=patient, channel=channel):
        other = (
            IntakeLink.Channel.SMS
            if channel == IntakeLink.Channel.EMAIL
            else IntakeLink.Channel.EMAIL
        )
        if intake_link_channel_refusal(patient=patient, channel=other):
            return False
        channel = other
    answers = {slug: data for slug, data in previous.answers.items() if slug != "review"}
    with transaction.atomic():
        Intake.objects.create(
            patient=patient,
            created_by=requested_by,
            answers=answers,
            # Every step is there to check; submitting asks for the consent to be signed again.
            completed_steps=list(previous.completed_steps),
            current_step="review",
            clinician_request=request,
        )
        intake_link_issue(patient=patient, channel=channel, created_by=requested_by)
    return True


# Apps above this one react to a submitted (or amended) intake without this app importing
# them: treatments registers the screening here in its AppConfig.ready().
INTAKE_CHANGED_HOOKS: list = []


def intake_answers_changed(intake: Intake) -> None:
    """Run, inside the caller's transaction, what depends on a submitted intake's answers."""
    for hook in INTAKE_CHANGED_HOOKS:
        hook(intake=intake)


def alert_raise(
    *, patient_id: int, kind: str, source_kind: str, source_id: int, urgent: bool = True
) -> ClinicalAlert:
    """Record an alert once per source; an urgent one is emailed to clinicians after commit."""
    alert, created = ClinicalAlert.objects.get_or_create(
        kind=kind,
        source_kind=source_kind,
        source_id=source_id,
        defaults={"patient_id": patient_id, "urgent": urgent},
    )
    if created and urgent:
        transaction.on_commit(
            lambda: _enqueue_alert_notification(notify_clinicians_of_alert, alert.pk)
        )
    return alert


def _enqueue_alert_notification(task, alert_id: int) -> None:
    # If the broker is down or hangs, the page still answers at once (the patient may be on
    # their way to the crisis resources); the alert row stays un-notified and the beat sweep
    # (intake.tasks.notify_pending_alerts) sends it once the broker is back.
    task_enqueue(task, alert_id)


def alert_acknowledge(*, alert: ClinicalAlert, user, note: str) -> bool:
    """A clinician has seen the alert and acted on it, and says what was done (required).
    False if someone already had."""
    note = " ".join((note or "").split())
    if not note:
        raise ValueError("Write a short note of what was done.")
    with transaction.atomic():
        locked = ClinicalAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            return False
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = user
        locked.acknowledgement_note = note[:500]
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledgement_note"])
    return True
