"""The ledger is append-only: on PostgreSQL a trigger refuses UPDATE and DELETE on its tables,
whoever asks (the app, the admin, a psql session). A mistake is corrected by a reversing entry.

TRUNCATE is left alone: it is not a row change, and the test suite empties tables with it.
"""

from django.db import migrations

from clinic.role_sync import sync_role_groups

TABLES = (
    "treatments_stockreceipt",
    "treatments_stockcontainer",
    "treatments_stockcount",
    "treatments_ledgerentry",
    "treatments_discrepancy",
    "treatments_discrepancyresolution",
)

FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The controlled-substance ledger is append-only: % on % refused. '
        'Correct a mistake with a reversing entry.', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # its "%" are PL/pgSQL's, not parameters
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS ledger_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("treatments", "0017_ledger_and_rems")]

    operations = [
        migrations.RunPython(add_triggers, drop_triggers),
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
