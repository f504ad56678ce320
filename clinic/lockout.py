"""Sign-in lockout (django-axes): per user name from any address, and per address across names.

``AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]`` counts failures two ways; django-axes
compares the larger count with one limit. A clinic's staff share an office address, so the
address gets a limit of its own (``CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT``, higher than a user
name's): one person's typos do not lock their colleagues out, while guessing one password
against many user names from one address (password spraying) is still stopped.

The failures are counted in the database (django-axes' database handler), never in the cache:
when Redis is down or hangs, sign-in still refuses a locked-out name or address (failing safe,
closed), and no lock is lost or invented. A cache-based handler would fail open, forgetting
every count with the cache.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The user name's failures, or the user name's limit once the address is over its
        own: everything django-axes decides (refusing, the lockout page) follows from this."""
        by_username, by_address = self.get_user_attempts(request, credentials)
        failures = _failures(by_username)
        if _failures(by_address) >= settings.CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """A successful sign-in clears that user name's failures only: a colleague's at the
        same address still count (or signing in between guesses would wipe them)."""
        by_username, _by_address = self.filter_user_attempts(request, credentials)
        count, _ = by_username.delete()
        return count
