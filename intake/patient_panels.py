"""Cards that apps above ``intake`` add to the patient summary page.

``intake`` never imports the apps built on it: an app registers a panel in its
``AppConfig.ready()``, and the patient page asks each one what to show for this request and
patient. A panel is a callable taking the request and the patient, returning a dict, or None
when it has nothing for this user::

    {
        "title": "Screening",
        "badge": {"label": "Pending review", "style": "text-bg-warning"},  # optional
        "rows": [{"label": "Result", "value": "Needs clinician review"}],  # optional
        "text": "A sentence under the rows.",  # optional
        "link": {"label": "Open the screening", "url": "/screening/4/"},  # optional
    }

Each panel should cost at most one query, so the page's cost does not grow with the record.

The clinician's page of one intake has panels of the same shape (``register_intake_panel``):
a callable taking the request and the intake, for what an app made from it (its screening).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from .models import Intake, Patient

PatientPanel = Callable[[HttpRequest, Patient], dict | None]
IntakePanel = Callable[[HttpRequest, Intake], dict | None]


@dataclass(frozen=True)
class _Registration:
    order: int
    panel: PatientPanel | IntakePanel


_panels: dict[str, _Registration] = {}
_intake_panels: dict[str, _Registration] = {}


def register(name: str, panel: PatientPanel, *, order: int = 100) -> None:
    """Add (or replace: ``ready()`` may run more than once) a panel; lower ``order`` first."""
    _panels[name] = _Registration(order=order, panel=panel)


def unregister(name: str) -> None:
    _panels.pop(name, None)


def panels_for(request: HttpRequest, patient: Patient) -> list[dict]:
    """What each registered panel has for this request and patient, in order."""
    return _shown(_panels, request, patient)


def register_intake_panel(name: str, panel: IntakePanel, *, order: int = 100) -> None:
    """Add (or replace) a panel on the clinician's page of one intake; lower ``order`` first."""
    _intake_panels[name] = _Registration(order=order, panel=panel)


def intake_panels_for(request: HttpRequest, intake: Intake) -> list[dict]:
    """What each registered intake panel has for this request and intake, in order."""
    return _shown(_intake_panels, request, intake)


def _shown(registry: dict[str, _Registration], request: HttpRequest, subject) -> list[dict]:
    shown = []
    for name, registration in sorted(registry.items(), key=lambda item: (item[1].order, item[0])):
        content = registration.panel(request, subject)
        if content is not None:
            shown.append(
                {"name": name, "badge": None, "rows": [], "text": "", "link": None, **content}
            )
    return shown
