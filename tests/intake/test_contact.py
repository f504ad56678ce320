"""The one rule for which way a message reaches a patient (intake.contact), every case."""

import itertools
from types import SimpleNamespace

import pytest

from intake.contact import EMAIL, NO_CHANNEL, SMS, patient_channel


def someone(*, prefers, mobile=True, email=True, consent_sms=True, consent_email=True):
    return SimpleNamespace(
        preferred_contact=prefers,
        mobile="+15125550199" if mobile else "",
        email="pat@example.com" if email else "",
        consent_sms=consent_sms,
        consent_email=consent_email,
    )


@pytest.mark.parametrize(
    ("prefers", "mobile", "email", "consent_sms", "consent_email"),
    itertools.product(("sms", "email", "phone"), *[(True, False)] * 4),
)
def test_the_preferred_channel_when_allowed_else_the_other_else_none(
    prefers, mobile, email, consent_sms, consent_email
):
    patient = someone(
        prefers=prefers,
        mobile=mobile,
        email=email,
        consent_sms=consent_sms,
        consent_email=consent_email,
    )
    sms_ok, email_ok = mobile and consent_sms, email and consent_email
    first, second = (EMAIL, SMS) if prefers == "email" else (SMS, EMAIL)
    allowed = {SMS: sms_ok, EMAIL: email_ok}

    channel, why_not = patient_channel(patient)

    if allowed[first]:
        assert (channel, why_not) == (first, "")
    elif allowed[second]:
        assert (channel, why_not) == (second, "")
    else:
        assert (channel, why_not) == (None, NO_CHANNEL)


def test_a_patient_who_prefers_texts_without_text_consent_is_emailed():
    patient = someone(prefers="sms", consent_sms=False)

    assert patient_channel(patient) == (EMAIL, "")


def test_no_text_without_consent_even_with_no_other_way():
    patient = someone(prefers="sms", consent_sms=False, email=False)

    assert patient_channel(patient) == (None, NO_CHANNEL)
