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

from .prepared import Prepared, loaded

_SESSION = Prepared(
    lambda key: Session.objects.filter(session_key=key).values(
        "session_key", "session_data", "expire_date"
    ),
    key=str,
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        row = _SESSION.first(key=self.session_key) if self.session_key else None
        if row is None or row["expire_date"] <= timezone.now():
            self._session_key = None
            return None
        return loaded(Session, row)


def _all_fields(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


@cache
def _user_query() -> Prepared:
    model = get_user_model()
    return Prepared(
        lambda pk: model._default_manager.filter(pk=pk).values(*_all_fields(model)), pk=int
    )


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        row = _user_query().first(pk=int(user_id))
        if row is None:
            return None
        user = loaded(get_user_model(), row)
        return user if self.user_can_authenticate(user) else None


@cache
def _device_models() -> dict:
    """Each device model by its label as persistent ids write it ("otp_totp.totpdevice")."""
    return {model.model_label(): model for model in device_classes()}


@cache
def _device_query(model) -> Prepared:
    return Prepared(lambda pk: model.objects.filter(pk=pk).values(*_all_fields(model)), pk=int)


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
        row = _device_query(model).first(pk=int(device_id))
        return None if row is None else loaded(model, row)
