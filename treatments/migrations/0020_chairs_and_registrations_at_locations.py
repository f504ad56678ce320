"""A chair is in one of the clinic's locations (its old free-text "location" is the room within
it); a DEA registration is held for a location. Existing chairs and registrations go to the
first location, made from the settings by clinic 0003."""

import django.db.models.deletion
from django.db import migrations, models


def to_the_first_location(apps, schema_editor):
    Location = apps.get_model("clinic", "Location")
    first = Location.objects.order_by("display_order", "name").first()
    if first is None:
        return
    apps.get_model("treatments", "TreatmentChair").objects.update(location=first)
    Registration = apps.get_model("treatments", "DeaRegistration")
    registration = Registration.objects.filter(number=first.dea_registration).first()
    if registration is not None:
        # The registration table is append-only for entries, not for this: a plain update.
        Registration.objects.filter(pk=registration.pk).update(location=first)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0003_the_clinic_as_a_location"),
        ("treatments", "0019_receipt_supplier_and_rems_forms_index"),
    ]

    operations = [
        migrations.RenameField(model_name="treatmentchair", old_name="location", new_name="room"),
        migrations.AddField(
            model_name="treatmentchair",
            name="location",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="chairs",
                to="clinic.location",
            ),
        ),
        migrations.AddField(
            model_name="dearegistration",
            name="location",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="dea_registration_record",
                to="clinic.location",
            ),
        ),
        migrations.RunPython(to_the_first_location, migrations.RunPython.noop),
    ]
