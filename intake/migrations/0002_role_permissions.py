from django.db import migrations

from clinic.role_sync import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0001_initial"),
        ("clinic", "0001_roles"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
