import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from followups.models import Survey
from intake.models import Assessment, Intake, Patient
from treatments.models import TreatmentPlan, TreatmentSession


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
