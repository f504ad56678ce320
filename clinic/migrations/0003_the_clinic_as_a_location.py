"""Today's clinic becomes the first location, made from its settings; every member of staff
works there. An installation with one location looks as it did before."""

from django.conf import settings
from django.db import migrations

from clinic.role_sync import sync_role_groups


def make_location(apps, schema_editor):
    Location = apps.get_model("clinic", "Location")
    StaffLocation = apps.get_model("clinic", "StaffLocation")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    if Location.objects.exists():
        return
    location = Location.objects.create(
        name=settings.CLINIC_NAME,
        address=settings.CLINIC_DEA_ADDRESS,
        phone=settings.CLINIC_PHONE,
        time_zone=settings.CLINIC_TIME_ZONE,
        opening_hours=settings.CLINIC_OPENING_HOURS,
        dea_registration=settings.CLINIC_DEA_REGISTRATION,
        rems_setting_number=settings.CLINIC_REMS_SETTING_NUMBER,
        sender_name=settings.CLINIC_MESSAGE_NAME,
    )
    StaffLocation.objects.bulk_create(
        StaffLocation(user=user, location=location)
        for user in User.objects.filter(groups__isnull=False).distinct()
    )


class Migration(migrations.Migration):
    dependencies = [("clinic", "0002_locations")]

    operations = [
        migrations.RunPython(make_location, migrations.RunPython.noop),
        # The clinic admin sets up locations and assigns staff to them.
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
