"""The staff home page is a set of panels that the apps contribute.

``clinic`` sits below the apps and never imports them: an app registers its panels in its
``AppConfig.ready()``, and the home view asks each one for what to show this request. A panel is
a callable taking the request and returning a dict, or None when it has nothing for this user
(usually: the user's role does not need it)::

    {
        "title": "Intake",
        "counts": [{"label": "Invited", "count": 3, "url": "/intakes/?status=invited"}],
        "link": {"label": "Open the intake queue", "url": "/intakes/"},
        "urgent": False,  # optional: draws attention when a count needs action now
    }

Each panel should cost at most one query (an aggregate with a filtered Count per number), so
the home page's cost does not grow with the data.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

HomePanel = Callable[[HttpRequest], dict | None]


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
            shown.append({"name": name, "counts": [], "link": None, "urgent": False, **content})
    return shown
