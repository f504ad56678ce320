"""Where each patient is seen (``PatientLocation``): the location rule's one indexed lookup.

The table is made and given every patient's home row (a patient with no home location gets the
installation's first, as the rule read it); treatments 0023 adds a row for each location where a
patient has had a session.

On PostgreSQL, where intake 0015 made the row policies, they now read this table: the patient
policy ``location_home`` (home location) and treatments 0021's ``location_treated`` (a session
at a chair there, a scan of the sessions per statement) give way to ``location_seen``
(treatments 0023 puts ``location_treated`` back on the way back); the
policies of the patient's intake rows look the patient up in the table directly, rather than
through the patient's own policy (docs/locations.md, docs/performance.md).
"""

import django.db.models.deletion
from django.db import migrations, models

ROLE = "clinic_staff_request"

PATIENT_ROWS = (
    "intake_intake",
    "intake_assessment",
    "intake_consentsignature",
    "intake_clinicalalert",
    "intake_patientmeasurement",
)

# The request's locations as an InitPlan (read once per statement).
REQUEST_LOCATIONS = "(SELECT clinic_request_location_ids())::bigint[]"

# The patients seen there, from the table's unique index, hashed once per statement: for the
# rows of a patient, checked against it row by row.
SEEN_HERE = f"""
SELECT seen.patient_id FROM intake_patientlocation seen
WHERE seen.location_id = ANY ({REQUEST_LOCATIONS})
"""


def fill_homes(apps, schema_editor):
    Location = apps.get_model("clinic", "Location")
    Patient = apps.get_model("intake", "Patient")
    PatientLocation = apps.get_model("intake", "PatientLocation")
    first = Location.objects.filter(active=True).order_by("display_order", "name").first()
    if first is not None:
        Patient.objects.filter(home_location__isnull=True).update(home_location=first)
    homes = Patient.objects.exclude(home_location=None).values_list("pk", "home_location_id")
    batch = []
    for patient_id, location_id in homes.iterator(chunk_size=5000):
        batch.append(PatientLocation(patient_id=patient_id, location_id=location_id, via="home"))
        if len(batch) == 5000:
            PatientLocation.objects.bulk_create(batch)
            batch = []
    PatientLocation.objects.bulk_create(batch)


def policies_in_place(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_policies "
            "WHERE tablename = 'intake_patient' AND policyname = 'location_home')"
        )
        (exists,) = cursor.fetchone()
    return exists


def read_the_table(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or not policies_in_place(schema_editor):
        return
    execute = schema_editor.execute
    # Made after intake 0015's grants (which reach later tables through default privileges
    # of the same user); granted again for a table made by another.
    execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON intake_patientlocation TO {ROLE}")
    execute("DROP POLICY location_home ON intake_patient")
    execute("DROP POLICY IF EXISTS location_treated ON intake_patient")
    # A patient row is checked on its own (a correlated EXISTS, one probe of the table's
    # (patient, location) index), so a page joining a few rows to their patients reads those
    # patients by primary key rather than every patient of the chain to build a set (measured:
    # docs/performance.md, issue 26). The home location is compared first: a patient being
    # registered is read back (INSERT ... RETURNING) before their row in the table is written.
    execute(
        f"CREATE POLICY location_seen ON intake_patient FOR ALL TO {ROLE} "
        f"USING (home_location_id = ANY ({REQUEST_LOCATIONS}) OR EXISTS ("
        "SELECT 1 FROM intake_patientlocation seen WHERE seen.patient_id = intake_patient.id "
        f"AND seen.location_id = ANY ({REQUEST_LOCATIONS}))) WITH CHECK (true)"
    )
    for table in PATIENT_ROWS:
        execute(f"DROP POLICY location_patient ON {table}")
        execute(
            f"CREATE POLICY location_patient ON {table} FOR ALL TO {ROLE} "
            f"USING (patient_id IN ({SEEN_HERE})) WITH CHECK (true)"
        )


# intake 0015's policies, for the way back.
PATIENT_AT_HOME = """
home_location_id = ANY ((SELECT clinic_request_location_ids())::bigint[])
OR (home_location_id IS NULL
    AND (SELECT clinic_first_location_id())
        = ANY ((SELECT clinic_request_location_ids())::bigint[]))
"""


def read_the_patients(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_policies "
            "WHERE tablename = 'intake_patient' AND policyname = 'location_seen')"
        )
        (in_place,) = cursor.fetchone()
    if not in_place:
        return
    execute = schema_editor.execute
    execute("DROP POLICY location_seen ON intake_patient")
    execute(
        f"CREATE POLICY location_home ON intake_patient FOR ALL TO {ROLE} "
        f"USING ({PATIENT_AT_HOME}) WITH CHECK (true)"
    )
    for table in PATIENT_ROWS:
        execute(f"DROP POLICY location_patient ON {table}")
        execute(
            f"CREATE POLICY location_patient ON {table} FOR ALL TO {ROLE} "  # noqa: S608 (constants)
            f"USING (EXISTS (SELECT 1 FROM intake_patient p WHERE p.id = {table}.patient_id)) "
            "WITH CHECK (true)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0003_the_clinic_as_a_location"),
        ("intake", "0015_patient_row_security"),
    ]

    operations = [
        migrations.CreateModel(
            name="PatientLocation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "via",
                    models.CharField(
                        choices=[("home", "Home location"), ("session", "A session there")],
                        max_length=8,
                    ),
                ),
                (
                    "location",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="clinic.location",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="intake.patient",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("location", "patient", "via"), name="patient_location_unique"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("via", "home")),
                        fields=("patient",),
                        name="patient_location_one_home",
                    ),
                ],
                "indexes": [
                    models.Index(
                        fields=["patient", "location"], name="patient_location_by_patient"
                    ),
                ],
            },
        ),
        migrations.RunPython(fill_homes, migrations.RunPython.noop),
        migrations.RunPython(read_the_table, read_the_patients),
    ]
