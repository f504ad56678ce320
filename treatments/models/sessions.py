"""Treatment chairs, booked sessions, and the monitored session log from check-in to discharge."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone

from clinic.loaded_values import UNKNOWN, RemembersLoadedValues
from clinic.locations import default_location
from intake.models import Patient, PatientLocation

from .plans import ROUTE_CHOICES, PlanVersion, TreatmentPlan


class TreatmentChair(RemembersLoadedValues):
    """A treatment room or chair: what a session occupies."""

    name = models.CharField(max_length=60, unique=True)
    # The clinic location the chair is in (null only before locations: read as the first).
    location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="chairs"
    )
    remembered_fields = ("location_id",)  # for save(): its patients follow the chair
    # The room or wing within the location, as the staff call it.
    room = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        """Saved; moved to another location, its sessions, past and booked, are that
        location's: its patients are seen there, and no longer at the old one unless another
        session of theirs is there."""
        update_fields = kwargs.get("update_fields")
        stored_location_id = self.loaded_value("location_id")
        moved = not self._state.adding and stored_location_id != self.location_id
        super().save(*args, **kwargs)
        if moved and (update_fields is None or "location" in update_fields):
            patients = list(
                self.sessions.order_by().values_list("patient_id", flat=True).distinct()
            )
            location_id = self.location_id or default_location().pk
            PatientLocation.objects.record((patient, location_id) for patient in patients)
            if stored_location_id not in (None, UNKNOWN):
                forget_session_locations(patient_ids=patients, location_ids=[stored_location_id])
        self.remember("location_id")


# Sessions in these states hold their chair and their patient's time.
HOLDING_STATUSES = ("booked", "checked_in", "in_progress", "completed")


class TreatmentSession(RemembersLoadedValues):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CHECKED_IN = "checked_in", "Checked in"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="sessions")
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    chair = models.ForeignKey(TreatmentChair, on_delete=models.PROTECT, related_name="sessions")
    remembered_fields = ("chair_id",)  # for save(): PatientLocation follows the chair
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status, default=Status.BOOKED)
    cancel_reason = models.CharField(max_length=500, blank=True)
    # Who cancelled (or postponed) the session and when: a page opened before that says so.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    booked_at = models.DateTimeField(auto_now_add=True)

    # Check-in (front desk)
    arrived_at = models.DateTimeField(null=True, blank=True)
    escort_name = models.CharField("escort or ride home", max_length=200, blank=True)
    escort_phone = models.CharField("escort's phone", max_length=30, blank=True)
    fasting_confirmed = models.BooleanField(default=False)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # Before the dose (clinician)
    consent_current = models.BooleanField(null=True, blank=True)
    fasting_hours = models.DecimalField(
        "hours since food", max_digits=4, decimal_places=1, null=True, blank=True
    )
    clear_liquids_hours = models.DecimalField(
        "hours since clear liquids", max_digits=4, decimal_places=1, null=True, blank=True
    )
    pregnancy_test = models.CharField(max_length=16, blank=True)
    pre_dose_gad7 = models.JSONField(null=True, blank=True)
    # Asked at every session (and shown on the esketamine REMS form).
    sedatives_today = models.BooleanField(
        "benzodiazepine or other sedative taken today", null=True, blank=True
    )
    sedatives_today_detail = models.CharField(max_length=200, blank=True)
    # Fasting shorter than the clinic's hours blocks dosing until a clinician decides.
    fasting_decision = models.CharField(max_length=12, blank=True)  # "proceed" or "postpone"
    fasting_decision_note = models.CharField(max_length=500, blank=True)
    fasting_decision_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bp_gate_decision = models.CharField(max_length=12, blank=True)  # "proceed" or "postpone"
    bp_gate_note = models.CharField(max_length=500, blank=True)
    bp_gate_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # Administration
    drug = models.CharField(max_length=60, blank=True)
    route_given = models.CharField(max_length=16, choices=ROUTE_CHOICES, blank=True)
    dose_given_mg = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    dose_difference_reason = models.CharField(max_length=500, blank=True)
    # A dose given outside the route's usual range, confirmed by the clinician with this reason.
    dose_outside_usual_reason = models.CharField(max_length=500, blank=True)
    lot_number = models.CharField(max_length=40, blank=True)
    administration_started_at = models.DateTimeField(null=True, blank=True)
    administration_stopped_at = models.DateTimeField(null=True, blank=True)

    # Observation and discharge: Modified Aldrete, five criteria scored 0-2.
    aldrete_activity = models.PositiveSmallIntegerField(null=True, blank=True)
    aldrete_respiration = models.PositiveSmallIntegerField(null=True, blank=True)
    aldrete_circulation = models.PositiveSmallIntegerField(null=True, blank=True)
    aldrete_consciousness = models.PositiveSmallIntegerField(null=True, blank=True)
    aldrete_oxygen = models.PositiveSmallIntegerField(null=True, blank=True)
    escort_present = models.BooleanField(default=False)
    # The last vitals before discharge outside the normal ranges, accepted by a clinician.
    discharge_vitals_accepted_note = models.CharField(max_length=500, blank=True)
    discharge_vitals_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ready_to_leave_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharge_instructions_given = models.BooleanField(default=False)

    # The note: signing locks it; later changes are addenda.
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "chair"]
        indexes = [
            models.Index(fields=["starts_at", "chair"], name="session_day_board"),
            # One location's chairs: their board of a day, their free slots over a series.
            models.Index(fields=["chair", "starts_at"], name="session_chair_starts"),
            models.Index(fields=["patient", "starts_at"], name="session_patient"),
            models.Index(fields=["status", "starts_at"], name="session_status"),
            # "Sessions to sign": the few unsigned ones among hundreds of thousands, oldest
            # first (the list's first page is read in order, however many wait).
            models.Index(
                fields=["starts_at", "id"],
                condition=models.Q(signed_at__isnull=True, status__in=["in_progress", "completed"]),
                name="session_to_sign_order",
            ),
            # The REMS monitoring forms due (treatments.selectors.rems): the completed
            # esketamine sessions in the order their forms fall due; the anti-join with the
            # submissions is then over these rows only.
            models.Index(
                fields=["administration_started_at", "id"],
                condition=models.Q(route_given="esketamine_in", status="completed"),
                name="session_rems_forms",
            ),
            # The same, at one location (a chain): through the location's chairs, rather than
            # the chain's every esketamine session filtered by chair.
            models.Index(
                fields=["chair", "administration_started_at", "id"],
                condition=models.Q(route_given="esketamine_in", status="completed"),
                name="session_rems_forms_chair",
            ),
            # A drug recall: every session given from one lot (the admin's session search).
            models.Index(
                fields=["lot_number"], condition=~models.Q(lot_number=""), name="session_lot"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        # In the clinic's zone: the audit trail keeps this text as the record's name.
        starts = timezone.localtime(self.starts_at)
        return f"Session {self.pk} for patient {self.patient_id} at {starts:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        """Saved, and ``PatientLocation`` kept in step when it is booked or moved to another
        chair (its location is one where the patient is seen; the old chair's, no longer, if
        no other session of theirs is there), whichever way it was saved (a service, the
        admin, a fixture)."""
        update_fields = kwargs.get("update_fields")
        stored_chair_id = self.loaded_value("chair_id")
        moved = stored_chair_id != self.chair_id
        super().save(*args, **kwargs)
        if moved and (update_fields is None or "chair" in update_fields):
            record_session_locations([self])
            if stored_chair_id is not UNKNOWN:
                forget_session_locations(
                    patient_ids=[self.patient_id],
                    location_ids=TreatmentChair.objects.filter(pk=stored_chair_id).values(
                        "location"
                    ),
                )
            self.remember("chair_id")

    @property
    def aldrete_total(self) -> int | None:
        parts = [
            self.aldrete_activity, self.aldrete_respiration, self.aldrete_circulation,
            self.aldrete_consciousness, self.aldrete_oxygen,
        ]  # fmt: skip
        return None if any(p is None for p in parts) else sum(parts)

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class VitalsReading(models.Model):
    class Kind(models.TextChoices):
        BASELINE = "baseline", "Baseline (before the dose)"
        MONITORING = "monitoring", "During monitoring"
        DISCHARGE = "discharge", "Before discharge"

    session = models.ForeignKey(TreatmentSession, on_delete=models.CASCADE, related_name="vitals")
    kind = models.CharField(max_length=12, choices=Kind, default=Kind.MONITORING)
    taken_at = models.DateTimeField()
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField("SpO2 (%)", null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    sedation_moaa_s = models.PositiveSmallIntegerField(
        "sedation (MOAA/S 0-5)", null=True, blank=True
    )
    dissociation = models.PositiveSmallIntegerField("dissociation (CADSS-6)", null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["taken_at", "id"]
        indexes = [models.Index(fields=["session", "taken_at"], name="vitals_series")]

    def __str__(self) -> str:
        return f"Vitals {self.pk} at {timezone.localtime(self.taken_at):%H:%M}"

    def get_additional_data(self) -> dict:
        return {"session_id": self.session_id}


class SessionEvent(models.Model):
    """A side effect, an intervention or an adverse event during the session."""

    class Kind(models.TextChoices):
        SIDE_EFFECT = "side_effect", "Side effect"
        INTERVENTION = "intervention", "Intervention"
        ADVERSE_EVENT = "adverse_event", "Adverse event"

    class Effect(models.TextChoices):
        DISSOCIATION = "dissociation", "Dissociation"
        HALLUCINATIONS = "hallucinations", "Hallucinations"
        DIZZINESS = "dizziness", "Dizziness"
        NAUSEA = "nausea", "Nausea"
        VOMITING = "vomiting", "Vomiting"
        DROWSINESS = "drowsiness", "Drowsiness"
        HEADACHE = "headache", "Headache"
        RAISED_BP = "raised_bp", "Raised blood pressure"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    session = models.ForeignKey(TreatmentSession, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=14, choices=Kind)
    effect = models.CharField(max_length=16, choices=Effect, blank=True)
    severity = models.CharField(max_length=10, choices=Severity, blank=True)
    description = models.CharField(max_length=1000, blank=True)
    occurred_at = models.DateTimeField()
    escalated = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} in session {self.session_id}"

    def get_additional_data(self) -> dict:
        return {"session_id": self.session_id}


class SessionAddendum(models.Model):
    """A change after signing: the signed note is kept as it was."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    text = models.CharField(max_length=4000)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Addendum {self.pk} to session {self.session_id}"

    def get_additional_data(self) -> dict:
        return {"session_id": self.session_id}


def record_session_locations(sessions) -> None:
    """Record each session's location (its chair's; a chair with none: the installation's
    first) as one where its patient is seen: one statement, plus one to read the chairs not
    already loaded. For ``TreatmentSession.save`` and the writers that bypass it."""
    chair_field = TreatmentSession._meta.get_field("chair")
    loaded = {s.chair_id: s.chair.location_id for s in sessions if chair_field.is_cached(s)}
    unloaded = {s.chair_id for s in sessions} - loaded.keys()
    locations = dict(
        TreatmentChair.objects.filter(pk__in=unloaded).values_list("pk", "location_id")
        if unloaded
        else ()
    )
    locations.update(loaded)
    first = None
    pairs = []
    for session in sessions:
        location_id = locations[session.chair_id]
        if location_id is None:
            first = first or default_location().pk
            location_id = first
        pairs.append((session.patient_id, location_id))
    PatientLocation.objects.record(pairs)


def forget_session_locations(*, patient_ids, location_ids) -> None:
    """The patients are no longer seen at the locations through a session if none of their
    sessions is at a chair there now (their home rows stay): one statement."""
    PatientLocation.objects.filter(
        patient__in=patient_ids, location__in=location_ids, via=PatientLocation.Via.SESSION
    ).exclude(
        Exists(
            TreatmentSession.objects.filter(
                patient=OuterRef("patient"), chair__location=OuterRef("location")
            )
        )
    ).delete()
