"""Row-level security (docs/locations.md): a patient with a session at a chair of one of the
request's locations (a chair with no location: the first location's) is visible to
``clinic_staff_request`` too. PostgreSQL OR-s this policy with intake 0015's (home location),
so intake needs to know nothing of chairs.

Off PostgreSQL, or where intake 0015 could not make the role, nothing.
"""

from django.db import migrations

ROLE = "clinic_staff_request"

# Served by the sessions' patient index and the chairs' primary key; the location list is an
# InitPlan, read once per statement.
TREATED_HERE = """
EXISTS (
    SELECT 1
    FROM treatments_treatmentsession s
    JOIN treatments_treatmentchair c ON c.id = s.chair_id
    WHERE s.patient_id = intake_patient.id
      AND (c.location_id = ANY ((SELECT clinic_request_location_ids())::bigint[])
           OR (c.location_id IS NULL
               AND (SELECT clinic_first_location_id())
                   = ANY ((SELECT clinic_request_location_ids())::bigint[])))
)
"""


def home_policy_made(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_policies "
            "WHERE tablename = 'intake_patient' AND policyname = 'location_home')"
        )
        (exists,) = cursor.fetchone()
    return exists


def add_policy(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or not home_policy_made(schema_editor):
        return
    schema_editor.execute(
        f"CREATE POLICY location_treated ON intake_patient FOR ALL TO {ROLE} "
        f"USING ({TREATED_HERE}) WITH CHECK (true)"
    )


def remove_policy(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP POLICY IF EXISTS location_treated ON intake_patient")


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0015_patient_row_security"),
        ("treatments", "0020_chairs_and_registrations_at_locations"),
    ]

    operations = [migrations.RunPython(add_policy, remove_policy)]
