"""Row-level security on this app's tables of a patient's rows (surveys, messages, follow-up
calls), as on intake's and treatments': where the row policies are in place (PostgreSQL,
intake 0015), a row is visible to ``clinic_staff_request`` when its patient is seen at one of
the request's locations (``intake.PatientLocation``; docs/locations.md). Rows that reach their
patient through another row (a survey's links) are left to that row's policy: docs/locations.md
says what that covers."""

from django.db import migrations

ROLE = "clinic_staff_request"

PATIENT_ROWS = ("followups_survey", "followups_outboxentry", "followups_followupcall")

SEEN_HERE = """
SELECT seen.patient_id FROM intake_patientlocation seen
WHERE seen.location_id = ANY ((SELECT clinic_request_location_ids())::bigint[])
"""


def policies_in_place(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_policies "
            "WHERE tablename = 'intake_patient' AND policyname = 'location_seen')"
        )
        (in_place,) = cursor.fetchone()
    return in_place


def add_policies(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or not policies_in_place(schema_editor):
        return
    for table in PATIENT_ROWS:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY location_patient ON {table} FOR ALL TO {ROLE} "
            f"USING (patient_id IN ({SEEN_HERE})) WITH CHECK (true)"
        )


def remove_policies(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in PATIENT_ROWS:
        schema_editor.execute(f"DROP POLICY IF EXISTS location_patient ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0007_outbox_patient_messages"),
        ("treatments", "0024_row_security_of_patient_rows"),
    ]

    operations = [migrations.RunPython(add_policies, remove_policies)]
