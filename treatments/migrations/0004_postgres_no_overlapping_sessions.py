"""No chair holds two sessions at once and no patient is booked twice at once.

Enforced by the database on PostgreSQL with exclusion constraints over the session's time
range (the booking form checks the same on every backend, and the booking service locks the
chair and the patient first, so two bookings of one slot at the same moment cannot both pass).
"""

from django.db import migrations

HOLDING = "('booked', 'checked_in', 'in_progress', 'completed')"


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column in (("session_chair_no_overlap", "chair_id"), ("session_patient_no_overlap", "patient_id")):
        schema_editor.execute(
            f"ALTER TABLE treatments_treatmentsession ADD CONSTRAINT {name} "
            f"EXCLUDE USING gist ({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            f"WHERE (status IN {HOLDING})"
        )


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ("session_chair_no_overlap", "session_patient_no_overlap"):
        schema_editor.execute(f"ALTER TABLE treatments_treatmentsession DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("treatments", "0003_plans_and_sessions")]

    operations = [migrations.RunPython(add_constraints, drop_constraints)]
