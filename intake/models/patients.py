import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from phonenumber_field.modelfields import PhoneNumberField

from clinic.date_bounds import birth_dates
from clinic.loaded_values import RemembersLoadedValues
from clinic.locations import default_location

# Unambiguous characters (no 0/O, 1/I/L) so an MRN can be read over the phone.
MRN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MRN_PREFIX = "KC"
MRN_LENGTH = 7


def generate_mrn() -> str:
    return MRN_PREFIX + "-" + "".join(secrets.choice(MRN_ALPHABET) for _ in range(MRN_LENGTH))


class SexAtBirth(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNDISCLOSED = "undisclosed", "Prefer not to say"


class ContactChannel(models.TextChoices):
    SMS = "sms", "Text message (SMS)"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"


class Patient(RemembersLoadedValues):
    mrn = models.CharField("MRN", max_length=16, unique=True, default=generate_mrn, editable=False)
    legal_first_name = models.CharField("legal first name", max_length=100)
    legal_last_name = models.CharField("legal last name", max_length=100)
    preferred_name = models.CharField("preferred name", max_length=100, blank=True)
    date_of_birth = models.DateField("date of birth", validators=[birth_dates])
    sex_at_birth = models.CharField("sex assigned at birth", max_length=16, choices=SexAtBirth)
    gender = models.CharField("gender identity", max_length=60, blank=True)
    pronouns = models.CharField(max_length=30, blank=True)

    email = models.EmailField(blank=True)
    mobile = PhoneNumberField("mobile phone", blank=True)
    preferred_contact = models.CharField(
        "preferred contact", max_length=8, choices=ContactChannel, default=ContactChannel.SMS
    )
    consent_sms = models.BooleanField("consents to text messages", default=False)
    consent_email = models.BooleanField("consents to email", default=False)
    # Where and when each consent was given (a ConsentSource or "consultation request #N"), and
    # when it was last withdrawn: written only by the patient services, with the consent itself.
    sms_consent_at = models.DateTimeField("texts consented at", null=True, blank=True)
    sms_consent_source = models.CharField("texts consented through", max_length=60, blank=True)
    sms_consent_withdrawn_at = models.DateTimeField("texts withdrawn at", null=True, blank=True)
    email_consent_at = models.DateTimeField("email consented at", null=True, blank=True)
    email_consent_source = models.CharField("email consented through", max_length=60, blank=True)
    email_consent_withdrawn_at = models.DateTimeField("email withdrawn at", null=True, blank=True)

    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField("ZIP code", max_length=10, blank=True)

    emergency_contact_name = models.CharField("emergency contact name", max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(
        "relationship to patient", max_length=60, blank=True
    )
    emergency_contact_phone = PhoneNumberField("emergency contact phone", blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The patient belongs to the chain (one record, one MRN); their home location is where
    # they registered (null only in a database made before locations: read as the first).
    home_location = models.ForeignKey(
        "clinic.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    remembered_fields = ("home_location_id",)  # for save(): PatientLocation follows the home

    class Meta:
        ordering = ["legal_last_name", "legal_first_name", "id"]
        indexes = [
            models.Index(
                Upper("legal_last_name"), Upper("legal_first_name"), name="patient_name_upper"
            ),
            models.Index(Upper("preferred_name"), name="patient_preferred_upper"),
            models.Index(fields=["date_of_birth"], name="patient_dob"),
            models.Index(fields=["mobile"], name="patient_mobile"),
            models.Index(Upper("email"), name="patient_email_upper"),
            # The patient list before a search: the latest registered, read newest first.
            models.Index(fields=["-created_at", "-id"], name="patient_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    def save(self, *args, **kwargs):
        """Saved with its home location (none given: the installation's first, where a patient
        made outside a chosen location belongs), and ``PatientLocation`` kept in step with it
        whichever way the patient was saved (a service, the admin, a fixture)."""
        if self.home_location_id is None:
            self.home_location = default_location()
        update_fields = kwargs.get("update_fields")
        adding = self._state.adding
        home_changed = self.loaded_value("home_location_id") != self.home_location_id
        super().save(*args, **kwargs)
        if home_changed and (update_fields is None or "home_location" in update_fields):
            PatientLocation.objects.move_home(self, moved=not adding)
            self.remember("home_location_id")

    @property
    def full_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"

    @property
    def display_name(self) -> str:
        """Legal name, with the preferred first name shown when it differs."""
        if self.preferred_name and self.preferred_name != self.legal_first_name:
            return f"{self.legal_first_name} ({self.preferred_name}) {self.legal_last_name}"
        return self.full_name

    def get_additional_data(self) -> dict:
        # Lets the audit trail be filtered by patient across the patient's related records.
        return {"patient_id": self.pk, "mrn": self.mrn}


class PatientLocationQuerySet(models.QuerySet):
    def move_home(self, patient: Patient, *, moved: bool) -> None:
        """The patient's home row at their home location: one statement for a new patient,
        two for one whose home has moved."""
        if moved:
            self.filter(patient=patient, via=PatientLocation.Via.HOME).delete()
        self.record([(patient.pk, patient.home_location_id)], via=PatientLocation.Via.HOME)

    def record(self, pairs, *, via: str = "session") -> None:
        """Record (patient id, location id) pairs, in one statement; pairs already recorded
        are skipped."""
        rows = [
            PatientLocation(patient_id=patient_id, location_id=location_id, via=via)
            for patient_id, location_id in set(pairs)
        ]
        if rows:
            self.bulk_create(rows, ignore_conflicts=True)


class PatientLocation(models.Model):
    """Where a patient is seen: their home location, and every location where a session of
    theirs is (at one of its chairs). The location rule (``intake/access.py``) and the
    database's row policy (intake 0016) read this table, one indexed lookup by location, in
    place of an OR over the patients' home and every session's chair.

    Kept by the saves of ``Patient``, ``TreatmentSession`` and ``TreatmentChair`` (and by the
    bulk writers that bypass them: the demo history, ``seed_bulk``); migration intake 0016 and
    treatments 0023 made it from the rows already there. A session row stays when the session
    is cancelled (the location holds the booking and its records); a session moved to another
    location's chair takes it along unless another session of the patient is there. Only ids:
    no health data."""

    class Via(models.TextChoices):
        HOME = "home", "Home location"
        SESSION = "session", "A session there"

    # Served by the (patient, location) index below.
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Served by the constraint's index, which leads with the location.
    location = models.ForeignKey(
        "clinic.Location", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    via = models.CharField(max_length=8, choices=Via)

    objects = PatientLocationQuerySet.as_manager()

    class Meta:
        constraints = [
            # The rule's lookup: the patients seen at a set of locations, from the index alone.
            models.UniqueConstraint(
                fields=["location", "patient", "via"], name="patient_location_unique"
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(via="home"),
                name="patient_location_one_home",
            ),
        ]
        indexes = [
            # Whether one patient is seen at the request's locations: the row policy on
            # intake_patient (intake 0016) and a patient page's check, one probe each.
            models.Index(fields=["patient", "location"], name="patient_location_by_patient"),
        ]

    def __str__(self) -> str:
        return f"Patient {self.patient_id} at location {self.location_id} ({self.via})"


class PatientMeasurement(models.Model):
    """Weight and height over time: the latest weight drives mg/kg doses."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="measurements")
    recorded_at = models.DateTimeField()
    weight_kg = models.DecimalField(
        "weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    height_cm = models.DecimalField(
        "height (cm)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    source = models.CharField(max_length=20, default="staff")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["patient", "-recorded_at"], name="measurement_latest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight_kg__isnull=False) | models.Q(height_cm__isnull=False),
                name="measurement_has_value",
            ),
            models.CheckConstraint(
                condition=models.Q(weight_kg__isnull=True)
                | models.Q(weight_kg__gt=0, weight_kg__lt=500),
                name="measurement_weight_range",
            ),
            models.CheckConstraint(
                condition=models.Q(height_cm__isnull=True)
                | models.Q(height_cm__gt=0, height_cm__lt=300),
                name="measurement_height_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Measurement {self.pk} for patient {self.patient_id}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}
