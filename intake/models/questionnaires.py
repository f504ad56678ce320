"""The intake questionnaire, the links that open it, signatures, scores and alerts."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .patients import Patient


class Intake(models.Model):
    """One patient's intake questionnaire: a server-side draft until submitted, then locked.

    ``answers`` holds what the patient typed, per step ({step slug: {field: value}}); it is
    validated step by step and again as a whole on submission.
    """

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        OPENED = "opened", "Opened"
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"
        REVOKED = "revoked", "Link revoked"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    status = models.CharField(max_length=12, choices=Status, default=Status.INVITED)
    current_step = models.CharField(max_length=20, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    completed_steps = models.JSONField(default=list, blank=True)
    # Copied from the newest link, so the queue can tell "expired" with one indexed query.
    link_expires_at = models.DateTimeField(null=True, blank=True)
    # When a clinician asks for more information: what they asked, shown on every step.
    clinician_request = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    # Computed on the server at submission (and after a staff amendment).
    gad7_total = models.PositiveSmallIntegerField(null=True, blank=True)
    gad7_band = models.CharField(max_length=20, blank=True)
    phq9_total = models.PositiveSmallIntegerField(null=True, blank=True)
    phq9_band = models.CharField(max_length=20, blank=True)
    phq9_item9 = models.PositiveSmallIntegerField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "link_expires_at"], name="intake_queue"),
            models.Index(fields=["patient", "-created_at"], name="intake_patient_latest"),
            models.Index(fields=["status", "-submitted_at"], name="intake_submitted"),
            # What the screening worklist sorts waiting screenings by (item 9 first, then the
            # longest waiting since submitting), read by key from the index alone.
            models.Index(fields=["id", "submitted_at", "phq9_item9"], name="intake_worklist_keys"),
        ]

    def __str__(self) -> str:
        return f"Intake {self.pk} for patient {self.patient_id}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    def queue_status(self, now=None) -> str:
        """What the front desk sees: invited, opened, in progress, submitted, expired, revoked."""
        now = now or timezone.now()
        if self.status in (self.Status.SUBMITTED, self.Status.REVOKED):
            return self.get_status_display()
        if self.link_expires_at and self.link_expires_at <= now:
            return "Expired"
        return self.get_status_display()

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class PatientLink(models.Model):
    """A secret link that lets a patient open their own forms without an account.

    Only a SHA-256 of the token is stored. The patient proves who they are with their date of
    birth; too many misses lock the link. The intake uses it, and so do the follow-up surveys of
    the apps built on this one.
    """

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    first_opened_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def remaining_attempts(self) -> int:
        return max(settings.CLINIC_INTAKE_LINK_MAX_ATTEMPTS - self.failed_attempts, 0)

    def refusal(self, now=None) -> str | None:
        """Why this link cannot be used now, or None."""
        now = now or timezone.now()
        if self.revoked_at:
            return "revoked"
        if self.locked_at:
            return "locked"
        if self.expires_at <= now:
            return "expired"
        return None


class IntakeLink(PatientLink):
    """A secret link to one patient's intake."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"
        SCREEN = "screen", "Shown on screen"

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="links")
    channel = models.CharField(max_length=8, choices=Channel)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.CharField(max_length=200, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["intake", "-created_at"], name="intakelink_latest")]

    def __str__(self) -> str:
        return f"Intake link {self.pk} ({self.get_channel_display()})"

    @property
    def patient(self):
        return self.intake.patient

    def get_additional_data(self) -> dict:
        return {"patient_id": self.intake.patient_id}


class ConsentSignature(models.Model):
    """A typed-name e-signature with the exact text and version that was shown."""

    class Document(models.TextChoices):
        TREATMENT = "treatment", "Consent to treatment"
        PRIVACY = "privacy", "Privacy notice"

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="signatures")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="signatures")
    document = models.CharField(max_length=10, choices=Document)
    version = models.CharField(max_length=40)
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64)
    signed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-signed_at"]
        indexes = [
            models.Index(fields=["patient", "document", "-signed_at"], name="consent_latest")
        ]

    def __str__(self) -> str:
        return f"{self.get_document_display()} {self.version} signed {self.signed_at:%Y-%m-%d}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class Assessment(models.Model):
    """One completed GAD-7 or PHQ-9, from the intake, a survey or a session; or the 24-hour
    check-in's anxiety questions, which ask the GAD-7's items "since your treatment": another
    recall period, so another instrument, with a total and no severity band."""

    class Instrument(models.TextChoices):
        GAD7 = "gad7", "GAD-7"
        PHQ9 = "phq9", "PHQ-9"
        ANXIETY_CHECKIN = "anx_24h", "24-hour anxiety check-in"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments")
    instrument = models.CharField(max_length=8, choices=Instrument)
    answers = models.JSONField()
    total = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=20)
    difficulty = models.CharField(max_length=16, blank=True)
    taken_at = models.DateTimeField()
    # Where it came from, by kind and id ("intake", "survey", "session"): apps above this one
    # record their own scores here without this app knowing about them.
    source_kind = models.CharField(max_length=16)
    source_id = models.BigIntegerField()

    class Meta:
        ordering = ["taken_at", "id"]
        indexes = [
            models.Index(fields=["patient", "instrument", "taken_at"], name="assessment_series"),
            models.Index(fields=["source_kind", "source_id"], name="assessment_source"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_kind", "source_id", "instrument"], name="assessment_once_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.total} ({self.band})"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class ClinicalAlert(models.Model):
    """Something a clinician must look at: urgent ones (PHQ-9 item 9 above 0) are also
    emailed to every clinician; the others wait on the worklists."""

    class Kind(models.TextChoices):
        PHQ9_ITEM9 = "phq9_item9", "Thoughts of self-harm (PHQ-9 item 9)"
        SCORE_WORSE = "score_worse", "Scores worse than before treatment"
        SEVERE_SIDE_EFFECT = "side_effect", "Severe side effect reported"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind)
    urgent = models.BooleanField(default=True)
    source_kind = models.CharField(max_length=16)
    source_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledgement_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["acknowledged_at", "-created_at"], name="alert_open"),
            # The alert list's open alerts, urgent then newest first: a page read in order.
            models.Index(
                fields=["-urgent", "-created_at", "-id"],
                condition=models.Q(acknowledged_at__isnull=True),
                name="alert_open_order",
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(urgent=True, notified_at__isnull=True),
                name="alert_to_notify",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_kind", "source_id"], name="alert_once_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — patient {self.patient_id}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class IntakeAmendment(models.Model):
    """A staff correction to a submitted intake; the patient's original answer is kept."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="amendments")
    step = models.CharField(max_length=20)
    field = models.CharField(max_length=60)
    original_value = models.JSONField(null=True)
    new_value = models.JSONField(null=True)
    reason = models.CharField(max_length=500)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Amendment {self.pk} to intake {self.intake_id}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.intake.patient_id}
