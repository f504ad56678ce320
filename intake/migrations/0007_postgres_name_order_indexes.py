"""Name search reads a page of patients in name order straight from an index (PostgreSQL).

The search shows the first 50 matches ordered by upper-cased last name, then first name, then
id, compared character code by character code (the C collation; ``intake.selectors.name_sort_key``).
These indexes hold the names in that order, so each name part's matches are read in order and
the scan stops at the page's end however many patients match. An index with the C collation
also serves the prefix match (UPPER(name) LIKE 'RIV%') under any database collation, so they
replace the text_pattern_ops indexes of migration 0003. SQLite needs nothing here.
"""

from django.db import migrations

OLD = (
    "CREATE INDEX IF NOT EXISTS patient_{column}_prefix "
    "ON intake_patient (UPPER({column}::text) text_pattern_ops)"
)
NAME_COLUMNS = ("legal_last_name", "legal_first_name", "preferred_name")
NEW = {
    # The last name's index carries the whole sort key: a last-name search reads it in order,
    # and a first-name search walks it in order, checking the first name it holds.
    "patient_last_name_order": (
        '(UPPER(legal_last_name::text) COLLATE "C"), (UPPER(legal_first_name::text) COLLATE "C"), '
        "id"
    ),
    "patient_first_name_order": '(UPPER(legal_first_name::text) COLLATE "C")',
    "patient_preferred_name_order": '(UPPER(preferred_name::text) COLLATE "C")',
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in NEW.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON intake_patient ({columns})")
    for column in NAME_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS patient_{column}_prefix")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in NAME_COLUMNS:
        schema_editor.execute(OLD.format(column=column))
    for name in NEW:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("intake", "0006_alert_kinds")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
