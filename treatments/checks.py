"""System checks of the treatments app: the clinic's DEA registration number must be one the
DEA could have issued, or every ledger entry, inventory and Form 106 would carry a wrong one."""

from django.conf import settings
from django.core.checks import Error, register

from . import ledger_rules


@register()
def check_dea_registration(app_configs, **kwargs) -> list[Error]:
    number = str(getattr(settings, "CLINIC_DEA_REGISTRATION", "") or "")
    problem = ledger_rules.dea_number_problem(number)
    if problem is None:
        return []
    return [
        Error(
            f"CLINIC_DEA_REGISTRATION={number!r}: {problem}",
            hint="Set CLINIC_DEA_REGISTRATION to the number on the clinic's DEA certificate.",
            id="treatments.E001",
        )
    ]
