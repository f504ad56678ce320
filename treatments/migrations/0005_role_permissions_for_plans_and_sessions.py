from django.db import migrations

from clinic.role_sync import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [("treatments", "0004_postgres_no_overlapping_sessions")]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
