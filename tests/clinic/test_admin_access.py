"""Every admin URL as the Clinic admin role: no clinical record opens, and each page of patient
data that does open writes an access entry for every record it shows.

The admin's registry is walked, as tests/clinic/test_access.py walks the app's URLs, so a model
registered later is covered without touching this file: its admin says what it shows (a
``PatientDataAdmin``, clinical by default) or it is listed below as holding no patient record.
"""

import io
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.admin_patient_data import PatientDataAdmin
from clinic.locations import default_location
from clinic.models import StaffLocation
from followups.models import FollowUpCall, Survey, SurveyLink
from intake.models import ConsultationRequest, Intake, IntakeAmendment
from tests.conftest import sign_in
from tests.factories import PatientFactory, UserFactory
from tests.treatments.plans import record_weight
from treatments.models import SessionAddendum, SessionEvent, TreatmentSession

# Admins over tables that hold no patient's record, and why they may stay plain ModelAdmins.
NO_PATIENT_RECORD = {
    "auth.group": "the three roles",
    "auth.user": "staff accounts",
    "clinic.location": "the chain's locations: address, hours, time zone, registrations",
    "clinic.stafflocation": "which staff work at which location",
    "otp_totp.totpdevice": "staff members' second factors",
    "axes.accessattempt": "failed staff sign-ins",
    "axes.accesslog": "staff sign-ins",
    "axes.accessfailurelog": "failed staff sign-ins",
    "treatments.treatmentchair": "chairs and rooms",
    # Entries name the records they are about: reading who opened what is the clinic admin's
    # job, and the trail is append-only.
    "auditlog.logentry": "the audit trail",
    # The controlled-substance ledger (treatments.admin_ledger): stock, quantities and staff.
    # An entry's session is shown to superusers as its number alone, never with a patient.
    "treatments.dearegistration": "the clinic's DEA registrations",
    "treatments.controlledproduct": "the controlled products stocked",
    "treatments.stockreceipt": "deliveries of controlled substances",
    "treatments.stockcontainer": "vials and device packs in stock",
    "treatments.stockcount": "counts and inventories of the stock",
    "treatments.stockonhand": "what is on the shelf now, container by container",
    "treatments.ledgerentry": "movements of stock, no patient named",
    "treatments.discrepancy": "counts that did not match the ledger",
    "treatments.discrepancyresolution": "how a count's difference was explained",
}

# Patients' rows the clinic admin reads in the admin (audited); every other table of them is
# clinical, for superusers alone.
SHOWN_TO_THE_CLINIC_ADMIN = {
    "intake.patient": "demographics and contact",
    "followups.outboxentry": "whether and when each message went out",
    "followups.surveylink": "when a survey link was sent and opened",
}

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower)


def _kind(model_admin) -> str:
    if isinstance(model_admin, PatientDataAdmin):
        return "clinical" if model_admin.clinical else "patient data"
    return "no patient record"


def _accesses() -> int:
    return LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()


def _admin_url(model, page: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{page}", args=args)


@pytest.fixture
def one_of_each(db, clinician_user):
    """A clinic with a row in every table the admin shows: the demo clinic, and what it lacks."""
    call_command("seed_demo", stdout=io.StringIO())
    now = timezone.now()
    patient = PatientFactory(legal_last_name="Okafor")
    StaffLocation.objects.get_or_create(user=clinician_user, location=default_location())
    ConsultationRequest.objects.create(
        first_name="Ines",
        last_name="Moreau",
        date_of_birth="1990-04-02",
        email="ines@example.com",
        mobile="+15125550101",
    )
    IntakeAmendment.objects.create(
        intake=Intake.objects.filter(status="submitted").first(),
        step="history",
        field="medications",
        reason="Patient called with the dose",
        author=clinician_user,
    )
    session = TreatmentSession.objects.order_by("pk").first()
    SessionEvent.objects.create(
        session=session, kind="side_effect", occurred_at=now, recorded_by=clinician_user
    )
    SessionAddendum.objects.create(session=session, author=clinician_user, text="Late entry")
    FollowUpCall.objects.create(
        patient=patient, outcome="voicemail", called_at=now, called_by=clinician_user
    )
    SurveyLink.objects.create(
        survey=Survey.objects.order_by("pk").first(),
        token_hash="0" * 64,
        expires_at=now + timedelta(days=7),
        channel="sms",
    )
    sign_in_rows = {"user_agent": "Firefox", "http_accept": "*/*", "path_info": "/login/"}
    AccessAttempt.objects.create(
        **sign_in_rows, get_data="", post_data="", failures_since_start=1, username="x"
    )
    AccessLog.objects.create(**sign_in_rows, username="x")
    AccessFailureLog.objects.create(**sign_in_rows, username="x")


@pytest.fixture
def superuser(db):
    return sign_in(Client(), UserFactory(username="root", is_superuser=True, is_staff=True))


def test_the_walk_sees_every_kind_of_admin():
    """Guard the guard: a walk that found nothing of a kind would pass for that kind."""
    kinds = {_kind(model_admin) for _, model_admin in REGISTRY}
    assert kinds == {"clinical", "patient data", "no patient record"}
    assert len(REGISTRY) >= 30


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTRY, ids=[m._meta.label_lower for m, _ in REGISTRY]
)
def test_every_admin_says_whether_it_shows_patients(model, model_admin):
    shown = _kind(model_admin) == "patient data"
    assert shown is (model._meta.label_lower in SHOWN_TO_THE_CLINIC_ADMIN), (
        f"{model._meta.label_lower}: a table of patients' rows is clinical (hidden from the "
        "clinic roles) unless listed in SHOWN_TO_THE_CLINIC_ADMIN, saying why the clinic admin "
        "needs it"
    )
    if _kind(model_admin) == "no patient record":
        assert model._meta.label_lower in NO_PATIENT_RECORD, (
            f"{model._meta.label_lower} is in the admin as a plain {type(model_admin).__name__}: "
            "a table with patients' rows gets a PatientDataAdmin (clinical unless said "
            "otherwise); one without is listed in NO_PATIENT_RECORD, saying what it holds"
        )


def test_every_admin_page_answers_the_clinic_admin_as_intended(one_of_each, clinic_admin):
    wrong = []
    for model, model_admin in REGISTRY:
        label, kind = model._meta.label_lower, _kind(model_admin)
        record = model._default_manager.order_by("pk").first()
        if record is None:
            wrong.append(f"{label}: no row to open (add one in one_of_each)")
            continue
        pages = {
            "changelist": _admin_url(model, "changelist"),
            "add": _admin_url(model, "add"),
            "change": _admin_url(model, "change", quote(record.pk)),
        }
        for page, url in pages.items():
            before = _accesses()
            response = clinic_admin.get(url)
            written = _accesses() - before
            status = response.status_code
            if kind == "clinical":
                if status not in (403, 404) or written:
                    wrong.append(f"{label} {page}: {status}, {written} access entries")
            elif kind == "patient data":
                if page == "add":
                    expected = (403, 0)
                elif page == "change":
                    expected = (200, 1)
                else:  # one entry for each row the list shows
                    expected = (200, len(response.context["cl"].result_list))
                    if not expected[1]:
                        wrong.append(f"{label} {page}: shows no rows to audit")
                if (status, written) != expected:
                    wrong.append(f"{label} {page}: {status}, {written} entries, not {expected}")
            elif written:
                wrong.append(f"{label} {page}: {written} access entries for no patient record")
            if status == 302 and urlparse(response["Location"]).path == reverse("login"):
                wrong.append(f"{label} {page}: sent back to sign in")
        if kind == "clinical":
            search = clinic_admin.post(_admin_url(model, "search"), {"q": "Okafor"})
            if search.status_code != 403:
                wrong.append(f"{label} search: {search.status_code}")
    assert wrong == []


def test_the_clinic_admins_index_lists_no_clinical_table(clinic_admin):
    index = clinic_admin.get(reverse("admin:index")).content.decode()

    for model, model_admin in REGISTRY:
        listed = _admin_url(model, "changelist") in index
        if _kind(model_admin) == "clinical":
            assert not listed, model._meta.label_lower
        elif _kind(model_admin) == "patient data":
            assert listed, model._meta.label_lower
    for app_label in {model._meta.app_label for model, _ in REGISTRY}:
        response = clinic_admin.get(reverse("admin:app_list", args=[app_label]))
        assert response.status_code in (200, 404), app_label
        for model, model_admin in REGISTRY:
            if _kind(model_admin) == "clinical":
                assert _admin_url(model, "changelist") not in response.content.decode()


def test_every_page_of_patient_data_writes_an_entry_for_what_it_shows(one_of_each, superuser):
    """Superusers still open clinical records in the admin (read-only): audited as the app's
    pages are, whoever opens them."""
    wrong = []
    for model, model_admin in REGISTRY:
        if _kind(model_admin) == "no patient record":
            continue
        label = model._meta.label_lower
        record = model._default_manager.order_by("pk").first()
        for page, url in {
            "change": _admin_url(model, "change", quote(record.pk)),
            "history": _admin_url(model, "history", quote(record.pk)),
        }.items():
            entries = LogEntry.objects.get_for_object(record).filter(action=LogEntry.Action.ACCESS)
            before = entries.count()
            response = superuser.get(url)
            if (response.status_code, entries.count() - before) != (200, 1):
                wrong.append(f"{label} {page}: {response.status_code}, {entries.count() - before}")
            if entries.count() > before and entries.latest("pk").actor.username != "root":
                wrong.append(f"{label} {page}: entry not in the superuser's name")
        before = _accesses()
        response = superuser.get(_admin_url(model, "changelist"))
        shown = response.context["cl"].result_list
        if _accesses() - before != len(shown) or not shown:
            wrong.append(f"{label} changelist: {_accesses() - before} entries, {len(shown)} rows")
    assert wrong == []


def test_a_patient_search_is_posted_and_never_put_in_a_url(clinic_admin, patient):
    PatientFactory(legal_last_name="Nguyen")
    okafor = PatientFactory(legal_last_name="Okafor", legal_first_name="Ada")
    changelist = _admin_url(okafor._meta.model, "changelist")

    form = clinic_admin.get(changelist).content.decode()
    redirected = clinic_admin.post(_admin_url(okafor._meta.model, "search"), {"q": "okafor"})
    location = redirected["Location"]
    before = _accesses()
    found = clinic_admin.get(location)

    assert 'method="post" action="/admin/intake/patient/search/"' in form
    assert urlparse(location).path == changelist
    assert set(parse_qs(urlparse(location).query)) == {"qk"}
    assert "okafor" not in location.lower()
    names = {patient.legal_last_name for patient in found.context["cl"].result_list}
    assert names == {"Okafor"}
    assert _accesses() - before == 1
    # The page's own links (filters, sorting, each patient) carry the key, not the term.
    assert "Okafor" in found.content.decode()
    assert "q=okafor" not in found.content.decode().lower()
    # A name typed into the URL is not a search: the list is the whole clinic.
    typed = clinic_admin.get(changelist, {"q": "okafor"})
    assert len(typed.context["cl"].result_list) > 2


def test_a_search_is_the_searchers_own(clinic_admin, patient):
    PatientFactory(legal_last_name="Okafor")
    redirected = clinic_admin.post(reverse("admin:intake_patient_search"), {"q": "Okafor"})
    other = sign_in(Client(), UserFactory(username="adabis", role="Clinic admin"))

    response = other.get(redirected["Location"])

    # Another session has no such key: the whole list, not that search.
    assert len(response.context["cl"].result_list) > 1
    assert clinic_admin.get(reverse("admin:intake_patient_search")).status_code == 405


def test_the_clinic_admin_reads_a_patients_contact_but_not_their_weight(
    clinic_admin, superuser, patient
):
    record_weight(patient, "83.4")
    url = reverse("admin:intake_patient_change", args=[patient.pk])
    entries = LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.ACCESS)

    page = clinic_admin.get(url).content.decode()

    assert patient.email in page
    assert "83.4" not in page
    assert entries.count() == 1
    assert "83.4" in superuser.get(url).content.decode()
