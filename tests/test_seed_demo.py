from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from followups.models import Survey
from intake.models import Assessment, Intake, Patient
from treatments import limits
from treatments.models import TreatmentPlan, TreatmentSession
from treatments.services import sessions as services

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.django_db
def test_seed_demo_makes_one_user_per_role_and_patients_and_is_idempotent(capsys):
    call_command("seed_demo")
    first_output = capsys.readouterr().out
    call_command("seed_demo")

    users = get_user_model().objects.prefetch_related("groups")
    roles = {u.username: [g.name for g in u.groups.all()] for u in users}
    assert roles == {"frontdesk": [FRONT_DESK], "clinician": [CLINICIAN], "admin": [CLINIC_ADMIN]}
    assert get_user_model().objects.get(username="admin").is_staff
    assert get_user_model().objects.get(username="frontdesk").check_password("demo-clinic-2026")
    assert Patient.objects.count() == 20  # the second run added nobody
    assert Intake.objects.count() == 10
    assert Intake.objects.filter(status="submitted").count() == 8
    assert TreatmentPlan.objects.filter(status="active").count() == 2 + 3  # + maintenance
    assert TreatmentPlan.objects.filter(status="completed").count() == 5  # six months of history
    assert Survey.objects.filter(status="completed").count() > 50
    # The check-in's anxiety since the treatment is its own instrument, never a GAD-7; the
    # two-week questionnaires follow no infusion of an induction series but its last.
    checkins = Survey.objects.filter(content="checkin", status="completed")
    assert (
        Assessment.objects.filter(
            source_kind="survey", source_id__in=checkins.values("pk"), instrument="anx_24h", band=""
        ).count()
        == checkins.count()
    )
    assert not Assessment.objects.filter(
        source_kind="survey", source_id__in=checkins.values("pk"), instrument="gad7"
    ).exists()
    assert (
        Survey.objects.filter(content="scores").count()
        < Survey.objects.filter(content="checkin").count()
    )
    assert TreatmentSession.objects.filter(status="booked").count() == 6
    assert "frontdesk" in first_output and "demo-clinic-2026" in first_output
    assert all(p.measurements.exists() for p in Patient.objects.all())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "today",
    [
        datetime(2026, 12, 8, 9, 0, tzinfo=CHICAGO),  # a Tuesday: two days ago was a Sunday
        datetime(2026, 12, 7, 7, 0, tzinfo=CHICAGO),  # a Monday before opening
        datetime(2026, 3, 9, 20, 0, tzinfo=CHICAGO),  # the evening after the clocks go forward
    ],
)
def test_the_demo_s_completed_sessions_are_logged_as_a_clinician_would(today):
    with time_machine.travel(today, tick=False):
        call_command("seed_demo")

        to_sign = TreatmentSession.objects.filter(status="completed", signed_at__isnull=True)
        assert to_sign.count() == 2
        hours = limits.opening_hours()
        for session in to_sign:
            local_start = timezone.localtime(session.starts_at)
            opens, closes = hours[local_start.weekday()]
            assert (
                opens <= local_start.time() and timezone.localtime(session.ends_at).time() <= closes
            )
            vitals = list(session.vitals.all())
            # Everything signing asks for is there: the note can be signed as it stands.
            assert services.signing_parts(session, vitals) == dict.fromkeys(
                services.signing_parts(session, vitals), True
            )
            assert session.escort_name and session.aldrete_total == 10
            assert session.discharged_at >= services.earliest_discharge(session)
            assert vitals[-1].sedation_moaa_s == 5 and vitals[-1].dissociation == 0
