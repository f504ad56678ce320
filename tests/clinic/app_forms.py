"""Every form class of the app, found rather than listed, and how to make each one.

Tests that must hold for every form (``test_hostile_input.py``) walk ``app_forms()``, so a form
added later is checked without anyone remembering to add it.
"""

import datetime
import importlib
import pkgutil
from collections.abc import Callable

from django import forms
from django.contrib.auth import get_user_model

from clinic.models import Location
from intake.models import Patient
from treatments.models import TreatmentChair

APPS = ("clinic", "intake", "treatments", "followups")


def app_forms() -> list[type[forms.BaseForm]]:
    """Every form class of the app with fields of its own (not the bases that only share code),
    whichever modules the tests happen to have imported."""
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)
    found, pending = [], [forms.Form, forms.ModelForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        base = not cls.base_fields and cls.__subclasses__()  # e.g. StageForm: shared code only
        if cls.__module__.split(".")[0] in APPS and not base and cls not in found:
            found.append(cls)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _patient() -> Patient:
    return Patient(
        legal_first_name="Ana",
        legal_last_name="Reyes",
        date_of_birth=datetime.date(1980, 1, 2),
        mobile="+15125550100",
        email="",
        consent_sms=False,
        preferred_contact="sms",
    )


# Forms whose constructor needs more than data: how each is made.
MAKERS: dict[str, Callable[..., forms.BaseForm]] = {
    "IntakeLinkForm": lambda cls, **kw: cls(patient=_patient(), **kw),
    "IntakeAmendmentForm": lambda cls, **kw: cls(
        answer_field=forms.MultipleChoiceField(
            choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple
        ),
        **kw,
    ),
    "SlotForm": lambda cls, **kw: cls(
        chairs=[TreatmentChair(pk=1, name="Chair 1"), TreatmentChair(pk=2, name="Chair <2>")],
        **kw,
    ),
    "SurveyReviewForm": lambda cls, **kw: cls(escalated=True, **kw),
    "OutcomesPeriodForm": lambda cls, **kw: cls(today=datetime.date(2026, 11, 24), **kw),
    # A delivery is checked by a clinician other than the one receiving it.
    "ReceiptForm": lambda cls, **kw: cls(user=get_user_model()(username="receiving"), **kw),
    # The locations offered are the member of staff's own.
    "LocationForm": lambda cls, **kw: cls(choices=[Location(pk=1, name="Austin")], **kw),
}


def make_form(cls, **kwargs) -> forms.BaseForm:
    """An instance of ``cls``, given what its constructor needs beside ``kwargs``."""
    if cls.__name__ in MAKERS:
        return MAKERS[cls.__name__](cls, **kwargs)
    from treatments.forms_sessions import StageForm

    if issubclass(cls, StageForm):
        return cls(day=datetime.date(2026, 11, 24), **kwargs)
    return cls(**kwargs)
