"""A believable demo clinic: one user per role (two clinicians, so a waste can be witnessed),
about twenty patients, their intakes, six months of treatment history and a month of the
controlled-substance ledger; and a second location, El Paso (Mountain time), with its own
chairs, hours, DEA registration and a few patients, for the chain (``CLINIC_CHAIN=1``).

It lives in the top app because it seeds every app below it. Safe to run again: it only adds
what is missing.
"""

import base64
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.locations import default_location
from clinic.models import Location, StaffLocation
from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from followups.models import Survey
from followups.services.results import survey_results_record
from intake.models import Intake, Patient
from intake.questionnaire import SCREENING_QUESTIONS, STEP_BY_SLUG, TREATMENTS
from intake.questionnaire_state import ABOUT_RECORD_FIELDS
from intake.services import questionnaires as intake_services
from intake.services.patients import patient_record_measurement, patient_register
from treatments import limits
from treatments.models import (
    AssessmentFinding,
    LedgerEntry,
    Screening,
    ScreeningDetermination,
    TreatmentChair,
    TreatmentPlan,
    TreatmentSession,
)
from treatments.selectors.booking import plan_series_proposal
from treatments.services import sessions as log
from treatments.services.booking import plan_current_version, session_book
from treatments.services.plans import plan_activate, plan_create
from treatments.services.screening import finding_record, screening_determine
from treatments.session_rules import ALDRETE_CRITERIA

from ._demo_history import COURSES, seed_history
from ._demo_ledger import seed_ledger, seed_rems

DEMO_PASSWORD = "demo-clinic-2026"
DEMO_USERS = [
    ("frontdesk", "Maria", "Alvarez", FRONT_DESK),
    ("clinician", "Dr. Sam", "Okafor", CLINICIAN),
    ("admin", "Priya", "Raman", CLINIC_ADMIN),
    ("nurse", "Jordan", "Ellis, RN", CLINICIAN),
]
# The nurse witnesses the demo's wastes: a witness confirms with their own password and
# authenticator code, so the nurse has an authenticator with this published demo key (add it
# to an authenticator app, or `oathtool --totp -b <key>`). The other demo users have none: with
# `make run`'s two-factor requirement off they sign in with the password alone.
DEMO_WITNESS = "nurse"
DEMO_WITNESS_KEY = b"demo-witness-key-26!".hex()  # 20 bytes, as django-otp makes them
FIRST_NAMES = [
    "Emily",
    "James",
    "Olivia",
    "Daniel",
    "Sophia",
    "Michael",
    "Ava",
    "David",
    "Isabella",
    "Joshua",
    "Mia",
    "Andrew",
    "Charlotte",
    "Christopher",
    "Amelia",
    "Matthew",
    "Harper",
    "Ethan",
    "Evelyn",
    "Benjamin",
]
LAST_NAMES = [
    "Nguyen",
    "Garcia",
    "Johnson",
    "Patel",
    "Williams",
    "Brown",
    "Martinez",
    "Davis",
    "Rodriguez",
    "Miller",
    "Wilson",
    "Anderson",
    "Thomas",
    "Hernandez",
    "Moore",
    "Jackson",
    "Lee",
    "Thompson",
    "White",
    "Lopez",
]
CITIES = ["Austin", "Round Rock", "Cedar Park", "Georgetown", "Pflugerville", "San Marcos"]


class Command(BaseCommand):
    help = "Create demo staff (one per role) and about 20 demo patients. Safe to run again."

    def handle(self, *args, **options):
        with transaction.atomic():
            User = get_user_model()
            staff = {}
            for username, first, last, role in DEMO_USERS:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "email": f"{username}@example.com",
                    },
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                user.is_staff = role == CLINIC_ADMIN
                user.save()
                user.groups.set([Group.objects.get(name=role)])
                staff.setdefault(role, user)
                if username == DEMO_WITNESS:
                    nurse = user
                    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                        TOTPDevice.objects.create(
                            user=user, name="Demo authenticator", key=DEMO_WITNESS_KEY,
                            confirmed=True,
                        )  # fmt: skip

            created_count = 0
            for index, (first, last) in enumerate(zip(FIRST_NAMES, LAST_NAMES, strict=True)):
                rng = random.Random(index)  # per patient, so a re-run draws the same values
                dob = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 38))
                if Patient.objects.filter(
                    legal_first_name=first, legal_last_name=last, date_of_birth=dob
                ).exists():
                    continue
                patient = patient_register(
                    created_by=staff[FRONT_DESK],
                    details={
                        "legal_first_name": first,
                        "legal_last_name": last,
                        "preferred_name": "Liv" if first == "Olivia" else "",
                        "date_of_birth": dob,
                        "sex_at_birth": "female" if index % 2 == 0 else "male",
                        "email": f"{first.lower()}.{last.lower()}@example.com",
                        "mobile": f"+1512555{index:04d}",
                        "preferred_contact": "sms" if index % 3 else "email",
                        "consent_sms": index % 3 != 0,
                        "consent_email": True,
                        "address_line1": f"{100 + index * 7} Oak Street",
                        "city": rng.choice(CITIES),
                        "state": "TX",
                        "postal_code": f"78{700 + index:03d}",
                        "emergency_contact_name": f"{rng.choice(FIRST_NAMES)} {last}",
                        "emergency_contact_relationship": rng.choice(
                            ["Spouse", "Parent", "Sibling", "Friend"]
                        ),
                        "emergency_contact_phone": f"+1512556{index:04d}",
                    },
                    allow_duplicate=True,
                )
                patient_record_measurement(
                    patient=patient,
                    recorded_by=staff[FRONT_DESK],
                    weight_kg=Decimal(rng.randrange(550, 1100)) / 10,
                    height_cm=Decimal(rng.randrange(1550, 1950)) / 10,
                )
                created_count += 1

            # Who works where, before anything is booked (in a chain a booking is refused on
            # a chair of a location the booker does not work at).
            _seed_workplaces(staff, nurse=nurse)
            intakes = _seed_intakes(staff[FRONT_DESK])
            _seed_screenings(staff[CLINICIAN])
            _seed_chairs()
            _seed_plans_and_sessions(staff[CLINICIAN], staff[FRONT_DESK])
            live = _seed_followups(staff[CLINICIAN])
            treated = seed_history(
                clinician=staff[CLINICIAN],
                front_desk=staff[FRONT_DESK],
                patients=list(Patient.objects.order_by("pk")[HISTORY_PATIENTS]),
            )
            # The month's ledger, in the order it happened: the follow-up sessions' doses are
            # given in it, drawn from the vials in use that day.
            ledgered = seed_ledger(
                clinician=staff[CLINICIAN],
                nurse=nurse,
                live=[session for session, *_ in live],
                administer=_administer_demo_dose,
            )
            for session, anxiety, side_effects in live:
                _finish_demo_session(session, staff[CLINICIAN], anxiety, side_effects)
            seed_rems(clinician=staff[CLINICIAN])
            el_paso = _seed_el_paso(staff, nurse=nurse)

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo clinic ready: {created_count} new patients, {intakes} new intakes, "
                f"{treated} treatment histories, {ledgered} controlled-substance ledger entries; "
                f"El Paso: {el_paso} new patients."
            )
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _, _, role in DEMO_USERS:
            where = " and ".join(DEMO_WORKPLACES[username])
            self.stdout.write(f"  {username:<10} {role:<12} works at {where}")
        key = base64.b32encode(bytes.fromhex(DEMO_WITNESS_KEY)).decode()
        self.stdout.write(
            f"The {DEMO_WITNESS}'s authenticator key (witnessing a waste, and the {DEMO_WITNESS}'s "
            f"sign-in, ask for its code): {key}"
        )


# Patients without an intake in the demo who get six months of treatment history.
HISTORY_PATIENTS = slice(12, 20)
DEMO_SUBMITTED = 8  # the first patients have submitted intakes; the next are under way


def _seed_intakes(front_desk, patients: list[Patient] | None = None) -> int:
    """Submitted intakes with varied scores, one in progress, one just invited, one with a
    PHQ-9 item 9 answer that raised an alert (of the first patients, or of ``patients``: the
    first ones' answers)."""
    meta = {"ip": "127.0.0.1", "user_agent": "seed_demo"}
    made = 0
    if patients is None:
        patients = list(Patient.objects.order_by("id")[: DEMO_SUBMITTED + 2])
    for index, patient in enumerate(patients):
        if patient.intakes.exists():
            continue
        issued = intake_services.intake_link_issue(
            patient=patient, channel="screen", created_by=front_desk
        )
        made += 1
        if index == DEMO_SUBMITTED + 1:
            continue  # invited, not opened yet
        intake = issued.link.intake
        rng = random.Random(1000 + index)
        gad = [rng.choice([1, 2, 2, 3]) for _ in range(7)]
        phq = [rng.choice([0, 1, 1, 2, 3]) for _ in range(8)] + [1 if index == 3 else 0]
        answers = {
            "about": {
                **{name: str(getattr(patient, name)) for name in ABOUT_RECORD_FIELDS},
                "height_feet": "5",
                "height_inches": str(rng.randrange(0, 12)),
                "weight_lb": str(rng.randrange(120, 230)),
            },
            "history": {
                "diagnoses": ["gad", "depression"] if index % 2 else ["gad"],
                "since_gad": str(2010 + index),
                "since_depression": str(2012 + index),
                "hospitalised": "no",
                **{
                    f"treatment_{code}": rng.choice(["no_help", "no_help", "partly", "not_tried"])
                    for code, _ in TREATMENTS
                },
            },
            "symptoms": {
                "symptoms": ["worry", "sleep", "tension"],
                "symptoms_details": "Constant worry that makes it hard to work and sleep.",
                "goals": ["less_worry", "sleep"],
            },
            "medical": {
                **{f"screen_{code}": "no" for code, _ in SCREENING_QUESTIONS},
                "screen_high_blood_pressure": "yes" if index == 5 else "no",
                "allergies": "no",
            },
            "medications": {
                "meds-TOTAL_FORMS": "3",
                "meds-INITIAL_FORMS": "0",
                "meds-0-name": "Sertraline" if index % 3 else "Alprazolam",
                "meds-0-dose": "100 mg" if index % 3 else "0.5 mg",
                "meds-0-frequency": "once a day",
            },
            "questionnaires": {
                **{f"gad7_{n}": str(v) for n, v in enumerate(gad, start=1)},
                **{f"phq9_{n}": str(v) for n, v in enumerate(phq, start=1)},
                "phq9_difficulty": "very",
            },
            "consent": {
                "agree_treatment": "on",
                "agree_privacy": "on",
                "signature": patient.full_name,
            },
        }
        in_progress = index == DEMO_SUBMITTED
        for slug, data in answers.items():
            if in_progress and slug == "medical":
                break
            intake_services.intake_step_save(
                intake=intake, step=STEP_BY_SLUG[slug], data=data, action="next", request_meta=meta
            )
        if not in_progress:
            intake_services.intake_submit(intake=intake, data={"confirm": "on"}, request_meta=meta)
    return made


def _seed_screenings(clinician, patients: list[Patient] | None = None) -> None:
    """Assessment findings for the submitted intakes (one with severe blood pressure), and a
    few signed determinations, so the worklist shows every kind of result (of ``patients``:
    the first one's, approved)."""
    submitted = Intake.objects.filter(status=Intake.Status.SUBMITTED).select_related("patient")
    if patients is not None:
        submitted = submitted.filter(patient__in=patients)
    for index, intake in enumerate(submitted.order_by("patient_id")):
        patient = intake.patient
        if AssessmentFinding.objects.filter(patient=patient).exists():
            continue
        severe = index == 2
        screening = finding_record(
            patient=patient,
            recorded_by=clinician,
            systolic=186 if severe else 118 + index * 2,
            diastolic=112 if severe else 76 + index,
            pulse=68 + index,
            pregnancy_test="negative" if patient.sex_at_birth == "female" else "not_applicable",
            notes="Seen at the initial consultation.",
        )
        if (
            index in (0, 4)
            and not ScreeningDetermination.objects.filter(screening=screening).exists()
        ):
            screening_determine(
                screening=screening,
                decision=ScreeningDetermination.Decision.APPROVE,
                signed_by=clinician,
                reason="Treatment-resistant anxiety; no contraindications found.",
                override_justification=(
                    "Benefits outweigh risks; monitored closely."
                    if screening.result == "not_a_candidate"
                    else ""
                ),
            )


DEMO_CHAIRS = [
    ("Chair 1", "Willow room"),
    ("Chair 2", "Cedar room"),
    ("Chair 3", "Bluebonnet room"),
]

# --- The second location ------------------------------------------------------------------------

AUSTIN = "Austin"  # the demo's name for the first location (made from the settings)
EL_PASO = "El Paso"
EL_PASO_DETAILS = {
    "address": "4800 N Mesa Street, Suite 210, El Paso, TX 79912",
    "phone": "(915) 555-0100",
    "time_zone": "America/Denver",  # Mountain time, an hour behind Austin
    "opening_hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-17:00"),
    "dea_registration": "FE5432101",  # its own registration (a valid check digit)
    "rems_setting_number": "HCS-0000915",
    "sender_name": "Lone Star Wellness El Paso",
    "display_order": 1,
}
EL_PASO_CHAIRS = [
    ("El Paso chair 1", "Mesa room"),
    ("El Paso chair 2", "Franklin room"),
]
# Who works where. With CLINIC_CHAIN=1 the front desk, the clinician and the admin pick a
# location after signing in and can switch from the header; the nurse works in Austin only.
DEMO_WORKPLACES = {
    "frontdesk": (AUSTIN, EL_PASO),
    "clinician": (AUSTIN, EL_PASO),
    "admin": (AUSTIN, EL_PASO),
    "nurse": (AUSTIN,),
}
EL_PASO_PATIENTS = [
    ("Lucia", "Castillo"),
    ("Marco", "Dominguez"),
    ("Rosa", "Ibarra"),
    ("Tomas", "Villalobos"),
]
# The first two have a completed IV series there (months ago, before the ledger's month: El
# Paso's ledger starts empty); the third is screened, approved and booked there; the fourth is
# new. (No esketamine at El Paso: the demo's one REMS form due stays Austin's.)
EL_PASO_COURSES = (COURSES[1], COURSES[3])


def _seed_chairs() -> None:
    """The treatment chairs (clinic admins manage them in the admin)."""
    location = default_location()
    for order, (name, room) in enumerate(DEMO_CHAIRS):
        TreatmentChair.objects.get_or_create(
            name=name, defaults={"location": location, "room": room, "display_order": order}
        )


def _seed_workplaces(staff: dict, *, nurse) -> tuple[Location, Location]:
    """The two locations (the first named Austin, El Paso in Mountain time) and who works
    where; (austin, el_paso)."""
    austin = default_location()
    if austin.name != AUSTIN and not Location.objects.filter(name=AUSTIN).exists():
        austin.name = AUSTIN
        austin.save(update_fields=["name"])
    el_paso, _ = Location.objects.get_or_create(name=EL_PASO, defaults=EL_PASO_DETAILS)
    by_name = {AUSTIN: austin, EL_PASO: el_paso}
    users = {user.username: user for user in (*staff.values(), nurse)}
    for username, places in DEMO_WORKPLACES.items():
        for place in places:
            StaffLocation.objects.get_or_create(user=users[username], location=by_name[place])
    return austin, el_paso


def _seed_el_paso(staff: dict, *, nurse) -> int:
    """The second location: El Paso with its chairs and hours in Mountain time and its own DEA
    registration; the first location named Austin; who works where; a few patients whose home
    is El Paso, two with treatment history on its chairs at Mountain hours, one approved and
    booked there. Returns how many patients were new."""
    _, el_paso = _seed_workplaces(staff, nurse=nurse)
    chairs = []
    for order, (name, room) in enumerate(EL_PASO_CHAIRS, start=len(DEMO_CHAIRS)):
        chair, _ = TreatmentChair.objects.get_or_create(
            name=name, defaults={"location": el_paso, "room": room, "display_order": order}
        )
        chairs.append(chair)

    patients, made = [], 0
    for index, (first, last) in enumerate(EL_PASO_PATIENTS):
        rng = random.Random(500 + index)
        dob = date(1968, 1, 1) + timedelta(days=rng.randrange(0, 365 * 34))
        patient = Patient.objects.filter(
            legal_first_name=first, legal_last_name=last, date_of_birth=dob
        ).first()
        if patient is None:
            patient = patient_register(
                created_by=staff[FRONT_DESK],
                details={
                    "legal_first_name": first,
                    "legal_last_name": last,
                    "date_of_birth": dob,
                    "sex_at_birth": "female" if index % 2 == 0 else "male",
                    "email": f"{first.lower()}.{last.lower()}@example.com",
                    "mobile": f"+1915555{index:04d}",
                    "preferred_contact": "sms",
                    "consent_sms": True,
                    "consent_email": True,
                    "address_line1": f"{300 + index * 11} Montana Avenue",
                    "city": "El Paso",
                    "state": "TX",
                    "postal_code": f"7990{index + 2}",
                    "emergency_contact_name": f"{rng.choice(FIRST_NAMES)} {last}",
                    "emergency_contact_relationship": "Spouse",
                    "emergency_contact_phone": f"+1915556{index:04d}",
                },
                allow_duplicate=True,
            )
            patient_record_measurement(
                patient=patient,
                recorded_by=staff[FRONT_DESK],
                weight_kg=Decimal(rng.randrange(550, 1000)) / 10,
                height_cm=Decimal(rng.randrange(1550, 1900)) / 10,
            )
            made += 1
        if patient.home_location_id != el_paso.pk:
            patient.home_location = el_paso
            patient.save(update_fields=["home_location"])
        patients.append(patient)
    seed_history(
        clinician=staff[CLINICIAN],
        front_desk=staff[FRONT_DESK],
        patients=patients[: len(EL_PASO_COURSES)],
        chairs=chairs,
        zone=el_paso.zone,
        courses=EL_PASO_COURSES,
    )
    starting = patients[len(EL_PASO_COURSES)]
    if not TreatmentPlan.objects.filter(patient=starting).exists():
        _seed_intakes(staff[FRONT_DESK], patients=[starting])
        _seed_screenings(staff[CLINICIAN], patients=[starting])
        _book_el_paso_series(starting, chairs, el_paso, staff[CLINICIAN], staff[FRONT_DESK])
    return made


def _book_el_paso_series(patient, chairs, el_paso, clinician, front_desk) -> None:
    """An IV induction plan for the approved El Paso patient, its first three sessions booked
    on El Paso's chairs at 10:00 Mountain time on its next open days (today's if still ahead),
    as the front desk books them."""
    plan = plan_create(
        patient=patient, created_by=clinician, prescriber=clinician, indication="gad",
        route="iv", dose_amount=Decimal("0.5"), infusion_minutes=40, phase="induction",
        sessions_planned=6, span_weeks=3, start_date=timezone.localdate(timezone=el_paso.zone),
        goals="Fewer panic attacks; driving again.",
    )  # fmt: skip
    plan_activate(plan=plan, user=clinician)
    day = timezone.localdate(timezone=el_paso.zone)
    booked = 0
    while booked < 3:
        starts = datetime.combine(day, time(10), tzinfo=el_paso.zone)
        if WEEKDAYS[day.weekday()] in el_paso.opening_hours and starts > timezone.now():
            chair = chairs[booked % len(chairs)]
            session_book(plan=plan, chair=chair, starts_at=starts, booked_by=front_desk)
            booked += 1
            day += timedelta(days=2)
        else:
            day += timedelta(days=1)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _seed_plans_and_sessions(clinician, front_desk) -> None:
    """An active IV induction plan for each approved patient, starting today, with the first
    three sessions of the series booked as the booking page proposes them (a free chair and
    time on open days, none in the past), so the chair board has something on it."""

    approved = Screening.objects.filter(is_current=True, status=Screening.Status.APPROVED)
    today = timezone.localdate()
    for screening in approved.select_related("patient").order_by("patient_id"):
        patient = screening.patient
        if TreatmentPlan.objects.filter(patient=patient).exists():
            continue
        plan = plan_create(
            patient=patient,
            created_by=clinician,
            prescriber=clinician,
            indication="gad",
            route="iv",
            dose_amount=Decimal("0.5"),
            infusion_minutes=40,
            phase="induction",
            sessions_planned=6,
            span_weeks=3,
            start_date=today,
            goals="Less worry; better sleep; back to full-time work.",
        )
        plan_activate(plan=plan, user=clinician)
        proposal = plan_series_proposal(plan=plan)
        chairs = {chair.pk: chair for chair in proposal.chairs}
        for proposed in proposal.proposed[:3]:
            starts = timezone.make_aware(
                datetime.combine(proposed.starts_on, proposed.starts_at_time)
            )
            session_book(
                plan=plan, chair=chairs[proposed.chair_id], starts_at=starts, booked_by=front_desk
            )


def _seed_followups(clinician) -> list[tuple[TreatmentSession, list[int], list[dict]]]:
    """Two sessions in the past for the first treated patient, so the follow-up worklist and
    the communication log have something on them: each logged stage by stage through the
    session services, as a clinician would (so every rule of the log holds). Here the patient
    arrives and is checked before the dose; the dose is given in the ledger's month
    (``seed_ledger``), from the vial in use that day; ``_finish_demo_session`` then logs the
    rest. Returns each session with its 24-hour check-in's answers: the first session's
    answered, the second's reporting a severe headache (an escalation)."""

    plan = (
        TreatmentPlan.objects.filter(status=TreatmentPlan.Status.ACTIVE)
        .select_related("patient")
        .order_by("patient_id")
        .first()
    )
    if plan is None or plan.sessions.filter(status=TreatmentSession.Status.COMPLETED).exists():
        return []
    version = plan_current_version(plan)
    open_days = limits.opening_hours()
    answers = [
        # (days ago, the check-in's anxiety since the treatment (not a GAD-7), side effects)
        (8, [1, 1, 1, 1, 0, 1, 1], [{"effect": "nausea", "severity": "mild"}]),
        (2, [1, 1, 0, 1, 0, 1, 0], [{"effect": "headache", "severity": "severe"}]),
    ]
    live = []
    for days_ago, anxiety, side_effects in answers:
        day = timezone.localdate() - timedelta(days=days_ago)
        while day.weekday() not in open_days:
            day -= timedelta(days=1)  # the clinic's last open day before then
        # 15:30-17:30: inside the opening hours, on a chair the demo history leaves free.
        starts = timezone.make_aware(datetime.combine(day, time(15, 30)))
        ends = starts + timedelta(minutes=120)
        busy = TreatmentSession.objects.filter(starts_at__lt=ends, ends_at__gt=starts)
        chair = (
            TreatmentChair.objects.filter(active=True, location=default_location())
            .exclude(pk__in=busy.values("chair_id"))
            .first()
        )
        session = TreatmentSession.objects.create(
            patient=plan.patient,
            plan=plan,
            plan_version=version,
            chair=chair,
            starts_at=starts,
            ends_at=ends,
            booked_by=clinician,
        )
        _log_demo_arrival(session, clinician)
        live.append((session, anxiety, side_effects))
    return live


def _finish_demo_session(session, clinician, anxiety: list[int], side_effects: list[dict]) -> None:
    """After the dose: the monitoring and discharge (which schedules the check-in surveys; the
    worker's sweep sends the ones already due), then the 24-hour check-in answered."""
    _log_demo_recovery(session, clinician)
    session.refresh_from_db()
    survey = Survey.objects.get(session=session, offset_label="24h")
    survey_results_record(
        survey=survey,
        gad7=None,
        checkin_anxiety=anxiety,
        phq9=None,
        safety_answer=0,
        feeling=7,
        side_effects=side_effects,
        now=session.discharged_at + timedelta(days=1),
    )


# An IV session logged through the session services at the times it happened: arrival, checks
# and baseline vitals, the plan's dose over its infusion time, vitals every 15 minutes until
# sedation and dissociation resolved, and discharge after the hour of observation.


def _demo_dose_times(session) -> tuple[datetime, datetime]:
    started = session.starts_at + timedelta(minutes=15)
    return started, started + timedelta(minutes=session.plan_version.infusion_minutes or 40)


def _log_demo_arrival(session, clinician) -> None:
    starts = session.starts_at
    log.session_check_in(
        session=session,
        by=clinician,
        arrived_at=starts - timedelta(minutes=10),
        escort_name="Chris Nguyen (partner)",
        escort_phone="(512) 555-0142",
        fasting_confirmed=True,
    )
    log.session_record_pre_dose(
        session=session,
        by=clinician,
        consent_current=True,
        fasting_hours=Decimal(9),
        clear_liquids_hours=Decimal(3),
        pregnancy_test="negative" if log.pregnancy_test_applies(session) else "",
        sedatives_today=False,
        sedatives_today_detail="",
        gad7_answers=None,
        systolic=124,
        diastolic=78,
        heart_rate=72,
        spo2=98,
        respiratory_rate=14,
        taken_at=starts + timedelta(minutes=5),
    )


def _administer_demo_dose(session, *, by, draws, witness) -> datetime:
    """The plan's dose, drawn as ``draws`` (the rest of the draw wasted, witnessed); called
    by ``seed_ledger`` at the time the dose was given. Returns that time."""
    version = session.plan_version
    started, stopped = _demo_dose_times(session)
    log.session_administer(
        session=session,
        by=by,
        drug="ketamine",
        dose_given_mg=version.dose_mg,
        dose_difference_reason="",
        route=version.route,
        started_at=started,
        stopped_at=stopped,
        draws=draws,
        waste_method=LedgerEntry.Method.DRUG_DISPOSAL_CONTAINER if witness else "",
        witness=witness,
    )
    return started


def _log_demo_recovery(session, clinician) -> None:
    started, stopped = _demo_dose_times(session)
    # (minutes after the start of the dose, systolic, MOAA/S, CADSS-6)
    for minutes, systolic, sedation, dissociation in (
        (15, 132, 4, 6), (30, 138, 4, 8), (40, 140, 4, 5), (60, 130, 5, 2), (90, 124, 5, 0),
        (100, 122, 5, 0),
    ):  # fmt: skip
        log.vitals_record(
            session=session,
            by=clinician,
            taken_at=started + timedelta(minutes=minutes),
            systolic=systolic,
            diastolic=80,
            heart_rate=76,
            spo2=98,
            respiratory_rate=14,
            sedation_moaa_s=sedation,
            dissociation=dissociation,
        )
    log.session_discharge(
        session=session,
        by=clinician,
        aldrete={name: 2 for name, _ in ALDRETE_CRITERIA},
        escort_present=True,
        discharged_at=stopped + timedelta(minutes=65),
        instructions_given=True,
    )
