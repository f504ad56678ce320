"""A clinic day's busiest hour, mixed and open-loop, under locust (bench/locustfile.py).

The model (bench/README.md says why each number): per clinic, in the busiest hour, 3 front-desk
staff, 4 clinicians, 10 chairs each turning one session, 20 patients filling forms and a few
visitors asking for a consultation. ``MODEL`` lists every request kind with how many a clinic
makes in that hour; ``BENCH_CLINICS`` clinics (50) multiply it. Each person is one locust user
paced with ``constant_throughput`` (the requests an hour of their role, spread at random over
their kinds by those counts), so the arrival rate is fixed by the model, not by how fast the
server answers.

Preparation, in this process on the benchmark database (through the app's services and the
test helpers, as the page benchmark does): staff sessions through the sign-in form, one intake
link per simulated intake patient (patients named "Benchmark DayNNNN", kept between runs), a
link to an open survey per simulated survey patient, and the sessions each chair write needs
in the state it needs (on one chair of the benchmark's own, "Bench chair", two minutes apart
so they never clash): checked in for the checks before the dose, checked and ready for the
dose, dosed for vitals, dosed and observed long enough for the discharge. What a write
consumes (a dose, a discharge) is prepared once per expected request, with a margin.
"""

import csv
import json
import math
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent

CLINICS = 50
STAFF = {"frontdesk": 3, "clinician": 4}
INTAKE_PATIENTS = 15  # of the 20 patients filling forms in a clinic's hour
SURVEY_PATIENTS = 5
VISITORS = 1  # someone on the public consultation page at any moment
P95_TARGET_MS = 150
# The first name of every patient the benchmark makes: never the busiest patient it opens.
BENCHMARK_FIRST_NAME = "Benchmark"


@dataclass(frozen=True)
class Kind:
    name: str
    who: str  # the locust user class that makes it
    per_clinic_hour: int
    write: bool


# Per clinic, in the busiest hour. Front desk and clinicians: a page every 30 s each (120 an
# hour), of which the writes below; the chairs: 10 sessions, each checked in, checked before the
# dose, dosed, 6 sets of vitals (every 10 minutes for the hour after the dose), discharged; a
# booking for each (the next session); 2 calls logged per front-desk person.
MODEL = [
    # The front desk: 3 x 120 = 360 requests an hour.
    Kind("front desk home", "frontdesk", 70, False),
    Kind("chair board", "frontdesk", 60, False),
    Kind("patient search (POST)", "frontdesk", 50, False),
    Kind("patient page", "frontdesk", 50, False),
    Kind("intake queue", "frontdesk", 30, False),
    Kind("task list", "frontdesk", 20, False),
    Kind("follow-up worklist (front desk)", "frontdesk", 20, False),
    Kind("session page (front desk)", "frontdesk", 24, False),
    Kind("check-in", "frontdesk", 10, True),
    Kind("booking", "frontdesk", 10, True),
    Kind("call logged", "frontdesk", 6, True),
    Kind("consultation request reviewed (inquiry list)", "frontdesk", 10, False),
    # The clinicians: 4 x 120 = 480 an hour.
    Kind("clinician home", "clinician", 80, False),
    Kind("patient chart", "clinician", 60, False),
    Kind("session page (clinician)", "clinician", 110, False),
    Kind("screening worklist", "clinician", 40, False),
    Kind("follow-up worklist (clinician)", "clinician", 40, False),
    Kind("alerts", "clinician", 20, False),
    Kind("sessions to sign", "clinician", 40, False),
    Kind("checks before the dose", "clinician", 10, True),
    Kind("dose given", "clinician", 10, True),
    Kind("vitals", "clinician", 60, True),
    Kind("discharge", "clinician", 10, True),
    # 15 patients on intake forms: a step every 2 minutes each (its page, then its answers).
    Kind("intake step GET", "intake", 450, False),
    Kind("intake step POST", "intake", 450, True),
    # 5 patients on a check-in survey, at the same pace.
    Kind("survey step GET", "survey", 150, False),
    Kind("survey step POST", "survey", 150, True),
    # Visitors: 5 consultation requests an hour (the form, then the request).
    Kind("consultation form", "visitor", 5, False),
    Kind("consultation request", "visitor", 5, True),
]
PEOPLE = {
    "frontdesk": STAFF["frontdesk"],
    "clinician": STAFF["clinician"],
    "intake": INTAKE_PATIENTS,
    "survey": SURVEY_PATIENTS,
    "visitor": VISITORS,
}
# Requests a person's task makes: most one, the visitor's two (the form, then the request).
REQUESTS_PER_TASK = {"visitor": 2, "intake": 2, "survey": 2}


def rates(clinics: int) -> dict[str, float]:
    """Requests per second of each kind for ``clinics`` clinics."""
    return {kind.name: kind.per_clinic_hour * clinics / 3600 for kind in MODEL}


def model_table(clinics: int) -> str:
    lines = [
        f"| request kind | who | per clinic-hour | write | req/s at {clinics} clinics |",
        "|---|---|---:|---|---:|",
    ]
    per_second = rates(clinics)
    for kind in MODEL:
        lines.append(
            f"| {kind.name} | {kind.who} | {kind.per_clinic_hour} | "
            f"{'yes' if kind.write else ''} | {per_second[kind.name]:.2f} |"
        )
    total = sum(per_second.values())
    writes = sum(per_second[k.name] for k in MODEL if k.write)
    lines.append(
        f"| all | {sum(PEOPLE.values()) * clinics} people | "
        f"{sum(k.per_clinic_hour for k in MODEL)} | {writes:.1f} writes/s | {total:.1f} |"
    )
    return "\n".join(lines)


# --- Preparation ---------------------------------------------------------------------------------


def _chair(location_id: int | None = None):
    """The benchmark's chair; with the chain on, at the location the staff work at (saved, so
    its sessions' patients are seen there)."""
    from treatments.models import TreatmentChair

    chair, _ = TreatmentChair.objects.get_or_create(name="Bench chair")
    if location_id is not None and chair.location_id != location_id:
        chair.location_id = location_id
        chair.save(update_fields=["location"])
    return chair


def _at_home(location_id: int | None, patients) -> None:
    """With the chain on, the benchmark's own patients live at the staff's location (saved one
    by one: the table of where patients are seen follows)."""
    if location_id is None:
        return
    for patient in patients:
        if patient.home_location_id != location_id:
            patient.home_location_id = location_id
            patient.save(update_fields=["home_location"])


def _location_registration(location_id: int | None):
    """With the chain on, the DEA registration the doses at the staff's location are drawn
    under: the location's, given a valid test number first if it has none (the bulk locations
    are seeded without)."""
    from clinic.models import Location
    from treatments.services import ledger

    if location_id is None:
        return None
    location = Location.objects.get(pk=location_id)
    if not location.dea_registration:
        location.dea_registration = "BB1234563"  # a valid check digit, not a real registrant
        location.save(update_fields=["dea_registration"])
    return ledger.clinic_registration(location)


def _chair_sessions(count: int, by, chair) -> list:
    """``count`` sessions of one benchmark patient's plan on the benchmark's chair, a minute
    each, back to back, ending about now (a chair and a patient hold one session at a time;
    after the sessions an earlier run left, if it was less than that ago)."""
    from django.db.models import Max
    from django.utils import timezone

    from intake.models import Patient
    from tests.treatments.sessions import booked_session
    from treatments.models import TreatmentSession

    now = timezone.now()
    patient = Patient.objects.filter(legal_first_name="Benchmark", legal_last_name="Chairs").first()
    if patient is None:
        first = booked_session(by=by, starts_at=now - timedelta(days=400))
        patient = first.patient
        patient.legal_first_name, patient.legal_last_name = "Benchmark", "Chairs"
        patient.save(update_fields=["legal_first_name", "legal_last_name"])
        first.delete()
    plan = patient.plans.order_by("-pk").first()
    version = plan.versions.order_by("-number").first()
    start = now - timedelta(minutes=count + 5)
    latest = TreatmentSession.objects.filter(
        chair=chair, starts_at__lt=now + timedelta(days=1)
    ).aggregate(end=Max("ends_at"))["end"]
    if latest is not None and latest > start:
        start = latest
    made = []
    for index in range(count):
        starts_at = start + timedelta(minutes=index)
        made.append(
            TreatmentSession.objects.create(
                patient=patient,
                plan=plan,
                plan_version=version,
                chair=chair,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=1),
                booked_by=by,
            )
        )
    return made


def _booking_plans(count: int, by) -> list[int]:
    """Active plans with a session left to book: the benchmark's intake patients' (made here
    once, an induction of 6 IV sessions each, the seeded clinic's plans being booked in full)."""
    from decimal import Decimal

    from django.utils import timezone

    from treatments.models import PlanVersion, TreatmentPlan, TreatmentSession

    found = []
    plans = TreatmentPlan.objects.filter(
        status=TreatmentPlan.Status.ACTIVE,
        patient__legal_first_name="Benchmark",
        patient__legal_last_name__startswith="Day",
    ).order_by("pk")
    for plan in plans:
        version = plan.versions.order_by("-number").first()
        booked = plan.sessions.exclude(
            status__in=[TreatmentSession.Status.CANCELLED, TreatmentSession.Status.NO_SHOW]
        ).count()
        if version is not None and booked < version.sessions_planned:
            found.append(plan.pk)
            if len(found) == count:
                return found
    from intake.models import Patient

    for patient in Patient.objects.filter(
        legal_first_name="Benchmark", legal_last_name__startswith="Day", plans__isnull=True
    ).order_by("pk")[: count - len(found)]:
        plan = TreatmentPlan.objects.create(
            patient=patient, status=TreatmentPlan.Status.ACTIVE, created_by=by
        )
        PlanVersion.objects.create(
            plan=plan,
            number=1,
            effective_at=timezone.now() - timedelta(days=7),
            indication=PlanVersion.Indication.DEPRESSION,
            route="iv",
            dose_amount=Decimal("0.5"),
            dose_unit="mg/kg",
            dose_mg=Decimal("35.0"),
            weight_kg_used=Decimal("70.0"),
            infusion_minutes=40,
            phase=PlanVersion.Phase.INDUCTION,
            sessions_planned=6,
            span_weeks=3,
            start_date=timezone.localdate(),
            prescriber=by,
            created_by=by,
        )
        found.append(plan.pk)
    return found


def _booking_slots(count: int, chair) -> list[tuple[str, str]]:
    """Free (day, time) pairs on the benchmark's chair, two a day (08:00 and 12:00, Monday to
    Saturday), from two months ahead or after the last a run booked there."""
    from django.db.models import Max
    from django.utils import timezone

    from treatments.models import TreatmentSession

    day = timezone.localdate() + timedelta(days=60)
    latest = TreatmentSession.objects.filter(chair=chair).aggregate(last=Max("starts_at"))["last"]
    if latest is not None and timezone.localtime(latest).date() >= day:
        day = timezone.localtime(latest).date() + timedelta(days=1)
    slots = []
    while len(slots) < count:
        if day.weekday() < 6:
            slots += [(day.isoformat(), "08:00"), (day.isoformat(), "12:00")]
        day += timedelta(days=1)
    return slots[:count]


def _open_link(base_url: str, link: dict, prefix: str) -> dict:
    client = requests.Session()
    client.get(f"{base_url}{link['path']}", timeout=60)  # to the confirmation page
    form = client.get(f"{base_url}/{prefix}/confirm/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    if token is None:
        raise RuntimeError(f"{prefix} link {link['path'][:4]}...: no confirmation form")
    answer = client.post(
        f"{base_url}/{prefix}/confirm/",
        data={"date_of_birth": link["dob"], "csrfmiddlewaretoken": token.group(1)},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"{prefix} link: the date of birth was not accepted")
    return {"cookies": client.cookies.get_dict(), "csrf": token.group(1)}


def _open_links(base_url: str, links: list[dict], prefix: str) -> list[dict]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda link: _open_link(base_url, link, prefix), links))


# The dose the clinic day's "dose given" posts, drawn exactly (no waste: no witness).
DOSE_MG = 35


def _dose_containers(doses: int, clinician, checker, registration=None) -> list[int]:
    """A delivery of 500 mg vials for the run's doses, and the vial each dose is drawn from in
    turn: each vial serves as many doses as it holds, so no post finds its vial empty."""
    if not doses:
        return []
    from django.utils import timezone

    from tests.treatments.ledger import stocked

    per_vial = 500 // DOSE_MG
    stamp = timezone.now().strftime("%y%m%d%H%M%S")
    labels = tuple(f"B{stamp}-{n:03d}" for n in range(math.ceil(doses / per_vial)))
    vials = stocked(
        by=clinician,
        checked_by=checker,
        labels=labels,
        invoice_number=f"BENCH-{stamp}",
        registration=registration,
    )
    return [vials[n // per_vial].pk for n in range(doses)]


def prepare(base_url: str, clinics: int, seconds: int, out: Path, staff_session, location_id=None):
    """Write what the locust users need to ``out`` (JSON): sessions, links, ids, pools. With
    the chain on (``location_id``: where the staff work), every row the staff open is of that
    location: the busiest patients and tasks are its own, the benchmark's patients live there,
    its chair and its DEA registration are the ones written to."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.utils import timezone

    from clinic.models import Location
    from followups.models import Survey
    from followups.selectors.worklists import TASK_SOURCE
    from intake.models import Patient
    from intake.services.patients import patient_register
    from intake.services.questionnaires import intake_link_issue
    from tests.followups.surveys import issue_survey_link, link_path
    from tests.treatments import sessions as helpers
    from treatments.models import StaffTask, TreatmentSession

    users = get_user_model()
    clinician = users.objects.get(username="clinician")
    front_desk = users.objects.get(username="frontdesk")
    per_second = rates(clinics)

    def pool(kind: str) -> int:
        return math.ceil(per_second[kind] * seconds * 1.5) + 5

    # Staff: one signed-in session per clinic and role (its people share it, as a clinic's
    # front desk shares a workstation), each with its CSRF token.
    staff = {}
    for username in STAFF:
        staff[username] = []
        for _ in range(min(clinics, 50)):
            client = staff_session(base_url, username)
            token = re.search(
                r'name="csrfmiddlewaretoken" value="([^"]+)"',
                client.get(f"{base_url}/patients/", timeout=30).text,
            ).group(1)
            staff[username].append({"cookies": client.cookies.get_dict(), "csrf": token})

    # Intake patients: one link each, opened and confirmed (their session).
    intake = []
    for number in range(1, INTAKE_PATIENTS * clinics + 1):
        last_name = f"Day{number:04d}"
        patient = Patient.objects.filter(
            legal_first_name="Benchmark", legal_last_name=last_name
        ).first() or patient_register(
            created_by=front_desk,
            home_location=Location.objects.get(pk=location_id) if location_id else None,
            details={
                "legal_first_name": "Benchmark",
                "legal_last_name": last_name,
                "date_of_birth": date(1980, 1, 1) + timedelta(days=number),
                "sex_at_birth": "female",
            },
            allow_duplicate=True,
        )
        _at_home(location_id, [patient])
        issued = intake_link_issue(patient=patient, channel="screen", created_by=front_desk)
        intake.append(
            {
                "path": issued.path,
                "dob": patient.date_of_birth.isoformat(),
                "name": patient.full_name,
            }
        )

    # Survey patients: an open check-in survey each (shared round robin when there are fewer).
    now = timezone.now()
    surveys = list(
        Survey.objects.filter(
            status__in=[Survey.Status.INVITED, Survey.Status.IN_PROGRESS],
            expires_at__gt=now,
            content=Survey.Content.CHECKIN,
        )
        .select_related("patient")
        .order_by("-pk")[: SURVEY_PATIENTS * clinics]
    )
    survey = [
        {
            "path": link_path(issue_survey_link(item)),
            "dob": item.patient.date_of_birth.isoformat(),
        }
        for item in surveys
    ]

    # Ids the reads open: the busiest patients (a chart with history), their sessions.
    here = {"patient__home_location": location_id} if location_id else {}
    busiest = list(
        TreatmentSession.objects.filter(status=TreatmentSession.Status.COMPLETED, **here)
        .exclude(patient__legal_first_name=BENCHMARK_FIRST_NAME)
        .values("patient")
        .annotate(sessions=Count("id"))
        .order_by("-sessions", "patient")
        .values_list("patient", flat=True)[:50]
    )
    sessions_seen = list(
        TreatmentSession.objects.filter(patient__in=busiest)
        .order_by("-starts_at")
        .values_list("pk", flat=True)[:200]
    )
    surnames = list(
        Patient.objects.filter(pk__in=busiest).values_list("legal_last_name", flat=True)
    )

    # The chair writes: sessions in the state each needs, on the benchmark's chair.
    chair = _chair(location_id)
    wanted = {
        "check-in": 5,
        "checks before the dose": 5,
        "dose given": pool("dose given"),
        "vitals": 10,
        "discharge": pool("discharge"),
    }
    made = _chair_sessions(sum(wanted.values()), clinician, chair)
    pools, offset = {}, 0
    for kind, count in wanted.items():
        pools[kind] = made[offset : offset + count]
        offset += count
    for session in pools["checks before the dose"]:
        helpers.checked_in(session, by=front_desk)
    for session in pools["dose given"]:
        helpers.checked_in(session, by=front_desk)
        helpers.pre_dose(session, by=clinician)
    dose_containers = _dose_containers(
        len(pools["dose given"]),
        clinician,
        users.objects.get(username="nurse"),
        registration=_location_registration(location_id),
    )
    for session in [*pools["vitals"], *pools["discharge"]]:
        helpers.checked_in(session, by=front_desk)
        helpers.pre_dose(session, by=clinician)
        helpers.administered(session, by=clinician)
        if session in pools["discharge"]:
            helpers.monitored(session, by=clinician)

    # Bookings: each on a plan with a session left to book, in a free slot of the chair.
    plans = _booking_plans(pool("booking"), clinician)
    slots = _booking_slots(len(plans), chair)
    tasks = list(
        StaffTask.objects.filter(status="open", source_kind=TASK_SOURCE, role="front_desk", **here)
        .order_by("-pk")
        .values_list("pk", flat=True)[:50]
    )
    from tests.followups.surveys import ANXIETY, FEELING
    from tests.intake.answers import (
        ABOUT,
        HISTORY,
        MEDICAL,
        MEDICATIONS,
        QUESTIONNAIRES,
        SYMPTOMS,
    )

    # Every patient opens their link and confirms their date of birth before the load: in the
    # hour modelled they are already filling their forms (1,000 links opened in locust's
    # first minutes would be a burst no clinic sees).
    intake = _open_links(base_url, intake, "intake")
    survey = _open_links(base_url, survey, "survey")

    data = {
        "intake_steps": [
            ("about", ABOUT),
            ("history", HISTORY),
            ("symptoms", SYMPTOMS),
            ("medical", MEDICAL),
            ("medications", MEDICATIONS),
            ("questionnaires", QUESTIONNAIRES),
        ],
        "survey_steps": [("feeling", FEELING), ("anxiety", ANXIETY)],
        "staff": staff,
        "intake": intake,
        "survey": survey,
        "patients": busiest,
        "surnames": surnames,
        "sessions": sessions_seen,
        "pools": {kind: [s.pk for s in items] for kind, items in pools.items()},
        "dose_containers": dose_containers,
        "bookings": [[plan, day, at] for plan, (day, at) in zip(plans, slots, strict=True)],
        "followup_tasks": tasks,
        "chair": chair.pk,
        "location": location_id,
        "clinics": clinics,
        "people": PEOPLE,
        "throughput": {
            who: sum(k.per_clinic_hour for k in MODEL if k.who == who)
            / PEOPLE[who]
            / REQUESTS_PER_TASK.get(who, 1)
            / 3600
            for who in PEOPLE
        },
        "weights": {kind.name: kind.per_clinic_hour for kind in MODEL},
    }
    out.write_text(json.dumps(data), encoding="utf-8")
    return data


# --- The run and its table -----------------------------------------------------------------------


def run(base_url: str, data_file: Path, clinics: int, seconds: int, run_dir: Path) -> Path:
    """locust, headless, every person of ``clinics`` clinics; returns the CSV prefix."""
    users = sum(PEOPLE.values()) * clinics
    prefix = run_dir / "clinic-day"
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(BASE_DIR / "bench" / "locustfile.py"),
        "--headless",
        f"--users={users}",
        f"--spawn-rate={max(10, users // 20)}",
        f"--run-time={seconds}s",
        f"--host={base_url}",
        f"--csv={prefix}",
        "--only-summary",
        "--loglevel=WARNING",
        "--stop-timeout=10",
    ]
    with open(run_dir / "locust.log", "w", encoding="utf-8") as log:
        subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
            command,
            cwd=BASE_DIR,
            env={**os.environ, "BENCH_DAY_DATA": str(data_file)},
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    return prefix


def report(prefix: Path, clinics: int, seconds: int) -> tuple[str, list[str]]:
    per_second = rates(clinics)
    rows = {}
    if not Path(f"{prefix}_stats.csv").exists():
        return f"locust wrote no statistics: see {prefix.parent / 'locust.log'}", [
            "clinic day: locust did not run"
        ]
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            rows[row["Name"]] = row
    lines = [
        f"| request kind | write | model req/s | measured req/s | p50 ms | p95 ms "
        f"| p95 < {P95_TARGET_MS} ms | requests | errors |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    misses = []
    for kind in [*MODEL, Kind("Aggregated", "", 0, False)]:
        row = rows.get(kind.name)
        if row is None:
            lines.append(f"| {kind.name} | | {per_second.get(kind.name, 0):.2f} | 0 | | | | 0 | |")
            if kind.name != "Aggregated":
                misses.append(f"clinic day, {kind.name}: no request made")
            continue
        count, failures = int(row["Request Count"]), int(row["Failure Count"])
        p50, p95 = float(row["50%"] or 0), float(row["95%"] or 0)
        model = per_second.get(kind.name, sum(per_second.values()))
        met = p95 < P95_TARGET_MS and failures == 0
        lines.append(
            f"| {'all' if kind.name == 'Aggregated' else kind.name} | "
            f"{'yes' if kind.write else ''} | {model:.2f} | {count / seconds:.2f} | {p50:.0f} "
            f"| {p95:.0f} | {'met' if met else '**missed**'} | {count} | {failures} |"
        )
        if kind.name != "Aggregated" and not met:
            misses.append(
                f"clinic day, {kind.name}: p95 {p95:.0f} ms, {failures} errors "
                f"(target p95 < {P95_TARGET_MS} ms, no errors)"
            )
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        with open(failures_file, encoding="utf-8") as failed:
            reasons = [
                f"{r['Name']}: {r['Error']} ({r['Occurrences']}x)" for r in csv.DictReader(failed)
            ]
        if reasons:
            lines += ["", "Errors:", ""] + [f"- {reason}" for reason in reasons[:30]]
    return "\n".join(lines), misses
