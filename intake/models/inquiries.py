"""Consultation requests from the public website: the front desk's "New inquiries" queue."""

from django.conf import settings
from django.db import models
from phonenumber_field.modelfields import PhoneNumberField

from clinic.date_bounds import birth_dates

from .patients import ContactChannel, Patient


class InquiryConcern(models.TextChoices):
    ANXIETY = "anxiety", "Anxiety"
    DEPRESSION = "depression", "Depression"
    PTSD = "ptsd", "PTSD"
    OTHER = "other", "Something else"


class ReferralSource(models.TextChoices):
    SEARCH = "search", "Web search"
    DOCTOR = "doctor", "My doctor or psychiatrist"
    THERAPIST = "therapist", "My therapist"
    FRIEND = "friend", "Friend or family"
    SOCIAL = "social", "Social media"
    OTHER = "other", "Other"


class ConsultationRequest(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        # Sent in a way that may be a robot (within seconds of opening the form, or with the
        # field hidden from people filled in): kept apart until the front desk looks.
        HELD = "held", "Held for a check"
        CONVERTED = "converted", "Became a patient"
        CLOSED = "closed", "Closed"

    class CloseReason(models.TextChoices):
        DUPLICATE = "duplicate", "Duplicate of another inquiry or patient"
        UNREACHABLE = "unreachable", "Could not reach them"
        NOT_INTERESTED = "not_interested", "No longer interested"
        NOT_SUITABLE = "not_suitable", "Not suitable for the clinic (referred elsewhere)"
        SPAM = "spam", "Spam or test"
        OTHER = "other", "Other"

    class HeldReason(models.TextChoices):
        TOO_FAST = "too_fast", "Sent too fast to be sure it was a person"
        HIDDEN_FIELD = "hidden_field", "A field people cannot see was filled in"

    first_name = models.CharField("first name", max_length=100)
    last_name = models.CharField("last name", max_length=100)
    date_of_birth = models.DateField("date of birth", validators=[birth_dates])
    email = models.EmailField()
    mobile = PhoneNumberField("mobile phone")
    preferred_contact = models.CharField(
        "preferred contact", max_length=8, choices=ContactChannel, default=ContactChannel.SMS
    )
    concerns = models.JSONField("what they want help with", default=list)
    concern_details = models.CharField("anything else", max_length=1000, blank=True)
    heard_about = models.CharField(
        "how they heard of the clinic", max_length=16, choices=ReferralSource, blank=True
    )
    consent_to_contact = models.BooleanField("consents to be contacted", default=False)

    status = models.CharField(max_length=10, choices=Status, default=Status.NEW)
    # The location the request is for (the public form offers them in a chain).
    location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A keyed hash of the sender's IP address: enough to rate-limit, useless to anyone else.
    client_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="inquiries"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=16, choices=CloseReason, blank=True)
    close_note = models.CharField(max_length=500, blank=True)
    held_reason = models.CharField(max_length=16, choices=HeldReason, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="inquiry_queue"),
            models.Index(fields=["client_fingerprint", "created_at"], name="inquiry_rate_limit"),
        ]

    def __str__(self) -> str:
        return f"Inquiry {self.pk} ({self.get_status_display()})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def concern_labels(self) -> list[str]:
        labels = dict(InquiryConcern.choices)
        return [labels.get(value, value) for value in self.concerns]

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id} if self.patient_id else {}
