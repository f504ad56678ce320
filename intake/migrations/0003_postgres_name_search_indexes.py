"""Name search is a case-insensitive prefix match (UPPER(name) LIKE 'RIV%').

On PostgreSQL a plain btree index serves LIKE only under the C collation, so these indexes use
text_pattern_ops and work under any collation. SQLite (the embedded development default)
needs nothing here.
"""

from django.db import migrations

NAME_COLUMNS = ("legal_last_name", "legal_first_name", "preferred_name")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in NAME_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS patient_{column}_prefix "
            f"ON intake_patient (UPPER({column}::text) text_pattern_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in NAME_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS patient_{column}_prefix")


class Migration(migrations.Migration):
    dependencies = [("intake", "0002_role_permissions")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
