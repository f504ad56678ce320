"""The clinic day's people, for locust (driven by bench/run.py `day`; see bench/clinic_day.py).

Each person is one user paced by ``constant_throughput``: their role's requests an hour, each
task one request kind drawn at random by the model's counts (clinic_day.MODEL). What they
open and write comes from the JSON bench/run.py prepared (BENCH_DAY_DATA). Every answer is
checked: a page must answer 200, a form post the redirect that means it was saved; anything
else is a failure with its status.
"""

import itertools
import json
import os
import random
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from locust import HttpUser, constant_throughput, task

from bench.clinic_day import MODEL

DATA = json.loads(open(os.environ["BENCH_DAY_DATA"], encoding="utf-8").read())  # noqa: SIM115
CLINIC_TZ = ZoneInfo("America/Chicago")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STAMP = re.compile(r'name="form_stamp" value="([^"]+)"')
# The intake's steps before the consent (whose answers submit it), walked round and round; the
# check-in survey's before the last. Their answers (tests/intake/answers.py,
# tests/followups/surveys.py) come with the data: this file imports nothing of Django.
INTAKE_STEPS = DATA["intake_steps"]
SURVEY_STEPS = DATA["survey_steps"]
INQUIRY = {
    "first_name": "Maria",
    "last_name": "Delgado",
    "date_of_birth": "1985-04-23",
    "email": "maria.delgado@example.com",
    "mobile": "(512) 555-0143",
    "preferred_contact": "email",
    "concerns": ["depression", "anxiety"],
    "concern_details": "Low for two years, nothing has helped so far.",
    "heard_about": "doctor",
    "consent_to_contact": "on",
    "website": "",
}
MIN_FILL_SECONDS = 3.5  # intake.services.inquiries.MIN_FILL_SECONDS (3), and a little more
# Consumed by one request each: taken in turn, never twice.
POOLS = {
    kind: iter(ids) for kind, ids in DATA["pools"].items() if kind in ("dose given", "discharge")
}
# The vial each dose is drawn from, in the order of the dose given pool (clinic_day.prepare).
POOLS["dose given"] = zip(POOLS["dose given"], DATA["dose_containers"], strict=True)
BOOKINGS = iter(DATA["bookings"])  # (plan, day, time): a free slot for a plan with one to book
staff_turn = {who: itertools.count() for who in DATA["staff"]}
patient_turn = {"intake": itertools.count(), "survey": itertools.count()}


def kinds_of(who: str) -> tuple[list[str], list[int]]:
    mine = [kind for kind in MODEL if kind.who == who]
    return [kind.name for kind in mine], [kind.per_clinic_hour for kind in mine]


def clock() -> str:
    return datetime.now(CLINIC_TZ).strftime("%H:%M")


def expect(response, status: int, location_part: str = "") -> None:
    if response.status_code != status:
        response.failure(f"HTTP {response.status_code}, expected {status}")
    elif location_part and location_part not in response.headers.get("Location", ""):
        response.failure(f"{status} to {response.headers.get('Location')}")
    else:
        response.success()


def stagger(user) -> None:
    """Start at a random point of the first pacing interval, so that the people's requests
    arrive spread over time, not all at the start."""
    time.sleep(random.uniform(0, 1 / DATA["throughput"][user.who]))


class Person(HttpUser):
    abstract = True
    who = ""

    def get(self, name: str, path: str) -> None:
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as r:
            expect(r, 200)

    def post(self, name: str, path: str, data: dict, location_part: str = "") -> None:
        data = {**data, "csrfmiddlewaretoken": self.csrf}
        with self.client.post(
            path, data=data, name=name, catch_response=True, allow_redirects=False
        ) as r:
            expect(r, 302, location_part)

    @task
    def one_request(self) -> None:
        names, weights = self.kinds
        kind = random.choices(names, weights)[0]
        getattr(self, "do_" + re.sub(r"\W+", "_", kind).strip("_"))()


class Staff(Person):
    abstract = True

    def on_start(self) -> None:
        sessions = DATA["staff"][self.who]
        session = sessions[next(staff_turn[self.who]) % len(sessions)]
        self.client.cookies.update(session["cookies"])
        self.csrf = session["csrf"]
        self.kinds = kinds_of(self.who)
        stagger(self)

    def patient(self) -> int:
        return random.choice(DATA["patients"])

    def session(self) -> int:
        return random.choice(DATA["sessions"])


class FrontDesk(Staff):
    who = "frontdesk"
    fixed_count = DATA["people"]["frontdesk"] * DATA["clinics"]
    wait_time = constant_throughput(DATA["throughput"]["frontdesk"])

    def do_front_desk_home(self):
        self.get("front desk home", "/")

    def do_chair_board(self):
        self.get("chair board", "/board/")

    def do_patient_search_POST(self):
        surname = random.choice(DATA["surnames"])
        data = {"q": surname, "csrfmiddlewaretoken": self.csrf}
        with self.client.post(
            "/patients/", data=data, name="patient search (POST)", catch_response=True
        ) as r:
            expect(r, 200)

    def do_patient_page(self):
        self.get("patient page", f"/patients/{self.patient()}/")

    def do_intake_queue(self):
        self.get("intake queue", "/intakes/")

    def do_task_list(self):
        self.get("task list", "/tasks/")

    def do_follow_up_worklist_front_desk(self):
        self.get("follow-up worklist (front desk)", "/follow-ups/")

    def do_session_page_front_desk(self):
        self.get("session page (front desk)", f"/sessions/{self.session()}/")

    def do_consultation_request_reviewed_inquiry_list(self):
        self.get("consultation request reviewed (inquiry list)", "/inquiries/")

    def do_check_in(self):
        session = random.choice(DATA["pools"]["check-in"])
        self.post(
            "check-in",
            f"/sessions/{session}/check-in/",
            {
                "arrived_at": clock(),
                "escort_name": "Sam Rivera",
                "escort_phone": "512-555-0199",
                "fasting_confirmed": "on",
            },
        )

    def do_booking(self):
        booking = next(BOOKINGS, None)
        if booking is None:  # every prepared booking made: the board, as after a booking
            return self.do_chair_board()
        plan, day, at = booking
        self.post(
            "booking",
            f"/plans/{plan}/book/",
            {
                "row-0-starts_on": day,
                "row-0-starts_at_time": at,
                "row-0-chair": str(DATA["chair"]),
                "book_row": "1",
            },
        )
        return None

    def do_call_logged(self):
        pk = random.choice(DATA["followup_tasks"])
        self.post("call logged", f"/follow-ups/tasks/{pk}/call/", {"outcome": "no_answer"})


class Clinician(Staff):
    who = "clinician"
    fixed_count = DATA["people"]["clinician"] * DATA["clinics"]
    wait_time = constant_throughput(DATA["throughput"]["clinician"])

    def do_clinician_home(self):
        self.get("clinician home", "/")

    def do_patient_chart(self):
        self.get("patient chart", f"/patients/{self.patient()}/chart/")

    def do_session_page_clinician(self):
        self.get("session page (clinician)", f"/sessions/{self.session()}/")

    def do_screening_worklist(self):
        self.get("screening worklist", "/screening/")

    def do_follow_up_worklist_clinician(self):
        self.get("follow-up worklist (clinician)", "/follow-ups/")

    def do_alerts(self):
        self.get("alerts", "/alerts/")

    def do_sessions_to_sign(self):
        self.get("sessions to sign", "/sessions/to-sign/")

    def do_checks_before_the_dose(self):
        session = random.choice(DATA["pools"]["checks before the dose"])
        self.post(
            "checks before the dose",
            f"/sessions/{session}/pre-dose/",
            {
                "consent_current": "on",
                "fasting_hours": "6",
                "clear_liquids_hours": "2",
                "sedatives_today": "no",
                "systolic": "122",
                "diastolic": "78",
                "heart_rate": "72",
                "spo2": "98",
                "respiratory_rate": "14",
            },
        )

    def do_dose_given(self):
        session, container = next(POOLS["dose given"], (None, None))
        if session is None:
            return self.do_vitals()
        # Drawn exactly as given from the vial set aside for it: no waste, so no witness.
        self.post(
            "dose given",
            f"/sessions/{session}/administration/",
            {
                "drug": "ketamine",
                "route": "iv",
                "dose_given_mg": "35.0",
                "container_1": str(container),
                "drawn_1": "35.0",
                "started_at": clock(),
            },
        )
        return None

    def do_vitals(self):
        session = random.choice(DATA["pools"]["vitals"])
        self.post(
            "vitals",
            f"/sessions/{session}/vitals/",
            {
                "taken_at": clock(),
                "systolic": "122",
                "diastolic": "78",
                "heart_rate": "72",
                "spo2": "98",
                "respiratory_rate": "14",
                "sedation_moaa_s": "5",
                "dissociation": "0",
            },
        )

    def do_discharge(self):
        session = next(POOLS["discharge"], None)
        if session is None:
            return self.do_vitals()
        self.post(
            "discharge",
            f"/sessions/{session}/discharge/",
            {
                **{
                    f"aldrete_{name}": "2"
                    for name in (
                        "activity",
                        "respiration",
                        "circulation",
                        "consciousness",
                        "oxygen",
                    )
                },
                "escort_present": "on",
                "instructions_given": "on",
                "discharged_at": clock(),
            },
        )
        return None


class Patient(HttpUser):
    """A patient filling a form from their link, a step at a time: the step's page, then its
    answers (one task: two requests)."""

    abstract = True
    kind = ""
    steps: list = []
    prefix = ""

    def on_start(self) -> None:
        # The link was opened and the date of birth confirmed before the load (clinic_day).
        sessions = DATA[self.kind]
        session = sessions[next(patient_turn[self.kind]) % len(sessions)]
        self.client.cookies.update(session["cookies"])
        self.csrf = session["csrf"]
        self.step = 0
        stagger(self)

    @task
    def one_step(self) -> None:
        slug, answers = self.steps[self.step]
        page = f"/{self.prefix}/step/{slug}/"
        with self.client.get(
            page, name=f"{self.kind} step GET", catch_response=True, allow_redirects=False
        ) as r:
            expect(r, 200)
            found = CSRF.search(r.text or "")
            if found:
                self.csrf = found.group(1)
        self.step = (self.step + 1) % len(self.steps)
        with self.client.post(
            page,
            data={**answers, "csrfmiddlewaretoken": self.csrf},
            name=f"{self.kind} step POST",
            catch_response=True,
            allow_redirects=False,
        ) as r:
            expect(r, 302)


class IntakePatient(Patient):
    kind, steps, prefix, who = "intake", INTAKE_STEPS, "intake", "intake"
    fixed_count = DATA["people"]["intake"] * DATA["clinics"]
    wait_time = constant_throughput(DATA["throughput"]["intake"])


class SurveyPatient(Patient):
    kind, steps, prefix, who = "survey", SURVEY_STEPS, "survey", "survey"
    fixed_count = DATA["people"]["survey"] * DATA["clinics"] if DATA["survey"] else 0
    wait_time = constant_throughput(DATA["throughput"]["survey"])


class Visitor(HttpUser):
    """Someone asking for a consultation: the form, a few seconds typing, the request."""

    who = "visitor"
    fixed_count = DATA["people"]["visitor"] * DATA["clinics"]
    wait_time = constant_throughput(DATA["throughput"]["visitor"])

    def on_start(self) -> None:
        stagger(self)

    @task
    def ask(self) -> None:
        with self.client.get("/consultation/", name="consultation form", catch_response=True) as r:
            expect(r, 200)
            token, stamp = CSRF.search(r.text or ""), STAMP.search(r.text or "")
        if not (token and stamp):
            return
        time.sleep(MIN_FILL_SECONDS)
        with self.client.post(
            "/consultation/",
            data={
                **INQUIRY,
                # With the chain on, the public form asks which location.
                **({"location": str(DATA["location"])} if DATA.get("location") else {}),
                "form_stamp": stamp.group(1),
                "csrfmiddlewaretoken": token.group(1),
            },
            name="consultation request",
            catch_response=True,
            allow_redirects=False,
        ) as r:
            expect(r, 302, "/consultation/thanks/")
