"""Row-level security for the location rule (docs/locations.md), on PostgreSQL only.

A member of staff who is not chain-wide works, in a chain, as the role ``clinic_staff_request``
(clinic.row_security sets it, and the request's location ids, per request). The policies here
apply to that role alone: the app's own user owns the tables (or is the superuser) and bypasses
them, so one clinic, chain-wide staff, Celery, migrations and management commands see every row.

For the role, a patient is visible when their home location is one of the request's locations
(no home location: the first location's, as clinic.locations.default_location); treatments 0021
adds a second policy, OR-ed with this one, for patients with a session at a chair there. The
patient's intake rows follow the patient. An unset location list shows that role nothing.
"""

from django.db import migrations

ROLE = "clinic_staff_request"

# The intake tables whose rows belong to one patient: visible when the patient is.
PATIENT_ROWS = (
    "intake_intake",
    "intake_assessment",
    "intake_consentsignature",
    "intake_clinicalalert",
    "intake_patientmeasurement",
)

# The role is cluster-wide (every database of the cluster, the test databases too) and may
# already exist, or be made at this moment by a test run on another database.
CREATE_ROLE = f"""
DO $$
BEGIN
    IF to_regrole('{ROLE}') IS NULL THEN
        CREATE ROLE {ROLE} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
"""

FUNCTIONS = """
CREATE OR REPLACE FUNCTION clinic_request_location_ids() RETURNS bigint[]
LANGUAGE sql STABLE AS $$
    SELECT string_to_array(NULLIF(current_setting('clinic.location_ids', true), ''), ',')::bigint[]
$$;

CREATE OR REPLACE FUNCTION clinic_first_location_id() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT id FROM clinic_location WHERE active ORDER BY display_order, name LIMIT 1
$$;
"""

# Each function call in a subquery: an InitPlan, evaluated once per statement, not per row;
# the home location compared bare so its index can serve.
PATIENT_AT_HOME = """
home_location_id = ANY ((SELECT clinic_request_location_ids())::bigint[])
OR (home_location_id IS NULL
    AND (SELECT clinic_first_location_id())
        = ANY ((SELECT clinic_request_location_ids())::bigint[]))
"""


def may_create_roles(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        )
        (may_create,) = cursor.fetchone()
        # Made by hand for a user who may not create roles, and granted to it.
        cursor.execute(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) "
            "THEN pg_has_role(current_user, %s, 'MEMBER') ELSE false END",
            [ROLE, ROLE],
        )
        (usable,) = cursor.fetchone()
    return may_create or usable


def add_row_security(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    if not may_create_roles(schema_editor):
        # Without the role the middleware switches to nothing (clinic.row_security checks for
        # the policies) and the location rule is the app's alone. docs/locations.md says how
        # to make the role by hand and run this migration again.
        print(f"\n  Row-level security skipped: the database user may not create the role {ROLE}.")
        return
    execute = schema_editor.execute
    execute(CREATE_ROLE, params=None)
    # The connecting user switches to the role per request: a superuser may anyway, anyone
    # else needs to be a member of it.
    execute(
        f"""DO $$ BEGIN
            IF NOT pg_has_role(current_user, '{ROLE}', 'MEMBER') THEN
                EXECUTE format('GRANT {ROLE} TO %I', current_user);
            END IF;
        END $$;""",
        params=None,
    )
    execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE}")
    execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
    # Tables and sequences made by later migrations (run by this same user).
    execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE}"
    )
    execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {ROLE}")
    execute(FUNCTIONS, params=None)

    execute("ALTER TABLE intake_patient ENABLE ROW LEVEL SECURITY")
    # New rows are not checked (WITH CHECK true): where a row belongs is the services' rule;
    # the policy is about what a forgetful query reads, updates or deletes.
    execute(
        f"CREATE POLICY location_home ON intake_patient FOR ALL TO {ROLE} "
        f"USING ({PATIENT_AT_HOME}) WITH CHECK (true)"
    )
    for table in PATIENT_ROWS:
        execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        # intake_patient's own policies apply inside the subquery.
        execute(
            f"CREATE POLICY location_patient ON {table} FOR ALL TO {ROLE} "  # noqa: S608 (constants)
            f"USING (EXISTS (SELECT 1 FROM intake_patient p WHERE p.id = {table}.patient_id)) "
            "WITH CHECK (true)"
        )


def remove_row_security(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    for table in PATIENT_ROWS:
        execute(f"DROP POLICY IF EXISTS location_patient ON {table}")
        execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    execute("DROP POLICY IF EXISTS location_home ON intake_patient")
    execute("ALTER TABLE intake_patient DISABLE ROW LEVEL SECURITY")
    execute("DROP FUNCTION IF EXISTS clinic_first_location_id()")
    execute("DROP FUNCTION IF EXISTS clinic_request_location_ids()")
    # The role stays: it is the cluster's, and other databases (test runs) may use it. Its
    # grants in this database go.
    execute(
        f"""DO $$ BEGIN
            IF to_regrole('{ROLE}') IS NOT NULL THEN
                ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {ROLE};
                ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {ROLE};
                REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE};
                REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE};
                REVOKE USAGE ON SCHEMA public FROM {ROLE};
            END IF;
        END $$;""",
        params=None,
    )


class Migration(migrations.Migration):
    dependencies = [("intake", "0014_locations")]

    operations = [migrations.RunPython(add_row_security, remove_row_security)]
