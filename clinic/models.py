"""The clinic's locations (a chain is several), and which staff work where.

One location is today's clinic: its settings (name, time zone, hours, DEA registration, REMS
setting number) are the defaults the data migration copies. ``CLINIC_CHAIN`` turns on the
chain: each staff member then works in one of their locations at a time (``clinic.locations``).
"""

from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value} is not a time zone name (e.g. America/Chicago).")


class Location(models.Model):
    name = models.CharField(max_length=100, unique=True)
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    time_zone = models.CharField(
        max_length=64, validators=[validate_time_zone], help_text="e.g. America/Denver"
    )
    # Per weekday (mon..sun), "HH:MM-HH:MM"; a day left out is closed (CLINIC_OPENING_HOURS).
    opening_hours = models.JSONField(default=dict, blank=True)
    dea_registration = models.CharField("DEA registration number", max_length=9, blank=True)
    rems_setting_number = models.CharField(
        "esketamine REMS healthcare setting number", max_length=30, blank=True
    )
    # The name patients see on this location's messages: neutral, naming no treatment (a text
    # is read on a lock screen), like CLINIC_MESSAGE_NAME, which a blank one falls back to.
    sender_name = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)
    display_order = models.PositiveSmallIntegerField(default=0)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="StaffLocation", related_name="clinic_locations"
    )

    class Meta:
        ordering = ["display_order", "name"]
        permissions = [
            ("chain_wide_access", "Works across the chain: sees every location's patients"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class StaffLocation(models.Model):
    """A member of staff assigned to a location (set in the admin's staff page)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="location_assignments"
    )
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "location"], name="staff_location_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.location}"
