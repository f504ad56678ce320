"""Clinic-wide writes: staff second-factor enrolment and verification, and a second
person's confirmation."""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_device_for_enrolment(*, user) -> TOTPDevice:
    """The user's unconfirmed authenticator, created on first use (one pending at a time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def totp_verify(*, request, token: str) -> bool:
    """Check a code against the user's confirmed devices (throttled by django-otp) and mark the
    session verified; a code for a pending device confirms the enrolment."""
    user = request.user
    devices = list(TOTPDevice.objects.filter(user=user))
    confirmed = [d for d in devices if d.confirmed]
    candidates = confirmed or [d for d in devices if not d.confirmed]
    for device in candidates:
        verify_allowed, _ = device.verify_is_allowed()
        if verify_allowed and device.verify_token(token):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            otp_login(request, device)
            return True
    return False


def staff_confirm(*, request, username: str, password: str, token: str):
    """A second member of staff confirms an act at someone else's screen (a witnessed waste)
    with their own password and authenticator code, without signing in there. Returns the
    user, or raises ValidationError with the fields at fault. The password goes through the
    same lockout as sign-in (django-axes counts a wrong one), and the code through
    django-otp's throttling, so the form cannot be used to guess either."""
    user = authenticate(request, username=username.strip(), password=password)
    if user is None or not user.is_active:
        raise ValidationError(
            {"password": "That user name and password do not match a member of staff."}
        )
    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    if not devices:
        raise ValidationError({"token": f"{user.get_username()} has no authenticator set up."})
    for device in devices:
        verify_allowed, _ = device.verify_is_allowed()
        if verify_allowed and device.verify_token(token.strip()):
            return user
    raise ValidationError({"token": "That authenticator code is not right (or has expired)."})
