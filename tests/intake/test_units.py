"""One unit system: pounds and inches typed, kilograms and centimetres stored, one conversion
(intake/units.py), and the same plausibility bounds on every staff form that takes a height or
a weight (registration, a new measurement, the clinician's assessment findings)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from intake import units
from intake.forms import MeasurementForm
from tests.treatments.screenings import screened
from treatments.forms import FindingForm
from treatments.models import AssessmentFinding


@pytest.mark.parametrize(
    ("pounds", "kilograms"),
    [("165", "74.8"), ("154", "69.9"), ("70", "31.8"), ("700", "317.5"), ("154.5", "70.1")],
)
def test_pounds_are_stored_as_kilograms_to_a_tenth(pounds, kilograms):
    assert units.kg_from_lb(Decimal(pounds)) == Decimal(kilograms)
    assert abs(units.lb_from_kg(Decimal(kilograms)) - Decimal(pounds)) <= Decimal("0.2")


@pytest.mark.parametrize(
    ("inches", "centimetres"), [("66", "167.6"), ("48", "121.9"), ("90", "228.6")]
)
def test_inches_are_stored_as_centimetres_to_a_tenth(inches, centimetres):
    assert units.cm_from_in(Decimal(inches)) == Decimal(centimetres)
    assert units.in_from_cm(Decimal(centimetres)) == Decimal(inches)


@pytest.mark.parametrize(
    ("weight_lb", "height_in", "refused"),
    [
        ("70", "48", set()),  # the smallest plausible adult (BMI 21.4)
        ("700", "90", set()),  # the largest (BMI 60.8)
        ("69.9", None, {"weight"}),
        ("700.1", None, {"weight"}),
        (None, "47.9", {"height"}),
        (None, "90.1", {"height"}),
        ("165", "66", set()),
        # A weight in kilograms beside a height in centimetres: the height refuses it.
        ("75", "170", {"height"}),
        # Each in range, together impossible: a BMI of 182.8 and of 10.4.
        ("650", "50", {"weight"}),
        ("120", "90", {"weight"}),
        (None, None, set()),
    ],
)
def test_implausible_heights_and_weights_are_refused(weight_lb, height_in, refused):
    problems = units.implausible_measurement(
        weight_lb=Decimal(weight_lb) if weight_lb else None,
        height_in=Decimal(height_in) if height_in else None,
    )
    assert set(problems) == refused


def test_an_implausible_combination_names_the_bmi_it_would_give():
    problems = units.implausible_measurement(weight_lb=Decimal("650"), height_in=Decimal("50"))

    assert problems == {
        "weight": "650 lb at 50 in would be a BMI of 182.8: check the weight and the height "
        "(pounds and inches)."
    }


@pytest.mark.parametrize("form_class", [MeasurementForm, FindingForm])
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"weight_lb": "30"}, "weight_lb", units.WEIGHT_RANGE_MESSAGE),
        ({"weight_lb": "900"}, "weight_lb", units.WEIGHT_RANGE_MESSAGE),
        ({"height_in": "170"}, "height_in", units.HEIGHT_RANGE_MESSAGE),
        ({"weight_lb": "650", "height_in": "50"}, "weight_lb", "would be a BMI of"),
    ],
)
def test_every_staff_form_with_a_height_or_weight_refuses_the_same(
    form_class, data, field, message
):
    form = form_class(data)

    assert not form.is_valid()
    assert any(message in error for error in form.errors[field])


def test_findings_in_pounds_and_inches_are_stored_in_kilograms_and_centimetres(
    clinician, front_desk_user
):
    screening = screened(front_desk_user)

    response = clinician.post(
        reverse("treatments:screening_record_findings", args=[screening.pk]),
        {"systolic": "120", "diastolic": "80", "weight_lb": "165", "height_in": "66"},
    )

    assert response.status_code == 302
    finding = AssessmentFinding.objects.get(patient=screening.patient)
    assert (finding.weight_kg, finding.height_cm) == (Decimal("74.8"), Decimal("167.6"))
    page = clinician.get(response["Location"]).text
    # 165 lb is a BMI of 26.6, not the 50.8 that 165 typed into a kg field gave.
    assert "26.6" in page
    assert "74.8 kg (165 lb)" in page
    assert "167.6 cm (5 ft 6 in)" in page


def test_a_findings_form_refuses_a_weight_in_kilograms_beside_a_height_in_centimetres(
    clinician, front_desk_user
):
    screening = screened(front_desk_user)

    response = clinician.post(
        reverse("treatments:screening_record_findings", args=[screening.pk]),
        {"weight_lb": "75", "height_in": "170"},
    )

    assert response.status_code == 400
    assert units.HEIGHT_RANGE_MESSAGE in response.text
    assert not AssessmentFinding.objects.exists()
