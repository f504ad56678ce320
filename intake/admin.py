"""The patient record in the Django admin: searchable and filterable, audited like the app.

Patients are registered in the app, where the duplicate check runs, so the admin cannot add
them; weight and height history is appended from the patient page and is read-only here.
"""

import re

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html

from clinic.admin import FixedValuesFilter
from clinic.admin_patient_data import PatientDataAdmin

from .form_fields import US_STATES
from .models import (
    MRN_PREFIX,
    Assessment,
    ClinicalAlert,
    ConsentSignature,
    ConsultationRequest,
    Intake,
    IntakeAmendment,
    IntakeLink,
    Patient,
    PatientLocation,
    PatientMeasurement,
)
from .selectors import name_sort_key, patient_search
from .services import patients as services

_MRN_WORD = re.compile(rf"\b{MRN_PREFIX}-[0-9A-Z]+\b", re.IGNORECASE)

# What the search box of a patient's records matches (their ``search_fields``).
RECORD_SEARCH_HELP = "The patient's MRN (whole), or the start of their last name."


class PatientRecordsAdmin(PatientDataAdmin):
    """A table of patients' records (clinical: hidden from the clinic roles, see
    ``PatientDataAdmin``): searched by exact MRN (``patient__mrn__exact``, which
    the MRN's unique index serves) and leading last name (``^patient__legal_last_name``,
    served by the name indexes of migration 0007) rather than "contains"."""

    search_help_text = RECORD_SEARCH_HELP

    def get_search_results(self, request, queryset, search_term):
        # MRNs are stored upper-case: one typed in lower case finds the patient too.
        search_term = _MRN_WORD.sub(lambda mrn: mrn[0].upper(), search_term)
        return super().get_search_results(request, queryset, search_term)


class PatientMeasurementInline(admin.TabularInline):
    model = PatientMeasurement
    fields = ["recorded_at", "weight_kg", "height_cm", "source", "recorded_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")

    def has_view_permission(self, request, obj=None):
        # Weights and heights are clinical: on the patient's admin page for superusers alone.
        return request.user.is_superuser

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StateFilter(FixedValuesFilter):
    title = "state"
    parameter_name = "state"
    field = "state"

    def values(self) -> list[tuple[str, str]]:
        return [(code, name) for code, name in US_STATES if code]


@admin.register(Patient)
class PatientAdmin(PatientDataAdmin):
    """Demographics and contact, which the clinic admin may read: every page audited."""

    clinical = False
    list_display = [
        "mrn",
        "legal_last_name",
        "legal_first_name",
        "preferred_name",
        "date_of_birth",
        "mobile",
        "email",
        "created_at",
        "created_by",
    ]
    list_display_links = ["mrn", "legal_last_name"]
    list_select_related = ["created_by"]
    list_filter = [
        "sex_at_birth",
        "preferred_contact",
        "consent_sms",
        "consent_email",
        StateFilter,
        "created_at",
    ]
    # The search is the front desk's (``get_search_results``); listed for the search box.
    search_fields = ["mrn"]
    search_help_text = (
        "The start of a last, first or preferred name (“smith”, “jane smith”), or a whole "
        "MRN, email, date of birth (MM/DD/YYYY) or phone number."
    )
    readonly_fields = [
        "mrn",
        "audit_trail",
        "created_by",
        "created_at",
        "updated_at",
        # Written by the patient services with each change of consent, never typed in.
        *(field for fields in services.CONSENT_PROVENANCE.values() for field in fields),
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "mrn",
                    ("legal_first_name", "legal_last_name", "preferred_name"),
                    "date_of_birth",
                    "sex_at_birth",
                    ("gender", "pronouns"),
                ]
            },
        ),
        (
            "Contact",
            {
                "fields": [
                    ("mobile", "email"),
                    "preferred_contact",
                    ("consent_sms", "consent_email"),
                    ("sms_consent_at", "sms_consent_source", "sms_consent_withdrawn_at"),
                    ("email_consent_at", "email_consent_source", "email_consent_withdrawn_at"),
                    "address_line1",
                    "address_line2",
                    ("city", "state", "postal_code"),
                ]
            },
        ),
        (
            "Emergency contact",
            {
                "fields": [
                    (
                        "emergency_contact_name",
                        "emergency_contact_relationship",
                        "emergency_contact_phone",
                    )
                ]
            },
        ),
        ("Record", {"fields": ["audit_trail", "created_by", "created_at", "updated_at"]}),
    ]
    inlines = [PatientMeasurementInline]

    @admin.display(description="Audit trail")
    def audit_trail(self, obj: Patient) -> str:
        url = reverse("admin:auditlog_logentry_changelist")
        return format_html(
            '<a href="{}?patient={}">Who created, changed and viewed this record</a>', url, obj.pk
        )

    def get_ordering(self, request):
        # Name order as the app's lists sort it, which patient_last_name_order holds (the
        # plain column order would sort every patient for each page).
        return [name_sort_key("legal_last_name"), name_sort_key("legal_first_name"), "id"]

    def get_search_results(self, request, queryset, search_term):
        # The front desk's search: names by their start ("smith", "smith, jane"), MRNs, dates
        # of birth and phone numbers typed as people write them ((512) 555-0143 is stored as
        # +15125550143), each served by an index (a "contains" search reads every patient).
        if not search_term.strip():
            return queryset, False
        return queryset & patient_search(query=search_term), False

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service, so only the fields that changed are written (and audited).
        stored = Patient.objects.get(pk=obj.pk)
        services.patient_update(
            patient=stored,
            details={
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in services.PATIENT_FIELDS
            },
        )
        obj.refresh_from_db()


class MeasurementSourceFilter(FixedValuesFilter):
    title = "source"
    parameter_name = "source"
    field = "source"

    def values(self) -> list[tuple[str, str]]:
        return [("staff", "Staff"), ("intake", "Intake questionnaire")]


@admin.register(PatientMeasurement)
class PatientMeasurementAdmin(PatientRecordsAdmin):
    """Weight and height history: appended from the patient page, never edited afterwards.

    Newest first by id (the primary key serves it; they are appended as they are taken)."""

    list_display = [
        "recorded_at",
        "patient",
        "weight_kg",
        "height_cm",
        "source",
        "recorded_by",
    ]
    list_select_related = ["patient", "recorded_by"]
    list_filter = [MeasurementSourceFilter, "recorded_at"]
    search_fields = ["patient__mrn__exact", "^patient__legal_last_name"]
    ordering = ["-id"]
    fields = ["patient", "recorded_at", "weight_kg", "height_cm", "source", "recorded_by"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(PatientRecordsAdmin):
    """Intake records are written by the patient and the services; the admin only reads."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsultationRequest)
class ConsultationRequestAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "last_name", "first_name", "status", "heard_about"]
    list_filter = ["status", "heard_about", "preferred_contact", "created_at"]
    search_fields = ["first_name", "last_name", "email"]
    list_select_related = ["patient"]
    exclude = ["client_fingerprint"]


@admin.register(Intake)
class IntakeAdmin(ReadOnlyAdmin):
    list_display = ["id", "patient", "status", "submitted_at", "gad7_total", "phq9_total"]
    list_filter = ["status", "submitted_at"]
    search_fields = ["patient__mrn", "patient__legal_last_name"]
    list_select_related = ["patient"]
    exclude = ["answers"]


@admin.register(IntakeLink)
class IntakeLinkAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "intake",
        "channel",
        "created_at",
        "expires_at",
        "revoked_at",
        "locked_at",
    ]
    list_filter = ["channel", "created_at", "expires_at"]
    search_fields = ["intake__patient__mrn"]
    list_select_related = ["intake"]
    exclude = ["token_hash"]


@admin.register(ConsentSignature)
class ConsentSignatureAdmin(ReadOnlyAdmin):
    list_display = ["patient", "document", "version", "signed_name", "signed_at", "ip_address"]
    list_filter = ["document", "version", "signed_at"]
    search_fields = ["patient__mrn", "signed_name"]
    list_select_related = ["patient"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["patient", "instrument", "total", "band", "taken_at", "source_kind"]
    list_filter = ["instrument", "band", "source_kind", "taken_at"]
    search_fields = ["patient__mrn"]
    list_select_related = ["patient"]


@admin.register(ClinicalAlert)
class ClinicalAlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "patient", "kind", "urgent", "notified_at", "acknowledged_at"]
    list_filter = ["kind", "urgent", "created_at", "acknowledged_at"]
    search_fields = ["patient__mrn"]
    list_select_related = ["patient"]


@admin.register(IntakeAmendment)
class IntakeAmendmentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "intake", "step", "field", "author"]
    list_filter = ["step", "created_at"]
    search_fields = ["intake__patient__mrn", "field", "reason"]
    list_select_related = ["intake", "author"]


@admin.register(PatientLocation)
class PatientLocationAdmin(ReadOnlyAdmin):
    """Where each patient is seen (home, or a session there): the table the location rule and
    the database's row policy read, kept by the patients' and sessions' saves."""

    list_display = ["patient", "location", "via"]
    list_filter = ["location", "via"]
    search_fields = ["=patient__mrn"]
    list_select_related = ["patient", "location"]

    def has_delete_permission(self, request, obj=None):
        # Its rows go with their patient, where whoever may delete the patient deletes them
        # (the patient's delete page asks this of each row); never one by one.
        return obj is not None and request.user.has_perm("intake.delete_patient")

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied
