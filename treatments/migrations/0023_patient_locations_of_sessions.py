"""Each location where a patient has had a session, in ``intake.PatientLocation`` (intake 0016
made the table and its home rows, and swapped the row policies over to it).

On the way back, treatments 0021's policy ``location_treated`` returns where the row policies
are in place.
"""

from django.db import migrations

ROLE = "clinic_staff_request"

BATCH = 5000


def fill_sessions(apps, schema_editor):
    Location = apps.get_model("clinic", "Location")
    PatientLocation = apps.get_model("intake", "PatientLocation")
    TreatmentSession = apps.get_model("treatments", "TreatmentSession")
    first = Location.objects.filter(active=True).order_by("display_order", "name").first()
    pairs = (
        TreatmentSession.objects.values_list("patient_id", "chair__location_id")
        .distinct()
        .order_by()
    )
    batch = []
    for patient_id, location_id in pairs.iterator(chunk_size=BATCH):
        location_id = location_id or (first.pk if first else None)
        if location_id is None:
            continue
        batch.append(PatientLocation(patient_id=patient_id, location_id=location_id, via="session"))
        if len(batch) == BATCH:
            PatientLocation.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    PatientLocation.objects.bulk_create(batch, ignore_conflicts=True)


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


def policies_in_place(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_policies "
            "WHERE tablename = 'intake_patient' AND policyname = 'location_seen')"
        )
        (in_place,) = cursor.fetchone()
    return in_place


def put_back_treated_policy(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql" and policies_in_place(schema_editor):
        schema_editor.execute(
            f"CREATE POLICY location_treated ON intake_patient FOR ALL TO {ROLE} "
            f"USING ({TREATED_HERE}) WITH CHECK (true)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0016_patient_locations"),
        ("treatments", "0022_stock_on_hand"),
    ]

    operations = [migrations.RunPython(fill_sessions, put_back_treated_policy)]
