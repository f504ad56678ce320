from django.db import migrations

from clinic.role_sync import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0001_initial"),
        ("intake", "0005_intake_clinician_request"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
