"""The staff home page is a set of panels that the apps contribute.

``clinic`` sits below the apps and never imports them: an app registers its panels in its
``AppConfig.ready()``, and the home view asks each one for what to show this request. A panel is
a callable taking the request and returning a dict, or None when it has nothing for this user
(usually: the user's role does not need it)::

    {
        "title": "Intake",
        "audience": FRONT_DESK,  # the role's part of the page it belongs in (clinic.roles)
        "counts": [
            {"label": "Invited", "count": 3, "url": "/intakes/?status=invited"},
            # "urgent": the count needs action now when it is above 0 (said in words too)
            {"label": "Expired", "count": 1, "url": "/intakes/?status=expired", "urgent": True},
        ],
        "link": {"label": "Open the intake queue", "url": "/intakes/"},
        "urgent": False,  # optional: draws attention to the whole panel
        # Optional, below the counts: a short list (rows that have no page of their own), under
        # a heading, with what to say when it is empty...
        "items_title": "Failed to send",
        "items_empty": "None.",
        "items": [
            {
                "text": "Jane Doe",
                "url": "/patients/1/communications/",
                "detail": "Appointment reminder, text message",
                "badge": "Failed",
                "lead": "09:00",  # shown before the text, e.g. a time
                "action": {"label": "Check in", "url": "...", "context": "Jane Doe at 09:00"},
            },
        ],
        "items_id": "failed-messages",  # the list heading's anchor, for a count to link to
        "items_more": 2,  # how many the list leaves out
        # ...or items in named groups (the compact chair board: a group per chair); "id" is
        # the group heading's anchor, "more" how many its list leaves out.
        "groups": [{"title": "Chair 1", "items": [...], "empty": "No sessions.", "more": 0}],
        "wide": False,  # True: the panel takes the page's whole width
    }

Each panel should cost at most one or two queries (an aggregate with a filtered Count per
number; a short list), so the home page's cost does not grow with the data. A read that several
panels show (the intake queue's counts are in the intake panel and among the overdue items) is
made once per request with ``once``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.http import HttpRequest

HomePanel = Callable[[HttpRequest], dict | None]
T = TypeVar("T")

PANEL_DEFAULTS: dict[str, Any] = {
    "audience": None,
    "counts": [],
    "link": None,
    "urgent": False,
    "items": [],
    "items_title": "",
    "items_id": "",
    "items_empty": "",
    "items_more": 0,
    "groups": [],
    "wide": False,
}


@dataclass(frozen=True)
class _Registration:
    order: int
    panel: HomePanel


_panels: dict[str, _Registration] = {}


def register_panel(name: str, panel: HomePanel, *, order: int = 100) -> None:
    """Add (or replace: ``ready()`` may run more than once) a panel; lower ``order`` first."""
    _panels[name] = _Registration(order=order, panel=panel)


def unregister_panel(name: str) -> None:
    _panels.pop(name, None)


def panels_for(request: HttpRequest) -> list[dict]:
    """What each registered panel has for this request, in order, skipping the empty ones."""
    shown = []
    for name, registration in sorted(_panels.items(), key=lambda item: (item[1].order, item[0])):
        content = registration.panel(request)
        if content is not None:
            shown.append({"name": name, **PANEL_DEFAULTS, **content})
    return shown


_READS_ATTRIBUTE = "_home_panel_reads"


def once(request: HttpRequest, read: Callable[[], T]) -> T:
    """``read()``, made once per request however many panels ask for it (the same function
    object is the same read)."""
    reads = request.__dict__.setdefault(_READS_ATTRIBUTE, {})
    if read not in reads:
        reads[read] = read()
    return reads[read]
