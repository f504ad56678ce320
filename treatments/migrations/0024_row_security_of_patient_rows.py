"""Where the row policies are in place (PostgreSQL, intake 0015, reading
``intake.PatientLocation`` since intake 0016), the same policy on this app's tables of a
patient's rows (plans, sessions, screenings, findings, tasks, REMS enrolments) as on intake's: a
row is visible to ``clinic_staff_request`` when its patient is seen at one of the request's
locations (docs/locations.md)."""

from django.db import migrations

ROLE = "clinic_staff_request"

PATIENT_ROWS = (
    "treatments_treatmentplan",
    "treatments_treatmentsession",
    "treatments_screening",
    "treatments_assessmentfinding",
    "treatments_stafftask",
    "treatments_remsenrollment",
)

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
    dependencies = [("treatments", "0023_patient_locations_of_sessions")]

    operations = [migrations.RunPython(add_policies, remove_policies)]
