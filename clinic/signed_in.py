"""Who is signed in, loaded on every request with prepared queries (``clinic.prepared``).

Every staff page starts with the same three reads: the session, its user, and (for staff who
use two-factor login) their device. Django and django-otp build and compile each as a queryset
on every request, which costs more than the database spends answering them. These subclasses
run the same reads, with the same outcome, as statements compiled once per connection:

- ``SessionStore`` (``SESSION_ENGINE = "clinic.signed_in"``): the session row by its key; a
  row past its expiry counts as no session, as Django's ``expire_date__gt=now`` does.
- ``ModelBackend``: the user by id, refused when inactive, as Django's is.
- ``OTPMiddleware``: the device the session was verified with, by its persistent id; and
  ``has_confirmed_device`` for the "has this user set up two-factor login" check.
"""

from functools import cache

from django.contrib.auth import backends, get_user_model
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp import device_classes, middleware

from .prepared import Prepared, PreparedRecord

_SESSION = PreparedRecord(lambda key: Session.objects.filter(session_key=key), key=str)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        session = _SESSION.first(key=self.session_key) if self.session_key else None
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session


@cache
def _user_query() -> PreparedRecord:
    model = get_user_model()
    return PreparedRecord(lambda pk: model._default_manager.filter(pk=pk), pk=int)


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        user = _user_query().first(pk=int(user_id))
        return user if user is not None and self.user_can_authenticate(user) else None


@cache
def _device_models() -> dict:
    """Each device model by its label as persistent ids write it ("otp_totp.totpdevice")."""
    return {model.model_label(): model for model in device_classes()}


@cache
def _device_query(model) -> PreparedRecord:
    return PreparedRecord(lambda pk: model.objects.filter(pk=pk), pk=int)


@cache
def _confirmed_device_query(model) -> Prepared:
    return Prepared(
        lambda user: model.objects.filter(user_id=user, confirmed=True).values_list(
            "pk", flat=True
        )[:1],
        user=int,
    )


def has_confirmed_device(user) -> bool:
    """django-otp's ``user_has_device(user, confirmed=True)``."""
    return any(
        _confirmed_device_query(model).first(user=user.pk) is not None
        for model in _device_models().values()
    )


class OTPMiddleware(middleware.OTPMiddleware):
    def _device_from_persistent_id(self, persistent_id: str):
        persistent_id = self._normalize_persistent_id(persistent_id)
        label, _, device_id = persistent_id.rpartition("/")
        model = _device_models().get(label)
        if model is None or not device_id.isdigit():
            return None
        return _device_query(model).first(pk=int(device_id))
