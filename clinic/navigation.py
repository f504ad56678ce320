"""The main navigation: which links each role sees, reversed once per role set.

Every staff page draws the same links for the same roles, so the urls are reversed once per
(roles, script prefix) and kept for the life of the process; only the "you are here" mark
(``aria-current="page"``) depends on the request.
"""

from functools import cache

from django.urls import get_script_prefix, reverse

from .roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK

FD, CL, AD = FRONT_DESK, CLINICIAN, CLINIC_ADMIN

# (label, url name, roles that see it, roles that hide it)
LINKS: tuple[tuple[str, str, frozenset, frozenset], ...] = (
    ("Home", "home", frozenset({FD, CL}), frozenset()),
    ("Patients", "intake:patient_list", frozenset({FD, CL}), frozenset()),
    ("Register patient", "intake:patient_register", frozenset({FD}), frozenset()),
    ("New inquiries", "intake:inquiry_list", frozenset({FD}), frozenset()),
    ("Intakes", "intake:intake_queue", frozenset({FD, CL}), frozenset()),
    ("Chair board", "treatments:chair_board", frozenset({FD, CL}), frozenset()),
    ("Alerts", "intake:alert_list", frozenset({CL}), frozenset()),
    ("Screening", "treatments:screening_worklist", frozenset({CL}), frozenset()),
    ("Controlled substances", "treatments:ledger_stock", frozenset({CL, AD}), frozenset()),
    ("Tasks", "treatments:task_list", frozenset({FD}), frozenset()),
    ("Follow-ups", "followups:worklist", frozenset({FD, CL}), frozenset()),
    ("Outcomes", "followups:outcomes", frozenset({CL, AD}), frozenset()),
    # Clinicians reach the rules from the screening worklist.
    ("Screening rules", "treatments:screening_rules", frozenset({AD}), frozenset({CL})),
    ("Administration", "admin:index", frozenset({AD}), frozenset()),
    ("Audit trail", "admin:auditlog_logentry_changelist", frozenset({AD}), frozenset()),
    ("Staff", "admin:auth_user_changelist", frozenset({AD}), frozenset()),
)


@cache
def _links_for(roles: frozenset, script_prefix: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (label, reverse(name))
        for label, name, shown_to, hidden_from in LINKS
        if roles & shown_to and not roles & hidden_from
    )


def links_for(roles: frozenset) -> tuple[tuple[str, str], ...]:
    """(label, url) of each link the roles see, in menu order."""
    return _links_for(frozenset(roles), get_script_prefix())


@cache
def _site_urls(script_prefix: str) -> dict[str, str]:
    return {name: reverse(name) for name in ("home", "login", "logout")}


def site_urls() -> dict[str, str]:
    """The urls every page's header links: ``home``, ``login`` and ``logout``."""
    return _site_urls(get_script_prefix())


def current_url(links: tuple[tuple[str, str], ...], path: str) -> str | None:
    """The link for the section ``path`` is in: the longest url it starts with (the home page
    only when it is the page itself)."""
    home = get_script_prefix()
    best = None
    for _label, url in links:
        here = path == url if url == home else path.startswith(url)
        if here and (best is None or len(url) > len(best)):
            best = url
    return best
