"""Clinic-wide writes: staff second-factor enrolment and verification."""

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
