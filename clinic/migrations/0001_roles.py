from django.db import migrations

from clinic.role_sync import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "__latest__"),
        ("contenttypes", "__latest__"),
        ("auditlog", "__latest__"),
        ("axes", "__latest__"),
        ("otp_totp", "__latest__"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
